// Compressed captures: gzip is read everywhere (paths, stdin, filters) as if decompressed;
// other compressions are refused with an EFORMAT that names them and how to pipe them in.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PCAPReader, PcapError, checkFile, filterFile } from '../dist/esm/index.mjs';
import { corpusFile, corpusSkip, repoRoot } from './support/corpus.mjs';
import { test, tool } from './support/skips.mjs';
import { makeTmpDir } from './support/tmpdir.mjs';

const BIN = join(repoRoot, 'bin', 'pcapkit.js');
const dir = makeTmpDir('pcapkit-gz-');
const tmp = (name) => join(dir, name);
const skip = corpusSkip || tool('tcpdump');

async function read(path) {
  const out = [];
  let error;
  try {
    for await (const p of new PCAPReader(path)) out.push(`${p.tsSec}.${p.tsNsec} ${p.length} ${p.data.toString('hex')}`);
  } catch (err) {
    error = err;
  }
  return { packets: out, error };
}

test('a .gz capture reads as the capture itself: pcap and pcapng, by path and from stdin', { skip }, async () => {
  for (const name of ['many-protocols.pcap', 'pcapng-example.pcapng']) {
    const plain = corpusFile(name);
    const gz = tmp(`${name}.gz`);
    writeFileSync(gz, gzipSync(readFileSync(plain), { level: 1 }));
    const a = await read(plain);
    const b = await read(gz);
    assert.equal(b.error, undefined, String(b.error));
    assert.deepEqual(b.packets, a.packets, name);
    const r = spawnSync(process.execPath, [BIN, 'read', '-'], { input: readFileSync(gz), maxBuffer: 64 << 20 });
    const s = spawnSync(process.execPath, [BIN, 'read', plain], { maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, r.stderr.toString());
    assert.ok(r.stdout.equals(s.stdout), `${name}: read - on the .gz prints what read prints on the file`);
    assert.equal((await checkFile(gz)).status, 'intact');
  }
});

test('filterFile from a .gz: the bytes tcpdump writes from the decompressed file', { skip }, async () => {
  const plain = corpusFile('many-protocols.pcap');
  const gz = tmp('f.pcap.gz');
  writeFileSync(gz, gzipSync(readFileSync(plain)));
  await filterFile(gz, tmp('f.pcap'), 'tcp port 443');
  execFileSync('tcpdump', ['-r', plain, '-w', tmp('f.tcpdump.pcap'), 'tcp port 443'], { stdio: 'ignore' });
  assert.ok(readFileSync(tmp('f.pcap')).equals(readFileSync(tmp('f.tcpdump.pcap'))));
});

test('a cut .gz: every whole packet, then ETRUNCATED; damaged gzip data: EFORMAT', { skip }, async () => {
  const plain = corpusFile('many-protocols.pcap');
  const all = (await read(plain)).packets;
  const gz = gzipSync(readFileSync(plain));
  writeFileSync(tmp('cut.gz'), gz.subarray(0, gz.length >> 1));
  const cut = await read(tmp('cut.gz'));
  assert.ok(cut.error instanceof PcapError, String(cut.error));
  assert.equal(cut.error.code, 'ETRUNCATED', cut.error.message);
  assert.match(cut.error.message, /gzip data is cut short/);
  assert.ok(cut.packets.length > 100);
  assert.deepEqual(cut.packets, all.slice(0, cut.packets.length));
  // A wrong CRC in the trailer: every packet is delivered, then gzip's own complaint.
  const bad = Buffer.from(gz);
  bad[bad.length - 8] ^= 0xff;
  writeFileSync(tmp('bad.gz'), bad);
  const r = await read(tmp('bad.gz'));
  assert.ok(r.error instanceof PcapError, String(r.error));
  assert.equal(r.error.code, 'EFORMAT');
  assert.match(r.error.message, /damaged gzip data \(incorrect data check\)/);
  assert.deepEqual(r.packets, all);
});

test('zstd, xz, bzip2, lz4, zip: EFORMAT naming the compression and the pipe to use', () => {
  const kinds = {
    zstd: [Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), 'zstdcat'],
    xz: [Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), 'xzcat'],
    bzip2: [Buffer.from('BZh9'), 'bzcat'],
    lz4: [Buffer.from([0x04, 0x22, 0x4d, 0x18]), 'lz4cat'],
    zip: [Buffer.from([0x50, 0x4b, 0x03, 0x04]), 'unzip -p'],
  };
  for (const [name, [magic, toolName]] of Object.entries(kinds)) {
    const f = tmp(`x.${name}`);
    writeFileSync(f, Buffer.concat([magic, Buffer.alloc(64, 1)]));
    assert.throws(() => new PCAPReader(f), (e) => {
      assert.ok(e instanceof PcapError && e.code === 'EFORMAT', `${name}: ${e}`);
      assert.ok(e.message.includes(`${name}-compressed`) && e.message.includes(`${toolName} FILE | pcapkit read -`), e.message);
      return true;
    });
  }
});
