// Tests of pcapng reading through the public PCAPReader (the capture-file engine,
// native/engine/capture_reader.cc) on the shared capture corpus and on files built here.
// Expected values come from tshark/capinfos at test time, never from the reader itself.
// Build first: npm run build:ts. Run: node --test test/pcapng.test.mjs
import { test, corpusSkip, tool } from './support/skips.mjs';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

const require = createRequire(import.meta.url);
// The CommonJS build, so that the fuzz worker (which require()s it) sees the same classes.
const PKG = require.resolve('../dist/cjs/index.js');
const { PCAPReader, PcapError, sniffFile } = require(PKG);

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const CORPUS = path.join(ROOT, '..', 'shared', 'corpus');
const PCAPS = path.join(CORPUS, 'pcaps');
const pcap = (name) => path.join(PCAPS, name);

const NO_CORPUS = corpusSkip;
const NO_TSHARK = NO_CORPUS || tool('tshark');
const NO_CAPINFOS = tool('capinfos', { pkg: 'wireshark-common' });

const MULTI_IDB = ['pcapng-example.pcapng', 'many_interfaces-1.pcapng', 'GrePackets.pcap'];

// ---------------------------------------------------------------------------------------------
// Helpers

/** A packet as a plain object, with a copy of its bytes. */
const plain = (p) => ({
  tsSec: p.tsSec,
  tsNsec: p.tsNsec,
  caplen: p.caplen,
  length: p.length,
  linktype: p.linktype,
  interfaceIndex: p.interfaceIndex,
  flags: p.flags,
  direction: p.direction,
  comment: p.comment,
  data: Buffer.from(p.data),
});

/**
 * Reads a whole file with PCAPReader, batch by batch. A read error is returned (after the
 * packets yielded before it), not thrown. `batches` records each batch's count and arena size.
 */
async function readAll(file, { precision = 'nano', batchBytes = 1 << 20, batchPackets = 512 } = {}) {
  const reader = new PCAPReader(file, { precision, batchBytes, batchPackets });
  const packets = [];
  const batches = [];
  let error;
  try {
    for await (const b of reader.batches()) {
      assert.ok(b.count >= 1 && b.count <= batchPackets, `a batch of ${b.count} packets`);
      const arena = b.arena;
      batches.push({ count: b.count, arenaBytes: arena.length, first: packets.length });
      for (let i = 0; i < b.count; i++) {
        const off = b.offset(i);
        assert.ok(off >= 0 && off + b.caplen(i) <= arena.length, `packet ${i} lies in the arena`);
        const p = b.packet(i);
        assert.ok(p.data.equals(arena.subarray(off, off + b.caplen(i))), 'data is the arena span');
        assert.ok(
          p.interfaceIndex < reader.interfaces.length,
          `packet ${packets.length + 1}: its interface ${p.interfaceIndex} is known when it is delivered`,
        );
        packets.push(plain(p));
      }
    }
  } catch (err) {
    assert.ok(err instanceof PcapError, `reading ${file} threw a ${err?.name}, not a PcapError`);
    error = err;
  }
  assert.ok(reader.closed, 'the end of the loop closed the reader');
  assert.equal(reader.stats.packetsDelivered, packets.length);
  const interfaces = reader.interfaces.map((i) => ({ ...i }));
  interfaces.forEach((itf, i) => assert.equal(itf.index, i, 'interfaces[i].index === i'));
  return { packets, error, batches, interfaces, precision: reader.precision };
}

const epoch = (p) => `${p.tsSec}.${String(p.tsNsec).padStart(9, '0')}`;

function tshark(args) {
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 256 << 20 });
  return { status: r.status, stdout: r.stdout };
}

/** tshark's len, cap_len, interface_id, time_epoch (and `extra`) per packet, tab-joined. */
function tsharkFrames(file, extra = []) {
  const fields = ['frame.len', 'frame.cap_len', 'frame.interface_id', 'frame.time_epoch', ...extra];
  const r = tshark(['-r', file, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])]);
  return { status: r.status, lines: r.stdout.split('\n').filter((l) => l !== '') };
}

/** tshark's bytes of each frame, as hex (frame_raw of `-T json -x`). */
function tsharkBytes(file) {
  const r = tshark(['-r', file, '-T', 'json', '-x', '-j', 'frame']);
  assert.equal(r.status, 0, `tshark -T json failed on ${file}`);
  return JSON.parse(r.stdout).map((p) => p._source.layers.frame_raw?.[0] ?? '');
}

function capinfosCount(file) {
  const r = spawnSync('capinfos', ['-c', '-M', file], { encoding: 'utf8' });
  const m = /Number of packets:\s*(\d+)/.exec(r.stdout);
  assert.ok(m, `capinfos -c gave no count for ${file}`);
  return Number(m[1]);
}

/** Our packets as tsharkFrames' lines. tshark's interface_id is the id within the section. */
const ourFrames = (packets, interfaces) =>
  packets.map((p) =>
    [p.length, p.caplen, interfaces[p.interfaceIndex].sectionIndex, epoch(p)].join('\t'));

/** Asserts that PCAPReader and tshark agree packet by packet, bytes included. */
async function compareWithTshark(file) {
  const t = tsharkFrames(file);
  assert.equal(t.status, 0, `tshark failed on ${file}`);
  const ours = await readAll(file);
  assert.equal(ours.error, undefined, `no error reading ${file}`);
  assert.equal(ours.packets.length, t.lines.length, `packet count of ${path.basename(file)}`);
  assert.deepEqual(ourFrames(ours.packets, ours.interfaces), t.lines, `len/caplen/interface/time of ${file}`);
  const raw = tsharkBytes(file);
  assert.equal(raw.length, ours.packets.length);
  ours.packets.forEach((p, i) => {
    assert.equal(p.data.toString('hex'), raw[i], `bytes of packet ${i + 1} of ${file}`);
    assert.equal(p.linktype, ours.interfaces[p.interfaceIndex].linktype, `linktype of packet ${i + 1}`);
  });
  return ours;
}

function manifest() {
  const [head, ...rows] = fs
    .readFileSync(path.join(CORPUS, 'manifest.tsv'), 'utf8')
    .split('\n')
    .filter((l) => l !== '');
  const cols = head.split('\t');
  return rows.map((r) => Object.fromEntries(r.split('\t').map((v, i) => [cols[i], v])));
}

/** Link types listed by the manifest, e.g. "EN10MB(1),RAW_12(12)", as the DLTs libpcap reports. */
const manifestLinktypes = (row) =>
  [...row.link_types.matchAll(/\((\d+)\)/g)].map((m) => (Number(m[1]) === 101 ? 12 : Number(m[1])));

/** The PcapError that opening `file` throws (synchronously: regular files are read at once). */
function openError(file) {
  let reader;
  try {
    reader = new PCAPReader(file);
  } catch (err) {
    assert.ok(err instanceof PcapError, `new PCAPReader(${file}) threw a ${err?.name}, not a PcapError`);
    return err;
  }
  reader.close();
  assert.fail(`new PCAPReader(${file}) should have failed`);
}

/** A temporary directory for one test, removed afterwards. */
function withTmpDir(fn) {
  return async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcapkit-pcapng-'));
    try {
      await fn(dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
}

// ---------------------------------------------------------------------------------------------
// 1. Files with several interfaces: what libpcap 1.10 refuses.

for (const name of MULTI_IDB) {
  test(`multi-interface ${name} matches tshark packet by packet`, { skip: NO_TSHARK || NO_CAPINFOS }, async () => {
    const file = pcap(name);
    const ours = await compareWithTshark(file);
    assert.equal(ours.packets.length, capinfosCount(file), 'capinfos -c');
    // These files are here because their interfaces differ; make sure the reader saw that.
    const kinds = new Set(ours.interfaces.map((i) => `${i.linktype}/${i.snaplen}`));
    assert.ok(kinds.size > 1, `${name} has interfaces that differ in link type or snaplen`);
    const row = manifest().find((r) => r.name === name);
    assert.deepEqual(
      [...new Set(ours.interfaces.map((i) => i.linktype))].sort(),
      [...new Set(manifestLinktypes(row))].sort(),
      'link types of the interfaces',
    );
    // One section: the index in the list is the interface id of the file.
    ours.interfaces.forEach((itf, i) => {
      assert.equal(itf.section, 0);
      assert.equal(itf.sectionIndex, i);
    });
  });
}

test('micro precision truncates nanoseconds like libpcap', { skip: NO_CORPUS }, async () => {
  // pcapng-example mixes a nanosecond interface (0) and a microsecond one (1).
  const nano = await readAll(pcap('pcapng-example.pcapng'));
  const micro = await readAll(pcap('pcapng-example.pcapng'), { precision: 'micro' });
  assert.equal(nano.precision, 'nano');
  assert.equal(micro.precision, 'micro');
  assert.equal(micro.packets.length, nano.packets.length);
  assert.ok(nano.packets.some((p) => p.tsNsec % 1000 !== 0), 'the file has sub-microsecond stamps');
  micro.packets.forEach((p, i) => {
    const n = nano.packets[i];
    assert.equal(p.tsSec, n.tsSec);
    assert.equal(p.tsNsec, n.tsNsec - (n.tsNsec % 1000), `packet ${i + 1}`);
  });
});

// 2. Every other pcapng file that tshark reads.

test('other pcapng files of the corpus match tshark', { skip: NO_TSHARK }, async (t) => {
  const rows = manifest().filter((r) => r.format === 'pcapng' && !MULTI_IDB.includes(r.name));
  let compared = 0;
  for (const row of rows) {
    const file = pcap(row.name);
    if (tsharkFrames(file).status !== 0) {
      t.diagnostic(`${row.name}: tshark cannot read it (see the broken-file tests)`);
      continue;
    }
    await compareWithTshark(file);
    compared++;
  }
  // bgp-role, doipPackets, empty, icmp-length-zero, mysql, QinQ, rarp, time_2107 at least.
  assert.ok(compared >= 8, `only ${compared} pcapng files compared`);
});

// 3. Broken files.

test('broken files give the right PcapError', { skip: NO_CORPUS }, async () => {
  const vers1 = openError(pcap('pcapng-invalid-vers-1.pcapng'));
  assert.equal(vers1.code, 'EFORMAT');
  assert.match(vers1.message, /unsupported pcapng savefile version 0\.1/);
  const vers2 = openError(pcap('pcapng-invalid-vers-2.pcapng'));
  assert.equal(vers2.code, 'EFORMAT');
  assert.match(vers2.message, /unsupported pcapng savefile version 1\.1/);

  const tooLong = openError(pcap('shb-option-too-long.pcapng'));
  assert.equal(tooLong.code, 'EFORMAT');

  assert.equal(openError(pcap('no-such-file.pcapng')).code, 'ENOENT');

  // The one engine tells the formats apart by their magic, whatever the file is called.
  const asPcap = new PCAPReader(pcap('empty.pcap'));
  assert.equal(asPcap.format, 'pcap', 'a pcap file is read as pcap');
  await asPcap.close();
  const grePcapng = new PCAPReader(pcap('GrePackets.pcap'));
  assert.equal(grePcapng.format, 'pcapng', 'GrePackets.pcap is a pcapng file');
  await grePcapng.close();

  const empty = await readAll(pcap('empty.pcapng'));
  assert.equal(empty.packets.length, 0);
  assert.equal(empty.error, undefined);
  assert.equal(empty.interfaces.length, 1);
});

test('derived-cut-mid-block.pcapng: 8 packets, then ETRUNCATED', { skip: NO_CORPUS }, async () => {
  const cut = await readAll(pcap('derived-cut-mid-block.pcapng'));
  assert.equal(cut.packets.length, 8);
  assert.ok(cut.error instanceof PcapError);
  assert.equal(cut.error.code, 'ETRUNCATED');
  assert.equal(cut.error.packetsRead, 8);
  assert.match(cut.error.message, /cut short after 8 packets/);
  // It was cut from bgp-role.pcapng: the 8 packets must be that file's first 8.
  const whole = await readAll(pcap('bgp-role.pcapng'));
  assert.equal(whole.error, undefined);
  assert.ok(whole.packets.length > 8);
  assert.deepEqual(cut.packets, whole.packets.slice(0, 8));
  const fileSize = fs.statSync(pcap('derived-cut-mid-block.pcapng')).size;
  assert.ok(cut.error.offset > 0 && cut.error.offset < fileSize, 'offset points into the file');
});

test('empty, cut and malformed files made here', { skip: NO_CORPUS }, withTmpDir(async (dir) => {
  const write = (name, bytes) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, bytes);
    return f;
  };
  assert.equal(openError(write('zero.pcapng', Buffer.alloc(0))).code, 'ETRUNCATED');
  const shb = fs.readFileSync(pcap('empty.pcapng'));
  assert.equal(openError(write('cut-shb.pcapng', shb.subarray(0, 10))).code, 'ETRUNCATED');
  assert.equal(openError(write('two.pcapng', shb.subarray(0, 2))).code, 'ETRUNCATED');
  assert.equal(openError(write('text.pcapng', 'hello world\n')).code, 'EFORMAT');
  assert.equal(openError(dir).code, 'EINVAL', 'a directory');

  // bgp-role.pcapng: SHB (52 bytes), IDB (20 bytes), then its first EPB at byte 72.
  const good = fs.readFileSync(pcap('bgp-role.pcapng'));
  assert.equal(good.readUInt32LE(72), 6, 'first EPB where expected');
  const patched = (at, value) => {
    const b = Buffer.from(good);
    b.writeUInt32LE(value, at);
    return b;
  };
  const cases = [
    ['interface without IDB', patched(72 + 8, 5), /interface 5/],
    ['block too large', patched(72 + 4, 0x2000000), /block too large/],
    ['length not a multiple of 4', patched(72 + 4, 102), /invalid block length/],
    ['caplen beyond the block', patched(72 + 20, 4000), /captured length/],
    ['trailer mismatch', patched(72 + 4, good.readUInt32LE(76) + 4), /don't match/],
  ];
  for (const [what, bytes, message] of cases) {
    const r = await readAll(write('bad.pcapng', bytes));
    assert.equal(r.packets.length, 0, what);
    assert.equal(r.error?.code, 'EFORMAT', what);
    assert.match(r.error.message, message, what);
    assert.equal(r.error.offset, 72, `${what}: offset of the bad block`);
    assert.equal(r.error.packetsRead, 0, what);
  }
}));

// A file built here for what the corpus lacks: SPB, the obsolete PB, epb_flags, LINKTYPE_RAW
// (101), if_tsoffset, 2^-n resolution, unknown blocks and a second, big-endian section.

const pad4 = (n) => (n + 3) & ~3;

/** One block: type, total length, body padded to 4 bytes, total length again. */
function block(type, body, le) {
  const len = 12 + pad4(body.length);
  const b = Buffer.alloc(len);
  const u32 = (v, at) => (le ? b.writeUInt32LE(v, at) : b.writeUInt32BE(v, at));
  u32(type, 0);
  u32(len, 4);
  body.copy(b, 8);
  u32(len, len - 4);
  return b;
}

const WRITERS = {
  u16: [2, 'writeUInt16LE', 'writeUInt16BE'],
  u32: [4, 'writeUInt32LE', 'writeUInt32BE'],
  i64: [8, 'writeBigInt64LE', 'writeBigInt64BE'],
};

/** Builds a block body from [kind, value] parts in one byte order; 'bytes' are padded to 4. */
function fields(le, ...parts) {
  return Buffer.concat(
    parts.map(([kind, v]) => {
      if (kind === 'bytes') return Buffer.concat([v, Buffer.alloc(pad4(v.length) - v.length)]);
      const [size, writeLE, writeBE] = WRITERS[kind];
      const b = Buffer.alloc(size);
      b[le ? writeLE : writeBE](v, 0);
      return b;
    }),
  );
}

function options(le, list) {
  const parts = list.flatMap(([code, v]) => [['u16', code], ['u16', v.length], ['bytes', v]]);
  return fields(le, ...parts, ['u16', 0], ['u16', 0]);
}

const ticks = (le, t) => fields(le, ['u32', Number(t >> 32n)], ['u32', Number(t & 0xffffffffn)]);
const packetData = (le, data, len) =>
  fields(le, ['u32', data.length], ['u32', len], ['bytes', data]);

const shbBlock = (le, minor) =>
  block(0x0a0d0d0a, fields(le, ['u32', 0x1a2b3c4d], ['u16', 1], ['u16', minor], ['i64', -1n]), le);
const idbBlock = (le, linktype, snaplen, opts = []) => {
  const head = fields(le, ['u16', linktype], ['u16', 0], ['u32', snaplen]);
  return block(1, Buffer.concat([head, options(le, opts)]), le);
};
const epbBlock = (le, itf, t, data, len, opts = []) => {
  const head = fields(le, ['u32', itf]);
  const body = [head, ticks(le, t), packetData(le, data, len), options(le, opts)];
  return block(6, Buffer.concat(body), le);
};
const pbBlock = (le, itf, t, data, len) => {
  const head = fields(le, ['u16', itf], ['u16', 3 /* drops count */]);
  return block(2, Buffer.concat([head, ticks(le, t), packetData(le, data, len)]), le);
};
const spbBlock = (le, len, data) => block(3, fields(le, ['u32', len], ['bytes', data]), le);

function syntheticFile() {
  const bytes = (n, seed) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + seed) % 256));
  const ipHeader = Buffer.from('450000200000400040110000c0a80001c0a80002', 'hex');
  const ipv4 = Buffer.concat([ipHeader, bytes(12, 1)]);
  const u8 = (v) => Buffer.from([v]);
  const i64 = (le, v) => fields(le, ['i64', v]);
  const flagsOpt = (le, v) => [2, fields(le, ['u32', v])];
  const LE = true;
  const BE = false;
  return Buffer.concat([
    shbBlock(LE, 0),
    idbBlock(LE, 1, 64, [[2, Buffer.from('eth0')], [3, Buffer.from('first\0')]]), // µs by default
    idbBlock(LE, 101, 0, [[9, u8(9)], [14, i64(LE, 100n)]]), // raw IP, ns, +100 s
    epbBlock(LE, 0, 1_700_000_000_123_456n, bytes(60, 2), 60, [
      [1, Buffer.from('a comment, ünïcode')],
      flagsOpt(LE, 0x00000001),
      [1, Buffer.from('a second comment')],
    ]),
    spbBlock(LE, 100, bytes(64, 3)), // cut to the snaplen (64) of interface 0
    spbBlock(LE, 10, bytes(10, 4)),
    block(5, fields(LE, ['u32', 0], ['u32', 0], ['u32', 0]), LE), // ISB: skipped
    block(4, fields(LE, ['u16', 0], ['u16', 0]), LE), // NRB, empty: skipped
    block(0x80000001, bytes(13, 6), LE), // a local-use type: skipped
    epbBlock(LE, 1, 1_700_000_001_987_654_321n, ipv4, 1500),
    pbBlock(LE, 0, 1_700_000_002_000_001n, bytes(42, 7), 42),
    shbBlock(BE, 2),
    idbBlock(BE, 113, 0, [[9, u8(0x94)]]), // 2^-20 s
    epbBlock(BE, 0, (1_700_000_003n << 20n) + 524_289n, bytes(30, 8), 30, [
      flagsOpt(BE, 0x10000002),
    ]),
  ]);
}

test('a synthetic file exercises SPB, PB, flags, comments, RAW, offsets, 2^-n and a second section',
  withTmpDir(async (dir) => {
    const file = path.join(dir, 'synthetic.pcapng');
    fs.writeFileSync(file, syntheticFile());
    const { packets, error, interfaces } = await readAll(file);
    assert.equal(error, undefined);
    assert.deepEqual(
      packets.map((p) => [p.caplen, p.length, p.linktype, p.interfaceIndex, p.flags, p.direction]),
      [
        [60, 60, 1, 0, 1, 'in'],
        [64, 100, 1, 0, 0, undefined],
        [10, 10, 1, 0, 0, undefined],
        [32, 1500, 12, 1, 0, undefined], // LINKTYPE_RAW 101 reported as DLT_RAW 12
        [42, 42, 1, 0, 0, undefined],
        // The second section's interface 0 comes after the first section's two.
        [30, 30, 113, 2, 0x10000002, 'out'],
      ],
    );
    assert.deepEqual(packets.map((p) => p.comment), [
      'a comment, ünïcode', // the first opt_comment
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    assert.deepEqual(packets.map(epoch), [
      '1700000000.123456000',
      '0.000000000', // SPBs have no timestamp
      '0.000000000',
      '1700000101.987654321', // + if_tsoffset
      '1700000002.000001000',
      '1700000003.500000953', // 524289 / 2^20 s, truncated to ns
    ]);
    // The interfaces of both sections, numbered across them.
    assert.deepEqual(interfaces, [
      {
        index: 0, section: 0, sectionIndex: 0, linktype: 1, fileLinktype: 1, snaplen: 64,
        name: 'eth0', description: 'first', tsresol: 6, tsoffset: 0,
      },
      {
        index: 1, section: 0, sectionIndex: 1, linktype: 12, fileLinktype: 101, snaplen: 0,
        tsresol: 9, tsoffset: 100,
      },
      {
        index: 2, section: 1, sectionIndex: 0, linktype: 113, fileLinktype: 113, snaplen: 0,
        tsresol: 0x94, tsoffset: 0,
      },
    ]);
    // The file's own precision is its first interface's: micro (no if_tsresol).
    assert.equal(sniffFile(file).format, 'pcapng');
    assert.equal(sniffFile(file).precision, 'micro');
    const byDefault = new PCAPReader(file);
    assert.equal(byDefault.precision, 'micro');
    const defaultStamps = [];
    for await (const p of byDefault) defaultStamps.push(epoch(p));
    assert.deepEqual(defaultStamps, packets.map((p) => epoch({ ...p, tsNsec: p.tsNsec - (p.tsNsec % 1000) })));

    // An SPB holding more than the snaplen (tshark calls that corrupt): like libpcap, cut it.
    const longSpb = path.join(dir, 'long-spb.pcapng');
    const spb = spbBlock(true, 100, Buffer.alloc(68));
    fs.writeFileSync(longSpb, Buffer.concat([shbBlock(true, 0), idbBlock(true, 1, 64), spb]));
    assert.deepEqual((await readAll(longSpb)).packets.map((p) => [p.caplen, p.length]), [[64, 100]]);

    if (NO_TSHARK) return;
    const t = tsharkFrames(file, ['frame.packet_flags']);
    assert.equal(t.status, 0);
    // SPBs carry no timestamp: tshark prints none, PCAPReader says 0. tshark prints
    // flags only when the option is there, which here is when they are not 0.
    const theirs = t.lines.map((l) => l.replace(/\t\t/, '\t0.000000000\t'));
    const hexFlags = (f) => (f ? `0x${f.toString(16).padStart(8, '0')}` : '');
    const ours = ourFrames(packets, interfaces).map((l, i) => `${l}\t${hexFlags(packets[i].flags)}`);
    assert.deepEqual(ours, theirs);
    assert.deepEqual(packets.map((p) => p.data.toString('hex')), tsharkBytes(file));
  }),
);

test('files and blocks larger than the batch', withTmpDir(async (dir) => {
  // 3000 packets of 1 to 1500 bytes (about 2.3 MiB), a 2 MiB packet and, later, a 3 MiB unknown
  // block, read in batches of 256 KiB: block boundaries land everywhere relative to the batches,
  // the batch must grow for the big packet, and the reader must get past the big block.
  const rand = prng(42);
  const sizes = Array.from({ length: 3000 }, () => 1 + Math.floor(rand() * 1500));
  sizes[1000] = 2 << 20;
  const data = sizes.map((n, i) => Buffer.alloc(n, i & 0xff));
  const blocks = [shbBlock(true, 0), idbBlock(true, 1, 0, [[9, Buffer.from([9])]])];
  data.forEach((d, i) => {
    if (i === 2000) blocks.push(block(0x0bad, Buffer.alloc(3 << 20, 0xee), true));
    blocks.push(epbBlock(true, 0, 1_600_000_000_000_000_000n + BigInt(i), d, d.length));
  });
  const file = path.join(dir, 'big.pcapng');
  fs.writeFileSync(file, Buffer.concat(blocks));
  const batchBytes = 256 << 10;
  const { packets, error, batches } = await readAll(file, { batchBytes, batchPackets: 100 });
  assert.equal(error, undefined);
  assert.equal(packets.length, data.length);
  // Like libpcap, a packet is cut to the snapshot of its link type: the IDB's snaplen is 0, which
  // for Ethernet means 262144 bytes. Its original length stays.
  const snapshot = 262144;
  packets.forEach((p, i) => {
    assert.equal(p.tsNsec, i);
    assert.equal(p.length, data[i].length, `length of packet ${i}`);
    assert.equal(p.caplen, Math.min(data[i].length, snapshot), `caplen of packet ${i}`);
    assert.ok(p.data.equals(data[i].subarray(0, snapshot)), `bytes of packet ${i}`);
  });
  // The batch holding the 2 MiB packet grew for it (the 3 MiB block may make the batch after
  // it grow too); every other batch is 256 KiB, those after the big packet included.
  const holds = (b, i) => b.first <= i && i < b.first + b.count;
  const grown = batches.filter((b) => b.arenaBytes !== batchBytes);
  assert.ok(grown.some((b) => holds(b, 1000) && b.arenaBytes >= 2 << 20), 'grew for the 2 MiB packet');
  assert.deepEqual(
    grown.filter((b) => !holds(b, 1000) && b.first !== 2000).map((b) => [b.first, b.arenaBytes]),
    [],
    'other batches (first packet, arena bytes) that are not batchBytes',
  );
}));

// 4. Small batches.

test('small batches deliver every packet exactly once', { skip: NO_CORPUS }, async () => {
  const file = pcap('many_interfaces-1.pcapng');
  const expected = (await readAll(file)).packets;
  assert.equal(expected.length, 64);
  // 4 KiB (the smallest batch) and 3 packets at most.
  const small = await readAll(file, { batchBytes: 4096, batchPackets: 3 });
  assert.equal(small.error, undefined);
  assert.ok(small.batches.length >= 64 / 3, `${small.batches.length} batches`);
  assert.deepEqual(small.packets, expected);
});


test('a batch stays within batchBytes when its packets fit', { skip: NO_CORPUS }, async () => {
  // Every packet of many_interfaces-1 (up to 1392 bytes, 1424 with its block) fits in 4 KiB, so
  // no batch may be larger (the reader's read-ahead once made them as large as the file's rest).
  const file = pcap('many_interfaces-1.pcapng');
  const small = await readAll(file, { batchBytes: 4096, batchPackets: 3 });
  assert.equal(small.error, undefined);
  assert.equal(small.packets.length, 64);
  assert.ok(Math.max(...small.packets.map((p) => p.caplen)) + 32 <= 4096);
  assert.deepEqual(
    small.batches.filter((b) => b.arenaBytes !== 4096).map((b) => [b.first, b.arenaBytes]),
    [],
    'batches (first packet, arena bytes) larger than batchBytes',
  );
  assert.ok(small.batches.every((b, i) => b.count === 3 || i === small.batches.length - 1), 'full batches of 3');
});

test('a batch smaller than a packet grows for it, and only for it', withTmpDir(async (dir) => {
  const sizes = [100, 9000, 50, 4000, 20000, 10, 4096, 3, 70000, 1];
  const data = sizes.map((n, i) => Buffer.alloc(n, 0x40 + i));
  const blocks = [shbBlock(true, 0), idbBlock(true, 1, 0)];
  data.forEach((d, i) => blocks.push(epbBlock(true, 0, BigInt(i), d, d.length)));
  const file = path.join(dir, 'grow.pcapng');
  fs.writeFileSync(file, Buffer.concat(blocks));
  const { packets, error, batches } = await readAll(file, { batchBytes: 4096, batchPackets: 4 });
  assert.equal(error, undefined);
  assert.deepEqual(packets.map((p) => p.caplen), sizes);
  packets.forEach((p, i) => assert.ok(p.data.equals(data[i]), `bytes of packet ${i}`));
  for (const b of batches) {
    const biggest = Math.max(...sizes.slice(b.first, b.first + b.count));
    // A packet block is its data plus 32 bytes: a batch is 4 KiB unless one of its packets
    // needs more.
    if (biggest + 32 <= 4096) assert.equal(b.arenaBytes, 4096, `batch at packet ${b.first}`);
    else assert.ok(b.arenaBytes >= biggest, `batch at packet ${b.first} grew for its packet`);
  }
  assert.ok(batches.some((b) => b.arenaBytes > 4096), 'the growing path was taken');
}));

test('interfaces met mid-file are added, and reading goes on across them', { skip: NO_CORPUS }, async () => {
  // Replaces the old parser's skip(): take 100 packets from the iterator, then the rest.
  const file = pcap('pcapng-example.pcapng');
  const all = (await readAll(file)).packets;
  assert.ok(all.length > 100);
  const reader = new PCAPReader(file, { precision: 'nano', batchBytes: 4096, batchPackets: 8 });
  // The header is read up to the first IDB; interface 1 is defined after packet 59.
  assert.equal(reader.interfaces.length, 1);
  const it = reader[Symbol.asyncIterator]();
  const first = [];
  for (let i = 0; i < 100; i++) {
    const r = await it.next();
    assert.equal(r.done, false, `packet ${i + 1}`);
    assert.ok(r.value.interfaceIndex < reader.interfaces.length, `interface of packet ${i + 1} known`);
    first.push(plain(r.value));
  }
  assert.equal(reader.interfaces.length, 2, 'the second IDB was applied');
  assert.ok(first.some((p) => p.interfaceIndex === 1), 'packets of interface 1 were among them');
  assert.equal(reader.closed, false);
  const rest = [];
  for (;;) {
    const r = await it.next();
    if (r.done) break;
    rest.push(plain(r.value));
  }
  assert.deepEqual(first, all.slice(0, 100));
  assert.deepEqual(rest, all.slice(100));
  assert.deepEqual(await it.next(), { value: undefined, done: true }, 'nothing left');
  assert.equal(reader.closed, true, 'the end of the loop closed the reader');
  assert.equal(reader.interfaces.length, 2, 'interfaces stay readable after close');
  await assert.rejects(reader.batches().next(), { code: 'ECLOSED' });
});

test('one read at a time', { skip: NO_CORPUS }, async () => {
  const reader = new PCAPReader(pcap('bgp-role.pcapng'));
  const loop = reader.batches();
  const first = loop.next();
  await assert.rejects(reader.batches().next(), { code: 'EINVAL', message: /already being iterated/ });
  await assert.rejects(reader[Symbol.asyncIterator]().next(), { code: 'EINVAL' });
  // The refused loops did not disturb the first one.
  const r = await first;
  assert.equal(r.done, false);
  assert.equal(r.value.count, 9);
  assert.deepEqual(await loop.next(), { value: undefined, done: true });
  assert.equal(reader.closed, true);

  // close() while a read is in progress ends the loop quietly.
  const other = new PCAPReader(pcap('bgp-role.pcapng'));
  const pending = other.batches().next();
  await other.close();
  assert.deepEqual(await pending, { value: undefined, done: true });
  assert.equal(other.closed, true);
});

test('sniffFile reads the first IDB', { skip: NO_CORPUS }, withTmpDir(async (dir) => {
  const precision = (name) => {
    const s = sniffFile(pcap(name));
    assert.equal(s.format, 'pcapng', name);
    // The reader delivers the same precision when not told otherwise.
    const reader = new PCAPReader(pcap(name));
    assert.equal(reader.precision, s.precision, `${name}: the reader's default precision`);
    reader.close();
    return s.precision;
  };
  assert.equal(precision('pcapng-example.pcapng'), 'nano'); // if_tsresol 9
  assert.equal(precision('doipPackets.pcapng'), 'nano');
  assert.equal(precision('many_interfaces-1.pcapng'), 'micro'); // tsresol 6
  assert.equal(precision('empty.pcapng'), 'micro'); // no if_tsresol

  // Cut inside the section header, and inside the first IDB: no precision to be had.
  const example = fs.readFileSync(pcap('pcapng-example.pcapng'));
  const shbLength = example.readUInt32LE(4);
  assert.equal(example.readUInt32LE(shbLength), 1, 'the first IDB follows the SHB');
  for (const n of [100, shbLength + 10]) {
    const f = path.join(dir, `head-${n}.pcapng`);
    fs.writeFileSync(f, example.subarray(0, n));
    assert.deepEqual(sniffFile(f), { format: 'unknown' }, `cut at ${n}`);
    assert.equal(openError(f).code, 'ETRUNCATED', `cut at ${n}`);
  }
  const s = sniffFile(pcap('dns_tcp.pcap'));
  assert.equal(s.format, 'pcap', 'not pcapng');
  assert.equal(s.precision, 'micro');
}));

// 5. Mutated files: reading may only fail with a PcapError, and must always finish.

// Runs in a worker so that even a loop that never ends can be stopped and reported.
const FUZZ_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { PCAPReader, PcapError } = require(workerData.pkg);
parentPort.on('message', async ({ file, size }) => {
  const out = { opened: false, packets: 0, code: null, bad: null };
  const fail = (e) => {
    if (e instanceof PcapError) out.code = e.code;
    else out.bad = String((e && e.stack) || e);
  };
  let reader;
  try {
    reader = new PCAPReader(file, { precision: 'nano', batchBytes: 4096, batchPackets: 16 });
    out.opened = true;
  } catch (e) {
    fail(e);
    return parentPort.postMessage(out);
  }
  let batches = 0;
  try {
    for await (const b of reader.batches()) {
      // Each batch holds at least one packet block of at least 16 bytes.
      if (++batches > size) { out.bad = 'no progress after ' + batches + ' batches'; break; }
      if (b.count < 1 || b.count > 16) out.bad = 'a batch of ' + b.count + ' packets';
      const arena = b.arena;
      for (let i = 0; i < b.count; i++) {
        if (b.offset(i) + b.caplen(i) > arena.length) out.bad = 'packet outside the arena';
        const itf = reader.interfaces[b.interfaceIndex(i)];
        if (itf === undefined) out.bad = 'packet of unknown interface ' + b.interfaceIndex(i);
        else if (itf.linktype !== b.linktype(i)) out.bad = 'packet linktype is not its interface\\'s';
      }
      out.packets += b.count;
      if (out.bad) break;
    }
  } catch (e) {
    fail(e);
    if (e instanceof PcapError) {
      // A read error comes after every whole packet was yielded, and says how many.
      if (e.packetsRead !== out.packets) {
        out.bad = 'packetsRead ' + e.packetsRead + ' but ' + out.packets + ' packets yielded: ' + e.message;
      } else if (!(e.offset >= 0 && e.offset <= size)) {
        out.bad = 'offset ' + e.offset + ' outside the file of ' + size + ' bytes: ' + e.message;
      }
    }
  } finally {
    await reader.close();
  }
  parentPort.postMessage(out);
});
`;

/** mulberry32: a tiny seeded PRNG, so every run mutates the same way. */
function prng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One to three random mutations, aimed at lengths, types and option headers. */
function mutate(original, rand) {
  const int = (n) => Math.floor(rand() * n);
  const pick = (xs) => xs[int(xs.length)];
  let b = Buffer.from(original);
  const done = [];
  for (let k = 1 + int(3); k > 0 && b.length > 0; k--) {
    const at = int(b.length);
    switch (int(6)) {
      case 0: // cut the file short
        b = b.subarray(0, at);
        done.push(`cut@${at}`);
        break;
      case 1: // random bytes
        for (let i = 1 + int(4); i > 0; i--) b[int(b.length)] = int(256);
        done.push('bytes');
        break;
      case 2: { // a 32-bit field (block type, block length, caplen, interface id...)
        const o = at & ~3;
        if (o + 4 > b.length) break;
        const v = pick([0, 1, 2, 3, 5, 6, 8, 11, 12, 16, 28, 32, 0x7fffffff, 0x80000000,
          0xffffffff, 0x1000000, 0x1000004, 0x0a0d0d0a, 0x1a2b3c4d, 0x4d3c2b1a,
          b.readUInt32LE(o) + 4, b.readUInt32LE(o) - 4, int(2 ** 32)]);
        b.writeUInt32LE(v >>> 0, o);
        done.push(`u32@${o}=${v >>> 0}`);
        break;
      }
      case 3: { // a 16-bit field (option code or length, version, link type)
        const o = at & ~1;
        if (o + 2 > b.length) break;
        const v = pick([0, 1, 2, 3, 9, 14, 0x89, 0xff, 0xfffc, 0xffff, int(65536)]);
        b.writeUInt16LE(v, o);
        done.push(`u16@${o}=${v}`);
        break;
      }
      case 4: { // remove a span
        const n = 1 + int(64);
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + n)]);
        done.push(`del@${at}+${n}`);
        break;
      }
      default: { // repeat a span
        const n = 1 + int(256);
        b = Buffer.concat([b.subarray(0, at + n), b.subarray(at, at + n), b.subarray(at + n)]);
        done.push(`dup@${at}+${n}`);
      }
    }
  }
  return { bytes: b, what: done.join(',') };
}

test('mutated files only ever give PcapErrors, and always finish', {
  skip: NO_CORPUS,
  timeout: 300_000,
}, (t) => withTmpDir(async (dir) => {
  const original = fs.readFileSync(pcap('pcapng-example.pcapng'));
  const rand = prng(0x5eed);
  const worker = new Worker(FUZZ_WORKER, { eval: true, workerData: { pkg: PKG } });
  const stats = { opened: 0, packets: 0, codes: {} };
  try {
    for (let i = 0; i < 2000; i++) {
      const { bytes, what } = mutate(original, rand);
      const file = path.join(dir, `m${i}.pcapng`);
      fs.writeFileSync(file, bytes);
      let timer;
      worker.postMessage({ file, size: bytes.length });
      const out = await Promise.race([
        new Promise((resolve) => worker.once('message', resolve)),
        new Promise((resolve) => {
          timer = setTimeout(() => resolve({ bad: 'no answer within 10 s (hang?)' }), 10_000);
        }),
      ]);
      clearTimeout(timer);
      fs.unlinkSync(file);
      if (out.bad) {
        // Keep the mutant for whoever debugs this.
        fs.writeFileSync(path.join(os.tmpdir(), 'pcapkit-pcapng-failing.pcapng'), bytes);
      }
      assert.equal(out.bad, null, `mutation #${i} (${what}): ${out.bad}`);
      if (out.opened) stats.opened++;
      stats.packets += out.packets;
      if (out.code) stats.codes[out.code] = (stats.codes[out.code] ?? 0) + 1;
    }
  } finally {
    await worker.terminate();
  }
  t.diagnostic(`mutants: ${JSON.stringify(stats)}`);
  // The mutations must reach past the header and hit both kinds of failure, or they test little.
  assert.ok(stats.opened > 1000, `only ${stats.opened} mutants opened`);
  assert.ok(stats.codes.EFORMAT > 100 && stats.codes.ETRUNCATED > 100, JSON.stringify(stats));
})());
