// Ethernet decoder: hand-built frames, truncation at every header byte, and real corpus
// frames against tshark (eth.src, eth.dst, eth.type, eth.len).
import { test } from './support/skips.mjs';
import assert from 'node:assert/strict';

import { Decoder, Ethernet, LayerType } from '../dist/esm/index.mjs';
import { corpusSkip } from './support/corpus.mjs';
import { checkTruncations, corpusFrameSets, readEverything, tsharkSkip } from './support/tshark-fields.mjs';

const DST = [0x00, 0x1b, 0x21, 0xaa, 0xbb, 0xcc];
const SRC = [0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54];
const frame = (type, payload) => Buffer.from([...DST, ...SRC, type >> 8, type & 255, ...payload]);
// A minimal IPv4 header (20 bytes, protocol 253 = experimental, total length 24) + 4 bytes.
const IPV4 = [0x45, 0, 0, 24, 0, 1, 0, 0, 64, 253, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 1, 2, 3, 4];

test('Ethernet II: addresses, EtherType, lengths, views', () => {
  const data = frame(0x0800, IPV4);
  const d = new Decoder().decode(data, 1);
  const e = d.ethernet;
  assert.deepEqual(d.layers, [LayerType.Ethernet, LayerType.IPv4, LayerType.Payload]);
  assert.equal(e.dst, '00:1b:21:aa:bb:cc');
  assert.equal(e.src, 'fe:dc:ba:98:76:54');
  assert.equal(e.etherType, 0x0800);
  assert.equal(e.offset, 0);
  assert.equal(e.headerLength, 14);
  assert.equal(e.payloadLength, IPV4.length);
  assert.equal(e.payloadOffset, 14);
  assert.deepEqual(e.contents, data.subarray(0, 14));
  assert.deepEqual(e.payload, data.subarray(14));
  assert.equal(e.contents.buffer, data.buffer, 'contents is a view, not a copy');
  assert.equal(d.truncated, false);
  assert.equal(d.malformed, false);
});

test('Ethernet padding stays outside the IP datagram', () => {
  const data = frame(0x0800, [...IPV4, ...Array(22).fill(0)]); // padded to 60 bytes
  const d = new Decoder().decode(data, 1);
  assert.equal(d.ethernet.payloadLength, 46, 'the Ethernet payload includes the padding');
  assert.equal(d.ipv4.payloadLength, 4, 'the IPv4 payload ends at its total length');
  assert.equal(d.payload.payloadLength, 4);
  assert.deepEqual(d.payload.payload, Buffer.from([1, 2, 3, 4]));
});

test('EtherTypes: IPv6, ARP, RARP, VLAN TPIDs, 802.3 lengths and unknown types', () => {
  const d = new Decoder();
  const next = (type) => d.decode(frame(type, Array(60).fill(0)), 1).layerTypes[1];
  assert.equal(next(0x86dd), LayerType.IPv6);
  assert.equal(next(0x0806), LayerType.ARP);
  assert.equal(next(0x8035), LayerType.ARP);
  for (const tpid of [0x8100, 0x88a8, 0x9100]) assert.equal(next(tpid), LayerType.Dot1Q);
  // 802.3: the field is a length; the LLC payload is not decoded.
  d.decode(frame(0x0026, [0x42, 0x42, 0x03, ...Array(43).fill(0)]), 1);
  assert.equal(d.ethernet.etherType, 0x26);
  assert.deepEqual(d.layers, [LayerType.Ethernet, LayerType.Payload]);
  d.decode(frame(0x88cc, Array(46).fill(1)), 1); // LLDP
  assert.deepEqual(d.layers, [LayerType.Ethernet, LayerType.Payload]);
  // Nothing after the header: no Payload layer at all.
  d.decode(frame(0x88cc, []), 1);
  assert.deepEqual(d.layers, [LayerType.Ethernet]);
  assert.equal(d.truncated, false);
});

test('Ethernet cut at every header byte: truncated, no stale fields, no reads past the end', () => {
  const data = frame(0x0800, IPV4);
  checkTruncations(Decoder, data, 1, 14 + 20, (n) => (n < 14 ? LayerType.Ethernet : LayerType.IPv4));
  const d = new Decoder();
  for (let n = 0; n < 14; n++) {
    d.decode(data, 1); // a whole frame first, so stale values would show
    d.decode(data.subarray(0, n), 1);
    const e = d.ethernet;
    assert.equal(e.truncated, true);
    assert.equal(e.etherType, 0, `cut at ${n}: EtherType not left from the previous frame`);
    assert.equal(e.headerLength, 0);
    assert.equal(e.dst, n >= 6 ? '00:1b:21:aa:bb:cc' : '', `cut at ${n}: dst`);
    assert.equal(e.src, n >= 12 ? 'fe:dc:ba:98:76:54' : '', `cut at ${n}: src`);
    readEverything(e);
  }
});

test('an Ethernet layer decoded on its own at an offset', () => {
  const data = Buffer.concat([Buffer.from([9, 9, 9]), frame(0x86dd, [])]);
  const e = new Ethernet();
  assert.equal(e.decode(data, 3, data.length), LayerType.IPv6);
  assert.equal(e.offset, 3);
  assert.equal(e.src, 'fe:dc:ba:98:76:54');
  assert.equal(e.payloadLength, 0);
});

test('Ethernet fields of real frames match tshark', { skip: corpusSkip || tsharkSkip }, async () => {
  const d = new Decoder();
  let n = 0;
  for (const [file, rows] of await corpusFrameSets([
    ['many-protocols.pcap', 'frame.number <= 30 || eth.len'], // with 802.3 frames
    ['VlanPackets.pcap', 'eth.len'], // 802.3 frames
    ['gateway_or_not.pcap', 'eth'],
  ], ['eth.src', 'eth.dst', 'eth.type', 'eth.len'], { limit: 30 })) {
    for (const { frame: f, pkt, ts } of rows) {
      d.decodePacket(pkt);
      const e = d.ethernet;
      const where = `${file} #${f}`;
      assert.equal(e.src, ts['eth.src'][0], where);
      assert.equal(e.dst, ts['eth.dst'][0], where);
      const type = ts['eth.type'][0] ?? ts['eth.len'][0];
      assert.equal(e.etherType, Number(type), `${where}: EtherType / 802.3 length`);
      n++;
    }
  }
  assert.ok(n > 30, `compared ${n} frames`);
});
