#!/usr/bin/env node
// `npm run bench` (last step): analyze() throughput next to plain iteration, and its memory.
//
//   node scripts/bench/analyze.mjs [--packets N] [--rounds N] [--caps 100000,10000] [--small N]
//
//   --packets N   capture size (default 5,000,000 packets: the file run.mjs uses, generated
//                 once by generate.mjs and reused)
//   --rounds N    rounds (default 3); medians are reported
//   --caps LIST   maxConversations values to run analyze() with (default 100000,10000: the
//                 default cap and a smaller one, to show that memory follows the cap)
//   --small N     also analyze a capture of N packets from the same generator (default
//                 200,000; 0: no), to show that peak RSS does not follow the packet count
//
// Every measurement runs in a fresh `node analyze.mjs --task ...` process that reports the
// operation's own wall time (node startup and loading pcapkit excluded) and its peak RSS
// (process.resourceUsage().maxRSS). Jobs:
//   iter          for await (const pkt of reader): count packets, sum caplen (the baseline)
//   analyze CAP   analyze(file, { maxConversations: CAP, maxHostPairs: CAP }), then the top 10
//                 conversations and the default data series (what `pcapkit stats` needs)
// The bench file makes almost every packet a new 5-tuple (random ephemeral ports, 4,000
// remote hosts), so the tables fill up early and the rest of the packets are counted as
// overflow: the worst case for memory, which must stay bounded by the cap, not the packets.
// Results go to bench-data/analyze-results.json. The machine is shared and noisy: read
// ratios, not absolute times.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const self = fileURLToPath(import.meta.url);

// ---- a single measurement (child process) ----------------------------------------------------
if (process.argv[2] === '--task') {
  const [, , , kind, file, cap] = process.argv;
  const { PCAPReader, analyze } = await import(pathToFileURL(path.resolve(here, '../../dist/esm/index.mjs')).href);
  const ru0 = process.resourceUsage();
  const t0 = process.hrtime.bigint();
  let out;
  if (kind === 'iter') {
    let packets = 0;
    let bytes = 0;
    for await (const pkt of new PCAPReader(file)) {
      packets++;
      bytes += pkt.caplen;
    }
    out = { packets, bytes };
  } else if (kind === 'analyze') {
    const n = Number(cap);
    const r = await analyze(file, { maxConversations: n, maxHostPairs: n });
    const top = r.topConversations(10);
    const series = r.dataSeries();
    out = {
      packets: r.packets,
      bytes: r.capturedBytes,
      flows: r.conversations.flowCount,
      hostPairs: r.conversations.hostPairCount,
      overflowPackets: r.conversations.overflow.flows.packets,
      applications: r.applications.length,
      retransmissions: r.tcp.retransmissions,
      topBytes: top.flows[0]?.bytes ?? 0,
      buckets: series.times.length,
    };
  } else {
    throw new Error(`unknown task ${kind}`);
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const ru = process.resourceUsage();
  console.log(
    JSON.stringify({
      kind,
      ms,
      maxRSSKB: ru.maxRSS,
      userMs: (ru.userCPUTime - ru0.userCPUTime) / 1000,
      sysMs: (ru.systemCPUTime - ru0.systemCPUTime) / 1000,
      ...out,
    }),
  );
  process.exit(0);
}

// ---- the driver -----------------------------------------------------------------------------
const { ensureCapture, DATA_DIR, DEFAULT_PACKETS } = await import(pathToFileURL(path.join(here, 'generate.mjs')).href);

function parseArgs(argv) {
  const o = { packets: DEFAULT_PACKETS, rounds: 3, caps: [100_000, 10_000], small: 200_000 };
  for (let i = 0; i < argv.length; i++) {
    const [k, inline] = argv[i].split(/=(.*)/s);
    const val = () => (inline !== undefined ? inline : argv[++i]);
    if (k === '--packets') o.packets = Number(val());
    else if (k === '--rounds') o.rounds = Number(val());
    else if (k === '--caps') o.caps = String(val()).split(',').map(Number);
    else if (k === '--small') o.small = Number(val());
    else if (k === '--help' || k === '-h') {
      console.log('usage: node scripts/bench/analyze.mjs [--packets N] [--rounds N] [--caps 100000,10000] [--small N]');
      process.exit(0);
    } else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!Number.isInteger(o.packets) || o.packets <= 0) throw new Error('--packets must be a positive integer');
  if (!Number.isInteger(o.rounds) || o.rounds <= 0) throw new Error('--rounds must be a positive integer');
  if (!o.caps.length || o.caps.some((c) => !Number.isInteger(c) || c <= 0)) throw new Error('--caps: positive integers');
  if (!Number.isInteger(o.small) || o.small < 0) throw new Error('--small must be a whole number');
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const log = (...a) => console.error(...a);
const capture = await ensureCapture(opts.packets, { log });
log(`analyze bench: ${capture.pcap} (${opts.packets.toLocaleString('en-US')} packets, ${(capture.bytes / 1e6).toFixed(0)} MB), ${opts.rounds} rounds`);

function task(args) {
  const r = spawnSync(process.execPath, [self, '--task', ...args], { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.status !== 0) throw new Error(`task ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

const small = opts.small > 0 && opts.small !== opts.packets ? await ensureCapture(opts.small, { log }) : undefined;
const jobs = [
  { name: 'iter', args: ['iter', capture.pcap] },
  ...opts.caps.map((c) => ({ name: `analyze cap ${c}`, args: ['analyze', capture.pcap, String(c)] })),
  ...(small ? opts.caps.map((c) => ({ name: `small: analyze cap ${c}`, args: ['analyze', small.pcap, String(c)], small: true })) : []),
];
const runs = Object.fromEntries(jobs.map((j) => [j.name, []]));
for (let round = 0; round < opts.rounds; round++) {
  // rotate the order so slow phases of a shared machine spread over all jobs
  const order = jobs.map((_, i) => jobs[(i + round) % jobs.length]);
  if (round % 2 === 1) order.reverse();
  for (const j of order) {
    const r = task(j.args);
    runs[j.name].push(r);
    log(`  round ${round + 1} ${j.name.padEnd(20)} ${r.ms.toFixed(0).padStart(7)} ms  ${(r.maxRSSKB / 1024).toFixed(0).padStart(5)} MB peak RSS`);
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const base = median(runs.iter.map((r) => r.ms));
const rows = jobs.filter((j) => !j.small).map((j) => {
  const rs = runs[j.name];
  const ms = median(rs.map((r) => r.ms));
  const last = rs[rs.length - 1];
  return {
    job: j.name,
    ms,
    packetsPerSecond: (last.packets / ms) * 1000,
    mbPerSecond: last.bytes / 1e6 / (ms / 1000),
    ratioToIter: ms / base,
    cpuMs: median(rs.map((r) => r.userMs + r.sysMs)),
    peakRssMB: Math.max(...rs.map((r) => r.maxRSSKB)) / 1024,
    ...(last.flows !== undefined
      ? { flows: last.flows, hostPairs: last.hostPairs, overflowPackets: last.overflowPackets, retransmissions: last.retransmissions }
      : {}),
  };
});

console.log(`\nanalyze() vs plain iteration, ${opts.packets.toLocaleString('en-US')} packets, median of ${opts.rounds}`);
console.log('job                        ms    Mpkt/s    MB/s   x iter  peak RSS   conversations kept / overflow packets');
for (const r of rows) {
  const conv = r.flows !== undefined ? `${r.flows.toLocaleString('en-US')} / ${r.overflowPackets.toLocaleString('en-US')}` : '';
  console.log(
    `${r.job.padEnd(20)} ${r.ms.toFixed(0).padStart(8)} ${(r.packetsPerSecond / 1e6).toFixed(2).padStart(9)} ${r.mbPerSecond.toFixed(0).padStart(7)} ` +
      `${r.ratioToIter.toFixed(2).padStart(8)} ${`${r.peakRssMB.toFixed(0)} MB`.padStart(9)}   ${conv}`,
  );
}
const smallRows = jobs
  .filter((j) => j.small)
  .map((j) => ({ job: j.name, peakRssMB: Math.max(...runs[j.name].map((r) => r.maxRSSKB)) / 1024, ms: median(runs[j.name].map((r) => r.ms)) }));
console.log('\npeak RSS by conversation cap and packet count (memory follows the cap, not the packets):');
for (const c of opts.caps) {
  const big = rows.find((r) => r.job === `analyze cap ${c}`);
  const sm = smallRows.find((r) => r.job === `small: analyze cap ${c}`);
  console.log(
    `  cap ${String(c).padStart(7)}: ${opts.packets.toLocaleString('en-US')} packets -> ${big.peakRssMB.toFixed(0)} MB` +
      (sm ? `, ${opts.small.toLocaleString('en-US')} packets -> ${sm.peakRssMB.toFixed(0)} MB` : ''),
  );
}
const out = path.join(DATA_DIR, 'analyze-results.json');
fs.writeFileSync(
  out,
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      host: { cpus: os.cpus().length, model: os.cpus()[0]?.model, loadavg: os.loadavg(), node: process.version },
      packets: opts.packets,
      fileBytes: capture.bytes,
      rounds: opts.rounds,
      rows,
      small: small ? { packets: opts.small, rows: smallRows } : undefined,
      runs,
    },
    null,
    2,
  )}\n`,
);
log(`results: ${out}`);
