// analyze() against tshark: conversations per host pair (`-z conv,ip`, `conv,ipv6`) and per
// 5-tuple (`conv,tcp`, `conv,udp`), packets and bytes each way and durations, TCP streams
// (tcp.stream, port reuse included) with exact bytes, and TCP retransmissions
// (`tcp.analysis.retransmission`) and out-of-order segments per stream — on a capture with
// known retransmissions written by pcapkit's builders and writer, and on the shared corpus.
import { before, after } from 'node:test';
import { test, corpusSkip, tool } from './support/skips.mjs';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyze, PCAPReader } from '../dist/esm/index.mjs';
import { pairKey, tsharkAnalysis, tsharkSize } from './support/tshark-conv.mjs';
import { expected, writeTrafficCapture } from './support/analyze-fixtures.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CORPUS = path.resolve(root, '../shared/corpus/pcaps');
const noTshark = tool('tshark');

/**
 * Compares an analysis with tshark's; returns the differences as text (empty when they agree).
 * `durations: false` skips the duration column.
 */
function differences(r, oracle, { durations = true, kinds = ['ip', 'ipv6', 'tcp', 'udp'] } = {}) {
  const diffs = [];
  const ours = {
    ip: r.conversations.hostPairs.filter((c) => c.ipVersion === 4),
    ipv6: r.conversations.hostPairs.filter((c) => c.ipVersion === 6),
    tcp: r.conversations.flows.filter((c) => c.transport === 'tcp'),
    udp: r.conversations.flows.filter((c) => c.transport === 'udp'),
  };
  for (const kind of kinds) {
    const mine = new Map();
    for (const c of ours[kind]) mine.set(pairKey(c.a, c.b), [...(mine.get(pairKey(c.a, c.b)) ?? []), c]);
    const theirs = new Map();
    for (const row of oracle.conversations[kind]) theirs.set(pairKey(row.a, row.b), [...(theirs.get(pairKey(row.a, row.b)) ?? []), row]);
    for (const [k, rows] of theirs) {
      const cs = (mine.get(k) ?? []).slice().sort((x, y) => x.id - y.id);
      if (cs.length !== rows.length) {
        diffs.push(`${kind} ${k}: tshark has ${rows.length} conversations, analyze() ${cs.length}`);
        continue;
      }
      // several rows for one pair: TCP port reuse; tshark lists them in stream order
      rows.forEach((row, i) => {
        const c = cs[i];
        const same = c.a.address === row.a.address && c.a.port === row.a.port;
        const [ab, ba] = same ? [c.aToB, c.bToA] : [c.bToA, c.aToB];
        const got = `${ab.packets} ${tsharkSize(ab.bytes)} / ${ba.packets} ${tsharkSize(ba.bytes)}`;
        const want = `${row.aToB.frames} ${row.aToB.bytes} / ${row.bToA.frames} ${row.bToA.bytes}`;
        if (got !== want) diffs.push(`${kind} ${k}: analyze() ${got}, tshark ${want}`);
        if (durations && Math.abs(c.duration - row.duration) > 1.5e-4) {
          diffs.push(`${kind} ${k}: duration ${c.duration} vs tshark ${row.duration}`);
        }
      });
    }
    for (const k of mine.keys()) if (!theirs.has(k)) diffs.push(`${kind} ${k}: only in analyze()`);
  }
  // TCP streams, exact: frames, bytes, retransmissions and out-of-order segments per stream
  if (kinds.includes('tcp')) {
    const streams = new Map();
    for (const f of oracle.frames) {
      // segments tshark could not take the length of (bad header) are in no TCP conversation
      if (f.stream === undefined || f.sport === undefined || !f.analysed) continue;
      let s = streams.get(f.stream);
      if (!s) streams.set(f.stream, (s = { key: pairKey({ address: f.src, port: f.sport }, { address: f.dst, port: f.dport }), frames: 0, bytes: 0, retrans: 0, ooo: 0 }));
      s.frames++;
      s.bytes += f.len;
      if (f.retransmission) s.retrans++;
      if (f.outOfOrder) s.ooo++;
    }
    const byKey = new Map();
    for (const [id, s] of [...streams].sort((x, y) => x[0] - y[0])) byKey.set(s.key, [...(byKey.get(s.key) ?? []), s]);
    const flows = new Map();
    for (const c of ours.tcp.slice().sort((x, y) => x.id - y.id)) flows.set(pairKey(c.a, c.b), [...(flows.get(pairKey(c.a, c.b)) ?? []), c]);
    for (const [k, ss] of byKey) {
      const cs = flows.get(k) ?? [];
      if (cs.length !== ss.length) {
        diffs.push(`tcp.stream ${k}: tshark ${ss.length} streams, analyze() ${cs.length}`);
        continue;
      }
      ss.forEach((s, i) => {
        const c = cs[i];
        const got = `${c.packets} frames ${c.bytes} bytes ${c.retransmissions} retrans ${c.outOfOrder} ooo`;
        const want = `${s.frames} frames ${s.bytes} bytes ${s.retrans} retrans ${s.ooo} ooo`;
        if (got !== want) diffs.push(`tcp.stream ${k} #${i}: analyze() ${got}, tshark ${want}`);
      });
    }
    const retrans = oracle.frames.filter((f) => f.retransmission).length;
    const ooo = oracle.frames.filter((f) => f.outOfOrder).length;
    if (r.tcp.retransmissions !== retrans) diffs.push(`retransmissions: analyze() ${r.tcp.retransmissions}, tshark ${retrans}`);
    if (r.tcp.outOfOrder !== ooo) diffs.push(`out-of-order: analyze() ${r.tcp.outOfOrder}, tshark ${ooo}`);
  }
  return diffs;
}

let dir;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcapkit-analyze-tshark-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a generated capture with known retransmissions: analyze() agrees with tshark and the design', { skip: noTshark }, async () => {
  for (const precision of ['micro', 'nano']) {
    const file = path.join(dir, `traffic-${precision}.pcap`);
    await writeTrafficCapture(file, { precision });
    const r = await analyze(file);
    const oracle = await tsharkAnalysis(file);
    assert.equal(oracle.status, 0);
    assert.ok(oracle.conversations.tcp.length >= 3 && oracle.conversations.udp.length >= 7, 'tshark tables were parsed');
    assert.deepEqual(differences(r, oracle), []);
    // and what went in: 4 retransmissions (fast, timeout, spurious; a retransmitted SYN after
    // the port reuse), 1 out-of-order segment
    assert.equal(oracle.frames.filter((f) => f.retransmission).length, expected.retransmissions);
    assert.equal(r.tcp.retransmissions, expected.retransmissions);
    assert.equal(r.tcp.outOfOrder, expected.outOfOrder);
    const web = r.conversations.flows.filter((f) => f.b.port === 80).sort((a, b) => a.id - b.id);
    assert.deepEqual(web.map((f) => f.retransmissions), expected.tcpStreams.map((s) => s.retransmissions));
  }
});

// Link layers the decoders handle (tshark's first protocol).
const LINKS = new Set(['eth', 'sll', 'null', 'raw', 'ip', 'ipv6']);
// What a header decoder does not look into: tunnels and encapsulations, and ICMP errors
// (tshark counts the quoted packet's IP header as a conversation too).
const INNER = new Set(['gre', 'vxlan', 'geneve', 'pppoes', 'pppoed', 'ppp', 'udpencap', 'teredo', 'gtp', 'mpls']);
// Files where tshark itself counts differently, on purpose or by accident:
const TSHARK_QUIRKS = {
  'null_loopback.pcap': 'tshark takes a NULL header that is no address family (0f 00 08 00) as an EtherType',
  'ip6_fragments.pcap': "tshark's ipv6 conversation tap skips non-first IPv6 fragments (IPv4 fragments are counted)",
};
const NO_DURATIONS = {
  'pcapng-example.pcapng': 'timestamps near 1.8e13 s: tshark computes durations in doubles there and loses precision',
  'timestamp_invalid_micro.pcap': 'timestamp fractions out of range; tshark and libpcap normalise them differently',
  'timestamp_invalid_nano.pcap': 'timestamp fractions out of range; tshark and libpcap normalise them differently',
};

test('corpus: conversations, streams, retransmissions and out-of-order segments agree with tshark', {
  skip: corpusSkip || noTshark,
}, async (t) => {
  const files = fs.readdirSync(CORPUS).sort();
  const compared = [];
  const skipped = [];
  const notes = [];
  const failures = [];
  const work = files.map((name) => async () => {
    const file = path.join(CORPUS, name);
    let r;
    try {
      r = await analyze(file);
    } catch (err) {
      skipped.push(`${name}: pcapkit cannot open it (${err.code})`);
      return;
    }
    let oracle = await tsharkAnalysis(file);
    if (oracle.status !== 0 && oracle.status !== 2) {
      skipped.push(`${name}: tshark cannot read it`);
      return;
    }
    if (oracle.frames.length !== r.packets) {
      skipped.push(`${name}: tshark read ${oracle.frames.length} packets, pcapkit ${r.packets}`);
      return;
    }
    const other = oracle.frames.find((f) => !LINKS.has(f.protocols[0]));
    if (other) {
      skipped.push(`${name}: link layer ${other.protocols[0]} is not decoded`);
      return;
    }
    // Frames with an inner packet (tunnels, ICMP errors quoting a packet) are left out of
    // both sides: tshark counts the inner IP header as a conversation too.
    const inner = oracle.frames
      .filter((f) => f.protocols.some((p) => INNER.has(p)) || f.protocols.filter((p) => p === 'ip' || p === 'ipv6').length > 1)
      .map((f) => f.number);
    if (inner.length > 0 && inner.length === oracle.frames.length) {
      skipped.push(`${name}: every frame has an inner packet`);
      return;
    }
    if (inner.length) {
      const leave = new Set(inner);
      async function* without() {
        let n = 0;
        for await (const p of new PCAPReader(file)) if (!leave.has(++n)) yield p;
      }
      r = await analyze(without());
      oracle = await tsharkAnalysis(file, { exclude: inner });
      notes.push(`${name}: ${inner.length} frames with inner packets left out`);
    }
    if (TSHARK_QUIRKS[name]) {
      skipped.push(`${name}: ${TSHARK_QUIRKS[name]}`);
      return;
    }
    const diffs = differences(r, oracle, { durations: !NO_DURATIONS[name] });
    compared.push(`${name} (${r.packets} packets, ${r.conversations.hostPairCount} host pairs, ${r.conversations.flowCount} flows, ${r.tcp.retransmissions} retransmissions)`);
    if (diffs.length) failures.push(`${name}:\n  ${diffs.slice(0, 20).join('\n  ')}`);
  });
  // two tshark processes at a time
  const queue = work.slice();
  await Promise.all([0, 1].map(async () => {
    while (queue.length) await queue.shift()();
  }));
  t.diagnostic(`compared ${compared.length} files: ${compared.join('; ')}`);
  t.diagnostic(`skipped ${skipped.length}: ${skipped.join('; ')}`);
  if (notes.length) t.diagnostic(notes.join('; '));
  assert.deepEqual(failures, []);
  assert.ok(compared.length >= 30, `only ${compared.length} files compared`);
  // the comparison covered retransmissions, out-of-order segments, port reuse and fragments
  for (const name of ['many-protocols.pcap', 'pptp.pcap', 'doipPackets.pcapng', 'ip-frag.pcap', 'sll2.pcap', 'GrePackets.cap']) {
    assert.ok(compared.some((c) => c.startsWith(`${name} `)), `${name} was compared`);
  }
});
