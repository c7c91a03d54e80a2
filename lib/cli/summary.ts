// One-line packet summaries for `pcapkit sniff`, in the style of tcpdump's default output:
//
//   IP 127.0.0.1.5000 > 127.0.0.1.6000: UDP, length 5
//   IP 10.0.0.1.80 > 10.0.0.2.1234: Flags [S.], seq 3113151227, ack 453582463, win 4128, length 0
//   IP6 ::1 > ::1: ICMP6, echo request, id 7, seq 1, length 64
//   ARP, Request who-has 10.0.0.1 tell 10.0.0.2, length 28
//
// Deliberately small: link headers (Ethernet with 802.1Q/802.1ad tags, Linux cooked v1/v2,
// BSD NULL/LOOP, RAW/IPv4/IPv6), IPv4/IPv6 (extension headers skipped), TCP, UDP, ICMP,
// ICMPv6 and ARP. Anything else is summarised as `<linktype name> length N` or
// `ethertype 0x..., length N`. No application protocols (DNS, NFS, ...), no TCP options, and
// sequence numbers are absolute (like `tcpdump -S`). Full decoders are a separate piece of work.
//
// It reads only through bounds-checked helpers, so short or garbage packets give a summary
// ending in tcpdump's `[|proto]` truncation mark instead of an exception.
import { linktypeName } from '../linktype';

/** What `sniff --json` prints about a packet besides its header; `summary` is the text. */
export interface PacketSummary {
  /** The one-line text (without the timestamp). */
  summary: string;
  /** 802.1Q / 802.1ad VLAN IDs, outermost first (Ethernet only). */
  vlan?: number[];
  network?: 'IPv4' | 'IPv6' | 'ARP';
  /** IP source and destination; for ARP the sender and target protocol addresses. */
  src?: string;
  dst?: string;
  /** 'TCP', 'UDP', 'ICMP', 'ICMP6', another name (GRE, ...) or `ip-proto-N`. */
  protocol?: string;
  srcPort?: number;
  dstPort?: number;
  /** TCP flags in tcpdump's letters, e.g. `S.` (SYN+ACK) or `none`. */
  tcpFlags?: string;
  seq?: number;
  ack?: number;
  win?: number;
  icmpType?: number;
  icmpCode?: number;
  /** Echo request/reply identifier and sequence number. */
  icmpId?: number;
  icmpSeq?: number;
  /** ARP operation: request, reply, reverse-request, reverse-reply or `op N`. */
  arpOp?: string;
  /** The `length N` of the line: transport payload (TCP, UDP), ICMP message, or ARP bytes. */
  payloadLength?: number;
  /** A non-first IP fragment: no transport header to show. */
  fragment?: boolean;
  /** The captured bytes end inside a header the summary needed. */
  truncated?: boolean;
}

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const ETH_ARP = 0x0806;
const ETH_RARP = 0x8035;
const VLAN_TYPES = new Set([0x8100, 0x88a8, 0x9100]);
/** The most VLAN tags or IPv6 extension headers walked before giving up. */
const MAX_CHAIN = 8;

/** Bounds-checked big-endian reads over the captured bytes; callers check `has` first. */
class Bytes {
  constructor(readonly b: Uint8Array) {}
  has(off: number, n: number): boolean {
    return off >= 0 && n >= 0 && off + n <= this.b.length;
  }
  u8(off: number): number {
    return this.b[off] ?? 0;
  }
  u16(off: number): number {
    return ((this.b[off] ?? 0) << 8) | (this.b[off + 1] ?? 0);
  }
  u32(off: number): number {
    return this.u16(off) * 0x10000 + this.u16(off + 2);
  }
  u16le(off: number): number {
    return (this.b[off] ?? 0) | ((this.b[off + 1] ?? 0) << 8);
  }
  u32le(off: number): number {
    return this.u16le(off) + this.u16le(off + 2) * 0x10000;
  }
  ipv4(off: number): string {
    return `${this.u8(off)}.${this.u8(off + 1)}.${this.u8(off + 2)}.${this.u8(off + 3)}`;
  }
  mac(off: number, n = 6): string {
    const parts: string[] = [];
    for (let i = 0; i < n; i++) parts.push(this.u8(off + i).toString(16).padStart(2, '0'));
    return parts.join(':');
  }
  /** RFC 5952 text, as inet_ntop writes it (longest run of 2+ zero groups becomes ::). */
  ipv6(off: number): string {
    const w: number[] = [];
    for (let i = 0; i < 8; i++) w.push(this.u16(off + 2 * i));
    let best = -1;
    let bestLen = 0;
    for (let i = 0; i < 8; ) {
      if (w[i] !== 0) {
        i++;
        continue;
      }
      let j = i;
      while (j < 8 && w[j] === 0) j++;
      if (j - i > bestLen) {
        best = i;
        bestLen = j - i;
      }
      i = j;
    }
    if (bestLen < 2) best = -1;
    // ::a.b.c.d and ::ffff:a.b.c.d keep the IPv4 part in dotted form, as glibc does
    if (best === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
      return `::${bestLen === 5 ? 'ffff:' : ''}${this.ipv4(off + 12)}`;
    }
    const hex = (a: number, z: number) => w.slice(a, z).map((x) => x.toString(16)).join(':');
    return best < 0 ? hex(0, 8) : `${hex(0, best)}::${hex(best + bestLen, 8)}`;
  }
}

/** Where the network layer starts, and what it is (an ethertype), after the link header. */
interface Link {
  off: number;
  type: number;
  vlan?: number[];
}

/** tcpdump's `[|proto]` word for a link header cut short. */
const TRUNCATION_MARKS: Record<number, string> = { 1: 'ether', 113: 'sll', 276: 'sll2', 0: 'null', 108: 'loop' };

const names = new Map<number, string>();
function nameOf(linktype: number): string {
  let n = names.get(linktype);
  if (n === undefined) {
    try {
      n = linktypeName(linktype);
    } catch {
      n = `DLT_${linktype}`;
    }
    names.set(linktype, n);
  }
  return n;
}

/**
 * Summarises one packet: `data` are the captured bytes, `linktype` the DLT value and `length`
 * the wire length (default: the captured length). Never throws.
 */
export function summarize(data: Uint8Array, linktype: number, length: number = data.length): PacketSummary {
  try {
    return summarizeLink(new Bytes(data), linktype, length);
  } catch (err) {
    // Not expected (every read is bounds-checked); keep a live capture printing regardless.
    return { summary: `${nameOf(linktype)} length ${length} [summary failed: ${(err as Error)?.message}]` };
  }
}

function summarizeLink(b: Bytes, linktype: number, length: number): PacketSummary {
  const unknown = (): PacketSummary => ({ summary: `${nameOf(linktype)} length ${length}` });
  const cut = (): PacketSummary => ({
    summary: `${nameOf(linktype)} length ${length} [|${TRUNCATION_MARKS[linktype] ?? 'link'}]`,
    truncated: true,
  });
  let link: Link;
  switch (linktype) {
    case 1: {
      // EN10MB: dst(6) src(6) type(2), then any 802.1Q / 802.1ad tags
      if (!b.has(0, 14)) return cut();
      let type = b.u16(12);
      let off = 14;
      const vlan: number[] = [];
      while (VLAN_TYPES.has(type) && vlan.length < MAX_CHAIN) {
        if (!b.has(off, 4)) return { ...cut(), vlan };
        vlan.push(b.u16(off) & 0x0fff);
        type = b.u16(off + 2);
        off += 4;
      }
      link = { off, type, vlan: vlan.length > 0 ? vlan : undefined };
      break;
    }
    case 113: // LINUX_SLL: packet type, ARPHRD, address length, address (8), protocol
      if (!b.has(0, 16)) return cut();
      link = { off: 16, type: b.u16(14) };
      break;
    case 276: // LINUX_SLL2: protocol, reserved, ifindex, ARPHRD, packet type, address length, address
      if (!b.has(0, 20)) return cut();
      link = { off: 20, type: b.u16(0) };
      break;
    case 0: // NULL: address family in the capturing host's byte order
    case 108: {
      // LOOP: the same in network byte order
      if (!b.has(0, 4)) return cut();
      const be = linktype === 108 || (b.u8(0) === 0 && b.u8(1) === 0);
      const af = be ? b.u32(0) : b.u32le(0);
      // AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS)
      const type = af === 2 ? ETH_IPV4 : [10, 24, 28, 30].includes(af) ? ETH_IPV6 : -1;
      if (type < 0) return unknown();
      link = { off: 4, type };
      break;
    }
    case 12: // RAW: the IP version says which
    case 101:
    case 228: // IPV4
    case 229: // IPV6
      if (!b.has(0, 1)) return cut();
      link = { off: 0, type: b.u8(0) >> 4 === 6 ? ETH_IPV6 : ETH_IPV4 };
      break;
    default:
      return unknown();
  }
  const s = summarizeNetwork(b, link, length);
  if (link.vlan) s.vlan = link.vlan;
  return s;
}

function summarizeNetwork(b: Bytes, link: Link, length: number): PacketSummary {
  const rest = Math.max(0, length - link.off);
  switch (link.type) {
    case ETH_IPV4:
      return summarizeIPv4(b, link.off, length);
    case ETH_IPV6:
      return summarizeIPv6(b, link.off, length);
    case ETH_ARP:
    case ETH_RARP:
      return summarizeArp(b, link.off, rest);
    default:
      if (link.type < 0x0600) return { summary: `802.3 LLC, length ${rest}` };
      return { summary: `ethertype 0x${link.type.toString(16).padStart(4, '0')}, length ${rest}` };
  }
}

/** The parts of an IP line: `IP src.sport > dst.dport: text`. */
interface IpLine {
  family: 'IP' | 'IP6';
  src: string;
  dst: string;
}

function ipText(ip: IpLine, text: string, sport?: number, dport?: number): string {
  const s = sport === undefined ? ip.src : `${ip.src}.${sport}`;
  const d = dport === undefined ? ip.dst : `${ip.dst}.${dport}`;
  return `${ip.family} ${s} > ${d}: ${text}`;
}

function summarizeIPv4(b: Bytes, off: number, length: number): PacketSummary {
  if (!b.has(off, 20)) return { summary: `IP [|ip], length ${Math.max(0, length - off)}`, network: 'IPv4', truncated: true };
  const version = b.u8(off) >> 4;
  const ihl = (b.u8(off) & 0x0f) * 4;
  const ip: IpLine = { family: 'IP', src: b.ipv4(off + 12), dst: b.ipv4(off + 16) };
  const base: PacketSummary = { summary: '', network: 'IPv4', src: ip.src, dst: ip.dst };
  if (version !== 4) return { ...base, summary: ipText(ip, `bad IP version ${version}`) };
  if (ihl < 20) return { ...base, summary: ipText(ip, `bad header length ${ihl}`) };
  const total = b.u16(off + 2);
  // Total length 0 is what TSO/GRO (big TCP) captures carry: fall back to the wire length.
  const l4Len = Math.max(0, (total >= ihl ? total : length - off) - ihl);
  const proto = b.u8(off + 9);
  const fragOffset = (b.u16(off + 6) & 0x1fff) * 8;
  if (fragOffset !== 0) {
    const name = `ip-proto-${proto}`;
    return { ...base, summary: ipText(ip, name), protocol: PROTOCOLS[proto] ?? name, fragment: true, payloadLength: l4Len };
  }
  if (!b.has(off, ihl)) return { ...base, summary: ipText(ip, '[|ip]'), truncated: true };
  return summarizeTransport(b, off + ihl, l4Len, proto, ip, base);
}

// IPv6 extension headers that are skipped to reach the transport header.
const HOP_BY_HOP = 0;
const ROUTING = 43;
const FRAGMENT = 44;
const AUTH = 51;
const DEST_OPTS = 60;

function summarizeIPv6(b: Bytes, off: number, length: number): PacketSummary {
  if (!b.has(off, 40)) return { summary: `IP6 [|ip6], length ${Math.max(0, length - off)}`, network: 'IPv6', truncated: true };
  const version = b.u8(off) >> 4;
  const ip: IpLine = { family: 'IP6', src: b.ipv6(off + 8), dst: b.ipv6(off + 24) };
  const base: PacketSummary = { summary: '', network: 'IPv6', src: ip.src, dst: ip.dst };
  if (version !== 6) return { ...base, summary: ipText(ip, `bad IP version ${version}`) };
  const plen = b.u16(off + 4);
  // Payload length 0 with a jumbo option: use the wire length.
  let l4Len = plen !== 0 ? plen : Math.max(0, length - off - 40);
  let next = b.u8(off + 6);
  let p = off + 40;
  for (let i = 0; i < MAX_CHAIN; i++) {
    if (next !== HOP_BY_HOP && next !== ROUTING && next !== FRAGMENT && next !== AUTH && next !== DEST_OPTS) break;
    if (!b.has(p, 8)) return { ...base, summary: ipText(ip, '[|ip6]'), truncated: true };
    const hlen = next === FRAGMENT ? 8 : next === AUTH ? (b.u8(p + 1) + 2) * 4 : (b.u8(p + 1) + 1) * 8;
    if (next === FRAGMENT) {
      const fragOffset = b.u16(p + 2) & 0xfff8;
      if (fragOffset !== 0) {
        const rest = Math.max(0, l4Len - 8);
        const proto = b.u8(p);
        return {
          ...base,
          summary: ipText(ip, `frag (${fragOffset}|${rest})`),
          protocol: PROTOCOLS[proto] ?? `ip-proto-${proto}`,
          fragment: true,
          payloadLength: rest,
        };
      }
    }
    next = b.u8(p);
    p += hlen;
    l4Len = Math.max(0, l4Len - hlen);
  }
  return summarizeTransport(b, p, l4Len, next, ip, base);
}

/** IP protocol numbers the summary names without decoding. */
const PROTOCOLS: Record<number, string> = {
  1: 'ICMP',
  2: 'IGMP',
  4: 'IPIP',
  6: 'TCP',
  17: 'UDP',
  41: 'IPv6',
  47: 'GRE',
  50: 'ESP',
  51: 'AH',
  58: 'ICMP6',
  59: 'NONE',
  89: 'OSPF',
  103: 'PIM',
  112: 'VRRP',
  132: 'SCTP',
};

// tcpdump's flag letters, in its order: FIN SYN RST PUSH ACK URG ECE CWR.
const TCP_FLAGS: ReadonlyArray<[number, string]> = [
  [0x01, 'F'],
  [0x02, 'S'],
  [0x04, 'R'],
  [0x08, 'P'],
  [0x10, '.'],
  [0x20, 'U'],
  [0x40, 'E'],
  [0x80, 'W'],
];

export function tcpFlagLetters(flags: number): string {
  let s = '';
  for (const [bit, letter] of TCP_FLAGS) if (flags & bit) s += letter;
  return s === '' ? 'none' : s;
}

const ICMP_TYPES: Record<number, string> = {
  0: 'echo reply',
  3: 'destination unreachable',
  4: 'source quench',
  5: 'redirect',
  8: 'echo request',
  9: 'router advertisement',
  10: 'router solicitation',
  11: 'time exceeded',
  12: 'parameter problem',
  13: 'time stamp request',
  14: 'time stamp reply',
};

const ICMP6_TYPES: Record<number, string> = {
  1: 'destination unreachable',
  2: 'packet too big',
  3: 'time exceeded',
  4: 'parameter problem',
  128: 'echo request',
  129: 'echo reply',
  130: 'multicast listener query',
  131: 'multicast listener report',
  132: 'multicast listener done',
  133: 'router solicitation',
  134: 'router advertisement',
  135: 'neighbor solicitation',
  136: 'neighbor advertisement',
  137: 'redirect',
  143: 'multicast listener report v2',
};

function summarizeTransport(b: Bytes, p: number, l4Len: number, proto: number, ip: IpLine, base: PacketSummary): PacketSummary {
  switch (proto) {
    case 6: {
      const s: PacketSummary = { ...base, protocol: 'TCP' };
      if (!b.has(p, 4)) return { ...s, summary: ipText(ip, '[|tcp]'), truncated: true };
      s.srcPort = b.u16(p);
      s.dstPort = b.u16(p + 2);
      if (!b.has(p, 20)) return { ...s, summary: ipText(ip, '[|tcp]', s.srcPort, s.dstPort), truncated: true };
      const flags = b.u8(p + 13);
      const hlen = (b.u8(p + 12) >> 4) * 4;
      s.tcpFlags = tcpFlagLetters(flags);
      const head = `Flags [${s.tcpFlags}]`;
      if (hlen < 20) return { ...s, summary: ipText(ip, `${head} [bad hdr length ${hlen} - too short, < 20]`, s.srcPort, s.dstPort) };
      if (hlen > l4Len) {
        return { ...s, summary: ipText(ip, `${head} [bad hdr length ${hlen} - too long, > ${l4Len}]`, s.srcPort, s.dstPort) };
      }
      const len = l4Len - hlen;
      const seq = b.u32(p + 4);
      const parts = [head];
      if (len > 0 || flags & 0x07) {
        s.seq = seq;
        parts.push(len > 0 ? `seq ${seq}:${(seq + len) % 0x100000000}` : `seq ${seq}`);
      }
      if (flags & 0x10) {
        s.ack = b.u32(p + 8);
        parts.push(`ack ${s.ack}`);
      }
      s.win = b.u16(p + 14);
      parts.push(`win ${s.win}`);
      if (flags & 0x20) parts.push(`urg ${b.u16(p + 18)}`);
      s.payloadLength = len;
      parts.push(`length ${len}`);
      return { ...s, summary: ipText(ip, parts.join(', '), s.srcPort, s.dstPort) };
    }
    case 17: {
      const s: PacketSummary = { ...base, protocol: 'UDP' };
      if (!b.has(p, 4)) return { ...s, summary: ipText(ip, '[|udp]'), truncated: true };
      s.srcPort = b.u16(p);
      s.dstPort = b.u16(p + 2);
      if (!b.has(p, 8)) return { ...s, summary: ipText(ip, '[|udp]', s.srcPort, s.dstPort), truncated: true };
      const ulen = b.u16(p + 4);
      s.payloadLength = ulen >= 8 ? ulen - 8 : Math.max(0, l4Len - 8);
      return { ...s, summary: ipText(ip, `UDP, length ${s.payloadLength}`, s.srcPort, s.dstPort) };
    }
    case 1:
    case 58: {
      const v6 = proto === 58;
      const label = v6 ? 'ICMP6' : 'ICMP';
      const s: PacketSummary = { ...base, protocol: label, payloadLength: l4Len };
      if (!b.has(p, 2)) return { ...s, summary: ipText(ip, `[|${label.toLowerCase()}]`), truncated: true };
      s.icmpType = b.u8(p);
      s.icmpCode = b.u8(p + 1);
      const name = (v6 ? ICMP6_TYPES : ICMP_TYPES)[s.icmpType];
      const parts = [name ?? `type ${s.icmpType}`];
      if (name === undefined || s.icmpCode !== 0) parts.push(`code ${s.icmpCode}`);
      const echo = v6 ? s.icmpType === 128 || s.icmpType === 129 : s.icmpType === 0 || s.icmpType === 8;
      if (echo && b.has(p, 8)) {
        s.icmpId = b.u16(p + 4);
        s.icmpSeq = b.u16(p + 6);
        parts.push(`id ${s.icmpId}`, `seq ${s.icmpSeq}`);
      }
      parts.push(`length ${l4Len}`);
      // tcpdump: "ICMP echo request, id 3, seq 0, length 80" but "ICMP6, echo request, ..."
      return { ...s, summary: ipText(ip, v6 ? `ICMP6, ${parts.join(', ')}` : `ICMP ${parts.join(', ')}`) };
    }
    default: {
      const name = PROTOCOLS[proto];
      return {
        ...base,
        protocol: name ?? `ip-proto-${proto}`,
        payloadLength: l4Len,
        summary: ipText(ip, `${name ?? `ip-proto-${proto}`}, length ${l4Len}`),
      };
    }
  }
}

function summarizeArp(b: Bytes, off: number, rest: number): PacketSummary {
  const s: PacketSummary = { summary: '', network: 'ARP', payloadLength: rest };
  if (!b.has(off, 8)) return { ...s, summary: `ARP, [|arp], length ${rest}`, truncated: true };
  const htype = b.u16(off);
  const ptype = b.u16(off + 2);
  const hlen = b.u8(off + 4);
  const plen = b.u8(off + 5);
  const op = b.u16(off + 6);
  if (ptype !== ETH_IPV4 || plen !== 4 || hlen === 0) {
    return { ...s, summary: `ARP, hardware type ${htype}, protocol 0x${ptype.toString(16).padStart(4, '0')}, op ${op}, length ${rest}` };
  }
  const sha = off + 8;
  const spa = sha + hlen;
  const tha = spa + 4;
  const tpa = tha + hlen;
  if (!b.has(off, 8 + 2 * hlen + 8)) return { ...s, summary: `ARP, [|arp], length ${rest}`, truncated: true };
  s.src = b.ipv4(spa);
  s.dst = b.ipv4(tpa);
  let text: string;
  switch (op) {
    case 1: {
      s.arpOp = 'request';
      let zero = true;
      for (let i = 0; i < hlen; i++) if (b.u8(tha + i) !== 0) zero = false;
      text = `Request who-has ${s.dst}${zero ? '' : ` (${b.mac(tha, hlen)})`} tell ${s.src}`;
      break;
    }
    case 2:
      s.arpOp = 'reply';
      text = `Reply ${s.src} is-at ${b.mac(sha, hlen)}`;
      break;
    case 3:
      s.arpOp = 'reverse-request';
      text = `Reverse Request who-is ${b.mac(tha, hlen)} tell ${b.mac(sha, hlen)}`;
      break;
    case 4:
      s.arpOp = 'reverse-reply';
      text = `Reverse Reply ${b.mac(tha, hlen)} at ${s.dst}`;
      break;
    default:
      s.arpOp = `op ${op}`;
      text = `Unknown (${op})`;
  }
  return { ...s, summary: `ARP, ${text}, length ${rest}` };
}

/** `HH:MM:SS.ffffff` in local time, like tcpdump's default timestamp (9 digits with `nano`). */
export function formatClock(tsSec: number, tsNsec: number, nano = false): string {
  const d = new Date(tsSec * 1000);
  if (Number.isNaN(d.getTime())) return `${tsSec}.${String(tsNsec).padStart(9, '0')}`;
  const pad = (n: number) => String(n).padStart(2, '0');
  const frac = nano ? String(tsNsec).padStart(9, '0') : String(Math.floor(tsNsec / 1000)).padStart(6, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${frac}`;
}

/** The exact timestamp as `tsSec.tsNsec` (nine fraction digits), for JSON. */
export function exactTimestamp(tsSec: number, tsNsec: number): string {
  return `${tsSec}.${String(tsNsec).padStart(9, '0')}`;
}
