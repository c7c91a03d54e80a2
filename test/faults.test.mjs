// Fault injection: the disk filling up, the output directory removed, the input cut short while
// it is read, SIGINT/SIGTERM during `pcapkit filter` and `sniff -w`, and kill -9 while writing.
// Whatever happens, pcapkit must fail with a clear PcapError (or stop cleanly), never crash or
// hang, and leave files that hold whole packets only, none of them damaged and none of the ones
// it acknowledged missing. (An interface deleted during a capture is test/netns.test.mjs's.)
//
// What pcapkit does (and these tests hold it to):
//  - Disk full: the call that hands the bytes to the kernel throws PcapError ENOSPC (write(),
//    flush() or close(), see below); the writer closes itself and cuts the file back to its last
//    whole record. filterFile() rejects with ENOSPC and err.result counts what OUT holds.
//    `pcapkit filter`, `repair` and `sniff -w` exit 1 with `pcapkit: ENOSPC: ...`. When not even
//    the 24-byte file header fits, OUT is left empty (0 bytes) and the message says so.
//  - Output directory missing at open: ENOENT naming the path. Removed after open: nothing
//    notices (Linux keeps the open inode, which takes every write); close() resolves.
//  - Input cut short while read: every whole packet before the cut, byte-identical, then
//    ETRUNCATED; cut on a record boundary, a clean (shorter) end.
//  - `pcapkit filter`: SIGINT exits 130, SIGTERM 143, OUT a valid prefix of tcpdump's output.
//    `pcapkit sniff -w`: SIGINT and SIGTERM exit 0 with a valid file (test/cli-live.test.mjs
//    signals after the traffic stopped; here it is still flowing).
//  - kill -9 while writing: the file ends inside a record; `pcapkit check` says cut short
//    (exit 2), `pcapkit repair` saves every whole record (exit 0).
//
// Packets come from test/support/fault-packets.mjs: packet i is always the same frame and
// timestamp, so a file's records can be compared with what was written byte for byte. Files
// are walked record by record here (walkPcap), independently of the library; tcpdump and
// capinfos have the last word on whether a file is valid.
import { before } from 'node:test';
import { test, captureSkip, tool } from './support/skips.mjs';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { execFile, spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  readSync,
  rmSync,
  statSync,
  truncateSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { PCAPReader, PCAPSocket, PCAPWriter, PcapError, filterFile } from '../dist/esm/index.mjs';
import { packetFor } from './support/fault-packets.mjs';
import { capinfosCount, run, toolsSkip } from './support/oracle.mjs';
import { mountTmpfs, tmpfsSkip } from './support/tmpfs.mjs';
import { makeTmpDir } from './support/tmpdir.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(root, 'bin', 'pcapkit.js');
const ENDLESS_WRITER = join(root, 'test', 'support', 'endless-writer.mjs');

/** Every child process is killed after this long, and every wait gives up: a hang fails. */
const LIMIT_MS = 20_000;

const rootSkip = captureSkip();

const editcapSkip = tool('editcap', { pkg: 'wireshark-common' });

const dir = makeTmpDir('pcapkit-faults-');
const tmp = (name) => join(dir, name);

// ---- helpers ----------------------------------------------------------------------------------

/**
 * Walks a little-endian pcap file: the 24-byte file header, then 16-byte record headers each
 * followed by its captured bytes. Stops at the first record that does not fit; `tail` is what is
 * left after the last whole record (0 for a valid file).
 */
function walkPcap(buf) {
  assert.ok(buf.length >= 24, `a file header: the file has ${buf.length} bytes`);
  const magic = buf.readUInt32LE(0);
  assert.ok(magic === 0xa1b2c3d4 || magic === 0xa1b23c4d, `pcap magic, not ${magic.toString(16)}`);
  const header = { nano: magic === 0xa1b23c4d, snaplen: buf.readUInt32LE(16), linktype: buf.readUInt32LE(20), raw: buf.subarray(0, 24) };
  const records = [];
  let o = 24;
  while (o + 16 <= buf.length) {
    const caplen = buf.readUInt32LE(o + 8);
    if (o + 16 + caplen > buf.length) break;
    records.push({
      tsSec: buf.readUInt32LE(o),
      tsFrac: buf.readUInt32LE(o + 4),
      caplen,
      len: buf.readUInt32LE(o + 12),
      data: buf.subarray(o + 16, o + 16 + caplen),
      raw: buf.subarray(o, o + 16 + caplen),
    });
    o += 16 + caplen;
  }
  return { header, records, end: o, tail: buf.length - o };
}

/** Asserts that record r is packet i of fault-packets.mjs, header and bytes. */
function assertIsPacket(r, i, { nano }, what) {
  const p = packetFor(i);
  assert.equal(r.tsSec, p.tsSec, `${what}: record ${i} seconds`);
  assert.equal(r.tsFrac, nano ? p.tsNsec : p.tsNsec / 1000, `${what}: record ${i} fraction`);
  assert.equal(r.caplen, p.frame.length, `${what}: record ${i} caplen`);
  assert.equal(r.len, p.frame.length, `${what}: record ${i} wire length`);
  assert.ok(r.data.equals(p.frame), `${what}: record ${i} bytes`);
}

/** tcpdump reads the whole file without complaint and capinfos counts `count` packets. */
function assertValidCapture(file, count, what) {
  const t = run('tcpdump', ['-n', '-r', file, '-w', '/dev/null']);
  assert.equal(t.status, 0, `${what}: tcpdump -r: ${t.stderr}`);
  assert.doesNotMatch(t.stderr, /truncated|error|warning/i, `${what}: tcpdump -r`);
  const c = capinfosCount(file);
  assert.equal(c.status, 0, `${what}: capinfos: ${c.stderr}`);
  assert.equal(c.count, count, `${what}: capinfos packet count`);
}

/** Writes packets first..first+count-1 to a new pcap file (microseconds, as tcpdump writes). */
async function writeCapture(file, count, { precision = 'micro' } = {}) {
  const w = new PCAPWriter(file, { precision });
  for (let i = 0; i < count; i++) {
    const p = packetFor(i);
    w.write(p.frame, { tsSec: p.tsSec, tsNsec: p.tsNsec });
  }
  await w.close();
}

/** Runs the CLI to the end: { code, signal, stdout, stderr }. */
function pcapkit(...args) {
  return new Promise((res) => {
    execFile(process.execPath, [BIN, ...args], { timeout: LIMIT_MS, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      res({ code: err ? err.code ?? null : 0, signal: err?.signal ?? null, stdout, stderr });
    });
  });
}

/** Starts a child; `exited` resolves with { code, signal, stderr } (a watchdog kills it). */
function startChild(args) {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const watchdog = setTimeout(() => child.kill('SIGKILL'), LIMIT_MS);
  const exited = new Promise((res) => {
    child.on('close', (code, signal) => {
      clearTimeout(watchdog);
      res({ code, signal, stderr });
    });
  });
  return { child, exited, stderr: () => stderr };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls until `file` has at least `bytes` bytes; fails after LIMIT_MS or if `exited` first. */
async function untilSize(file, bytes, child) {
  const deadline = Date.now() + LIMIT_MS;
  for (;;) {
    let size = 0;
    try {
      size = statSync(file).size;
    } catch {
      // not created yet
    }
    if (size >= bytes) return size;
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the child exited before ${file} reached ${bytes} bytes (${size})`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${file} to reach ${bytes} bytes (${size})`);
    await sleep(1);
  }
}

/** Rejects after `ms` (a hung reader fails the test instead of blocking the suite). */
function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, rej) => (timer = setTimeout(() => rej(new Error(`${what}: no answer in ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// The input for the filter tests (3,000 packets, 2.9 MB, bigger than the tmpfs) and, for the
// signal tests, a big one (~340 MB) that `pcapkit filter` needs a few hundred ms for.
const MEDIUM_PACKETS = 3000;
const BIG_PACKETS = 350_000;
const EXPR = 'udp'; // 3 packets in 4
let medium;
let big;
let bigRef; // tcpdump -r big -w bigRef udp

before(async () => {
  medium = tmp('medium.pcap');
  await writeCapture(medium, MEDIUM_PACKETS);
});

/** The big input and tcpdump's full filter output of it, made once when first needed. */
async function bigInput() {
  if (big) return { big, bigRef };
  const file = tmp('big.pcap');
  // 16 distinct packets repeated: building 350,000 frames would take longer than the tests.
  const shapes = Array.from({ length: 16 }, (_, i) => packetFor(i));
  const w = new PCAPWriter(file, { precision: 'micro' });
  for (let i = 0; i < BIG_PACKETS; i++) {
    w.write(shapes[i & 15].frame, { tsSec: 1_700_000_000 + Math.floor(i / 1000), tsNsec: (i % 1000) * 1000 });
  }
  await w.close();
  const ref = tmp('big.tcpdump.pcap');
  const t = run('tcpdump', ['-r', file, '-w', ref, EXPR]);
  assert.equal(t.status, 0, t.stderr);
  big = file;
  bigRef = ref;
  return { big, bigRef };
}

/** The first `bytes` bytes of a file. */
function head(file, bytes) {
  const buf = Buffer.alloc(bytes);
  const fd = openSync(file, 'r');
  try {
    return buf.subarray(0, readSync(fd, buf, 0, bytes, 0));
  } finally {
    closeSync(fd);
  }
}

/** Asserts that the records of `got` are the first records of the pcap `refFile`, byte for byte. */
function assertPrefixOf(got, refFile, what) {
  const ref = walkPcap(head(refFile, got.end + (1 << 16)));
  assert.ok(ref.records.length >= got.records.length, `${what}: the reference has as many records`);
  assert.equal(got.header.linktype, ref.header.linktype, `${what}: link type`);
  assert.equal(got.header.snaplen, ref.header.snaplen, `${what}: snaplen`);
  assert.equal(got.header.nano, ref.header.nano, `${what}: precision`);
  got.records.forEach((r, i) => assert.ok(r.raw.equals(ref.records[i].raw), `${what}: record ${i} differs from tcpdump's`));
}

// ---- 1. disk full -------------------------------------------------------------------------------

// A 1 MiB tmpfs. libpcap writes through a 1 MiB stdio buffer and PCAPWriter stages up to 1 MiB
// in JS, so which call meets ENOSPC depends on when bytes reach the kernel:
//  - write(): with nothing flushed, the JS stage fills, is handed to libpcap, whose buffer
//    overflows to the kernel: write() throws.
//  - flush(): flushing every 50 packets keeps both buffers small; flush() throws.
//  - close(): 600 KB fit in both buffers; the final flush in close() throws.
// In every case the kernel took part of a buffer (a short write), so the file ended inside a
// record; the writer cuts it back to its last whole record and closes itself.
const DISK_BYTES = 1 << 20;
// Mounted here, at the top level, so that its after() unmounts it when the whole file is done.
const disk = tmpfsSkip ? undefined : mountTmpfs(DISK_BYTES);
const diskFile = (name) => join(disk.dir, name);

test('disk full: PCAPWriter throws ENOSPC from write, flush or close and leaves a valid file of the packets it reports', { skip: tmpfsSkip || toolsSkip, timeout: 30_000 }, async () => {
  const variants = [
    { where: 'write', free: DISK_BYTES, flushEvery: 0, stopAtBytes: Infinity },
    { where: 'flush', free: 256 << 10, flushEvery: 50, stopAtBytes: Infinity },
    { where: 'close', free: 256 << 10, flushEvery: 0, stopAtBytes: 600_000 },
  ];
  for (const v of variants) {
    const file = diskFile(`writer-${v.where}.pcap`);
    disk.clear();
    if (v.free < DISK_BYTES) disk.leaveFree(v.free);
    const w = new PCAPWriter(file); // nanosecond precision
    let flushed = 0;
    let attempted = 0;
    let bytes = 24;
    let error;
    let thrownBy;
    try {
      // 5,000 packets are 4.8 MB, far more than the disk: the loop cannot end without an error.
      for (let i = 0; i < 5000 && bytes < v.stopAtBytes; i++) {
        const p = packetFor(i);
        thrownBy = 'write';
        w.write(p.frame, { tsSec: p.tsSec, tsNsec: p.tsNsec });
        attempted = i + 1;
        bytes += 16 + p.frame.length;
        if (v.flushEvery && attempted % v.flushEvery === 0) {
          thrownBy = 'flush';
          w.flush();
          flushed = attempted;
        }
      }
      thrownBy = 'close';
      await w.close();
    } catch (err) {
      error = err;
    } finally {
      // (already closed when pcapkit behaves; otherwise its open file would fill the next test's disk)
      try {
        w.closeSync();
      } catch {
        // the failure being tested, reported by the assertions below
      }
    }
    const what = `ENOSPC in ${v.where}()`;
    assert.ok(error instanceof PcapError, `${what}: a PcapError, not ${error}`);
    assert.equal(error.code, 'ENOSPC', `${what}: ${error.message}`);
    assert.equal(thrownBy, v.where, `${what}: thrown by ${thrownBy}(): ${error.message}`);
    assert.ok(error.message.includes(file), `${what}: the message names the file: ${error.message}`);
    assert.match(error.message, /No space left on device/);

    // The writer closed itself: close() resolves, writing again repeats the code.
    assert.equal(w.closed, true, what);
    await w.close();
    assert.throws(() => w.write(packetFor(0).frame), (e) => e instanceof PcapError && e.code === 'ENOSPC', what);

    const f = walkPcap(readFileSync(file));
    assert.equal(f.tail, 0, `${what}: the file ends at a whole record`);
    assert.equal(f.records.length, w.packetsWritten, `${what}: packetsWritten says what the file holds`);
    assert.ok(f.records.length > 0 && f.records.length < attempted, `${what}: ${f.records.length} of ${attempted} packets fitted`);
    assert.ok(f.records.length >= flushed, `${what}: every packet flushed before the error is in the file (${flushed})`);
    if (v.where === 'flush') assert.ok(flushed > 0, 'some flushes succeeded before the disk filled');
    assert.ok(error.message.includes(`first ${f.records.length} packets`), `${what}: ${error.message}`);
    f.records.forEach((r, i) => assertIsPacket(r, i, f.header, what));
    assertValidCapture(file, f.records.length, what);
    assert.equal(statSync(file).mode & 0o777, 0o600, `${what}: mode`);
  }
});

test('disk full: `pcapkit filter` to a full disk exits 1 naming ENOSPC, OUT cut back to whole packets', { skip: tmpfsSkip || toolsSkip, timeout: 30_000 }, async () => {
  const out = diskFile('cli.pcap');
  disk.clear();
  const r = await pcapkit('filter', medium, out, EXPR);
  assert.equal(r.signal, null, r.stderr);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^pcapkit: ENOSPC: .*No space left on device/m);
  assert.ok(r.stderr.includes(out), `names OUT: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /internal error|at .*\.js:\d+/, 'no stack trace');

  const f = walkPcap(readFileSync(out));
  assert.equal(f.tail, 0, 'OUT ends at a whole record');
  assert.ok(f.records.length > 0, 'OUT holds the packets that fitted');
  assert.match(r.stderr, new RegExp(`holds the first ${f.records.length} matching packets`));
  const ref = tmp('medium.tcpdump.pcap');
  assert.equal(run('tcpdump', ['-r', medium, '-w', ref, EXPR]).status, 0);
  assert.ok(f.records.length < capinfosCount(ref).count, 'not every matching packet fitted');
  assertPrefixOf(f, ref, 'cli');
  assertValidCapture(out, f.records.length, 'cli');

  // A disk with no room at all: not even the file header fits; OUT is left empty, and said so.
  disk.clear();
  disk.leaveFree(0);
  const e = await pcapkit('filter', medium, out, EXPR);
  assert.equal(e.code, 1, e.stderr);
  assert.match(e.stderr, /^pcapkit: ENOSPC: .*is empty \(not even the file header fitted\)/m);
  assert.equal(statSync(out).size, 0);
});

test('disk full: filterFile() rejects with ENOSPC, err.result counts the whole packets OUT holds', { skip: tmpfsSkip || toolsSkip, timeout: 30_000 }, async () => {
  const out = diskFile('api.pcap');
  disk.clear();
  disk.leaveFree(512 << 10);
  const err = await filterFile(medium, out, EXPR).then(
    () => assert.fail('filterFile resolved on a full disk'),
    (e) => e,
  );
  assert.ok(err instanceof PcapError, String(err));
  assert.equal(err.code, 'ENOSPC', err.message);
  assert.ok(err.message.includes(out), err.message);
  const f = walkPcap(readFileSync(out));
  assert.equal(f.tail, 0, 'OUT ends at a whole record');
  assert.ok(f.records.length > 0);
  assert.equal(err.result.packetsWritten, f.records.length, 'result.packetsWritten');
  assert.equal(err.result.bytesWritten, statSync(out).size, 'result.bytesWritten');
  const ref = tmp('medium.tcpdump.pcap');
  assert.equal(run('tcpdump', ['-r', medium, '-w', ref, EXPR]).status, 0);
  assertPrefixOf(f, ref, 'filterFile');
  assertValidCapture(out, f.records.length, 'filterFile');
});

test('disk full: `pcapkit repair` to a full disk exits 1 with ENOSPC, not "input unreadable"', { skip: tmpfsSkip || toolsSkip, timeout: 30_000 }, async () => {
  // repairFile() reports damage of the input in its result; a failure to write OUT is no
  // damage of the input and must not end in exit 0.
  const out = diskFile('repaired.pcap');
  disk.clear();
  const r = await pcapkit('repair', medium, out);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^pcapkit: ENOSPC: .*No space left on device/m);
  assert.doesNotMatch(r.stderr, /input was/);
  const f = walkPcap(readFileSync(out));
  assert.equal(f.tail, 0, 'OUT ends at a whole record');
  assert.ok(f.records.length > 0 && f.records.length < MEDIUM_PACKETS, `${f.records.length} packets fitted`);
  assert.match(r.stderr, new RegExp(`holds the first ${f.records.length} packets written`));
  f.records.forEach((rec, i) => assertIsPacket(rec, i, f.header, 'repair'));
  assertValidCapture(out, f.records.length, 'repair');
});

// ---- 2. the output directory removed ------------------------------------------------------------

test('output directory missing before open: ENOENT naming the path from PCAPWriter, filterFile and the CLI', { timeout: 20_000 }, async () => {
  const gone = tmp('gone');
  mkdirSync(gone);
  rmSync(gone, { recursive: true });
  const out = join(gone, 'out.pcap');
  assert.throws(() => new PCAPWriter(out), (e) => e instanceof PcapError && e.code === 'ENOENT' && e.message.includes(out));
  await assert.rejects(filterFile(medium, out, EXPR), (e) => e instanceof PcapError && e.code === 'ENOENT' && e.message.includes(out));
  const r = await pcapkit('filter', medium, out, EXPR);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^pcapkit: ENOENT: /m);
  assert.ok(r.stderr.includes(out), r.stderr);
  assert.equal(existsSync(gone), false, 'nothing was created');
});

test('output directory removed while writing: no error, the open file keeps taking packets, close resolves', { timeout: 20_000 }, async (t) => {
  // Linux keeps an unlinked file alive while it is open: the writes go to it and nobody is told
  // (there is nothing to report; the data goes when the file is closed, as the user asked).
  const place = tmp('removed-while-writing');
  mkdirSync(place);
  const file = join(place, 'live.pcap');
  const w = new PCAPWriter(file, { precision: 'micro' });
  let bytes = 24;
  const writeRange = (from, to) => {
    for (let i = from; i < to; i++) {
      const p = packetFor(i);
      w.write(p.frame, { tsSec: p.tsSec, tsNsec: p.tsNsec });
      bytes += 16 + p.frame.length;
      if (i % 100 === 99) w.flush();
    }
  };
  writeRange(0, 500);
  rmSync(place, { recursive: true });
  assert.equal(existsSync(file), false);
  writeRange(500, 2500);
  w.flush();
  assert.equal(w.packetsWritten, 2500);
  // The writer's descriptor now names "FILE (deleted)" and the inode holds every flushed byte.
  if (existsSync('/proc/self/fd')) {
    const fd = readdirSync('/proc/self/fd').find((n) => {
      try {
        return readlinkSync(`/proc/self/fd/${n}`) === `${file} (deleted)`;
      } catch {
        return false;
      }
    });
    assert.ok(fd, 'an open descriptor on the removed file');
    assert.equal(statSync(`/proc/self/fd/${fd}`).size, bytes, 'every packet reached the open inode');
  } else {
    t.diagnostic('no /proc/self/fd: the inode size was not checked');
  }
  await w.close();
  assert.equal(w.closed, true);

  // filterFile: the output is opened when the job starts; removing it then does not stop the job.
  const place2 = tmp('removed-during-filter');
  mkdirSync(place2);
  const pending = filterFile(medium, join(place2, 'out.pcap'), EXPR);
  rmSync(place2, { recursive: true });
  const result = await withTimeout(pending, 10_000, 'filterFile after rm -r');
  const ref = tmp('medium.tcpdump.pcap');
  assert.equal(run('tcpdump', ['-r', medium, '-w', ref, EXPR]).status, 0);
  assert.equal(result.packetsWritten, capinfosCount(ref).count);
});

// ---- 3. the input cut short while it is read ----------------------------------------------------

/** Record offsets of a pcap file, from its bytes. */
function recordOffsets(buf) {
  const f = walkPcap(buf);
  let o = 24;
  return f.records.map((r) => {
    const at = o;
    o += r.raw.length;
    return at;
  });
}

/** pcapng block offsets of the EPBs (type 6) of a little-endian pcapng file. */
function epbOffsets(buf) {
  assert.equal(buf.readUInt32LE(0), 0x0a0d0d0a, 'pcapng section header');
  assert.equal(buf.readUInt32LE(8), 0x1a2b3c4d, 'little-endian pcapng');
  const out = [];
  for (let o = 0; o + 12 <= buf.length; ) {
    const type = buf.readUInt32LE(o);
    const len = buf.readUInt32LE(o + 4);
    assert.ok(len >= 12 && len % 4 === 0, `block length ${len} at ${o}`);
    if (type === 6) out.push(o);
    o += len;
  }
  return out;
}

/**
 * Reads `file` with small batches, truncates it to `cut` bytes after 100 packets, and reads on.
 * Returns { packets, error } where every packet was compared with the original at its index.
 */
async function readWhileCutting(file, cut) {
  const reader = new PCAPReader(file, { batchPackets: 64, batchBytes: 64 << 10 });
  let n = 0;
  let error;
  const loop = (async () => {
    try {
      for await (const pkt of reader) {
        const p = packetFor(n);
        assert.ok(pkt.data.equals(p.frame), `packet ${n}: bytes`);
        assert.equal(pkt.caplen, p.frame.length, `packet ${n}: caplen`);
        assert.equal(pkt.length, p.frame.length, `packet ${n}: length`);
        assert.equal(pkt.tsSec, p.tsSec, `packet ${n}: seconds`);
        assert.equal(pkt.tsNsec, p.tsNsec, `packet ${n}: nanoseconds`);
        n++;
        if (n === 100) truncateSync(file, cut);
      }
    } catch (err) {
      if (!(err instanceof PcapError)) throw err; // an assertion above, or a crash of the reader
      error = err;
    }
  })();
  try {
    await withTimeout(loop, 10_000, `reading ${file} cut to ${cut} bytes`);
  } finally {
    await reader.close();
  }
  return { packets: n, error };
}

const CUT_PACKETS = 6000; // 5.9 MB: the reader is far from the cut when it is made

test('input cut short while read (pcap): every packet delivered is the original, then ETRUNCATED or a clean end', { timeout: 30_000 }, async () => {
  const original = tmp('cut-original.pcap');
  await writeCapture(original, CUT_PACKETS, { precision: 'nano' });
  const offsets = recordOffsets(readFileSync(original));
  assert.equal(offsets.length, CUT_PACKETS);
  const wholeBefore = (cut) => offsets.filter((o, i) => o + 16 + packetFor(i).frame.length <= cut).length;
  const cases = [
    { what: 'inside a record\'s data', cut: offsets[3000] + 16 + 100 },
    { what: 'inside a record header', cut: offsets[3000] + 7 },
    { what: 'on a record boundary', cut: offsets[3000] },
    { what: 'inside the file header', cut: 10 },
  ];
  for (const c of cases) {
    const file = tmp('cut.pcap');
    copyFileSync(original, file);
    const { packets, error } = await readWhileCutting(file, c.cut);
    const what = `cut ${c.what} (${c.cut})`;
    if (c.what === 'on a record boundary') {
      // A file that ends between records is a shorter, valid capture.
      assert.equal(error, undefined, `${what}: ${error?.message}`);
      assert.equal(packets, 3000, what);
    } else if (c.what === 'inside the file header') {
      // The header was read at open; what the reader had read ahead is delivered, then the end
      // of the data shows (the reader stood inside a record: ETRUNCATED).
      assert.ok(packets >= 100 && packets < 3000, `${what}: ${packets} packets read ahead`);
      assert.ok(error === undefined || error.code === 'ETRUNCATED', `${what}: ${error?.code} ${error?.message}`);
    } else {
      // Every whole record before the cut is delivered, none after it, then ETRUNCATED.
      assert.equal(packets, wholeBefore(c.cut), what);
      assert.equal(error?.code, 'ETRUNCATED', `${what}: ${error?.message}`);
      assert.ok(error.message.includes(file), error.message);
      assert.match(error.message, /cut short|truncated/);
    }
  }
  // Opening a file cut inside its header is refused at once, with the same code.
  const file = tmp('cut.pcap');
  copyFileSync(original, file);
  truncateSync(file, 10);
  assert.throws(() => new PCAPReader(file), (e) => e instanceof PcapError && e.code === 'ETRUNCATED');
});

test('input cut short while read (pcapng): the same, block by block', { skip: editcapSkip, timeout: 30_000 }, async () => {
  // PCAPWriter writes pcap only; the pcapng is editcap's conversion of a file it wrote.
  const pcap = tmp('cut-ng-source.pcap');
  await writeCapture(pcap, CUT_PACKETS, { precision: 'nano' });
  const original = tmp('cut-original.pcapng');
  const e = run('editcap', ['-F', 'pcapng', pcap, original]);
  assert.equal(e.status, 0, e.stderr);
  const epbs = epbOffsets(readFileSync(original));
  assert.equal(epbs.length, CUT_PACKETS);
  const cases = [
    { what: 'inside a packet block', cut: epbs[3000] + 40, packets: 3000, code: 'ETRUNCATED' },
    { what: 'on a block boundary', cut: epbs[3000], packets: 3000, code: undefined },
  ];
  for (const c of cases) {
    const file = tmp('cut.pcapng');
    copyFileSync(original, file);
    const { packets, error } = await readWhileCutting(file, c.cut);
    const what = `pcapng cut ${c.what} (${c.cut})`;
    assert.equal(packets, c.packets, what);
    assert.equal(error?.code, c.code, `${what}: ${error?.message}`);
  }
});

// ---- 4. SIGINT / SIGTERM ------------------------------------------------------------------------

test('SIGINT and SIGTERM during `pcapkit filter` on a big file: exit 130 / 143, OUT a valid prefix of tcpdump\'s output', { skip: toolsSkip, timeout: 40_000 }, async () => {
  // The filter writes ~250 MB in a few hundred ms; the signal goes once OUT has 16 MiB, and
  // the job stops at its next chunk of 8,192 packets.
  const { big: input, bigRef: ref } = await bigInput();
  const fullSize = statSync(ref).size;
  for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143]]) {
    const out = tmp(`signal-${signal}.pcap`);
    const c = startChild([BIN, 'filter', input, out, EXPR]);
    await untilSize(out, 16 << 20, c.child);
    c.child.kill(signal);
    const r = await c.exited;
    assert.equal(r.signal, null, `${signal}: ${r.stderr}`);
    assert.equal(r.code, status, `${signal}: ${r.stderr}`);
    const m = /(?:interrupted|terminated) after ([\d,]+) packets read.*?([\d,]+) written; .* is a valid capture/.exec(r.stderr);
    assert.ok(m, `${signal}: ${r.stderr}`);

    const f = walkPcap(readFileSync(out));
    assert.equal(f.tail, 0, `${signal}: OUT ends at a whole record`);
    assert.equal(f.records.length, Number(m[2].replaceAll(',', '')), `${signal}: the count on stderr`);
    assert.ok(statSync(out).size < fullSize, `${signal}: stopped part-way (${statSync(out).size} of ${fullSize} bytes)`);
    assertPrefixOf(f, ref, signal);
    assertValidCapture(out, f.records.length, signal);
    rmSync(out);
  }
});

/** A UDP socket pair on 127.0.0.1 sending numbered datagrams `fault-N` until stopped. */
async function udpStream({ size = 0 } = {}) {
  const rx = dgram.createSocket('udp4');
  rx.on('message', () => {});
  await new Promise((r) => rx.bind(0, '127.0.0.1', r));
  const tx = dgram.createSocket('udp4');
  let sent = 0;
  let stopped = false;
  const done = (async () => {
    // at most 3,000 datagrams, one every 2 ms: bounded even if the test forgets to stop it
    while (!stopped && sent < 3000) {
      const text = `fault-${sent}`;
      const body = Buffer.alloc(Math.max(size, text.length), ' ');
      body.write(text);
      await new Promise((r) => tx.send(body, rx.address().port, '127.0.0.1', r));
      sent++;
      await sleep(2);
    }
  })();
  return {
    port: rx.address().port,
    sent: () => sent,
    async stop() {
      stopped = true;
      await done;
      rx.close();
      tx.close();
    },
  };
}

test('SIGINT and SIGTERM during `pcapkit sniff -w` with traffic flowing: exit 0, a valid capture of whole packets', { skip: rootSkip || toolsSkip, timeout: 40_000 }, async () => {
  for (const signal of ['SIGINT', 'SIGTERM']) {
    const udp = await udpStream();
    const out = tmp(`sniff-${signal}.pcap`);
    try {
      const c = await startSniff(['-i', 'lo', '--timeout', '50', '-w', out, `udp dst port ${udp.port}`]);
      const deadline = Date.now() + LIMIT_MS;
      const from = udp.sent();
      while (udp.sent() < from + 100) {
        assert.ok(Date.now() < deadline, `only ${udp.sent() - from} datagrams sent`);
        await sleep(5);
      }
      c.child.kill(signal); // while datagrams keep coming
      const r = await c.exited;
      assert.equal(r.signal, null, `${signal}: ${r.stderr}`);
      assert.equal(r.code, 0, `${signal}: ${r.stderr}`);
      const m = /^([\d,]+) packets? captured, ([\d,]+) received by filter, ([\d,]+) dropped by kernel/m.exec(r.stderr);
      assert.ok(m, r.stderr);
      const captured = Number(m[1].replaceAll(',', ''));

      const f = walkPcap(readFileSync(out));
      assert.equal(f.tail, 0, `${signal}: ends at a whole record`);
      assert.ok(f.records.length > 0, `${signal}: packets were captured`);
      assert.equal(f.records.length, captured, `${signal}: the count on stderr`);
      assertValidCapture(out, captured, signal);
      // Each record is one of the datagrams, whole, in the order sent.
      let last = -1;
      for (const rec of f.records) {
        const text = rec.data.subarray(14 + 20 + 8).toString('latin1');
        const n = /^fault-(\d+) *$/.exec(text);
        assert.ok(n, `${signal}: payload ${JSON.stringify(text)}`);
        assert.ok(Number(n[1]) > last, `${signal}: in order`);
        last = Number(n[1]);
      }
    } finally {
      await udp.stop();
    }
  }
});

/** Starts `pcapkit sniff ARGS...` and resolves once it says `listening on`. */
async function startSniff(args) {
  const c = startChild([BIN, 'sniff', ...args]);
  const deadline = Date.now() + LIMIT_MS;
  while (!/listening on /.test(c.stderr())) {
    assert.ok(c.child.exitCode === null && Date.now() < deadline, `sniff did not start: ${c.stderr()}`);
    await sleep(10);
  }
  return c;
}

test('disk full during `pcapkit sniff -w`: exit 1 with ENOSPC (not 0), the file cut back to whole packets', { skip: rootSkip || tmpfsSkip || toolsSkip, timeout: 30_000 }, async () => {
  // sniff hands each batch to libpcap's 1 MiB buffer: ~300 KB of datagrams reach the disk only
  // when SIGINT closes the file, and 64 KiB fit.
  const out = diskFile('sniff.pcap');
  disk.clear();
  disk.leaveFree(64 << 10);
  const udp = await udpStream({ size: 1000 });
  try {
    const c = await startSniff(['-i', 'lo', '--timeout', '50', '-w', out, `udp dst port ${udp.port}`]);
    const from = udp.sent();
    const deadline = Date.now() + LIMIT_MS;
    while (udp.sent() < from + 300) {
      assert.ok(Date.now() < deadline, `only ${udp.sent() - from} datagrams sent`);
      await sleep(5);
    }
    c.child.kill('SIGINT');
    const r = await c.exited;
    assert.equal(r.signal, null, r.stderr);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^pcapkit: ENOSPC: .*No space left on device/m);
    assert.doesNotMatch(r.stderr, /internal error/);
    const f = walkPcap(readFileSync(out));
    assert.equal(f.tail, 0, 'ends at a whole record');
    assert.ok(f.records.length > 0, 'the packets that fitted');
    assert.match(r.stderr, new RegExp(`holds the first ${f.records.length} packets written`));
    assertValidCapture(out, f.records.length, 'sniff to a full disk');
  } finally {
    await udp.stop();
  }
});

// ---- 5. kill -9 while writing -------------------------------------------------------------------

/**
 * A file left by a killed writer: its whole records (walked here) are what `pcapkit check`
 * counts and reports cut short (exit 2), and what `pcapkit repair` saves, byte for byte.
 * Returns the damaged file's walk.
 */
async function assertRepairable(damaged, what) {
  const d = walkPcap(readFileSync(damaged));
  // The writers hand the kernel whole records only (each write() ends at a record boundary),
  // so a kill leaves either whole records or, if it lands inside a write(), a cut one.
  assert.ok(d.records.length > 0, what);

  const check = await pcapkit('check', damaged);
  if (d.tail > 0) {
    assert.equal(check.code, 2, `${what}: check: ${check.stdout}${check.stderr}`);
    assert.match(check.stdout, /: cut short\n/);
    assert.match(check.stdout, new RegExp(`\\b${d.records.length.toLocaleString('en-US')} packets readable\\b`));
    assert.match(check.stdout, /error: ETRUNCATED: /);
  } else {
    assert.equal(check.code, 0, `${what}: check: ${check.stdout}${check.stderr}`);
    assert.match(check.stdout, /: intact\n/);
    assert.match(check.stdout, new RegExp(`\\b${d.records.length.toLocaleString('en-US')} packets\\b`));
  }

  const fixed = `${damaged}.fixed.pcap`;
  const repair = await pcapkit('repair', damaged, fixed);
  assert.equal(repair.code, 0, `${what}: repair: ${repair.stderr}`);
  assert.match(repair.stderr, new RegExp(`^repair: ${d.records.length.toLocaleString('en-US')} packets written to .*; input was ${d.tail > 0 ? 'cut short' : 'intact'}`, 'm'));
  const f = walkPcap(readFileSync(fixed));
  assert.equal(f.tail, 0, `${what}: the repaired file ends at a whole record`);
  assert.equal(f.records.length, d.records.length, `${what}: every whole record recovered`);
  assert.ok(f.header.raw.equals(d.header.raw), `${what}: the same file header`);
  f.records.forEach((r, i) => assert.ok(r.raw.equals(d.records[i].raw), `${what}: record ${i}`));
  assertValidCapture(fixed, d.records.length, `${what} repaired`);
  return d;
}

test('kill -9 of a process writing with PCAPWriter: `pcapkit repair` recovers every whole record', { skip: toolsSkip, timeout: 40_000 }, async () => {
  const file = tmp('killed-writer.pcap');
  const c = startChild([ENDLESS_WRITER, file]);
  await untilSize(file, 8 << 20, c.child);
  c.child.kill('SIGKILL');
  const r = await c.exited;
  assert.equal(r.signal, 'SIGKILL', r.stderr);
  const d = await assertRepairable(file, 'killed writer');
  d.records.forEach((rec, i) => assertIsPacket(rec, i, d.header, 'killed writer'));
});

test('kill -9 of `pcapkit filter` on a big file: `pcapkit repair` recovers every whole record', { skip: toolsSkip, timeout: 40_000 }, async () => {
  const { big: input, bigRef: ref } = await bigInput();
  const out = tmp('killed-filter.pcap');
  const c = startChild([BIN, 'filter', input, out, EXPR]);
  await untilSize(out, 16 << 20, c.child);
  c.child.kill('SIGKILL');
  const r = await c.exited;
  assert.equal(r.signal, 'SIGKILL', r.stderr);
  const d = await assertRepairable(out, 'killed filter');
  assertPrefixOf(d, ref, 'killed filter');
});
