// The Decoder: one reusable object per layer kind, overwritten in place for every packet.
// Decoding allocates nothing; the link type of each packet picks the first layer.
import { ARP } from './arp';
import { DNS } from './dns';
import { Dot1Q } from './dot1q';
import { Ethernet } from './ethernet';
import { ICMPv4, ICMPv6 } from './icmp';
import { IPv4 } from './ipv4';
import { IPv6 } from './ipv6';
import { LinuxSLL, LinuxSLL2, Loopback } from './link';
import { Payload } from './payload';
import { TCP } from './tcp';
import { UDP } from './udp';
import { LayerType } from './types';

/** 802.1Q/802.1ad tags decoded per packet (deeper stacks end in Payload). */
export const MAX_VLAN_TAGS = 8;
const MAX_LAYERS = 24;

/** What a Decoder needs of a packet: bytes, link type, and optionally the wire length. */
export interface DecodablePacket {
  data: Buffer;
  linktype: number;
  length?: number;
}

export function firstLayerFor(linktype: number, data: Buffer): LayerType {
  switch (linktype) {
    case 1:
      return LayerType.Ethernet;
    case 113:
      return LayerType.LinuxSLL;
    case 276:
      return LayerType.LinuxSLL2;
    case 0:
    case 108:
      return LayerType.Loopback;
    case 228:
      return LayerType.IPv4;
    case 229:
      return LayerType.IPv6;
    case 12:
    case 14:
    case 101: {
      // Raw IP: the version nibble says which.
      if (data.length === 0) return LayerType.Payload;
      const v = data[0] >> 4;
      return v === 4 ? LayerType.IPv4 : v === 6 ? LayerType.IPv6 : LayerType.Payload;
    }
    default:
      return LayerType.Payload;
  }
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
  /** Captured bytes of the current packet. */
  data: Buffer = Buffer.alloc(0);
  /** Wire length of the current packet (caplen when unknown). */
  wireLength = 0;
  /** Some layer was cut short by the snapshot length (or the packet is shorter than its headers claim). */
  truncated = false;
  /** Some layer made no sense; decoding stopped there. */
  malformed = false;
  private present = 0; // bit per LayerType

  /** Decodes a Packet (or anything with data and linktype). Returns this decoder. */
  decodePacket(pkt: DecodablePacket): this {
    return this.decode(pkt.data, pkt.linktype, pkt.length);
  }

  decode(data: Buffer, linktype: number, wireLength = data.length): this {
    this.data = data;
    this.linktype = linktype;
    this.wireLength = wireLength;
    this.layerCount = 0;
    this.vlanCount = 0;
    this.truncated = false;
    this.malformed = false;
    this.present = 0;
    let next = firstLayerFor(linktype, data);
    let offset = 0;
    let end = data.length;
    let prevEtherType = 0;
    let prev: LayerType = LayerType.None;
    while (next !== LayerType.None && this.layerCount < MAX_LAYERS) {
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
          following = l.decode(data, offset, end);
          prevEtherType = l.etherType;
          type = LayerType.Ethernet;
          trunc = l.truncated;
          mal = l.malformed;
          offset = l.offset + l.headerLength;
          break;
        }
        case LayerType.Dot1Q: {
          if (this.vlanCount === MAX_VLAN_TAGS) {
            const l = this.payload;
            following = l.decode(data, offset, end);
            type = LayerType.Payload;
            trunc = l.truncated;
            mal = l.malformed;
            offset = l.offset + l.headerLength;
            break;
          }
          const l = this.vlans[this.vlanCount++];
          following = l.decodeTag(data, offset, end, prevEtherType);
          prevEtherType = l.etherType;
          type = LayerType.Dot1Q;
          trunc = l.truncated;
          mal = l.malformed;
          offset = l.offset + l.headerLength;
          break;
        }
        case LayerType.LinuxSLL: {
          const l = this.sll;
          following = l.decode(data, offset, end);
          prevEtherType = l.protocol;
          type = LayerType.LinuxSLL;
          trunc = l.truncated;
          mal = l.malformed;
          offset = l.offset + l.headerLength;
          break;
        }
        case LayerType.LinuxSLL2: {
          const l = this.sll2;
          following = l.decode(data, offset, end);
          prevEtherType = l.protocol;
          type = LayerType.LinuxSLL2;
          trunc = l.truncated;
          mal = l.malformed;
          offset = l.offset + l.headerLength;
          break;
        }
        case LayerType.Loopback: {
          const l = this.loopback;
          following = l.decodeFamily(data, offset, end, linktype === 108);
          type = LayerType.Loopback;
          trunc = l.truncated;
          mal = l.malformed;
          offset = l.offset + l.headerLength;
          break;
        }
        case LayerType.ARP: {
          const l = this.arp;
          following = l.decode(data, offset, end);
          type = LayerType.ARP;
          trunc = l.truncated;
          mal = l.malformed;
          offset = l.offset + l.headerLength;
          break;
        }
        case LayerType.IPv4: {
          const l = this.ipv4;
          following = l.decode(data, offset, end);
          type = LayerType.IPv4;
          trunc = l.truncated;
          mal = l.malformed;
          offset = l.offset + l.headerLength;
          end = offset + l.payloadLength; // drop link-layer padding
          break;
        }
        case LayerType.IPv6: {
          const l = this.ipv6;
          following = l.decode(data, offset, end);
          type = LayerType.IPv6;
          trunc = l.truncated;
          mal = l.malformed;
          offset = l.offset + l.headerLength;
          end = l.datagramEnd;
          break;
        }
        case LayerType.TCP: {
          const l = this.tcp;
          following = l.decode(data, offset, end);
          type = LayerType.TCP;
          trunc = l.truncated;
          mal = l.malformed;
          offset = l.offset + l.headerLength;
          break;
        }
        case LayerType.UDP: {
          const l = this.udp;
          following = l.decode(data, offset, end);
          type = LayerType.UDP;
          trunc = l.truncated;
          mal = l.malformed;
          offset = l.offset + l.headerLength;
          end = offset + l.payloadLength;
          break;
        }
        case LayerType.ICMPv4: {
          const l = this.icmpv4;
          following = l.decode(data, offset, end);
          type = LayerType.ICMPv4;
          trunc = l.truncated;
          mal = l.malformed;
          offset = l.offset + l.headerLength;
          break;
        }
        case LayerType.ICMPv6: {
          const l = this.icmpv6;
          following = l.decode(data, offset, end);
          type = LayerType.ICMPv6;
          trunc = l.truncated;
          mal = l.malformed;
          offset = l.offset + l.headerLength;
          break;
        }
        case LayerType.DNS: {
          const l = this.dns;
          following = prev === LayerType.TCP ? l.decodeTcp(data, offset, end) : l.decode(data, offset, end);
          type = LayerType.DNS;
          trunc = l.truncated;
          mal = l.malformed;
          offset = l.offset + l.headerLength;
          break;
        }
        default: {
          const l = this.payload;
          following = l.decode(data, offset, end);
          type = LayerType.Payload;
          trunc = l.truncated;
          mal = l.malformed;
          offset = l.offset + l.headerLength;
          break;
        }
      }
      this.layerTypes[this.layerCount++] = type;
      this.present |= 1 << type;
      if (trunc || mal) {
        if (trunc) this.truncated = true;
        if (mal) this.malformed = true;
        break;
      }
      prev = type;
      next = following;
      if (next === LayerType.Payload && offset >= end) break; // nothing left to call payload
    }
    // A payload cut by the snapshot length is normal (caplen < length); `truncated` is set only
    // when the cut went through a header.
    return this;
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
    const off = this.appOffset;
    return off < 0 ? this.data.subarray(0, 0) : this.data.subarray(off, off + this.appLength);
  }
}
