// DNS decoder: hand-built messages over UDP and TCP (header flags, questions, answers of
// several types, compression), hostile names (pointer loops, pointers out of bounds, extended
// labels, over-long names), counts larger than the message, truncation, and real messages
// against tshark.
import { test } from './support/skips.mjs';
import assert from 'node:assert/strict';

import { DNS, Decoder, LayerType, readDnsName } from '../dist/esm/index.mjs';
import { corpusSkip } from './support/corpus.mjs';
import { checkTruncations, corpusFrameSets, expandIpv6, readEverything, tsharkSkip } from './support/tshark-fields.mjs';

const u16 = (n) => [(n >> 8) & 255, n & 255];
const u32 = (n) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const name = (...labels) => [...labels.flatMap((l) => [l.length, ...Buffer.from(l, 'latin1')]), 0];
const ptr = (off) => [0xc0 | (off >> 8), off & 255];
const header = (id, flags, qd, an, ns = 0, ar = 0) => [...u16(id), ...u16(flags), ...u16(qd), ...u16(an), ...u16(ns), ...u16(ar)];
const rr = (owner, type, cls, ttl, rdata) => [...owner, ...u16(type), ...u16(cls), ...u32(ttl), ...u16(rdata.length), ...rdata];

// A response: question www.example.com A; answers CNAME -> web.example.com (compressed),
// A 192.0.2.7, AAAA 2001:db8::7, NS ns1.example.com, PTR, MX (shown as hex).
const RESPONSE = [
  ...header(0x1a2b, 0x8580, 1, 6),
  ...name('www', 'example', 'com'), ...u16(1), ...u16(1), // question at 12; "example" at 16
  ...rr(ptr(12), 5, 1, 3600, [3, ...Buffer.from('web'), ...ptr(16)]),
  ...rr(ptr(12), 1, 1, 60, [192, 0, 2, 7]),
  ...rr(ptr(12), 28, 1, 60, [0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 7]),
  ...rr(ptr(16), 2, 1, 86400, [3, ...Buffer.from('ns1'), ...ptr(16)]),
  ...rr(name('7', '2', '0', '192', 'in-addr', 'arpa'), 12, 1, 10, ptr(12)),
  ...rr(ptr(16), 15, 1, 300, [0, 10, ...ptr(12)]),
];
const udp = (sport, dport, payload) => [...u16(sport), ...u16(dport), ...u16(8 + payload.length), 0, 0, ...payload];
const ip4 = (proto, seg) => Buffer.from([0x45, 0, ...u16(20 + seg.length), 0, 0, 0, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 53, ...seg]);
const overUdp = (msg, port = 53) => new Decoder().decode(ip4(17, udp(33333, port, msg)), 228);
const tcpSeg = (payload) => [...u16(53), ...u16(40000), ...u32(1), ...u32(2), 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0, ...payload];

test('DNS header over UDP: id, flags, counts', () => {
  const d = overUdp(RESPONSE);
  assert.deepEqual(d.layers, [LayerType.IPv4, LayerType.UDP, LayerType.DNS]);
  const m = d.dns;
  assert.equal(m.overTcp, false);
  assert.equal(m.id, 0x1a2b);
  assert.equal(m.flags, 0x8580);
  assert.equal(m.response, true);
  assert.equal(m.opcode, 0);
  assert.equal(m.authoritative, true);
  assert.equal(m.truncatedFlag, false);
  assert.equal(m.recursionDesired, true);
  assert.equal(m.recursionAvailable, true);
  assert.equal(m.rcode, 0);
  assert.deepEqual([m.qdCount, m.anCount, m.nsCount, m.arCount], [1, 6, 0, 0]);
  assert.equal(m.headerLength, RESPONSE.length);
  assert.equal(m.messageEnd - m.messageStart, RESPONSE.length);
  // Every flag bit on its own.
  const q = overUdp([...header(1, 0x7a0f, 0, 0)]).dns; // 0x7a0f: QR 0, opcode 15, AA 0, TC 1, RD 0, RA 0, Z 0, rcode 15
  assert.deepEqual([q.response, q.opcode, q.authoritative, q.truncatedFlag, q.recursionDesired, q.recursionAvailable, q.rcode],
    [false, 15, false, true, false, false, 15]);
});

test('questions and answers: names, compression, record data by type', () => {
  const m = overUdp(RESPONSE).dns;
  assert.equal(m.questionName, 'www.example.com');
  assert.deepEqual(m.questions, [{ name: 'www.example.com', type: 1, class: 1 }]);
  assert.deepEqual(m.answers, [
    { name: 'www.example.com', type: 5, class: 1, ttl: 3600, data: 'web.example.com' },
    { name: 'www.example.com', type: 1, class: 1, ttl: 60, data: '192.0.2.7' },
    { name: 'www.example.com', type: 28, class: 1, ttl: 60, data: '2001:db8::7' },
    { name: 'example.com', type: 2, class: 1, ttl: 86400, data: 'ns1.example.com' },
    { name: '7.2.0.192.in-addr.arpa', type: 12, class: 1, ttl: 10, data: 'www.example.com' },
    { name: 'example.com', type: 15, class: 1, ttl: 300, data: '000ac00c' },
  ]);
  // The root name.
  const root = overUdp([...header(2, 0, 1, 0), 0, ...u16(2), ...u16(1)]).dns;
  assert.equal(root.questionName, '<Root>');
  // No question.
  assert.equal(overUdp(header(3, 0, 0, 0)).dns.questionName, undefined);
});

test('mDNS (5353) and LLMNR (5355) carry DNS too', () => {
  const q = [...header(0, 0, 1, 0), ...name('printer', 'local'), ...u16(255), ...u16(0x8001)];
  for (const port of [5353, 5355]) {
    const m = overUdp(q, port).dns;
    assert.deepEqual(m.questions, [{ name: 'printer.local', type: 255, class: 0x8001 }], `port ${port}`);
  }
});

test('DNS over TCP: the 2-byte length prefix', () => {
  const seg = tcpSeg([...u16(RESPONSE.length), ...RESPONSE]);
  const d = new Decoder().decode(ip4(6, seg), 228);
  assert.deepEqual(d.layers, [LayerType.IPv4, LayerType.TCP, LayerType.DNS]);
  const m = d.dns;
  assert.equal(m.overTcp, true);
  assert.equal(m.messageStart, 20 + 20 + 2);
  assert.equal(m.headerLength, 2 + RESPONSE.length);
  assert.equal(m.id, 0x1a2b);
  assert.equal(m.answers.length, 6);
  // The prefix says more than the segment holds (the rest is in the next segment): what is here.
  const cut = tcpSeg([...u16(5000), ...RESPONSE.slice(0, 40)]);
  const d2 = new Decoder().decode(ip4(6, cut), 228);
  assert.equal(d2.dns.truncated, false);
  assert.equal(d2.dns.questionName, 'www.example.com');
  assert.deepEqual(d2.dns.answers, [], 'answers beyond the segment are not read');
  // Two messages in one segment: the first one only.
  const two = tcpSeg([...u16(12), ...header(7, 0, 0, 0), ...u16(12), ...header(8, 0, 0, 0)]);
  assert.equal(new Decoder().decode(ip4(6, two), 228).dns.id, 7);
  // A prefix below 12, or only 1 byte of it: cut.
  for (const payload of [[0], [...u16(11), ...header(9, 0, 0, 0)], [...u16(0)]]) {
    const d3 = new Decoder().decode(ip4(6, tcpSeg(payload)), 228);
    assert.equal(d3.dns.truncated, true, JSON.stringify(payload));
    readEverything(d3.dns);
  }
});

test('readDnsName: plain, compressed, and every kind of broken name', () => {
  const msg = Buffer.from([...header(0, 0, 0, 0), ...name('a', 'bc'), ...ptr(12), 1, 0x78, ...ptr(12)]);
  // 12: a.bc ; 18: pointer to 12 ; 20: "x" + pointer to 12
  assert.deepEqual(readDnsName(msg, 0, msg.length, 12), ['a.bc', 18]);
  assert.deepEqual(readDnsName(msg, 0, msg.length, 18), ['a.bc', 20], 'after a pointer: 2 bytes on');
  assert.deepEqual(readDnsName(msg, 0, msg.length, 20), ['x.a.bc', 24]);
  // The message starting at an offset in the buffer: pointers are relative to it.
  const shifted = Buffer.concat([Buffer.alloc(5, 0xff), msg]);
  assert.deepEqual(readDnsName(shifted, 5, shifted.length, 25), ['x.a.bc', 29]);
  const broken = (bytes, why) => {
    const m = Buffer.from([...header(0, 0, 0, 0), ...bytes]);
    assert.equal(readDnsName(m, 0, m.length, 12), undefined, why);
  };
  broken(ptr(12), 'pointer to itself');
  broken([...ptr(14), ...ptr(12)], 'two pointers to each other');
  broken([1, 0x61, ...ptr(12)], 'label then pointer back to the start: a loop');
  broken(ptr(0x3fff), 'pointer far out of bounds');
  broken(ptr(14), 'pointer just past the end');
  broken([0xc0], 'pointer cut in half');
  broken([0x40, 0], 'extended label type 0x40');
  broken([0x80, 0], 'label type 0x80');
  broken([5, 0x61, 0x62], 'label longer than the message');
  broken([3, 0x61, 0x62, 0x63], 'no terminating zero');
  broken([], 'nothing at all');
  broken([...Array(5).fill([63, ...Array(63).fill(0x61)]).flat(), 0], 'over 255 bytes');
  // Long but legal: 3 labels of 63 + one of 61 = 254 bytes with length octets.
  const legal = Buffer.from([...header(0, 0, 0, 0), ...[63, 63, 63].flatMap((n) => [n, ...Array(n).fill(0x62)]), 61, ...Array(61).fill(0x63), 0]);
  assert.equal(readDnsName(legal, 0, legal.length, 12)?.[0].length, 253);
});

test('hostile counts and names: reading everything never throws', () => {
  const cases = [
    [...header(1, 0x8180, 65535, 65535, 65535, 65535)],
    [...header(1, 0x8180, 65535, 0), ...name('a'), ...u16(1), ...u16(1)],
    [...header(1, 0x8180, 1, 65535), ...name('a'), ...u16(1), ...u16(1), ...rr(ptr(12), 1, 1, 1, [1, 2, 3, 4])],
    [...header(1, 0x8180, 1, 1), ...name('a'), ...u16(1), ...u16(1), ...rr(ptr(12), 5, 1, 1, ptr(31))], // CNAME data points at itself (31)
    [...header(1, 0x8180, 1, 1), ...name('a'), ...u16(1), ...u16(1), ...ptr(12), ...u16(1), ...u16(1), ...u32(1), ...u16(60000), 1, 2],
    [...header(1, 0x8180, 1, 1), ...name('a'), ...u16(1), ...u16(1), ...rr(ptr(12), 5, 1, 1, ptr(0x3fff))],
    [...header(1, 0x8180, 1, 1), ...name('a'), ...u16(1)], // question cut inside its type/class
  ];
  for (const [i, msg] of cases.entries()) {
    const d = overUdp(msg);
    assert.equal(d.dns.truncated || d.dns.malformed, false, `case ${i}: the header is whole`);
    const v = readEverything(d.dns);
    assert.ok(v.questions.length <= 1 && v.answers.length <= 1, `case ${i}: only what is there`);
  }
  // A CNAME whose data is a looping or out-of-bounds pointer: shown as hex.
  assert.equal(overUdp(cases[3]).dns.answers[0].data, 'c01f');
  assert.equal(overUdp(cases[5]).dns.answers[0].data, 'ffff');
  // A question that cannot be read ends the walk: no answers either.
  const lost = overUdp([...header(1, 0x8180, 1, 1), ...ptr(12), ...u16(1), ...u16(1), ...rr(name('a'), 1, 1, 1, [1, 2, 3, 4])]).dns;
  assert.deepEqual([lost.questionName, lost.questions, lost.answers], [undefined, [], []]);
});

test('DNS cut at every header byte; fields reset between messages', () => {
  const data = ip4(17, udp(33333, 53, RESPONSE));
  checkTruncations(Decoder, data, 228, 28 + 12, (n) => (n < 20 ? LayerType.IPv4 : n < 28 ? LayerType.UDP : LayerType.DNS));
  const d = new Decoder();
  for (let n = 29; n < 40; n++) {
    d.decode(data, 228);
    d.decode(data.subarray(0, n), 228);
    const m = d.dns;
    assert.equal(m.truncated, true);
    assert.deepEqual([m.id, m.flags, m.qdCount, m.anCount], [0, 0, 0, 0], `cut at ${n}: nothing stale`);
    const v = readEverything(m);
    assert.equal(v.questionName, undefined);
    assert.deepEqual(v.questions, []);
    assert.deepEqual(v.answers, []);
  }
});

test('a DNS layer decoded on its own', () => {
  const data = Buffer.from([0xaa, ...RESPONSE]);
  const m = new DNS();
  assert.equal(m.decode(data, 1, data.length), LayerType.None);
  assert.equal(m.questionName, 'www.example.com');
  assert.equal(m.answers[1].data, '192.0.2.7');
});

test('DNS of real messages matches tshark: header, questions, answers', { skip: corpusSkip || tsharkSkip }, async () => {
  const fields = ['udp.port', 'dns.id', 'dns.flags.response', 'dns.flags.opcode', 'dns.flags.rcode', 'dns.flags.authoritative',
    'dns.flags.truncated', 'dns.flags.recdesired', 'dns.flags.recavail', 'dns.count.queries', 'dns.count.answers',
    'dns.count.auth_rr', 'dns.count.add_rr', 'dns.qry.name', 'dns.qry.type', 'dns.qry.class', 'dns.resp.name',
    'dns.resp.type', 'dns.resp.class', 'dns.resp.ttl', 'dns.a', 'dns.aaaa', 'dns.cname', 'dns.ns', 'dns.ptr.domain_name'];
  const bool = (s) => s === '1' || s === 'True';
  const d = new Decoder();
  let n = 0;
  let answers = 0;
  const types = new Set();
  for (const [file, rows] of await corpusFrameSets([
    ['DnsPackets.pcap', 'dns || mdns || llmnr'], // all 464 messages; A, AAAA, CNAME, PTR answers
    ['edns-opts.pcap', 'dns'],
    ['dns_tcp.pcap', 'dns'],
    ['many-protocols.pcap', 'dns.cname'],
  ], fields, { limit: 500 })) {
    for (const { frame, pkt, ts } of rows) {
      d.decodePacket(pkt);
      const m = d.dns;
      const where = `${file} #${frame}`;
      assert.ok(d.has(LayerType.DNS) && !m.truncated, where);
      const one = (f) => Number(ts[f][0]);
      assert.equal(m.id, one('dns.id'), where);
      assert.equal(m.response, bool(ts['dns.flags.response'][0]), where);
      assert.equal(m.opcode, one('dns.flags.opcode'), where);
      if (ts['dns.flags.rcode'].length) assert.equal(m.rcode, one('dns.flags.rcode'), where);
      if (m.response) assert.equal(m.authoritative, bool(ts['dns.flags.authoritative'][0]), where);
      assert.equal(m.truncatedFlag, bool(ts['dns.flags.truncated'][0]), where);
      assert.equal(m.recursionDesired, bool(ts['dns.flags.recdesired'][0]), where);
      if (m.response) assert.equal(m.recursionAvailable, bool(ts['dns.flags.recavail'][0]), where);
      assert.deepEqual([m.qdCount, m.anCount, m.nsCount, m.arCount],
        ['dns.count.queries', 'dns.count.answers', 'dns.count.auth_rr', 'dns.count.add_rr'].map(one), where);
      // mDNS puts the unicast-response / cache-flush bit in the class; tshark shows it apart.
      const mdns = d.transport.srcPort === 5353 || d.transport.dstPort === 5353;
      const cls = (c) => (mdns ? c & 0x7fff : c);
      assert.deepEqual(m.questions.map((q) => [q.name, q.type, cls(q.class)]),
        ts['dns.qry.name'].map((q, i) => [q, Number(ts['dns.qry.type'][i]), Number(ts['dns.qry.class'][i])]), `${where}: questions`);
      // tshark lists the records of all sections in message order: answers come first.
      const got = m.answers;
      assert.equal(got.length, m.anCount, `${where}: every answer read`);
      assert.deepEqual(got.map((a) => [a.name, a.type, cls(a.class), a.ttl]),
        ts['dns.resp.name'].slice(0, got.length).map((x, i) => [x, Number(ts['dns.resp.type'][i]), Number(ts['dns.resp.class'][i]), Number(ts['dns.resp.ttl'][i])]),
        `${where}: answers`);
      const nth = { 1: 0, 28: 0, 5: 0, 2: 0, 12: 0 };
      const field = { 1: 'dns.a', 28: 'dns.aaaa', 5: 'dns.cname', 2: 'dns.ns', 12: 'dns.ptr.domain_name' };
      for (const a of got) {
        types.add(a.type);
        if (!(a.type in field)) continue;
        const want = ts[field[a.type]][nth[a.type]++];
        assert.equal(a.type === 28 ? expandIpv6(a.data) : a.data, a.type === 28 ? expandIpv6(want) : want, `${where}: ${field[a.type]}`);
      }
      answers += got.length;
      n++;
    }
  }
  assert.ok(n >= 80 && answers >= 100, `compared ${n} messages, ${answers} answers`);
  for (const t of [1, 5, 12, 28]) assert.ok(types.has(t), `answers of type ${t} compared`);
});
