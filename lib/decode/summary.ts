// One-line packet summaries in scapy's style, and the layer walk and name tables that show()
// and toJSON() share.
//
//   Ether / IP / TCP 10.0.0.1:443 > 10.0.0.2:5555 SA / Raw
//   Ether / IP / UDP / DNS Qry "example.com."
//   Ether / ARP who has 10.0.0.254 says 10.0.0.1 / Padding
//   Ether / Dot1Q / IP / ICMP 10.0.0.1 > 10.0.0.2 echo-request 0 / Raw
//   CookedLinux / IPv6 / ICMPv6 Echo Request (id: 0x1 seq: 0x1)
//
// As scapy's Packet.summary(): each layer is shown by its class name, except that the
// innermost layer with something to say (its "mysummary") says it instead; layers under it
// keep their bare names. Differences from scapy, on purpose:
// - ports and protocol numbers are printed as numbers (scapy looks names up in /etc/services);
// - TCP/UDP summaries always use the IP addresses, also after IPv6 extension headers;
// - DNS names are quoted text ("example.com."), not Python bytes (b'example.com.');
// - a header cut short by the capture, or malformed, is shown as `TCP [truncated]` or
//   `IP [malformed]` and decoding stops there;
// - ICMP error messages show the quoted datagram as Raw (scapy decodes IPerror/TCPerror), and
//   ICMPv6 message bodies are Raw too, except the echo data and the neighbor discovery target,
//   which belong to the ICMPv6 layer as in scapy (ND options, MLD records are not decoded);
// - protocols the Decoder does not decode (GRE, PPPoE, LLC, SCTP, ...) are Raw;
// - IPv4 options and TCP options are shown, not decoded into scapy's option objects.
//
// Padding: bytes after the end of the ARP/IP datagram (Ethernet minimum-size padding, trailers)
// are shown as a `Padding` layer, as scapy does.
import type { BaseLayer } from './base';
import type { Decoder } from './decoder';
import { ipv6String } from './base';
import { LAYER_KEYS, LayerType, type LayerKey } from '../vocab/layers';
import { ETHERTYPE, ETHERTYPE_MIN, ETHERTYPE_NAMES } from '../vocab/ethertypes';
import { IPV6_EXT_NAMES, IP_PROTOCOL_NAMES } from '../vocab/ip-protocols';
import { Port } from '../vocab/ports';

/** The layers as presented: the Decoder's layers, IPv6 extension headers, trailing padding. */
export type ViewKind = LayerKey | 'ipv6ext' | 'padding';

export interface LayerView {
  readonly kind: ViewKind;
  /** The Decoder's layer object (absent for IPv6 extension headers and padding). */
  readonly layer?: BaseLayer;
  /** Where the view's bytes start and how many there are (header for layers, all for Raw/Padding). */
  readonly offset: number;
  readonly length: number;
  /** IPv6 extension header type (0 hop-by-hop, 43 routing, 44 fragment, 60 destination, 51 AH). */
  readonly extType?: number;
  /** The layer was cut short (`truncated`) or made no sense (`malformed`): no fields to show. */
  readonly incomplete: boolean;
}

const KIND_OF: Partial<Record<LayerType, ViewKind>> = LAYER_KEYS;

/** The Decoder's layer object for the i-th decoded layer (vlans counted in order). */
export function layerObject(d: Decoder, type: LayerType, vlanIndex: number): BaseLayer {
  switch (type) {
    case LayerType.Ethernet:
      return d.ethernet;
    case LayerType.Dot1Q:
      return d.vlans[vlanIndex];
    case LayerType.LinuxSLL:
      return d.sll;
    case LayerType.LinuxSLL2:
      return d.sll2;
    case LayerType.Loopback:
      return d.loopback;
    case LayerType.ARP:
      return d.arp;
    case LayerType.IPv4:
      return d.ipv4;
    case LayerType.IPv6:
      return d.ipv6;
    case LayerType.TCP:
      return d.tcp;
    case LayerType.UDP:
      return d.udp;
    case LayerType.ICMPv4:
      return d.icmpv4;
    case LayerType.ICMPv6:
      return d.icmpv6;
    case LayerType.DNS:
      return d.dns;
    default:
      return d.payload;
  }
}

/** Every decoded layer object of the current packet, in order (allocates the array). */
export function layerObjects(d: Decoder): BaseLayer[] {
  const out: BaseLayer[] = [];
  let vlan = 0;
  for (let i = 0; i < d.layerCount; i++) {
    const t = d.layerTypes[i] as LayerType;
    out.push(layerObject(d, t, t === LayerType.Dot1Q ? vlan++ : 0));
  }
  return out;
}

/** Bytes after the end of the network-layer datagram (ARP, IPv4, IPv6): Ethernet padding or a trailer. */
export function trailerLength(d: Decoder): number {
  let end = -1;
  if (d.has(LayerType.IPv4) && !d.ipv4.truncated && !d.ipv4.malformed) end = d.ipv4.datagramEnd;
  else if (d.has(LayerType.IPv6) && !d.ipv6.truncated && !d.ipv6.malformed) end = d.ipv6.datagramEnd;
  else if (d.has(LayerType.ARP) && !d.arp.truncated && !d.arp.malformed) end = d.arp.offset + d.arp.headerLength;
  return end < 0 ? 0 : Math.max(0, d.data.length - end);
}

const ICMPV6_NS = 135;
const ICMPV6_NA = 136;

/** The layers of the decoder's current packet as presented by summary() and show(). */
export function layerViews(d: Decoder): LayerView[] {
  const views: LayerView[] = [];
  const objects = layerObjects(d);
  let skipPayloadBefore = -1; // bytes an ICMPv6 layer folded into itself (echo data, ND target)
  for (let i = 0; i < objects.length; i++) {
    const layer = objects[i];
    const kind = KIND_OF[layer.type] ?? 'payload';
    const incomplete = layer.truncated || layer.malformed;
    if (kind === 'payload') {
      const start = Math.max(layer.offset, skipPayloadBefore);
      const stop = layer.offset + layer.payloadLength;
      if (stop > start) views.push({ kind, layer, offset: start, length: stop - start, incomplete: false });
      continue;
    }
    if (kind === 'ipv6') {
      const ip = d.ipv6;
      views.push({ kind, layer, offset: ip.offset, length: 40, incomplete: ip.malformed || (ip.truncated && ip.headerLength < 40) });
      let p = ip.offset + 40;
      for (const nh of ip.extensions) {
        const len = nh === 44 ? 8 : nh === 51 ? (ip.data[p + 1] + 2) * 4 : (ip.data[p + 1] + 1) * 8;
        views.push({ kind: 'ipv6ext', offset: p, length: len, extType: nh, incomplete: false });
        p += len;
      }
      if (ip.truncated && ip.headerLength >= 40) {
        // cut inside an extension header
        views.push({ kind: 'ipv6ext', offset: p, length: ip.data.length - p, extType: ip.protocol, incomplete: true });
      }
      continue;
    }
    views.push({ kind, layer, offset: layer.offset, length: layer.headerLength, incomplete });
    if (kind === 'icmpv6' && !incomplete) {
      const t = d.icmpv6.icmpType;
      if (t === 128 || t === 129) skipPayloadBefore = Number.MAX_SAFE_INTEGER;
      else if ((t === ICMPV6_NS || t === ICMPV6_NA) && d.icmpv6.offset + 24 <= d.icmpv6.data.length) {
        skipPayloadBefore = d.icmpv6.offset + 24;
      }
    }
  }
  const pad = trailerLength(d);
  if (pad > 0) views.push({ kind: 'padding', offset: d.data.length - pad, length: pad, incomplete: false });
  return views;
}

// ---- names ---------------------------------------------------------------------------------

function table(entries: Array<[number, string]>): ReadonlyMap<number, string> {
  return new Map(entries);
}

export const ICMP_TYPE_NAMES = table([
  [0, 'echo-reply'],
  [3, 'dest-unreach'],
  [4, 'source-quench'],
  [5, 'redirect'],
  [8, 'echo-request'],
  [9, 'router-advertisement'],
  [10, 'router-solicitation'],
  [11, 'time-exceeded'],
  [12, 'parameter-problem'],
  [13, 'timestamp-request'],
  [14, 'timestamp-reply'],
  [15, 'information-request'],
  [16, 'information-response'],
  [17, 'address-mask-request'],
  [18, 'address-mask-reply'],
  [30, 'traceroute'],
  [31, 'datagram-conversion-error'],
  [32, 'mobile-host-redirect'],
  [33, 'ipv6-where-are-you'],
  [34, 'ipv6-i-am-here'],
  [35, 'mobile-registration-request'],
  [36, 'mobile-registration-reply'],
  [37, 'domain-name-request'],
  [38, 'domain-name-reply'],
  [39, 'skip'],
  [40, 'photuris'],
]);

export const ICMP_CODE_NAMES: ReadonlyMap<number, ReadonlyMap<number, string>> = new Map([
  [
    3,
    table([
      [0, 'network-unreachable'],
      [1, 'host-unreachable'],
      [2, 'protocol-unreachable'],
      [3, 'port-unreachable'],
      [4, 'fragmentation-needed'],
      [5, 'source-route-failed'],
      [6, 'network-unknown'],
      [7, 'host-unknown'],
      [9, 'network-prohibited'],
      [10, 'host-prohibited'],
      [11, 'TOS-network-unreachable'],
      [12, 'TOS-host-unreachable'],
      [13, 'communication-prohibited'],
      [14, 'host-precedence-violation'],
      [15, 'precedence-cutoff'],
    ]),
  ],
  [
    5,
    table([
      [0, 'network-redirect'],
      [1, 'host-redirect'],
      [2, 'TOS-network-redirect'],
      [3, 'TOS-host-redirect'],
    ]),
  ],
  [
    11,
    table([
      [0, 'ttl-zero-during-transit'],
      [1, 'ttl-zero-during-reassembly'],
    ]),
  ],
  [
    12,
    table([
      [0, 'ip-header-bad'],
      [1, 'required-option-missing'],
    ]),
  ],
]);

/** scapy's class name and layer name per ICMPv6 type. */
export const ICMPV6_CLASSES: ReadonlyMap<number, readonly [string, string]> = new Map([
  [1, ['ICMPv6DestUnreach', 'ICMPv6 Destination Unreachable']],
  [2, ['ICMPv6PacketTooBig', 'ICMPv6 Packet Too Big']],
  [3, ['ICMPv6TimeExceeded', 'ICMPv6 Time Exceeded']],
  [4, ['ICMPv6ParamProblem', 'ICMPv6 Parameter Problem']],
  [128, ['ICMPv6EchoRequest', 'ICMPv6 Echo Request']],
  [129, ['ICMPv6EchoReply', 'ICMPv6 Echo Reply']],
  [130, ['ICMPv6MLQuery', 'MLD - Multicast Listener Query']],
  [131, ['ICMPv6MLReport', 'MLD - Multicast Listener Report']],
  [132, ['ICMPv6MLDone', 'MLD - Multicast Listener Done']],
  [133, ['ICMPv6ND_RS', 'ICMPv6 Neighbor Discovery - Router Solicitation']],
  [134, ['ICMPv6ND_RA', 'ICMPv6 Neighbor Discovery - Router Advertisement']],
  [135, ['ICMPv6ND_NS', 'ICMPv6 Neighbor Discovery - Neighbor Solicitation']],
  [136, ['ICMPv6ND_NA', 'ICMPv6 Neighbor Discovery - Neighbor Advertisement']],
  [137, ['ICMPv6ND_Redirect', 'ICMPv6 Neighbor Discovery - Redirect']],
  [143, ['ICMPv6MLReport2', 'MLDv2 - Multicast Listener Report']],
]);
const ICMPV6_UNKNOWN = ['ICMPv6Unknown', 'Scapy6 ICMPv6 fallback class'] as const;

/** ICMPv6 type names as scapy's `type` field shows them. */
export const ICMPV6_TYPE_NAMES = table([
  [1, 'Destination unreachable'],
  [2, 'Packet too big'],
  [3, 'Time exceeded'],
  [4, 'Parameter problem'],
  [128, 'Echo Request'],
  [129, 'Echo Reply'],
  [130, 'MLD Query'],
  [131, 'MLD Report'],
  [132, 'MLD Done'],
  [133, 'Router Solicitation'],
  [134, 'Router Advertisement'],
  [135, 'Neighbor Solicitation'],
  [136, 'Neighbor Advertisement'],
  [137, 'Redirect Message'],
  [138, 'Router Renumbering'],
  [143, 'Version 2 Multicast Listener Report'],
]);

export const ARP_OP_NAMES = table([
  [1, 'who-has'],
  [2, 'is-at'],
  [3, 'RARP-req'],
  [4, 'RARP-rep'],
  [5, 'Dyn-RARP-req'],
  [6, 'Dyn-RAR-rep'],
  [7, 'Dyn-RARP-err'],
  [8, 'InARP-req'],
  [9, 'InARP-rep'],
]);

export const DNS_TYPE_NAMES = table([
  [1, 'A'],
  [2, 'NS'],
  [5, 'CNAME'],
  [6, 'SOA'],
  [12, 'PTR'],
  [13, 'HINFO'],
  [15, 'MX'],
  [16, 'TXT'],
  [28, 'AAAA'],
  [33, 'SRV'],
  [35, 'NAPTR'],
  [39, 'DNAME'],
  [41, 'OPT'],
  [43, 'DS'],
  [46, 'RRSIG'],
  [47, 'NSEC'],
  [48, 'DNSKEY'],
  [64, 'SVCB'],
  [65, 'HTTPS'],
  [252, 'AXFR'],
  [255, 'ALL'],
]);
export const DNS_CLASS_NAMES = table([
  [1, 'IN'],
  [2, 'CS'],
  [3, 'CH'],
  [4, 'HS'],
  [255, 'ANY'],
]);
export const DNS_OPCODE_NAMES = table([
  [0, 'QUERY'],
  [1, 'IQUERY'],
  [2, 'STATUS'],
  [4, 'NOTIFY'],
  [5, 'UPDATE'],
]);
export const DNS_RCODE_NAMES = table([
  [0, 'ok'],
  [1, 'format-error'],
  [2, 'server-failure'],
  [3, 'name-error'],
  [4, 'not-implemented'],
  [5, 'refused'],
]);

/** Linux packet types of cooked headers. */
export const SLL_PACKET_TYPES = table([
  [0, 'unicast'],
  [1, 'broadcast'],
  [2, 'multicast'],
  [3, 'unicast-to-another-host'],
  [4, 'sent-by-us'],
]);

/** scapy's lhex: 0x1a2b (no padding). */
export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** A table's name for v, else `fallback(v)` (the number by default). */
export function named(map: ReadonlyMap<number, string>, v: number, fallback: (v: number) => string = String): string {
  return map.get(v) ?? fallback(v);
}

export function etherTypeName(t: number): string {
  return named(ETHERTYPE_NAMES, t, hex);
}

const MLD_QUERY2 = ['ICMPv6MLQuery2', 'MLDv2 - Multicast Listener Query'] as const;

// scapy picks the ICMPv6 class by type (and an MLD query of 28 bytes or more is MLDv2).
function icmpv6Class(d: Decoder, v: LayerView): readonly [string, string] {
  if (v.incomplete) return ['ICMPv6', 'ICMPv6'];
  const c = d.icmpv6;
  if (c.icmpType === 130 && c.headerLength + c.payloadLength >= 28) return MLD_QUERY2;
  return ICMPV6_CLASSES.get(c.icmpType) ?? ICMPV6_UNKNOWN;
}

/** scapy's class name of a view (what summary() prints for a layer with nothing more to say). */
export function className(d: Decoder, v: LayerView): string {
  switch (v.kind) {
    case 'ethernet':
      return d.ethernet.etherType < ETHERTYPE_MIN && !v.incomplete ? 'Dot3' : 'Ether';
    case 'dot1q':
      return (v.layer as Decoder['vlans'][number]).tpid === ETHERTYPE.QinQ ? 'Dot1AD' : 'Dot1Q';
    case 'linux_sll':
      return 'CookedLinux';
    case 'linux_sll2':
      return 'CookedLinuxV2';
    case 'loopback':
      return 'Loopback';
    case 'arp':
      return 'ARP';
    case 'ipv4':
      return 'IP';
    case 'ipv6':
      return 'IPv6';
    case 'ipv6ext':
      return IPV6_EXT_NAMES.get(v.extType ?? -1)?.[0] ?? 'IPv6ExtHdr';
    case 'tcp':
      return 'TCP';
    case 'udp':
      return 'UDP';
    case 'icmpv4':
      return 'ICMP';
    case 'icmpv6':
      return icmpv6Class(d, v)[0];
    case 'dns':
      return 'DNS';
    case 'payload':
      return 'Raw';
    case 'padding':
      return 'Padding';
  }
}

/** scapy's layer name (the `###[ name ]###` of show()). */
export function layerName(d: Decoder, v: LayerView): string {
  switch (v.kind) {
    case 'ethernet':
      return className(d, v) === 'Dot3' ? '802.3' : 'Ethernet';
    case 'dot1q':
      return className(d, v) === 'Dot1AD' ? '802_1AD' : '802.1Q';
    case 'linux_sll':
      return 'cooked linux';
    case 'linux_sll2':
      return 'cooked linux v2';
    case 'ipv6ext':
      return IPV6_EXT_NAMES.get(v.extType ?? -1)?.[1] ?? `IPv6 Extension Header ${v.extType}`;
    case 'icmpv6':
      return icmpv6Class(d, v)[1];
    default:
      return className(d, v);
  }
}

/** A DNS name as scapy prints qname: with the final dot ('.' for the root). */
export function dnsDotted(name: string): string {
  return name === '<Root>' ? '.' : `${name}.`;
}

/** The IP layer under a transport layer, when it decoded whole. */
function ipOf(d: Decoder): { src: string; dst: string } | undefined {
  if (d.has(LayerType.IPv4) && !d.ipv4.truncated && !d.ipv4.malformed) return d.ipv4;
  if (d.has(LayerType.IPv6) && !d.ipv6.malformed && d.ipv6.headerLength >= 40) return d.ipv6;
  return undefined;
}

/** scapy's mysummary() of one layer ('' when it has none). */
function mysummary(d: Decoder, views: readonly LayerView[], i: number): string {
  const v = views[i];
  if (v.incomplete) return '';
  switch (v.kind) {
    case 'ethernet': {
      const e = d.ethernet;
      return e.etherType < ETHERTYPE_MIN ? `802.3 ${e.src} > ${e.dst}` : `${e.src} > ${e.dst} (${etherTypeName(e.etherType)})`;
    }
    case 'dot1q': {
      const tag = v.layer as Decoder['vlans'][number];
      const under = views[i - 1];
      const type = etherTypeName(tag.etherType);
      return under?.kind === 'ethernet' && className(d, under) === 'Ether'
        ? `802.1q ${d.ethernet.src} > ${d.ethernet.dst} (${type}) vlan ${tag.vlanId}`
        : `802.1q (${type}) vlan ${tag.vlanId}`;
    }
    case 'arp': {
      const a = d.arp;
      if (a.opcode === 1) return `ARP who has ${a.targetProto} says ${a.senderProto}`;
      if (a.opcode === 2) return `ARP is at ${a.senderHw} says ${a.senderProto}`;
      return `ARP ${named(ARP_OP_NAMES, a.opcode)} ${a.senderProto} > ${a.targetProto}`;
    }
    case 'ipv4': {
      const ip = d.ipv4;
      const s = `${ip.src} > ${ip.dst} ${named(IP_PROTOCOL_NAMES, ip.protocol)}`;
      return ip.fragmentOffset !== 0 ? `${s} frag:${ip.fragmentOffset}` : s;
    }
    case 'ipv6':
      return `${d.ipv6.src} > ${d.ipv6.dst} (${d.ipv6.nextHeader})`;
    case 'tcp': {
      const t = d.tcp;
      const ip = ipOf(d);
      const s = ip ? `TCP ${ip.src}:${t.srcPort} > ${ip.dst}:${t.dstPort}` : `TCP ${t.srcPort} > ${t.dstPort}`;
      const flags = t.flagString;
      return flags ? `${s} ${flags}` : s;
    }
    case 'udp': {
      const u = d.udp;
      const ip = ipOf(d);
      return ip ? `UDP ${ip.src}:${u.srcPort} > ${ip.dst}:${u.dstPort}` : `UDP ${u.srcPort} > ${u.dstPort}`;
    }
    case 'icmpv4': {
      const c = d.icmpv4;
      const what = `${named(ICMP_TYPE_NAMES, c.icmpType)} ${icmpCodeName(c.icmpType, c.code)}`;
      const ip = d.has(LayerType.IPv4) ? d.ipv4 : undefined;
      return ip ? `ICMP ${ip.src} > ${ip.dst} ${what}` : `ICMP ${what}`;
    }
    case 'icmpv6': {
      const c = d.icmpv6;
      const name = layerName(d, v);
      if (c.icmpType === 128 || c.icmpType === 129) {
        return c.headerLength >= 8 ? `${name} (id: ${hex(c.id)} seq: ${hex(c.seq)})` : '';
      }
      if ((c.icmpType === ICMPV6_NS || c.icmpType === ICMPV6_NA) && c.offset + 24 <= c.data.length) {
        return `${name} (tgt: ${ipv6String(c.data, c.offset + 8)})`;
      }
      return '';
    }
    case 'dns': {
      const dns = d.dns;
      const m = !dns.overTcp && d.has(LayerType.UDP) && d.udp.dstPort === Port.MDNS ? 'm' : '';
      if (dns.response) {
        const an = dns.anCount > 0 ? dns.answers : [];
        let name = '';
        if (an.length > 0) name = ` "${[2, 5, 12].includes(an[0].type) ? dnsDotted(an[0].data) : an[0].data}"`;
        else if (dns.rcode !== 0) name = ` ${named(DNS_RCODE_NAMES, dns.rcode)}`;
        return `${m}DNS Ans${name}`;
      }
      const q = dns.questionName;
      return `${m}DNS Qry${q === undefined ? '' : ` "${dnsDotted(q)}"`}`;
    }
    default:
      return '';
  }
}

export function icmpCodeName(type: number, code: number): string {
  return ICMP_CODE_NAMES.get(type)?.get(code) ?? String(code);
}

/**
 * The decoder's current packet in one line, scapy style. Allocates only when called.
 * Returns '' when nothing was decoded.
 */
export function summary(d: Decoder): string {
  const views = layerViews(d);
  let out = '';
  let found = false;
  for (let i = views.length - 1; i >= 0; i--) {
    const v = views[i];
    let text = found ? '' : mysummary(d, views, i);
    if (text) found = true;
    else text = v.incomplete ? `${className(d, v)} [${v.layer?.malformed ? 'malformed' : 'truncated'}]` : className(d, v);
    out = out ? `${text} / ${out}` : text;
  }
  return out;
}
