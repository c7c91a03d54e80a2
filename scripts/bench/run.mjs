#!/usr/bin/env node
// `npm run bench`: pcapkit against tcpdump and a plain C libpcap loop, side by side.
//
//   node scripts/bench/run.mjs [--packets N] [--rounds N] [--out-dir DIR] [--null]
//                              [--pcap-packets N] [--no-pcap] [--groups filter,read,decode,engine]
//
//   --packets N   capture size (default 5,000,000 packets, ~2.9 GB; generated once, reused)
//   --rounds N    rounds (default 5)
//   --out-dir D   where the filter outputs go (default bench-data/out; e.g. a tmpfs)
//   --null        timed filter runs write to /dev/null (the outputs are still compared with
//                 tcpdump's once, untimed): takes the kernel's page-cache writes, the noisiest
//                 part on a shared VM, out of the comparison
//   --pcap-packets N  the `pcap` npm package's decoder decodes only the first N packets (its
//                 I/O-only loop too); its ratios then compare per-packet rates (default: all)
//   --no-pcap     skip the `pcap` npm package (no install)
//   --groups G    only these job groups (comma-separated: filter, read, decode, engine; default all)
//
// The capture-file engine (group 'engine'): the same packets as pcapng (made once from the pcap
// by filterFile, untimed), filtered by tcpdump and by filterFile and read by a for-await loop,
// against the pcap; and the pcap piped through standard input (`cat F | ...`) against its path.
//
// Decoding (group 'decode'): `for await` + one reused pcapkit Decoder (Ethernet -> IP ->
// TCP/UDP ports and the IPv4 source as an integer) against the plain `for await` loop, and
// against the `pcap` npm package (node_pcap) decoding the same packets and reading the same
// fields. node_pcap is a dependency of the bench only (scripts/bench/package.json), installed
// on demand into scripts/bench/node_modules with --ignore-scripts: only its pure-JS decoder is
// used, fed from pcapkit's reader (its own capture sessions need its native binding).
//
// Every measurement is a fresh child process: tcpdump and the C loop are timed from outside
// (runwrap: fork..wait4, peak RSS from wait4's rusage); pcapkit runs in `node task.mjs ...`,
// which reports the operation's own wall time (node startup excluded) and its peak RSS
// (process.resourceUsage().maxRSS). Each round runs every job once, in a rotated order that
// alternates direction, so slow phases of a shared machine spread over all jobs. The report
// gives medians over rounds and the ratios of the acceptance targets, and results go to
// bench-data/results.json. The machine is shared and noisy: read ratios, not absolute times.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { ensureCapture, DATA_DIR, DEFAULT_PACKETS, GENERATOR_VERSION } from './generate.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const FILTERS = ['arp', 'tcp port 443', ''];
const TARGETS = { filter: 0.75, iter: 1.0, batches: 1.2, decode: 1.25, vsPcap: 5, rssMB: 150, ngVsTcpdump: 0.5, ngVsPcap: 1.0, stdinVsPath: 1.1 };
const GROUPS = ['filter', 'read', 'decode', 'engine'];

function parseArgs(argv) {
  const o = {
    packets: DEFAULT_PACKETS,
    rounds: 5,
    outDir: path.join(DATA_DIR, 'out'),
    null: false,
    pcapPackets: null,
    pcap: true,
    groups: GROUPS,
  };
  for (let i = 0; i < argv.length; i++) {
    const [k, inline] = argv[i].split(/=(.*)/s);
    const val = () => (inline !== undefined ? inline : argv[++i]);
    if (k === '--packets') o.packets = Number(val());
    else if (k === '--rounds') o.rounds = Number(val());
    else if (k === '--out-dir') o.outDir = path.resolve(val());
    else if (k === '--null') o.null = true;
    else if (k === '--pcap-packets') o.pcapPackets = Number(val());
    else if (k === '--no-pcap') o.pcap = false;
    else if (k === '--groups') o.groups = val().split(',').filter(Boolean);
    else if (k === '--help' || k === '-h') {
      console.log(
        'usage: node scripts/bench/run.mjs [--packets N] [--rounds N] [--out-dir DIR] [--null]\n' +
          '                                  [--pcap-packets N] [--no-pcap] [--groups filter,read,decode,engine]',
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!Number.isInteger(o.packets) || o.packets <= 0) throw new Error('--packets must be a positive integer');
  if (!Number.isInteger(o.rounds) || o.rounds <= 0) throw new Error('--rounds must be a positive integer');
  if (o.pcapPackets !== null && (!Number.isInteger(o.pcapPackets) || o.pcapPackets <= 0)) {
    throw new Error('--pcap-packets must be a positive integer');
  }
  const unknown = o.groups.filter((g) => !GROUPS.includes(g));
  if (unknown.length || o.groups.length === 0) throw new Error(`--groups: one or more of ${GROUPS.join(', ')}`);
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const log = (...a) => console.error(...a);

// ---- tools ----------------------------------------------------------------------------
function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function compile(src, out, libs = []) {
  const r = spawnSync('cc', ['-O2', '-o', out, path.join(here, src), ...libs], { encoding: 'utf8' });
  if (r.status !== 0) {
    log(`warning: cc ${src} failed: ${(r.stderr || r.error?.message || '').trim()}`);
    return null;
  }
  return out;
}

fs.mkdirSync(DATA_DIR, { recursive: true });
const tcpdump = which('tcpdump');
const gnuTime = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
const cloop = compile('cloop.c', path.join(DATA_DIR, 'cloop'), ['-lpcap']);
const runwrap = compile('runwrap.c', path.join(DATA_DIR, 'runwrap'));
if (!tcpdump) log('warning: tcpdump not found; its rows are skipped');
if (!runwrap) log(`warning: no runwrap; external processes timed by spawnSync, RSS ${gnuTime ? 'by GNU time' : 'unknown'}`);

// Runs argv; returns { ms, maxrssKB, userMs, sysMs, stdout } measured from outside.
function runExternal(argv) {
  const resFile = path.join(DATA_DIR, `.runwrap-${process.pid}.json`);
  let full = argv;
  if (runwrap) full = [runwrap, resFile, ...argv];
  else if (gnuTime) full = [gnuTime, '-f', '%M %U %S', '-o', resFile, ...argv];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(full[0], full.slice(1), { encoding: 'utf8', maxBuffer: 64 << 20 });
  const spawnMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited with ${r.status}: ${r.stderr.trim()}`);
  let res = { ms: spawnMs, maxrssKB: null, userMs: null, sysMs: null };
  if (runwrap) res = JSON.parse(fs.readFileSync(resFile, 'utf8'));
  else if (gnuTime) {
    const [m, u, s] = fs.readFileSync(resFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
    res = { ms: spawnMs, maxrssKB: m, userMs: u * 1000, sysMs: s * 1000 };
  }
  fs.rmSync(resFile, { force: true });
  return { ...res, stdout: r.stdout };
}

function runTask(args, { stdinFrom } = {}) {
  const argv = [process.execPath, path.join(here, 'task.mjs'), ...args];
  // `cat F | node task.mjs ...`: the capture through a pipe, as a user's shell sends it.
  const q = (a) => `'${String(a).replace(/'/g, `'\\''`)}'`;
  const r = runExternal(stdinFrom ? ['sh', '-c', `cat ${q(stdinFrom)} | ${argv.map(q).join(' ')}`] : argv);
  const out = JSON.parse(r.stdout.trim().split('\n').pop());
  return {
    ms: out.ms,
    maxrssKB: out.maxRSSKB,
    userMs: out.userMs,
    sysMs: out.sysMs,
    outerMs: r.ms,
    outerMaxrssKB: r.maxrssKB,
    packets: out.packets,
    bytes: out.bytes,
    packetsWritten: out.packetsWritten,
    decoded: out.portSum === undefined ? undefined : { ipv4: out.ipv4, tcp: out.tcp, udp: out.udp, portSum: out.portSum, ipSum: out.ipSum },
  };
}

// node_pcap (the `pcap` npm package), for the decode comparison: a dependency of the bench only
// (scripts/bench/package.json), installed on demand without its install scripts (its native
// binding is neither built nor used). Returns its version, or null when it cannot be had.
function ensurePcapPackage() {
  const wanted = JSON.parse(fs.readFileSync(path.join(here, 'package.json'), 'utf8')).dependencies.pcap;
  const installed = () => {
    try {
      const v = JSON.parse(fs.readFileSync(path.join(here, 'node_modules/pcap/package.json'), 'utf8')).version;
      createRequire(path.join(here, 'package.json')).resolve('pcap/decode');
      return !/^\d+\.\d+\.\d+$/.test(wanted) || v === wanted ? v : null;
    } catch {
      return null;
    }
  };
  const have = installed();
  if (have) return have;
  const npm = which('npm');
  if (!npm) {
    log('warning: npm not found; the pcap npm decoder row is skipped');
    return null;
  }
  log(`installing the bench's own dependencies (pcap ${wanted}) into ${path.join(here, 'node_modules')}`);
  const r = spawnSync(npm, ['install', '--prefix', here, '--no-audit', '--no-fund', '--ignore-scripts'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const v = r.status === 0 ? installed() : null;
  if (!v) log(`warning: npm install of the bench dependencies failed; the pcap npm decoder row is skipped\n${(r.stderr || r.error?.message || '').trim()}`);
  return v;
}

function sameFiles(a, b) {
  const sa = fs.statSync(a).size;
  const sb = fs.statSync(b).size;
  if (sa !== sb) return { identical: false, detail: `sizes differ: ${sa} vs ${sb}` };
  if (which('cmp')) {
    const r = spawnSync('cmp', [a, b], { encoding: 'utf8' });
    return { identical: r.status === 0, detail: r.status === 0 ? `${sa} bytes` : (r.stdout || r.stderr).trim() };
  }
  const fa = fs.openSync(a, 'r');
  const fb = fs.openSync(b, 'r');
  const ba = Buffer.allocUnsafe(1 << 20);
  const bb = Buffer.allocUnsafe(1 << 20);
  try {
    for (let pos = 0; ; pos += ba.length) {
      const na = fs.readSync(fa, ba, 0, ba.length, pos);
      const nb = fs.readSync(fb, bb, 0, bb.length, pos);
      if (na !== nb || !ba.subarray(0, na).equals(bb.subarray(0, nb))) {
        return { identical: false, detail: `differ within bytes ${pos}..${pos + ba.length}` };
      }
      if (na === 0) return { identical: true, detail: `${sa} bytes` };
    }
  } finally {
    fs.closeSync(fa);
    fs.closeSync(fb);
  }
}

function warmCache(file) {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(8 << 20);
  let total = 0;
  for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) total += n;
  fs.closeSync(fd);
  return total;
}

// ---- setup ----------------------------------------------------------------------------
const cap = await ensureCapture(opts.packets, { log });
const IN = cap.pcap;
log(`capture: ${IN} (${cap.packets} packets, ${(cap.bytes / 1e6).toFixed(0)} MB${cap.reused ? ', reused' : ''})`);
fs.mkdirSync(opts.outDir, { recursive: true });
const outFile = (id) => path.join(opts.outDir, `${id.replace(/[^a-z0-9]+/gi, '_')}.pcap`);
let t = process.hrtime.bigint();
warmCache(IN);
log(`page cache warmed (${(Number(process.hrtime.bigint() - t) / 1e6).toFixed(0)} ms)`);

// Run as root, tcpdump drops to user tcpdump and chowns its -w file to it (even /dev/null);
// -Z root keeps it as it is.
const tcpdumpUser = process.getuid?.() === 0 ? ['-Z', 'root'] : [];
const jobs = [];
const want = (g) => opts.groups.includes(g);
const label = (f) => (f === '' ? "''" : `'${f}'`);
for (const f of want('filter') ? FILTERS : []) {
  if (tcpdump) {
    jobs.push({
      id: `tcpdump ${label(f)}`,
      group: `filter ${label(f)}`,
      role: 'baseline',
      run: (out) => runExternal([tcpdump, ...tcpdumpUser, '-r', IN, '-w', out, ...(f ? [f] : [])]),
      out: outFile(`tcpdump ${f}`),
    });
  }
  jobs.push({
    id: `filterFile ${label(f)}`,
    group: `filter ${label(f)}`,
    role: 'pcapkit',
    run: (out) => runTask(['filter', IN, out, f]),
    out: outFile(`filterFile ${f}`),
  });
}
if (cloop && want('read')) {
  jobs.push({
    id: 'C pcap_loop',
    group: 'read',
    role: 'baseline',
    run: () => {
      const r = runExternal([cloop, IN]);
      const o = JSON.parse(r.stdout);
      return { ...r, packets: o.packets, bytes: o.bytes, innerMs: o.ms };
    },
  });
}
// The plain loop is also the decode jobs' baseline.
const ITER = 'for await (pkt)';
if (want('read') || want('decode')) jobs.push({ id: ITER, group: 'read', role: 'pcapkit', run: () => runTask(['iter', IN]) });
if (want('read')) jobs.push({ id: 'batches()', group: 'read', role: 'pcapkit', run: () => runTask(['batches', IN]) });
// Decoding: the plain loop + one reused Decoder, and the same loop with node_pcap's decoder.
const DECODER = 'for await + Decoder';
const DATA = 'for await + pkt.data';
const DECODEBATCH = 'batches() + decodeFromBatch';
const pcapVersion = want('decode') && opts.pcap ? ensurePcapPackage() : null;
const pcapLimit = opts.pcapPackets !== null && opts.pcapPackets < cap.packets ? opts.pcapPackets : null;
const PCAPDEC = pcapLimit ? `pcap npm decoder (${pcapLimit})` : 'pcap npm decoder';
// With a limit, node_pcap's I/O-only baseline is the plain loop over the same first packets.
const PCAPITER = pcapLimit ? `for await (${pcapLimit})` : ITER;
if (want('decode')) {
  jobs.push({ id: DATA, group: 'decode', role: 'pcapkit', run: () => runTask(['data', IN]) });
  jobs.push({ id: DECODER, group: 'decode', role: 'pcapkit', run: () => runTask(['decode', IN]) });
  jobs.push({ id: DECODEBATCH, group: 'decode', role: 'pcapkit', run: () => runTask(['decodebatch', IN]) });
  if (pcapVersion) {
    const lim = pcapLimit ? [String(pcapLimit)] : [];
    jobs.push({ id: PCAPDEC, group: 'decode', role: 'baseline', packets: pcapLimit ?? undefined, run: () => runTask(['pcapdecode', IN, ...lim]) });
    if (pcapLimit) {
      jobs.push({ id: PCAPITER, group: 'decode', role: 'baseline', packets: pcapLimit, run: () => runTask(['iter', IN, ...lim]) });
    }
  }
}
// The capture-file engine: pcapng input (the same packets), and the pcap through a pipe.
const NG_TCPDUMP = "tcpdump pcapng ''";
const NG_FILTER = "filterFile pcapng ''";
const NG_ITER = 'for await (pkt) pcapng';
const STDIN_FILTER = "cat | filterFile - ''";
let IN_NG = null;
if (want('engine')) {
  IN_NG = `${IN}ng`;
  if (!fs.existsSync(IN_NG) || fs.statSync(IN_NG).mtimeMs < fs.statSync(IN).mtimeMs) {
    log(`making ${IN_NG} (the same packets as pcapng, by filterFile, untimed)`);
    const made = runTask(['filter', IN, `${IN_NG}.tmp`, '', 'pcapng']);
    if (made.packetsWritten !== cap.packets) throw new Error(`pcapng copy has ${made.packetsWritten} packets`);
    fs.renameSync(`${IN_NG}.tmp`, IN_NG);
  }
  warmCache(IN_NG);
  if (tcpdump) {
    jobs.push({
      id: NG_TCPDUMP,
      group: 'pcapng filter',
      role: 'baseline',
      // both write nanosecond pcap (filterFile is told so below), whatever the capture's precision
      run: (out) => runExternal([tcpdump, ...tcpdumpUser, '--nano', '-r', IN_NG, '-w', out]),
      out: outFile('tcpdump pcapng'),
    });
  }
  jobs.push({ id: NG_FILTER, group: 'pcapng filter', role: 'pcapkit', run: (out) => runTask(['filter', IN_NG, out, '', 'pcap', 'nano']), out: outFile('filterFile pcapng') });
  jobs.push({ id: NG_ITER, group: 'engine', role: 'pcapkit', run: () => runTask(['iter', IN_NG]) });
  jobs.push({ id: STDIN_FILTER, group: 'engine', role: 'pcapkit', run: (out) => runTask(['filter', '-', out, ''], { stdinFrom: IN }), out: outFile('filterFile stdin') });
  if (!jobs.some((j) => j.id === "filterFile ''")) {
    jobs.push({ id: "filterFile ''", group: "filter ''", role: 'pcapkit', run: (out) => runTask(['filter', IN, out, '']), out: outFile('filterFile ') });
  }
  if (!jobs.some((j) => j.id === ITER)) jobs.push({ id: ITER, group: 'read', role: 'pcapkit', run: () => runTask(['iter', IN]) });
}
const jobPackets = (id) => jobs.find((j) => j.id === id)?.packets ?? cap.packets;

const hasSync = which('sync') !== null;
const runs = new Map(jobs.map((j) => [j.id, []]));
const identical = {};
const baselineNode = runTask(['noop']);
// With --pcap-packets, the Decoder's fields over node_pcap's packets, for the agreement check.
const decodeCheck = pcapLimit && pcapVersion ? runTask(['decode', IN, String(pcapLimit)]) : null;
log(`node + pcapkit loaded, doing nothing: peak RSS ${(baselineNode.maxrssKB / 1024).toFixed(1)} MiB`);

// filterFile's output against tcpdump's, once both of a pair exist; both are removed after.
function checkPair(group) {
  const pair = jobs.filter((j) => j.group === group && j.out);
  if (pair.length !== 2 || !pair.every((j) => fs.existsSync(j.out))) return;
  identical[group] = sameFiles(pair[0].out, pair[1].out);
  for (const j of pair) fs.rmSync(j.out, { force: true });
}
if (opts.null) {
  // Timed runs write to /dev/null: check the real outputs once, untimed, beforehand.
  for (const j of jobs.filter((x) => x.out)) {
    j.run(j.out);
    checkPair(j.group);
  }
}

// ---- rounds ---------------------------------------------------------------------------
const loadStart = os.loadavg();
for (let round = 0; round < opts.rounds; round++) {
  const rot = round % jobs.length;
  let order = [...jobs.slice(rot), ...jobs.slice(0, rot)];
  if (round % 2 === 1) order = order.reverse();
  const parts = [];
  for (const job of order) {
    if (job.out) fs.rmSync(job.out, { force: true });
    // Start every job with no writeback pending from the one before (outputs are GBs).
    if (hasSync) spawnSync('sync');
    const r = job.run(opts.null || !job.out ? '/dev/null' : job.out);
    runs.get(job.id).push(r);
    parts.push(`${job.id} ${r.ms.toFixed(0)}ms`);
    if (!job.out || opts.null) continue;
    // First round: compare filterFile's output with tcpdump's once both exist.
    if (round === 0) checkPair(job.group);
    else fs.rmSync(job.out, { force: true });
  }
  log(`round ${round + 1}/${opts.rounds}: ${parts.join(', ')}`);
}
for (const j of jobs) if (j.out) fs.rmSync(j.out, { force: true });

// ---- report ---------------------------------------------------------------------------
const median = (xs) => {
  const s = xs.filter((x) => x !== null && x !== undefined).sort((a, b) => a - b);
  if (s.length === 0) return null;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const max = (xs) => {
  const s = xs.filter((x) => x !== null && x !== undefined);
  return s.length ? Math.max(...s) : null;
};
const MB = (kb) => (kb === null ? null : (kb * 1024) / 1e6);

const summary = {};
for (const j of jobs) {
  const rs = runs.get(j.id);
  const med = median(rs.map((r) => r.ms));
  summary[j.id] = {
    group: j.group,
    role: j.role,
    medianMs: med,
    minMs: Math.min(...rs.map((r) => r.ms)),
    maxMs: Math.max(...rs.map((r) => r.ms)),
    packetsPerSec: (jobPackets(j.id) / med) * 1000,
    peakRssMB: MB(max(rs.map((r) => r.maxrssKB))),
    medianCpuMs: median(rs.map((r) => (r.userMs ?? NaN) + (r.sysMs ?? NaN)).filter((x) => !Number.isNaN(x))),
    runs: rs,
  };
}

// Consistency: every reader saw every packet and byte.
const warnings = [];
for (const j of jobs) {
  for (const r of runs.get(j.id)) {
    if (r.packets !== undefined && r.packets !== jobPackets(j.id)) {
      warnings.push(`${j.id}: read ${r.packets} packets, expected ${jobPackets(j.id)}`);
    }
  }
}
const readBytes = new Set(jobs.filter((j) => j.group === 'read').flatMap((j) => runs.get(j.id).map((r) => r.bytes)));
if (readBytes.size > 1) warnings.push(`read loops disagree on the byte count: ${[...readBytes].join(', ')}`);

// A measure: one job's wall and CPU ms per packet in each round (jobs over fewer packets compare
// by rate), with its medians; or the difference of two measures (time beyond a baseline loop).
function measure(id) {
  if (!summary[id]) return null;
  const n = jobPackets(id);
  const rs = runs.get(id);
  const wall = rs.map((r) => r.ms / n);
  const cpu = rs.map((r) => ((r.userMs ?? NaN) + (r.sysMs ?? NaN)) / n);
  return { wall, cpu, medWall: summary[id].medianMs / n, medCpu: summary[id].medianCpuMs / n };
}
function minus(a, b) {
  if (!a || !b) return null;
  return {
    wall: a.wall.map((x, i) => x - b.wall[i]),
    cpu: a.cpu.map((x, i) => x - b.cpu[i]),
    medWall: a.medWall - b.medWall,
    medCpu: a.medCpu - b.medCpu,
  };
}
const ratios = [];
// value (judged) = ratio of median times; dir '<=' or '>=' the target; target null: informative.
function ratio(name, a, b, target, dir = '<=') {
  if (!a || !b) return;
  const paired = median(a.wall.map((x, i) => x / b.wall[i]));
  const value = a.medWall / b.medWall;
  const cpu = a.medCpu / b.medCpu;
  const pass = target === null ? null : dir === '<=' ? value <= target : value >= target;
  ratios.push({ name, value, pairedMedian: paired, cpuRatio: cpu, target, dir, pass });
}
for (const f of FILTERS) ratio(`filterFile/tcpdump ${label(f)}`, measure(`filterFile ${label(f)}`), measure(`tcpdump ${label(f)}`), TARGETS.filter);
ratio('for-await/C loop', measure(ITER), measure('C pcap_loop'), TARGETS.iter);
ratio("pcapng filterFile/tcpdump ''", measure(NG_FILTER), measure(NG_TCPDUMP), TARGETS.ngVsTcpdump);
ratio("filterFile pcapng/pcap ''", measure(NG_FILTER), measure("filterFile ''"), TARGETS.ngVsPcap);
ratio('for-await pcapng/pcap', measure(NG_ITER), measure(ITER), TARGETS.ngVsPcap);
ratio("filterFile stdin/path ''", measure(STDIN_FILTER), measure("filterFile ''"), TARGETS.stdinVsPath);
ratio('batches/C loop', measure('batches()'), measure('C pcap_loop'), TARGETS.batches);
ratio('Decoder loop/for-await', measure(DECODER), measure(ITER), TARGETS.decode);
ratio('pkt.data loop/for-await', measure(DATA), measure(ITER), null);
ratio('Decoder loop/pkt.data loop', measure(DECODER), measure(DATA), null);
ratio('decodeFromBatch loop/for-await', measure(DECODEBATCH), measure(ITER), null);
// The target compares the decoders: what decoding adds to the same plain loop, node_pcap's
// against ours. The whole loops (which include pcapkit's reading in both) are shown as well.
ratio('pcap/Decoder, decode only', minus(measure(PCAPDEC), measure(PCAPITER)), minus(measure(DECODER), measure(ITER)), TARGETS.vsPcap, '>=');
ratio('pcap/Decoder, whole loop', measure(PCAPDEC), measure(DECODER), null);

// Both decoders must have seen the same thing: packets with IPv4, TCP, UDP, sums of ports and
// of IPv4 sources. With a packet limit, an untimed Decoder run over the same packets is compared.
let decodeAgreement = null;
if (summary[DECODER] && summary[PCAPDEC]) {
  const ours = (pcapLimit ? decodeCheck : runs.get(DECODER)[0]).decoded;
  const theirs = runs.get(PCAPDEC)[0].decoded;
  const inBatches = runs.get(DECODEBATCH)?.[0]?.decoded;
  const same = JSON.stringify(ours) === JSON.stringify(theirs) && (pcapLimit || !inBatches || JSON.stringify(inBatches) === JSON.stringify(ours));
  decodeAgreement = { same, pcapkit: ours, pcap: theirs };
  if (!same) warnings.push(`Decoder and node_pcap disagree: ${JSON.stringify(ours)} vs ${JSON.stringify(theirs)}`);
}
const pcapkitJobs = jobs.filter((j) => j.role === 'pcapkit');
const worstRss = pcapkitJobs.reduce((w, j) => (summary[j.id].peakRssMB > (w?.mb ?? -1) ? { id: j.id, mb: summary[j.id].peakRssMB } : w), null);

const fmt = (x, d = 0) => (x === null || x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(d));
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
const W = Math.max(24, ...jobs.map((j) => j.id.length + 2));
const lines = [];
lines.push('');
lines.push(
  `pcapkit bench: ${cap.packets} packets, ${(cap.bytes / 1e6).toFixed(0)} MB, ${opts.rounds} rounds, ` +
    `${os.cpus().length} CPUs, node ${process.version}`,
);
lines.push('');
lines.push(
  `${pad('job', W)}${lpad('median ms', 11)}${lpad('min', 9)}${lpad('max', 9)}${lpad('Mpkt/s', 9)}` +
    `${lpad('CPU ms', 9)}${lpad('peak RSS MB', 13)}`,
);
for (const j of jobs) {
  const s = summary[j.id];
  lines.push(
    `${pad(j.id, W)}${lpad(fmt(s.medianMs), 11)}${lpad(fmt(s.minMs), 9)}${lpad(fmt(s.maxMs), 9)}` +
      `${lpad(fmt(s.packetsPerSec / 1e6, 2), 9)}${lpad(fmt(s.medianCpuMs), 9)}${lpad(fmt(s.peakRssMB, 1), 13)}`,
  );
}
lines.push(`${pad('(node + pcapkit, idle)', W)}${lpad('', 47)}${lpad(fmt(MB(baselineNode.maxrssKB), 1), 13)}`);
lines.push('');
lines.push(`${pad('target', 34)}${lpad('ratio', 8)}${lpad('paired', 8)}${lpad('CPU', 8)}${lpad('goal', 9)}  result`);
for (const r of ratios) {
  lines.push(
    `${pad(r.name, 34)}${lpad(fmt(r.value, 3), 8)}${lpad(fmt(r.pairedMedian, 3), 8)}${lpad(fmt(r.cpuRatio, 3), 8)}` +
      `${lpad(r.target === null ? 'info' : `${r.dir} ${r.target}`, 9)}  ${r.pass === null ? '-' : r.pass ? 'PASS' : 'MISS'}`,
  );
}
const rssPass = worstRss !== null && worstRss.mb !== null && worstRss.mb <= TARGETS.rssMB;
lines.push(
  `${pad(`peak RSS (worst: ${worstRss?.id})`, 34)}${lpad(fmt(worstRss?.mb, 1), 8)}${lpad('', 16)}` +
    `${lpad(`<= ${TARGETS.rssMB}`, 9)}  ${rssPass ? 'PASS' : 'MISS'}`,
);
lines.push('');
lines.push(
  "ratio (judged): ratio of the median wall times; paired: median over rounds of that round's ratio; " +
    'CPU: ratio of median user+sys CPU times. MB = 10^6 bytes.',
);
lines.push(`filter outputs: ${opts.null ? '/dev/null (outputs compared once, untimed)' : opts.outDir}`);
lines.push('pcapkit times are in-process (node startup excluded); tcpdump and the C loop are whole processes.');
if (summary[DECODER]) {
  lines.push(
    `decode: '${DECODER}' = '${ITER}' + d.decodePacket(pkt) with one reused Decoder, reading the IPv4 source ` +
      'as an integer and the TCP/UDP ports; Decoder loop/for-await: its whole loop over the plain loop.',
  );
  lines.push(
    `'${DATA}' = the plain loop + pkt.data and its byte 12: the view and the first touch of the packet's bytes ` +
      '(filled by the reader thread) that any decoder pays; the two info ratios split the Decoder loop at it.',
  );
}
if (summary[PCAPDEC]) {
  lines.push(
    `'${PCAPDEC}': the same loop (pcapkit's reader for I/O) with node_pcap ${pcapVersion} decoding each packet ` +
      "(decode.packet({ buf, header, link_type })) and reading the same fields.",
  );
  lines.push(
    `pcap/Decoder, decode only = each loop minus its plain for-await loop ('${PCAPITER}', '${ITER}'): the decoders' ` +
      'own work; the >= 5x target is judged on this one. whole loop = node_pcap loop time / Decoder loop time.',
  );
  if (pcapLimit) {
    lines.push(
      `node_pcap decoded only the first ${pcapLimit} of ${cap.packets} packets (--pcap-packets): its ratios compare ` +
        'time per packet.',
    );
  }
}
if (decodeAgreement) {
  const a = decodeAgreement.pcapkit;
  lines.push(
    `Decoder vs node_pcap fields: ${decodeAgreement.same ? 'identical' : 'DIFFERENT'} (IPv4 ${a.ipv4}, TCP ${a.tcp}, ` +
      `UDP ${a.udp} packets; port sum ${a.portSum}, IPv4 source sum ${a.ipSum}, both int32-wrapped)`,
  );
}
lines.push('');
for (const [g, r] of Object.entries(identical)) {
  lines.push(`filterFile output vs tcpdump, ${g.replace('filter ', '')}: ${r.identical ? 'byte-identical' : 'DIFFERENT'} (${r.detail})`);
}
const loadEnd = os.loadavg();
lines.push(
  `load average (1 min) before the rounds ${loadStart[0].toFixed(2)}, after ${loadEnd[0].toFixed(2)} (the bench adds ~1)` +
    (loadStart[0] > 0.5 ? ': other work was running, expect noise' : ''),
);
for (const w of warnings) lines.push(`WARNING: ${w}`);
console.log(lines.join('\n'));

// What exactly was measured: the tree is shared and rebuilt by others while benches run.
function provenance() {
  const root = path.resolve(here, '../..');
  const stat = (f) => {
    try {
      return { path: f, mtime: fs.statSync(f).mtime.toISOString() };
    } catch {
      return null;
    }
  };
  let addon = null;
  try {
    addon = stat(createRequire(import.meta.url)('node-gyp-build').path(root));
  } catch {
    // not resolvable: leave it out
  }
  const head = spawnSync('git', ['-C', root, 'rev-parse', 'HEAD'], { encoding: 'utf8' });
  return {
    gitHead: head.status === 0 ? head.stdout.trim() : null,
    addon,
    distEsm: stat(path.join(root, 'dist/esm/index.mjs')),
    distReader: stat(path.join(root, 'dist/cjs/reader.js')),
  };
}

const tcpdumpVersion = tcpdump ? spawnSync(tcpdump, ['--version'], { encoding: 'utf8' }).stdout.split('\n').slice(0, 2) : null;
const results = {
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, totalMemMB: Math.round(os.totalmem() / 1e6) },
  node: process.version,
  tcpdump: tcpdumpVersion,
  capture: { path: IN, packets: cap.packets, bytes: cap.bytes, generatorVersion: GENERATOR_VERSION },
  rounds: opts.rounds,
  outDir: opts.null ? '/dev/null' : opts.outDir,
  loadavg: { start: loadStart, end: os.loadavg() },
  provenance: provenance(),
  measurement: {
    external: runwrap ? 'runwrap (fork..wait4, ru_maxrss)' : gnuTime ? 'spawnSync + GNU time' : 'spawnSync',
    pcapkit: 'in-process wall time of the operation; maxRSS from process.resourceUsage()',
  },
  nodeIdleRssMB: MB(baselineNode.maxrssKB),
  jobs: summary,
  ratios,
  peakRss: { worst: worstRss, target: TARGETS.rssMB, pass: rssPass },
  identical,
  decode: { pcapVersion, pcapPackets: pcapLimit ?? (summary[PCAPDEC] ? cap.packets : null), agreement: decodeAgreement },
  warnings,
};
fs.writeFileSync(path.join(DATA_DIR, 'results.json'), JSON.stringify(results, null, 2) + '\n');
log(`results written to ${path.join(DATA_DIR, 'results.json')}`);
