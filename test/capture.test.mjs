// capture(): timed and counted captures to files, on loopback (root only).
import { before, after } from 'node:test';
import { test, captureSkip } from './support/skips.mjs';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { PCAPReader, PCAPSocket, capture, defaultCaptureName } from '../dist/esm/index.mjs';
import { collect } from './support/collect.mjs';
import { capinfosCount, toolsSkip } from './support/oracle.mjs';

const needRoot = captureSkip();

let dir;
before(() => (dir = mkdtempSync(join(tmpdir(), 'pcapkit-capture-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

function flood(port, everyMs) {
  const tx = dgram.createSocket('udp4');
  let i = 0;
  const iv = setInterval(() => tx.send(`datagram ${i++}`, port, '127.0.0.1'), everyMs);
  return () => {
    clearInterval(iv);
    tx.close();
  };
}

test('default file names follow fieldedge-pcap', () => {
  const when = new Date(2026, 10, 23, 9, 5, 7);
  assert.equal(defaultCaptureName('eth0', 30, when), 'capture_20261123T090507_30_eth0.pcap');
  assert.equal(defaultCaptureName('any', 5, when), 'capture_20261123T090507_5_any.pcap');
});

test('a timed capture writes the default-named file with every packet it counted', { skip: needRoot }, async () => {
  const port = 47000 + (process.pid % 1000);
  const stop = flood(port, 10);
  const t0 = performance.now();
  const r = await capture({ device: 'lo', filter: `udp port ${port}`, duration: 1, directory: dir });
  const elapsed = performance.now() - t0;
  stop();
  assert.match(basename(r.path), /^capture_\d{8}T\d{6}_1_lo\.pcap$/);
  assert.ok(elapsed >= 950 && elapsed < 4000, `ran ${elapsed.toFixed(0)} ms`);
  assert.ok(r.packets >= 20, `${r.packets} packets`);
  assert.equal(statSync(r.path).mode & 0o777, 0o600);
  const back = await collect(new PCAPReader(r.path));
  assert.equal(back.length, r.packets);
  for (const p of back) assert.match(p.data.subarray(42).toString(), /^datagram \d+$/);
  if (!toolsSkip) assert.equal(capinfosCount(r.path).count, r.packets);
});

test('a counted capture stops at exactly count packets; an AbortSignal stops it early', { skip: needRoot }, async () => {
  const port = 48000 + (process.pid % 1000);
  const stop = flood(port, 5);
  const r = await capture({ device: 'lo', filter: `udp port ${port}`, count: 7, file: join(dir, 'seven.pcap'), timeout: 50 });
  assert.equal(r.packets, 7);
  assert.equal((await collect(new PCAPReader(r.path))).length, 7);
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 300);
  await assert.rejects(
    capture({ device: 'lo', filter: `udp port ${port}`, duration: 30, file: join(dir, 'aborted.pcap'), signal: ac.signal }),
    (e) => e.name === 'AbortError',
  );
  stop();
  // what was captured before the abort is a valid file
  await collect(new PCAPReader(join(dir, 'aborted.pcap')));
});
