// ARP / RARP decoder: hand-built requests and replies, other address sizes, truncation, and
// real packets against tshark (arp.* fields).
import { test } from './support/skips.mjs';
import assert from 'node:assert/strict';

import { ARP, Decoder, LayerType } from '../dist/esm/index.mjs';
import { corpusSkip } from './support/corpus.mjs';
import { checkTruncations, corpusFrameSets, readEverything, tsharkSkip } from './support/tshark-fields.mjs';

const MACS = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55];
const eth = (type, payload) => Buffer.from([...MACS, type >> 8, type & 255, ...payload]);
// Ethernet/IPv4 ARP request: who has 192.168.1.1? tell 192.168.1.104 (00:11:22:33:44:55)
const REQUEST = [
  0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01,
  0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 192, 168, 1, 104,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 192, 168, 1, 1,
];

test('ARP request over Ethernet: every field, padding not part of the layer', () => {
  const data = eth(0x0806, [...REQUEST, ...Array(18).fill(0)]);
  const d = new Decoder().decode(data, 1);
  assert.deepEqual(d.layers, [LayerType.Ethernet, LayerType.ARP]);
  const a = d.arp;
  assert.equal(a.hardwareType, 1);
  assert.equal(a.protocolType, 0x0800);
  assert.equal(a.hwSize, 6);
  assert.equal(a.protoSize, 4);
  assert.equal(a.opcode, 1);
  assert.equal(a.senderHw, '00:11:22:33:44:55');
  assert.equal(a.senderProto, '192.168.1.104');
  assert.equal(a.targetHw, '00:00:00:00:00:00');
  assert.equal(a.targetProto, '192.168.1.1');
  assert.equal(a.offset, 14);
  assert.equal(a.headerLength, 28);
  assert.equal(a.payloadLength, 0, 'the Ethernet padding is not ARP payload');
});

test('RARP (0x8035) decodes as ARP', () => {
  const reply = [...REQUEST];
  reply[7] = 4; // reverse reply
  const d = new Decoder().decode(eth(0x8035, reply), 1);
  assert.deepEqual(d.layers, [LayerType.Ethernet, LayerType.ARP]);
  assert.equal(d.arp.opcode, 4);
});

test('other address sizes are shown as hex; zero sizes as empty strings', () => {
  // hardware type 32 (InfiniBand-like) with 8-byte hardware and 16-byte protocol addresses
  const hw1 = [1, 2, 3, 4, 5, 6, 7, 8];
  const pr1 = Array.from({ length: 16 }, (_, i) => i);
  const hw2 = [9, 9, 9, 9, 9, 9, 9, 9];
  const pr2 = Array.from({ length: 16 }, (_, i) => 0xf0 + i);
  const d = new Decoder().decode(eth(0x0806, [0, 32, 0x86, 0xdd, 8, 16, 0, 2, ...hw1, ...pr1, ...hw2, ...pr2]), 1);
  const a = d.arp;
  assert.equal(a.headerLength, 8 + 2 * 8 + 2 * 16);
  assert.equal(a.senderHw, '0102030405060708');
  assert.equal(a.senderProto, Buffer.from(pr1).toString('hex'));
  assert.equal(a.targetHw, '0909090909090909');
  assert.equal(a.targetProto, Buffer.from(pr2).toString('hex'));
  d.decode(eth(0x0806, [0, 1, 8, 0, 0, 0, 0, 1]), 1);
  assert.equal(d.arp.headerLength, 8);
  assert.deepEqual([d.arp.senderHw, d.arp.senderProto, d.arp.targetHw, d.arp.targetProto], ['', '', '', '']);
});

test('ARP cut at every byte, and address sizes larger than the packet', () => {
  checkTruncations(Decoder, eth(0x0806, REQUEST), 1, 14 + 28, (n) => (n < 14 ? LayerType.Ethernet : LayerType.ARP));
  const d = new Decoder();
  const whole = eth(0x0806, REQUEST);
  for (let n = 14; n < whole.length; n++) {
    d.decode(whole, 1);
    d.decode(whole.subarray(0, n), 1);
    const a = d.arp;
    assert.equal(a.truncated, true);
    assert.equal(a.opcode, n >= 22 ? 1 : 0, `cut at ${n}: opcode only when captured, never stale`);
    const v = readEverything(a);
    assert.equal(v.senderHw, n >= 28 ? '00:11:22:33:44:55' : '', `cut at ${n}`);
    assert.equal(v.targetProto, '', `cut at ${n}`);
  }
  // hln = 255, pln = 255: the header would be 1028 bytes.
  d.decode(eth(0x0806, [0, 1, 8, 0, 255, 255, 0, 1, ...Array(40).fill(7)]), 1);
  assert.equal(d.arp.truncated, true);
  assert.deepEqual(Object.values(readEverything(d.arp)).filter((x) => typeof x === 'string'), ['', '', '', '']);
});

test('an ARP layer decoded on its own', () => {
  const a = new ARP();
  const data = Buffer.from(REQUEST);
  assert.equal(a.decode(data, 0, data.length), LayerType.None);
  assert.equal(a.senderProto, '192.168.1.104');
});

test('ARP of real packets matches tshark', { skip: corpusSkip || tsharkSkip }, async () => {
  const fields = ['arp.hw.type', 'arp.proto.type', 'arp.hw.size', 'arp.proto.size', 'arp.opcode',
    'arp.src.hw_mac', 'arp.src.proto_ipv4', 'arp.dst.hw_mac', 'arp.dst.proto_ipv4'];
  const d = new Decoder();
  let n = 0;
  // arp-oobr holds thousands of odd ARP frames; ask only for the well-formed Ethernet/IPv4 ones.
  const oobr = 'arp.hw.type == 1 && arp.proto.type == 0x0800 && arp.hw.size == 6 && arp.proto.size == 4 && !_ws.malformed';
  const list = ['gateway_or_not.pcap', 'rarp_req_reply.pcapng', 'sll.pcap', ['arp-oobr.pcap', oobr]];
  for (const [file, rows] of await corpusFrameSets(list, fields, { filter: 'arp', limit: 30 })) {
    for (const { frame, pkt, ts } of rows) {
      d.decodePacket(pkt);
      const a = d.arp;
      const where = `${file} #${frame}`;
      assert.ok(d.has(LayerType.ARP) && !a.truncated, where);
      assert.equal(a.hardwareType, Number(ts['arp.hw.type'][0]), where);
      assert.equal(a.protocolType, Number(ts['arp.proto.type'][0]), where);
      assert.equal(a.hwSize, Number(ts['arp.hw.size'][0]), where);
      assert.equal(a.protoSize, Number(ts['arp.proto.size'][0]), where);
      assert.equal(a.opcode, Number(ts['arp.opcode'][0]), where);
      assert.equal(a.senderHw, ts['arp.src.hw_mac'][0], where);
      assert.equal(a.senderProto, ts['arp.src.proto_ipv4'][0], where);
      assert.equal(a.targetHw, ts['arp.dst.hw_mac'][0], where);
      assert.equal(a.targetProto, ts['arp.dst.proto_ipv4'][0], where);
      n++;
    }
  }
  assert.ok(n >= 20, `compared ${n} packets`);
});
