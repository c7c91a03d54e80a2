// worker_threads: the addon is context-aware, so several workers load it at once (through the
// CJS and the ESM entry) and each gets exactly the results the main thread gets. Terminating a
// worker in the middle of a read, a filterFile or a live capture, or a worker ending with its
// handles open, must neither crash nor hang the process nor leak file descriptors.
// Live parts need root (or cap_net_raw); they skip with the reason otherwise.
import { before } from 'node:test';
import { test, captureSkip, skipFor } from './support/skips.mjs';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  PCAPSocket, PCAPWriter, PCAPReader, libpcapVersion,
  build, ether, ipv4, ipv6, tcp, udp, icmp, arp, dnsQuery, payload,
} from '../dist/esm/index.mjs';
import { makeTmpDir } from './support/tmpdir.mjs';
import { tcpdumpFilter, toolsSkip } from './support/oracle.mjs';
import { loadPcapkit, offlineWork } from './support/worker-tasks.mjs';

const TASKS = new URL('./support/worker-tasks.mjs', import.meta.url);
const TERMINATE = new URL('./support/terminate-workers.mjs', import.meta.url).pathname;
const EXPRESSION = 'tcp port 443';
const PACKETS = 40_000;
const dir = makeTmpDir('pcapkit-workers-');
const input = join(dir, 'in.pcap');
const needRoot = captureSkip();

/** Frame number i of the fixture: ARP, DNS over UDP, ICMP echo, TCP over IPv6 and IPv4. */
function frame(i) {
  const eth = ether({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' });
  const client = `10.0.${(i >> 8) & 255}.${1 + (i % 250)}`;
  switch (i % 10) {
    case 0:
      return build(ether({ src: '02:00:00:00:00:01' }), arp({ senderHw: '02:00:00:00:00:01', senderProto: client, targetProto: '10.0.0.254' }));
    case 1:
      return build(eth, ipv4({ src: client, dst: '192.0.2.53' }), udp({ srcPort: 30000 + (i % 3000), dstPort: 53 }),
        dnsQuery({ id: i & 0xffff, name: `host${i % 37}.example.com` }));
    case 2:
      return build(eth, ipv4({ src: client, dst: '192.0.2.1' }), icmp({ id: 7, seq: i & 0xffff }), payload(Buffer.alloc(56, i & 255)));
    case 3:
      return build(eth, ipv6({ src: '2001:db8::1', dst: '2001:db8::2' }), tcp({ srcPort: 40000 + (i % 2000), dstPort: 443, flags: 'PA', seq: i }),
        payload(Buffer.alloc(100 + (i % 900), 0x61)));
    default: {
      const len = i % 3 === 0 ? 1400 : i % 3 === 1 ? 0 : 200 + (i % 50);
      return build(eth, ipv4({ src: client, dst: '192.0.2.80', id: i & 0xffff }),
        tcp({ srcPort: 50000 + (i % 1000), dstPort: i % 10 < 8 ? 443 : 80, flags: len ? 'PA' : 'A', seq: i * 1000 }),
        payload(Buffer.alloc(len, i & 255)));
    }
  }
}

let onMain; // offlineWork on the main thread: what every worker must report
before(async () => {
  const w = new PCAPWriter(input, { precision: 'nano' });
  for (let i = 0; i < PACKETS; i++) w.write(frame(i), { tsSec: 1_700_000_000 + Math.floor(i / 1000), tsNsec: (i % 1000) * 1_000_000 + 123 });
  await w.close();
  onMain = await offlineWork(await loadPcapkit('esm'), { input, output: join(dir, 'main.pcap'), expression: EXPRESSION });
});

/** A worker running `task` from worker-tasks.mjs, with its messages kept in order. */
function startWorker(task, entry, data = {}) {
  const worker = new Worker(TASKS, { workerData: { task, entry, ...data } });
  const messages = [];
  const errors = [];
  let wake = () => {};
  worker.on('message', (m) => (messages.push(m), wake()));
  worker.on('error', (e) => (errors.push(e), wake()));
  const exited = new Promise((r) => worker.once('exit', (code) => (wake(), r(code))));
  /** The first message with `key`; throws on a worker error or after `ms`. */
  async function next(key, ms) {
    const end = Date.now() + ms;
    for (;;) {
      if (errors.length) throw errors[0];
      const m = messages.find((x) => key in x);
      if (m) return m[key];
      if (Date.now() > end) throw new Error(`${task}/${entry}: no '${key}' message within ${ms} ms`);
      await new Promise((r) => {
        wake = r;
        setTimeout(r, 50);
      });
    }
  }
  return { worker, messages, exited, next };
}

const fdCount = () => readdirSync('/proc/self/fd').length;
async function settledFds(target, ms = 3000) {
  const end = Date.now() + ms;
  let n = fdCount();
  while (n > target && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    n = fdCount();
  }
  return n;
}

test('the main-thread reference agrees with tcpdump', (t) => {
  assert.equal(onMain.packets, PACKETS);
  assert.equal(onMain.filterFile.packetsWritten, onMain.bpfMatches);
  assert.equal(onMain.filteredRead.packets, onMain.bpfMatches);
  if (skipFor(t, toolsSkip)) return;
  const ref = join(dir, 'tcpdump.pcap');
  assert.equal(tcpdumpFilter(input, ref, EXPRESSION, { nano: true }).status, 0);
  assert.ok(readFileSync(join(dir, 'main.pcap')).equals(readFileSync(ref)), 'filterFile output equals tcpdump -w');
});

test('four workers at once (CJS and ESM entries) read, filter, compile BPF and decode exactly as the main thread', async () => {
  const entries = ['cjs', 'esm', 'cjs', 'esm'];
  const workers = entries.map((entry, i) =>
    startWorker('offline', entry, { input, output: join(dir, `w${i}.pcap`), expression: EXPRESSION }));
  const results = await Promise.all(workers.map((w) => w.next('done', 30_000)));
  const mainOut = readFileSync(join(dir, 'main.pcap'));
  results.forEach((r, i) => {
    assert.equal(workers[i].messages[0].loaded, entries[i], 'loaded through the entry it was given');
    assert.equal(workers[i].messages[0].version, libpcapVersion());
    assert.deepEqual(r, onMain, `worker ${i} (${entries[i]}) matches the main thread`);
    assert.ok(readFileSync(join(dir, `w${i}.pcap`)).equals(mainOut), `worker ${i}'s filterFile output is byte-identical`);
  });
  assert.deepEqual(await Promise.all(workers.map((w) => w.exited)), [0, 0, 0, 0]);
});

test('a live capture on lo in two workers at once: each sees every datagram', { skip: needRoot }, async () => {
  const port = 40000 + Math.floor(Math.random() * 20000);
  const count = 20;
  const workers = ['cjs', 'esm'].map((entry) => startWorker('live', entry, { port, count, ms: 8000 }));
  await Promise.all(workers.map((w) => w.next('ready', 10_000)));
  const sent = Array.from({ length: count }, (_, i) => `pcapkit worker datagram ${i}`);
  const tx = dgram.createSocket('udp4');
  try {
    for (const p of sent) {
      await new Promise((r) => tx.send(p, port, '127.0.0.1', r));
      await new Promise((r) => setTimeout(r, 2));
    }
    const got = await Promise.all(workers.map((w) => w.next('done', 10_000)));
    for (const g of got) assert.deepEqual(g, sent);
  } finally {
    tx.close();
  }
  assert.deepEqual(await Promise.all(workers.map((w) => w.exited)), [0, 0]);
});

/** Runs terminate-workers.mjs in a child process and returns its report. */
function terminateRounds(opts) {
  // cwd: the temp dir, so that a core file of a crash (where enabled) goes away with it.
  const r = spawnSync(process.execPath, [TERMINATE, JSON.stringify(opts)], { cwd: dir, encoding: 'utf8', timeout: 40_000 });
  const how = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit status ${r.status}`;
  assert.ok(r.status === 0, `the process survives terminating workers mid-${opts.task} (${how}):\n${r.stderr.slice(0, 1500)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

function checkTerminated(report, rounds) {
  assert.equal(report.hangs, 0, 'no terminate() hangs');
  assert.equal(report.rounds.length, rounds);
  for (const r of report.rounds) assert.equal(r.exitCode, 1, 'terminate() resolves with exit code 1');
  assert.ok(report.fdsAfter <= report.fdsBefore, `no file descriptors leaked: ${report.fdsBefore} before, ${report.fdsAfter} after`);
}

// A callback that runs while its worker is being terminated (a pool job's completion, a live
// batch handed over by the capture thread) cannot create JS values any more; the addon must
// give up quietly there (it aborted the whole process before NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS
// and the empty-ArrayBuffer checks in WrapBlock's callers). Many rounds: a live termination hit it
// about once in a few hundred.

test('terminating workers in the middle of a read neither crashes nor hangs; the main thread reads on', () => {
  const rounds = 8;
  const report = terminateRounds({ task: 'readForever', input, output: join(dir, 'tr.pcap'), rounds });
  checkTerminated(report, rounds);
  assert.deepEqual(report.afterwards, { packets: PACKETS, filterRead: PACKETS });
});

test('terminating workers in the middle of a filterFile neither crashes nor hangs; the main thread filters on', () => {
  const rounds = 8;
  const report = terminateRounds({ task: 'filterForever', input, output: join(dir, 'tf.pcap'), expression: EXPRESSION, rounds });
  checkTerminated(report, rounds);
  assert.deepEqual(report.afterwards, { packets: PACKETS, filterRead: PACKETS });
});

test('terminating workers in the middle of a live capture neither crashes nor hangs; the main thread captures on', { skip: needRoot }, () => {
  const rounds = 10;
  const port = 40000 + Math.floor(Math.random() * 20000);
  const report = terminateRounds({ task: 'liveForever', input, output: join(dir, 'tl.pcap'), port, rounds });
  checkTerminated(report, rounds);
  assert.deepEqual(report.afterwards, { captured: 3 });
});

test('workers that end without closing readers, writers and captures leak no file descriptors', async () => {
  const run = async (how, live, entry, i) => {
    const w = startWorker('leaveOpen', entry, { input, output: join(dir, `open${i}.pcap`), live, how });
    const held = await w.next('opened', 10_000);
    assert.ok(held >= (live ? 6 : 4), `the open handles hold descriptors (${held})`);
    // A running capture keeps its worker alive, as it keeps a process alive: terminate that one.
    let timer;
    const alive = new Promise((r) => (timer = setTimeout(r, live && how === 'return' ? 300 : 5000, 'alive')));
    const code = await Promise.race([w.exited, alive]);
    clearTimeout(timer);
    if (code === 'alive') {
      assert.ok(live && how === 'return', `a ${how} worker without a running capture ends by itself`);
      assert.equal(await w.worker.terminate(), 1);
    } else assert.equal(code, 0);
  };
  await run('exit', false, 'cjs', 0); // warm-up: what the first worker leaves behind is not a leak
  await new Promise((r) => setTimeout(r, 300));
  const before = fdCount();
  const cases = [['exit', false], ['return', false], ...(needRoot ? [] : [['exit', true], ['return', true]])];
  let i = 1;
  for (let round = 0; round < 3; round++) {
    for (const [how, live] of cases) await run(how, live, i % 2 ? 'esm' : 'cjs', i++);
  }
  const after = await settledFds(before);
  assert.ok(after <= before, `${i - 1} workers left handles open: ${before} fds before, ${after} after`);
  // And the main thread still opens readers (and captures).
  let n = 0;
  for await (const b of new PCAPReader(input).batches({ recycle: true })) n += b.count;
  assert.equal(n, PACKETS);
  if (!needRoot) await new PCAPSocket('lo', { timeout: 20 }).close();
});
