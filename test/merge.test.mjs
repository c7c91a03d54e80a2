// mergeFiles / pcapkit merge against mergecap: order (equal times across files included),
// bytes on pcap inputs, interfaces on mixed ones, -a, stdin, and damaged inputs.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PcapError, PCAPReader, PCAPWriter, build, ether, ipv4, udp, payload, mergeFiles } from '../dist/esm/index.mjs';
import { corpusFile, corpusSkip, repoRoot } from './support/corpus.mjs';
import { test, tool } from './support/skips.mjs';
import { makeTmpDir } from './support/tmpdir.mjs';

const BIN = join(repoRoot, 'bin', 'pcapkit.js');
const dir = makeTmpDir('pcapkit-merge-');
const tmp = (name) => join(dir, name);
const toolsSkip = tool('mergecap', { pkg: 'wireshark-common' }) || tool('tshark');

function fields(file, f = ['frame.time_epoch', 'frame.interface_id', 'frame.len']) {
  return execFileSync('tshark', ['-r', file, '-T', 'fields', ...f.flatMap((x) => ['-e', x])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

/** A pcap of `n` UDP packets at the given times (seconds), each marked with `tag` in its payload. */
async function makeCapture(name, times, tag, { precision = 'micro' } = {}) {
  const file = tmp(name);
  const w = new PCAPWriter(file, { precision });
  times.forEach((t, i) => {
    const frame = build(ether({}), ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), udp({ srcPort: 1000 + i, dstPort: 53 }), payload(Buffer.from(`${tag}-${i}`)));
    w.write(frame, { tsSec: Math.floor(t), tsNsec: Math.round((t % 1) * 1e6) * 1000 });
  });
  await w.close();
  return file;
}

test('pcap inputs: byte for byte what mergecap -F pcap writes, equal times across files included', { skip: toolsSkip }, async () => {
  // Equal timestamps in both files, and interleaved ones: mergecap keeps the earlier file's first.
  const a = await makeCapture('a.pcap', [1, 2, 2, 3, 5, 5, 8], 'a');
  const b = await makeCapture('b.pcap', [0, 2, 3, 3, 5, 9], 'b');
  const c = await makeCapture('c.pcap', [2, 5, 5.5], 'c');
  const ours = tmp('abc.pcap');
  const r = await mergeFiles([a, b, c], ours);
  assert.equal(r.format, 'pcap');
  assert.equal(r.packetsWritten, 16);
  const ref = tmp('abc.mergecap.pcap');
  execFileSync('mergecap', ['-F', 'pcap', '-w', ref, a, b, c]);
  assert.ok(readFileSync(ours).equals(readFileSync(ref)), 'byte-identical to mergecap');
  // and the order it stands for: by time; equal times across files, the later file first
  // (t=0 b, t=1 a, t=2 c b a a, t=3 b b a)
  const tags = [];
  for await (const p of new PCAPReader(ours)) tags.push(p.data.subarray(42).toString().split('-')[0]);
  assert.deepEqual(tags.slice(0, 9), ['b', 'a', 'c', 'b', 'a', 'a', 'b', 'b', 'a']);
});

test('corpus pcaps: the same bytes as mergecap; -a the same as mergecap -a', { skip: corpusSkip || toolsSkip }, async () => {
  const inputs = ['dns_tcp.pcap', 'many-protocols.pcap', 'ip-frag.pcap'].map(corpusFile);
  for (const append of [false, true]) {
    const ours = tmp(`corpus-${append}.pcap`);
    await mergeFiles(inputs, ours, { append });
    const ref = tmp(`corpus-${append}.mergecap.pcap`);
    execFileSync('mergecap', ['-F', 'pcap', ...(append ? ['-a'] : []), '-w', ref, ...inputs]);
    assert.ok(readFileSync(ours).equals(readFileSync(ref)), `append=${append}: byte-identical to mergecap`);
  }
});

test('different link types give pcapng: the packets, times and interfaces mergecap gives', { skip: corpusSkip || toolsSkip }, async () => {
  const inputs = ['sll.pcap', 'dns_tcp.pcap', 'pcapng-example.pcapng'].map(corpusFile);
  const ours = tmp('mixed.pcapng');
  const r = await mergeFiles(inputs, ours);
  assert.equal(r.format, 'pcapng');
  const ref = tmp('mixed.mergecap.pcapng');
  execFileSync('mergecap', ['-w', ref, ...inputs]);
  assert.equal(fields(ours), fields(ref));
  // a pcap output is refused once a second link type comes (nothing dropped silently)
  await assert.rejects(mergeFiles(inputs, tmp('mixed.pcap'), { format: 'pcap' }), (e) => e instanceof PcapError && e.code === 'EFORMAT' && /merge to pcapng/.test(e.message));
});

test('pcapkit merge -w OUT IN... with one input on stdin', { skip: corpusSkip || toolsSkip }, () => {
  const a = corpusFile('dns_tcp.pcap');
  const b = corpusFile('many-protocols.pcap');
  const out = tmp('cli.pcap');
  const r = spawnSync(process.execPath, [BIN, 'merge', '-q', '-w', out, a, '-'], { input: readFileSync(b) });
  assert.equal(r.status, 0, r.stderr.toString());
  const ref = tmp('cli.mergecap.pcap');
  execFileSync('mergecap', ['-F', 'pcap', '-w', ref, a, b]);
  assert.ok(readFileSync(out).equals(readFileSync(ref)));
});

test('a damaged input: every packet merged before its damage, then its error (exit 2)', { skip: corpusSkip || toolsSkip }, async () => {
  const good = corpusFile('many-protocols.pcap');
  const cut = tmp('cut.pcap');
  const bytes = readFileSync(corpusFile('dns_tcp.pcap'));
  writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
  const out = tmp('damaged.pcap');
  const err = await mergeFiles([good, cut], out).then(() => null, (e) => e);
  assert.ok(err instanceof PcapError, String(err));
  assert.equal(err.code, 'ETRUNCATED');
  assert.equal(err.input, 1);
  assert.match(err.message, /cut\.pcap/);
  // the output is a valid capture holding what was merged
  const held = [];
  for await (const p of new PCAPReader(out)) held.push(p);
  assert.equal(held.length, err.result.packetsWritten);
  const r = spawnSync(process.execPath, [BIN, 'merge', '-q', '-w', tmp('damaged-cli.pcap'), good, cut], { encoding: 'utf8' });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^pcapkit: ETRUNCATED: /m);
});

test('bad arguments: EINVAL; the output as an input: refused before anything is written', async () => {
  await assert.rejects(mergeFiles([], tmp('x.pcap')), { code: 'EINVAL' });
  await assert.rejects(mergeFiles(['-', '-'], tmp('x.pcap')), { code: 'EINVAL' });
  const a = await makeCapture('self.pcap', [1, 2], 's');
  const before = readFileSync(a);
  await assert.rejects(mergeFiles([a], a), (e) => e.code === 'EINVAL' && /output file is an input/.test(e.message));
  assert.ok(readFileSync(a).equals(before));
});
