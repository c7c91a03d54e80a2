// IP protocol numbers (IPv4 protocol, IPv6 next header): the one table of them and their names,
// and the layer each leads to. No side effects: decoders, builders and analysis load it without
// the native addon.
import { LayerType } from './layers';

/** IP protocol numbers the decoders, builders and analysis use by name. */
export const IPPROTO = {
  HOPOPTS: 0,
  ICMP: 1,
  TCP: 6,
  UDP: 17,
  ROUTING: 43,
  FRAGMENT: 44,
  ICMPV6: 58,
  NONE: 59,
  DSTOPTS: 60,
  AH: 51,
} as const;

/** The IPv4-in-IP and IPv6-in-IP numbers, which builders announce IPv4 and IPv6 layers with. */
export const IPPROTO_IPIP = 4;
export const IPPROTO_IPV6 = 41;

interface IpProtocolNames {
  /** /etc/protocols (show() and summary() of IPv4). */
  etc?: string;
  /** tcpdump's (the CLI's one-line summaries). */
  tcpdump?: string;
  /** scapy's IPv6 `nh` field. */
  scapyNh?: string;
  /** scapy's class name and layer name of an IPv6 extension header. */
  scapyExt?: readonly [className: string, layerName: string];
  /** The application analyze() reports other IP traffic as (DEFAULT_APPLICATIONS, in number order). */
  application?: string;
  applicationDescription?: string;
  /** The transport name of analyze()'s conversations. */
  transport?: string;
}

/** Every IP protocol pcapkit names, by number. */
const IP_PROTOCOLS: Readonly<Record<number, IpProtocolNames>> = {
  0: { etc: 'hopopt', scapyNh: 'Hop-by-Hop Option Header', scapyExt: ['IPv6ExtHdrHopByHop', 'IPv6 Extension Header - Hop-by-Hop Options Header'] },
  1: { etc: 'icmp', tcpdump: 'ICMP', application: 'ICMP', transport: 'icmp' },
  2: { etc: 'igmp', tcpdump: 'IGMP', application: 'IGMP' },
  4: { etc: 'ipencap', tcpdump: 'IPIP', scapyNh: 'IP', application: 'IPIP', applicationDescription: 'IPv4 in IP' },
  6: { etc: 'tcp', tcpdump: 'TCP', scapyNh: 'TCP', transport: 'tcp' },
  8: { etc: 'egp' },
  17: { etc: 'udp', tcpdump: 'UDP', scapyNh: 'UDP', transport: 'udp' },
  41: { etc: 'ipv6', tcpdump: 'IPv6', scapyNh: 'IPv6', application: 'IPV6-IN-IP' },
  43: { etc: 'ipv6-route', scapyNh: 'Routing Header', scapyExt: ['IPv6ExtHdrRouting', 'IPv6 Option Header Routing'] },
  44: { etc: 'ipv6-frag', scapyNh: 'Fragment Header', scapyExt: ['IPv6ExtHdrFragment', 'IPv6 Extension Header - Fragmentation header'] },
  46: { etc: 'rsvp' },
  47: { etc: 'gre', tcpdump: 'GRE', scapyNh: 'GRE', application: 'GRE' },
  50: { etc: 'esp', tcpdump: 'ESP', scapyNh: 'ESP Header', application: 'ESP' },
  51: { etc: 'ah', tcpdump: 'AH', scapyNh: 'AH Header', scapyExt: ['AH', 'AH'], application: 'AH' },
  58: { etc: 'ipv6-icmp', tcpdump: 'ICMP6', scapyNh: 'ICMPv6', application: 'ICMPV6', transport: 'icmpv6' },
  59: { etc: 'ipv6-nonxt', tcpdump: 'NONE', scapyNh: 'No Next Header' },
  60: { etc: 'ipv6-opts', scapyNh: 'Destination Option Header', scapyExt: ['IPv6ExtHdrDestOpt', 'IPv6 Extension Header - Destination Options Header'] },
  89: { etc: 'ospf', tcpdump: 'OSPF', application: 'OSPF' },
  103: { etc: 'pim', tcpdump: 'PIM', application: 'PIM' },
  112: { etc: 'vrrp', tcpdump: 'VRRP', scapyNh: 'VRRP', application: 'VRRP' },
  115: { etc: 'l2tp' },
  132: { etc: 'sctp', tcpdump: 'SCTP', scapyNh: 'SCTP', application: 'SCTP' },
  135: { scapyNh: 'Mobility Header' },
  136: { etc: 'udplite' },
};

// Integer keys enumerate in ascending order.
const rows = Object.entries(IP_PROTOCOLS).map(([n, r]) => [Number(n), r] as const);
function column<K extends keyof IpProtocolNames>(k: K): ReadonlyMap<number, NonNullable<IpProtocolNames[K]>> {
  return new Map(rows.filter(([, r]) => r[k] !== undefined).map(([n, r]) => [n, r[k] as NonNullable<IpProtocolNames[K]>]));
}

/** IP protocol numbers as /etc/protocols names them. */
export const IP_PROTOCOL_NAMES = column('etc');
/** tcpdump's names. */
export const IP_PROTOCOL_TCPDUMP_NAMES = column('tcpdump');
/** IPv6 next-header names as scapy's `nh` field shows them. */
export const IPV6_NH_NAMES = column('scapyNh');
/** scapy's class name and layer name of each IPv6 extension header. */
export const IPV6_EXT_NAMES = column('scapyExt');
/** analyze()'s transport names of conversations. */
export const IP_TRANSPORT_NAMES = column('transport');

/** Applications of IP protocols other than TCP and UDP, in number order. */
export const IP_PROTOCOL_APPLICATIONS: ReadonlyArray<{ readonly name: string; readonly ipProtocol: number; readonly description?: string }> = rows
  .filter(([, r]) => r.application !== undefined)
  .map(([n, r]) => ({ name: r.application as string, ipProtocol: n, ...(r.applicationDescription ? { description: r.applicationDescription } : {}) }));

/** True for the IPv6 extension headers the IPv6 layer walks (hop-by-hop, routing, fragment, destination options, AH). */
export function isIpv6Extension(p: number): boolean {
  return p === IPPROTO.HOPOPTS || p === IPPROTO.ROUTING || p === IPPROTO.FRAGMENT || p === IPPROTO.DSTOPTS || p === IPPROTO.AH;
}

/** The layer after an IP header whose protocol (next header) is `p`. */
export function nextForIpProtocol(p: number): LayerType {
  switch (p) {
    case IPPROTO.TCP:
      return LayerType.TCP;
    case IPPROTO.UDP:
      return LayerType.UDP;
    case IPPROTO.ICMP:
      return LayerType.ICMPv4;
    case IPPROTO.ICMPV6:
      return LayerType.ICMPv6;
    case IPPROTO.NONE:
      return LayerType.None;
    default:
      return LayerType.Payload;
  }
}
