// analyze(): hierarchy, conversations, applications, intervals, data series, limits and sources,
// on captures written by pcapkit's own builders and writer (see support/analyze-fixtures.mjs).
// The comparisons with tshark are in analyze-tshark.test.mjs.
import { before, after } from 'node:test';
import { test, tool } from './support/skips.mjs';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  analyze,
  ApplicationTable,
  DEFAULT_APPLICATIONS,
  PCAPReader,
  PCAPWriter,
  TrafficAnalyzer,
  build,
  ether,
  ipv4,
  udp,
  tcp,
  payload,
} from '../dist/esm/index.mjs';
import { T0, expected, trafficFrames, writeTrafficCapture } from './support/analyze-fixtures.mjs';
import { tsharkConversations, tsharkHierarchy } from './support/tshark-conv.mjs';

// Expected counts come from tshark (-z io,phs, -z conv) or from the fixture's own description
// (support/analyze-fixtures.mjs `expected`), never from numbers written here.
const tsharkSkip = tool('tshark');

let dir;
let file;
let frames;
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcapkit-analyze-'));
  file = path.join(dir, 'traffic.pcap');
  frames = await writeTrafficCapture(file);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const sum = (xs) => xs.reduce((a, b) => a + b, 0);
const pair = (c) => [c.a.address, c.b.address].sort().join(' ');

test('totals and time span match what was written', async () => {
  const r = await analyze(file);
  assert.equal(r.packets, frames.length);
  assert.equal(r.bytes, sum(frames.map((f) => f.frame.length)));
  assert.equal(r.capturedBytes, r.bytes);
  assert.equal(r.firstTime, T0);
  assert.ok(Math.abs(r.lastTime - (T0 + frames[frames.length - 1].t)) < 1e-6);
  assert.ok(Math.abs(r.duration - frames[frames.length - 1].t) < 1e-6);
  assert.equal(r.nonIp, 2); // the two ARP frames
  assert.equal(r.truncated, 0);
  assert.equal(r.malformed, 0);
  assert.equal(r.source.path, file);
  assert.equal(r.source.linktypeName, 'EN10MB');
  assert.equal(r.error, undefined);
});

test('protocol hierarchy counts each layer path as tshark -z io,phs does', { skip: tsharkSkip }, async () => {
  const r = await analyze(file);
  const h = Object.fromEntries(r.hierarchy.map((e) => [e.path, e]));
  const phs = tsharkHierarchy(file);
  assert.equal(phs.get('eth')?.frames, frames.length, 'oracle self-check: tshark read every frame');
  assert.equal(h.eth.packets, frames.length);
  assert.equal(h.eth.depth, 0);
  // every path both name (pcapkit's leaves are 'data', tshark's the application protocols)
  const both = r.hierarchy.filter((e) => phs.has(e.path)).map((e) => e.path);
  for (const p of ['eth/arp', 'eth/ipv6/tcp', 'eth/ipv4/icmp', 'eth/ipv4/udp/dns', 'eth/vlan/ipv4/udp', 'eth/ipv4/tcp']) {
    assert.ok(both.includes(p), `${p} in both hierarchies (pcapkit: ${Object.keys(h).join(', ')})`);
  }
  for (const p of both) {
    assert.equal(h[p].packets, phs.get(p).frames, `${p} packets`);
    assert.equal(h[p].bytes, phs.get(p).bytes, `${p} bytes`);
  }
  // a parent counts what its children count, plus what ends there
  for (const e of r.hierarchy) {
    const kids = r.hierarchy.filter((k) => k.depth === e.depth + 1 && k.path.startsWith(`${e.path}/`));
    assert.equal(e.packets, e.endPackets + sum(kids.map((k) => k.packets)), e.path);
    assert.equal(e.bytes >= sum(kids.map((k) => k.bytes)), true, e.path);
  }
  // depth first: every row's parent comes before it
  r.hierarchy.forEach((e, i) => {
    if (e.depth > 0) assert.ok(r.hierarchy.slice(0, i).some((p) => e.path === `${p.path}/${e.name}`), e.path);
  });
});

test('host pairs: packets and bytes each way, times, applications, repeat intervals', async () => {
  const r = await analyze(file);
  const hp = r.conversations.hostPairs;
  assert.equal(r.conversations.hostPairCount, hp.length);
  assert.deepEqual([hp[0].a.address, hp[0].b.address], expected.topHostPair);
  // recount from the frames
  const want = new Map();
  for (const { t, frame } of frames) {
    if (frame.readUInt16BE(12) !== 0x0800) continue; // plain IPv4 only here
    const s = `${frame[26]}.${frame[27]}.${frame[28]}.${frame[29]}`;
    const d = `${frame[30]}.${frame[31]}.${frame[32]}.${frame[33]}`;
    const k = [s, d].sort().join(' ');
    const w = want.get(k) ?? { first: s, bytes: {}, packets: {}, t0: t, t1: t };
    w.packets[s] = (w.packets[s] ?? 0) + 1;
    w.bytes[s] = (w.bytes[s] ?? 0) + frame.length;
    w.t1 = t;
    want.set(k, w);
  }
  for (const [k, w] of want) {
    const c = hp.find((x) => pair(x) === k);
    assert.ok(c, k);
    assert.equal(c.a.address, w.first, k);
    assert.equal(c.aToB.packets, w.packets[c.a.address] ?? 0, k);
    assert.equal(c.bToA.packets, w.packets[c.b.address] ?? 0, k);
    assert.equal(c.aToB.bytes, w.bytes[c.a.address] ?? 0, k);
    assert.equal(c.bToA.bytes, w.bytes[c.b.address] ?? 0, k);
    assert.equal(c.packets, c.aToB.packets + c.bToA.packets);
    assert.ok(Math.abs(c.firstTime - (T0 + w.t0)) < 1e-6, k);
    assert.ok(Math.abs(c.duration - (w.t1 - w.t0)) < 1e-6, k);
  }
  const dns = hp.find((x) => pair(x) === '10.0.0.1 10.0.0.53');
  assert.deepEqual(dns.applications, ['DNS']);
  assert.equal(dns.conversations, expected.dnsConversations);
  assert.equal(dns.repeat.events, expected.dnsConversations);
  assert.ok(Math.abs(dns.repeat.mean - expected.dnsInterval) < 1e-9);
  assert.ok(Math.abs(dns.repeat.stdev) < 1e-9);
  const web = hp.find((x) => pair(x) === '10.0.0.1 10.0.0.2');
  assert.equal(web.retransmissions, expected.retransmissions);
  assert.equal(web.outOfOrder, expected.outOfOrder);
  assert.equal(web.conversations, expected.tcpStreams.length); // the port reuse made a second TCP conversation
  assert.deepEqual(web.applications, ['HTTP']);
  assert.equal(web.applicationStats[0].conversations, expected.tcpStreams.length);
  const v6 = hp.find((x) => x.ipVersion === 6);
  assert.deepEqual([v6.a.address, v6.b.address], ['2001:db8::1', '2001:db8::443']);
  assert.deepEqual(v6.applications, ['TLS']);
});

test('5-tuples: port reuse splits a TCP connection; TCP diagnoses per connection', { skip: tsharkSkip }, async () => {
  const r = await analyze(file);
  const conv = { tcp: tsharkConversations(file, 'tcp'), udp: tsharkConversations(file, 'udp') };
  const webRows = conv.tcp.filter((c) => c.b.port === 80).sort((x, y) => x.start - y.start);
  assert.equal(webRows.length, expected.tcpStreams.length, 'oracle self-check: tshark sees the designed TCP streams');
  const web = r.conversations.flows
    .filter((f) => f.transport === 'tcp' && f.b.port === 80)
    .sort((x, y) => x.firstTime - y.firstTime);
  assert.equal(web.length, webRows.length);
  web.forEach((f, i) => {
    assert.equal(f.packets, webRows[i].total.frames, `stream ${i} packets (tshark -z conv,tcp)`);
    const e = expected.tcpStreams[i];
    for (const k of Object.keys(e)) assert.equal(f.tcp[k], e[k], `stream ${i} ${k}`);
    assert.equal(f.retransmissions, e.retransmissions);
    assert.equal(f.application, 'HTTP');
    assert.deepEqual(f.a, { address: '10.0.0.1', port: 40000 });
    assert.deepEqual(f.b, { address: '10.0.0.2', port: 80 });
  });
  assert.equal(web[0].tcp.reusedPorts, false);
  assert.equal(web[1].tcp.reusedPorts, true);
  assert.ok(Math.abs(web[0].tcp.firstRtt - 0.02) < 1e-9);
  assert.ok(web[0].id < web[1].id);
  assert.equal(web[0].hostPair, web[1].hostPair);
  // bad = retransmissions + out-of-order + gap + duplicate ACKs
  const s0 = expected.tcpStreams[0];
  assert.equal(web[0].bad, s0.retransmissions + s0.outOfOrder + s0.lostSegments + s0.duplicateAcks);
  const total = (k) => sum(expected.tcpStreams.map((s) => s[k]));
  assert.equal(r.tcp.retransmissions, expected.retransmissions);
  assert.equal(r.tcp.outOfOrder, expected.outOfOrder);
  assert.equal(r.tcp.fastRetransmissions, total('fastRetransmissions'));
  assert.equal(r.tcp.spuriousRetransmissions, total('spuriousRetransmissions'));
  assert.equal(r.tcp.duplicateAcks, total('duplicateAcks'));
  const ntpRows = conv.udp.filter((c) => c.a.port === 123 || c.b.port === 123);
  const ntp = r.conversations.flows.filter((f) => f.application === 'NTP');
  assert.equal(ntp.length, ntpRows.length);
  assert.equal(ntp[0].packets, ntpRows[0].total.frames);
  assert.equal(ntp[0].tcp, undefined);
  assert.deepEqual(ntp[0].a, { address: '10.0.0.1', port: 123 });
  const icmp = r.conversations.flows.find((f) => f.transport === 'icmp');
  assert.equal(icmp.packets, tsharkHierarchy(file).get('eth/ipv4/icmp').frames);
  // every TCP and UDP conversation tshark lists, and ICMP's
  assert.equal(r.conversations.flows.filter((f) => f.transport !== 'icmp').length, conv.tcp.length + conv.udp.length);
  assert.equal(icmp.a.port, undefined);
  assert.equal(r.conversations.flowCount, r.conversations.flows.length);
  // sorted by bytes
  const bytes = r.conversations.flows.map((f) => f.bytes);
  assert.deepEqual(bytes, [...bytes].sort((a, b) => b - a));
});

test('applications: names from the table, shares, repeat and packet intervals', async () => {
  const r = await analyze(file);
  const app = Object.fromEntries(r.applications.map((a) => [a.application, a]));
  for (const name of ['HTTP', 'DNS', 'NTP', 'TLS', 'ICMP', 'ARP', 'SYSLOG']) assert.ok(app[name], name);
  assert.equal(sum(r.applications.map((a) => a.packets)), r.packets);
  assert.equal(sum(r.applications.map((a) => a.bytes)), r.bytes);
  assert.ok(Math.abs(sum(r.applications.map((a) => a.share)) - 1) < 1e-9);
  assert.equal(app.DNS.conversations, expected.dnsConversations);
  assert.ok(Math.abs(app.DNS.repeat.mean - 2) < 1e-9);
  assert.equal(app.NTP.conversations, 1);
  assert.equal(app.NTP.repeat.mean, null);
  assert.equal(app.NTP.packetInterval.intervals, 2);
  assert.ok(Math.abs(app.NTP.packetInterval.mean - 4) < 1e-9);
  assert.ok(Math.abs(app.NTP.packetInterval.stdev) < 1e-9);
  assert.equal(app.DNS.hostPairs, 1);
  // packet intervals of DNS: 5 ms, 1.995 s, 5 ms, ... -> mean and sample stdev by hand
  const times = frames.filter(({ frame }) => frame.length > 42 && frame.readUInt16BE(12) === 0x0800 && frame[23] === 17 && (frame.readUInt16BE(34) === 53 || frame.readUInt16BE(36) === 53)).map((f) => f.t);
  const iv = times.slice(1).map((t, i) => t - times[i]);
  const mean = sum(iv) / iv.length;
  const sd = Math.sqrt(sum(iv.map((x) => (x - mean) ** 2)) / (iv.length - 1));
  assert.ok(Math.abs(app.DNS.packetInterval.mean - mean) < 1e-6);
  assert.ok(Math.abs(app.DNS.packetInterval.stdev - sd) < 1e-6);
});

test('the application table is documented and overridable', async () => {
  const t = new ApplicationTable();
  assert.equal(t.forPort('tcp', 443), 'TLS');
  assert.equal(t.forPort('udp', 443), 'QUIC');
  assert.equal(t.forPort('udp', 53), 'DNS');
  assert.equal(t.forPort('tcp', 22), 'SSH');
  assert.equal(t.forPort('udp', 67), 'DHCP');
  assert.equal(t.forPort('tcp', 1883), 'MQTT');
  assert.equal(t.forPort('tcp', 40000), undefined);
  assert.ok(DEFAULT_APPLICATIONS.every((r) => typeof r.name === 'string' && Object.isFrozen(r)));
  // both ports known: the lower wins; a SYN's destination port wins when known
  assert.equal(t.names[t.forPorts(6, 8080, 80)], 'HTTP');
  assert.equal(t.names[t.forPorts(6, 80, 8080, 8080)], 'HTTP-ALT');
  assert.equal(t.names[t.forPorts(17, 50000, 50001)], 'UDP');
  assert.throws(() => new ApplicationTable({ applications: [{ name: 'X', ports: '9-3' }] }), { name: 'PcapError', code: 'EINVAL' });

  const r = await analyze(file, {
    applications: [
      { name: 'WEB', transport: 'tcp', ports: 80 },
      { name: 'LOOKUP', transport: 'udp', ports: '53' },
      { name: 'PING', ipProtocol: 1 },
    ],
  });
  const names = r.applications.map((a) => a.application);
  for (const n of ['WEB', 'LOOKUP', 'PING', 'NTP']) assert.ok(names.includes(n), n);
  assert.ok(!names.includes('HTTP') && !names.includes('DNS'));
  const only = await analyze(file, { replaceDefaultApplications: true, applications: [{ name: 'WEB', transport: 'tcp', ports: [80, 443] }] });
  const n2 = only.applications.map((a) => a.application).sort();
  assert.ok(n2.includes('WEB') && n2.includes('UDP') && n2.includes('IP-1') && n2.includes('OTHER'), n2.join());
  assert.ok(!n2.includes('NTP') && !n2.includes('ARP'));
});

test('dataSeries(): bytes per application per bucket add up; buckets, top and filtering', async () => {
  const r = await analyze(file);
  assert.equal(r.seriesResolution, 1);
  const s1 = r.dataSeries({ bucket: 1 });
  assert.equal(s1.bucket, 1);
  assert.equal(s1.start, T0);
  assert.equal(s1.times.length, 12); // 0..11 s
  assert.deepEqual(s1.times, s1.times.map((_, i) => T0 + i));
  assert.equal(sum(s1.series.map((s) => s.totalBytes)), r.bytes);
  assert.equal(sum(s1.series.map((s) => s.totalPackets)), r.packets);
  for (const s of s1.series) {
    assert.equal(s.bytes.length, 12);
    assert.equal(sum(s.bytes), s.totalBytes);
  }
  // recount DNS bytes in second 2 (2.5 and 2.505)
  const dns = s1.series.find((s) => s.application === 'DNS');
  const inSecond = (k) => frames.filter(({ t, frame }) => Math.floor(t) === k && frame[23] === 17 && frame.length > 34 && (frame.readUInt16BE(34) === 53 || frame.readUInt16BE(36) === 53));
  assert.equal(dns.bytes[2], sum(inSecond(2).map((f) => f.frame.length)));
  assert.equal(dns.packets[2], 2);
  const s5 = r.dataSeries({ bucket: 5 });
  assert.equal(s5.times.length, 3);
  const dns5 = s5.series.find((s) => s.application === 'DNS');
  assert.equal(dns5.bytes[0], sum(dns.bytes.slice(0, 5)));
  const top = r.dataSeries({ bucket: 5, top: 2 });
  assert.equal(top.series.length, 3);
  assert.equal(top.series[2].application, '(others)');
  assert.equal(sum(top.series.map((s) => s.totalBytes)), r.bytes);
  assert.deepEqual(r.dataSeries({ applications: ['NTP'] }).series.map((s) => s.application), ['NTP']);
  const auto = r.dataSeries();
  assert.ok(auto.times.length <= 120 && auto.times.length >= 1);
  assert.throws(() => r.dataSeries({ bucket: -1 }), { name: 'PcapError', code: 'EINVAL' });
  // the series takes a resolution and stays bounded
  const coarse = await analyze(file, { seriesResolution: 2 });
  assert.equal(coarse.dataSeries({ bucket: 1 }).bucket, 2);
  const tiny = await analyze(file, { maxSeriesBuckets: 16 });
  assert.ok(tiny.seriesResolution > 1);
  assert.equal(sum(tiny.dataSeries().series.map((s) => s.totalBytes)), r.bytes);
});

test('tables are capped: what overflows is counted, memory does not grow with it', async () => {
  const r = await analyze(file, { maxConversations: 3, maxHostPairs: 2 });
  assert.equal(r.conversations.flowCount, 3);
  assert.equal(r.conversations.hostPairCount, 2);
  const full = await analyze(file);
  const inFlows = sum(r.conversations.flows.map((f) => f.packets));
  const fullFlowPackets = sum(full.conversations.flows.map((f) => f.packets));
  assert.equal(inFlows + r.conversations.overflow.flows.packets, fullFlowPackets);
  const inHosts = sum(r.conversations.hostPairs.map((f) => f.packets));
  assert.equal(inHosts + r.conversations.overflow.hostPairs.packets, r.packets - r.nonIp);
  assert.equal(r.conversations.overflow.flows.limit, 3);
  assert.equal(r.conversations.overflow.hostPairs.limit, 2);
  // totals, applications and series still count everything
  assert.equal(r.bytes, full.bytes);
  assert.deepEqual(r.applications.map((a) => a.packets), full.applications.map((a) => a.packets));
  await assert.rejects(analyze(file, { maxConversations: 0 }), { code: 'EINVAL' });
});

test('sources: path, PCAPReader, async iterable of Packets, array, batches; filters on each', async () => {
  const byPath = await analyze(file);
  const byReader = await analyze(new PCAPReader(file));
  const packets = [];
  for await (const p of new PCAPReader(file)) packets.push(p);
  async function* live() {
    for (const p of packets) yield p;
  }
  const byIterable = await analyze(live());
  const byArray = await analyze(packets);
  const batches = [];
  for await (const b of new PCAPReader(file).batches()) {
    void b.arena; // keeps the batch (an accessor-only batch is recycled when the loop moves on)
    batches.push(b);
  }
  const byBatches = await analyze(batches);
  const a = new TrafficAnalyzer();
  for (const p of packets) a.add(p);
  const byHand = a.result();
  for (const r of [byReader, byIterable, byArray, byBatches, byHand]) {
    assert.deepEqual(JSON.parse(JSON.stringify({ ...r.toJSON(), source: null })), JSON.parse(JSON.stringify({ ...byPath.toJSON(), source: null })));
  }
  const expr = 'udp port 53';
  const want = (await analyze(file, { filter: expr })).packets;
  assert.equal(want, 10);
  assert.equal((await analyze(new PCAPReader(file), { filter: expr })).packets, want);
  assert.equal((await analyze(live(), { filter: expr })).packets, want);
  assert.equal((await analyze(batches, { filter: expr })).packets, want);
  assert.equal((await analyze(file, { filter: expr })).source.filter, expr);
  await assert.rejects(analyze(file, { filter: 'tcp and' }), { code: 'EFILTER' });
  await assert.rejects(analyze(path.join(dir, 'missing.pcap')), { code: 'ENOENT' });
});

test('an abort ends a live analysis with what was seen; a file analysis rejects', async () => {
  const frame = build(ether(), ipv4({ src: '10.1.0.1', dst: '10.1.0.2' }), udp({ sport: 1000, dport: 2000 }), payload('x'));
  const ac = new AbortController();
  let n = 0;
  let finished = false;
  async function* endless() {
    try {
      for (;;) {
        n++;
        if (n === 50) setTimeout(() => ac.abort(), 5);
        yield { data: frame, linktype: 1, length: frame.length, tsSec: T0 + n, tsNsec: 0 };
        await new Promise((r) => setTimeout(r, n < 50 ? 0 : 1));
      }
    } finally {
      finished = true;
    }
  }
  const r = await analyze(endless(), { signal: ac.signal });
  assert.ok(r.packets >= 50 && r.packets <= n, `${r.packets} of ${n}`);
  assert.equal(r.conversations.flows[0].packets, r.packets);
  assert.ok(finished, 'the source was closed');
  const ac2 = new AbortController();
  ac2.abort(new Error('stop'));
  await assert.rejects(analyze(file, { signal: ac2.signal }), /stop/);
});

test('a damaged file: every whole packet is analysed and the damage reported', async () => {
  const cut = path.join(dir, 'cut.pcap');
  const whole = fs.readFileSync(file);
  fs.writeFileSync(cut, whole.subarray(0, whole.length - 30));
  const r = await analyze(cut);
  assert.equal(r.error?.code, 'ETRUNCATED');
  assert.equal(r.packets, frames.length - 1);
  assert.deepEqual(r.toJSON().error, { code: 'ETRUNCATED', message: r.error.message });
});

test('snapshot-cut packets count as truncated; cut headers as malformed and bad', async () => {
  const f = path.join(dir, 'snap.pcap');
  const w = new PCAPWriter(f, { snaplen: 262144 });
  const big = build(ether(), ipv4({ src: '10.2.0.1', dst: '10.2.0.2' }), tcp({ sport: 1, dport: 80, flags: 'A' }), payload(Buffer.alloc(500)));
  w.write(big.subarray(0, 80), { tsSec: T0, tsNsec: 0, length: big.length }); // payload cut
  w.write(big.subarray(0, 40), { tsSec: T0 + 1, tsNsec: 0, length: big.length }); // TCP header cut
  await w.close();
  const r = await analyze(f);
  assert.equal(r.truncated, 2);
  assert.equal(r.malformed, 1);
  assert.equal(r.bytes, 2 * big.length);
  assert.equal(r.capturedBytes, 120);
  const hp = r.conversations.hostPairs[0];
  assert.equal(hp.packets, 2);
  assert.equal(hp.truncated, 2);
  assert.equal(hp.malformed, 1);
  assert.equal(hp.bad, 1);
  // a TCP segment with a cut header belongs to no connection (as in tshark)
  assert.equal(r.conversations.flows.length, 1);
  assert.equal(r.conversations.flows[0].packets, 1);
});

test('toJSON() is plain data with the default series; topConversations() matches the full lists', async () => {
  const r = await analyze(file);
  const j = JSON.parse(JSON.stringify(r));
  assert.equal(j.packets, r.packets);
  assert.equal(j.conversations.hostPairs.length, r.conversations.hostPairCount);
  assert.equal(j.conversations.flows.length, r.conversations.flowCount);
  assert.deepEqual(j.dataSeries, JSON.parse(JSON.stringify(r.dataSeries())));
  assert.equal(typeof j.dataSeries.bucket, 'number');
  const fresh = await analyze(file);
  const top = fresh.topConversations(3);
  assert.deepEqual(top.hostPairs, r.conversations.hostPairs.slice(0, 3));
  assert.deepEqual(top.flows, r.conversations.flows.slice(0, 3));
});

test('an empty capture', async () => {
  const f = path.join(dir, 'empty.pcap');
  await new PCAPWriter(f).close();
  const r = await analyze(f);
  assert.equal(r.packets, 0);
  assert.equal(r.firstTime, null);
  assert.equal(r.duration, 0);
  assert.deepEqual(r.hierarchy, []);
  assert.deepEqual(r.conversations.flows, []);
  assert.deepEqual(r.dataSeries().series, []);
  JSON.stringify(r);
});

test('frames in the fixture are in time order and distinct in time per direction', () => {
  const f = trafficFrames();
  for (let i = 1; i < f.length; i++) assert.ok(f[i].t >= f[i - 1].t);
});
