// decode(pkt): the convenient, allocating way to look at one packet. For loops over many
// packets, reuse one Decoder and call summary(decoder) & co. instead.
import type { BaseLayer } from './base';
import type { ARP } from './arp';
import type { DNS } from './dns';
import type { Dot1Q } from './dot1q';
import type { Ethernet } from './ethernet';
import type { ICMPv4, ICMPv6 } from './icmp';
import type { IPv4 } from './ipv4';
import type { IPv6 } from './ipv6';
import type { LinuxSLL, LinuxSLL2, Loopback } from './link';
import type { Payload } from './payload';
import type { TCP } from './tcp';
import type { UDP } from './udp';
import { Decoder, type DecodablePacket } from './decoder';
import { LayerType } from '../vocab/layers';
import { hexdump, type HexdumpOptions } from './hexdump';
import { toJSON, type DecodedJSON, type JSONOptions } from './json';
import { show } from './show';
import { layerObjects, summary } from './summary';

/** One packet decoded by its own Decoder. Layer getters are undefined when the layer is absent. */
export class DecodedPacket {
  /** The Decoder holding this packet's layers (owned by this object; do not reuse it). */
  readonly decoder: Decoder;
  /** Seconds and nanoseconds of the packet's timestamp, when it came with one (a Packet). */
  readonly tsSec: number | undefined;
  readonly tsNsec: number | undefined;

  constructor(decoder: Decoder, ts?: { tsSec: number; tsNsec: number }) {
    this.decoder = decoder;
    this.tsSec = ts?.tsSec;
    this.tsNsec = ts?.tsNsec;
  }

  /** Timestamp as float seconds, when known. */
  get timestamp(): number | undefined {
    return this.tsSec === undefined ? undefined : this.tsSec + (this.tsNsec ?? 0) / 1e9;
  }

  /** The captured bytes. */
  get data(): Buffer {
    return this.decoder.data;
  }
  get linktype(): number {
    return this.decoder.linktype;
  }
  /** Bytes captured. */
  get caplen(): number {
    return this.decoder.data.length;
  }
  /** Bytes on the wire. */
  get length(): number {
    return this.decoder.wireLength;
  }
  /** Some header was cut short by the capture. */
  get truncated(): boolean {
    return this.decoder.truncated;
  }
  /** Some header made no sense; decoding stopped there. */
  get malformed(): boolean {
    return this.decoder.malformed;
  }
  /** The layer objects, outermost first (one per 802.1Q tag). */
  get layers(): BaseLayer[] {
    return layerObjects(this.decoder);
  }
  /** The layer types, outermost first. */
  get layerTypes(): LayerType[] {
    return this.decoder.layers;
  }
  has(type: LayerType): boolean {
    return this.decoder.has(type);
  }

  private get<T>(type: LayerType, layer: T): T | undefined {
    return this.decoder.has(type) ? layer : undefined;
  }
  get ethernet(): Ethernet | undefined {
    return this.get(LayerType.Ethernet, this.decoder.ethernet);
  }
  /** 802.1Q/802.1ad tags, outermost first (empty when none). */
  get vlans(): Dot1Q[] {
    return this.decoder.vlans.slice(0, this.decoder.vlanCount);
  }
  get sll(): LinuxSLL | undefined {
    return this.get(LayerType.LinuxSLL, this.decoder.sll);
  }
  get sll2(): LinuxSLL2 | undefined {
    return this.get(LayerType.LinuxSLL2, this.decoder.sll2);
  }
  get loopback(): Loopback | undefined {
    return this.get(LayerType.Loopback, this.decoder.loopback);
  }
  get arp(): ARP | undefined {
    return this.get(LayerType.ARP, this.decoder.arp);
  }
  get ipv4(): IPv4 | undefined {
    return this.get(LayerType.IPv4, this.decoder.ipv4);
  }
  get ipv6(): IPv6 | undefined {
    return this.get(LayerType.IPv6, this.decoder.ipv6);
  }
  get tcp(): TCP | undefined {
    return this.get(LayerType.TCP, this.decoder.tcp);
  }
  get udp(): UDP | undefined {
    return this.get(LayerType.UDP, this.decoder.udp);
  }
  get icmpv4(): ICMPv4 | undefined {
    return this.get(LayerType.ICMPv4, this.decoder.icmpv4);
  }
  get icmpv6(): ICMPv6 | undefined {
    return this.get(LayerType.ICMPv6, this.decoder.icmpv6);
  }
  get dns(): DNS | undefined {
    return this.get(LayerType.DNS, this.decoder.dns);
  }
  get payload(): Payload | undefined {
    return this.get(LayerType.Payload, this.decoder.payload);
  }
  /** The network layer (IPv4 or IPv6), if any. */
  get network(): IPv4 | IPv6 | undefined {
    return this.decoder.network;
  }
  /** The transport layer (TCP or UDP), if any. */
  get transport(): TCP | UDP | undefined {
    return this.decoder.transport;
  }

  /** One line, scapy style: `Ether / IP / TCP 10.0.0.1:443 > 10.0.0.2:5555 SA / Raw`. */
  summary(): string {
    return summary(this.decoder);
  }
  /** One field per line per layer, scapy's show() layout. */
  show(): string {
    return show(this.decoder);
  }
  /** JSON data (DecodedJSON); also what JSON.stringify(decodedPacket) uses. */
  toJSON(options?: JSONOptions): DecodedJSON {
    // JSON.stringify passes the property key as the first argument
    return toJSON(this.decoder, typeof options === 'object' && options !== null ? options : {});
  }
  /** `hexdump -C` of the captured bytes. */
  hexdump(options?: HexdumpOptions): string {
    return hexdump(this.decoder.data, options);
  }
}

/**
 * Decodes one packet with a Decoder of its own: a Packet (or anything with `data` and
 * `linktype`), or bytes and a link type (default 1, Ethernet).
 */
export function decode(pkt: DecodablePacket | Uint8Array, linktype = 1): DecodedPacket {
  const decoder = new Decoder();
  if (pkt instanceof Uint8Array) {
    const buf = Buffer.isBuffer(pkt) ? pkt : Buffer.from(pkt.buffer, pkt.byteOffset, pkt.byteLength);
    decoder.decode(buf, linktype, buf.length);
  } else {
    decoder.decodePacket(pkt);
    const ts = pkt as { tsSec?: unknown; tsNsec?: unknown };
    if (typeof ts.tsSec === 'number' && typeof ts.tsNsec === 'number') {
      return new DecodedPacket(decoder, { tsSec: ts.tsSec, tsNsec: ts.tsNsec });
    }
  }
  return new DecodedPacket(decoder);
}
