// The Decoder: one reusable object per layer kind, overwritten in place for every packet.
// Decoding allocates nothing; the link type of each packet picks the first layer.
import { ARP } from './arp';
import { DNS } from './dns';
import { Dot1Q, dot1qCheck } from './dot1q';
import { Ethernet, ethernetCheck } from './ethernet';
import { ICMPv4, ICMPv6 } from './icmp';
import { IPv4, Ipv4Header, ipv4Check, ipv4DatagramEnd } from './ipv4';
import { IPv6, ipv6Check, ipv6DatagramEnd } from './ipv6';
import { LinuxSLL, LinuxSLL2, Loopback, sll2Check, sllCheck } from './link';
import { Payload } from './payload';
import { TCP, TcpHeader, tcpCheck } from './tcp';
import { UDP, udpCheck, udpEnd } from './udp';
import { Header } from './base';
import { LayerType } from '../vocab/layers';
import { ETHERTYPE } from '../vocab/ethertypes';
import { IPPROTO, isIpv6Extension, nextForIpProtocol } from '../vocab/ip-protocols';
import { isDnsPort } from '../vocab/ports';
import { LINKTYPE, LINKTYPE_RAW_FILE, LINKTYPE_RAW_OPENBSD } from '../vocab/linktypes';
import { Packet, type PacketBatch } from '../packet';
import { HDR_STRIDE, H_CAPLEN, H_LEN, H_LINKTYPE, H_OFFSET } from '../batch-layout';

const EMPTY = Buffer.alloc(0);

// The layers' header checks, as the straight path calls them. Bound here once: a call through
// an imported module's binding is a property load and a check of the target per call, and the
// straight path makes about ten per packet (measured: ~4% of a decode).
const checkEthernet = ethernetCheck;
const checkTag = dot1qCheck;
const checkSll = sllCheck;
const checkSll2 = sll2Check;
const checkIpv4 = ipv4Check;
const ipv4End = ipv4DatagramEnd;
const checkIpv6 = ipv6Check;
const ipv6End = ipv6DatagramEnd;
const ipv6Extension = isIpv6Extension;
const checkTcp = tcpCheck;
const checkUdp = udpCheck;
const udpStop = udpEnd;
const dnsPort = isDnsPort;

/** 802.1Q/802.1ad tags decoded per packet (deeper stacks end in Payload). */
export const MAX_VLAN_TAGS = 8;
const MAX_LAYERS = 24;
const STATUS_TRUNCATED = 1;
const STATUS_MALFORMED = 2;

/** What a Decoder needs of a packet: bytes, link type, and optionally the wire length. */
export interface DecodablePacket {
  data: Buffer;
  linktype: number;
  length?: number;
}

// The first layer of each link type. A lookup, and a small function: the straight path inlines
// it, and V8 inlines only so much into one function (a switch over the LINKTYPE constants is
// both a chain of property loads and compares and a large body).
const RAW_IP = 0xff; // the version nibble decides
const FIRST_LAYERS = new Uint8Array(512).fill(LayerType.Payload);
FIRST_LAYERS[LINKTYPE.EN10MB] = LayerType.Ethernet;
FIRST_LAYERS[LINKTYPE.LINUX_SLL] = LayerType.LinuxSLL;
FIRST_LAYERS[LINKTYPE.LINUX_SLL2] = LayerType.LinuxSLL2;
FIRST_LAYERS[LINKTYPE.NULL] = FIRST_LAYERS[LINKTYPE.LOOP] = LayerType.Loopback;
FIRST_LAYERS[LINKTYPE.IPV4] = LayerType.IPv4;
FIRST_LAYERS[LINKTYPE.IPV6] = LayerType.IPv6;
FIRST_LAYERS[LINKTYPE.RAW] = FIRST_LAYERS[LINKTYPE_RAW_OPENBSD] = FIRST_LAYERS[LINKTYPE_RAW_FILE] = RAW_IP;

export function firstLayerFor(linktype: number, data: Uint8Array, start = 0, end = data.length): LayerType {
  // Out of the table (negative, fractional, 512 and up): undefined, so Payload.
  const first = FIRST_LAYERS[linktype] ?? LayerType.Payload;
  return first !== RAW_IP ? (first as LayerType) : rawIpLayer(data, start, end);
}

/** Raw IP: the version nibble says which. */
function rawIpLayer(data: Uint8Array, start: number, end: number): LayerType {
  if (end <= start) return LayerType.Payload;
  const v = data[start] >> 4;
  return v === 4 ? LayerType.IPv4 : v === 6 ? LayerType.IPv6 : LayerType.Payload;
}

/**
 * A reusable, allocation-free packet decoder (after gopacket's DecodingLayerParser): each
 * `decodePacket(pkt)` overwrites its layer objects (`ethernet`, `ipv4`, `tcp`, `dns`, ...) in
 * place; the packet's link type picks the first layer. Check `has(LayerType.X)` before
 * reading a layer.
 */
export class Decoder {
  readonly ethernet = new Ethernet();
  readonly vlans: readonly Dot1Q[] = Array.from({ length: MAX_VLAN_TAGS }, () => new Dot1Q());
  readonly sll = new LinuxSLL();
  readonly sll2 = new LinuxSLL2();
  readonly loopback = new Loopback();
  readonly arp = new ARP();
  readonly ipv4 = new IPv4();
  readonly ipv6 = new IPv6();
  readonly tcp = new TCP();
  readonly udp = new UDP();
  readonly icmpv4 = new ICMPv4();
  readonly icmpv6 = new ICMPv6();
  readonly dns = new DNS();
  readonly payload = new Payload();

  /** Layer types decoded for the current packet, in order (first `layerCount` entries). */
  readonly layerTypes = new Uint8Array(MAX_LAYERS);
  layerCount = 0;
  vlanCount = 0;
  linktype = 0;
  /** @internal The memory the current packet lies in (its own bytes, or its batch's arena). */
  buf: Buffer = EMPTY;
  /** @internal Index in `buf` of the current packet's first byte. */
  start = 0;
  /** @internal Index in `buf` just past the current packet's captured bytes. */
  limit = 0;
  private view: Buffer | undefined = undefined;
  /** Wire length of the current packet (caplen when unknown). */
  wireLength = 0;
  /** Some layer was cut short by the snapshot length (or the packet is shorter than its headers claim). */
  truncated = false;
  /** Some layer made no sense; decoding stopped there. */
  malformed = false;
  private present = 0; // bit per LayerType

  /**
   * Decodes a Packet (or anything with data and linktype). Returns this decoder. A Packet from
   * a reader or socket is decoded where it lies in its batch: no `data` view is made for it.
   */
  decodePacket(pkt: DecodablePacket): this {
    if (pkt instanceof Packet) {
      const h = pkt.headers_;
      const o = pkt.at_;
      this.decodeAt(pkt.arena_, h[o + H_OFFSET], h[o + H_CAPLEN], h[o + H_LINKTYPE], h[o + H_LEN]);
      this.view = pkt.dataIfMade_;
      return this;
    }
    return this.decode(pkt.data, pkt.linktype, pkt.length);
  }

  /**
   * Decodes packet `i` of a batch where it lies in the batch's arena: the fastest way through a
   * `batches()` loop. It does not pin the batch, which is recycled as usual when the loop moves
   * on; read the decoded fields before that (afterwards they would read as empty).
   */
  decodeFromBatch(batch: PacketBatch, i: number): this {
    if (!(i >= 0 && i < batch.count)) throw new RangeError(`packet index ${i} out of range`);
    const h = batch.headers_;
    const o = i * HDR_STRIDE;
    return this.decodeAt(batch.arena_, h[o + H_OFFSET], h[o + H_CAPLEN], h[o + H_LINKTYPE], h[o + H_LEN]);
  }

  /** Decodes the packet `data` (its captured bytes) of link type `linktype`. */
  decode(data: Buffer, linktype: number, wireLength = data.length): this {
    this.decodeAt(data, 0, data.length, linktype, wireLength);
    this.view = data;
    return this;
  }

  /**
   * Decodes the packet that lies at `buf[start, start + caplen)`, e.g. packet i of a batch:
   * `decodeAt(batch.arena, batch.offset(i), batch.caplen(i), batch.linktype(i), batch.length(i))`.
   * Layer offsets are relative to the packet's first byte, as if it had been decoded from a
   * view of just its bytes.
   */
  decodeAt(buf: Buffer, start: number, caplen: number, linktype: number, wireLength = caplen): this {
    // Offsets as small integers: batch headers are a Float64Array, and doubles flowing into
    // the layers' fields would make every offset computation floating point (and every field a
    // boxed number). Arenas are far below 2 GiB.
    start |= 0;
    const limit = (start + caplen) | 0;
    if (this.buf !== buf) this.buf = buf; // see BaseLayer: skips a write barrier per packet
    this.start = start;
    this.limit = limit;
    this.view = undefined;
    this.linktype = linktype;
    this.wireLength = wireLength;
    if (!this.straight(buf, start, limit, linktype)) this.decodeLayers(buf, start, limit, linktype);
    return this;
  }

  /**
   * The common packet in one pass: Ethernet (at most one 802.1Q tag), Linux cooked v1/v2 or raw
   * IP, then IPv4 or IPv6 (no extension headers), then TCP or UDP and their payload. Each header is checked before
   * anything is written, reading its bytes into locals. A packet that fails a check before its
   * IP layer is done (ARP, QinQ, IPv6 extension headers, a cut or broken header...) returns
   * false with nothing written, for decodeLayers. One whose IP header is whole but whose next
   * layer is another (ICMP, DNS, a fragment's data, a cut transport header) is written up to
   * there and handed to decodeFrom for the rest. The checks are the layers' own (ethernetCheck,
   * ipv4Check, tcpCheck... which their decode() calls too), and so are the datagram and UDP
   * ends: test/decode-straight.test.mjs holds the two paths equal on every corpus packet, on
   * generated packets cut at every length and on bent header bytes.
   *
   * Why a path of its own: through the layers' decode() calls a TCP packet costs about twice as
   * much (calls V8 will not inline, fields reset then set, a bounds check per read), and most
   * packets are this one.
   */
  private straight(data: Buffer, start: number, limit: number, linktype: number): boolean {
    let ip: number; // the IP header
    let inner: number; // its EtherType
    let etherType = 0; // Ethernet's (Dot1Q when a tag follows)
    const link = firstLayerFor(linktype, data, start, limit);
    switch (link) {
      case LayerType.Ethernet:
        if (checkEthernet(start, limit) !== Header.Whole) return false;
        etherType = (data[start + 12] << 8) | data[start + 13];
        ip = start + 14;
        inner = etherType;
        if (etherType === ETHERTYPE.Dot1Q) {
          if (checkTag(ip, limit) !== Header.Whole) return false;
          inner = (data[ip + 2] << 8) | data[ip + 3];
          ip += 4;
        }
        break;
      case LayerType.LinuxSLL:
        if (checkSll(start, limit) !== Header.Whole) return false;
        inner = (data[start + 14] << 8) | data[start + 15];
        ip = start + 16;
        break;
      case LayerType.LinuxSLL2:
        if (checkSll2(start, limit) !== Header.Whole) return false;
        inner = (data[start] << 8) | data[start + 1];
        ip = start + 20;
        break;
      case LayerType.IPv4: // raw IP
        inner = ETHERTYPE.IPv4;
        ip = start;
        break;
      case LayerType.IPv6:
        inner = ETHERTYPE.IPv6;
        ip = start;
        break;
      default:
        return false;
    }
    let end: number; // end of the IP datagram within the capture
    let t: number; // what follows the IP header
    let proto: number;
    let ipHeaderLength = 0;
    let totalLength = 0;
    let fragField = 0;
    let plField = 0;
    const v4 = inner === ETHERTYPE.IPv4;
    if (v4) {
      ipHeaderLength = checkIpv4(data, ip, limit);
      if (ipHeaderLength < Ipv4Header.Whole) return false;
      totalLength = (data[ip + 2] << 8) | data[ip + 3];
      fragField = (data[ip + 6] << 8) | data[ip + 7];
      proto = data[ip + 9];
      end = ipv4End(ip, totalLength, limit);
      t = ip + ipHeaderLength;
    } else if (inner === ETHERTYPE.IPv6) {
      if (checkIpv6(data, ip, limit) !== Header.Whole) return false;
      proto = data[ip + 6];
      if (ipv6Extension(proto)) return false; // extension headers: the IPv6 layer walks them
      plField = (data[ip + 4] << 8) | data[ip + 5];
      end = ipv6End(ip, plField, limit);
      t = ip + 40;
    } else return false;

    // The IP header is whole: from here on the layers are written, the link layer first.
    const types = this.layerTypes;
    let present = 0;
    let count = 0;
    let vlans = 0;
    if (link === LayerType.Ethernet) {
      this.ethernet.fill(data, start, limit, etherType);
      types[count++] = LayerType.Ethernet;
      present |= 1 << LayerType.Ethernet;
      if (ip !== start + 14) {
        this.vlans[0].fill(data, start, limit, start + 14, etherType, inner);
        types[count++] = LayerType.Dot1Q;
        present |= 1 << LayerType.Dot1Q;
        vlans = 1;
      }
    } else if (link === LayerType.LinuxSLL) {
      this.sll.fill(data, start, limit, (data[start] << 8) | data[start + 1], inner);
      types[count++] = LayerType.LinuxSLL;
      present |= 1 << LayerType.LinuxSLL;
    } else if (link === LayerType.LinuxSLL2) {
      const ifindex = ((data[start + 4] << 24) | (data[start + 5] << 16) | (data[start + 6] << 8) | data[start + 7]) >>> 0;
      this.sll2.fill(data, start, limit, inner, ifindex, data[start + 10]);
      types[count++] = LayerType.LinuxSLL2;
      present |= 1 << LayerType.LinuxSLL2;
    }
    let ipType: LayerType;
    if (v4) {
      this.ipv4.fill(data, start, limit, ip, ipHeaderLength, totalLength, fragField, proto, end);
      ipType = LayerType.IPv4;
    } else {
      this.ipv6.fill(data, start, limit, ip, plField, proto, end);
      ipType = LayerType.IPv6;
    }
    types[count++] = ipType;
    present |= 1 << ipType;

    let hlen = 0;
    let stop = end; // end of the transport's data
    let b12 = 0;
    let b13 = 0;
    let udpLength = 0;
    let whole = false; // a whole TCP or UDP header
    if ((fragField & 0x1fff) !== 0) {
      // a later fragment: its data, for decodeFrom
    } else if (proto === IPPROTO.TCP) {
      hlen = checkTcp(data, t, end);
      if (hlen >= TcpHeader.Whole) {
        b12 = data[t + 12];
        b13 = data[t + 13];
        whole = true;
      }
    } else if (proto === IPPROTO.UDP) {
      udpLength = checkUdp(data, t, end);
      if (udpLength >= 0) {
        stop = udpStop(t, udpLength, end);
        hlen = 8;
        whole = true;
      }
    }
    if (!whole) {
      const next = (fragField & 0x1fff) !== 0 ? LayerType.Payload : nextForIpProtocol(proto);
      this.decodeFrom(data, start, limit, linktype, next, t, end, ipType, inner, count, present, vlans);
      return true;
    }
    const srcPort = (data[t] << 8) | data[t + 1];
    const dstPort = (data[t + 2] << 8) | data[t + 3];
    const appLength = stop - t - hlen;
    let transport: LayerType;
    if (proto === IPPROTO.TCP) {
      this.tcp.fill(data, start, limit, t, srcPort, dstPort, b12, b13, appLength);
      transport = LayerType.TCP;
    } else {
      this.udp.fill(data, start, limit, t, srcPort, dstPort, udpLength, appLength);
      transport = LayerType.UDP;
    }
    types[count++] = transport;
    present |= 1 << transport;
    if (appLength > 0) {
      if (dnsPort(srcPort) || dnsPort(dstPort)) {
        this.decodeFrom(data, start, limit, linktype, LayerType.DNS, t + hlen, stop, transport, inner, count, present, vlans);
        return true;
      }
      this.payload.fill(data, start, limit, t + hlen, appLength);
      types[count++] = LayerType.Payload;
      present |= 1 << LayerType.Payload;
    }
    this.layerCount = count;
    this.present = present;
    this.vlanCount = vlans;
    this.truncated = false;
    this.malformed = false;
    return true;
  }

  /** Any packet, layer after layer, each by its own decode(). */
  private decodeLayers(data: Buffer, start: number, limit: number, linktype: number): void {
    const first = firstLayerFor(linktype, data, start, limit);
    this.decodeFrom(data, start, limit, linktype, first, start, limit, LayerType.None, 0, 0, 0, 0);
  }

  /**
   * Decodes layer after layer from `next` at `offset` (the datagram ending at `end`), after
   * `count` layers already written (`present`, `vlans` tags); `prev` is the layer before and
   * `prevEtherType` the EtherType that led here.
   */
  private decodeFrom(
    data: Buffer,
    start: number,
    limit: number,
    linktype: number,
    next: LayerType,
    offset: number,
    end: number,
    prev: LayerType,
    prevEtherType: number,
    count: number,
    present: number,
    vlans: number,
  ): void {
    const types = this.layerTypes;
    let status = 0; // STATUS_TRUNCATED | STATUS_MALFORMED
    // What the loop below does after a layer: nothing left to call payload ends decoding.
    if (count > 0 && next === LayerType.Payload && offset >= end) next = LayerType.None;
    while (next !== LayerType.None && count < MAX_LAYERS) {
      // Each case reads the fields of its own concrete layer class, so every property access
      // stays monomorphic (one `layer` variable holding 14 classes made them megamorphic, the
      // main cost of decoding).
      let following: LayerType;
      let type: LayerType;
      let trunc: boolean;
      let mal: boolean;
      switch (next) {
        case LayerType.Ethernet: {
          const l = this.ethernet;
          following = l.decode(data, offset, end, start, limit);
          prevEtherType = l.etherType;
          type = LayerType.Ethernet;
          trunc = l.truncated;
          mal = l.malformed;
          offset = l.at + l.headerLength;
          break;
        }
        case LayerType.IPv4: {
          const l = this.ipv4;
          following = l.decode(data, offset, end, start, limit);
          type = LayerType.IPv4;
          trunc = l.truncated;
          mal = l.malformed;
          offset = l.at + l.headerLength;
          end = offset + l.payloadLength; // drop link-layer padding
          break;
        }
        case LayerType.TCP: {
          const l = this.tcp;
          following = l.decode(data, offset, end, start, limit);
          type = LayerType.TCP;
          trunc = l.truncated;
          mal = l.malformed;
          offset = l.at + l.headerLength;
          break;
        }
        case LayerType.UDP: {
          const l = this.udp;
          following = l.decode(data, offset, end, start, limit);
          type = LayerType.UDP;
          trunc = l.truncated;
          mal = l.malformed;
          offset = l.at + l.headerLength;
          end = offset + l.payloadLength;
          break;
        }
        case LayerType.IPv6: {
          const l = this.ipv6;
          following = l.decode(data, offset, end, start, limit);
          type = LayerType.IPv6;
          trunc = l.truncated;
          mal = l.malformed;
          offset = l.at + l.headerLength;
          end = offset + l.payloadLength; // the datagram's end
          break;
        }
        case LayerType.DNS: {
          const l = this.dns;
          following = prev === LayerType.TCP ? l.decodeTcp(data, offset, end, start, limit) : l.decode(data, offset, end, start, limit);
          type = LayerType.DNS;
          trunc = l.truncated;
          mal = l.malformed;
          offset = l.at + l.headerLength;
          break;
        }
        case LayerType.ICMPv4: {
          const l = this.icmpv4;
          following = l.decode(data, offset, end, start, limit);
          type = LayerType.ICMPv4;
          trunc = l.truncated;
          mal = l.malformed;
          offset = l.at + l.headerLength;
          break;
        }
        case LayerType.ICMPv6: {
          const l = this.icmpv6;
          following = l.decode(data, offset, end, start, limit);
          type = LayerType.ICMPv6;
          trunc = l.truncated;
          mal = l.malformed;
          offset = l.at + l.headerLength;
          break;
        }
        case LayerType.ARP: {
          const l = this.arp;
          following = l.decode(data, offset, end, start, limit);
          type = LayerType.ARP;
          trunc = l.truncated;
          mal = l.malformed;
          offset = l.at + l.headerLength;
          break;
        }
        case LayerType.Dot1Q: {
          if (vlans === MAX_VLAN_TAGS) {
            const l = this.payload;
            following = l.decode(data, offset, end, start, limit);
            type = LayerType.Payload;
            trunc = l.truncated;
            mal = l.malformed;
            offset = l.at + l.headerLength;
            break;
          }
          const l = this.vlans[vlans++];
          following = l.decodeTag(data, offset, end, prevEtherType, start, limit);
          prevEtherType = l.etherType;
          type = LayerType.Dot1Q;
          trunc = l.truncated;
          mal = l.malformed;
          offset = l.at + l.headerLength;
          break;
        }
        case LayerType.LinuxSLL: {
          const l = this.sll;
          following = l.decode(data, offset, end, start, limit);
          prevEtherType = l.protocol;
          type = LayerType.LinuxSLL;
          trunc = l.truncated;
          mal = l.malformed;
          offset = l.at + l.headerLength;
          break;
        }
        case LayerType.LinuxSLL2: {
          const l = this.sll2;
          following = l.decode(data, offset, end, start, limit);
          prevEtherType = l.protocol;
          type = LayerType.LinuxSLL2;
          trunc = l.truncated;
          mal = l.malformed;
          offset = l.at + l.headerLength;
          break;
        }
        case LayerType.Loopback: {
          const l = this.loopback;
          following = l.decodeFamily(data, offset, end, linktype === LINKTYPE.LOOP, start, limit);
          type = LayerType.Loopback;
          trunc = l.truncated;
          mal = l.malformed;
          offset = l.at + l.headerLength;
          break;
        }
        default: {
          const l = this.payload;
          following = l.decode(data, offset, end, start, limit);
          type = LayerType.Payload;
          trunc = l.truncated;
          mal = l.malformed;
          offset = l.at + l.headerLength;
          break;
        }
      }
      types[count++] = type;
      present |= 1 << type;
      if (trunc || mal) {
        status = (trunc ? STATUS_TRUNCATED : 0) | (mal ? STATUS_MALFORMED : 0);
        break;
      }
      prev = type;
      next = following;
      if (next === LayerType.Payload && offset >= end) break; // nothing left to call payload
    }
    this.layerCount = count;
    this.present = present;
    this.vlanCount = vlans;
    // A payload cut by the snapshot length is normal (caplen < length); `truncated` is set only
    // when the cut went through a header.
    this.truncated = (status & STATUS_TRUNCATED) !== 0;
    this.malformed = (status & STATUS_MALFORMED) !== 0;
  }

  /** True when a layer of this type was decoded for the current packet. */
  has(type: LayerType): boolean {
    return (this.present & (1 << type)) !== 0;
  }

  /** Layer types of the current packet (allocates an array). */
  get layers(): LayerType[] {
    return Array.from(this.layerTypes.subarray(0, this.layerCount)) as LayerType[];
  }

  /** The network layer of the current packet, if any. */
  get network(): IPv4 | IPv6 | undefined {
    return this.has(LayerType.IPv4) ? this.ipv4 : this.has(LayerType.IPv6) ? this.ipv6 : undefined;
  }

  /** The transport layer of the current packet, if any. */
  get transport(): TCP | UDP | undefined {
    return this.has(LayerType.TCP) ? this.tcp : this.has(LayerType.UDP) ? this.udp : undefined;
  }

  /** Offset of the application data (after TCP/UDP) in `data`, or -1. */
  get appOffset(): number {
    const t = this.transport;
    return t === undefined || t.truncated || t.malformed ? -1 : t.offset + t.headerLength;
  }

  /** Length of the application data within the capture (0 when none). */
  get appLength(): number {
    const t = this.transport;
    return t === undefined || t.truncated || t.malformed ? 0 : t.payloadLength;
  }

  /** The application data (a view; empty when none). */
  get appData(): Buffer {
    const t = this.transport;
    if (t === undefined || t.truncated || t.malformed) return this.buf.subarray(0, 0);
    const at = t.at + t.headerLength;
    return this.buf.subarray(at, at + t.payloadLength);
  }

  /** Captured bytes of the current packet (a view, made on first read for a packet decoded in its batch). */
  get data(): Buffer {
    let v = this.view;
    if (v === undefined) {
      v = this.buf.subarray(this.start, this.limit);
      this.view = v;
    }
    return v;
  }
}
