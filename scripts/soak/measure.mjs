// Measurements for the soak runs: open file descriptors, memory samples taken on a timer and at
// packet checkpoints, and the figures made from them (start / end / peak RSS, least-squares slope).
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

const MB = 1024 * 1024;

/**
 * This process's open file descriptors as { fd, target } (what /proc/self/fd links to), leaving
 * out the descriptor the listing itself uses.
 */
export function openFds() {
  const fds = [];
  for (const name of readdirSync('/proc/self/fd')) {
    let target;
    try {
      target = readlinkSync(`/proc/self/fd/${name}`);
    } catch {
      continue; // the directory handle of readdirSync, closed by now
    }
    fds.push({ fd: Number(name), target });
  }
  return fds;
}

/**
 * Lists the open descriptors once they are back to `before`'s count, or after `ms` milliseconds
 * (whichever comes first), with how long that took: { fds, settleMs }. A live capture's socket
 * and eventfd are closed by its capture thread as it ends, a millisecond or two after close()
 * resolved; a real leak is still there when the wait runs out.
 */
export async function settledFds(before, ms = 2000) {
  const t0 = performance.now();
  let fds = openFds();
  while (fdDiff(before, fds).length > 0 && performance.now() - t0 < ms) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    fds = openFds();
  }
  return { fds, settleMs: Math.round((performance.now() - t0) * 10) / 10 };
}

/**
 * Makes Node open what it opens on the first write to stdout (libuv keeps a spare /dev/null
 * descriptor for running out of descriptors), so the "before" listing already has it.
 */
export function primeStdout() {
  return emit({ event: 'begin', pid: process.pid });
}

/** The descriptors in `after` that are not in `before` (same number and target). */
export function fdDiff(before, after) {
  const key = (f) => `${f.fd} ${f.target}`;
  const had = new Set(before.map(key));
  return after.filter((f) => !had.has(key(f)));
}

/**
 * RSS split as the kernel counts it (/proc/self/status, bytes): anonymous memory (the heaps,
 * malloc), file-backed pages (the binary, libraries) and shared memory (a capture's mmap'ed
 * packet ring).
 */
export function rssParts() {
  const status = readFileSync('/proc/self/status', 'latin1');
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rssAnon: kb('RssAnon'), rssFile: kb('RssFile'), rssShmem: kb('RssShmem') };
}

/**
 * Memory samples: `sample(tag)` records { t (ms since creation), packets, rss, heapUsed,
 * heapTotal, external, arrayBuffers, rssAnon, rssFile, rssShmem } in bytes, with `packets` read from progress(). `start(ms)`
 * also samples every ms milliseconds (the timer runs whenever the loop gives the event loop a
 * turn, which a for-await over a reader or a capture does between batches).
 */
export function createSampler(progress) {
  const t0 = performance.now();
  const samples = [];
  let timer;
  const sampler = {
    samples,
    sample(tag = 'timer') {
      const m = process.memoryUsage();
      const s = {
        t: Math.round(performance.now() - t0),
        packets: progress(),
        rss: m.rss,
        heapUsed: m.heapUsed,
        heapTotal: m.heapTotal,
        external: m.external,
        arrayBuffers: m.arrayBuffers,
        ...rssParts(),
        tag,
      };
      samples.push(s);
      return s;
    },
    start(ms) {
      timer = setInterval(() => sampler.sample(), ms);
      return sampler;
    },
    stop() {
      clearInterval(timer);
    },
  };
  return sampler;
}

/** Least-squares slope of ys over xs (0 when there are fewer than two distinct xs). */
export function slope(xs, ys) {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  return sxx === 0 ? 0 : sxy / sxx;
}

const mb = (bytes) => Math.round((bytes / MB) * 10) / 10;

/**
 * The figures of one run: samples tagged 'start' and 'end' mark the measured window (after the
 * warm-up; before anything is closed). Start / end / peak in MB and least-squares slopes over
 * the second half of the window (MB per million packets; RSS also per minute) of:
 *   rss        the process's resident memory, the headline figure;
 *   heapTotal  what V8 has reserved for the JS heap: it grows in steps of several MB when V8
 *              enlarges its young generation (up to --max-semi-space-size), once or twice a run;
 *   outsideV8  rss - heapTotal: native memory (batch blocks, libpcap, malloc) plus code; a
 *              native leak rises here;
 *   heapUsed   live JS objects; a JS leak rises here.
 */
export function summarize(samples) {
  const first = samples.findIndex((s) => s.tag === 'start');
  const last = samples.findLastIndex((s) => s.tag === 'end');
  if (first < 0 || last < first) throw new Error('summarize: no start/end samples');
  const win = samples.slice(first, last + 1);
  const start = win[0];
  const end = win[win.length - 1];
  const mid = start.packets + (end.packets - start.packets) / 2;
  const half = win.filter((s) => s.packets >= mid);
  const perMillion = (value) => round3(slope(half.map((s) => s.packets / 1e6), half.map((s) => value(s) / MB)));
  const figures = (value) => ({
    start: mb(value(start)),
    end: mb(value(end)),
    peak: mb(Math.max(...win.map(value))),
    growth: mb(value(end) - value(start)),
    slopeMBPerMillionPackets: perMillion(value),
  });
  const rss = figures((s) => s.rss);
  return {
    samples: win.length,
    rss,
    heapTotal: figures((s) => s.heapTotal),
    outsideV8: figures((s) => s.rss - s.heapTotal),
    heapUsed: figures((s) => s.heapUsed),
    peakRssWholeRun: mb(Math.max(...samples.map((s) => s.rss))),
    slopeMBPerMillionPackets: rss.slopeMBPerMillionPackets,
    slopeMBPerMinute: round3(slope(half.map((s) => s.t / 60_000), half.map((s) => s.rss / MB))),
    windowPackets: end.packets - start.packets,
    windowSeconds: Math.round((end.t - start.t) / 100) / 10,
  };
}

function round3(x) {
  return Math.round(x * 1000) / 1000;
}

/** Prints one JSON line on stdout and resolves once it is written (for workers about to exit). */
export function emit(obj) {
  return new Promise((resolve) => process.stdout.write(JSON.stringify(obj) + '\n', resolve));
}

/**
 * The common start of a soak worker: stdout primed (see primeStdout), the open descriptors
 * listed, a 'begin' sample taken and sampling started every `sampleMs`.
 */
export async function startMeasuring(progress, sampleMs) {
  await primeStdout();
  const fdsBefore = openFds();
  const sampler = createSampler(progress);
  sampler.sample('begin');
  sampler.start(sampleMs);
  return { fdsBefore, sampler, t0: performance.now() };
}

/**
 * Its counterpart once everything is closed: stops the sampler (last sample 'closed') and counts
 * descriptors at once and once they settle.
 */
export async function finishMeasuring(sampler, fdsBefore) {
  sampler.stop();
  sampler.sample('closed');
  const fdsAtClose = openFds().length;
  const { fds: fdsAfter, settleMs: fdSettleMs } = await settledFds(fdsBefore);
  return { fdsAtClose, fdsAfter, fdSettleMs };
}
