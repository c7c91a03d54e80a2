// Hostile files through the whole public file path, and the fuzzers' findings kept as tests.
//
// Where the rest of the fuzzing lives:
//   - native reader (C++): scripts/fuzz.sh, libFuzzer + ASan/UBSan, native/fuzz/capture_file_fuzzer.cc;
//   - every TS decoder: test/decode-fuzz.test.mjs (200k seeded decodes on every link type);
//   - summary()/show()/decodedToJSON(): test/decode-present.test.mjs (damaged packets);
//   - the CLI's one-line summaries (lib/cli/tcpdump-summary.ts): test/cli-live.test.mjs (garbage frames);
//   - pcapkit's pcapng parser: test/pcapng.test.mjs (2000 mutants of a corpus file).
// What this file adds, with no corpus needed: files pcapkit writes itself (test/support/
// fuzz-seeds.mjs: classic pcap of several link types and both precisions, a byte-swapped
// file, pcapng with one interface (libpcap reads it) and with two link types (pcapkit's parser
// reads it)), mutated with a seeded PRNG and read the way a user would: PCAPReader with small
// batches, then every packet through the Decoder, decode(), summary(), show(), decodedToJSON(),
// hexdump() and the CLI's summarize(); checkFile() and repairFile() on the same file. The only
// failure allowed is a PcapError of a file-content kind (EFORMAT / ETRUNCATED); checkFile must
// agree with the reader and a repaired file must read back whole.
//
// test/fuzz-regressions/ holds small hostile inputs (built byte by byte by test/support/
// fuzz-findings.mjs, written by scripts/make-fuzz-regressions.mjs: cut headers, lying lengths, a
// pcapng trailer that disagrees, an option past its block, a packet before any IDB ...); each is
// read the same way, and those damaged in one definite way must end in the error it calls for.
import { test } from './support/skips.mjs';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  PCAPReader, PCAPWriter, PcapError, filterFile, Decoder, decode, summary, show, decodedToJSON, hexdump, checkFile, repairFile,
} from '../dist/esm/index.mjs';
import { summarize } from '../dist/cjs/cli/tcpdump-summary.js';
import { writeSeedFiles } from './support/fuzz-seeds.mjs';
import { findings } from './support/fuzz-findings.mjs';
import { makeTmpDir } from './support/tmpdir.mjs';

const REGRESSIONS = new URL('./fuzz-regressions/', import.meta.url).pathname;
const FILE_CODES = new Set(['EFORMAT', 'ETRUNCATED']);

/** mulberry32: the same mutants on every run. */
function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  return { next, int, pick: (xs) => xs[int(xs.length)] };
}

/** One to three mutations aimed at what a reader trusts: lengths, magic, link type, cuts. */
function mutate(original, r) {
  let b = Buffer.from(original);
  const done = [];
  for (let k = 1 + r.int(3); k > 0 && b.length > 0; k--) {
    const at = r.int(b.length);
    switch (r.int(7)) {
      case 0:
        b = b.subarray(0, at);
        done.push(`cut@${at}`);
        break;
      case 1:
        for (let i = 1 + r.int(4); i > 0; i--) b[r.int(b.length)] = r.int(256);
        done.push('bytes');
        break;
      case 2: { // a 32-bit field: caplen, len, snaplen, block length, magic, timestamps
        const o = at & ~3;
        if (o + 4 > b.length) break;
        const old = b.readUInt32LE(o);
        const v = r.pick([0, 1, 15, 16, 17, 64, 65535, 65536, 262144, 262145, 0x7fffffff, 0x80000000,
          0xffffffff, 999_999, 1_000_000, 999_999_999, 1_000_000_000, 0xa1b2c3d4, 0xa1b23c4d,
          0xd4c3b2a1, 0x0a0d0d0a, 0x1a2b3c4d, old + 1, old - 1, old + 4, old - 4, r.int(2 ** 32)]);
        b.writeUInt32LE(v >>> 0, o);
        done.push(`u32@${o}=${v >>> 0}`);
        break;
      }
      case 3: { // a 16-bit field: version, link type, option code/length
        const o = at & ~1;
        if (o + 2 > b.length) break;
        const v = r.pick([0, 1, 2, 3, 4, 9, 12, 101, 113, 220, 276, 0xff, 0xfffc, 0xffff, r.int(65536)]);
        b.writeUInt16LE(v, o);
        done.push(`u16@${o}=${v}`);
        break;
      }
      case 4: {
        const n = 1 + r.int(64);
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + n)]);
        done.push(`del@${at}+${n}`);
        break;
      }
      case 5: {
        const n = 1 + r.int(256);
        b = Buffer.concat([b.subarray(0, at + n), b.subarray(at, at + n), b.subarray(at + n)]);
        done.push(`dup@${at}+${n}`);
        break;
      }
      default: { // grow: zeros or garbage at the end
        const n = 1 + r.int(300);
        const tail = Buffer.alloc(n, r.int(2) ? 0 : 0xff);
        b = Buffer.concat([b, tail]);
        done.push(`tail+${n}`);
      }
    }
  }
  return { bytes: b, what: done.join(',') || 'none' };
}

function expectFileError(err, what) {
  if (!(err instanceof PcapError)) {
    err.message = `${what}: not a PcapError: ${err.message}`;
    throw err;
  }
  assert.ok(FILE_CODES.has(err.code), `${what}: unexpected code ${err.code}: ${err.message}`);
  assert.ok(err.message.length > 0, `${what}: empty message`);
}

const decoder = new Decoder();

/** Everything a user does with one packet; throws on any misbehaviour. */
function exercisePacket(p, what) {
  assert.equal(p.data.length, p.caplen, `${what}: data length`);
  assert.ok(Number.isInteger(p.tsSec) && p.tsSec >= 0, `${what}: tsSec ${p.tsSec}`);
  assert.ok(Number.isInteger(p.tsNsec) && p.tsNsec >= 0 && p.tsNsec < 1e9, `${what}: tsNsec ${p.tsNsec}`);
  decoder.decodePacket(p);
  assert.equal(typeof summary(decoder), 'string');
  assert.equal(typeof show(decoder), 'string');
  const j = decodedToJSON(decoder);
  assert.deepEqual(JSON.parse(JSON.stringify(j)), j, `${what}: JSON round trip`);
  const d = decode(p);
  assert.equal(typeof d.summary(), 'string');
  const s = summarize(p.data, p.linktype, p.length);
  assert.ok(s.summary.length > 0 && !/summary failed/.test(s.summary), `${what}: CLI summary ${s.summary}`);
  if (p.caplen <= 256) assert.equal(typeof hexdump(p.data), 'string');
}

/**
 * Reads `file` the way a user would and returns { opened, packets, error }. Fails the test
 * on anything but a file-content PcapError.
 */
async function readLikeAUser(file, what, options) {
  let reader;
  try {
    reader = new PCAPReader(file, options);
  } catch (err) {
    expectFileError(err, `${what}: open`);
    return { opened: false, packets: 0, error: err };
  }
  assert.ok(['pcap', 'pcapng'].includes(reader.format), `${what}: format ${reader.format}`);
  let packets = 0;
  let error;
  try {
    for await (const p of reader) {
      exercisePacket(p, `${what}: packet ${packets + 1}`);
      packets++;
    }
  } catch (err) {
    expectFileError(err, `${what}: read`);
    error = err;
  }
  assert.equal(reader.closed, true, `${what}: reader closed after the loop`);
  return { opened: true, packets, error, format: reader.format };
}

async function checkAndRepair(file, read, what, dir) {
  const report = await checkFile(file);
  assert.equal(report.packets, read.packets, `${what}: checkFile counts what the reader yields`);
  const want = !read.error ? 'intact' : read.error.code === 'ETRUNCATED' ? 'truncated' : 'corrupt';
  assert.equal(report.status, want, `${what}: checkFile status (${read.error?.message})`);
  if (!read.opened) return;
  const out = join(dir, 'repaired.pcap');
  let rep;
  try {
    rep = await repairFile(file, out);
  } catch (err) {
    // A link type libpcap reads but will not write (a mutated header says 17664): the output
    // cannot be created. That is a PcapError about the output, not a crash. (EIO from addons
    // built before native/dumper.cc checked the link type first, EINVAL since.)
    assert.ok(err instanceof PcapError && ['EINVAL', 'EIO'].includes(err.code), `${what}: repairFile threw ${err}`);
    assert.match(err.message, /isn't supported in savefiles/, `${what}: repairFile`);
    return 'unwritable';
  }
  // Repair goes on past damage (resynchronising): it keeps at least what the reader yields,
  // exactly that when it skipped nothing, and says 'corrupt' when it skipped bytes.
  assert.equal(rep.input, rep.bytesSkipped > 0 ? 'corrupt' : want, `${what}: repairFile status`);
  if (rep.bytesSkipped > 0) {
    assert.ok(rep.packetsWritten >= read.packets, `${what}: repairFile packets ${rep.packetsWritten} >= ${read.packets}`);
    assert.ok(rep.damagedRegions > 0, `${what}: damaged regions counted`);
  } else {
    assert.equal(rep.packetsWritten, read.packets, `${what}: repairFile packets`);
  }
  const back = await checkFile(out);
  assert.equal(back.status, 'intact', `${what}: repaired file ${back.error?.message}`);
  assert.equal(back.packets, rep.packetsWritten, `${what}: repaired file packet count`);
  return 'repaired';
}

test('mutated pcap and pcapng files pcapkit wrote: PcapErrors only, every packet decodes, check/repair agree', {
  timeout: 240_000,
}, async (t) => {
  const dir = makeTmpDir('pcapkit-fuzz-');
  const seeds = (await writeSeedFiles(dir)).map((f) => ({ name: f.split('/').pop(), bytes: readFileSync(f) }));
  const r = prng(0xf022);
  const stats = { mutants: 0, opened: 0, packets: 0, intact: 0, EFORMAT: 0, ETRUNCATED: 0, pcapng: 0, repaired: 0, unwritable: 0 };
  const file = join(dir, 'mutant');
  const started = Date.now();
  for (let i = 0; i < 1500; i++) {
    const seed = seeds[i % seeds.length];
    const { bytes, what: how } = mutate(seed.bytes, r);
    writeFileSync(file, bytes);
    const what = `mutant #${i} of ${seed.name} (${how})`;
    const batch = { batchBytes: 4096 + r.int(3) * 40, batchPackets: 1 + r.int(8), precision: r.pick(['micro', 'nano']) };
    let read;
    try {
      read = await readLikeAUser(file, what, batch);
      if (i % 3 === 0) {
        const how = await checkAndRepair(file, read, what, dir);
        if (how) stats[how]++;
      }
    } catch (err) {
      // Keep the input for whoever debugs this.
      writeFileSync(join(tmpdir(), `pcapkit-fuzz-failing-${i}`), bytes);
      throw err;
    }
    stats.mutants++;
    if (read.opened) stats.opened++;
    if (read.format === 'pcapng') stats.pcapng++;
    stats.packets += read.packets;
    if (read.error) stats[read.error.code]++;
    else if (read.opened) stats.intact++;
  }
  t.diagnostic(`${JSON.stringify(stats)} in ${Date.now() - started} ms`);
  // The mutants must get past open() and hit both kinds of damage, or they test little.
  assert.ok(stats.opened > stats.mutants / 2, JSON.stringify(stats));
  assert.ok(stats.EFORMAT > 50 && stats.ETRUNCATED > 50 && stats.intact > 50, JSON.stringify(stats));
  assert.ok(stats.pcapng > 100 && stats.packets > 5000 && stats.repaired > 100, JSON.stringify(stats));
});

// Found by the test above: repairFile of a file whose (mutated) link type libpcap reads but will
// not write emptied the output path before failing, so any writer given such a link type
// destroyed the file it was pointed at. Fixed in native/dumper.cc; an addon built before that
// throws EIO and truncates, and fails here (rebuild it: npm run build:native).
test('a link type libpcap cannot write leaves the output file untouched (EINVAL, names the file)', async () => {
  const dir = makeTmpDir('pcapkit-fuzz-');
  const precious = Buffer.from('not yours to truncate');
  const out = join(dir, 'out.pcap');
  writeFileSync(out, precious);
  assert.throws(() => new PCAPWriter(out, { linktype: 17664 }), (err) => {
    assert.ok(err instanceof PcapError, String(err));
    assert.equal(err.code, 'EINVAL');
    assert.match(err.message, /out\.pcap: link-layer type 17664 isn't supported in savefiles/);
    return true;
  });
  assert.deepEqual(readFileSync(out), precious, 'the file is unchanged');
  // A fresh path is not created, with or without append.
  for (const append of [false, true]) {
    const fresh = join(dir, `fresh-${append}.pcap`);
    assert.throws(() => new PCAPWriter(fresh, { linktype: 17664, append }), (err) => err instanceof PcapError && err.code === 'EINVAL');
    assert.equal(existsSync(fresh), false, `append=${append}: no file created`);
  }
  // The same through repairFile and filterFile, from a readable file with that link type.
  const input = join(dir, 'lt17664.pcap');
  const w = new PCAPWriter(input, { linktype: 1 });
  w.write(Buffer.alloc(60, 1), { tsSec: 1 });
  await w.close();
  const bytes = readFileSync(input);
  bytes.writeUInt32LE(17664, 20);
  writeFileSync(input, bytes);
  assert.equal((await checkFile(input)).status, 'intact');
  writeFileSync(out, precious);
  await assert.rejects(repairFile(input, out), (err) => err instanceof PcapError && err.code === 'EINVAL');
  assert.deepEqual(readFileSync(out), precious, 'repairFile left the output as it was');
  await assert.rejects(async () => filterFile(input, out, ''), (err) => err instanceof PcapError && err.code === 'EINVAL');
  assert.deepEqual(readFileSync(out), precious, 'filterFile left the output as it was');
});

const regressionFiles = existsSync(REGRESSIONS)
  ? readdirSync(REGRESSIONS).filter((f) => !f.endsWith('.md')).sort()
  : [];
const built = new Map(findings().map((f) => [f.name, f]));

test('test/fuzz-regressions/ holds exactly the findings test/support/fuzz-findings.mjs builds', () => {
  assert.ok(regressionFiles.length > 0, `no finding in ${REGRESSIONS} (node scripts/make-fuzz-regressions.mjs writes them)`);
  assert.deepEqual(regressionFiles, [...built.keys()].sort(), 'the folder lists the builders\' files (node scripts/make-fuzz-regressions.mjs)');
  for (const name of regressionFiles) {
    assert.ok(readFileSync(join(REGRESSIONS, name)).equals(built.get(name).bytes), `${name} is what its builder makes`);
  }
});

test('inputs that once broke a fuzzer now read cleanly or end in a PcapError', async (t) => {
  assert.ok(regressionFiles.length > 0, `no finding in ${REGRESSIONS}`);
  const dir = makeTmpDir('pcapkit-fuzz-');
  for (const name of regressionFiles) {
    const file = join(REGRESSIONS, name);
    const expect = built.get(name)?.expect;
    for (const precision of ['micro', 'nano']) {
      for (const batchBytes of [4096, 1 << 20]) {
        const what = `${name} (${precision}, ${batchBytes})`;
        const read = await readLikeAUser(file, what, { precision, batchBytes, batchPackets: 3 });
        if (expect) {
          assert.equal(read.error?.code, expect.code, `${what}: ${built.get(name).about}: ${read.error?.message}`);
          assert.equal(read.packets, expect.packets, `${what}: packets before the damage`);
        }
        if (precision === 'nano' && batchBytes === 4096) await checkAndRepair(file, read, name, dir);
      }
    }
    t.diagnostic(`${name}: ${expect ? `${expect.packets} packet(s), then ${expect.code}` : 'ok'}`);
  }
});
