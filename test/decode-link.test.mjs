// Link layers other than Ethernet: Linux cooked v1 (113) and v2 (276), BSD loopback NULL (0,
// host byte order) and LOOP (108, network order), raw IP link types (12, 14, 101, 228, 229),
// and link types without a decoder. Hand-built headers, truncation, and real captures against
// tshark (sll.*, null.family).
import { test } from './support/skips.mjs';
import assert from 'node:assert/strict';

import { Decoder, LayerType, LinuxSLL, LinuxSLL2, Loopback, firstLayerFor } from '../dist/esm/index.mjs';
import { corpusSkip } from './support/corpus.mjs';
import { checkTruncations, corpusFrameSets, readEverything, tsharkSkip } from './support/tshark-fields.mjs';

const u16 = (n) => [(n >> 8) & 255, n & 255];
const u32 = (n) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const MAC = [0x08, 0x00, 0x27, 0x19, 0x1c, 0x78];
const IPV4 = [0x45, 0, 0, 20, 0, 0, 0, 0, 64, 253, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1];
const IPV6 = [0x60, 0, 0, 0, 0, 0, 59, 64, ...Array(15).fill(0), 1, ...Array(15).fill(0), 1];
/** SLL: packet type, ARPHRD type, address length, 8 address bytes, protocol. */
const sll = (pkttype, hatype, halen, addr, proto, payload) =>
  Buffer.from([...u16(pkttype), ...u16(hatype), ...u16(halen), ...addr, ...Array(8 - addr.length).fill(0), ...u16(proto), ...payload]);
/** SLL2: protocol, reserved, ifindex, ARPHRD type, packet type, address length, 8 address bytes. */
const sll2 = (proto, ifindex, hatype, pkttype, halen, addr, payload) =>
  Buffer.from([...u16(proto), 0, 0, ...u32(ifindex), ...u16(hatype), pkttype, halen, ...addr, ...Array(8 - addr.length).fill(0), ...payload]);

test('LINUX_SLL: every field, and the protocol picks the next layer', () => {
  const d = new Decoder().decode(sll(4, 1, 6, MAC, 0x0800, IPV4), 113);
  assert.deepEqual(d.layers, [LayerType.LinuxSLL, LayerType.IPv4]);
  const s = d.sll;
  assert.deepEqual([s.packetType, s.addressType, s.addressLength, s.src, s.protocol], [4, 1, 6, '08:00:27:19:1c:78', 0x0800]);
  assert.deepEqual([s.headerLength, s.payloadLength], [16, 20]);
  assert.deepEqual(d.decode(sll(0, 1, 6, MAC, 0x86dd, IPV6), 113).layers, [LayerType.LinuxSLL, LayerType.IPv6]);
  assert.equal(d.decode(sll(0, 1, 6, MAC, 0x0806, Array(28).fill(0)), 113).layerTypes[1], LayerType.ARP);
  assert.equal(d.decode(sll(0, 1, 6, MAC, 0x8100, [0, 5, 0x08, 0x00, ...IPV4]), 113).vlans[0].vlanId, 5);
  // Linux protocol numbers below 0x0600 (0x0004 = 802.2 LLC) are not EtherTypes: Payload.
  assert.deepEqual(d.decode(sll(0, 1, 6, MAC, 0x0004, [0x42, 0x42, 3]), 113).layers, [LayerType.LinuxSLL, LayerType.Payload]);
  // Other address lengths: hex, at most the 8 bytes of the field.
  assert.equal(d.decode(sll(0, 772, 0, [], 0x0800, IPV4), 113).sll.src, '');
  assert.equal(d.decode(sll(0, 768, 4, [10, 0, 0, 1], 0x0800, IPV4), 113).sll.src, '0a000001');
  assert.equal(d.decode(sll(0, 1, 300, [1, 2, 3, 4, 5, 6, 7, 8], 0x0800, IPV4), 113).sll.src, '0102030405060708');
});

test('LINUX_SLL2: every field', () => {
  const d = new Decoder().decode(sll2(0x86dd, 0x01020304, 1, 4, 6, MAC, IPV6), 276);
  assert.deepEqual(d.layers, [LayerType.LinuxSLL2, LayerType.IPv6]);
  const s = d.sll2;
  assert.deepEqual([s.protocol, s.interfaceIndex, s.addressType, s.packetType, s.addressLength, s.src],
    [0x86dd, 0x01020304, 1, 4, 6, '08:00:27:19:1c:78']);
  assert.deepEqual([s.headerLength, s.payloadLength], [20, 40]);
  assert.equal(d.decode(sll2(0x0800, 1, 1, 0, 2, [0xab, 0xcd], IPV4), 276).sll2.src, 'abcd');
  assert.equal(d.decode(sll2(0x0800, 1, 1, 0, 255, [1, 2, 3, 4, 5, 6, 7, 8], IPV4), 276).sll2.src, '0102030405060708');
});

test('NULL: host byte order, either; LOOP: network order; the AF_INET6 values of several systems', () => {
  const d = new Decoder();
  const le = (af, payload) => Buffer.from([af & 255, (af >> 8) & 255, 0, 0, ...payload]);
  const be = (af, payload) => Buffer.from([...u32(af), ...payload]);
  for (const [header, lt, why] of [[le, 0, 'NULL little-endian'], [be, 0, 'NULL big-endian'], [be, 108, 'LOOP']]) {
    assert.deepEqual(d.decode(header(2, IPV4), lt).layers, [LayerType.Loopback, LayerType.IPv4], `${why} AF_INET`);
    assert.equal(d.loopback.family, 2);
    for (const af of [10, 24, 28, 30]) {
      assert.deepEqual(d.decode(header(af, IPV6), lt).layers, [LayerType.Loopback, LayerType.IPv6], `${why} AF_INET6 = ${af}`);
      assert.equal(d.loopback.family, af);
    }
    assert.deepEqual(d.decode(header(7, IPV4), lt).layers, [LayerType.Loopback, LayerType.Payload], `${why} unknown family`);
  }
  // LOOP is always network order: a little-endian 2 is 0x02000000 there, no family.
  assert.equal(d.decode(le(2, IPV4), 108).loopback.family, 0x02000000);
  assert.deepEqual(d.layers, [LayerType.Loopback, LayerType.Payload]);
  // A header that is no family at all (tcpdump's null_loopback #3: 0f 00 08 00).
  d.decode(Buffer.from([0x0f, 0x00, 0x08, 0x00, ...IPV4]), 0);
  assert.deepEqual(d.layers, [LayerType.Loopback, LayerType.Payload]);
});

test('raw IP link types and link types without a decoder', () => {
  for (const lt of [12, 14, 101]) {
    assert.equal(firstLayerFor(lt, Buffer.from(IPV4)), LayerType.IPv4, `${lt}`);
    assert.equal(firstLayerFor(lt, Buffer.from(IPV6)), LayerType.IPv6, `${lt}`);
    assert.equal(firstLayerFor(lt, Buffer.from([0x50, 0])), LayerType.Payload, `${lt}: version 5`);
    assert.equal(firstLayerFor(lt, Buffer.alloc(0)), LayerType.Payload, `${lt}: empty`);
  }
  assert.equal(firstLayerFor(228, Buffer.from(IPV6)), LayerType.IPv4, 'LINKTYPE_IPV4 is IPv4 whatever the nibble');
  assert.equal(firstLayerFor(229, Buffer.from(IPV4)), LayerType.IPv6);
  const d = new Decoder();
  for (const lt of [9, 50, 105, 127, 147, 192, 253, 281, 65535, 0x7fffffff]) {
    assert.deepEqual(d.decode(Buffer.from(IPV4), lt).layers, [LayerType.Payload], `link type ${lt}`);
    assert.equal(d.payload.payloadLength, IPV4.length);
  }
  assert.deepEqual(d.decode(Buffer.alloc(0), 147).layers, [LayerType.Payload]);
  assert.equal(d.decodePacket({ data: Buffer.from(IPV4), linktype: 101, length: 1500 }).wireLength, 1500);
});

test('link headers cut at every byte', () => {
  checkTruncations(Decoder, sll(4, 1, 6, MAC, 0x0800, IPV4), 113, 36, (n) => (n < 16 ? LayerType.LinuxSLL : LayerType.IPv4));
  checkTruncations(Decoder, sll2(0x0800, 3, 1, 4, 6, MAC, IPV4), 276, 40, (n) => (n < 20 ? LayerType.LinuxSLL2 : LayerType.IPv4));
  checkTruncations(Decoder, Buffer.from([2, 0, 0, 0, ...IPV4]), 0, 24, (n) => (n < 4 ? LayerType.Loopback : LayerType.IPv4));
  checkTruncations(Decoder, Buffer.from([0, 0, 0, 24, ...IPV6]), 108, 44, (n) => (n < 4 ? LayerType.Loopback : LayerType.IPv6));
  const d = new Decoder();
  const whole1 = sll(4, 1, 6, MAC, 0x0800, IPV4);
  const whole2 = sll2(0x0800, 3, 1, 4, 6, MAC, IPV4);
  for (let n = 0; n < 16; n++) {
    d.decode(whole1, 113);
    d.decode(whole1.subarray(0, n), 113);
    assert.deepEqual([d.sll.truncated, d.sll.packetType, d.sll.protocol], [true, 0, 0], `SLL cut at ${n}: nothing stale`);
    assert.equal(d.sll.src, n >= 12 ? '08:00:27:19:1c:78' : '', `SLL cut at ${n}: the address is bytes 6..11`);
    readEverything(d.sll);
  }
  for (let n = 0; n < 20; n++) {
    d.decode(whole2, 276);
    d.decode(whole2.subarray(0, n), 276);
    assert.deepEqual([d.sll2.truncated, d.sll2.protocol, d.sll2.interfaceIndex, d.sll2.packetType], [true, 0, 0, 0], `SLL2 cut at ${n}`);
    readEverything(d.sll2);
  }
  for (let n = 0; n < 4; n++) {
    d.decode(Buffer.from([2, 0, 0, 0, ...IPV4]), 0);
    d.decode(Buffer.from([2, 0, 0, 0]).subarray(0, n), 0);
    assert.deepEqual([d.loopback.truncated, d.loopback.family], [true, 0], `NULL cut at ${n}`);
  }
});

test('link layers decoded on their own', () => {
  const a = new LinuxSLL();
  const b = new LinuxSLL2();
  const c = new Loopback();
  const s1 = sll(0, 1, 6, MAC, 0x86dd, []);
  const s2 = sll2(0x0806, 9, 1, 0, 6, MAC, []);
  assert.equal(a.decode(s1, 0, s1.length), LayerType.IPv6);
  assert.equal(b.decode(s2, 0, s2.length), LayerType.ARP);
  assert.equal(b.interfaceIndex, 9);
  const lo = Buffer.from([30, 0, 0, 0]);
  assert.equal(c.decode(lo, 0, 4), LayerType.IPv6, 'decode() is NULL: host order');
});

test('link headers of real captures match tshark', { skip: corpusSkip || tsharkSkip }, async () => {
  const d = new Decoder();
  let n = 0;
  const sllFields = ['sll.pkttype', 'sll.hatype', 'sll.halen', 'sll.src.eth', 'sll.src.ipv4', 'sll.src.other', 'sll.etype', 'sll.ltype',
    'sll.gretype', 'sll.ifindex'];
  const [cooked, loop] = await Promise.all([
    // sll.pcap: the first frames, then the outgoing (4) and ARPHRD_LOOPBACK (772) ones.
    corpusFrameSets([['sll.pcap', 'sll.pkttype == 4 || sll.hatype == 772 || frame.number <= 10'], 'sll2.pcap', 'Sll2PacketLLC.pcap',
      'babel.pcap'], sllFields, { filter: 'sll', limit: 40 }),
    corpusFrameSets(['null_loopback.pcap', 'derived-loop-from-null.pcap'], ['null.family'],
      { filter: 'null', limit: 20 }),
  ]);
  for (const [file, rows] of cooked) {
    for (const { frame, pkt, ts } of rows) {
      d.decodePacket(pkt);
      const where = `${file} #${frame}`;
      const v2 = pkt.linktype === 276;
      const s = v2 ? d.sll2 : d.sll;
      assert.ok(d.has(v2 ? LayerType.LinuxSLL2 : LayerType.LinuxSLL) && !s.truncated, where);
      assert.equal(s.packetType, Number(ts['sll.pkttype'][0]), where);
      assert.equal(s.addressType, Number(ts['sll.hatype'][0]), where);
      assert.equal(s.addressLength, Number(ts['sll.halen'][0]), where);
      if (ts['sll.src.eth'].length) assert.equal(s.src, ts['sll.src.eth'][0], where);
      else if (ts['sll.src.ipv4'].length) assert.equal(s.src, Buffer.from(ts['sll.src.ipv4'][0].split('.').map(Number)).toString('hex'), where);
      else if (ts['sll.src.other'].length) assert.equal(s.src, ts['sll.src.other'][0].replace(/:/g, ''), where);
      else assert.equal(s.src, '', where);
      // tshark names the protocol field by what it holds: EtherType, Linux protocol, GRE type (ARPHRD_IPGRE).
      assert.equal(s.protocol, Number(ts['sll.etype'][0] ?? ts['sll.ltype'][0] ?? ts['sll.gretype'][0]), where);
      if (v2) assert.equal(s.interfaceIndex, Number(ts['sll.ifindex'][0]), where);
      n++;
    }
  }
  for (const [file, rows] of loop) {
    for (const { frame, pkt, ts } of rows) {
      d.decodePacket(pkt);
      if (ts['null.family'].length === 0) {
        // tshark found no address family (null_loopback #3: 0f 00 08 00, which it reads as an
        // EtherType); pcapkit has none either and leaves the rest undecoded.
        assert.deepEqual(d.layers, [LayerType.Loopback, LayerType.Payload], `${file} #${frame}`);
      } else {
        assert.equal(d.loopback.family, Number(ts['null.family'][0]), `${file} #${frame}`);
      }
      n++;
    }
  }
  assert.ok(n >= 60, `compared ${n} headers`);
});
