// The decoder's current packet as plain JSON data: numbers as numbers, addresses as strings.
import type { BaseLayer } from './base';
import type { Decoder } from './decoder';
import type { Dot1Q } from './dot1q';
import type { DnsQuestion, DnsRecord } from './dns';
import { LAYER_KEYS, LayerType, type LayerKey } from '../vocab/layers';
import { layerObjects, trailerLength } from './summary';

/** `type` of each layer in DecodedJSON. */
export type LayerJSONType = LayerKey;

/** What every layer has: where it is in the packet and whether it decoded whole. */
export interface LayerJSONBase {
  type: LayerJSONType;
  /** Offset of the layer's header in the captured bytes. */
  offset: number;
  /** Header bytes the layer consumed (for DNS: the whole message, with TCP's length prefix). */
  headerLength: number;
  /** Bytes after the header that belong to the layer, within the capture. */
  payloadLength: number;
  /** The capture ends inside this layer's header; only the base fields are present. */
  truncated: boolean;
  /** The header makes no sense; only the base fields are present. */
  malformed: boolean;
}

/**
 * A layer that was cut short or malformed: only the base fields. It is always the last layer
 * (decoding stops there).
 */
export interface IncompleteLayerJSON extends LayerJSONBase {
  incomplete: true;
}

export interface EthernetJSON extends LayerJSONBase {
  type: 'ethernet';
  dst: string;
  src: string;
  /** EtherType, or the 802.3 length when < 0x0600. */
  etherType: number;
}

export interface Dot1QJSON extends LayerJSONBase {
  type: 'dot1q';
  /** TPID that introduced the tag: 0x8100, 0x88a8 (802.1ad) or 0x9100. */
  tpid: number;
  priority: number;
  dropEligible: boolean;
  vlanId: number;
  /** EtherType of what follows. */
  etherType: number;
}

export interface LinuxSLLJSON extends LayerJSONBase {
  type: 'linux_sll';
  packetType: number;
  addressType: number;
  addressLength: number;
  /** Link-layer source address: a MAC when 6 bytes long, otherwise hex. */
  src: string;
  /** EtherType of the payload. */
  protocol: number;
}

export interface LinuxSLL2JSON extends LayerJSONBase {
  type: 'linux_sll2';
  protocol: number;
  interfaceIndex: number;
  addressType: number;
  packetType: number;
  addressLength: number;
  src: string;
}

export interface LoopbackJSON extends LayerJSONBase {
  type: 'loopback';
  /** Address family (2 IPv4; 10, 24, 28, 30 IPv6 depending on the capturing OS). */
  family: number;
}

export interface ArpJSON extends LayerJSONBase {
  type: 'arp';
  hardwareType: number;
  protocolType: number;
  hwSize: number;
  protoSize: number;
  /** 1 request, 2 reply, 3/4 RARP. */
  opcode: number;
  /** MAC text for 6-byte hardware addresses, dotted quad for 4-byte protocol addresses, hex otherwise. */
  senderHw: string;
  senderProto: string;
  targetHw: string;
  targetProto: string;
}

export interface IPv4JSON extends LayerJSONBase {
  type: 'ipv4';
  version: 4;
  ihl: number;
  tos: number;
  totalLength: number;
  id: number;
  /** The 3 flag bits (DF = 2, MF = 1). */
  flags: number;
  dontFragment: boolean;
  moreFragments: boolean;
  /** In 8-byte units, as on the wire. */
  fragmentOffset: number;
  ttl: number;
  protocol: number;
  checksum: number;
  src: string;
  dst: string;
  /** Option bytes as hex ('' when none). */
  options: string;
}

export interface IPv6JSON extends LayerJSONBase {
  type: 'ipv6';
  version: 6;
  trafficClass: number;
  flowLabel: number;
  /** The header's payload length field. */
  payloadLengthField: number;
  /** The fixed header's next header field. */
  nextHeader: number;
  /** Upper-layer protocol after the extension headers. */
  protocol: number;
  hopLimit: number;
  src: string;
  dst: string;
  /** Extension header types in order. */
  extensions: number[];
  hasFragment: boolean;
  fragmentOffset: number;
  moreFragments: boolean;
  fragmentId: number;
}

export interface TcpJSON extends LayerJSONBase {
  type: 'tcp';
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** Header length in 32-bit words. */
  dataOffset: number;
  /** Flag bits including NS (0x100). */
  flags: number;
  /** The 3 reserved bits before NS (0 on conforming segments). */
  reserved: number;
  /** Flags in scapy's letters ('SA', 'PA', ...). */
  flagString: string;
  window: number;
  checksum: number;
  urgent: number;
  /** Present when the option is. */
  mss?: number;
  windowScale?: number;
  sackPermitted: boolean;
  /** SACK blocks as [left, right] pairs. */
  sack: Array<[number, number]>;
  /** [TSval, TSecr] when present. */
  timestamps?: [number, number];
  /** Every option but NOP and end-of-options; data as hex. */
  options: Array<{ kind: number; data: string }>;
}

export interface UdpJSON extends LayerJSONBase {
  type: 'udp';
  srcPort: number;
  dstPort: number;
  /** The length field. */
  length: number;
  checksum: number;
}

export interface IcmpJSON extends LayerJSONBase {
  type: 'icmpv4' | 'icmpv6';
  icmpType: number;
  code: number;
  checksum: number;
  /** Bytes 4-7 of the header (0 when the message is shorter than 8 bytes). */
  restOfHeader: number;
  /** Echo identifier and sequence number (the halves of restOfHeader). */
  id: number;
  seq: number;
  isEcho: boolean;
}

export interface DnsJSON extends LayerJSONBase {
  type: 'dns';
  overTcp: boolean;
  id: number;
  flags: number;
  response: boolean;
  opcode: number;
  rcode: number;
  authoritative: boolean;
  truncatedFlag: boolean;
  recursionDesired: boolean;
  recursionAvailable: boolean;
  qdCount: number;
  anCount: number;
  nsCount: number;
  arCount: number;
  /** The first question's name, without the final dot ('<Root>' for the root), when readable. */
  questionName?: string;
  questions: DnsQuestion[];
  answers: DnsRecord[];
}

export interface PayloadJSON extends LayerJSONBase {
  type: 'payload';
  /** The bytes, only when asked for with `{ payload: 'hex' | 'base64' }`. */
  data?: string;
}

export type LayerJSON =
  | EthernetJSON
  | Dot1QJSON
  | LinuxSLLJSON
  | LinuxSLL2JSON
  | LoopbackJSON
  | ArpJSON
  | IPv4JSON
  | IPv6JSON
  | TcpJSON
  | UdpJSON
  | IcmpJSON
  | DnsJSON
  | PayloadJSON
  | IncompleteLayerJSON;

/**
 * A decoded packet as JSON data (what `pcapkit read --json` prints, one per line). Stable:
 * fields are only ever added.
 */
export interface DecodedJSON {
  /** Link type (DLT) the packet was decoded as. */
  linktype: number;
  /** Bytes captured. */
  caplen: number;
  /** Bytes on the wire. */
  length: number;
  /** Some header was cut short by the capture (a payload cut by the snapshot length is not). */
  truncated: boolean;
  /** Some header made no sense; decoding stopped there. */
  malformed: boolean;
  /** Bytes after the end of the ARP/IP datagram (Ethernet minimum-size padding, trailers). */
  padding: number;
  /** The decoded layers, outermost first (the Decoder's layers, one per 802.1Q tag). */
  layers: LayerJSON[];
}

export interface JSONOptions {
  /** Include the bytes of payload layers as `data` ('hex' or 'base64'). Default: not included. */
  payload?: 'hex' | 'base64';
}

const TYPE_NAMES: Partial<Record<LayerType, LayerJSONType>> = LAYER_KEYS;

function layerJSON(d: Decoder, layer: BaseLayer, options: JSONOptions): LayerJSON {
  const base: LayerJSONBase = {
    type: TYPE_NAMES[layer.type] ?? 'payload',
    offset: layer.offset,
    headerLength: layer.headerLength,
    payloadLength: layer.payloadLength,
    truncated: layer.truncated,
    malformed: layer.malformed,
  };
  if (layer.truncated || layer.malformed) return { ...base, incomplete: true };
  switch (layer.type) {
    case LayerType.Ethernet: {
      const e = d.ethernet;
      return { ...base, type: 'ethernet', dst: e.dst, src: e.src, etherType: e.etherType };
    }
    case LayerType.Dot1Q: {
      const t = layer as Dot1Q;
      return {
        ...base,
        type: 'dot1q',
        tpid: t.tpid,
        priority: t.priority,
        dropEligible: t.dropEligible,
        vlanId: t.vlanId,
        etherType: t.etherType,
      };
    }
    case LayerType.LinuxSLL: {
      const s = d.sll;
      return {
        ...base,
        type: 'linux_sll',
        packetType: s.packetType,
        addressType: s.addressType,
        addressLength: s.addressLength,
        src: s.src,
        protocol: s.protocol,
      };
    }
    case LayerType.LinuxSLL2: {
      const s = d.sll2;
      return {
        ...base,
        type: 'linux_sll2',
        protocol: s.protocol,
        interfaceIndex: s.interfaceIndex,
        addressType: s.addressType,
        packetType: s.packetType,
        addressLength: s.addressLength,
        src: s.src,
      };
    }
    case LayerType.Loopback:
      return { ...base, type: 'loopback', family: d.loopback.family };
    case LayerType.ARP: {
      const a = d.arp;
      return {
        ...base,
        type: 'arp',
        hardwareType: a.hardwareType,
        protocolType: a.protocolType,
        hwSize: a.hwSize,
        protoSize: a.protoSize,
        opcode: a.opcode,
        senderHw: a.senderHw,
        senderProto: a.senderProto,
        targetHw: a.targetHw,
        targetProto: a.targetProto,
      };
    }
    case LayerType.IPv4: {
      const ip = d.ipv4;
      return {
        ...base,
        type: 'ipv4',
        version: 4,
        ihl: ip.ihl,
        tos: ip.tos,
        totalLength: ip.totalLength,
        id: ip.id,
        flags: ip.flags,
        dontFragment: ip.dontFragment,
        moreFragments: ip.moreFragments,
        fragmentOffset: ip.fragmentOffset,
        ttl: ip.ttl,
        protocol: ip.protocol,
        checksum: ip.checksum,
        src: ip.src,
        dst: ip.dst,
        options: ip.options.toString('hex'),
      };
    }
    case LayerType.IPv6: {
      const ip = d.ipv6;
      return {
        ...base,
        type: 'ipv6',
        version: 6,
        trafficClass: ip.trafficClass,
        flowLabel: ip.flowLabel,
        payloadLengthField: ip.payloadLengthField,
        nextHeader: ip.nextHeader,
        protocol: ip.protocol,
        hopLimit: ip.hopLimit,
        src: ip.src,
        dst: ip.dst,
        extensions: [...ip.extensions],
        hasFragment: ip.hasFragment,
        fragmentOffset: ip.fragmentOffset,
        moreFragments: ip.moreFragments,
        fragmentId: ip.fragmentId,
      };
    }
    case LayerType.TCP: {
      const t = d.tcp;
      const out: TcpJSON = {
        ...base,
        type: 'tcp',
        srcPort: t.srcPort,
        dstPort: t.dstPort,
        seq: t.seq,
        ack: t.ack,
        dataOffset: t.dataOffset,
        flags: t.flags,
        reserved: t.reserved,
        flagString: t.flagString,
        window: t.window,
        checksum: t.checksum,
        urgent: t.urgent,
        sackPermitted: t.sackPermitted,
        sack: t.sack,
        options: t.options.map((o) => ({ kind: o.kind, data: o.data.toString('hex') })),
      };
      // optional fields only when present, so that JSON.parse(JSON.stringify(x)) deep-equals x
      const mss = t.mss;
      if (mss !== undefined) out.mss = mss;
      const ws = t.windowScale;
      if (ws !== undefined) out.windowScale = ws;
      const ts = t.timestamps;
      if (ts !== undefined) out.timestamps = ts;
      return out;
    }
    case LayerType.UDP: {
      const u = d.udp;
      return { ...base, type: 'udp', srcPort: u.srcPort, dstPort: u.dstPort, length: u.length, checksum: u.checksum };
    }
    case LayerType.ICMPv4:
    case LayerType.ICMPv6: {
      const c = layer.type === LayerType.ICMPv4 ? d.icmpv4 : d.icmpv6;
      return {
        ...base,
        type: layer.type === LayerType.ICMPv4 ? 'icmpv4' : 'icmpv6',
        icmpType: c.icmpType,
        code: c.code,
        checksum: c.checksum,
        restOfHeader: c.restOfHeader,
        id: c.id,
        seq: c.seq,
        isEcho: c.isEcho,
      };
    }
    case LayerType.DNS: {
      const dns = d.dns;
      const out: DnsJSON = {
        ...base,
        type: 'dns',
        overTcp: dns.overTcp,
        id: dns.id,
        flags: dns.flags,
        response: dns.response,
        opcode: dns.opcode,
        rcode: dns.rcode,
        authoritative: dns.authoritative,
        truncatedFlag: dns.truncatedFlag,
        recursionDesired: dns.recursionDesired,
        recursionAvailable: dns.recursionAvailable,
        qdCount: dns.qdCount,
        anCount: dns.anCount,
        nsCount: dns.nsCount,
        arCount: dns.arCount,
        questions: dns.questions,
        answers: dns.answers,
      };
      const q = dns.questionName;
      if (q !== undefined) out.questionName = q;
      return out;
    }
    default: {
      const out: PayloadJSON = { ...base, type: 'payload' };
      if (options.payload) out.data = layer.payload.toString(options.payload);
      return out;
    }
  }
}

/**
 * The decoder's current packet as JSON data (see DecodedJSON). Allocates only when called.
 * Exported from the package as `decodedToJSON`.
 */
export function toJSON(d: Decoder, options: JSONOptions = {}): DecodedJSON {
  return {
    linktype: d.linktype,
    caplen: d.data.length,
    length: d.wireLength,
    truncated: d.truncated,
    malformed: d.malformed,
    padding: trailerLength(d),
    layers: layerObjects(d).map((l) => layerJSON(d, l, options)),
  };
}
