// ICMP and ICMPv6 decoders: hand-built echo, error and short messages, truncation, and real
// messages against tshark (type, code, checksum, echo identifier and sequence).
import { test } from './support/skips.mjs';
import assert from 'node:assert/strict';

import { Decoder, ICMPv4, ICMPv6, LayerType } from '../dist/esm/index.mjs';
import { corpusSkip } from './support/corpus.mjs';
import { checkTruncations, corpusFrameSets, readEverything, tsharkSkip } from './support/tshark-fields.mjs';

const icmp = (type, code, rest, payload = []) => [type, code, 0xc3, 0x3c, ...rest, ...payload];
const ip4 = (msg) => Buffer.from([0x45, 0, 0, 20 + msg.length, 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, ...msg]);
const ip6 = (msg) => Buffer.from([0x60, 0, 0, 0, 0, msg.length, 58, 255, ...Array(15).fill(0), 1, ...Array(15).fill(0), 2, ...msg]);

test('ICMPv4 echo request and reply: identifier and sequence', () => {
  const d = new Decoder().decode(ip4(icmp(8, 0, [0x12, 0x34, 0x00, 0x2a], [0x61, 0x62])), 228);
  assert.deepEqual(d.layers, [LayerType.IPv4, LayerType.ICMPv4, LayerType.Payload]);
  const m = d.icmpv4;
  assert.equal(m.icmpType, 8);
  assert.equal(m.code, 0);
  assert.equal(m.checksum, 0xc33c);
  assert.equal(m.restOfHeader, 0x1234002a);
  assert.equal(m.id, 0x1234);
  assert.equal(m.seq, 42);
  assert.equal(m.isEcho, true);
  assert.equal(m.headerLength, 8);
  assert.equal(m.payloadLength, 2);
  d.decode(ip4(icmp(0, 0, [0xff, 0xff, 0xff, 0xff])), 228);
  assert.deepEqual([d.icmpv4.id, d.icmpv4.seq, d.icmpv4.isEcho], [0xffff, 0xffff, true]);
  assert.deepEqual(d.layers, [LayerType.IPv4, LayerType.ICMPv4], 'no payload');
});

test('ICMPv4 errors: the quoted packet is payload', () => {
  const quoted = [0x45, 0, 0, 28, 0, 0, 0, 0, 1, 17, 0, 0, 10, 0, 0, 2, 10, 0, 0, 9, 0x30, 0x39, 0, 53, 0, 8, 0, 0];
  const d = new Decoder().decode(ip4(icmp(11, 0, [0, 0, 0, 0], quoted)), 228);
  assert.deepEqual(d.layers, [LayerType.IPv4, LayerType.ICMPv4, LayerType.Payload]);
  assert.deepEqual([d.icmpv4.icmpType, d.icmpv4.code, d.icmpv4.isEcho], [11, 0, false]);
  assert.equal(d.payload.payloadLength, quoted.length);
  assert.equal(d.has(LayerType.UDP), false, 'the quoted UDP header is not decoded as this packet\'s');
  d.decode(ip4(icmp(3, 3, [0, 0, 0x05, 0xdc], quoted)), 228);
  assert.deepEqual([d.icmpv4.icmpType, d.icmpv4.code, d.icmpv4.restOfHeader], [3, 3, 1500]);
});

test('ICMPv6: echo, neighbour discovery', () => {
  const d = new Decoder().decode(ip6(icmp(128, 0, [0xbe, 0xef, 0, 1], [1, 2, 3])), 229);
  assert.deepEqual(d.layers, [LayerType.IPv6, LayerType.ICMPv6, LayerType.Payload]);
  const m = d.icmpv6;
  assert.deepEqual([m.icmpType, m.code, m.checksum, m.id, m.seq, m.isEcho], [128, 0, 0xc33c, 0xbeef, 1, true]);
  assert.equal(d.decode(ip6(icmp(129, 0, [0, 1, 0, 2])), 229).icmpv6.isEcho, true);
  d.decode(ip6(icmp(135, 0, [0, 0, 0, 0], Array(16).fill(0xfe))), 229);
  assert.deepEqual([d.icmpv6.icmpType, d.icmpv6.isEcho, d.icmpv6.payloadLength], [135, false, 16]);
  // An ICMPv4 type number is not an echo in ICMPv6, and the other way round.
  assert.equal(d.decode(ip6(icmp(8, 0, [0, 0, 0, 0])), 229).icmpv6.isEcho, false);
  assert.equal(d.decode(ip4(icmp(128, 0, [0, 0, 0, 0])), 228).icmpv4.isEcho, false);
});

test('4 to 7 bytes: a 4-byte header, no identifier or sequence', () => {
  const d = new Decoder();
  for (let extra = 0; extra < 4; extra++) {
    d.decode(ip4([8, 0, 0xaa, 0xbb, ...Array(extra).fill(9)]), 228);
    assert.equal(d.icmpv4.truncated, false);
    assert.equal(d.icmpv4.headerLength, 4);
    assert.equal(d.icmpv4.payloadLength, extra);
    assert.deepEqual([d.icmpv4.restOfHeader, d.icmpv4.id, d.icmpv4.seq], [0, 0, 0]);
  }
});

test('ICMP cut at every header byte', () => {
  for (const [data, lt, outer, type, obj] of [
    [ip4(icmp(8, 0, [1, 2, 3, 4])), 228, 20, LayerType.ICMPv4, 'icmpv4'],
    [ip6(icmp(128, 0, [1, 2, 3, 4])), 229, 40, LayerType.ICMPv6, 'icmpv6'],
  ]) {
    // Only the first 4 bytes are required; 4..7 give the short form.
    checkTruncations(Decoder, data, lt, outer + 4, (n) => (n < outer ? undefined : type));
    const d = new Decoder();
    for (let n = outer; n < outer + 4; n++) {
      d.decode(data, lt);
      d.decode(data.subarray(0, n), lt);
      assert.equal(d[obj].truncated, true);
      assert.deepEqual([d[obj].icmpType, d[obj].code], [0, 0], `cut at ${n}: nothing stale`);
      readEverything(d[obj]);
    }
  }
});

test('ICMP layers decoded on their own', () => {
  const data = Buffer.from(icmp(8, 0, [0, 7, 0, 9]));
  const a = new ICMPv4();
  assert.equal(a.decode(data, 0, data.length), LayerType.None);
  assert.equal(a.seq, 9);
  const b = new ICMPv6();
  b.decode(data, 0, data.length);
  assert.equal(b.id, 7);
});

test('ICMP of real messages matches tshark', { skip: corpusSkip || tsharkSkip }, async () => {
  const d = new Decoder();
  let n = 0;
  let echoes = 0;
  const [v4, v6] = await Promise.all([
    corpusFrameSets(['gateway_or_not.pcap', 'VlanPackets.pcap', 'icmp-length-zero.pcapng'],
      ['icmp.type', 'icmp.code', 'icmp.checksum', 'icmp.ident', 'icmp.seq'], { filter: 'icmp', limit: 30 }),
    corpusFrameSets(['ICMPv6_echos.cap', 'icmpv6.pcap', 'ipv6_jumbogram_1.pcap'],
      ['icmpv6.type', 'icmpv6.code', 'icmpv6.checksum', 'icmpv6.echo.identifier', 'icmpv6.echo.sequence_number'], { filter: 'icmpv6', limit: 30 }),
  ]);
  for (const [file, rows] of v4) {
    for (const { frame, pkt, ts } of rows) {
      d.decodePacket(pkt);
      const m = d.icmpv4;
      const where = `${file} #${frame}`;
      assert.ok(d.has(LayerType.ICMPv4), where);
      assert.equal(m.icmpType, Number(ts['icmp.type'][0]), where);
      assert.equal(m.code, Number(ts['icmp.code'][0]), where);
      assert.equal(m.checksum, Number(ts['icmp.checksum'][0]), where);
      if (ts['icmp.ident'].length) {
        assert.equal(m.id, Number(ts['icmp.ident'][0]), where);
        assert.equal(m.seq, Number(ts['icmp.seq'][0]), where);
        echoes++;
      }
      n++;
    }
  }
  for (const [file, rows] of v6) {
    for (const { frame, pkt, ts } of rows) {
      d.decodePacket(pkt);
      const m = d.icmpv6;
      const where = `${file} #${frame}`;
      assert.ok(d.has(LayerType.ICMPv6), where);
      assert.equal(m.icmpType, Number(ts['icmpv6.type'][0]), where);
      assert.equal(m.code, Number(ts['icmpv6.code'][0]), where);
      assert.equal(m.checksum, Number(ts['icmpv6.checksum'][0]), where);
      if (ts['icmpv6.echo.identifier'].length) {
        assert.equal(m.id, Number(ts['icmpv6.echo.identifier'][0]), where);
        assert.equal(m.seq, Number(ts['icmpv6.echo.sequence_number'][0]), where);
        echoes++;
      }
      n++;
    }
  }
  assert.ok(n >= 40 && echoes >= 20, `compared ${n} messages, ${echoes} echoes`);
});
