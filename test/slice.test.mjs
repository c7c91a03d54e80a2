// sliceFile / pcapkit slice: time windows against editcap -A/-B, counts and filters against
// tcpdump -c, time parsing, and its errors. Expected bytes come from the real tools.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PcapError, PCAPReader, parseTime, sliceFile } from '../dist/esm/index.mjs';
import { corpusFile, corpusSkip, repoRoot } from './support/corpus.mjs';
import { test, tool } from './support/skips.mjs';
import { makeTmpDir } from './support/tmpdir.mjs';

const BIN = join(repoRoot, 'bin', 'pcapkit.js');
const dir = makeTmpDir('pcapkit-slice-');
const tmp = (name) => join(dir, name);
const toolsSkip = corpusSkip || tool('editcap', { pkg: 'wireshark-common' }) || tool('tcpdump') || tool('tshark');

/** Epoch times of a capture's packets as tshark prints them (strings, 9 decimals). */
function times(file) {
  return execFileSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.time_epoch'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    .split('\n')
    .filter(Boolean);
}

const WINDOWS = [
  ['many-protocols.pcap', 10, 200],
  ['dns_tcp.pcap', 2, 7],
  ['nanosecs_big_endian.pcap', 1, 3],
  ['sll.pcap', 100, 101],
  ['packet_trailer.pcap', 0, 2], // timestamps out of order: editcap keeps file order
];

test('a time window is what editcap -A/-B writes, byte for byte (pcap inputs)', { skip: toolsSkip }, async () => {
  for (const [name, a, b] of WINDOWS) {
    const input = corpusFile(name);
    const t = times(input);
    const ref = tmp(`${name}.editcap.pcap`);
    const nano = readFileSync(input).readUInt32LE(0) === 0xa1b23c4d || readFileSync(input).readUInt32BE(0) === 0xa1b23c4d;
    execFileSync('editcap', ['-F', nano ? 'nsecpcap' : 'pcap', '-A', t[a], '-B', t[b], input, ref]);
    const out = tmp(`${name}.slice.pcap`);
    const r = await sliceFile(input, out, { start: t[a], end: t[b] });
    const want = readFileSync(ref);
    // editcap writes the header in host order like pcapkit; compare the records and the count
    assert.equal(r.packetsWritten, times(ref).length, `${name}: count`);
    assert.ok(readFileSync(out).equals(want), `${name} [${t[a]}, ${t[b]}): byte-identical to editcap`);
  }
});

test('count, skip and a filter: tcpdump -c for the count, the reader for the skip', { skip: toolsSkip }, async () => {
  const input = corpusFile('many-protocols.pcap');
  const out = tmp('count.pcap');
  await sliceFile(input, out, { filter: 'tcp', count: 25 });
  const ref = tmp('count.tcpdump.pcap');
  execFileSync('tcpdump', ['-r', input, '-w', ref, '-c', '25', 'tcp'], { stdio: 'ignore' });
  assert.ok(readFileSync(out).equals(readFileSync(ref)), 'filter + count = tcpdump -c 25 tcp');

  const all = [];
  for await (const p of new PCAPReader(input, { filter: 'tcp' })) all.push(p.data.toString('hex'));
  const skipped = tmp('skip.pcap');
  const r = await sliceFile(input, skipped, { filter: 'tcp', skip: 40, count: 30 });
  assert.equal(r.packetsWritten, 30);
  const got = [];
  for await (const p of new PCAPReader(skipped)) got.push(p.data.toString('hex'));
  assert.deepEqual(got, all.slice(40, 70), 'the 41st to 70th tcp packets');
});

test('pcapng input stays pcapng; tshark sees the window it asked for', { skip: toolsSkip }, async () => {
  const input = corpusFile('pcapng-example.pcapng'); // several link types
  const t = times(input);
  const out = tmp('window.pcapng');
  const r = await sliceFile(input, out, { start: t[20], end: t[60] });
  assert.equal(r.format, 'pcapng');
  const [from, to] = [parseTime(t[20]), parseTime(t[60])];
  const want = t.filter((x) => parseTime(x) >= from && parseTime(x) < to); // (numbers, not strings)
  assert.ok(want.length > 10, `${want.length} packets in the window`);
  assert.deepEqual(times(out), want);
});

test('from standard input, the same bytes as from the path', { skip: toolsSkip }, () => {
  const input = corpusFile('many-protocols.pcap');
  const t = times(input);
  const a = tmp('stdin.pcap');
  const b = tmp('path.pcap');
  const r1 = spawnSync(process.execPath, [BIN, 'slice', '-q', '-', a, '-A', t[5], '-B', t[300], '-c', '100', 'ip'], { input: readFileSync(input) });
  assert.equal(r1.status, 0, r1.stderr.toString());
  const r2 = spawnSync(process.execPath, [BIN, 'slice', '-q', input, b, '-A', t[5], '-B', t[300], '-c', '100', 'ip']);
  assert.equal(r2.status, 0, r2.stderr.toString());
  assert.ok(readFileSync(a).equals(readFileSync(b)));
  assert.ok(readFileSync(a).length > 24);
});

test('times: ISO-8601 (fractions to the nanosecond, zones), epoch seconds, Dates and bigints', () => {
  assert.equal(parseTime('2010-06-29T19:41:43.708352Z'), 1277840503708352000n);
  assert.equal(parseTime('2010-06-29T21:41:43.123456789+02:00'), 1277840503123456789n);
  assert.equal(parseTime('1277840503.708352'), 1277840503708352000n);
  assert.equal(parseTime('1277840503'), 1277840503000000000n);
  assert.equal(parseTime(1277840503.5), 1277840503500000000n);
  assert.equal(parseTime(new Date(1277840503708)), 1277840503708000000n);
  assert.equal(parseTime(5n), 5n);
  for (const bad of ['nonsense', '2010-13-45T99:00:00Z', '', '12:00']) {
    assert.throws(() => parseTime(bad), (e) => e instanceof PcapError && e.code === 'EINVAL', JSON.stringify(bad));
  }
});

test('bad arguments are EINVAL before anything is written; the CLI says so in one line', { skip: corpusSkip }, async () => {
  const input = corpusFile('many-protocols.pcap');
  await assert.rejects(sliceFile(input, tmp('x.pcap'), { start: 10, end: 5 }), { code: 'EINVAL' });
  await assert.rejects(sliceFile(input, tmp('x.pcap'), { skip: -1 }), { code: 'EINVAL' });
  await assert.rejects(sliceFile(input, tmp('x.pcap'), { start: 'yesterday' }), { code: 'EINVAL' });
  const r = spawnSync(process.execPath, [BIN, 'slice', input, tmp('y.pcap'), '-B', 'soon'], { encoding: 'utf8' });
  assert.equal(r.status, 64, r.stderr);
  assert.match(r.stderr, /'soon' is neither ISO-8601/);
});
