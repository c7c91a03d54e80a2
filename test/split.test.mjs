// splitFile / pcapkit split against editcap -c and -i: names, bytes, and that the pieces
// concatenated are the input.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PCAPReader, PcapError, splitFile } from '../dist/esm/index.mjs';
import { corpusFile, corpusSkip, repoRoot } from './support/corpus.mjs';
import { test, tool } from './support/skips.mjs';
import { makeTmpDir } from './support/tmpdir.mjs';

const BIN = join(repoRoot, 'bin', 'pcapkit.js');
const toolsSkip = corpusSkip || tool('editcap', { pkg: 'wireshark-common' });

async function packets(file) {
  const out = [];
  for await (const p of new PCAPReader(file)) out.push(`${p.tsSec}.${p.tsNsec} ${p.length} ${p.data.toString('hex')}`);
  return out;
}

test('-c N: the files editcap -F pcap -c N writes, by name and byte for byte', { skip: toolsSkip }, async () => {
  const dir = makeTmpDir('pcapkit-split-');
  const input = corpusFile('many-protocols.pcap');
  const r = await splitFile(input, join(dir, 'p.pcap'), { packets: 1000 });
  execFileSync('editcap', ['-F', 'pcap', '-c', '1000', input, join(dir, 'e.pcap')], { env: { ...process.env, TZ: process.env.TZ ?? 'UTC' } });
  const ours = r.files.map((f) => f.slice(dir.length + 1));
  const theirs = readdirSync(dir).filter((f) => f.startsWith('e_')).sort();
  assert.deepEqual(ours.map((f) => f.slice(2)), theirs.map((f) => f.slice(2)), 'the same names');
  for (const f of theirs) assert.ok(readFileSync(join(dir, `p${f.slice(1)}`)).equals(readFileSync(join(dir, f))), f);
  assert.equal(r.packetsWritten, 4709);
  // the pieces, read one after the other, are the input
  const all = [];
  for (const f of r.files) all.push(...(await packets(f)));
  assert.deepEqual(all, await packets(input));
});

test('-i SEC: a file per interval from the first packet, no empty ones; pcapng stays pcapng', { skip: corpusSkip }, async () => {
  const dir = makeTmpDir('pcapkit-split-');
  const input = corpusFile('dns_tcp.pcap');
  const times = (await packets(input)).map((l) => Number(l.split('.')[0]));
  const r = await splitFile(input, join(dir, 't.pcap'), { seconds: 2 });
  const intervals = new Set(times.map((t) => Math.floor((t - times[0]) / 2)));
  assert.equal(r.files.length, intervals.size);
  const all = [];
  for (const f of r.files) {
    const ps = await packets(f);
    assert.ok(ps.length > 0, `${f} holds packets`);
    const first = Math.floor((Number(ps[0].split('.')[0]) - times[0]) / 2);
    for (const p of ps) assert.equal(Math.floor((Number(p.split('.')[0]) - times[0]) / 2), first, `${f}: one interval`);
    all.push(...ps);
  }
  assert.deepEqual(all, await packets(input));
  const ng = await splitFile(corpusFile('pcapng-example.pcapng'), join(dir, 'n.pcapng'), { packets: 50 });
  assert.equal(ng.format, 'pcapng');
  assert.equal(readFileSync(ng.files[0]).readUInt32LE(0), 0x0a0d0d0a);
});

test('pcapkit split: one of -c or -i; bad counts are usage errors', { skip: corpusSkip }, () => {
  const dir = makeTmpDir('pcapkit-split-');
  const input = corpusFile('dns_tcp.pcap');
  const both = spawnSync(process.execPath, [BIN, 'split', input, join(dir, 'x.pcap')], { encoding: 'utf8' });
  assert.equal(both.status, 64, both.stderr);
  const zero = spawnSync(process.execPath, [BIN, 'split', input, join(dir, 'x.pcap'), '-c', '0'], { encoding: 'utf8' });
  assert.equal(zero.status, 64, zero.stderr);
  const ok = spawnSync(process.execPath, [BIN, 'split', '-q', input, join(dir, 'x.pcap'), '-c', '4'], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(readdirSync(dir).length, 3); // 11 packets in 4s
});

test('splitFile refuses nonsense with EINVAL', async () => {
  await assert.rejects(splitFile('x.pcap', 'y.pcap', {}), (e) => e instanceof PcapError && e.code === 'EINVAL');
  await assert.rejects(splitFile('x.pcap', 'y.pcap', { packets: 3, seconds: 1 }), { code: 'EINVAL' });
  await assert.rejects(splitFile('x.pcap', '-', { packets: 3 }), { code: 'EINVAL' });
});
