// The Decoder's straight path (Ethernet, Linux cooked or raw IP -> IPv4/IPv6 -> TCP/UDP -> payload in one pass) must
// decode exactly what the layers' own decode() calls give: every field of every layer, the
// decoder's flags, on every packet. Here each packet is decoded twice, once normally and once
// with the straight path switched off, and the two are compared field by field: on generated
// packets cut at every length, on packets with their header bytes bent into edge cases, and on
// every corpus file.
import { test } from './support/skips.mjs';
import assert from 'node:assert/strict';
import { Decoder, LayerType, PCAPReader, build, ether, dot1q, ipv4, ipv6, tcp, udp, icmp, dnsQuery, payload } from '../dist/esm/index.mjs';
import { layerObjects } from '../dist/cjs/decode/summary.js';
import { corpusSkip, loadManifest } from './support/corpus.mjs';

// Every own field of every decoded layer (the memory it points into excepted), and the decoder's.
// The layer objects come from the presentation code's own lookup (layerObjects).
function snapshot(d) {
  const types = d.layers;
  const layers = layerObjects(d).map((l, i) => ({ t: types[i], ...fields(l) }));
  const has = Object.values(LayerType)
    .filter((v) => typeof v === 'number')
    .map((v) => d.has(v));
  return { layers, has, count: d.layerCount, vlans: d.vlanCount, truncated: d.truncated, malformed: d.malformed, appOffset: d.appOffset, appLength: d.appLength };
}

function fields(layer) {
  const out = { offset: layer.offset, payloadOffset: layer.payloadOffset };
  for (const [k, v] of Object.entries(layer)) {
    if (k === 'buf') continue;
    out[k] = Array.isArray(v) ? [...v] : Buffer.isBuffer(v) ? v.toString('hex') : v;
  }
  return out;
}

function decoders() {
  const fast = new Decoder();
  let straight = 0;
  const take = fast.straight;
  assert.equal(typeof take, 'function', 'the Decoder has a straight path');
  fast.straight = function (...args) {
    const ok = take.apply(this, args);
    if (ok) straight++;
    return ok;
  };
  const general = new Decoder();
  general.straight = () => false;
  return { fast, general, straightCount: () => straight };
}

// Decodes `frame` (cut at `caplen`, wire length `length`) both ways and compares.
function compare(ds, frame, linktype, length, label) {
  const a = snapshot(ds.fast.decode(frame, linktype, length));
  const b = snapshot(ds.general.decode(frame, linktype, length));
  assert.deepEqual(a, b, label);
}

const FRAMES = [
  build(ether({}), ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), tcp({ srcPort: 443, dstPort: 5555, flags: 'SA', options: { mss: 1460, sackPermitted: true, windowScale: 7 } }), payload(Buffer.from('hello'))),
  build(ether({}), ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), tcp({ srcPort: 80, dstPort: 40000, flags: 'A' })),
  build(ether({}), ipv4({ src: '10.0.0.1', dst: '10.0.0.2', options: Buffer.from([1, 1, 1, 0]) }), udp({ srcPort: 1000, dstPort: 2000 }), payload(Buffer.alloc(12, 7))),
  build(ether({}), ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), udp({ srcPort: 5353, dstPort: 53 }), dnsQuery({ id: 7, name: 'example.com' })),
  build(ether({}), ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), udp({ srcPort: 4000, dstPort: 4001 })),
  build(ether({}), ipv6({ src: '2001:db8::1', dst: '2001:db8::2' }), tcp({ srcPort: 22, dstPort: 50000, flags: 'PA' }), payload(Buffer.from('ssh data'))),
  build(ether({}), ipv6({ src: '::1', dst: '::2' }), udp({ srcPort: 443, dstPort: 50001 }), payload(Buffer.alloc(30, 1))),
  build(ether({}), ipv6({ src: '::1', dst: '::2' }), tcp({ srcPort: 1, dstPort: 53 }), payload(Buffer.from('\x00\x0c0123456789ab', 'latin1'))),
  build(ether({}), dot1q({ vlanId: 10 }), ipv4({ src: '1.2.3.4', dst: '5.6.7.8' }), tcp({ srcPort: 1, dstPort: 2 })),
  build(ether({}), ipv4({ src: '1.2.3.4', dst: '5.6.7.8' }), icmp({ type: 8, id: 3, seq: 4 })),
  build(ether({}), dot1q({ vlanId: 7 }), ipv6({ src: '::1', dst: '::2' }), udp({ srcPort: 9, dstPort: 53 }), dnsQuery({ id: 9, name: 'a.example' })),
  build(ether({}), dot1q({ vlanId: 7 }), dot1q({ vlanId: 8 }), ipv4({ src: '1.2.3.4', dst: '5.6.7.8' }), udp({ srcPort: 1, dstPort: 2 })),
  build(ether({}), ipv4({ src: '1.2.3.4', dst: '5.6.7.8', flags: 'MF' }), udp({ srcPort: 1, dstPort: 2 }), payload(Buffer.alloc(16, 3))),
  build(ether({}), ipv4({ src: '1.2.3.4', dst: '5.6.7.8', fragmentOffset: 3 }), payload(Buffer.alloc(16, 3))),
];

// The same frames behind the other link types the straight path takes.
function sll(frame) {
  const h = Buffer.alloc(16);
  h.writeUInt16BE(4, 0); // outgoing
  h.writeUInt16BE(1, 2);
  h.writeUInt16BE(6, 4);
  frame.copy(h, 6, 6, 12);
  frame.copy(h, 14, 12, 14); // protocol = the frame's EtherType
  return Buffer.concat([h, frame.subarray(14)]);
}
function sll2(frame) {
  const h = Buffer.alloc(20);
  frame.copy(h, 0, 12, 14); // protocol
  h.writeUInt32BE(0x80000003, 4); // interface index, high bit set (read unsigned)
  h.writeUInt16BE(1, 8);
  h[10] = 0;
  h[11] = 6;
  frame.copy(h, 12, 6, 12);
  return Buffer.concat([h, frame.subarray(14)]);
}
const OTHER_LINKS = [
  ['LINUX_SLL', 113, sll],
  ['LINUX_SLL2', 276, sll2],
  ['RAW', 101, (f) => f.subarray(14)],
  ['IPV4', 228, (f) => f.subarray(14)],
  ['IPV6', 229, (f) => f.subarray(14)],
];

test('straight path = layer by layer: generated packets cut at every length, with and without padding', () => {
  const ds = decoders();
  let n = 0;
  for (const f of FRAMES) {
    for (let cut = 0; cut <= f.length; cut++) {
      compare(ds, f.subarray(0, cut), 1, f.length, `frame ${FRAMES.indexOf(f)} cut at ${cut}`);
      n++;
    }
    // Ethernet padding after the datagram (short frames are padded to 60 bytes on the wire).
    const padded = Buffer.concat([f, Buffer.alloc(18, 0xee)]);
    compare(ds, padded, 1, padded.length, `frame ${FRAMES.indexOf(f)} padded`);
    n++;
    // Behind Linux cooked headers and as raw IP (IPV4/IPV6 whatever the version nibble says).
    for (const [name, linktype, wrap] of OTHER_LINKS) {
      const w = wrap(f);
      for (let cut = 0; cut <= w.length; cut += cut < 64 ? 1 : 7) {
        compare(ds, w.subarray(0, cut), linktype, w.length, `frame ${FRAMES.indexOf(f)} as ${name}, cut at ${cut}`);
        n++;
      }
    }
    // NULL never takes it.
    compare(ds, Buffer.concat([Buffer.from([2, 0, 0, 0]), f.subarray(14)]), 0, f.length - 10, `frame ${FRAMES.indexOf(f)} as NULL`);
    n++;
  }
  assert.ok(ds.straightCount() > FRAMES.length * 5, `straight path taken ${ds.straightCount()} times of ${n}`);
});

test('straight path = layer by layer: header fields bent into edge cases', () => {
  const ds = decoders();
  // Offsets in an Ethernet + IPv4 (20) + TCP frame, and the values worth trying there.
  const v4tcp = FRAMES[0];
  const v4udp = FRAMES[2];
  const v6tcp = FRAMES[5];
  const vlanTcp = FRAMES[8];
  const cases = [
    // IPv4 version/IHL, total length, flags/fragment offset, protocol
    [v4tcp, 14, [0x45, 0x44, 0x46, 0x4f, 0x35, 0x65, 0x40, 0x00]],
    [v4tcp, 16, [0x00, 0x01, 0xff]],
    [v4tcp, 17, [0x00, 0x13, 0x14, 0x28, 0x29, 0x3f, 0xff]],
    [v4tcp, 20, [0x00, 0x20, 0x40, 0x3f, 0x01]],
    [v4tcp, 21, [0x00, 0x01, 0xff]],
    [v4tcp, 23, [6, 17, 1, 58, 59, 0, 200]],
    // TCP ports (DNS), data offset and flags byte
    [v4tcp, 34, [0x00, 0x14]],
    [v4tcp, 35, [53, 0x35, 0xe9]],
    [v4tcp, 46, [0x00, 0x40, 0x50, 0x51, 0x60, 0x70, 0x80, 0xf0, 0xff]],
    [v4tcp, 47, [0x00, 0xff]],
    // UDP ports and length
    [v4udp, 14 + 24 + 1, [53, 0xe9, 0x14]],
    [v4udp, 14 + 24 + 4, [0x00, 0x01]],
    [v4udp, 14 + 24 + 5, [0, 1, 7, 8, 9, 19, 20, 21, 0xff]],
    // IPv6 version, payload length, next header
    [v6tcp, 14, [0x60, 0x40, 0x6f, 0x00]],
    [v6tcp, 18, [0x00, 0x01, 0xff]],
    [v6tcp, 19, [0, 1, 8, 20, 28, 29, 30, 0xff]],
    [v6tcp, 20, [6, 17, 0, 43, 44, 60, 51, 58, 59]],
    [v6tcp, 54, [0x00, 0x14]],
    [v6tcp, 66, [0x00, 0x40, 0x50, 0x80, 0xf0]],
    // EtherType
    [v4tcp, 12, [0x08, 0x86, 0x81, 0x88, 0x00]],
    [v4tcp, 13, [0x00, 0xdd, 0x06, 0xa8]],
    // the 802.1Q tag's EtherType, and the header behind it
    [vlanTcp, 16, [0x08, 0x86, 0x81, 0x88, 0x00]],
    [vlanTcp, 17, [0x00, 0xdd, 0x06, 0xa8]],
    [vlanTcp, 18, [0x45, 0x46, 0x44, 0x60]],
    [vlanTcp, 27, [6, 17, 1, 59]],
  ];
  let n = 0;
  for (const [frame, at, values] of cases) {
    for (const v of values) {
      const f = Buffer.from(frame);
      f[at] = v;
      for (const cut of [f.length, f.length - 1, 14 + 4, 14 + 20, 14 + 24, 14 + 40, 14 + 20 + 20, 14 + 20 + 8, 14 + 24 + 20]) {
        if (cut > f.length) continue;
        compare(ds, f.subarray(0, cut), 1, f.length, `byte ${at} = ${v}, cut at ${cut}`);
        n++;
      }
    }
  }
  // The Linux cooked headers' protocol field, and the interface index.
  for (const [name, linktype, wrap, at] of [['LINUX_SLL', 113, sll, 14], ['LINUX_SLL2', 276, sll2, 0]]) {
    for (const f of [v4tcp, v6tcp, vlanTcp]) {
      for (const [dx, values] of [[0, [0x08, 0x86, 0x81, 0x00]], [1, [0x00, 0xdd, 0x06]]]) {
        for (const v of values) {
          const w = wrap(f);
          w[at + dx] = v;
          compare(ds, w, linktype, w.length, `${name} protocol byte ${dx} = ${v}`);
          n++;
        }
      }
    }
  }
  // Random bytes over the headers of every frame.
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
  for (let i = 0; i < 20000; i++) {
    const f = Buffer.from(FRAMES[i % FRAMES.length]);
    const flips = 1 + (rnd() % 3);
    for (let k = 0; k < flips; k++) f[12 + (rnd() % Math.min(60, f.length - 12))] = rnd();
    compare(ds, f, 1, f.length, `random ${i}`);
    const [name, linktype, wrap] = OTHER_LINKS[i % OTHER_LINKS.length];
    const w = wrap(f);
    compare(ds, w, linktype, w.length, `random ${i} as ${name}`);
    n += 2;
  }
  assert.ok(ds.straightCount() > 1000, `straight path taken ${ds.straightCount()} times of ${n}`);
});

test('corpus: straight path = layer by layer on every readable file', { skip: corpusSkip }, async () => {
  const ds = decoders();
  let files = 0;
  let packets = 0;
  for (const row of loadManifest()) {
    if (row.libpcap.kind !== 'ok' || row.libpcapPackets === 0) continue;
    let i = 0;
    for await (const pkt of new PCAPReader(row.path)) {
      const a = snapshot(ds.fast.decodePacket(pkt));
      const b = snapshot(ds.general.decodePacket(pkt));
      assert.deepEqual(a, b, `${row.name}: packet ${i}`);
      i++;
    }
    packets += i;
    files++;
  }
  assert.ok(files > 30, `only ${files} corpus files compared`);
  assert.ok(ds.straightCount() > 1000, `straight path taken ${ds.straightCount()} times of ${packets} packets`);
});
