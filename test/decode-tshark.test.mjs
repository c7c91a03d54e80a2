// The decoders against tshark on every file of the real-capture corpus: the acceptance test.
//
// For every corpus file tshark reads, `tshark -T fields -E occurrence=f` (reassembly off, see
// support/tshark-fields.mjs for the field list and the canonical forms) gives one row per
// frame; the same file read with PCAPReader and decoded by ONE reused Decoder gives pcapkit's
// values. Every (frame, field) pair where either side has a value is compared.
//
// A disagreement is excluded from the agreement figure only when it falls in one of the
// classes of EXPECTED below AND that class's check confirms, on this very packet, that its
// reason applies (the check looks at the bytes, pcapkit's layers and tshark's protocol chain).
// Every other disagreement is unexplained and counts against the agreement, which must be
// >= 99.9%. All explained pairs are listed with their reason in the test output.
//
// Build first: npx tsc -p tsconfig.json && node scripts/make-esm.mjs
import { test } from './support/skips.mjs';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

import { Decoder, LayerType, PCAPReader, firstLayerFor } from '../dist/esm/index.mjs';
import { corpusSkip, loadManifest, pcapsDir } from './support/corpus.mjs';
import { COMPARED_FIELDS, decodedValues, tsharkRows, tsharkSkip } from './support/tshark-fields.mjs';

const skip = corpusSkip || tsharkSkip;
const MIN_AGREEMENT = 0.999;

// ---------------------------------------------------------------------------------------------
// tshark's protocol chain (frame.protocols) in pcapkit's layer terms.

/** tshark protocol names that are one of pcapkit's layers. */
const LAYER_OF_PROTOCOL = {
  eth: LayerType.Ethernet,
  vlan: LayerType.Dot1Q,
  ieee8021ad: LayerType.Dot1Q,
  sll: 'sll', // LINUX_SLL and LINUX_SLL2 are both "sll" in tshark
  null: LayerType.Loopback,
  arp: LayerType.ARP,
  ip: LayerType.IPv4,
  ipv6: LayerType.IPv6,
  tcp: LayerType.TCP,
  udp: LayerType.UDP,
  icmp: LayerType.ICMPv4,
  icmpv6: LayerType.ICMPv6,
  dns: LayerType.DNS,
  mdns: LayerType.DNS,
  llmnr: LayerType.DNS,
};
/** tshark protocol entries with no pcapkit layer of their own: EtherType and raw-IP pseudo
 * layers, and the IPv6 extension headers that pcapkit walks inside its IPv6 layer. */
const TRANSPARENT = new Set(['ethertype', 'raw', 'ipv6.hopopts', 'ipv6.routing', 'ipv6.fraghdr', 'ipv6.dstopts', 'ah']);

/** The layer each compared field belongs to. */
function layerOfField(field) {
  const proto = field.slice(0, field.indexOf('.'));
  return proto === 'dns' ? LayerType.DNS : LAYER_OF_PROTOCOL[proto];
}

/** tshark's chain as [{ name, layer }], layer undefined for protocols pcapkit has no decoder for. */
function tsharkChain(protocols) {
  return protocols
    .filter((p) => !TRANSPARENT.has(p))
    .map((name) => ({ name, layer: LAYER_OF_PROTOCOL[name] }));
}

const sameLayer = (tsharkLayer, ours) =>
  tsharkLayer === 'sll' ? ours === LayerType.LinuxSLL || ours === LayerType.LinuxSLL2 : tsharkLayer === ours;

const DNS_PORTS = new Set([53, 5353, 5355]);
const AF_VALUES = new Set([2, 10, 24, 28, 30]);

// ---------------------------------------------------------------------------------------------
// Expected disagreement classes. `applies(ctx)` returns a detail string when the reason holds
// for this pair, or undefined. ctx: { file, frame, field, ours, theirs, d (the Decoder holding
// the packet), pkt, chain (tsharkChain), layers (pcapkit's layers without Payload), split
// (index where pcapkit's layers and tshark's chain part), fieldAt (index of the field's layer
// in tshark's chain) }.

/** Header bytes a layer needs, read independently of the decoder (for the truncation check). */
function claimedHeader(d, type, layer) {
  const b = d.data;
  const at = layer.offset;
  switch (type) {
    case LayerType.ARP:
      return b.length - at >= 6 ? 8 + 2 * b[at + 4] + 2 * b[at + 5] : 8;
    case LayerType.TCP:
      return b.length - at >= 13 ? Math.max(20, (b[at + 12] >> 4) * 4) : 20;
    case LayerType.IPv4:
      return b.length - at >= 1 ? Math.max(20, (b[at] & 15) * 4) : 20;
    case LayerType.IPv6:
      return 40;
    case LayerType.UDP:
      return 8;
    case LayerType.ICMPv4:
    case LayerType.ICMPv6:
      return 4;
    default:
      return undefined;
  }
}

/** Where the bytes available to a layer end: the enclosing IP datagram, or the capture. */
function enclosingEnd(d, type) {
  if (type === LayerType.IPv4 || type === LayerType.IPv6 || type === LayerType.ARP) return d.data.length;
  if (d.has(LayerType.IPv4)) return d.ipv4.datagramEnd;
  if (d.has(LayerType.IPv6)) return d.ipv6.datagramEnd;
  return d.data.length;
}

const LAYER_OBJECT = {
  [LayerType.ARP]: (d) => d.arp,
  [LayerType.IPv4]: (d) => d.ipv4,
  [LayerType.IPv6]: (d) => d.ipv6,
  [LayerType.TCP]: (d) => d.tcp,
  [LayerType.UDP]: (d) => d.udp,
  [LayerType.ICMPv4]: (d) => d.icmpv4,
  [LayerType.ICMPv6]: (d) => d.icmpv6,
};

const EXPECTED = [
  {
    id: 'qinq-inner-tag',
    reason:
      'tshark dissects an 802.1ad S-tag (TPID 0x88a8) as ieee8021ad, so its first vlan.id is the ' +
      'inner C-tag; pcapkit vlans[0] is the outer tag, whatever its TPID',
    applies: ({ field, d, theirs }) =>
      field === 'vlan.id' && d.vlanCount >= 2 && d.vlans[0].tpid === 0x88a8 && theirs === String(d.vlans[1].vlanId)
        ? `outer S-tag ${d.vlans[0].vlanId}, inner C-tag ${d.vlans[1].vlanId}`
        : undefined,
  },
  {
    id: 'ipv4-total-length-0',
    reason:
      'IPv4 total length 0 (TSO / BIG TCP, or a zero length on the wire): pcapkit reports the ' +
      'header field, tshark substitutes the length of the rest of the frame',
    applies: ({ field, d, pkt, ours, theirs }) =>
      field === 'ip.len' && ours === '0' && d.ipv4.totalLength === 0 && theirs === String(pkt.length - d.ipv4.offset)
        ? `frame length ${pkt.length} - IPv4 offset ${d.ipv4.offset}`
        : undefined,
  },
  {
    id: 'null-header-not-af',
    reason:
      'NULL/LOOP header that is no AF_* value: tshark\'s NULL dissector falls back to reading it as ' +
      'an EtherType and decodes IP; pcapkit accepts only address families and stops at Payload',
    applies: ({ d, ours, chain, split }) =>
      ours === undefined &&
      d.has(LayerType.Loopback) &&
      !AF_VALUES.has(d.loopback.family) &&
      split === 1 &&
      (chain[1]?.layer === LayerType.IPv4 || chain[1]?.layer === LayerType.IPv6)
        ? `header ${d.data.subarray(0, 4).toString('hex')}, family ${d.loopback.family}`
        : undefined,
  },
  {
    id: 'linktype-ipv4-carrying-ipv6',
    reason:
      'LINKTYPE_IPV4 (228) frame that holds an IPv6 packet: tshark\'s IPv4 dissector hands ' +
      'version-6 packets to IPv6; pcapkit marks the IPv4 layer malformed and decodes nothing after it',
    applies: ({ d, pkt, ours, chain, field }) =>
      ours === undefined &&
      pkt.linktype === 228 &&
      d.ipv4.malformed &&
      d.data.length > 0 &&
      d.data[0] >> 4 === 6 &&
      chain[0]?.layer === LayerType.IPv4 &&
      chain[1]?.layer === LayerType.IPv6 &&
      layerOfField(field) !== LayerType.IPv4
        ? 'version nibble 6'
        : undefined,
  },
  {
    id: 'atmarp',
    reason:
      'ARP hardware type 19 (ATM, RFC 2225) is ATMARP, whose bytes 4-5 and 8-11 are type/length ' +
      'fields, not address sizes: tshark dissects it as ATMARP (atmarp.* fields, no arp.opcode); ' +
      'pcapkit has no ATMARP decoder and reads the plain ARP layout',
    applies: ({ field, d, theirs, chain }) =>
      field.startsWith('arp.') && theirs === undefined && d.has(LayerType.ARP) && d.arp.hardwareType === 19 &&
      chain.some((c) => c.name === 'atmarp')
        ? 'hardware type 19'
        : undefined,
  },
  {
    id: 'truncated-header',
    reason:
      'the packet is shorter than a header claims (snaplen or a bogus length field): pcapkit marks ' +
      'that layer truncated and gives no fields from it on; tshark shows the fields it could read',
    applies: ({ d, ours, layers, fieldAt, chain }) => {
      if (ours !== undefined || layers.length === 0) return undefined;
      const lastType = layers[layers.length - 1];
      const get = LAYER_OBJECT[lastType];
      if (!get) return undefined;
      const layer = get(d);
      if (!layer.truncated) return undefined;
      // The cut layer is the one the field belongs to, or one before it in tshark's chain.
      const cutAt = chain.findIndex((c) => c.layer === lastType);
      if (cutAt < 0 || fieldAt < cutAt) return undefined;
      const need = claimedHeader(d, lastType, layer);
      const have = enclosingEnd(d, lastType) - layer.offset;
      return need !== undefined && have < need ? `${chain[cutAt].name} header needs ${need} bytes, ${have} present` : undefined;
    },
  },
  {
    id: 'link-type-not-decoded',
    reason:
      'a link type pcapkit has no decoder for (PPP, 802.11, radiotap, PPI, NETLINK, USER13...): ' +
      'pcapkit yields one Payload layer; tshark decodes what is inside',
    applies: ({ d, pkt, ours, layers }) =>
      ours === undefined && layers.length === 0 && firstLayerFor(pkt.linktype, d.data) === LayerType.Payload && ![12, 14, 101].includes(pkt.linktype)
        ? `link type ${pkt.linktype}`
        : undefined,
  },
  {
    id: 'dns-on-other-port',
    reason:
      'DNS that tshark finds by heuristics on a port other than 53/5353/5355; pcapkit decodes DNS ' +
      'on those ports only',
    applies: ({ field, d, ours, chain, split }) => {
      if (ours !== undefined || !field.startsWith('dns.') || chain[split]?.layer !== LayerType.DNS) return undefined;
      const t = d.transport;
      return t && !DNS_PORTS.has(t.srcPort) && !DNS_PORTS.has(t.dstPort) ? `ports ${t.srcPort} -> ${t.dstPort}` : undefined;
    },
  },
  {
    id: 'inside-encapsulation',
    reason:
      'the field\'s first occurrence in tshark is inside an encapsulation pcapkit does not decode ' +
      '(VXLAN, Geneve, GRE, PPPoE, IP in IP, the packet quoted by an ICMP error): tshark\'s ' +
      'occurrence=f takes the inner header, pcapkit stops at the outer one with a Payload layer',
    applies: ({ d, ours, chain, layers, split, fieldAt }) => {
      if (ours !== undefined || split !== layers.length || split === 0 || fieldAt < split) return undefined;
      if (d.layerTypes[d.layerCount - 1] !== LayerType.Payload || d.truncated || d.malformed) return undefined;
      const at = chain[split];
      if (at === undefined) return undefined;
      const outer = chain[split - 1].name;
      // Either a protocol pcapkit has no decoder for, or a second network layer after an outer one.
      if (at.layer === undefined) return `inside ${outer}:${at.name}`;
      if ((at.layer === LayerType.IPv4 || at.layer === LayerType.IPv6) &&
          [LayerType.IPv4, LayerType.IPv6, LayerType.ICMPv4, LayerType.ICMPv6].includes(layers[split - 1])) {
        return `inside ${outer}:${at.name}`;
      }
      return undefined;
    },
  },
];

/** The first expected class that applies, as { id, detail }, or undefined. */
function explain(ctx) {
  for (const c of EXPECTED) {
    const detail = c.applies(ctx);
    if (detail !== undefined) return { id: c.id, detail };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------

/** Yields [item, await start(item)] in order, with up to `ahead` start() calls running at once. */
async function* prefetched(items, start, ahead = 2) {
  const pending = [];
  let next = 0;
  const fill = () => {
    while (next < items.length && pending.length < ahead) {
      const item = items[next++];
      const p = start(item);
      p.catch(() => {});
      pending.push({ item, p });
    }
  };
  fill();
  while (pending.length > 0) {
    const { item, p } = pending.shift();
    const result = await p;
    fill();
    yield [item, result];
  }
}

test('decoders agree with tshark on every corpus file', { skip, timeout: 180_000 }, async (t) => {
  const manifest = new Map(loadManifest().map((r) => [r.name, r]));
  // Files the manifest says tshark gives no rows for (unreadable, empty) are not run: saves ~2 s.
  const noRows = (f) => manifest.get(f)?.tshark_rows === '0';
  const files = readdirSync(pcapsDir).sort().filter((f) => !noRows(f));
  t.diagnostic(`not run (no tshark rows per manifest.tsv): ${readdirSync(pcapsDir).filter(noRows).join(', ')}`);
  const decoder = new Decoder(); // one decoder, reused for every packet of every file
  const totals = { pairs: 0, agreed: 0, explained: 0, unexplained: 0, files: 0, frames: 0 };
  const byClass = new Map(EXPECTED.map((c) => [c.id, 0]));
  const byField = new Map(COMPARED_FIELDS.map((f) => [f, { pairs: 0, agreed: 0, explained: 0, unexplained: 0 }]));
  const explainedLines = [];
  const unexplainedLines = [];

  for await (const [name, ts] of prefetched(files, (f) => tsharkRows(join(pcapsDir, f)))) {
    if (ts.rows.length === 0) continue; // tshark reads nothing: nothing to compare
    let reader;
    try {
      reader = new PCAPReader(join(pcapsDir, name));
    } catch (err) {
      // Only files libpcap itself refuses may be skipped here (tshark reads a few of those).
      assert.equal(manifest.get(name)?.libpcap?.kind, 'OPEN_ERROR', `${name}: PCAPReader failed to open it: ${err.message}`);
      t.diagnostic(`skipped ${name}: tshark reads ${ts.rows.length} frame(s), libpcap refuses the file (${err.code})`);
      continue;
    }
    totals.files++;
    let index = 0;
    let readError;
    try {
      for await (const pkt of reader) {
        const row = ts.rows[index++];
        assert.ok(row, `${name}: pcapkit read more packets than tshark's ${ts.rows.length}`);
        assert.equal(row.frame, index, `${name}: tshark frame numbers run 1..n`);
        decoder.decodePacket(pkt);
        const ours = decodedValues(decoder, pkt.length);
        const chain = tsharkChain(row.protocols);
        const layers = decoder.layers.filter((l) => l !== LayerType.Payload);
        let split = 0;
        while (split < layers.length && split < chain.length && sameLayer(chain[split].layer, layers[split])) split++;
        for (const field of COMPARED_FIELDS) {
          const a = ours[field];
          const b = row.values[field];
          if (a === undefined && b === undefined) continue;
          totals.pairs++;
          const perField = byField.get(field);
          perField.pairs++;
          if (a === b) {
            totals.agreed++;
            perField.agreed++;
            continue;
          }
          const fieldLayer = layerOfField(field);
          const fieldAt = chain.findIndex((c) => sameLayer(c.layer, fieldLayer));
          const why = explain({ file: name, frame: index, field, ours: a, theirs: b, d: decoder, pkt, chain, layers, split, fieldAt });
          const line = `${name} #${index} ${field}: pcapkit=${a ?? '(none)'} tshark=${b ?? '(none)'}`;
          if (why) {
            totals.explained++;
            perField.explained++;
            byClass.set(why.id, byClass.get(why.id) + 1);
            explainedLines.push(`${line} -- ${why.id}: ${why.detail}`);
          } else {
            totals.unexplained++;
            perField.unexplained++;
            unexplainedLines.push(`${line} [tshark ${row.protocols.join(':')}; pcapkit ${decoder.layers.join(',')}]`);
          }
        }
      }
    } catch (err) {
      // Files cut short: every whole packet is delivered, then the loop throws.
      if (!['ETRUNCATED', 'EFORMAT'].includes(err.code)) throw err;
      readError = err;
    }
    totals.frames += index;
    assert.equal(index, ts.rows.length, `${name}: pcapkit delivered ${index} packets, tshark ${ts.rows.length}${readError ? ` (${readError.code})` : ''}`);
    if (readError) assert.notEqual(ts.status, 0, `${name}: pcapkit reports ${readError.code}; tshark should fail too`);
  }

  for (const l of explainedLines) t.diagnostic(`explained: ${l}`);
  for (const l of unexplainedLines) t.diagnostic(`UNEXPLAINED: ${l}`);
  for (const c of EXPECTED) t.diagnostic(`class ${c.id}: ${byClass.get(c.id)} pair(s) -- ${c.reason}`);
  const ratio = (x) => (x.agreed + x.unexplained === 0 ? 1 : x.agreed / (x.agreed + x.unexplained));
  for (const [field, x] of byField) {
    t.diagnostic(`field ${field}: ${x.pairs} pairs, ${x.agreed} agreed, ${x.explained} explained, ${x.unexplained} unexplained (${(ratio(x) * 100).toFixed(3)}%)`);
  }
  const judged = totals.agreed + totals.unexplained;
  const agreement = judged === 0 ? 0 : totals.agreed / judged;
  t.diagnostic(
    `files ${totals.files}, frames ${totals.frames}, pairs compared ${totals.pairs}, agreed ${totals.agreed}, ` +
      `explained ${totals.explained}, unexplained ${totals.unexplained}, agreement ${(agreement * 100).toFixed(4)}% ` +
      `(agreed / (agreed + unexplained))`,
  );

  assert.ok(totals.files > 0 && totals.pairs > 0, 'something was compared');
  for (const [field, x] of byField) {
    assert.ok(x.agreed > 0, `field ${field} agreed at least once`);
    // Per field too, so that a bug in a rarely seen field cannot hide in the total.
    assert.ok(ratio(x) >= MIN_AGREEMENT, `field ${field}: agreement ${(ratio(x) * 100).toFixed(3)}% < ${MIN_AGREEMENT * 100}%`);
  }
  assert.equal(totals.agreed + totals.explained + totals.unexplained, totals.pairs);
  assert.ok(
    agreement >= MIN_AGREEMENT,
    `agreement ${(agreement * 100).toFixed(4)}% < ${MIN_AGREEMENT * 100}%; unexplained:\n${unexplainedLines.slice(0, 50).join('\n')}`,
  );
});
