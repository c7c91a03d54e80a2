// Property / fuzz test of the decoders: seeded, deterministic, ~200k decodes.
//
// Inputs, for every link type the Decoder knows (1, 113, 276, 0, 108, 12, 14, 101, 228, 229)
// and one it does not:
//   (a) random bytes of random length 0..200;
//   (b) real corpus packets (when ../shared/corpus is there) and packets built here, mutated:
//       bit flips, random bytes, truncation at every length (a few packets), header length
//       fields set to extremes (IHL and TCP data offset 0..15, IP/UDP/IPv6 lengths 0/1/max,
//       ARP address sizes, DNS counts and TCP length prefix), DNS compression loops and
//       pointers out of bounds, IPv6 extension-header chains as long as the datagram allows.
// Properties checked on every decode:
//   - decode() never throws; layers follow each other (next offset = offset + headerLength);
//     every layer has offset + headerLength + payloadLength <= data.length, no negative length;
//   - only the last layer may be truncated or malformed, and the decoder's flags say so;
//   - every getter and field of every decoded layer (DNS questions/answers, TCP options, all
//     addresses) and of the decoder (network, transport, appData...) can be read: nothing
//     throws (Buffer reads past the end throw RangeError) and no text shows a read past the
//     packet ('undefined', NaN);
//   - state does not leak between packets: for a sample, a fresh Decoder gives the same values
//     as the reused one;
//   - it all ends: the test has a time limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

import { Decoder, LayerType } from '../dist/esm/index.mjs';
import { corpusSkip, pcapsDir } from './support/corpus.mjs';
import { decodedLayers, readEverything, readPackets } from './support/tshark-fields.mjs';

const LINKTYPES = [1, 113, 276, 0, 108, 12, 14, 101, 228, 229, 147 /* USER0: no decoder */];

// ---------------------------------------------------------------------------------------------
// Seeded PRNG (mulberry32): the same inputs on every run.

function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  return { next, int, pick: (arr) => arr[int(arr.length)], bytes: (n) => Buffer.from(Array.from({ length: n }, () => int(256))) };
}

// ---------------------------------------------------------------------------------------------
// Packet builders (big-endian fields written byte by byte).

const B = (...parts) => Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p))));
const u16 = (n) => [(n >> 8) & 255, n & 255];
const u32 = (n) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const MAC_A = [0x02, 0, 0, 0, 0, 1];
const MAC_B = [0x02, 0, 0, 0, 0, 2];

const eth = (type, payload) => B(MAC_B, MAC_A, u16(type), payload);
const vlan = (tci, type, payload) => B(u16(tci), u16(type), payload);
const sll = (proto, payload) => B(u16(0), u16(1), u16(6), MAC_A, [0, 0], u16(proto), payload);
const sll2 = (proto, payload) => B(u16(proto), [0, 0], u32(3), u16(1), [0, 6], MAC_A, [0, 0], payload);
const nullLE = (af, payload) => B([af & 255, (af >> 8) & 255, 0, 0], payload);
const loopBE = (af, payload) => B(u32(af), payload);

function ipv4(proto, payload, { options = [], frag = 0, flags = 2 } = {}) {
  const opts = Buffer.from(options);
  const hlen = 20 + opts.length;
  return B([0x40 | (hlen / 4), 0], u16(hlen + payload.length), u16(0x1234), u16((flags << 13) | frag), [64, proto], [0, 0],
    [192, 0, 2, 1], [198, 51, 100, 7], opts, payload);
}
const V6_A = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const V6_B = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
const ipv6 = (nh, payload) => B([0x60, 0, 0, 0], u16(payload.length), [nh, 64], V6_A, V6_B, payload);
/** An 8-byte extension header (hop-by-hop, routing, destination options: padding inside). */
const ext8 = (nh) => [nh, 0, 1, 4, 0, 0, 0, 0];

function tcp(payload, { sport = 40000, dport = 80, flags = 0x18, options = [] } = {}) {
  const opts = Buffer.from(options);
  const pad = (4 - (opts.length % 4)) % 4;
  const hlen = 20 + opts.length + pad;
  return B(u16(sport), u16(dport), u32(0x01020304), u32(0xa0b0c0d0), [(hlen / 4) << 4, flags], u16(65535), [0, 0], [0, 0],
    opts, Buffer.alloc(pad), payload);
}
const udp = (payload, sport = 40000, dport = 53) => B(u16(sport), u16(dport), u16(8 + payload.length), [0, 0], payload);
const icmp = (type, payload) => B([type, 0, 0, 0], u16(7), u16(1), payload);
const arp = () => B(u16(1), u16(0x0800), [6, 4], u16(1), MAC_A, [192, 0, 2, 1], [0, 0, 0, 0, 0, 0], [192, 0, 2, 2]);

const label = (s) => [s.length, ...Buffer.from(s, 'latin1')];
const qname = (...labels) => [...labels.flatMap(label), 0];
function dnsMessage({ qd = 1, an = 2 } = {}) {
  return B(u16(0xbeef), u16(0x8180), u16(qd), u16(an), u16(0), u16(0),
    qname('www', 'example', 'com'), u16(1), u16(1),
    [0xc0, 12], u16(5), u16(1), u32(300), u16(6), label('host'), [0xc0, 16], // CNAME host.example.com
    [0xc0, 12], u16(1), u16(1), u32(300), u16(4), [192, 0, 2, 9]); // A
}
const dnsTcp = (msg) => B(u16(msg.length), msg);

const TCP_OPTIONS = [2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2, 8, 10, ...u32(1), ...u32(2), 5, 18, ...u32(10), ...u32(20), ...u32(30), ...u32(40)];

/** Built packets: [linktype, bytes]. */
function builtPackets() {
  const dns = dnsMessage();
  return [
    [1, eth(0x0800, ipv4(6, tcp(Buffer.from('GET / HTTP/1.0\r\n\r\n'), { options: TCP_OPTIONS })))],
    [1, eth(0x0800, ipv4(17, udp(dns), { options: [0x94, 4, 0, 0] }))],
    [1, eth(0x0800, ipv4(6, tcp(dnsTcp(dns), { dport: 53 })))],
    [1, eth(0x8100, vlan(0x2064, 0x8100, vlan(7, 0x86dd, ipv6(17, udp(dns, 5353, 5353)))))],
    [1, eth(0x88a8, vlan(100, 0x8100, vlan(200, 0x0806, arp())))],
    [1, eth(0x86dd, ipv6(0, B(ext8(43), ext8(44), [60, 0, 0, 1, 0, 0, 0, 9], ext8(17), udp(dns, 1234, 5355))))],
    [1, eth(0x86dd, ipv6(58, icmp(128, Buffer.alloc(16, 0xab))))],
    [1, eth(0x0800, ipv4(1, icmp(8, Buffer.alloc(32, 0x61))))],
    [1, eth(0x0800, ipv4(17, udp(Buffer.alloc(40)), { frag: 185, flags: 1 }))],
    [113, sll(0x0800, ipv4(17, udp(dns)))],
    [113, sll(0x0806, arp())],
    [276, sll2(0x86dd, ipv6(6, tcp(Buffer.alloc(10), { flags: 0x12, options: TCP_OPTIONS })))],
    [0, nullLE(2, ipv4(17, udp(dns)))],
    [0, nullLE(30, ipv6(58, icmp(129, Buffer.alloc(8))))],
    [108, loopBE(2, ipv4(6, tcp(Buffer.alloc(0), { flags: 0x02, options: TCP_OPTIONS })))],
    [12, ipv4(17, udp(dns))],
    [14, ipv6(17, udp(dns))],
    [101, ipv6(6, tcp(dnsTcp(dns), { sport: 53 }))],
    [228, ipv4(6, tcp(Buffer.alloc(5)))],
    [229, ipv6(17, udp(dns))],
    [147, Buffer.from('not decoded')],
  ];
}

// ---------------------------------------------------------------------------------------------
// Targeted mutations: header fields found by decoding the seed, then set to extremes.

/** Decodes `pkt` and returns the offsets of its layers by type (first occurrence). */
function layout(d, pkt) {
  d.decode(pkt.data, pkt.linktype);
  const at = {};
  for (const layer of decodedLayers(d)) if (at[layer.type] === undefined) at[layer.type] = layer.offset;
  return at;
}

function extremes(d, pkt, r) {
  const at = layout(d, pkt);
  const out = [];
  const set = (fn) => {
    const b = Buffer.from(pkt.data);
    fn(b);
    out.push(b);
  };
  const n = pkt.data.length;
  const ok = (o, len) => o !== undefined && o + len <= n;
  if (ok(at[LayerType.IPv4], 20)) {
    const o = at[LayerType.IPv4];
    for (let ihl = 0; ihl < 16; ihl++) set((b) => (b[o] = 0x40 | ihl));
    for (const len of [0, 1, 19, 20, 21, 65535]) set((b) => b.writeUInt16BE(len, o + 2));
    for (const ff of [0x2000, 0x1fff, 0xffff, 0x0001]) set((b) => b.writeUInt16BE(ff, o + 6));
    for (const proto of [0, 1, 6, 17, 41, 58, 255]) set((b) => (b[o + 9] = proto));
    set((b) => (b[o] = 0x65));
  }
  if (ok(at[LayerType.IPv6], 40)) {
    const o = at[LayerType.IPv6];
    for (const len of [0, 1, 7, 8, 65535]) set((b) => b.writeUInt16BE(len, o + 4));
    for (const nh of [0, 43, 44, 51, 59, 60, 6, 17, 58, 255]) set((b) => (b[o + 6] = nh));
    set((b) => (b[o] = 0x40));
    // A chain of extension headers as long as the datagram allows: each 8-byte header names
    // the next as another one; the last may point anywhere.
    set((b) => {
      b[o + 6] = r.pick([0, 43, 60, 51]);
      for (let p = o + 40; p + 8 <= n; p += 8) {
        b[p] = r.pick([43, 60, 44, 51, 0]);
        b[p + 1] = b[p] === 51 ? 0 : 0; // AH length 0 -> (0+2)*4 = 8 bytes; others (0+1)*8 = 8
      }
    });
    set((b) => {
      b[o + 6] = 60;
      for (let p = o + 40; p + 8 <= n; p += 8) b[p + 1] = 255; // lengths past the end
    });
  }
  if (ok(at[LayerType.TCP], 20)) {
    const o = at[LayerType.TCP];
    for (let off = 0; off < 16; off++) set((b) => (b[o + 12] = (off << 4) | (b[o + 12] & 15)));
    set((b) => b.fill(0, o + 20, Math.min(n, o + 60))); // options all end-of-list
    set((b) => b.fill(1, o + 20, Math.min(n, o + 60))); // options all NOP
    for (const len of [0, 1, 2, 255]) set((b) => { if (o + 22 <= n) { b[o + 20] = r.pick([2, 3, 5, 8, 30]); b[o + 21] = len; } });
    set((b) => (b[o + 13] = 0xff));
    set((b) => (b[o + 12] |= 0x0f));
  }
  if (ok(at[LayerType.UDP], 8)) {
    const o = at[LayerType.UDP];
    for (const len of [0, 1, 7, 8, 9, 65535]) set((b) => b.writeUInt16BE(len, o + 4));
  }
  if (ok(at[LayerType.ARP], 8)) {
    const o = at[LayerType.ARP];
    for (const [h, p] of [[0, 0], [255, 255], [6, 0], [0, 4], [16, 16], [1, 1]]) set((b) => { b[o + 4] = h; b[o + 5] = p; });
  }
  if (at[LayerType.DNS] !== undefined) {
    const tcpPrefix = at[LayerType.TCP] !== undefined ? 2 : 0;
    const o = at[LayerType.DNS] + tcpPrefix;
    if (tcpPrefix) for (const len of [0, 1, 11, 12, 65535]) set((b) => b.writeUInt16BE(len, o - 2));
    if (o + 12 <= n) {
      for (let c = 4; c < 12; c += 2) set((b) => b.writeUInt16BE(65535, o + c));
      set((b) => { b.writeUInt16BE(65535, o + 4); b.writeUInt16BE(65535, o + 6); });
    }
    if (o + 14 <= n) {
      const ptr = (b, at, target) => { b[at] = 0xc0 | ((target >> 8) & 0x3f); b[at + 1] = target & 255; };
      set((b) => ptr(b, o + 12, 12)); // the question name points at itself
      set((b) => ptr(b, o + 12, 0x3fff)); // far out of bounds
      set((b) => ptr(b, o + 12, n - o - 1)); // at the last byte
      set((b) => ptr(b, o + 12, n - o)); // just past the end
      set((b) => { b[o + 12] = 0x40; }); // extended label type
      set((b) => { b[o + 12] = 63; }); // a label longer than the message
      // Every name position in the message becomes a pointer to the previous one or to
      // itself: loops of every length.
      set((b) => { for (let p = o + 12; p + 2 <= n; p += 2) ptr(b, p, p - o - r.int(3) * 2); });
      set((b) => { for (let p = o + 12; p < n; p++) if (b[p] === 0xc0 && p + 1 < n) b[p + 1] = r.int(256); });
    }
  }
  return out;
}

function mutate(buf, r) {
  const b = Buffer.from(buf);
  const kind = r.int(5);
  if (b.length === 0) return b;
  if (kind === 0) {
    for (let i = 1 + r.int(4); i > 0; i--) b[r.int(b.length)] ^= 1 << r.int(8);
    return b;
  }
  if (kind === 1) {
    for (let i = 1 + r.int(4); i > 0; i--) b[r.int(b.length)] = r.int(256);
    return b;
  }
  if (kind === 2) return b.subarray(0, r.int(b.length + 1));
  if (kind === 3) {
    const at = r.int(b.length);
    b.fill(r.pick([0, 0xff]), at, Math.min(b.length, at + 1 + r.int(8)));
    return b;
  }
  return Buffer.concat([b, r.bytes(r.int(64))]); // trailing junk / padding
}

// ---------------------------------------------------------------------------------------------

/** Checks every property on the decoder's current packet; returns a snapshot of all values. */
function checkDecoded(d, data, where) {
  const layers = decodedLayers(d);
  assert.equal(layers.length, d.layerCount, where);
  const snapshot = [];
  let expectOffset = 0;
  for (let i = 0; i < layers.length; i++) {
    const l = layers[i];
    const w = `${where}: layer ${i} (${l.constructor.name})`;
    assert.equal(l.offset, expectOffset, `${w}: starts where the previous header ended`);
    assert.ok(l.headerLength >= 0 && l.payloadLength >= 0, `${w}: lengths ${l.headerLength}/${l.payloadLength}`);
    assert.ok(l.offset + l.headerLength + l.payloadLength <= data.length,
      `${w}: ${l.offset}+${l.headerLength}+${l.payloadLength} > ${data.length}`);
    if (i < layers.length - 1) assert.ok(!l.truncated && !l.malformed, `${w}: only the last layer may be cut or malformed`);
    expectOffset = l.offset + l.headerLength;
    let values;
    try {
      values = readEverything(l);
    } catch (err) {
      assert.fail(`${w}: ${err.message}`);
    }
    snapshot.push(values);
  }
  const last = layers[layers.length - 1];
  assert.equal(d.truncated, last?.truncated ?? false, `${where}: decoder.truncated`);
  assert.equal(d.malformed, last?.malformed ?? false, `${where}: decoder.malformed`);
  const app = { network: d.network?.type, transport: d.transport?.type, off: d.appOffset, len: d.appLength, data: d.appData, layers: d.layers };
  assert.ok(app.off === -1 || app.off + app.len <= data.length, `${where}: app data within the packet`);
  assert.equal(app.data.length, app.off < 0 ? 0 : app.len, `${where}: appData length`);
  snapshot.push(app);
  return snapshot;
}

test('decoders survive random and mutated packets on every link type', { timeout: 120_000 }, async (t) => {
  const r = prng(0x5eed1234);
  const d = new Decoder();
  const fresh = () => new Decoder();
  let decodes = 0;
  let stateChecks = 0;
  const started = process.hrtime.bigint();
  const run = (data, linktype, where) => {
    decodes++;
    try {
      d.decode(data, linktype);
    } catch (err) {
      assert.fail(`${where}: decode threw ${err.stack}`);
    }
    const snap = checkDecoded(d, data, where);
    if (decodes % 16 === 0) {
      // No state carried over from earlier packets: a new Decoder sees the same thing.
      stateChecks++;
      const other = fresh().decode(data, linktype);
      assert.deepEqual(checkDecoded(other, data, `${where} (fresh decoder)`), snap, `${where}: reused decoder differs from a fresh one`);
    }
  };

  // (a) random bytes of random lengths, every link type.
  for (let i = 0; i < 60_000; i++) {
    const lt = LINKTYPES[i % LINKTYPES.length];
    const data = r.bytes(r.int(201));
    // Half of them get a plausible first byte so that decoding goes deeper.
    if (data.length > 0 && r.int(2) === 0) {
      if (lt === 12 || lt === 14 || lt === 101 || lt === 228 || lt === 229) data[0] = (r.pick([4, 6]) << 4) | (data[0] & 15);
      if (lt === 1 && data.length > 14) data.writeUInt16BE(r.pick([0x0800, 0x86dd, 0x0806, 0x8100, 0x88a8]), 12);
    }
    run(data, lt, `random #${i} linktype ${lt} len ${data.length}`);
  }

  // (b) seeds: built packets plus corpus packets, checked as they are, then mutated.
  const seeds = builtPackets().map(([linktype, data], i) => ({ linktype, data, name: `built #${i}` }));
  if (!corpusSkip) {
    for (const name of readdirSync(pcapsDir).sort()) {
      let pkts;
      try {
        pkts = await readPackets(join(pcapsDir, name));
      } catch {
        continue; // unreadable files are the reader's business
      }
      // A spread of each file: up to 40 packets.
      const step = Math.max(1, Math.floor(pkts.length / 40));
      for (let i = 0; i < pkts.length; i += step) seeds.push({ linktype: pkts[i].linktype, data: pkts[i].data, name: `${name} #${pkts[i].frame}` });
    }
  }
  const seedCount = seeds.length;
  for (const s of seeds) run(s.data, s.linktype, s.name);

  // Truncation at every length, for the built packets (every header of every kind).
  for (const s of seeds.slice(0, builtPackets().length)) {
    for (let n = 0; n <= s.data.length; n++) run(s.data.subarray(0, n), s.linktype, `${s.name} cut at ${n}`);
  }

  // Header fields set to extremes, each then also truncated somewhere and bit-flipped.
  for (const s of seeds) {
    for (const [k, b] of extremes(d, s, r).entries()) {
      run(b, s.linktype, `${s.name} extreme #${k}`);
      run(b.subarray(0, r.int(b.length + 1)), s.linktype, `${s.name} extreme #${k} cut`);
    }
  }

  // Random mutations of random seeds (also decoded as another link type now and then).
  const target = 200_000;
  for (let i = 0; decodes < target; i++) {
    const s = seeds[r.int(seeds.length)];
    let b = s.data;
    for (let m = 1 + r.int(3); m > 0; m--) b = mutate(b, r);
    const lt = r.int(10) === 0 ? r.pick(LINKTYPES) : s.linktype;
    run(b, lt, `${s.name} mutation #${i} as linktype ${lt}`);
  }

  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  t.diagnostic(`${decodes} decodes (${seedCount} seed packets${corpusSkip ? ', corpus absent' : ''}), ${stateChecks} fresh-decoder comparisons, ${ms.toFixed(0)} ms`);
  assert.ok(decodes >= target);
});

test('decoding a long IPv6 extension-header chain ends and finds the upper layer', () => {
  // 1,000 eight-byte destination-options headers, then UDP: the walk is bounded by the datagram.
  const n = 1000;
  const chain = [];
  for (let i = 0; i < n; i++) chain.push(...ext8(i === n - 1 ? 17 : 60));
  const pkt = eth(0x86dd, ipv6(60, B(chain, udp(Buffer.from('x'), 1, 2))));
  const d = new Decoder().decode(pkt, 1);
  assert.deepEqual(d.layers, [LayerType.Ethernet, LayerType.IPv6, LayerType.UDP, LayerType.Payload]);
  assert.equal(d.ipv6.extensions.length, n);
  assert.equal(d.ipv6.protocol, 17);
  assert.equal(d.ipv6.headerLength, 40 + 8 * n);
  assert.equal(d.udp.dstPort, 2);
  checkDecoded(d, pkt, 'long chain');
});
