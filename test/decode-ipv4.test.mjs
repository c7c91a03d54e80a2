// IPv4 decoder: hand-built headers (options, fragments, odd lengths), truncation at every
// header byte, and real packets against tshark (ip.* fields, fragments of ip-frag.pcap).
import { test } from './support/skips.mjs';
import assert from 'node:assert/strict';

import { Decoder, IPv4, LayerType } from '../dist/esm/index.mjs';
import { corpusSkip } from './support/corpus.mjs';
import { checkTruncations, corpusFrameSets, readEverything, tsharkSkip } from './support/tshark-fields.mjs';

/** IPv4 header + payload, bytes written one by one. */
function ipv4({ options = [], total, flags = 0, frag = 0, proto = 17, tos = 0xb8, id = 0xbeef, ttl = 57, version = 4, ihl } = {}, payload = []) {
  const hlen = 20 + options.length;
  const len = total ?? hlen + payload.length;
  const ff = (flags << 13) | frag;
  return Buffer.from([
    (version << 4) | (ihl ?? hlen / 4), tos, len >> 8, len & 255,
    id >> 8, id & 255, ff >> 8, ff & 255,
    ttl, proto, 0x12, 0x34,
    203, 0, 113, 5,
    198, 51, 100, 250,
    ...options, ...payload,
  ]);
}
const UDP = [0x30, 0x39, 0x00, 0x09, 0, 12, 0, 0, 1, 2, 3, 4]; // 12345 -> 9, length 12, 4 bytes of data

test('IPv4 header: every field', () => {
  const data = ipv4({ flags: 0b010 }, [0x04, 0xd2, 0x16, 0x2e, 0, 8, 0, 0]); // UDP 1234 -> 5678, empty
  const d = new Decoder().decode(data, 228);
  assert.deepEqual(d.layers, [LayerType.IPv4, LayerType.UDP]);
  const ip = d.ipv4;
  assert.equal(ip.version, 4);
  assert.equal(ip.ihl, 5);
  assert.equal(ip.tos, 0xb8);
  assert.equal(ip.totalLength, 28);
  assert.equal(ip.id, 0xbeef);
  assert.equal(ip.flags, 0b010);
  assert.equal(ip.dontFragment, true);
  assert.equal(ip.moreFragments, false);
  assert.equal(ip.fragmentOffset, 0);
  assert.equal(ip.ttl, 57);
  assert.equal(ip.protocol, 17);
  assert.equal(ip.checksum, 0x1234);
  assert.equal(ip.src, '203.0.113.5');
  assert.equal(ip.dst, '198.51.100.250');
  assert.equal(ip.srcInt, 0xcb007105);
  assert.equal(ip.dstInt, 0xc63364fa);
  assert.equal(ip.headerLength, 20);
  assert.equal(ip.payloadLength, 8);
  assert.equal(ip.datagramEnd, 28);
  assert.equal(ip.options.length, 0);
});

test('IPv4 options: IHL 6..15, the transport header starts after them', () => {
  const d = new Decoder();
  for (let words = 1; words <= 10; words++) {
    const options = Array(words * 4).fill(1); // NOPs
    options[0] = 0x94; // router alert
    options[1] = 4;
    const data = ipv4({ options }, UDP);
    d.decode(data, 228);
    assert.equal(d.ipv4.ihl, 5 + words);
    assert.equal(d.ipv4.headerLength, 20 + 4 * words);
    assert.deepEqual(d.ipv4.options, Buffer.from(options));
    assert.equal(d.udp.offset, 20 + 4 * words);
    assert.equal(d.udp.srcPort, 12345);
  }
});

test('fragments: the first carries the transport header, later ones are Payload', () => {
  const d = new Decoder();
  d.decode(ipv4({ flags: 1, frag: 0 }, UDP), 228);
  assert.deepEqual(d.layers, [LayerType.IPv4, LayerType.UDP, LayerType.Payload]);
  assert.equal(d.ipv4.moreFragments, true);
  d.decode(ipv4({ flags: 1, frag: 185 }, UDP), 228);
  assert.deepEqual(d.layers, [LayerType.IPv4, LayerType.Payload]);
  assert.equal(d.ipv4.fragmentOffset, 185, 'in 8-byte units, as on the wire');
  assert.equal(d.has(LayerType.UDP), false);
  d.decode(ipv4({ flags: 0, frag: 0x1fff }, UDP), 228);
  assert.equal(d.ipv4.fragmentOffset, 0x1fff);
  assert.equal(d.ipv4.moreFragments, false);
  assert.deepEqual(d.layers, [LayerType.IPv4, LayerType.Payload]);
});

test('lengths: total length 0 (TSO), longer than the capture, shorter than the header', () => {
  const d = new Decoder();
  // 0: the datagram runs to the end of the frame.
  d.decode(ipv4({ total: 0 }, UDP), 228);
  assert.equal(d.ipv4.totalLength, 0);
  assert.equal(d.ipv4.payloadLength, UDP.length);
  assert.equal(d.udp.srcPort, 12345);
  // Longer than what was captured: payload cut to the capture, not a truncated header.
  d.decode(ipv4({ total: 1500 }, UDP), 228);
  assert.equal(d.ipv4.payloadLength, UDP.length);
  assert.equal(d.ipv4.truncated, false);
  // Shorter than the header: malformed.
  for (const total of [1, 19]) {
    d.decode(ipv4({ total }, UDP), 228);
    assert.equal(d.ipv4.malformed, true, `total length ${total}`);
    assert.equal(d.malformed, true);
    assert.deepEqual(d.layers, [LayerType.IPv4]);
    readEverything(d.ipv4);
  }
  // Shorter than header + options.
  d.decode(ipv4({ options: [1, 1, 1, 1], total: 20 }, UDP), 228);
  assert.equal(d.ipv4.malformed, true);
  // Trailing bytes beyond the total length are not payload.
  d.decode(Buffer.concat([ipv4({}, UDP), Buffer.alloc(10, 0xee)]), 228);
  assert.equal(d.ipv4.payloadLength, UDP.length);
  assert.equal(d.udp.payloadLength, 4);
});

test('bad version or IHL < 5: malformed, fields still readable', () => {
  const d = new Decoder();
  for (const [opts, why] of [[{ version: 6 }, 'version 6'], [{ version: 0 }, 'version 0'], [{ ihl: 4 }, 'IHL 4'], [{ ihl: 0 }, 'IHL 0']]) {
    d.decode(ipv4(opts, UDP), 228);
    assert.equal(d.ipv4.malformed, true, why);
    assert.deepEqual(d.layers, [LayerType.IPv4], why);
    readEverything(d.ipv4);
  }
  // IHL 15 with only 20 header bytes captured: cut, not malformed.
  d.decode(ipv4({ ihl: 15 }, []), 228);
  assert.equal(d.ipv4.truncated, true);
  assert.equal(d.ipv4.malformed, false);
  // Raw IP (101/12/14) picks IPv4 by the version nibble; LINKTYPE_IPV4 insists.
  assert.equal(d.decode(ipv4({}, UDP), 101).layerTypes[0], LayerType.IPv4);
  assert.equal(d.decode(ipv4({ version: 6 }, UDP), 228).ipv4.malformed, true);
});

test('IPv4 cut at every header byte (with options)', () => {
  const data = ipv4({ options: [0x94, 4, 0, 0] }, UDP);
  checkTruncations(Decoder, data, 228, 24 + 8, (n) => (n < 24 ? LayerType.IPv4 : LayerType.UDP));
  const d = new Decoder();
  for (let n = 0; n < 24; n++) {
    d.decode(data, 228);
    d.decode(data.subarray(0, n), 228);
    const ip = d.ipv4;
    assert.equal(ip.truncated, true);
    assert.equal(ip.headerLength, 0);
    if (n < 20) assert.deepEqual([ip.ihl, ip.totalLength, ip.protocol, ip.flags, ip.fragmentOffset], [0, 0, 0, 0, 0], `cut at ${n}: no stale fields`);
    assert.equal(ip.src, n >= 16 ? '203.0.113.5' : '', `cut at ${n}`);
    assert.equal(ip.dst, n >= 20 ? '198.51.100.250' : '', `cut at ${n}`);
    assert.equal(ip.ttl, n >= 9 ? 57 : 0, `cut at ${n}`);
    readEverything(ip);
  }
});

test('an IPv4 layer decoded on its own inside a larger buffer', () => {
  const inner = ipv4({}, UDP);
  const data = Buffer.concat([Buffer.alloc(7), inner, Buffer.alloc(5)]);
  const ip = new IPv4();
  assert.equal(ip.decode(data, 7, data.length), LayerType.UDP);
  assert.equal(ip.src, '203.0.113.5');
  assert.equal(ip.datagramEnd, 7 + inner.length);
});

test('IPv4 of real packets matches tshark, fragments included', { skip: corpusSkip || tsharkSkip }, async () => {
  const fields = ['ip.hdr_len', 'ip.dsfield', 'ip.len', 'ip.id', 'ip.flags.df', 'ip.flags.mf', 'ip.frag_offset',
    'ip.ttl', 'ip.proto', 'ip.checksum', 'ip.src', 'ip.dst'];
  const bool = (s) => (s === '1' || s === 'True' ? true : s === '0' || s === 'False' ? false : s);
  const d = new Decoder();
  let n = 0;
  let fragments = 0;
  for (const [file, rows] of await corpusFrameSets([
    ['ip-frag.pcap', 'ip.flags.mf == 1 || ip.frag_offset > 0'],
    ['frag_with_padding.pcap', 'ip'],
    ['LINKTYPE_IPV4.pcap', 'ip'],
    ['raw_ip.pcap', 'ip'],
  ], fields, { limit: 40 })) {
    for (const { frame, pkt, ts } of rows) {
      d.decodePacket(pkt);
      const ip = d.ipv4;
      const where = `${file} #${frame}`;
      assert.ok(d.has(LayerType.IPv4) && !ip.truncated && !ip.malformed, where);
      assert.equal(ip.headerLength, Number(ts['ip.hdr_len'][0]), where);
      assert.equal(ip.tos, Number(ts['ip.dsfield'][0]), where);
      assert.equal(ip.totalLength, Number(ts['ip.len'][0]), where);
      assert.equal(ip.id, Number(ts['ip.id'][0]), where);
      assert.equal(ip.dontFragment, bool(ts['ip.flags.df'][0]), where);
      assert.equal(ip.moreFragments, bool(ts['ip.flags.mf'][0]), where);
      assert.equal(ip.fragmentOffset, Number(ts['ip.frag_offset'][0]), where);
      assert.equal(ip.ttl, Number(ts['ip.ttl'][0]), where);
      assert.equal(ip.protocol, Number(ts['ip.proto'][0]), where);
      assert.equal(ip.checksum, Number(ts['ip.checksum'][0]), where);
      assert.equal(ip.src, ts['ip.src'][0], where);
      assert.equal(ip.dst, ts['ip.dst'][0], where);
      if (ip.fragmentOffset > 0) {
        fragments++;
        assert.equal(d.has(LayerType.UDP) || d.has(LayerType.TCP), false, `${where}: non-first fragment has no transport`);
      }
      n++;
    }
  }
  assert.ok(n >= 80 && fragments > 0, `compared ${n} packets, ${fragments} non-first fragments`);
});
