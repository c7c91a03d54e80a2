#!/usr/bin/env node
// Soak: does memory stay flat and does every handle get released over a long run?
//
//   npm run soak                       # both phases: 10M packets through files, 3 min live
//   node scripts/soak.mjs --file [--packets 10000000] [--input-packets 1000000] [--keep-output]
//                        [--leak reader|packets|objects]   (deliberately leaky: see the checks fail)
//   node scripts/soak.mjs --live [--minutes 3] [--pps 200000] [--size 200] [--host-lo]
//
// File phase: PACKETS packets through `for await (const pkt of reader)` + one reused Decoder
// (a few fields read per packet) + one PCAPWriter. The input is the benchmark generator's
// capture of INPUT-PACKETS packets (bench-data/, reused when present) read again and again: the
// same code path as one huge input, a tenth of the disk, and a fresh PCAPReader per pass, so
// ten reader lifecycles are soaked too. The output (PACKETS packets, ~5.8 GB for 10M) is counted
// with capinfos, then deleted.
//
// Live phase: a PCAPSocket on lo held open for MINUTES while scripts/bench/flood.c floods
// 127.0.0.1 at up to PPS datagrams per second (0: as fast as it can), every packet decoded.
// Runs in a private network namespace (its own lo) unless --host-lo. Needs root. The default
// 200,000/s is busy yet within what the capture keeps up with on 2 cores; --pps 0 saturates lo
// (and both cores), which shows how much memory a capture that falls behind holds.
//
// Each phase runs in a fresh node process that samples its memory every 0.5 s and at
// checkpoints and lists its open descriptors before opening anything and after closing
// everything. Prints a summary with explicit PASS/FAIL lines and one JSON line with the
// figures; the samples go to bench-data/soak-results.json. Exits 1 when a check fails.
import { mkdirSync, rmSync, statSync, statfsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureCapture } from './bench/generate.mjs';
import { countPackets, runFileSoak } from './soak/file.mjs';
import { compileFlood, liveSkipReason, runLiveSoak } from './soak/live.mjs';
import { fdDiff, summarize } from './soak/measure.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const DATA_DIR = resolve(here, '../bench-data');

const USAGE = `usage: node scripts/soak.mjs [--file] [--live]
  --file: [--packets 10000000] [--input-packets 1000000] [--keep-output] [--leak reader|packets|objects]
  --live: [--minutes 3] [--pps 200000] [--size 200] [--host-lo]
  checks: [--max-growth 20] [--max-rise 5]   (MB; neither --file nor --live: both phases)`;
let opt;
try {
  ({ values: opt } = parseArgs({
    options: {
      help: { type: 'boolean', short: 'h', default: false },
      file: { type: 'boolean', default: false },
      live: { type: 'boolean', default: false },
      packets: { type: 'string', default: '10000000' },
      'input-packets': { type: 'string', default: '1000000' },
      'keep-output': { type: 'boolean', default: false },
      leak: { type: 'string' },
      minutes: { type: 'string', default: '3' },
      pps: { type: 'string', default: '200000' },
      size: { type: 'string', default: '200' },
      'host-lo': { type: 'boolean', default: false },
      'max-growth': { type: 'string', default: '20' },
      'max-rise': { type: 'string', default: '5' },
    },
  }));
} catch (err) {
  console.error(`${err.message}\n${USAGE}`);
  process.exit(2);
}
if (opt.help) {
  console.log(USAGE);
  process.exit(0);
}
const phases = !opt.file && !opt.live ? { file: true, live: true } : { file: opt.file, live: opt.live };
// Pass criteria: RSS end - start under MAX_GROWTH MB; over the second half of the measured
// window, the least-squares lines of native memory (RSS outside the V8 heap) and of live JS
// objects each rising by less than MAX_RISE MB (slope x packets in that half: 1 MB per million
// packets for 10M packets; a bound in MB does not make short runs fail on GC noise); descriptors back to the count before; (file) the
// output holding every packet written. The slope of RSS itself is reported but not judged: V8
// enlarges its young generation in one or two steps of ~8 MB at moments of its choosing (a
// bounded, one-time cost that a least-squares line over a few million packets reads as growth);
// a leak shows in the native or the JS part.
const MAX_GROWTH = Number(opt['max-growth']);
const MAX_RISE = Number(opt['max-rise']);

const log = (...a) => console.error(...a);
const n = (x) => x.toLocaleString('en-US');
const GB = 1e9;

// The rise of a least-squares line over the second half of the window.
function riseCheck(what, slopePerMillion, fig) {
  const halfMillions = fig.windowPackets / 2 / 1e6;
  const rise = Math.round(slopePerMillion * halfMillions * 10) / 10;
  return {
    pass: rise < MAX_RISE,
    text: `${what} over the second half: slope ${slopePerMillion} MB per million packets x ${halfMillions.toFixed(2)}M packets = ${rise} MB (< ${MAX_RISE} MB)`,
  };
}

function memoryChecks(fig, fdsBefore, fdsAfter) {
  const leaked = fdDiff(fdsBefore, fdsAfter);
  return [
    { pass: fig.rss.growth < MAX_GROWTH, text: `RSS end - start = ${fig.rss.growth} MB (< ${MAX_GROWTH} MB)` },
    riseCheck('native memory (RSS outside the V8 heap)', fig.outsideV8.slopeMBPerMillionPackets, fig),
    riseCheck('JS heap used', fig.heapUsed.slopeMBPerMillionPackets, fig),
    {
      pass: fdsAfter.length === fdsBefore.length && leaked.length === 0,
      text: `open fds after == before (${fdsAfter.length} == ${fdsBefore.length})` +
        (leaked.length ? `; still open: ${leaked.map((f) => `${f.fd} -> ${f.target}`).join(', ')}` : ''),
    },
  ];
}

const sign = (x) => (x >= 0 ? `+${x}` : String(x));

function printMemory(fig, w) {
  log(`  RSS MB: start ${fig.rss.start}, end ${fig.rss.end}, peak ${fig.rss.peak} (whole run ${fig.peakRssWholeRun}); growth ${sign(fig.rss.growth)}`);
  log(`  RSS slope over the second half: ${fig.slopeMBPerMillionPackets} MB per million packets, ${fig.slopeMBPerMinute} MB per minute`);
  log(`    of which V8 heap reserved (heapTotal) MB: ${fig.heapTotal.start} -> ${fig.heapTotal.end} (${sign(fig.heapTotal.growth)}, slope ${fig.heapTotal.slopeMBPerMillionPackets});` +
    ` outside V8 MB: ${fig.outsideV8.start} -> ${fig.outsideV8.end} (${sign(fig.outsideV8.growth)}, slope ${fig.outsideV8.slopeMBPerMillionPackets})`);
  log(`  JS heap used MB: start ${fig.heapUsed.start}, end ${fig.heapUsed.end}, peak ${fig.heapUsed.peak} (slope ${fig.heapUsed.slopeMBPerMillionPackets})`);
  log(`  open fds: ${w.fdsBefore.length} before opening, ${w.fdsAfter.length} after closing everything` +
    ` (${w.fdsAtClose} the moment the loop ended; back to ${w.fdsAfter.length} after ${w.fdSettleMs} ms)`);
}

function printChecks(checks) {
  for (const c of checks) log(`  ${c.pass ? 'PASS' : 'FAIL'}  ${c.text}`);
}

async function filePhase() {
  const packets = Number(opt.packets);
  const inputPackets = Number(opt['input-packets']);
  mkdirSync(DATA_DIR, { recursive: true });
  const input = await ensureCapture(inputPackets, { log });
  const output = join(DATA_DIR, 'soak-output.pcap');
  // The output is the input repeated: make sure it fits, with a gigabyte to spare.
  const need = (input.bytes * packets) / inputPackets + GB;
  const disk = statfsSync(DATA_DIR);
  const free = disk.bavail * disk.bsize;
  if (free < need) throw new Error(`file soak: needs ${(need / GB).toFixed(1)} GB free in ${DATA_DIR}, has ${(free / GB).toFixed(1)} GB`);
  log(`file soak: ${n(packets)} packets through for-await + Decoder + PCAPWriter, input ${input.pcap} (${n(inputPackets)} packets) read repeatedly`);
  let w;
  let count;
  let outputBytes;
  try {
    w = await runFileSoak({ input: input.pcap, output, packets, leak: opt.leak });
    outputBytes = statSync(output).size;
    count = await countPackets(output);
  } finally {
    if (!opt['keep-output']) rmSync(output, { force: true });
  }
  const fig = summarize(w.samples);
  const seconds = w.durationMs / 1000;
  log(`  ${n(w.packets)} packets in ${seconds.toFixed(1)} s (${n(Math.round(w.packets / seconds))} packets/s), ${w.passes} passes over the input`);
  log(`  decoded: ${n(w.counts.tcp)} TCP, ${n(w.counts.udp)} UDP (${n(w.counts.dns)} DNS), ${n(w.counts.other)} other`);
  printMemory(fig, w);
  log(`  output: ${n(count.packets)} packets by ${count.by}, ${n(w.written)} written, ${(outputBytes / GB).toFixed(2)} GB` +
    `${opt['keep-output'] ? `, kept at ${output}` : ', deleted'}`);
  const checks = [
    ...memoryChecks(fig, w.fdsBefore, w.fdsAfter),
    { pass: count.packets === w.written, text: `output packets (${n(count.packets)}) == packets written (${n(w.written)})` },
  ];
  printChecks(checks);
  return {
    summary: {
      packets: w.packets,
      passes: w.passes,
      inputPackets,
      durationS: Math.round(seconds * 10) / 10,
      packetsPerSecond: Math.round(w.packets / seconds),
      rssMB: fig.rss,
      peakRssWholeRunMB: fig.peakRssWholeRun,
      slopeMBPerMillionPackets: fig.slopeMBPerMillionPackets,
      v8HeapTotalMB: fig.heapTotal,
      outsideV8MB: fig.outsideV8,
      heapUsedMB: fig.heapUsed,
      fdsBefore: w.fdsBefore.length,
      fdsAfter: w.fdsAfter.length,
      outputPackets: count.packets,
      outputCountedBy: count.by,
      outputGB: Math.round((outputBytes / GB) * 100) / 100,
      pass: checks.every((c) => c.pass),
    },
    samples: w.samples,
  };
}

async function livePhase() {
  const netns = !opt['host-lo'];
  const skip = liveSkipReason({ netns });
  if (skip) {
    log(`live soak: skipped (${skip})`);
    return { summary: { skipped: skip } };
  }
  const seconds = Math.round(Number(opt.minutes) * 60);
  const pps = Number(opt.pps);
  mkdirSync(DATA_DIR, { recursive: true });
  const floodBin = compileFlood(DATA_DIR);
  log(`live soak: PCAPSocket on lo for ${seconds} s under a loopback UDP flood, every packet decoded`);
  const r = await runLiveSoak({ seconds, pps, size: Number(opt.size), netns, floodBin, log });
  const w = r.worker;
  const fig = summarize(w.samples);
  log(`  flood: ${n(r.sent)} datagrams sent in ${r.floodRuns} runs over ${r.floodSeconds} s (${pps ? `limit ${n(pps)}` : 'no limit'} pps, ${r.size}-byte payloads)`);
  log(`  captured ${n(w.packets)} packets (${n(w.matched)} decoded as UDP to the flood port) in ${(w.durationMs / 1000).toFixed(1)} s;` +
    ` stats(): received ${n(w.stats.received)} (lo counts each packet twice), dropped ${n(w.stats.dropped)}, ifDropped ${n(w.stats.ifDropped)}`);
  printMemory(fig, w);
  const checks = [
    ...memoryChecks(fig, w.fdsBefore, w.fdsAfter),
    { pass: w.matched === w.packets && w.packets > 0, text: `every captured packet decoded as UDP to the flood port (${n(w.matched)} of ${n(w.packets)})` },
  ];
  printChecks(checks);
  return {
    summary: {
      seconds,
      namespace: r.namespace,
      pps,
      sent: r.sent,
      packets: w.packets,
      kernelDropped: w.stats.dropped,
      ifDropped: w.stats.ifDropped,
      received: w.stats.received,
      durationS: Math.round(w.durationMs / 100) / 10,
      rssMB: fig.rss,
      peakRssWholeRunMB: fig.peakRssWholeRun,
      slopeMBPerMillionPackets: fig.slopeMBPerMillionPackets,
      slopeMBPerMinute: fig.slopeMBPerMinute,
      v8HeapTotalMB: fig.heapTotal,
      outsideV8MB: fig.outsideV8,
      heapUsedMB: fig.heapUsed,
      fdsBefore: w.fdsBefore.length,
      fdsAfter: w.fdsAfter.length,
      fdReleaseMs: w.fdSettleMs,
      pass: checks.every((c) => c.pass),
    },
    samples: w.samples,
  };
}

const results = {};
if (phases.file) results.file = await filePhase();
if (phases.live) results.live = await livePhase();
const summary = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.summary]));
const pass = Object.values(summary).every((s) => s.skipped || s.pass);
let saved = '';
if (Object.values(results).some((r) => r.samples)) {
  const file = join(DATA_DIR, 'soak-results.json');
  try {
    writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), node: process.version, results }, null, 2) + '\n');
    saved = ` (samples in ${file})`;
  } catch (err) {
    saved = ` (samples not saved: ${err.message})`;
  }
}
const skipped = Object.entries(summary).filter(([, v]) => v.skipped).map(([k]) => k);
log(`soak: ${pass ? 'PASS' : 'FAIL'}${skipped.length ? ` (skipped: ${skipped.join(', ')})` : ''}${saved}`);
console.log(JSON.stringify({ soak: summary, pass }));
process.exitCode = pass ? 0 : 1;
