// Packet builders: every combination is checked twice, by tshark (checksums "Good", and the
// fields it decodes equal to what was asked for) and by pcapkit's own Decoder (decode(build(x))
// gives x back, field by field).
import { test, tool } from './support/skips.mjs';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  PCAPWriter,
  PcapError,
  Decoder,
  LayerType,
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
  internetChecksum,
} from '../dist/esm/index.mjs';
import { makeTmpDir } from './support/tmpdir.mjs';
import { tsharkFields } from './support/oracle.mjs';

const tsharkSkip = tool('tshark');
const dir = makeTmpDir('pcapkit-build-');

const MAC_A = '02:00:00:00:00:0a';
const MAC_B = '02:00:00:00:00:0b';
const V4 = { src: '192.0.2.1', dst: '198.51.100.7' };
const V6 = { src: '2001:db8::1', dst: '2001:db8:0:1::2' };
// odd lengths exercise the checksum's last-byte padding
const DATA = Buffer.from('hello, checksum world!!'); // 23 bytes

/**
 * Each case: the layers to build, what the Decoder must find (layer -> field -> value), and what
 * tshark must show (field -> value), besides Good checksums for `checks`.
 */
const CASES = [
  {
    name: 'Ethernet/IPv4/TCP SYN with MSS, SACK-permitted, timestamps, window scale',
    layers: () => [
      ether({ src: MAC_A, dst: MAC_B }),
      ipv4({ ...V4, ttl: 61, id: 4321, flags: 'DF', tos: 0x10 }),
      tcp({ sport: 40000, dport: 443, flags: 'S', seq: 123456789, window: 64240, options: { mss: 1460, sackPermitted: true, timestamps: [3000000000, 0], windowScale: 7 } }),
    ],
    decoded: {
      layers: [LayerType.Ethernet, LayerType.IPv4, LayerType.TCP],
      ethernet: { src: MAC_A, dst: MAC_B, etherType: 0x0800 },
      ipv4: { ...V4, ttl: 61, id: 4321, dontFragment: true, moreFragments: false, tos: 0x10, protocol: 6, totalLength: 60, ihl: 5 },
      tcp: { srcPort: 40000, dstPort: 443, seq: 123456789, ack: 0, flagString: 'S', window: 64240, dataOffset: 10, mss: 1460, sackPermitted: true, timestamps: [3000000000, 0], windowScale: 7 },
    },
    checks: ['ip', 'tcp'],
    tshark: { 'ip.src': V4.src, 'ip.dst': V4.dst, 'ip.ttl': '61', 'ip.id': '0x10e1', 'ip.flags.df': '1', 'tcp.srcport': '40000', 'tcp.dstport': '443', 'tcp.seq_raw': '123456789', 'tcp.options.mss_val': '1460', 'tcp.options.wscale.shift': '7', 'tcp.options.timestamp.tsval': '3000000000', 'tcp.option_kind': '2,4,8,1,3', 'tcp.hdr_len': '40' },
  },
  {
    name: 'Ethernet/IPv4/TCP PSH+ACK with SACK blocks and an odd-length payload',
    layers: () => [
      ether({ src: MAC_A, dst: MAC_B }),
      ipv4(V4),
      tcp({ sport: 5555, dport: 80, flags: 'PA', seq: 1, ack: 4294967295, options: { sack: [[100, 200], [300, 400]], timestamps: [1, 2] } }),
      payload(DATA),
    ],
    decoded: {
      layers: [LayerType.Ethernet, LayerType.IPv4, LayerType.TCP, LayerType.Payload],
      tcp: { srcPort: 5555, dstPort: 80, seq: 1, ack: 4294967295, flagString: 'PA', sack: [[100, 200], [300, 400]], timestamps: [1, 2], sackPermitted: false },
      appData: DATA,
    },
    checks: ['ip', 'tcp'],
    tshark: { 'tcp.options.sack_le': '100,300', 'tcp.options.sack_re': '200,400', 'tcp.ack_raw': '4294967295', 'tcp.len': String(DATA.length) },
  },
  {
    name: 'Ethernet/IPv4/UDP',
    layers: () => [ether({ src: MAC_A, dst: MAC_B }), ipv4({ ...V4, ttl: 1 }), udp({ sport: 1234, dport: 9999 }), payload(DATA)],
    decoded: {
      layers: [LayerType.Ethernet, LayerType.IPv4, LayerType.UDP, LayerType.Payload],
      ipv4: { protocol: 17, ttl: 1, totalLength: 20 + 8 + DATA.length },
      udp: { srcPort: 1234, dstPort: 9999, length: 8 + DATA.length },
      appData: DATA,
    },
    checks: ['ip', 'udp'],
    tshark: { 'udp.srcport': '1234', 'udp.dstport': '9999', 'udp.length': String(8 + DATA.length) },
  },
  {
    name: 'Ethernet/IPv4/ICMP echo request',
    layers: () => [ether({ src: MAC_A, dst: MAC_B }), ipv4(V4), icmp({ type: 'echo-request', id: 0x1234, seq: 7 }), payload(DATA)],
    decoded: {
      layers: [LayerType.Ethernet, LayerType.IPv4, LayerType.ICMPv4, LayerType.Payload],
      ipv4: { protocol: 1 },
      icmpv4: { icmpType: 8, code: 0, id: 0x1234, seq: 7 },
    },
    checks: ['ip', 'icmp'],
    tshark: { 'icmp.type': '8', 'icmp.ident': '4660', 'icmp.seq': '7' },
  },
  {
    name: 'Ethernet/IPv4/ICMP echo reply',
    layers: () => [ether(), ipv4(V4), icmp({ type: 'echo-reply', id: 1, seq: 65535 }), payload('x')],
    decoded: { icmpv4: { icmpType: 0, id: 1, seq: 65535 } },
    checks: ['ip', 'icmp'],
    tshark: { 'icmp.type': '0', 'icmp.seq': '65535' },
  },
  {
    name: 'Ethernet/IPv6/TCP',
    layers: () => [
      ether({ src: MAC_A, dst: MAC_B }),
      ipv6({ ...V6, hopLimit: 17, flowLabel: 0xabcde, trafficClass: 0x28 }),
      tcp({ sport: 1024, dport: 22, flags: 'SA', seq: 99, ack: 100, options: { mss: 1440, windowScale: 14 } }),
      payload(DATA),
    ],
    decoded: {
      layers: [LayerType.Ethernet, LayerType.IPv6, LayerType.TCP, LayerType.Payload],
      ethernet: { etherType: 0x86dd },
      ipv6: { ...V6, hopLimit: 17, flowLabel: 0xabcde, trafficClass: 0x28, nextHeader: 6, protocol: 6, payloadLengthField: 28 + DATA.length },
      tcp: { srcPort: 1024, dstPort: 22, flagString: 'SA', seq: 99, ack: 100, mss: 1440, windowScale: 14 },
      appData: DATA,
    },
    checks: ['tcp'],
    tshark: { 'ipv6.src': V6.src, 'ipv6.dst': V6.dst, 'ipv6.hlim': '17', 'ipv6.flow': '0x000abcde', 'tcp.options.mss_val': '1440', 'tcp.options.wscale.shift': '14' },
  },
  {
    name: 'Ethernet/IPv6/UDP',
    layers: () => [ether(), ipv6(V6), udp({ sport: 5000, dport: 6000 }), payload(DATA)],
    decoded: {
      layers: [LayerType.Ethernet, LayerType.IPv6, LayerType.UDP, LayerType.Payload],
      ipv6: { nextHeader: 17, payloadLengthField: 8 + DATA.length },
      udp: { srcPort: 5000, dstPort: 6000, length: 8 + DATA.length },
    },
    checks: ['udp'],
    tshark: { 'udp.srcport': '5000', 'udp.dstport': '6000' },
  },
  {
    name: 'Ethernet/IPv6/ICMPv6 echo request',
    layers: () => [ether(), ipv6(V6), icmpv6({ type: 'echo-request', id: 77, seq: 3 }), payload(DATA)],
    decoded: {
      layers: [LayerType.Ethernet, LayerType.IPv6, LayerType.ICMPv6, LayerType.Payload],
      ipv6: { nextHeader: 58 },
      icmpv6: { icmpType: 128, code: 0, id: 77, seq: 3 },
    },
    checks: ['icmpv6'],
    tshark: { 'icmpv6.type': '128', 'icmpv6.echo.identifier': '0x004d', 'icmpv6.echo.sequence_number': '3' },
  },
  {
    name: 'Ethernet/IPv6/ICMPv6 echo reply',
    layers: () => [ether(), ipv6(V6), icmpv6({ type: 129, id: 1, seq: 2 })],
    decoded: { icmpv6: { icmpType: 129, id: 1, seq: 2 } },
    checks: ['icmpv6'],
    tshark: { 'icmpv6.type': '129' },
  },
  {
    name: 'Ethernet/ARP request',
    layers: () => [ether({ src: MAC_A, dst: 'ff:ff:ff:ff:ff:ff' }), arp({ opcode: 'request', senderHw: MAC_A, senderProto: '10.0.0.1', targetProto: '10.0.0.254' })],
    decoded: {
      layers: [LayerType.Ethernet, LayerType.ARP],
      ethernet: { etherType: 0x0806 },
      arp: { opcode: 1, hardwareType: 1, protocolType: 0x0800, hwSize: 6, protoSize: 4, senderHw: MAC_A, senderProto: '10.0.0.1', targetHw: '00:00:00:00:00:00', targetProto: '10.0.0.254' },
    },
    checks: [],
    tshark: { 'arp.opcode': '1', 'arp.src.hw_mac': MAC_A, 'arp.src.proto_ipv4': '10.0.0.1', 'arp.dst.proto_ipv4': '10.0.0.254' },
  },
  {
    name: 'Ethernet/ARP reply',
    layers: () => [ether({ src: MAC_B, dst: MAC_A }), arp({ opcode: 'reply', senderHw: MAC_B, senderProto: '10.0.0.254', targetHw: MAC_A, targetProto: '10.0.0.1' })],
    decoded: { arp: { opcode: 2, senderHw: MAC_B, senderProto: '10.0.0.254', targetHw: MAC_A, targetProto: '10.0.0.1' } },
    checks: [],
    tshark: { 'arp.opcode': '2', 'arp.dst.hw_mac': MAC_A },
  },
  {
    name: 'DNS query over UDP/IPv4',
    layers: () => [ether(), ipv4(V4), udp({ sport: 33333 }), dnsQuery({ id: 0xbeef, name: 'www.example.com', type: 'A' })],
    decoded: {
      layers: [LayerType.Ethernet, LayerType.IPv4, LayerType.UDP, LayerType.DNS],
      udp: { srcPort: 33333, dstPort: 53 },
      dns: { id: 0xbeef, response: false, qdCount: 1, anCount: 0, recursionDesired: true, questionName: 'www.example.com', questions: [{ name: 'www.example.com', type: 1, class: 1 }] },
    },
    checks: ['ip', 'udp'],
    tshark: { 'dns.id': '0xbeef', 'dns.qry.name': 'www.example.com', 'dns.qry.type': '1', 'dns.qry.class': '0x0001', 'dns.flags.recdesired': '1' },
  },
  {
    name: 'DNS query over UDP/IPv6',
    layers: () => [ether(), ipv6(V6), udp(), dnsQuery({ id: 1, name: 'example.org.', type: 'AAAA' })],
    decoded: {
      udp: { srcPort: 53, dstPort: 53 },
      dns: { id: 1, questionName: 'example.org', questions: [{ name: 'example.org', type: 28, class: 1 }] },
    },
    checks: ['udp'],
    tshark: { 'dns.qry.name': 'example.org', 'dns.qry.type': '28' },
  },
  {
    name: 'DNS query over TCP/IPv4 (length prefix)',
    layers: () => [ether(), ipv4(V4), tcp({ sport: 40001, flags: 'PA', seq: 1, ack: 1 }), dnsQuery({ id: 9, name: 'example.net', type: 'MX', recursionDesired: false })],
    decoded: {
      layers: [LayerType.Ethernet, LayerType.IPv4, LayerType.TCP, LayerType.DNS],
      tcp: { srcPort: 40001, dstPort: 53 },
      dns: { overTcp: true, id: 9, recursionDesired: false, questions: [{ name: 'example.net', type: 15, class: 1 }] },
    },
    checks: ['ip', 'tcp'],
    tshark: { 'dns.qry.name': 'example.net', 'dns.qry.type': '15', 'dns.length': '29' },
  },
  {
    name: 'Ethernet/802.1Q/IPv4/UDP',
    layers: () => [ether(), dot1q({ vlanId: 100, priority: 5 }), ipv4(V4), udp({ sport: 1, dport: 2 }), payload(DATA)],
    decoded: {
      layers: [LayerType.Ethernet, LayerType.Dot1Q, LayerType.IPv4, LayerType.UDP, LayerType.Payload],
      ethernet: { etherType: 0x8100 },
      vlan0: { vlanId: 100, priority: 5, etherType: 0x0800 },
    },
    checks: ['ip', 'udp'],
    tshark: { 'vlan.id': '100', 'vlan.priority': '5' },
  },
];

/** tshark's text for a field, numbers (decimal or 0x hex, comma-separated lists) as numbers. */
function norm(text) {
  return String(text)
    .split(',')
    .map((x) => (/^(\d+|0x[0-9a-f]+)$/i.test(x) ? Number(x) : x));
}

const FIELD_SOURCES = {
  ethernet: (d) => d.ethernet,
  vlan0: (d) => d.vlans[0],
  arp: (d) => d.arp,
  ipv4: (d) => d.ipv4,
  ipv6: (d) => d.ipv6,
  tcp: (d) => d.tcp,
  udp: (d) => d.udp,
  icmpv4: (d) => d.icmpv4,
  icmpv6: (d) => d.icmpv6,
  dns: (d) => d.dns,
};

function checkDecoded(frame, expect, label) {
  const d = new Decoder().decode(frame, 1);
  assert.equal(d.truncated, false, `${label}: not truncated`);
  assert.equal(d.malformed, false, `${label}: not malformed`);
  if (expect.layers) assert.deepEqual(d.layers, expect.layers, `${label}: layers`);
  for (const [layer, fields] of Object.entries(expect)) {
    if (layer === 'layers') continue;
    if (layer === 'appData') {
      assert.deepEqual(d.appData, fields, `${label}: application data`);
      continue;
    }
    const obj = FIELD_SOURCES[layer](d);
    for (const [field, value] of Object.entries(fields)) {
      assert.deepEqual(obj[field], value, `${label}: ${layer}.${field}`);
    }
  }
  return d;
}

test('decode(build(x)) gives every field back', () => {
  for (const c of CASES) checkDecoded(build(...c.layers()), c.decoded, c.name);
});

test('tshark finds Good checksums and the fields that were asked for', { skip: tsharkSkip }, async () => {
  const file = join(dir, 'built.pcap');
  const w = new PCAPWriter(file);
  for (const c of CASES) w.write(build(...c.layers()), { tsSec: 1700000000 });
  await w.close();
  const checkFields = ['ip', 'tcp', 'udp', 'icmp', 'icmpv6'].map((p) => `${p}.checksum.status`);
  const extra = [...new Set(CASES.flatMap((c) => Object.keys(c.tshark)))];
  const prefs = ['-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.relative_sequence_numbers:FALSE'];
  const { rows, status, stderr } = tsharkFields(file, ['frame.number', '_ws.expert.severity', ...checkFields, ...extra], prefs);
  assert.equal(status, 0, stderr);
  assert.equal(rows.length, CASES.length);
  CASES.forEach((c, i) => {
    const row = rows[i];
    const get = (f) => row[2 + checkFields.length + extra.indexOf(f)];
    for (const [k, p] of ['ip', 'tcp', 'udp', 'icmp', 'icmpv6'].entries()) {
      const s = row[2 + k];
      if (c.checks.includes(p)) assert.match(s, /^(1|Good)$/, `${c.name}: ${p} checksum status`);
      else if (s !== '') assert.doesNotMatch(s, /^(0|Bad)$/, `${c.name}: ${p} checksum status`);
    }
    // tshark's expert info: chat (0x200000) and notes are fine, warnings and errors are not
    const severities = row[1] === '' ? [] : row[1].split(',').map(Number);
    assert.ok(severities.every((v) => v < 0x600000), `${c.name}: no tshark warnings (${row[1]})`);
    for (const [f, v] of Object.entries(c.tshark)) assert.deepEqual(norm(get(f)), norm(v), `${c.name}: tshark ${f}`);
  });
});

test('explicit values are kept, even wrong ones', { skip: tsharkSkip }, async () => {
  const frames = [
    build(ether(), ipv4({ ...V4, checksum: 0x1234 }), udp({ sport: 1, dport: 2 }), payload('a')),
    build(ether(), ipv4(V4), tcp({ checksum: 0xdead }), payload('b')),
    build(ether(), ipv6(V6), udp({ checksum: 0xbeef }), payload('c')),
    build(ether(), ipv6(V6), icmpv6({ checksum: 1 })),
    build(ether(), ipv4(V4), icmp({ checksum: 2 })),
  ];
  // the Decoder sees the given values
  const d = new Decoder();
  assert.equal(d.decode(frames[0], 1).ipv4.checksum, 0x1234);
  assert.equal(d.decode(frames[1], 1).tcp.checksum, 0xdead);
  assert.equal(d.decode(frames[2], 1).udp.checksum, 0xbeef);
  assert.equal(d.decode(frames[3], 1).icmpv6.checksum, 1);
  assert.equal(d.decode(frames[4], 1).icmpv4.checksum, 2);
  const file = join(dir, 'bad.pcap');
  const w = new PCAPWriter(file);
  for (const f of frames) w.write(f, { tsSec: 1 });
  await w.close();
  const prefs = ['-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.relative_sequence_numbers:FALSE'];
  const fields = ['ip.checksum.status', 'tcp.checksum.status', 'udp.checksum.status', 'icmpv6.checksum.status', 'icmp.checksum.status'];
  const { rows } = tsharkFields(file, fields, prefs);
  const bad = /^(0|Bad)$/;
  assert.match(rows[0][0], bad, 'IPv4 header checksum 0x1234 is bad');
  assert.match(rows[0][2], /^(1|Good)$/, 'UDP checksum still computed over the right pseudo-header');
  assert.match(rows[1][1], bad, 'TCP 0xdead');
  assert.match(rows[2][2], bad, 'UDP 0xbeef');
  assert.match(rows[3][3], bad, 'ICMPv6 1');
  assert.match(rows[4][4], bad, 'ICMP 2');
});

test('explicit lengths, protocol numbers and EtherTypes are written as given', () => {
  const d = new Decoder();
  const f1 = build(ether({ etherType: 0x88b5 }), ipv4(V4));
  assert.equal(f1.readUInt16BE(12), 0x88b5);
  const f2 = build(ether(), ipv4({ ...V4, protocol: 253, totalLength: 20 }), payload('zz'));
  d.decode(f2, 1);
  assert.equal(d.ipv4.protocol, 253);
  assert.equal(d.ipv4.totalLength, 20);
  assert.equal(d.ipv4.payloadLength, 0, 'the decoder trusts the total length: the 2 bytes are padding');
  const f3 = build(ether(), ipv6({ ...V6, nextHeader: 59, payloadLength: 3 }), payload('abcdef'));
  d.decode(f3, 1);
  assert.equal(d.ipv6.nextHeader, 59);
  assert.equal(d.ipv6.payloadLengthField, 3);
  const f4 = build(ether(), ipv4(V4), udp({ length: 8 }), payload('data'));
  d.decode(f4, 1);
  assert.equal(d.udp.length, 8);
  assert.equal(d.udp.payloadLength, 0);
  const f5 = build(ether(), ipv4(V4), tcp({ dataOffset: 5, options: { mss: 1000 } }));
  assert.equal(f5[14 + 20 + 12] >> 4, 5, 'data offset as given, though options follow');
  const f6 = build(ether(), ipv4({ ...V4, ihl: 6, options: Buffer.from([1, 1, 1, 1]) }), udp());
  d.decode(f6, 1);
  assert.equal(d.ipv4.ihl, 6);
  assert.deepEqual(d.ipv4.options, Buffer.from([1, 1, 1, 1]));
});

test('defaults and inference: EtherType, protocol, next header, DNS ports, scapy defaults', () => {
  const d = new Decoder();
  d.decode(build(ether(), ipv4(), tcp()), 1);
  assert.equal(d.ethernet.dst, 'ff:ff:ff:ff:ff:ff');
  assert.equal(d.ethernet.src, '00:00:00:00:00:00');
  assert.equal(d.ipv4.src, '127.0.0.1');
  assert.equal(d.ipv4.ttl, 64);
  assert.equal(d.ipv4.id, 1);
  assert.equal(d.tcp.srcPort, 20);
  assert.equal(d.tcp.dstPort, 80);
  assert.equal(d.tcp.flagString, 'S');
  assert.equal(d.tcp.window, 8192);
  d.decode(build(ether(), ipv6(), udp(), payload('x')), 1);
  assert.equal(d.ipv6.src, '::1');
  assert.equal(d.ipv6.hopLimit, 64);
  assert.equal(d.udp.srcPort, 53);
  const bare = build(ether());
  assert.equal(bare.length, 14);
  assert.equal(bare.readUInt16BE(12), 0x9000, "scapy's default EtherType");
  assert.equal(build(ipv6())[6], 59, 'no next header');
  assert.equal(build(ipv4())[9], 0);
  // 802.1ad outer tag announced by its TPID
  const qinq = build(ether(), dot1q({ tpid: 0x88a8, vlanId: 10 }), dot1q({ vlanId: 20 }), ipv4(V4));
  d.decode(qinq, 1);
  assert.equal(d.ethernet.etherType, 0x88a8);
  assert.equal(d.vlanCount, 2);
  assert.equal(d.vlans[0].vlanId, 10);
  assert.equal(d.vlans[0].etherType, 0x8100);
  assert.equal(d.vlans[1].vlanId, 20);
  assert.ok(d.has(LayerType.IPv4));
  // flags as bits and letters; raw TCP options
  d.decode(build(ipv4(V4), tcp({ flags: 0x18, options: Buffer.from([1, 1, 4, 2]) })), 12);
  assert.equal(d.tcp.flagString, 'PA');
  assert.equal(d.tcp.sackPermitted, true);
  d.decode(build(ipv4(V4), tcp({ flags: 'FSRPAUECN' })), 12);
  assert.equal(d.tcp.flags, 0x1ff);
  // buffers and strings in build() are payloads
  assert.deepEqual(build(ether(), 'ab', Buffer.from('cd')).subarray(14), Buffer.from('abcd'));
});

test('the checksum agrees with an independent sum, odd and even lengths, split anywhere', () => {
  const naive = (b) => {
    let s = 0;
    for (let i = 0; i < b.length; i += 2) s += (b[i] << 8) + (i + 1 < b.length ? b[i + 1] : 0);
    while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
    return ~s & 0xffff;
  };
  for (let n = 0; n < 64; n++) {
    const b = Buffer.from(Array.from({ length: n }, (_, i) => (i * 97 + n * 13 + 255) & 0xff));
    const whole = internetChecksum(b);
    assert.equal(whole, naive(b), `length ${n}`);
    for (let cut = 0; cut <= n; cut += 3) {
      assert.equal(internetChecksum(b.subarray(0, cut), b.subarray(cut)), whole, `length ${n} split at ${cut}`);
    }
  }
});

test('bad arguments throw PcapError EINVAL', () => {
  const bad = [
    () => ipv4({ src: '10.0.0.256' }),
    () => ipv4({ dst: '1.2.3' }),
    () => ipv6({ src: '2001:db8::1::2' }),
    () => ipv6({ dst: '1:2:3:4:5:6:7' }),
    () => ether({ src: '00:11:22:33:44' }),
    () => tcp({ sport: 65536 }),
    () => tcp({ flags: 'SX' }),
    () => tcp({ options: { mss: 70000 } }),
    () => udp({ dport: -1 }),
    () => icmp({ type: 'no-such-type' }),
    () => dnsQuery({ name: `${'a'.repeat(64)}.com` }),
    () => dnsQuery({ name: 'example.com', type: 'constructor' }),
    () => dot1q({ vlanId: 4096 }),
    () => build(ether(), 42),
  ];
  for (const f of bad) assert.throws(f, (err) => err instanceof PcapError && err.code === 'EINVAL', String(f));
  // valid unusual forms
  assert.doesNotThrow(() => ipv6({ src: '::ffff:10.0.0.1', dst: '::' }));
  assert.equal(new Decoder().decode(build(ipv6({ src: '::ffff:10.0.0.1' })), 229).ipv6.src, '::ffff:a00:1');
  assert.doesNotThrow(() => dnsQuery({ name: '.' }));
});
