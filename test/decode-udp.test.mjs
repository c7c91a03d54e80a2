// UDP decoder: hand-built datagrams (length field shorter/longer than the data, 0, < 8),
// DNS ports, truncation, and real datagrams against tshark.
import { test } from './support/skips.mjs';
import assert from 'node:assert/strict';

import { Decoder, LayerType, UDP } from '../dist/esm/index.mjs';
import { corpusSkip } from './support/corpus.mjs';
import { checkTruncations, corpusFrameSets, readEverything, tsharkSkip } from './support/tshark-fields.mjs';

const udp = (sport, dport, payload, length = 8 + payload.length) =>
  [sport >> 8, sport & 255, dport >> 8, dport & 255, length >> 8, length & 255, 0x5a, 0xa5, ...payload];
/** Raw IPv6 (next header 17) around it; the IPv6 payload length covers all bytes given. */
const ip6 = (seg) => Buffer.from([0x60, 0, 0, 0, seg.length >> 8, seg.length & 255, 17, 64, ...Array(15).fill(0), 1, ...Array(15).fill(0), 2, ...seg]);
const decode = (seg) => new Decoder().decode(ip6(seg), 229);
const DNS_HEADER = [0xab, 0xcd, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0];

test('UDP header: every field', () => {
  const d = decode(udp(40000, 9999, [1, 2, 3, 4, 5]));
  assert.deepEqual(d.layers, [LayerType.IPv6, LayerType.UDP, LayerType.Payload]);
  const u = d.udp;
  assert.equal(u.srcPort, 40000);
  assert.equal(u.dstPort, 9999);
  assert.equal(u.length, 13);
  assert.equal(u.checksum, 0x5aa5);
  assert.equal(u.headerLength, 8);
  assert.equal(u.payloadLength, 5);
  assert.deepEqual(d.appData, Buffer.from([1, 2, 3, 4, 5]));
  assert.equal(d.transport, u);
});

test('the length field bounds the payload; 0 runs to the end; < 8 is malformed', () => {
  // Shorter than the data: trailing bytes are not payload.
  let d = decode(udp(1, 2, [1, 2, 3, 4, 5], 10));
  assert.equal(d.udp.payloadLength, 2);
  assert.deepEqual(d.appData, Buffer.from([1, 2]));
  // Exactly 8: empty payload, no further layer.
  d = decode(udp(1, 53, [1, 2, 3], 8));
  assert.deepEqual(d.layers, [LayerType.IPv6, LayerType.UDP]);
  // Longer than the capture: payload is what was captured (not a truncated header).
  d = decode(udp(1, 2, [1, 2, 3], 1000));
  assert.equal(d.udp.payloadLength, 3);
  assert.equal(d.udp.truncated, false);
  // 0 (jumbograms): to the end of the datagram.
  d = decode(udp(1, 2, [1, 2, 3], 0));
  assert.equal(d.udp.payloadLength, 3);
  for (const len of [1, 7]) {
    d = decode(udp(1, 2, [1, 2, 3], len));
    assert.equal(d.udp.malformed, true, `length ${len}`);
    assert.equal(d.malformed, true);
    assert.equal(d.appOffset, -1);
    readEverything(d.udp);
  }
});

test('DNS on 53, 5353 and 5355, on either side; nothing else', () => {
  for (const port of [53, 5353, 5355]) {
    assert.deepEqual(decode(udp(port, 33333, DNS_HEADER)).layers, [LayerType.IPv6, LayerType.UDP, LayerType.DNS], `source ${port}`);
    assert.deepEqual(decode(udp(33333, port, DNS_HEADER)).layers, [LayerType.IPv6, LayerType.UDP, LayerType.DNS], `destination ${port}`);
  }
  for (const port of [52, 54, 5354, 5356, 0, 65535]) {
    assert.deepEqual(decode(udp(33333, port, DNS_HEADER)).layers, [LayerType.IPv6, LayerType.UDP, LayerType.Payload], `port ${port}`);
  }
  // The DNS message ends where the UDP length says.
  const d = decode(udp(33333, 53, [...DNS_HEADER, 0xee, 0xee], 8 + 12));
  assert.equal(d.dns.messageEnd - d.dns.messageStart, 12);
});

test('UDP cut at every header byte', () => {
  const data = ip6(udp(5353, 5353, DNS_HEADER));
  checkTruncations(Decoder, data, 229, data.length, (n) => (n < 40 ? LayerType.IPv6 : n < 48 ? LayerType.UDP : LayerType.DNS));
  const d = new Decoder();
  for (let n = 40; n < 48; n++) {
    d.decode(data, 229);
    d.decode(data.subarray(0, n), 229);
    assert.equal(d.udp.truncated, true);
    assert.deepEqual([d.udp.srcPort, d.udp.dstPort, d.udp.length], [0, 0, 0], `cut at ${n}: nothing stale`);
    assert.equal(d.udp.checksum, n >= 48 ? 0x5aa5 : 0);
    readEverything(d.udp);
  }
});

test('a UDP layer decoded on its own', () => {
  const data = Buffer.from(udp(53, 1, DNS_HEADER));
  const u = new UDP();
  assert.equal(u.decode(data, 0, data.length), LayerType.DNS);
  assert.equal(u.payloadLength, 12);
});

test('UDP of real datagrams matches tshark', { skip: corpusSkip || tsharkSkip }, async () => {
  const fields = ['udp.srcport', 'udp.dstport', 'udp.length', 'udp.checksum'];
  const d = new Decoder();
  let n = 0;
  // Only the UDP header of the packet itself (not of a packet quoted in an ICMP error).
  for (const [file, rows] of await corpusFrameSets(['DnsPackets.pcap', 'quic_handshake.pcap', 'ip-frag.pcap', 'unaligned-nfs-1.pcap'],
    fields, { filter: 'udp && !icmp && !icmpv6', limit: 40 })) {
    for (const { frame, pkt, ts } of rows) {
      d.decodePacket(pkt);
      const u = d.udp;
      const where = `${file} #${frame}`;
      assert.ok(d.has(LayerType.UDP) && !u.truncated && !u.malformed, where);
      assert.equal(u.srcPort, Number(ts['udp.srcport'][0]), where);
      assert.equal(u.dstPort, Number(ts['udp.dstport'][0]), where);
      assert.equal(u.length, Number(ts['udp.length'][0]), where);
      assert.equal(u.checksum, Number(ts['udp.checksum'][0]), where);
      const fragmented = d.has(LayerType.IPv4) ? d.ipv4.moreFragments : d.ipv6.hasFragment;
      if (pkt.data.length === pkt.length && !fragmented) assert.equal(u.payloadLength, u.length - 8, `${where}: payload from the length field`);
      n++;
    }
  }
  assert.ok(n >= 90, `compared ${n} datagrams`);
});
