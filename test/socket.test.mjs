// Live capture on loopback. Needs root (or cap_net_raw); skips with the reason otherwise.
import { test, captureSkip, skipFor, tool } from './support/skips.mjs';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { readableCopy } from './support/readable-copy.mjs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PCAPSocket, PcapError } from '../dist/esm/index.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const needRoot = captureSkip();

function udpPort() {
  return 40000 + Math.floor(Math.random() * 20000);
}

async function take(sock, n, ms) {
  const out = [];
  const timer = setTimeout(() => sock.close(), ms);
  for await (const p of sock) {
    out.push(p);
    if (out.length === n) break;
  }
  clearTimeout(timer);
  return out;
}

test('a UDP exchange on 127.0.0.1 is captured with exact payloads, ports and ordered timestamps', { skip: needRoot }, async () => {
  const port = udpPort();
  const sock = new PCAPSocket('lo', { filter: `udp port ${port}`, timeout: 50 });
  assert.equal(sock.linktypeName, 'EN10MB');
  const tx = dgram.createSocket('udp4');
  await new Promise((r) => tx.bind(0, '127.0.0.1', r));
  const before = Date.now() / 1000;
  const payloads = Array.from({ length: 5 }, (_, i) => `pcapkit packet ${i} ${'x'.repeat(i * 10)}`);
  const sending = (async () => {
    await new Promise((r) => setTimeout(r, 100));
    for (const p of payloads) {
      await new Promise((r) => tx.send(p, port, '127.0.0.1', r));
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const got = await take(sock, 5, 5000);
  await sending;
  const srcPort = tx.address().port;
  tx.close();
  assert.equal(got.length, 5);
  let last = 0;
  got.forEach((p, i) => {
    const ihl = (p.data[14] & 0x0f) * 4;
    const udp = 14 + ihl;
    assert.equal(p.data.readUInt16BE(12), 0x0800);
    assert.equal(p.data.readUInt16BE(udp + 2), port, 'destination port');
    assert.equal(p.data.readUInt16BE(udp), srcPort, 'source port');
    assert.equal(p.data.subarray(udp + 8).toString(), payloads[i]);
    assert.ok(p.timestamp >= last, 'timestamps in order');
    assert.ok(p.timestamp >= before - 1 && p.timestamp <= Date.now() / 1000 + 1, 'timestamp is now');
    assert.ok(Number.isInteger(p.tsNsec) && p.tsNsec < 1e9);
    last = p.timestamp;
  });
  assert.equal(sock.closed, true);
});

test('a single packet on a quiet link arrives with no more traffic to push it out', { skip: needRoot }, async () => {
  const port = udpPort();
  const timeout = 200;
  const sock = new PCAPSocket('lo', { filter: `udp port ${port}`, timeout });
  const tx = dgram.createSocket('udp4');
  let sentAt = 0;
  setTimeout(() => {
    sentAt = performance.now();
    tx.send('quiet', port, '127.0.0.1');
  }, 300);
  const [p] = await take(sock, 1, 5000);
  const latency = performance.now() - sentAt;
  tx.close();
  // Held back until more traffic came, it would not arrive before take() gave up (25 timeouts
  // later). How soon after the timeout it comes is a latency goal, not asserted here.
  assert.ok(p, `the packet arrived on a quiet link (after ${latency.toFixed(0)} ms, timeout ${timeout} ms)`);
});

test('immediate mode delivers a packet at once, well before the timeout', { skip: needRoot }, async () => {
  const port = udpPort();
  const sock = new PCAPSocket('lo', { filter: `udp port ${port}`, timeout: 2000, immediate: true });
  const tx = dgram.createSocket('udp4');
  let sentAt = 0;
  setTimeout(() => {
    sentAt = performance.now();
    tx.send('now', port, '127.0.0.1');
  }, 200);
  const [p] = await take(sock, 1, 5000);
  const latency = performance.now() - sentAt;
  tx.close();
  assert.ok(p, 'the packet arrived');
  // Without immediate mode it would wait for the 2000 ms timeout: the control is the timeout.
  assert.ok(latency < 2000, `delivered after ${latency.toFixed(0)} ms with a 2000 ms timeout`);
});

test('device properties: loopback network and netmask, activation warnings as an array', { skip: needRoot }, async () => {
  const sock = new PCAPSocket('lo', { timeout: 50 });
  assert.equal(sock.network, '127.0.0.0');
  assert.equal(sock.netmask, '255.0.0.0');
  assert.ok(Array.isArray(sock.warnings));
  await sock.close();
  const any = new PCAPSocket('any', { timeout: 50 });
  assert.equal(any.linktypeName, 'LINUX_SLL');
  assert.equal(any.network, null);
  await any.close();
});

test('stats() counts what the kernel delivered; setFilter works while running', { skip: needRoot }, async () => {
  const port = udpPort();
  const sock = new PCAPSocket('lo', { filter: `udp port ${port}`, timeout: 50 });
  assert.throws(() => sock.setFilter('udp port'), (e) => e.code === 'EFILTER');
  const tx = dgram.createSocket('udp4');
  const iv = setInterval(() => tx.send('a', port, '127.0.0.1'), 10);
  const got = await take(sock, 3, 5000).finally(() => clearInterval(iv));
  tx.close();
  assert.equal(got.length, 3);
  assert.equal(sock.closed, true);
  assert.throws(() => sock.stats(), (e) => e.code === 'ECLOSED');
  const live = new PCAPSocket('lo', { timeout: 50 });
  const s = live.stats();
  assert.ok(s.received >= 0 && s.dropped >= 0 && s.ifDropped >= 0);
  await live.close();
});

test('unknown devices and impossible sends fail with typed errors', { skip: needRoot }, async () => {
  assert.throws(() => new PCAPSocket('nosuchdev0'), (e) => e instanceof PcapError && e.code === 'ENODEV');
  const any = new PCAPSocket('any', { timeout: 50 });
  assert.throws(() => any.send(Buffer.alloc(60)), (e) => e instanceof PcapError && e.code === 'ENOTSUP');
  await any.close();
  const lo = new PCAPSocket('lo', { timeout: 50 });
  assert.throws(() => lo.send(Buffer.alloc(70000)), (e) => e instanceof PcapError && e.code === 'EMSGSIZE');
  await lo.close();
});

test('close() from another task ends the loop and lets the process exit', { skip: needRoot }, () => {
  const script = `
    const { PCAPSocket } = require(${JSON.stringify(join(root, 'dist/cjs/index.js'))});
    const s = new PCAPSocket('lo', { filter: 'udp port 9', timeout: 1000 });
    setTimeout(() => s.close(), 100);
    (async () => { for await (const p of s) {} console.log('loop ended'); })();`;
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /loop ended/);
  assert.ok(Date.now() - t0 < 5000, 'exited promptly');
});

test('unprivileged capture fails with EPERM and says how to grant it', { skip: needRoot }, (t) => {
  if (skipFor(t, tool('setpriv', { pkg: 'util-linux' }))) return;
  const setpriv = execFileSync('sh', ['-c', 'command -v setpriv'], { encoding: 'utf8' }).trim();
  // nobody loads a readable copy: the checkout may sit under a private directory
  const copy = readableCopy(root, mkdtempSync(join(tmpdir(), 'pcapkit-nobody-')));
  const script = `
    const { PCAPSocket } = require(${JSON.stringify(join(copy, 'dist/cjs/index.js'))});
    try { new PCAPSocket('lo'); console.log('opened'); } catch (e) { console.log(e.code + ' ' + e.message); }`;
  let r;
  try {
    r = spawnSync(setpriv, ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '--inh-caps=-all', process.execPath, '-e', script], { encoding: 'utf8', timeout: 10_000, cwd: '/' });
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
  assert.match(r.stdout, /^EPERM /, r.stderr);
  assert.match(r.stdout, /setcap cap_net_raw,cap_net_admin\+eip/);
});

test('at most maxQueued batches wait for a stalled consumer, however large the kernel buffer', { skip: needRoot, timeout: 30_000 }, async () => {
  const port = udpPort();
  const maxQueued = 2;
  const sock = new PCAPSocket('lo', { filter: `udp port ${port}`, timeout: 20, bufferSize: 64 << 20, maxQueued });
  const flood = `
    const s = require('node:dgram').createSocket('udp4');
    const buf = Buffer.alloc(1000, 7);
    let i = 0;
    (function burst() {
      for (let k = 0; k < 500 && i < 60000; k++, i++) s.send(buf, ${port}, '127.0.0.1');
      if (i < 60000) setImmediate(burst); else setTimeout(() => s.close(), 200);
    })();`;
  const it = sock.batches();
  const first = it.next(); // starts the capture
  const child = spawnSync(process.execPath, ['-e', flood], { timeout: 20_000 }); // we stall meanwhile
  assert.equal(child.status, 0);
  await first;
  await new Promise((r) => setTimeout(r, 300));
  const waiting = sock['queue'].length; // batches handed over but not yet taken
  assert.ok(waiting <= maxQueued + 1, `${waiting} batches waiting with maxQueued ${maxQueued}`);
  const st = sock.stats();
  assert.ok(st.dropped > 0, `the kernel counted the overflow (${JSON.stringify(st)})`);
  await it.return();
  assert.equal(sock.closed, true);
});

test('once close() resolves, the capture and send descriptors are gone', { skip: needRoot }, async () => {
  const { readdirSync } = await import('node:fs');
  const fds = () => readdirSync('/proc/self/fd').length;
  const before = fds();
  for (let i = 0; i < 5; i++) {
    const sock = new PCAPSocket('lo', { timeout: 20 });
    sock.send(Buffer.alloc(60)); // opens the second (send) handle too
    const loop = (async () => {
      for await (const _ of sock) { /* nothing */ }
    })();
    await new Promise((r) => setTimeout(r, 30));
    assert.ok(fds() > before, 'the capture holds descriptors while open');
    await sock.close();
    assert.equal(fds(), before, `round ${i}: descriptors left after close() resolved`);
    await loop;
  }
});
