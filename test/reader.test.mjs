// PCAPReader lifecycle and event-loop behaviour, on captures the test writes itself.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PCAPReader, PCAPWriter, PcapError } from '../dist/esm/index.mjs';
import { writeSampleCapture, samplePacket } from '../scripts/sample.mjs';
import { collect } from './support/collect.mjs';

let dir;
let big;
const BIG_COUNT = 150_000;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pcapkit-reader-'));
  big = await writeSampleCapture(join(dir, 'big.pcap'), BIG_COUNT);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('reads every packet with exact headers, in order', async () => {
  const path = join(dir, 'small.pcap');
  const w = new PCAPWriter(path, { precision: 'nano' });
  const frames = [];
  for (let i = 0; i < 100; i++) {
    const f = samplePacket(i);
    frames.push(f);
    w.write(f, { tsSec: 1_600_000_000 + i, tsNsec: i * 7919, length: f.length + (i % 3) });
  }
  await w.close();
  const r = new PCAPReader(path);
  assert.equal(r.precision, 'nano');
  assert.equal(r.linktypeName, 'EN10MB');
  let i = 0;
  for await (const p of r) {
    assert.equal(p.tsSec, 1_600_000_000 + i);
    assert.equal(p.tsNsec, i * 7919);
    assert.equal(p.caplen, frames[i].length);
    assert.equal(p.length, frames[i].length + (i % 3));
    assert.ok(p.data.equals(frames[i]));
    i++;
  }
  assert.equal(i, 100);
  assert.equal(r.closed, true, 'finishing the loop closes the reader');
});

test('precision micro truncates nanoseconds to whole microseconds', async () => {
  const path = join(dir, 'nano.pcap');
  const w = new PCAPWriter(path, { precision: 'nano' });
  w.write(samplePacket(5), { tsSec: 10, tsNsec: 123456789 });
  await w.close();
  const [p] = await collect(new PCAPReader(path, { precision: 'micro' }));
  assert.equal(p.tsNsec, 123456000);
});

test('the event loop keeps turning while a large file is read', async () => {
  // Not a latency goal (those are in the bench: a loaded machine stretches any gap): what cannot
  // flake is whether the loop turned at all between batches. A setImmediate chain counts loop
  // turns; each packet notes the count it was handed out at. Packets of one batch come out in
  // microtasks (same count); a reader that keeps the loop turning needs a turn before each next
  // batch (its native read completes on the loop), so the count moves between batches. A reader
  // that read the whole file in one go, or handed out batches without going back to the loop,
  // would show one or two counts for the whole file.
  const options = { batchPackets: 1000 };
  // The control: how many batches these options make of this file.
  let batches = 0;
  for await (const b of new PCAPReader(big, options).batches()) if (b.count > 0) batches++;
  assert.ok(batches >= 100, `${batches} batches`);

  let turns = 0;
  let running = true;
  const spin = () => {
    turns++;
    if (running) setImmediate(spin);
  };
  setImmediate(spin);
  let n = 0;
  let bytes = 0;
  let moved = 0; // packets handed out at a later turn than the packet before them
  let prev;
  try {
    for await (const p of new PCAPReader(big, options)) {
      if (prev !== undefined && turns !== prev) moved++;
      prev = turns;
      n++;
      bytes += p.data[0] + p.caplen; // touch the bytes, as a real consumer would
    }
  } finally {
    running = false;
  }
  assert.equal(n, BIG_COUNT);
  assert.ok(bytes > 0);
  assert.ok(moved >= batches - 1, `the loop turned before ${moved} of the ${batches - 1} batches after the first`);
});

test('break closes the reader and releases the file', async () => {
  const r = new PCAPReader(big);
  let n = 0;
  for await (const _ of r) if (++n === 10) break;
  assert.equal(r.closed, true);
  await assert.rejects(async () => {
    for await (const _ of r) { /* nothing */ }
  }, (e) => e instanceof PcapError && e.code === 'ECLOSED');
});

test('close() from another task ends a running loop cleanly', async () => {
  const r = new PCAPReader(big, { batchBytes: 64 * 1024 });
  let n = 0;
  // Closed from a timer once packets flow (a fixed delay from the start can fire before the
  // first batch on a loaded machine).
  let closer;
  for await (const _ of r) {
    n++;
    if (n === 1) closer = new Promise((resolve) => setTimeout(() => r.close().then(resolve), 5));
    if (n % 1000 === 0) await new Promise((res) => setImmediate(res));
  }
  await closer;
  assert.ok(n > 0 && n < BIG_COUNT, `stopped part-way (${n} packets)`);
});

test('an AbortSignal closes the reader and the loop rejects with its reason', async () => {
  const ac = new AbortController();
  const r = new PCAPReader(big, { signal: ac.signal, batchBytes: 64 * 1024 });
  let n = 0;
  await assert.rejects(async () => {
    for await (const _ of r) {
      if (++n === 500) ac.abort();
      if (n % 100 === 0) await new Promise((res) => setImmediate(res));
    }
  }, (e) => e.name === 'AbortError');
  assert.equal(r.closed, true);
  assert.ok(n < BIG_COUNT);
  assert.throws(() => new PCAPReader(big, { signal: AbortSignal.abort() }), (e) => e.name === 'AbortError');
});

test('Symbol.asyncDispose closes the reader', async () => {
  const r = new PCAPReader(big);
  await r[Symbol.asyncDispose]();
  assert.equal(r.closed, true);
});

test('batches() delivers every packet with accessors matching the Packet view', async () => {
  const r = new PCAPReader(big, { filter: 'tcp port 443' });
  let n = 0;
  let batches = 0;
  for await (const b of r.batches()) {
    batches++;
    for (let i = 0; i < b.count; i++) {
      const p = b.packet(i);
      assert.equal(b.caplen(i), p.caplen);
      assert.equal(b.tsSec(i), p.tsSec);
      // TCP destination port 443 at offset 14 + 20 + 2
      assert.equal(b.data(i).readUInt16BE(36), 443);
    }
    n += b.count;
  }
  assert.ok(batches > 1, 'more than one batch');
  assert.equal(n, r.stats.packetsDelivered);
  assert.ok(n > 0 && n < BIG_COUNT);
  assert.equal(r.stats.packetsRead, BIG_COUNT);
});

test('setFilter applies to the batches that follow and rejects bad expressions', async () => {
  const r = new PCAPReader(big, { batchBytes: 64 * 1024 });
  assert.throws(() => r.setFilter('tcp port'), (e) => e.code === 'EFILTER' && /syntax error/.test(e.message));
  let seenArpBefore = false;
  let n = 0;
  for await (const p of r) {
    n++;
    if (n < 100 && p.data.readUInt16BE(12) === 0x0806) seenArpBefore = true;
    if (n === 100) r.setFilter('arp');
    if (n > 2000) assert.equal(p.data.readUInt16BE(12), 0x0806, 'only ARP after the filter took effect');
  }
  assert.ok(seenArpBefore);
});

test('a record larger than the batch arena is still delivered whole', async () => {
  const path = join(dir, 'jumbo.pcap');
  const w = new PCAPWriter(path);
  const jumbo = Buffer.alloc(9000, 0xab);
  w.write(samplePacket(1));
  w.write(jumbo);
  w.write(samplePacket(2));
  await w.close();
  const got = await collect(new PCAPReader(path, { batchBytes: 4096 }));
  assert.equal(got.length, 3);
  assert.ok(got[1].data.equals(jumbo));
});

test('files that are not captures fail at once with a typed error', () => {
  const junk = join(dir, 'junk.pcap');
  writeFileSync(junk, 'this is not a capture file at all');
  assert.throws(() => new PCAPReader(junk), (e) => e instanceof PcapError && e.code === 'EFORMAT');
  assert.throws(() => new PCAPReader(join(dir, 'missing.pcap')), (e) => e.code === 'ENOENT');
  assert.throws(() => new PCAPReader(dir), (e) => e.code === 'EINVAL');
  const empty = join(dir, 'empty.pcap');
  writeFileSync(empty, '');
  assert.throws(() => new PCAPReader(empty), (e) => e.code === 'ETRUNCATED');
  assert.equal(statSync(big).mode & 0o777, 0o600);
});

test('batches({ recycle: true }) empties a batch when the loop moves on, never showing other data', async () => {
  const r = new PCAPReader(big, { batchBytes: 64 * 1024 });
  let kept;
  let keptData;
  let keptPacket;
  let n = 0;
  for await (const b of r.batches({ recycle: true })) {
    if (kept === undefined) {
      kept = b;
      keptData = b.data(0);
      keptPacket = b.packet(1);
      assert.ok(keptData.length > 0);
      assert.ok(keptPacket.caplen > 0 && keptPacket.data.length === keptPacket.caplen);
    } else {
      // The first batch was emptied when the loop asked for this one: its views read as
      // empty, a kept Packet's fields as undefined, and the batch itself refuses to be used.
      assert.equal(keptData.length, 0);
      assert.equal(keptPacket.data.length, 0);
      assert.equal(keptPacket.caplen, undefined);
      assert.equal(keptPacket.tsSec, undefined);
      assert.equal(kept.recycled, true);
      assert.throws(() => kept.arena, (e) => e.code === 'ECLOSED');
    }
    n += b.count;
  }
  assert.equal(n, BIG_COUNT);
});

test('default batches(): accessor-only batches are recycled loudly, batches whose data was taken stay valid', async () => {
  const r = new PCAPReader(big, { batchBytes: 64 * 1024 });
  let first;
  let second;
  let secondData;
  let secondBytes;
  let n = 0;
  for await (const b of r.batches()) {
    if (n === 0) {
      first = b;
      assert.ok(b.caplen(0) > 0); // accessors only
    } else if (second === undefined) {
      second = b;
      secondData = b.data(0); // a view taken: this batch must stay valid
      secondBytes = Buffer.from(secondData);
      assert.equal(first.recycled, true, 'the accessor-only batch was recycled when the loop moved on');
      assert.throws(() => first.caplen(0), (e) => e instanceof PcapError && e.code === 'ECLOSED');
    }
    n += b.count;
  }
  assert.equal(n, BIG_COUNT);
  assert.equal(second.recycled, false);
  assert.ok(secondData.equals(secondBytes), 'the kept view still holds its packet');
  assert.equal(second.caplen(0), secondBytes.length);
});
