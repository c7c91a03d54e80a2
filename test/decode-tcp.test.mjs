// TCP decoder: hand-built segments (every flag, every option kind the decoder reads, broken
// option lists, data offsets 0..15), truncation at every header byte, and real segments
// against tshark (ports, seq/ack, flags, window, options).
import { test } from './support/skips.mjs';
import assert from 'node:assert/strict';

import { Decoder, LayerType, TCP, TCP_FLAGS } from '../dist/esm/index.mjs';
import { corpusSkip } from './support/corpus.mjs';
import { checkTruncations, corpusFrameSets, readEverything, tsharkSkip } from './support/tshark-fields.mjs';

const u32 = (n) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
/** TCP header: options padded to 4 bytes unless `doff` is forced. */
function tcp({ sport = 51234, dport = 443, seq = 0xfedcba98, ack = 0x01234567, flags = 0x018, win = 29200, urg = 0x0102,
  options = [], doff } = {}, payload = []) {
  const opts = [...options];
  while (opts.length % 4) opts.push(0);
  const off = doff ?? 5 + opts.length / 4;
  return [sport >> 8, sport & 255, dport >> 8, dport & 255, ...u32(seq), ...u32(ack),
    (off << 4) | ((flags >> 8) & 1), flags & 255, win >> 8, win & 255, 0xab, 0xcd, urg >> 8, urg & 255, ...opts, ...payload];
}
/** IPv4 (protocol 6) around it, decoded as LINKTYPE_IPV4. */
function ip(seg) {
  const len = 20 + seg.length;
  return Buffer.from([0x45, 0, len >> 8, len & 255, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 1, 1, 1, 10, 2, 2, 2, ...seg]);
}
const decode = (seg) => new Decoder().decode(ip(seg), 228);

const SYN_OPTIONS = [2, 4, 0x05, 0xb4, 4, 2, 8, 10, ...u32(0x11223344), ...u32(0), 1, 3, 3, 7];

test('TCP header: every field', () => {
  const d = decode(tcp({}, [1, 2, 3]));
  assert.deepEqual(d.layers, [LayerType.IPv4, LayerType.TCP, LayerType.Payload]);
  const t = d.tcp;
  assert.equal(t.srcPort, 51234);
  assert.equal(t.dstPort, 443);
  assert.equal(t.seq, 0xfedcba98);
  assert.equal(t.ack, 0x01234567);
  assert.equal(t.dataOffset, 5);
  assert.equal(t.flags, 0x18);
  assert.equal(t.window, 29200);
  assert.equal(t.checksum, 0xabcd);
  assert.equal(t.urgent, 0x0102);
  assert.equal(t.headerLength, 20);
  assert.equal(t.payloadLength, 3);
  assert.deepEqual(d.appData, Buffer.from([1, 2, 3]));
  assert.equal(d.appOffset, 40);
  assert.equal(d.transport, t);
});

test('flags: each bit, NS included, in scapy letters', () => {
  const letters = 'FSRPAUECN';
  const names = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR', 'NS'];
  for (let bit = 0; bit < 9; bit++) {
    const t = decode(tcp({ flags: 1 << bit })).tcp;
    assert.equal(t.flags, 1 << bit);
    assert.equal(TCP_FLAGS[names[bit]], 1 << bit);
    assert.equal(t.flagString, letters[bit]);
    assert.equal(t.fin, bit === 0);
    assert.equal(t.syn, bit === 1);
    assert.equal(t.rst, bit === 2);
    assert.equal(t.psh, bit === 3);
    assert.equal(t.ackFlag, bit === 4);
  }
  assert.equal(decode(tcp({ flags: 0x012 })).tcp.flagString, 'SA');
  assert.equal(decode(tcp({ flags: 0x1ff })).tcp.flagString, 'FSRPAUECN');
  assert.equal(decode(tcp({ flags: 0 })).tcp.flagString, '');
  // The three reserved bits next to NS are not flags.
  const raw = ip(tcp({ flags: 0 }));
  raw[20 + 12] |= 0x0e;
  assert.equal(new Decoder().decode(raw, 228).tcp.flags, 0);
});

test('options: MSS, window scale, SACK permitted, timestamps, SACK blocks, unknown kinds', () => {
  const t = decode(tcp({ flags: 0x02, options: SYN_OPTIONS })).tcp;
  assert.equal(t.dataOffset, 5 + SYN_OPTIONS.length / 4);
  assert.equal(t.mss, 1460);
  assert.equal(t.windowScale, 7);
  assert.equal(t.sackPermitted, true);
  assert.deepEqual(t.timestamps, [0x11223344, 0]);
  assert.deepEqual(t.sack, []);
  assert.deepEqual(t.options.map((o) => o.kind), [2, 4, 8, 3], 'NOPs are not listed');
  assert.deepEqual(t.options[0].data, Buffer.from([0x05, 0xb4]));
  const sack = decode(tcp({ options: [1, 1, 5, 26, ...u32(100), ...u32(200), ...u32(300), ...u32(400), ...u32(0xfffffff0), ...u32(5), 30, 4, 0xaa, 0xbb] })).tcp;
  assert.deepEqual(sack.sack, [[100, 200], [300, 400], [0xfffffff0, 5]]);
  assert.equal(sack.mss, undefined);
  assert.equal(sack.windowScale, undefined);
  assert.equal(sack.timestamps, undefined);
  assert.equal(sack.sackPermitted, false);
  assert.deepEqual(sack.options.map((o) => [o.kind, o.data.length]), [[5, 24], [30, 2]]);
  // No options at all.
  const none = decode(tcp()).tcp;
  assert.deepEqual(none.options, []);
  assert.equal(none.mss, undefined);
});

test('broken option lists stop the scan without throwing', () => {
  const cases = [
    [[2, 4, 0x05, 0xb4, 0, 3, 3, 7], [2], 'end of list: the window scale after it is not read'],
    [[2, 0, 0x05, 0xb4], [], 'length 0'],
    [[2, 1, 0x05, 0xb4], [], 'length 1'],
    [[3, 3, 7, 8, 40, 0, 0, 0], [3], 'timestamps claiming 40 bytes'],
    [[1, 1, 1, 2], [], 'kind in the last byte, no length'],
    [[2, 3, 5, 0], [2], 'MSS with a wrong length is listed but not read as MSS'],
    [[8, 6, 0, 0, 0, 1, 0, 0], [8], 'short timestamps'],
  ];
  for (const [options, kinds, why] of cases) {
    const t = decode(tcp({ options })).tcp;
    assert.deepEqual(t.options.map((o) => o.kind), kinds, why);
    const v = readEverything(t);
    if (why.startsWith('MSS')) assert.equal(v.mss, undefined, why);
    if (why.startsWith('short')) assert.equal(v.timestamps, undefined, why);
    if (why.startsWith('end')) assert.equal(v.windowScale, undefined, why);
  }
});

test('data offset: below 5 is malformed, beyond the data is truncated', () => {
  for (let off = 0; off < 5; off++) {
    const d = decode(tcp({ doff: off }, Array(40).fill(0)));
    assert.equal(d.tcp.malformed, true, `data offset ${off}`);
    assert.equal(d.malformed, true);
    readEverything(d.tcp);
  }
  for (let off = 5; off < 16; off++) {
    const d = decode(tcp({ doff: off }, Array(8).fill(1))); // 8 bytes after the fixed header
    assert.equal(d.tcp.truncated, off > 7, `data offset ${off}`);
    if (off <= 7) assert.equal(d.tcp.headerLength, off * 4);
    readEverything(d.tcp);
  }
});

test('DNS over TCP on port 53 (either side); payload on other ports; empty segments', () => {
  const msg = [0x12, 0x34, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0];
  assert.deepEqual(decode(tcp({ dport: 53 }, [0, 12, ...msg])).layers, [LayerType.IPv4, LayerType.TCP, LayerType.DNS]);
  assert.deepEqual(decode(tcp({ sport: 53, dport: 40000 }, [0, 12, ...msg])).layers, [LayerType.IPv4, LayerType.TCP, LayerType.DNS]);
  assert.deepEqual(decode(tcp({ dport: 80 }, [0, 12, ...msg])).layers, [LayerType.IPv4, LayerType.TCP, LayerType.Payload]);
  assert.deepEqual(decode(tcp({ dport: 53 })).layers, [LayerType.IPv4, LayerType.TCP], 'no payload, no DNS');
  // Ethernet padding after a short IP datagram is not TCP payload.
  const padded = Buffer.concat([ip(tcp()), Buffer.alloc(6)]);
  const d = new Decoder().decode(padded, 228);
  assert.equal(d.tcp.payloadLength, 0);
  assert.equal(d.appLength, 0);
});

test('TCP cut at every header byte (with options)', () => {
  const data = ip(tcp({ flags: 0x02, options: SYN_OPTIONS }));
  checkTruncations(Decoder, data, 228, data.length, (n) => (n < 20 ? LayerType.IPv4 : LayerType.TCP));
  const d = new Decoder();
  for (let n = 20; n < data.length; n++) {
    d.decode(data, 228);
    d.decode(data.subarray(0, n), 228);
    const t = d.tcp;
    assert.equal(t.truncated, true);
    if (n < 40) assert.deepEqual([t.srcPort, t.dstPort, t.flags, t.dataOffset], [0, 0, 0, 0], `cut at ${n}: nothing stale`);
    else assert.equal(t.flags, 0x02, `cut at ${n}: fixed header decoded`);
    assert.equal(t.seq, n >= 28 ? 0xfedcba98 : 0, `cut at ${n}`);
    assert.deepEqual(t.options, [], `cut at ${n}: options of a cut header are not read`);
    assert.equal(t.mss, undefined);
    assert.equal(d.appOffset, -1);
    readEverything(t);
  }
});

test('reserved bits: read apart from the flags, which keep NS and the 8 classic bits', () => {
  const seg = Buffer.from(tcp({ flags: 0x12 }));
  seg[12] |= 0x0e; // all three reserved bits
  seg[12] |= 0x01; // NS
  const t = new TCP();
  t.decode(seg, 0, seg.length);
  assert.equal(t.reserved, 7);
  assert.equal(t.flags, 0x100 | 0x12);
  seg[12] &= ~0x0a;
  t.decode(seg, 0, seg.length);
  assert.equal(t.reserved, 2);
});

test('a TCP layer decoded on its own', () => {
  const data = Buffer.from([0xee, ...tcp({ options: SYN_OPTIONS })]);
  const t = new TCP();
  assert.equal(t.decode(data, 1, data.length), LayerType.None);
  assert.equal(t.mss, 1460);
});

test('TCP of real segments matches tshark, options included', { skip: corpusSkip || tsharkSkip }, async () => {
  const fields = ['tcp.srcport', 'tcp.dstport', 'tcp.seq_raw', 'tcp.ack_raw', 'tcp.hdr_len', 'tcp.flags', 'tcp.window_size_value',
    'tcp.checksum', 'tcp.urgent_pointer', 'tcp.option_kind', 'tcp.options.mss_val', 'tcp.options.wscale.shift',
    'tcp.options.sack_perm', 'tcp.options.sack_le', 'tcp.options.sack_re', 'tcp.options.timestamp.tsval', 'tcp.options.timestamp.tsecr'];
  const prefs = ['tcp.relative_sequence_numbers:FALSE', 'tcp.analyze_sequence_numbers:FALSE'];
  const d = new Decoder();
  let n = 0;
  const seen = { mss: 0, ws: 0, sack: 0, ts: 0 };
  for (const [file, rows] of await corpusFrameSets([
    ['many-protocols.pcap', 'tcp.options.sack_le || tcp.options.wscale.shift'],
    ['sll.pcap', 'tcp'],
    ['mptcp-fclose.pcap', 'tcp'],
    ['four_ipv6_http_streams.pcap', 'tcp'],
  ], fields, { prefs, limit: 30 })) {
    for (const { frame, pkt, ts } of rows) {
      d.decodePacket(pkt);
      const t = d.tcp;
      const where = `${file} #${frame}`;
      assert.ok(d.has(LayerType.TCP) && !t.truncated && !t.malformed, where);
      const one = (f) => (ts[f].length ? Number(ts[f][0]) : undefined);
      assert.equal(t.srcPort, one('tcp.srcport'), where);
      assert.equal(t.dstPort, one('tcp.dstport'), where);
      assert.equal(t.seq, one('tcp.seq_raw'), where);
      assert.equal(t.ack, one('tcp.ack_raw'), where);
      assert.equal(t.headerLength, one('tcp.hdr_len'), where);
      assert.equal(t.flags, one('tcp.flags') & 0x1ff, where);
      assert.equal(t.reserved, (one('tcp.flags') >> 9) & 7, where);
      assert.equal(t.window, one('tcp.window_size_value'), where);
      assert.equal(t.checksum, one('tcp.checksum'), where);
      assert.equal(t.urgent, one('tcp.urgent_pointer'), where);
      // tshark lists NOP (1) and end-of-list (0) as options too; pcapkit skips NOPs and stops at EOL.
      const kinds = [];
      for (const k of ts['tcp.option_kind'].map(Number)) {
        if (k === 0) break;
        if (k !== 1) kinds.push(k);
      }
      assert.deepEqual(t.options.map((o) => o.kind), kinds, `${where}: option kinds`);
      assert.equal(t.mss, one('tcp.options.mss_val'), `${where}: MSS`);
      assert.equal(t.windowScale, one('tcp.options.wscale.shift'), `${where}: window scale`);
      assert.equal(t.sackPermitted, kinds.includes(4), `${where}: SACK permitted`);
      const le = ts['tcp.options.sack_le'].map(Number);
      const re = ts['tcp.options.sack_re'].map(Number);
      assert.deepEqual(t.sack, le.map((l, i) => [l, re[i]]), `${where}: SACK blocks`);
      const tsval = one('tcp.options.timestamp.tsval');
      assert.deepEqual(t.timestamps, tsval === undefined ? undefined : [tsval, one('tcp.options.timestamp.tsecr')], `${where}: timestamps`);
      if (t.mss !== undefined) seen.mss++;
      if (t.windowScale !== undefined) seen.ws++;
      if (t.sack.length) seen.sack++;
      if (t.timestamps) seen.ts++;
      n++;
    }
  }
  assert.ok(n >= 90 && seen.mss > 0 && seen.ws > 0 && seen.sack > 0 && seen.ts > 0, `compared ${n} segments: ${JSON.stringify(seen)}`);
});
