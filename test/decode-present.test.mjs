// Presentation of decoded packets: summary() (scapy's one-liners), show() (scapy's field view),
// decodedToJSON() and hexdump() (byte for byte `hexdump -C`). Built packets have exact expected
// strings (the format is scapy's; scapy itself, when installed, checks them too); corpus
// packets are checked against tshark.
import { test, tool } from './support/skips.mjs';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  PCAPReader,
  Decoder,
  LayerType,
  summary,
  show,
  decodedToJSON,
  hexdump,
  decode,
  DecodedPacket,
  build,
  ether,
  dot1q,
  arp,
  ipv4,
  ipv6,
  tcp,
  udp,
  icmp,
  icmpv6,
  dnsQuery,
  payload,
} from '../dist/esm/index.mjs';
import { corpusSkip, corpusFile } from './support/corpus.mjs';
import { tsharkFields } from './support/oracle.mjs';

const A = { src: '10.0.0.1', dst: '10.0.0.2' };
const MAC1 = '00:11:22:33:44:55';
const MAC2 = '66:77:88:99:aa:bb';

const hexdumpSkip = tool('hexdump', { args: ['-C', '/dev/null'], status: true, pkg: 'bsdextrautils' });
const tsharkSkip = tool('tshark');
const PY = '/usr/bin/python3';
const scapySkip = tool(PY, { args: ['-c', 'import scapy.all'], status: true, pkg: 'python3-scapy' });

/** A Linux cooked (v1) header for an EtherType: packet type, ARPHRD_ETHER, 6-byte address. */
function sllHeader(protocol, packetType = 0) {
  const h = Buffer.alloc(16);
  h.writeUInt16BE(packetType, 0);
  h.writeUInt16BE(1, 2);
  h.writeUInt16BE(6, 4);
  Buffer.from([0x02, 0, 0, 0, 0, 0x01]).copy(h, 6);
  h.writeUInt16BE(protocol, 14);
  return h;
}
/** BSD loopback (NULL) header: the address family in little-endian order. */
function nullHeader(family) {
  const h = Buffer.alloc(4);
  h.writeUInt32LE(family, 0);
  return h;
}

/** [bytes, link type, expected summary] */
const SUMMARIES = [
  [build(ether({ src: MAC1, dst: MAC2 }), ipv4(A), tcp({ sport: 443, dport: 5555, flags: 'SA' }), payload('hi')), 1, 'Ether / IP / TCP 10.0.0.1:443 > 10.0.0.2:5555 SA / Raw'],
  [build(ether(), ipv4(A), udp(), dnsQuery({ name: 'example.com' })), 1, 'Ether / IP / UDP / DNS Qry "example.com."'],
  [build(ether(), ipv6({ src: '2001:db8::1', dst: '2001:db8::53' }), tcp({ sport: 40000, flags: 'PA' }), dnsQuery({ name: 'example.org', type: 'AAAA' })), 1, 'Ether / IPv6 / TCP / DNS Qry "example.org."'],
  [build(ether({ src: MAC1 }), arp({ senderHw: MAC1, senderProto: '10.0.0.1', targetProto: '10.0.0.254' })), 1, 'Ether / ARP who has 10.0.0.254 says 10.0.0.1'],
  [build(ether({ src: MAC1 }), arp({ opcode: 'reply', senderHw: MAC2, senderProto: '10.0.0.254', targetHw: MAC1, targetProto: '10.0.0.1' }), payload(Buffer.alloc(18))), 1, 'Ether / ARP is at 66:77:88:99:aa:bb says 10.0.0.254 / Padding'],
  [build(ether(), dot1q({ vlanId: 7 }), ipv4(A), icmp({ type: 'echo-request' }), payload('abc')), 1, 'Ether / Dot1Q / IP / ICMP 10.0.0.1 > 10.0.0.2 echo-request 0 / Raw'],
  [build(ether(), ipv4(A), icmp({ type: 'dest-unreach', code: 3 }), payload('quoted')), 1, 'Ether / IP / ICMP 10.0.0.1 > 10.0.0.2 dest-unreach port-unreachable / Raw'],
  [build(ether(), ipv4({ ...A, protocol: 17, fragmentOffset: 185 }), payload('frag')), 1, 'Ether / 10.0.0.1 > 10.0.0.2 udp frag:185 / Raw'],
  [build(ether(), ipv4(A), udp({ sport: 1234, dport: 4321 }), payload('x')), 1, 'Ether / IP / UDP 10.0.0.1:1234 > 10.0.0.2:4321 / Raw'],
  [build(ether(), ipv4(A), tcp({ sport: 1, dport: 2, flags: 'A' }), payload(Buffer.alloc(6))), 1, 'Ether / IP / TCP 10.0.0.1:1 > 10.0.0.2:2 A / Raw'],
  [Buffer.concat([build(ether(), ipv4(A), tcp({ sport: 1, dport: 2, flags: 'A' })), Buffer.alloc(6)]), 1, 'Ether / IP / TCP 10.0.0.1:1 > 10.0.0.2:2 A / Padding'],
  [build(ether(), ipv6({ src: 'fe80::1', dst: 'ff02::1' }), icmpv6({ id: 1, seq: 258 }), payload('ping')), 1, 'Ether / IPv6 / ICMPv6 Echo Request (id: 0x1 seq: 0x102)'],
  [build(ether({ etherType: 0x88cc, src: MAC1, dst: MAC2 }), payload('lldp')), 1, '00:11:22:33:44:55 > 66:77:88:99:aa:bb (LLDP) / Raw'],
  [Buffer.concat([sllHeader(0x86dd), build(ipv6({ src: '::1', dst: '::2' }), udp({ sport: 5000, dport: 6000 }), payload('x'))]), 113, 'CookedLinux / IPv6 / UDP ::1:5000 > ::2:6000 / Raw'],
  [Buffer.concat([nullHeader(2), build(ipv4(A), icmp({ type: 'echo-reply' }))]), 0, 'Loopback / IP / ICMP 10.0.0.1 > 10.0.0.2 echo-reply 0'],
  [build(ipv4(A), udp(), dnsQuery({ name: '.' })), 228, 'IP / UDP / DNS Qry "."'],
  [build(ether(), ipv4(A), tcp({ sport: 80, dport: 8080 })).subarray(0, 40), 1, 'Ether / 10.0.0.1 > 10.0.0.2 tcp / TCP [truncated]'],
  [Buffer.concat([build(ether({ etherType: 0x0800 })), Buffer.from([0x65, 0, 0, 20]), Buffer.alloc(16)]), 1, '00:00:00:00:00:00 > ff:ff:ff:ff:ff:ff (IPv4) / IP [malformed]'],
];

test('summary(): scapy-style one-liners', () => {
  const d = new Decoder();
  for (const [bytes, linktype, expected] of SUMMARIES) {
    assert.equal(summary(d.decode(bytes, linktype)), expected);
    assert.equal(decode(bytes, linktype).summary(), expected, 'decode(bytes).summary() says the same');
  }
  assert.equal(summary(d.decode(Buffer.alloc(0), 1)), 'Ether [truncated]');
  assert.equal(summary(d.decode(Buffer.from('zz'), 147)), 'Raw', 'unknown link types are Raw');
});

test('show(): scapy layout, one field per line', () => {
  const bytes = build(
    ether({ src: MAC1, dst: MAC2 }),
    ipv4({ ...A, ttl: 64, id: 1, flags: 'DF' }),
    tcp({ sport: 443, dport: 5555, flags: 'SA', seq: 1, ack: 2, options: { mss: 1460, sackPermitted: true, timestamps: [10, 20], windowScale: 7 } }),
    payload("it's\n\x00"),
  );
  const d = new Decoder().decode(bytes, 1);
  const ipsum = d.ipv4.checksum.toString(16);
  const tcpsum = d.tcp.checksum.toString(16);
  const expected = [
    '###[ Ethernet ]###',
    `  dst       = ${MAC2}`,
    `  src       = ${MAC1}`,
    '  type      = IPv4',
    '###[ IP ]###',
    '     version   = 4',
    '     ihl       = 5',
    '     tos       = 0x0',
    '     len       = 66',
    '     id        = 1',
    '     flags     = DF',
    '     frag      = 0',
    '     ttl       = 64',
    '     proto     = tcp',
    `     chksum    = 0x${ipsum}`,
    '     src       = 10.0.0.1',
    '     dst       = 10.0.0.2',
    '     \\options   \\',
    '###[ TCP ]###',
    '        sport     = 443',
    '        dport     = 5555',
    '        seq       = 1',
    '        ack       = 2',
    '        dataofs   = 10',
    '        reserved  = 0',
    '        flags     = SA',
    '        window    = 8192',
    `        chksum    = 0x${tcpsum}`,
    '        urgptr    = 0',
    "        options   = [('MSS', 1460), ('SAckOK', b''), ('Timestamp', (10, 20)), ('NOP', None), ('WScale', 7)]",
    '###[ Raw ]###',
    `           load      = b"it's\\n\\x00"`,
    '',
  ].join('\n');
  assert.equal(show(d), expected);
  assert.equal(decode(bytes).show(), expected);

  // DNS questions nest like scapy's packet-list fields; a cut header says so
  const q = show(new Decoder().decode(build(ether(), ipv4(A), udp(), dnsQuery({ id: 5, name: 'a.example', type: 'MX' })), 1));
  assert.match(q, /\n###\[ DNS \]###\n {11}id {8}= 5\n/);
  assert.match(q, /\n {11}\\qd {8}\\\n {12}\|###\[ DNS Question Record \]###\n {12}\| {2}qname {5}= b'a\.example\.'\n {12}\| {2}qtype {5}= MX\n {12}\| {2}qclass {4}= IN\n/);
  const cut = show(new Decoder().decode(build(ether(), ipv4(A), tcp()).subarray(0, 40), 1));
  assert.match(cut, /###\[ TCP \]###\n {8}!! truncated \(the capture ends inside this header\)\n {8}load {6}= b'\\x00\\x14\\x00P\\x00\\x00'\n$/);
});

test('summary() and show() agree with scapy itself', { skip: scapySkip }, () => {
  // pcapkit differs on purpose in a few places (see lib/decode/summary.ts): no service names
  // for ports (turned off in scapy here), DNS names as text, ICMP errors quote Raw bytes, cut
  // or malformed headers are marked. scapy 2.5 also differs from later scapy: a trailing space
  // after `###[ name ]###`, Raw loads without b'', the 802.1Q `id` field (now `dei`).
  const cases = SUMMARIES.filter(([, lt, s]) => lt === 1 && !/\[(truncated|malformed)\]|unreach/.test(s));
  const input = cases.map(([b]) => b.toString('hex')).join('\n');
  const py = [
    'import sys',
    'from scapy.all import Ether, TCP, UDP, conf',
    'conf.noenum.add(TCP.sport, TCP.dport, UDP.sport, UDP.dport)',
    'for h in sys.stdin.read().split():',
    '    p = Ether(bytes.fromhex(h))',
    "    print(p.summary() + '\\x1e' + p.show(dump=True) + '\\x1f')",
  ].join('\n');
  const r = spawnSync(PY, ['-c', py], { input, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const outs = r.stdout.split('\x1f\n').slice(0, -1);
  assert.equal(outs.length, cases.length);
  const normSummary = (s) => s.replace(/"b'(.*?)'"/g, '"$1"').trimEnd();
  const normShow = (s) =>
    s
      .replace(/ \n/g, '\n')
      .replace(/= b(['"])/g, '= $1')
      .replace(/\bid {8}= (\d)(\n\s+vlan )/g, 'dei       = $1$2') // Dot1Q
      .replace(/n_802_1Q/g, '802_1Q')
      .replace(/= (['"])(.*)\1$/gm, '= $2')
      .replace(/options   = \[\]$/gm, 'options   = ') // scapy 2.5 shows b'' when padding follows
      .replace(/\n\s+(an|ns|ar)\s+= None/g, '')
      .replace(/\n\s+\\(an|ns|ar)\s+\\/g, '');
  cases.forEach(([bytes, , expected], i) => {
    const [scapySummary, scapyShow] = outs[i].split('\x1e');
    assert.equal(normSummary(scapySummary), expected, `scapy's summary of ${expected}`);
    const mine = show(new Decoder().decode(bytes, 1));
    assert.equal(normShow(mine).trimEnd(), normShow(scapyShow).trimEnd(), `show() of ${expected}`);
  });
});

test('decodedToJSON(): every field, JSON-safe, and the same through decode(pkt)', () => {
  const bytes = build(
    ether({ src: MAC1, dst: MAC2 }),
    dot1q({ vlanId: 300, priority: 3 }),
    ipv4({ ...A, ttl: 9, tos: 0xb8 }),
    tcp({ sport: 1000, dport: 2000, flags: 'PA', seq: 4000000000, ack: 5, options: { mss: 536, sack: [[1, 2]] } }),
    payload('hello'),
  );
  const d = new Decoder().decode(bytes, 1);
  const j = decodedToJSON(d);
  assert.deepEqual(JSON.parse(JSON.stringify(j)), j, 'survives JSON.stringify/parse unchanged');
  assert.equal(j.linktype, 1);
  assert.equal(j.caplen, bytes.length);
  assert.equal(j.length, bytes.length);
  assert.equal(j.truncated, false);
  assert.equal(j.malformed, false);
  assert.equal(j.padding, 0);
  assert.deepEqual(j.layers.map((l) => l.type), ['ethernet', 'dot1q', 'ipv4', 'tcp', 'payload']);
  const [eth, vlan, ip, t, pay] = j.layers;
  assert.deepEqual(
    { src: eth.src, dst: eth.dst, etherType: eth.etherType, offset: eth.offset, headerLength: eth.headerLength },
    { src: MAC1, dst: MAC2, etherType: 0x8100, offset: 0, headerLength: 14 },
  );
  assert.deepEqual({ vlanId: vlan.vlanId, priority: vlan.priority, tpid: vlan.tpid, etherType: vlan.etherType }, { vlanId: 300, priority: 3, tpid: 0x8100, etherType: 0x0800 });
  for (const k of ['src', 'dst', 'ttl', 'tos', 'id', 'checksum', 'totalLength', 'protocol', 'ihl', 'flags']) assert.equal(ip[k], d.ipv4[k], `ipv4.${k}`);
  assert.equal(typeof ip.src, 'string');
  for (const k of ['srcPort', 'dstPort', 'seq', 'ack', 'flags', 'flagString', 'window', 'checksum', 'urgent', 'dataOffset', 'mss']) assert.equal(t[k], d.tcp[k], `tcp.${k}`);
  assert.equal(t.seq, 4000000000);
  assert.deepEqual(t.sack, [[1, 2]]);
  assert.equal('windowScale' in t, false, 'absent options are absent, not undefined');
  assert.deepEqual(pay, { type: 'payload', offset: t.offset + t.headerLength, headerLength: 0, payloadLength: 5, truncated: false, malformed: false });
  assert.equal(t.headerLength, 36, 'MSS, NOP, NOP, one SACK block');
  assert.equal(decodedToJSON(d, { payload: 'hex' }).layers[4].data, Buffer.from('hello').toString('hex'));
  assert.deepEqual(decode(bytes).toJSON(), j);
  assert.deepEqual(JSON.parse(JSON.stringify(decode(bytes))), j, 'JSON.stringify(decodedPacket) uses toJSON()');

  // DNS, ICMPv6, ARP, truncated and padded packets
  const dns = decodedToJSON(d.decode(build(ether(), ipv6(), udp({ sport: 999 }), dnsQuery({ id: 42, name: 'x.test', type: 'TXT' })), 1));
  const dl = dns.layers.at(-1);
  assert.equal(dl.type, 'dns');
  assert.equal(dl.id, 42);
  assert.equal(dl.questionName, 'x.test');
  assert.deepEqual(dl.questions, [{ name: 'x.test', type: 16, class: 1 }]);
  assert.deepEqual(dl.answers, []);
  assert.deepEqual(JSON.parse(JSON.stringify(dns)), dns);
  const echo = decodedToJSON(d.decode(build(ether(), ipv6(), icmpv6({ id: 7, seq: 8 })), 1)).layers[2];
  assert.deepEqual([echo.type, echo.icmpType, echo.id, echo.seq, echo.isEcho], ['icmpv6', 128, 7, 8, true]);
  const a = decodedToJSON(d.decode(build(ether(), arp({ senderProto: '1.2.3.4' }), payload(Buffer.alloc(18))), 1));
  assert.equal(a.padding, 18);
  assert.equal(a.layers[1].senderProto, '1.2.3.4');
  const cut = decodedToJSON(d.decode(build(ether(), ipv4(A), tcp()).subarray(0, 40), 1));
  assert.equal(cut.truncated, true);
  assert.deepEqual(cut.layers.at(-1), { type: 'tcp', offset: 34, headerLength: 0, payloadLength: 0, truncated: true, malformed: false, incomplete: true });
});

test('decode(): layer getters, undefined when absent', () => {
  const p = decode(build(ether(), ipv4(A), udp({ sport: 7, dport: 9 }), payload('q')));
  assert.ok(p instanceof DecodedPacket);
  assert.equal(p.udp.srcPort, 7);
  assert.equal(p.tcp, undefined);
  assert.equal(p.ipv6, undefined);
  assert.equal(p.network, p.ipv4);
  assert.equal(p.transport, p.udp);
  assert.deepEqual(p.layerTypes, [LayerType.Ethernet, LayerType.IPv4, LayerType.UDP, LayerType.Payload]);
  assert.deepEqual(p.layers.map((l) => l.type), p.layerTypes);
  assert.deepEqual(p.vlans, []);
  assert.equal(p.hexdump(), hexdump(p.data));
  // two decodes do not share layer objects
  const q = decode(build(ether(), ipv4({ src: '1.1.1.1' }), udp()));
  assert.equal(p.ipv4.src, '10.0.0.1');
  assert.equal(q.ipv4.src, '1.1.1.1');
  // a Packet-like object with its own wire length
  const r = decode({ data: Buffer.from(p.data), linktype: 1, length: 1000 });
  assert.equal(r.length, 1000);
  assert.equal(r.toJSON().length, 1000);
});

/** tshark's frame.protocols tokens that name a layer pcapkit decodes, in pcapkit's words. */
const TSHARK_LAYERS = {
  eth: 'ethernet',
  vlan: 'dot1q',
  sll: 'linux_sll',
  null: 'loopback',
  arp: 'arp',
  ip: 'ipv4',
  ipv6: 'ipv6',
  tcp: 'tcp',
  udp: 'udp',
  icmp: 'icmpv4',
  icmpv6: 'icmpv6',
  dns: 'dns',
  mdns: 'dns',
  llmnr: 'dns',
};

test('corpus packets: layers as tshark sees them, summaries name its addresses, ports and DNS names', { skip: corpusSkip || tsharkSkip }, async () => {
  const files = ['gateway_or_not.pcap', 'sll.pcap', 'VlanPackets.pcap', 'dns_tcp.pcap', 'DnsPackets.pcap', 'icmpv6.pcap'];
  const d = new Decoder();
  for (const name of files) {
    const file = corpusFile(name);
    const fields = ['frame.protocols', 'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'tcp.srcport', 'tcp.dstport', 'udp.srcport', 'udp.dstport', 'dns.qry.name', 'dns.flags.response'];
    const { rows, status, stderr } = tsharkFields(file, fields, ['-o', 'tcp.desegment_tcp_streams:FALSE']);
    assert.equal(status, 0, stderr);
    let i = 0;
    for await (const pkt of new PCAPReader(file)) {
      const row = rows[i++];
      const [protocols, ip4s, ip4d, ip6s, ip6d, tsp, tdp, usp, udp_, qname, response] = row;
      d.decodePacket(pkt);
      const j = decodedToJSON(d);
      assert.deepEqual(JSON.parse(JSON.stringify(j)), j);
      const theirs = protocols.split(':').map((p) => TSHARK_LAYERS[p]).filter(Boolean);
      const ours = j.layers.map((l) => l.type).filter((t) => t !== 'payload');
      assert.deepEqual(ours, theirs, `${name} #${i}: layers (${protocols})`);
      const s = summary(d);
      const text = show(d);
      assert.ok(text.startsWith('###[ '), `${name} #${i}: show()`);
      const src = (ip4s || ip6s).split(',')[0];
      const dst = (ip4d || ip6d).split(',')[0];
      if (d.has(LayerType.DNS)) {
        if (response === 'False' || response === '0') assert.ok(s.endsWith(`DNS Qry "${qname.split(',')[0]}."`), `${name} #${i}: ${s}`);
        else assert.match(s, /DNS Ans/, `${name} #${i}`);
      } else if (d.has(LayerType.TCP)) {
        assert.ok(s.includes(`TCP ${src}:${tsp} > ${dst}:${tdp}`), `${name} #${i}: ${s}`);
      } else if (d.has(LayerType.UDP)) {
        assert.ok(s.includes(`UDP ${src}:${usp} > ${dst}:${udp_}`), `${name} #${i}: ${s}`);
      } else if (d.has(LayerType.ICMPv4)) {
        assert.ok(s.includes(`ICMP ${src} > ${dst} `), `${name} #${i}: ${s}`);
      }
    }
    assert.equal(i, rows.length, `${name}: packet count`);
  }
});

function hexdumpC(buf, args = ['-C']) {
  const r = spawnSync('hexdump', args, { input: buf, maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, String(r.stderr));
  return r.stdout.toString('latin1');
}

test('hexdump() is byte for byte `hexdump -C`', { skip: hexdumpSkip }, () => {
  const bufs = [Buffer.alloc(0), Buffer.from('A'), Buffer.from('0123456789abcdef'), Buffer.alloc(64), Buffer.alloc(65, 0x41)];
  for (let n = 1; n <= 70; n++) bufs.push(randomBytes(n));
  // repeated lines: hexdump prints '*' for a run of lines equal to the one before
  for (let k = 0; k < 20; k++) {
    const line = randomBytes(16);
    const parts = [];
    for (let j = 0; j < 6; j++) parts.push(Math.random() < 0.6 ? line : randomBytes(16));
    parts.push(randomBytes(Math.floor(Math.random() * 17)));
    bufs.push(Buffer.concat(parts));
  }
  bufs.push(randomBytes(100000));
  bufs.push(Buffer.from(Array.from({ length: 256 }, (_, i) => i)));
  for (const b of bufs) {
    assert.equal(hexdump(b), hexdumpC(b), `${b.length} bytes: ${b.subarray(0, 40).toString('hex')}`);
  }
  for (const b of [Buffer.alloc(100), bufs.at(-3)]) assert.equal(hexdump(b, { squeeze: false }), hexdumpC(b, ['-C', '-v']));
});

test('damaged packets never make summary(), show() or decodedToJSON() throw', () => {
  const seeds = [
    build(ether(), ipv4(A), tcp({ options: { mss: 1, sackPermitted: true, timestamps: [1, 2], windowScale: 3, sack: [[1, 2]] } }), payload('abc')),
    build(ether(), dot1q(), ipv6(), udp(), dnsQuery({ name: 'a.b.c' })),
    build(ether(), ipv4(A), tcp({ dport: 53 }), dnsQuery({ name: 'x.y' })),
    build(ether(), arp()),
    build(ether(), ipv6(), icmpv6({ type: 135 }), payload(Buffer.alloc(24, 1))),
    build(ether(), ipv4(A), icmp({ type: 3, code: 4 }), payload('x'.repeat(28))),
    build(ether(), ipv4({ ...A, options: Buffer.from([7, 7, 4, 0]) }), udp({ dport: 5353 }), dnsQuery({ name: 'q' })),
    // IPv6 with hop-by-hop, routing, fragment, AH headers before UDP
    Buffer.concat([
      build(ether(), ipv6({ nextHeader: 0, payloadLength: 8 + 8 + 8 + 12 + 8 })),
      Buffer.from([43, 0, 1, 4, 0, 0, 0, 0, 44, 0, 0, 0, 0, 0, 0, 0, 51, 0, 0, 0, 0, 0, 0, 1, 17, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2]),
      Buffer.from([0, 1, 0, 2, 0, 8, 0, 0]),
    ]),
  ];
  // the last seed really has its extension headers and shows them as scapy layers
  assert.equal(summary(new Decoder().decode(seeds.at(-1), 1)), 'Ether / IPv6 / IPv6ExtHdrHopByHop / IPv6ExtHdrRouting / IPv6ExtHdrFragment / AH / UDP ::1:1 > ::1:2');
  const d = new Decoder();
  let state = 12345;
  const rnd = (k) => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state % k;
  };
  for (let i = 0; i < 20000; i++) {
    const s = Buffer.from(seeds[rnd(seeds.length)]);
    for (let k = 1 + rnd(4); k > 0; k--) s[rnd(s.length)] = rnd(256);
    const bytes = s.subarray(0, rnd(s.length + 1));
    const linktype = [1, 1, 1, 113, 276, 0, 108, 12, 228, 229][rnd(10)];
    d.decode(bytes, linktype);
    try {
      assert.equal(typeof summary(d), 'string');
      assert.equal(typeof show(d), 'string');
      const j = decodedToJSON(d);
      assert.deepEqual(JSON.parse(JSON.stringify(j)), j);
    } catch (err) {
      err.message = `linktype ${linktype}, bytes ${bytes.toString('hex')}: ${err.message}`;
      throw err;
    }
  }
});
