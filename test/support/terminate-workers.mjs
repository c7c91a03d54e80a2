// Run by test/workers.test.mjs in a child process, so that a native crash during worker
// teardown fails that test instead of killing the test runner:
//
//   node test/support/terminate-workers.mjs '{"task":"readForever","input":"...","rounds":8,...}'
//
// Starts a worker (worker-tasks.mjs) doing `task`, waits until it is busy, terminates it at a
// random moment in the middle of its work, `rounds` times (CJS and ESM entries alternating).
// Then checks that the main thread can still use pcapkit for the same kind of work and counts
// /proc/self/fd against the count before the first round. Prints one JSON line; exit status 0.
import dgram from 'node:dgram';
import { readdirSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { loadPcapkit } from './worker-tasks.mjs';

const TASKS = new URL('./worker-tasks.mjs', import.meta.url);
const opts = JSON.parse(process.argv[2]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fdCount = () => readdirSync('/proc/self/fd').length;

/** Resolves with the first message matching `pred`; rejects on error, exit or after `ms`. */
function waitFor(worker, pred, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(reject, new Error(`no message from the worker within ${ms} ms`)), ms);
    const onMessage = (m) => pred(m) && finish(resolve, m);
    const onError = (e) => finish(reject, e);
    const onExit = (c) => finish(reject, new Error(`worker exited (${c}) before the message`));
    function finish(fn, v) {
      clearTimeout(timer);
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      fn(v);
    }
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
  });
}

/** Settled fd count: waits (up to `ms`) for pool threads and closing threads to let go. */
async function settledFds(target, ms = 3000) {
  const end = Date.now() + ms;
  let n = fdCount();
  while (n > target && Date.now() < end) {
    await sleep(50);
    n = fdCount();
  }
  return n;
}

const pk = await loadPcapkit('esm');
// One worker started and ended first: whatever the process keeps from its first worker is not
// counted as a leak.
const warm = new Worker(TASKS, { workerData: { task: 'offline', entry: 'cjs', input: opts.input, output: `${opts.output}.warm`, expression: '' } });
await waitFor(warm, (m) => m.done, 20_000);
await warm.terminate();
await sleep(300);
const fdsBefore = fdCount();

// Traffic for the live task: a bounded stream of datagrams while the rounds run.
let sender;
if (opts.port) {
  const tx = dgram.createSocket('udp4');
  let sent = 0;
  const iv = setInterval(() => {
    if (sent++ < 20_000) tx.send(`t${sent}`, opts.port, '127.0.0.1');
  }, 2);
  sender = { stop: () => (clearInterval(iv), tx.close()) };
}

const report = { task: opts.task, rounds: [], hangs: 0 };
try {
  for (let i = 0; i < opts.rounds; i++) {
    const entry = i % 2 ? 'esm' : 'cjs';
    const w = new Worker(TASKS, { workerData: { ...opts, entry } });
    const busy = await waitFor(w, (m) => m.busy, 10_000);
    await sleep(Math.random() * 30);
    const t0 = performance.now();
    let timer;
    const hang = new Promise((r) => (timer = setTimeout(r, 5000, 'hang')));
    const exitCode = await Promise.race([w.terminate(), hang]);
    clearTimeout(timer);
    if (exitCode === 'hang') report.hangs++;
    report.rounds.push({ entry, busy: busy.busy, exitCode, terminateMs: Math.round(performance.now() - t0) });
  }
} finally {
  sender?.stop();
}

// The main thread still works.
if (opts.task === 'liveForever') {
  const port = opts.port + 1;
  const sock = new pk.PCAPSocket('lo', { filter: `udp dst port ${port}`, timeout: 20 });
  const tx = dgram.createSocket('udp4');
  const iv = setInterval(() => tx.send('after', port, '127.0.0.1'), 20);
  const timer = setTimeout(() => sock.close(), 5000);
  let got = 0;
  for await (const _ of sock) if (++got === 3) break;
  clearTimeout(timer);
  clearInterval(iv);
  tx.close();
  report.afterwards = { captured: got };
} else {
  let packets = 0;
  for await (const b of new pk.PCAPReader(opts.input).batches({ recycle: true })) packets += b.count;
  const f = await pk.filterFile(opts.input, `${opts.output}.after`, opts.expression ?? '');
  report.afterwards = { packets, filterRead: f.packetsRead };
}
report.fdsBefore = fdsBefore;
report.fdsAfter = await settledFds(fdsBefore);
console.log(JSON.stringify(report));
