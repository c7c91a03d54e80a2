// Tests for pcapkit's own pcapng parser (lib/pcapng.ts) on the shared capture corpus.
// Expected values come from tshark/capinfos at test time, never from this parser.
// Build first: npx tsc -p tsconfig.json. Run: node --test test/pcapng.test.mjs
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
const PARSER = require.resolve('../dist/cjs/pcapng.js');
const ERRORS = require.resolve('../dist/cjs/errors.js');
const { PcapngFileReader, sniffPcapngPrecision } = require(PARSER);
const { PcapError } = require(ERRORS);

const HDR_STRIDE = 8;
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

/** Reads a whole file with the parser, growing the arena when a packet does not fit. */
async function readAll(file, { precision = 'nano', arenaBytes = 1 << 20, maxPackets = 512 } = {}) {
  const reader = await PcapngFileReader.open(file);
  const packets = [];
  let error;
  try {
    let arena = Buffer.alloc(arenaBytes);
    const headers = new Float64Array(maxPackets * HDR_STRIDE);
    for (;;) {
      const r = await reader.readBatch(arena, headers, precision);
      packets.push(...unpack(arena, headers, r.count));
      if (r.error) error = r.error;
      if (r.eof) break;
      if (r.count === 0) {
        assert.ok(r.needBytes > arena.length, 'an empty batch that is not eof must ask for bytes');
        arena = Buffer.alloc(r.needBytes);
      }
    }
    return { packets, error, interfaces: reader.interfaces.map((i) => ({ ...i })) };
  } finally {
    await reader.close();
  }
}

/** The packets of a batch as plain objects, with a copy of their bytes. */
function unpack(arena, headers, count) {
  const out = [];
  for (let i = 0; i < count; i++) {
    const [tsSec, tsNsec, caplen, len, offset, linktype, ifIndex, flags] = headers.subarray(
      i * HDR_STRIDE,
      (i + 1) * HDR_STRIDE,
    );
    assert.ok(offset % 8 === 0 && offset + caplen <= arena.length, `packet ${i} lies in the arena`);
    const data = Buffer.from(arena.subarray(offset, offset + caplen));
    out.push({ tsSec, tsNsec, caplen, len, offset, linktype, ifIndex, flags, data });
  }
  return out;
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

const ourFrames = (packets) =>
  packets.map((p) => [p.len, p.caplen, p.ifIndex, epoch(p)].join('\t'));

/** Asserts that the parser and tshark agree packet by packet, bytes included. */
async function compareWithTshark(file) {
  const t = tsharkFrames(file);
  assert.equal(t.status, 0, `tshark failed on ${file}`);
  const ours = await readAll(file);
  assert.equal(ours.error, undefined, `no error reading ${file}`);
  assert.equal(ours.packets.length, t.lines.length, `packet count of ${path.basename(file)}`);
  assert.deepEqual(ourFrames(ours.packets), t.lines, `len/caplen/interface/time of ${file}`);
  const raw = tsharkBytes(file);
  assert.equal(raw.length, ours.packets.length);
  ours.packets.forEach((p, i) => {
    assert.equal(p.data.toString('hex'), raw[i], `bytes of packet ${i + 1} of ${file}`);
    assert.equal(p.linktype, ours.interfaces[p.ifIndex].linktype, `linktype of packet ${i + 1}`);
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

async function openError(file) {
  try {
    const r = await PcapngFileReader.open(file);
    await r.close();
  } catch (err) {
    assert.ok(err instanceof PcapError, `open(${file}) threw a ${err?.name}, not a PcapError`);
    return err;
  }
  assert.fail(`open(${file}) should have failed`);
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
// 1. Files with several interfaces: what libpcap 1.10 refuses, and why this parser exists.

for (const name of MULTI_IDB) {
  test(`multi-interface ${name} matches tshark packet by packet`, { skip: NO_TSHARK || NO_CAPINFOS }, async () => {
    const file = pcap(name);
    const ours = await compareWithTshark(file);
    assert.equal(ours.packets.length, capinfosCount(file), 'capinfos -c');
    // These files are here because their interfaces differ; make sure the parser saw that.
    const kinds = new Set(ours.interfaces.map((i) => `${i.linktype}/${i.snaplen}`));
    assert.ok(kinds.size > 1, `${name} has interfaces that differ in link type or snaplen`);
    const row = manifest().find((r) => r.name === name);
    assert.deepEqual(
      [...new Set(ours.interfaces.map((i) => i.linktype))].sort(),
      [...new Set(manifestLinktypes(row))].sort(),
      'link types of the interfaces',
    );
  });
}

test('micro precision truncates nanoseconds like libpcap', { skip: NO_CORPUS }, async () => {
  // pcapng-example mixes a nanosecond interface (0) and a microsecond one (1).
  const nano = await readAll(pcap('pcapng-example.pcapng'));
  const micro = await readAll(pcap('pcapng-example.pcapng'), { precision: 'micro' });
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
  const vers1 = await openError(pcap('pcapng-invalid-vers-1.pcapng'));
  assert.equal(vers1.code, 'EFORMAT');
  assert.match(vers1.message, /unsupported pcapng version 0\.1/);
  const vers2 = await openError(pcap('pcapng-invalid-vers-2.pcapng'));
  assert.equal(vers2.code, 'EFORMAT');
  assert.match(vers2.message, /unsupported pcapng version 1\.1/);

  const tooLong = await openError(pcap('shb-option-too-long.pcapng'));
  assert.equal(tooLong.code, 'EFORMAT');

  assert.equal((await openError(pcap('empty.pcap'))).code, 'EFORMAT', 'a pcap file is not pcapng');
  assert.equal((await openError(pcap('no-such-file.pcapng'))).code, 'ENOENT');

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
  assert.equal((await openError(write('zero.pcapng', Buffer.alloc(0)))).code, 'ETRUNCATED');
  const shb = fs.readFileSync(pcap('empty.pcapng'));
  assert.equal((await openError(write('cut-shb.pcapng', shb.subarray(0, 10)))).code, 'ETRUNCATED');
  assert.equal((await openError(write('two.pcapng', shb.subarray(0, 2)))).code, 'ETRUNCATED');
  assert.equal((await openError(write('text.pcapng', 'hello world\n'))).code, 'EFORMAT');
  assert.equal((await openError(dir)).code, 'EINVAL', 'a directory');

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
    epbBlock(LE, 0, 1_700_000_000_123_456n, bytes(60, 2), 60, [flagsOpt(LE, 0x00000001)]),
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

test('a synthetic file exercises SPB, PB, flags, RAW, offsets, 2^-n and a second section',
  withTmpDir(async (dir) => {
    const file = path.join(dir, 'synthetic.pcapng');
    fs.writeFileSync(file, syntheticFile());
    const { packets, error, interfaces } = await readAll(file);
    assert.equal(error, undefined);
    assert.deepEqual(
      packets.map((p) => [p.caplen, p.len, p.linktype, p.ifIndex, p.flags]),
      [
        [60, 60, 1, 0, 1],
        [64, 100, 1, 0, 0],
        [10, 10, 1, 0, 0],
        [32, 1500, 12, 1, 0], // LINKTYPE_RAW 101 reported as DLT_RAW 12
        [42, 42, 1, 0, 0],
        [30, 30, 113, 0, 0x10000002],
      ],
    );
    assert.deepEqual(packets.map(epoch), [
      '1700000000.123456000',
      '0.000000000', // SPBs have no timestamp
      '0.000000000',
      '1700000101.987654321', // + if_tsoffset
      '1700000002.000001000',
      '1700000003.500000953', // 524289 / 2^20 s, truncated to ns
    ]);
    // The second section replaced the interfaces of the first.
    assert.deepEqual(interfaces.map((i) => [i.linktype, i.tsresol]), [[113, 0x94]]);
    assert.equal(sniffPcapngPrecision(fs.readFileSync(file)), 'micro');

    // An SPB holding more than the snaplen (tshark calls that corrupt): like libpcap, cut it.
    const longSpb = path.join(dir, 'long-spb.pcapng');
    const spb = spbBlock(true, 100, Buffer.alloc(68));
    fs.writeFileSync(longSpb, Buffer.concat([shbBlock(true, 0), idbBlock(true, 1, 64), spb]));
    assert.deepEqual((await readAll(longSpb)).packets.map((p) => [p.caplen, p.len]), [[64, 100]]);

    if (NO_TSHARK) return;
    const t = tsharkFrames(file, ['frame.packet_flags']);
    assert.equal(t.status, 0);
    // SPBs carry no timestamp: tshark prints none, the batch format says 0. tshark prints
    // flags only when the option is there, which here is when they are not 0.
    const theirs = t.lines.map((l) => l.replace(/\t\t/, '\t0.000000000\t'));
    const hexFlags = (f) => (f ? `0x${f.toString(16).padStart(8, '0')}` : '');
    const ours = ourFrames(packets).map((l, i) => `${l}\t${hexFlags(packets[i].flags)}`);
    assert.deepEqual(ours, theirs);
    assert.deepEqual(packets.map((p) => p.data.toString('hex')), tsharkBytes(file));
  }),
);

test('files and blocks larger than the 1 MiB read chunk', withTmpDir(async (dir) => {
  // 3000 packets of 1 to 1500 bytes (about 2.3 MiB), a 2 MiB packet and, later, a 3 MiB unknown
  // block: block boundaries land everywhere relative to the chunks, and the window must grow.
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
  const { packets, error } = await readAll(file, { arenaBytes: 256 << 10, maxPackets: 100 });
  assert.equal(error, undefined);
  assert.equal(packets.length, data.length);
  packets.forEach((p, i) => {
    assert.equal(p.tsNsec, i);
    assert.ok(p.data.equals(data[i]), `bytes of packet ${i}`);
  });
}));

// 4. Small arenas and header tables.

test('tiny arenas deliver every packet exactly once', { skip: NO_CORPUS }, async () => {
  const file = pcap('many_interfaces-1.pcapng');
  const expected = (await readAll(file)).packets;
  assert.equal(expected.length, 64);
  const reader = await PcapngFileReader.open(file);
  const got = [];
  let needBytesSeen = 0;
  let partialBatches = 0;
  try {
    const headers = new Float64Array(3 * HDR_STRIDE);
    // 1 KiB is smaller than some packets (up to 1392 bytes): needBytes, then 2 KiB for that one.
    let arena = Buffer.alloc(1024);
    for (let calls = 0; ; calls++) {
      assert.ok(calls < 1000, 'reading makes progress');
      const r = await reader.readBatch(arena, headers, 'nano');
      assert.ok(r.count <= 3 && r.bytes <= arena.length && r.read === r.count);
      got.push(...unpack(arena, headers, r.count));
      if (r.eof) {
        assert.equal(r.error, undefined);
        break;
      }
      if (r.count === 0) {
        assert.ok(r.needBytes > arena.length && r.needBytes <= 2048, `needBytes ${r.needBytes}`);
        needBytesSeen++;
        arena = Buffer.alloc(2048);
        continue;
      }
      if (r.count < 3) partialBatches++; // a packet did not fit and waits for the next call
      arena = Buffer.alloc(1024);
    }
  } finally {
    await reader.close();
  }
  assert.ok(needBytesSeen > 0, 'the needBytes path was taken');
  assert.ok(partialBatches > 0, 'some batches stopped at a packet that did not fit');
  assert.deepEqual(
    got.map(({ offset, ...p }) => p),
    expected.map(({ offset, ...p }) => p),
  );
});

test('skip() skips packet blocks and reading goes on after them', { skip: NO_CORPUS }, async () => {
  const file = pcap('pcapng-example.pcapng');
  const all = (await readAll(file)).packets;
  const reader = await PcapngFileReader.open(file);
  try {
    assert.equal(await reader.skip(100), 100);
    // Interface 1 is defined after packet 59, so skipping must have applied its IDB.
    assert.equal(reader.interfaces.length, 2);
    const arena = Buffer.alloc(1 << 20);
    const headers = new Float64Array(512 * HDR_STRIDE);
    const r = await reader.readBatch(arena, headers, 'nano');
    assert.equal(r.count, all.length - 100);
    const withoutOffset = (ps) => ps.map(({ offset, ...p }) => p);
    assert.deepEqual(withoutOffset(unpack(arena, headers, r.count)), withoutOffset(all.slice(100)));
    assert.equal(await reader.skip(5), 0, 'nothing left to skip');
  } finally {
    await reader.close();
  }
  await assert.rejects(reader.readBatch(Buffer.alloc(64), new Float64Array(8), 'nano'), {
    code: 'ECLOSED',
  });
});

test('one read at a time', { skip: NO_CORPUS }, async () => {
  const reader = await PcapngFileReader.open(pcap('bgp-role.pcapng'));
  const headers = () => new Float64Array(64 * HDR_STRIDE);
  const first = reader.readBatch(Buffer.alloc(65536), headers(), 'nano');
  const second = reader.readBatch(Buffer.alloc(65536), headers(), 'nano');
  await assert.rejects(second, { code: 'EINVAL' });
  await assert.rejects(reader.skip(1), { code: 'EINVAL' });
  const closed = reader.close(); // waits for the read in progress
  assert.equal((await first).count, 9);
  await closed;
});

test('sniffPcapngPrecision reads the first IDB', { skip: NO_CORPUS }, () => {
  const head = (name, n = 65536) => fs.readFileSync(pcap(name)).subarray(0, n);
  assert.equal(sniffPcapngPrecision(head('pcapng-example.pcapng')), 'nano'); // if_tsresol 9
  assert.equal(sniffPcapngPrecision(head('doipPackets.pcapng')), 'nano');
  assert.equal(sniffPcapngPrecision(head('many_interfaces-1.pcapng')), 'micro'); // tsresol 6
  assert.equal(sniffPcapngPrecision(head('empty.pcapng')), 'micro'); // no if_tsresol
  assert.equal(sniffPcapngPrecision(head('pcapng-example.pcapng', 100)), undefined, 'too short');
  assert.equal(sniffPcapngPrecision(head('dns_tcp.pcap')), undefined, 'not pcapng');
});

// 5. Mutated files: the parser may only fail with a PcapError, and must always finish.

// Runs in a worker so that even a synchronous endless loop can be stopped and reported.
const FUZZ_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { PcapngFileReader } = require(workerData.parser);
const { PcapError } = require(workerData.errors);
const MAX_BLOCK = 16 * 1024 * 1024;
parentPort.on('message', async ({ file, size }) => {
  const out = { opened: false, packets: 0, code: null, bad: null };
  const fail = (e) => {
    if (e instanceof PcapError) out.code = e.code;
    else out.bad = String((e && e.stack) || e);
  };
  let reader;
  try {
    reader = await PcapngFileReader.open(file);
    out.opened = true;
  } catch (e) {
    fail(e);
    return parentPort.postMessage(out);
  }
  try {
    let arena = Buffer.alloc(4096);
    const headers = new Float64Array(16 * 8);
    for (let calls = 0; ; calls++) {
      // Each productive call consumes at least one 16-byte block.
      if (calls > size) { out.bad = 'no progress after ' + calls + ' calls'; break; }
      const r = await reader.readBatch(arena, headers, 'nano');
      if (r.error) fail(r.error);
      if (r.count > 16 || r.bytes > arena.length) out.bad = 'batch overflows: ' + JSON.stringify(r);
      for (let i = 0; i < r.count; i++) {
        const off = headers[i * 8 + 4], cap = headers[i * 8 + 2];
        if (off + cap > arena.length) out.bad = 'packet outside the arena';
      }
      out.packets += r.count;
      if (r.eof || out.bad) break;
      if (r.count === 0) {
        if (!(r.needBytes > arena.length && r.needBytes <= MAX_BLOCK)) {
          out.bad = 'empty batch without a usable needBytes: ' + JSON.stringify(r);
          break;
        }
        arena = Buffer.alloc(r.needBytes);
      }
    }
  } catch (e) {
    fail(e);
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
  const workerData = { parser: PARSER, errors: ERRORS };
  const worker = new Worker(FUZZ_WORKER, { eval: true, workerData });
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
  // The mutations must reach past open() and hit both kinds of failure, or they test little.
  assert.ok(stats.opened > 1000, `only ${stats.opened} mutants opened`);
  assert.ok(stats.codes.EFORMAT > 100 && stats.codes.ETRUNCATED > 100, JSON.stringify(stats));
})());
