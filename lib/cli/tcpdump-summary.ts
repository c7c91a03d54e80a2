// One-line packet summaries for `pcapkit sniff`, in the style of tcpdump's default output:
//
//   IP 127.0.0.1.5000 > 127.0.0.1.6000: UDP, length 5
//   IP 10.0.0.1.80 > 10.0.0.2.1234: Flags [S.], seq 3113151227, ack 453582463, win 4128, length 0
//   IP6 ::1 > ::1: ICMP6, echo request, id 7, seq 1, length 64
//   ARP, Request who-has 10.0.0.1 tell 10.0.0.2, length 28
//
// The packet is decoded by a reused Decoder (lib/decode); this file only formats its layers.
// Deliberately small: link headers (Ethernet with 802.1Q/802.1ad tags, Linux cooked v1/v2,
// BSD NULL/LOOP, RAW/IPv4/IPv6), IPv4/IPv6 (extension headers skipped), TCP, UDP, ICMP,
// ICMPv6 and ARP. Anything else is summarised as `<linktype name> length N` or
// `ethertype 0x..., length N`. No application protocols (DNS, NFS, ...), no TCP options, and
// sequence numbers are absolute (like `tcpdump -S`). The `length N` figures come from the
// header fields and the wire length, as tcpdump's do, not from the captured bytes.
//
// Short or garbage packets give a summary ending in tcpdump's `[|proto]` truncation mark
// instead of an exception. As in tcpdump (and the Decoder), headers end where their IP
// datagram ends: a transport or extension header running past the total/payload length is cut.
import { linktypeName } from '../linktype';
import { LINKTYPE, LINKTYPE_RAW_FILE, LINKTYPE_TCPDUMP_MARKS } from '../vocab/linktypes';
import { IPPROTO, IP_PROTOCOL_TCPDUMP_NAMES } from '../vocab/ip-protocols';
import { Decoder } from '../decode/decoder';
import { ETHERTYPE } from '../vocab/ethertypes';
import type { ICMPv4, ICMPv6 } from '../decode/icmp';
import type { IPv4 } from '../decode/ipv4';
import type { IPv6 } from '../decode/ipv6';
import type { TCP } from '../decode/tcp';
import type { UDP } from '../decode/udp';
import { LayerType } from '../vocab/layers';

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

/** The Decoder `summarize` uses when none is passed (one per process, reused for every packet). */
const shared = new Decoder();

/**
 * Summarises one packet: `data` are the captured bytes, `linktype` the DLT value and `length`
 * the wire length (default: the captured length). Decodes with `decoder` (overwriting what it
 * held). Never throws.
 */
export function summarize(data: Uint8Array, linktype: number, length: number = data.length, decoder: Decoder = shared): PacketSummary {
  try {
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    return summarizeLink(decoder, buf, linktype, length);
  } catch (err) {
    // Not expected (the decoders never read past the packet); keep a live capture printing regardless.
    return { summary: `${nameOf(linktype)} length ${length} [summary failed: ${(err as Error)?.message}]` };
  }
}

function linkCut(linktype: number, length: number): PacketSummary {
  return { summary: `${nameOf(linktype)} length ${length} [|${LINKTYPE_TCPDUMP_MARKS.get(linktype) ?? 'link'}]`, truncated: true };
}

function summarizeLink(d: Decoder, buf: Buffer, linktype: number, length: number): PacketSummary {
  // Raw IP link types: the version nibble picks IPv6 or IPv4 (also for IPV4/IPV6, so that a
  // packet of the other version is still summarised as what it is).
  if (linktype === LINKTYPE.RAW || linktype === LINKTYPE_RAW_FILE || linktype === LINKTYPE.IPV4 || linktype === LINKTYPE.IPV6) {
    if (buf.length === 0) return linkCut(linktype, length);
    const v6 = buf[0] >> 4 === 6;
    d.decode(buf, v6 ? LINKTYPE.IPV6 : LINKTYPE.IPV4, length);
    return v6 ? summarizeIPv6(d, 0) : summarizeIPv4(d, 0);
  }
  if (!LINKTYPE_TCPDUMP_MARKS.has(linktype)) {
    return { summary: `${nameOf(linktype)} length ${length}` };
  }
  d.decode(buf, linktype, length);
  // The network layer: its EtherType and where it starts.
  let type: number;
  let off: number;
  switch (linktype) {
    case LINKTYPE.EN10MB: {
      if (d.ethernet.truncated) return linkCut(linktype, length);
      if (d.vlanCount === 0) {
        type = d.ethernet.etherType;
        off = d.ethernet.payloadOffset;
        break;
      }
      const last = d.vlans[d.vlanCount - 1];
      if (last.truncated) {
        const s = linkCut(linktype, length);
        s.vlan = vlanIds(d, d.vlanCount - 1);
        return s;
      }
      type = last.etherType;
      off = last.payloadOffset;
      break;
    }
    case LINKTYPE.LINUX_SLL:
      if (d.sll.truncated) return linkCut(linktype, length);
      type = d.sll.protocol;
      off = d.sll.payloadOffset;
      break;
    case LINKTYPE.LINUX_SLL2:
      if (d.sll2.truncated) return linkCut(linktype, length);
      type = d.sll2.protocol;
      off = d.sll2.payloadOffset;
      break;
    default: {
      // NULL, LOOP: an address family the Decoder knew as IPv4 or IPv6, or nothing to say
      if (d.loopback.truncated) return linkCut(linktype, length);
      const next = d.layerCount > 1 ? d.layerTypes[1] : LayerType.None;
      if (next !== LayerType.IPv4 && next !== LayerType.IPv6) return { summary: `${nameOf(linktype)} length ${length}` };
      type = next === LayerType.IPv4 ? ETHERTYPE.IPv4 : ETHERTYPE.IPv6;
      off = d.loopback.payloadOffset;
    }
  }
  const s = summarizeNetwork(d, type, off);
  // (The Decoder also walks tags after a cooked header; the summary shows Ethernet's only.)
  if (d.vlanCount > 0 && linktype === LINKTYPE.EN10MB) s.vlan = vlanIds(d, d.vlanCount);
  return s;
}

function vlanIds(d: Decoder, n: number): number[] {
  const ids: number[] = [];
  for (let i = 0; i < n; i++) ids.push(d.vlans[i].vlanId);
  return ids;
}

function summarizeNetwork(d: Decoder, type: number, off: number): PacketSummary {
  switch (type) {
    case ETHERTYPE.IPv4:
      return summarizeIPv4(d, off);
    case ETHERTYPE.IPv6:
      return summarizeIPv6(d, off);
    case ETHERTYPE.ARP:
    case ETHERTYPE.RARP:
      return summarizeArp(d, off);
    default: {
      const rest = Math.max(0, d.wireLength - off);
      if (type < 0x0600) return { summary: `802.3 LLC, length ${rest}` };
      return { summary: `ethertype 0x${type.toString(16).padStart(4, '0')}, length ${rest}` };
    }
  }
}

/** `IP src.sport > dst.dport: text` (ports left out when undefined). */
function ipText(s: PacketSummary, text: string, sport?: number, dport?: number): string {
  const family = s.network === 'IPv6' ? 'IP6' : 'IP';
  const src = sport === undefined ? s.src : `${s.src}.${sport}`;
  const dst = dport === undefined ? s.dst : `${s.dst}.${dport}`;
  return `${family} ${src} > ${dst}: ${text}`;
}

/**
 * The start of an IP line: the addresses (summary still empty), or a finished summary when the
 * fixed header was cut short (`[|ip]`) or has the wrong version.
 */
function ipStart(d: Decoder, ip: IPv4 | IPv6, off: number, v6: boolean): PacketSummary {
  const network = v6 ? 'IPv6' : 'IPv4';
  if (d.data.length - off < (v6 ? 40 : 20)) {
    const mark = v6 ? 'IP6 [|ip6]' : 'IP [|ip]';
    return { summary: `${mark}, length ${Math.max(0, d.wireLength - off)}`, network, truncated: true };
  }
  const s: PacketSummary = { summary: '', network, src: ip.src, dst: ip.dst };
  if (ip.version !== (v6 ? 6 : 4)) s.summary = ipText(s, `bad IP version ${ip.version}`);
  return s;
}

/** Ends an IP line with a truncation mark (`[|tcp]`, ...). */
function ipCut(s: PacketSummary, mark: string, sport?: number, dport?: number): PacketSummary {
  s.summary = ipText(s, mark, sport, dport);
  s.truncated = true;
  return s;
}

/** Ends the IP line of a non-first fragment: no transport header to show. */
function ipFragment(s: PacketSummary, text: string, proto: number, l4Len: number): PacketSummary {
  s.summary = ipText(s, text);
  s.protocol = IP_PROTOCOL_TCPDUMP_NAMES.get(proto) ?? `ip-proto-${proto}`;
  s.fragment = true;
  s.payloadLength = l4Len;
  return s;
}

function summarizeIPv4(d: Decoder, off: number): PacketSummary {
  const ip = d.ipv4;
  const s = ipStart(d, ip, off, false);
  if (s.summary !== '') return s;
  const ihl = ip.ihl * 4;
  if (ihl < 20) {
    s.summary = ipText(s, `bad header length ${ihl}`);
    return s;
  }
  const total = ip.totalLength;
  // Total length 0 is what TSO/GRO (big TCP) captures carry: fall back to the wire length.
  const l4Len = Math.max(0, (total >= ihl ? total : d.wireLength - off) - ihl);
  if (ip.fragmentOffset !== 0) return ipFragment(s, `ip-proto-${ip.protocol}`, ip.protocol, l4Len);
  if (ip.truncated) return ipCut(s, '[|ip]');
  // A total length under the header length (other than 0): tcpdump's words for it.
  if (ip.malformed) {
    s.summary = ipText(s, `bad-len ${total}`);
    return s;
  }
  return summarizeTransport(d, l4Len, ip.protocol, s);
}

function summarizeIPv6(d: Decoder, off: number): PacketSummary {
  const ip = d.ipv6;
  const s = ipStart(d, ip, off, true);
  if (s.summary !== '') return s;
  // Payload length 0 with a jumbo option: use the wire length. Extension headers count in headerLength.
  const plen = ip.payloadLengthField !== 0 ? ip.payloadLengthField : Math.max(0, d.wireLength - off - 40);
  const l4Len = Math.max(0, plen - (ip.headerLength - 40));
  if (ip.truncated) return ipCut(s, '[|ip6]');
  const fragOffset = ip.laterFragmentOffset * 8;
  if (fragOffset !== 0) return ipFragment(s, `frag (${fragOffset}|${l4Len})`, ip.protocol, l4Len);
  return summarizeTransport(d, l4Len, ip.protocol, s);
}


// tcpdump's flag letters, in its order: FIN SYN RST PUSH ACK URG ECE CWR.
const TCP_FLAG_LETTERS = 'FSRP.UEW';

export function tcpFlagLetters(flags: number): string {
  let s = '';
  for (let i = 0; i < 8; i++) if (flags & (1 << i)) s += TCP_FLAG_LETTERS[i];
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

/**
 * Adds the transport fields and text to `s` (an IP summary); `l4Len` is the IP payload length
 * from the header fields.
 */
function summarizeTransport(d: Decoder, l4Len: number, proto: number, s: PacketSummary): PacketSummary {
  if (proto === IPPROTO.TCP && d.has(LayerType.TCP)) return summarizeTcp(d, d.tcp, l4Len, s);
  if (proto === IPPROTO.UDP && d.has(LayerType.UDP)) return summarizeUdp(d, d.udp, l4Len, s);
  if (proto === IPPROTO.ICMP && d.has(LayerType.ICMPv4)) return summarizeIcmp(d, d.icmpv4, false, l4Len, s);
  if (proto === IPPROTO.ICMPV6 && d.has(LayerType.ICMPv6)) return summarizeIcmp(d, d.icmpv6, true, l4Len, s);
  const name = IP_PROTOCOL_TCPDUMP_NAMES.get(proto) ?? `ip-proto-${proto}`;
  s.protocol = name;
  s.payloadLength = l4Len;
  s.summary = ipText(s, `${name}, length ${l4Len}`);
  return s;
}

/** A TCP/UDP header cut before its fixed part's end: the mark, and the ports when they were captured. */
function transportCut(d: Decoder, l: TCP | UDP, mark: string, s: PacketSummary): PacketSummary {
  if (d.data.length - l.offset >= 4) {
    s.srcPort = l.srcPortField;
    s.dstPort = l.dstPortField;
  }
  return ipCut(s, mark, s.srcPort, s.dstPort);
}

function summarizeTcp(d: Decoder, t: TCP, l4Len: number, s: PacketSummary): PacketSummary {
  s.protocol = 'TCP';
  if (t.truncated && t.dataOffset === 0) return transportCut(d, t, '[|tcp]', s);
  // Malformed (data offset under 5) or cut in the options: the fixed header is all there.
  s.srcPort = t.srcPort;
  s.dstPort = t.dstPort;
  const flags = t.flags & 0xff;
  const hlen = t.dataOffset * 4;
  s.tcpFlags = tcpFlagLetters(flags);
  const head = `Flags [${s.tcpFlags}]`;
  if (hlen < 20) {
    s.summary = ipText(s, `${head} [bad hdr length ${hlen} - too short, < 20]`, s.srcPort, s.dstPort);
    return s;
  }
  if (hlen > l4Len) {
    s.summary = ipText(s, `${head} [bad hdr length ${hlen} - too long, > ${l4Len}]`, s.srcPort, s.dstPort);
    return s;
  }
  const len = l4Len - hlen;
  let text = head;
  if (len > 0 || flags & 0x07) {
    const seq = t.seq;
    s.seq = seq;
    text += len > 0 ? `, seq ${seq}:${(seq + len) % 0x100000000}` : `, seq ${seq}`;
  }
  if (flags & 0x10) {
    s.ack = t.ack;
    text += `, ack ${s.ack}`;
  }
  s.win = t.window;
  text += `, win ${s.win}`;
  if (flags & 0x20) text += `, urg ${t.urgent}`;
  s.payloadLength = len;
  s.summary = ipText(s, `${text}, length ${len}`, s.srcPort, s.dstPort);
  return s;
}

function summarizeUdp(d: Decoder, u: UDP, l4Len: number, s: PacketSummary): PacketSummary {
  s.protocol = 'UDP';
  if (u.truncated) return transportCut(d, u, '[|udp]', s);
  // A length field under 8 (malformed to the Decoder) falls back to the IP payload length.
  s.srcPort = u.srcPort;
  s.dstPort = u.dstPort;
  s.payloadLength = u.length >= 8 ? u.length - 8 : Math.max(0, l4Len - 8);
  s.summary = ipText(s, `UDP, length ${s.payloadLength}`, s.srcPort, s.dstPort);
  return s;
}

function summarizeIcmp(d: Decoder, icmp: ICMPv4 | ICMPv6, v6: boolean, l4Len: number, s: PacketSummary): PacketSummary {
  s.protocol = v6 ? 'ICMP6' : 'ICMP';
  s.payloadLength = l4Len;
  // Type and code are enough for the line; a cut after them is no truncation here.
  if (d.data.length - icmp.offset < 2) return ipCut(s, v6 ? '[|icmp6]' : '[|icmp]');
  const type = (s.icmpType = icmp.typeField);
  const code = (s.icmpCode = icmp.codeField);
  const name = (v6 ? ICMP6_TYPES : ICMP_TYPES)[type];
  let text = name ?? `type ${type}`;
  if (name === undefined || code !== 0) text += `, code ${code}`;
  if (icmp.isEcho && icmp.headerLength >= 8) {
    s.icmpId = icmp.id;
    s.icmpSeq = icmp.seq;
    text += `, id ${s.icmpId}, seq ${s.icmpSeq}`;
  }
  text += `, length ${l4Len}`;
  // tcpdump: "ICMP echo request, id 3, seq 0, length 80" but "ICMP6, echo request, ..."
  s.summary = ipText(s, v6 ? `ICMP6, ${text}` : `ICMP ${text}`);
  return s;
}

function summarizeArp(d: Decoder, off: number): PacketSummary {
  const a = d.arp;
  const rest = Math.max(0, d.wireLength - off);
  const s: PacketSummary = { summary: '', network: 'ARP', payloadLength: rest };
  // Cut before the fixed part's end: the Decoder read no field.
  if (d.data.length - off < 8) {
    s.summary = `ARP, [|arp], length ${rest}`;
    s.truncated = true;
    return s;
  }
  const op = a.opcode;
  if (a.protocolType !== ETHERTYPE.IPv4 || a.protoSize !== 4 || a.hwSize === 0) {
    const ptype = a.protocolType.toString(16).padStart(4, '0');
    s.summary = `ARP, hardware type ${a.hardwareType}, protocol 0x${ptype}, op ${op}, length ${rest}`;
    return s;
  }
  if (a.truncated) {
    s.summary = `ARP, [|arp], length ${rest}`;
    s.truncated = true;
    return s;
  }
  s.src = a.senderProto;
  s.dst = a.targetProto;
  let text: string;
  switch (op) {
    case 1: {
      s.arpOp = 'request';
      const tha = a.linkAddr('target');
      text = `Request who-has ${s.dst}${/^[0:]*$/.test(tha) ? '' : ` (${tha})`} tell ${s.src}`;
      break;
    }
    case 2:
      s.arpOp = 'reply';
      text = `Reply ${s.src} is-at ${a.linkAddr('sender')}`;
      break;
    case 3:
      s.arpOp = 'reverse-request';
      text = `Reverse Request who-is ${a.linkAddr('target')} tell ${a.linkAddr('sender')}`;
      break;
    case 4:
      s.arpOp = 'reverse-reply';
      text = `Reverse Reply ${a.linkAddr('target')} at ${s.dst}`;
      break;
    default:
      s.arpOp = `op ${op}`;
      text = `Unknown (${op})`;
  }
  s.summary = `ARP, ${text}, length ${rest}`;
  return s;
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
