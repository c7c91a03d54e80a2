// Decoding a packet where it lies in its batch (decodePacket on a reader's packet,
// decodeFromBatch, decodeAt) must give exactly what decoding a copy of its bytes gives: the
// same layers, fields, offsets (relative to the packet) and views, on every link type.
import { test } from './support/skips.mjs';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  PCAPReader,
  PCAPWriter,
  Decoder,
  LayerType,
  PcapError,
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
  summary,
  show,
  decodedToJSON,
} from '../dist/esm/index.mjs';
import { makeTmpDir } from './support/tmpdir.mjs';
import { corpusSkip, loadManifest } from './support/corpus.mjs';

const dir = makeTmpDir();

// Everything a user can read of a decoded packet, as plain data.
function snapshot(d) {
  const layers = d.layers.map((t) => {
    const l = layerOf(d, t);
    return { t, offset: l.offset, hl: l.headerLength, pl: l.payloadLength, po: l.payloadOffset, tr: l.truncated, mal: l.malformed, contents: l.contents.toString('hex'), payload: l.payload.toString('hex') };
  });
  return {
    layers,
    data: d.data.toString('hex'),
    appOffset: d.appOffset,
    appLength: d.appLength,
    appData: d.appData.toString('hex'),
    truncated: d.truncated,
    malformed: d.malformed,
    summary: summary(d),
    show: show(d),
    json: JSON.stringify(decodedToJSON(d)),
  };
}

function layerOf(d, t) {
  switch (t) {
    case LayerType.Ethernet: return d.ethernet;
    case LayerType.Dot1Q: return d.vlans[0];
    case LayerType.ARP: return d.arp;
    case LayerType.IPv4: return d.ipv4;
    case LayerType.IPv6: return d.ipv6;
    case LayerType.TCP: return d.tcp;
    case LayerType.UDP: return d.udp;
    case LayerType.ICMPv4: return d.icmpv4;
    case LayerType.ICMPv6: return d.icmpv6;
    case LayerType.DNS: return d.dns;
    case LayerType.LinuxSLL: return d.sll;
    case LayerType.LinuxSLL2: return d.sll2;
    case LayerType.Loopback: return d.loopback;
    default: return d.payload;
  }
}

// Reads `file` three ways and compares packet by packet with decoding a copy.
async function compareFile(file, label) {
  const copy = new Decoder();
  const inPlace = new Decoder();
  const fromBatch = new Decoder();
  const expected = [];
  let n = 0;
  for await (const pkt of new PCAPReader(file)) {
    const want = snapshot(copy.decode(Buffer.from(pkt.data), pkt.linktype, pkt.length));
    // a fresh reader's packet, decoded before its `data` view exists
    expected.push(want);
    n++;
  }
  let i = 0;
  for await (const pkt of new PCAPReader(file)) {
    assert.deepEqual(snapshot(inPlace.decodePacket(pkt)), expected[i], `${label}: packet ${i} (decodePacket)`);
    i++;
  }
  i = 0;
  for await (const b of new PCAPReader(file).batches()) {
    for (let k = 0; k < b.count; k++, i++) {
      assert.deepEqual(snapshot(fromBatch.decodeFromBatch(b, k)), expected[i], `${label}: packet ${i} (decodeFromBatch)`);
    }
  }
  assert.equal(i, n);
  return n;
}

test('in place, from a batch and from a copy: the same decode, packet for packet', async () => {
  const file = join(dir, 'mix.pcap');
  const w = new PCAPWriter(file, { linktype: 1 });
  const frames = [
    build(ether({}), ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), tcp({ srcPort: 443, dstPort: 5555, flags: 'SA', options: { mss: 1460, sackPermitted: true } }), payload(Buffer.from('hello'))),
    build(ether({}), ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), udp({ srcPort: 5353, dstPort: 53 }), dnsQuery({ id: 7, name: 'example.com' })),
    build(ether({}), ipv6({ src: 'fe80::1', dst: 'ff02::1' }), icmpv6({ type: 128, id: 1, seq: 2 })),
    build(ether({}), ipv6({ src: '::1', dst: '::2' }), tcp({ srcPort: 1, dstPort: 53 }), payload(Buffer.from('\x00\x0c0123456789ab', 'latin1'))),
    build(ether({}), dot1q({ vlanId: 10 }), dot1q({ vlanId: 20 }), ipv4({ src: '1.2.3.4', dst: '5.6.7.8' }), icmp({ type: 8, id: 3, seq: 4 })),
    build(ether({}), arp({ opcode: 1, senderProto: '10.0.0.1', targetProto: '10.0.0.2' })),
    build(ether({}), ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), udp({ srcPort: 1000, dstPort: 2000 }), payload(Buffer.alloc(3))),
  ];
  let count = 0;
  for (let rep = 0; rep < 300; rep++) {
    for (const f of frames) {
      // whole frames, and frames cut at every length (truncated headers mid-batch)
      const cut = rep === 0 ? f.length : Math.min(f.length, (rep * 7 + count) % (f.length + 1));
      w.write(f.subarray(0, cut), { tsSec: 1_700_000_000 + count, tsNsec: count * 1000, length: f.length });
      count++;
    }
  }
  await w.close();
  assert.equal(await compareFile(file, 'generated'), count);
});

test('decodeFromBatch: index checked; a recycled batch refuses instead of reading freed memory', async () => {
  const file = join(dir, 'small.pcap');
  const w = new PCAPWriter(file, { linktype: 1 });
  for (let i = 0; i < 10; i++) w.write(build(ether({}), ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), udp({ srcPort: i + 1, dstPort: 9 })));
  await w.close();
  const d = new Decoder();
  let kept;
  let first = 0;
  for await (const b of new PCAPReader(file, { batchPackets: 4 }).batches()) {
    assert.throws(() => d.decodeFromBatch(b, b.count), RangeError);
    assert.throws(() => d.decodeFromBatch(b, -1), RangeError);
    for (let k = 0; k < b.count; k++) assert.equal(d.decodeFromBatch(b, k).udp.srcPort, first + k + 1);
    first += b.count;
    kept ??= b;
  }
  assert.equal(first, 10);
  assert.equal(kept.recycled, true, 'a batch used through decodeFromBatch only is recycled');
  assert.throws(() => d.decodeFromBatch(kept, 0), (e) => e instanceof PcapError && e.code === 'ECLOSED');
});

test('corpus: in-place decoding equals decoding a copy on every readable file', { skip: corpusSkip }, async () => {
  let files = 0;
  for (const row of loadManifest()) {
    if (row.libpcap.kind !== 'ok' || row.libpcapPackets === 0) continue;
    await compareFile(row.path, row.name);
    files++;
  }
  assert.ok(files > 30, `only ${files} corpus files compared`);
});
