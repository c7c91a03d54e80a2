// IPv6 decoder: fixed header, extension-header chains (hop-by-hop, routing, fragment,
// destination options, AH), fragments, jumbograms, text form of addresses, truncation at every
// header byte, and real packets against tshark.
import { test } from './support/skips.mjs';
import assert from 'node:assert/strict';

import { Decoder, IPv6, LayerType, ipv6String } from '../dist/esm/index.mjs';
import { corpusSkip } from './support/corpus.mjs';
import { checkTruncations, corpusFrameSets, expandIpv6, readEverything, tsharkSkip } from './support/tshark-fields.mjs';

const SRC = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const DST = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55];
/** IPv6 header (traffic class 0xa5, flow label 0xbcdef) + payload. */
function ipv6(nh, payload, { plen, version = 6, hlim = 33 } = {}) {
  const len = plen ?? payload.length;
  return Buffer.from([(version << 4) | 0xa, 0x5b, 0xcd, 0xef, len >> 8, len & 255, nh, hlim, ...SRC, ...DST, ...payload]);
}
/** Hop-by-hop / routing / destination options header of (len8 + 1) * 8 bytes. */
const ext = (nh, len8 = 0) => [nh, len8, ...Array(6 + 8 * len8).fill(0)];
const frag = (nh, offset, more, id) => [nh, 0, (offset << 3) >> 8, ((offset << 3) & 0xf8) | (more ? 1 : 0), id >>> 24, (id >>> 16) & 255, (id >>> 8) & 255, id & 255];
/** AH: length field in 4-byte units minus 2. */
const ah = (nh, len4) => [nh, len4, 0, 0, ...Array((len4 + 2) * 4 - 4).fill(0xaa)];
const UDP = [0x13, 0x88, 0x13, 0x89, 0, 10, 0, 0, 0xde, 0xad]; // 5000 -> 5001, 2 bytes

test('IPv6 fixed header: every field', () => {
  const d = new Decoder().decode(ipv6(17, UDP), 229);
  assert.deepEqual(d.layers, [LayerType.IPv6, LayerType.UDP, LayerType.Payload]);
  const ip = d.ipv6;
  assert.equal(ip.version, 6);
  assert.equal(ip.trafficClass, 0xa5);
  assert.equal(ip.flowLabel, 0xbcdef);
  assert.equal(ip.payloadLengthField, UDP.length);
  assert.equal(ip.nextHeader, 17);
  assert.equal(ip.protocol, 17);
  assert.equal(ip.hopLimit, 33);
  assert.equal(ip.src, '2001:db8::1');
  assert.equal(ip.dst, 'fe80::211:22ff:fe33:4455');
  assert.equal(ip.headerLength, 40);
  assert.equal(ip.payloadLength, UDP.length);
  assert.deepEqual(ip.extensions, []);
  assert.equal(ip.hasFragment, false);
});

test('extension headers: chain walked, nextHeader is the fixed field, protocol the upper layer', () => {
  const d = new Decoder();
  const chain = [...ext(43, 1), ...ext(44, 0), ...frag(51, 0, true, 0xdeadbeef), ...ah(60, 4), ...ext(17, 2)];
  d.decode(ipv6(0, [...chain, ...UDP]), 229);
  const ip = d.ipv6;
  assert.deepEqual(ip.extensions, [0, 43, 44, 51, 60]);
  assert.equal(ip.nextHeader, 0);
  assert.equal(ip.protocol, 17);
  assert.equal(ip.headerLength, 40 + chain.length);
  assert.equal(ip.hasFragment, true);
  assert.equal(ip.fragmentOffset, 0);
  assert.equal(ip.moreFragments, true);
  assert.equal(ip.fragmentId, 0xdeadbeef);
  assert.equal(d.udp.offset, 40 + chain.length);
  assert.equal(d.udp.dstPort, 5001);
  // A later fragment: the upper-layer header is not there, so Payload.
  d.decode(ipv6(44, [...frag(17, 185, false, 7), ...UDP]), 229);
  assert.deepEqual(d.layers, [LayerType.IPv6, LayerType.Payload]);
  assert.equal(d.ipv6.fragmentOffset, 185);
  assert.equal(d.ipv6.moreFragments, false);
  assert.equal(d.ipv6.fragmentId, 7);
  assert.equal(d.ipv6.protocol, 17);
  // A later fragment whose data happens to look like a header: not walked into.
  d.decode(ipv6(44, [...frag(60, 100, false, 9), ...ext(17, 0), ...UDP]), 229);
  assert.deepEqual(d.ipv6.extensions, [44]);
  assert.equal(d.ipv6.protocol, 60, 'what the fragment header says follows');
  assert.equal(d.ipv6.headerLength, 48);
  assert.equal(d.payload.offset, 48);
  // Several fragment headers (nested fragmentation): the outermost one's fields.
  d.decode(ipv6(44, [...frag(44, 0, true, 1), ...frag(17, 0, false, 2), ...UDP]), 229);
  assert.deepEqual(d.ipv6.extensions, [44, 44]);
  assert.deepEqual([d.ipv6.fragmentId, d.ipv6.moreFragments], [1, true]);
  assert.equal(d.udp.srcPort, 5000);
  d.decode(ipv6(44, [...frag(44, 0, true, 1), ...frag(17, 3, false, 2), ...UDP]), 229);
  assert.deepEqual(d.layers, [LayerType.IPv6, LayerType.Payload], 'an inner later fragment stops the walk too');
  assert.equal(d.ipv6.fragmentId, 1);
  // No next header (59): nothing after.
  d.decode(ipv6(60, [...ext(59, 0)]), 229);
  assert.deepEqual(d.layers, [LayerType.IPv6]);
  assert.equal(d.ipv6.protocol, 59);
  // The extensions array and fragment fields are reset for the next packet.
  d.decode(ipv6(17, UDP), 229);
  assert.deepEqual(d.ipv6.extensions, []);
  assert.equal(d.ipv6.hasFragment, false);
  assert.equal(d.ipv6.fragmentId, 0);
});

test('payload length: 0 (jumbogram) runs to the end; larger than the capture is cut; trailing bytes dropped', () => {
  const d = new Decoder();
  d.decode(ipv6(17, UDP, { plen: 0 }), 229);
  assert.equal(d.ipv6.payloadLength, UDP.length);
  assert.equal(d.udp.srcPort, 5000);
  d.decode(ipv6(17, UDP, { plen: 9000 }), 229);
  assert.equal(d.ipv6.payloadLength, UDP.length);
  assert.equal(d.ipv6.truncated, false);
  d.decode(Buffer.concat([ipv6(17, UDP), Buffer.alloc(6, 0xee)]), 229);
  assert.equal(d.ipv6.payloadLength, UDP.length);
  // An extension header that does not fit in the datagram: cut, what was read is kept.
  d.decode(ipv6(60, [...ext(43, 0), 17, 5, 0, 0, 0, 0, 0, 0]), 229); // the routing header claims 48 bytes, 8 are there
  assert.equal(d.ipv6.truncated, true);
  assert.deepEqual(d.ipv6.extensions, [60]);
  assert.equal(d.ipv6.protocol, 43);
  assert.equal(d.ipv6.headerLength, 48);
  readEverything(d.ipv6);
});

test('bad version: malformed', () => {
  const d = new Decoder().decode(ipv6(17, UDP, { version: 4 }), 229);
  assert.equal(d.ipv6.malformed, true);
  assert.deepEqual(d.layers, [LayerType.IPv6]);
  readEverything(d.ipv6);
  // Raw link types pick IPv6 by the version nibble.
  for (const lt of [12, 14, 101]) assert.equal(new Decoder().decode(ipv6(17, UDP), lt).layerTypes[0], LayerType.IPv6);
});

test('IPv6 cut at every header byte, extension headers included', () => {
  const chain = [...ext(44, 1), ...frag(17, 0, true, 1)];
  const data = ipv6(0, [...chain, ...UDP]);
  const hdrEnd = 40 + chain.length;
  checkTruncations(Decoder, data, 229, hdrEnd + 8, (n) => (n < hdrEnd ? LayerType.IPv6 : LayerType.UDP));
  const d = new Decoder();
  for (let n = 0; n < hdrEnd; n++) {
    d.decode(data, 229);
    d.decode(data.subarray(0, n), 229);
    const ip = d.ipv6;
    assert.equal(ip.truncated, true);
    if (n < 40) {
      assert.deepEqual([ip.nextHeader, ip.protocol, ip.payloadLengthField, ip.extensions.length], [0, 0, 0, 0], `cut at ${n}: nothing stale`);
      assert.equal(ip.src, n >= 24 ? '2001:db8::1' : '', `cut at ${n}`);
      assert.equal(ip.dst, '', `cut at ${n}`);
    } else {
      assert.equal(ip.headerLength, n < 56 ? 40 : 56, `cut at ${n}: header up to the last whole extension`);
    }
    readEverything(ip);
  }
});

test('ipv6String gives the same text as the WHATWG URL serializer (RFC 5952 form)', () => {
  let seed = 7;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const b = Buffer.alloc(16);
  for (let i = 0; i < 3000; i++) {
    // Groups are zero half of the time so that runs of zeros of every length and position occur.
    for (let g = 0; g < 8; g++) b.writeUInt16BE(rnd() < 0.5 ? 0 : rnd() < 0.5 ? Math.floor(rnd() * 16) : Math.floor(rnd() * 65536), g * 2);
    const full = Array.from({ length: 8 }, (_, g) => b.readUInt16BE(g * 2).toString(16)).join(':');
    const want = new URL(`http://[${full}]/`).hostname.slice(1, -1);
    assert.equal(ipv6String(b, 0), want, full);
  }
  assert.equal(ipv6String(Buffer.alloc(16), 0), '::');
  assert.equal(ipv6String(Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0]), 0), '1:0:1:0:1:0:1:0', 'single zero groups are not compressed');
});

test('an IPv6 layer decoded on its own', () => {
  const data = Buffer.concat([Buffer.alloc(4), ipv6(58, [128, 0, 0, 0, 0, 1, 0, 1])]);
  const ip = new IPv6();
  assert.equal(ip.decode(data, 4, data.length), LayerType.ICMPv6);
  assert.equal(ip.offset, 4);
  assert.equal(ip.dst, 'fe80::211:22ff:fe33:4455');
});

const EXTENSION_OF = { 'ipv6.hopopts': 0, 'ipv6.routing': 43, 'ipv6.fraghdr': 44, 'ipv6.dstopts': 60, ah: 51 };

test('IPv6 of real packets matches tshark, extension chains and fragments included', { skip: corpusSkip || tsharkSkip }, async () => {
  const fields = ['frame.protocols', 'ipv6.tclass', 'ipv6.flow', 'ipv6.plen', 'ipv6.nxt', 'ipv6.hlim', 'ipv6.src', 'ipv6.dst',
    'ipv6.fraghdr.offset', 'ipv6.fraghdr.more', 'ipv6.fraghdr.ident'];
  const d = new Decoder();
  let n = 0;
  let withExtensions = 0;
  for (const [file, rows] of await corpusFrameSets(['ip6_fragments.pcap', 'ipv6_ext_headers.pcap', 'ipv6_jumbogram_1.pcap', 'icmpv6.pcap',
    'four_ipv6_http_streams.pcap'], fields, { filter: 'ipv6', limit: 30 })) {
    for (const { frame, pkt, ts } of rows) {
      d.decodePacket(pkt);
      const ip = d.ipv6;
      const where = `${file} #${frame}`;
      assert.ok(d.has(LayerType.IPv6) && !ip.truncated && !ip.malformed, where);
      assert.equal(ip.trafficClass, Number(ts['ipv6.tclass'][0]), where);
      assert.equal(ip.flowLabel, Number(ts['ipv6.flow'][0]), where);
      if (ts['ipv6.plen'].length) assert.equal(ip.payloadLengthField, Number(ts['ipv6.plen'][0]), where);
      assert.equal(ip.nextHeader, Number(ts['ipv6.nxt'][0]), where);
      assert.equal(ip.hopLimit, Number(ts['ipv6.hlim'][0]), where);
      assert.equal(expandIpv6(ip.src), expandIpv6(ts['ipv6.src'][0]), where);
      assert.equal(expandIpv6(ip.dst), expandIpv6(ts['ipv6.dst'][0]), where);
      // The extension headers of the first IPv6 header, in tshark's protocol chain.
      const protos = ts['frame.protocols'][0].split(':');
      const first = protos.indexOf('ipv6');
      const exts = [];
      for (let i = first + 1; i < protos.length && protos[i] in EXTENSION_OF; i++) exts.push(EXTENSION_OF[protos[i]]);
      assert.deepEqual(ip.extensions, exts, `${where}: extension chain`);
      if (exts.length) withExtensions++;
      if (ts['ipv6.fraghdr.offset'].length) {
        assert.equal(ip.hasFragment, true, where);
        assert.equal(ip.fragmentOffset, Number(ts['ipv6.fraghdr.offset'][0]), where);
        assert.equal(ip.moreFragments, ['1', 'True'].includes(ts['ipv6.fraghdr.more'][0]), where);
        assert.equal(ip.fragmentId, Number(ts['ipv6.fraghdr.ident'][0]), where);
      } else {
        assert.equal(ip.hasFragment, false, where);
      }
      n++;
    }
  }
  assert.ok(n >= 60 && withExtensions >= 10, `compared ${n} packets, ${withExtensions} with extension headers`);
});
