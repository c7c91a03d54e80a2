// IPv4: header with options; fragments decode their transport header only at offset 0.
import { BaseLayer, ipv4String } from './base';
import { LayerType } from '../vocab/layers';
import { nextForIpProtocol } from '../vocab/ip-protocols';

/**
 * What ipv4Check() found when the header is not whole, in the order it checks (decode() keeps
 * the fields read before that point, as it always has). A whole header gives its length
 * instead, 20 (Ipv4Header.Whole) or more.
 */
export const enum Ipv4Header {
  /** The least a whole header's result can be: results from 20 up are header lengths. */
  Whole = 20,
  /** Fewer than 20 bytes captured (truncated). */
  Short = 1,
  /** The version field is not 4 (malformed). */
  BadVersion = 2,
  /** IHL below 5 (malformed). */
  BadIhl = 3,
  /** The capture ends inside the options (truncated). */
  CutOptions = 4,
  /** A total length (other than 0) shorter than the header (malformed). */
  BadTotalLength = 5,
}

/**
 * An IPv4 header at `offset` of `data`, captured bytes ending at `end`: its length when whole
 * (at least Ipv4Header.Whole), else why not. The caller then reads the fields it needs without
 * checking again (the Decoder's straight path reads each byte once).
 */
export function ipv4Check(data: Buffer, offset: number, end: number): number {
  if (end - offset < 20) return Ipv4Header.Short;
  const vihl = data[offset];
  if (vihl >> 4 !== 4) return Ipv4Header.BadVersion;
  const hlen = (vihl & 0x0f) * 4;
  if (hlen < 20) return Ipv4Header.BadIhl;
  if (end - offset < hlen) return Ipv4Header.CutOptions;
  const totalLength = (data[offset + 2] << 8) | data[offset + 3];
  if (totalLength !== 0 && totalLength < hlen) return Ipv4Header.BadTotalLength;
  return hlen;
}

/**
 * Where the datagram of a header at `offset` ends within the capture (which ends at `end`): at
 * its total length, unless the capture stops first. A total length of 0 is TSO/BIG TCP: the
 * datagram runs to the end of the frame.
 */
export function ipv4DatagramEnd(offset: number, totalLength: number, end: number): number {
  const e = totalLength === 0 ? end : offset + totalLength;
  return e > end ? end : e;
}

export class IPv4 extends BaseLayer {
  readonly type = LayerType.IPv4;
  ihl = 0;
  totalLength = 0;
  protocol = 0;
  flags = 0;
  /** Fragment offset field (8-byte units, as on the wire). */
  fragmentOffset = 0;

  decode(data: Buffer, offset: number, end: number, base = 0, limit = data.length): LayerType {
    if (this.buf !== data) this.buf = data;
    this.base = base; this.limit = limit; this.at = offset;
    this.headerLength = this.payloadLength = 0; this.truncated = this.malformed = false;
    this.ihl = this.totalLength = this.protocol = this.flags = this.fragmentOffset = 0;
    const check = ipv4Check(data, offset, end);
    if (check === Ipv4Header.Short) return this.cut();
    if (check === Ipv4Header.BadVersion) return this.bad();
    this.ihl = data[offset] & 0x0f;
    const hlen = this.ihl * 4;
    if (check === Ipv4Header.BadIhl) return this.bad();
    // Plain byte reads (bounds checked above): readUInt16BE is a call in the per-packet path.
    this.totalLength = (data[offset + 2] << 8) | data[offset + 3];
    const ff = (data[offset + 6] << 8) | data[offset + 7];
    this.flags = ff >>> 13;
    this.fragmentOffset = ff & 0x1fff;
    this.protocol = data[offset + 9];
    if (check === Ipv4Header.CutOptions) return this.cut();
    this.headerLength = hlen;
    if (check === Ipv4Header.BadTotalLength) return this.bad();
    // The payload ends where the IP datagram ends, unless the capture stops first.
    this.payloadLength = ipv4DatagramEnd(offset, this.totalLength, end) - offset - hlen;
    if (this.fragmentOffset !== 0) return LayerType.Payload;
    return nextForIpProtocol(this.protocol);
  }

  /** @internal A whole header (fragments too), checked by the Decoder's straight path. */
  fill(data: Buffer, base: number, limit: number, at: number, headerLength: number, totalLength: number, fragField: number, protocol: number, datagramEnd: number): void {
    if (this.buf !== data) this.buf = data;
    this.base = base; this.limit = limit; this.at = at;
    this.ihl = headerLength >> 2;
    this.headerLength = headerLength; this.payloadLength = datagramEnd - at - headerLength;
    this.truncated = this.malformed = false;
    this.totalLength = totalLength; this.protocol = protocol;
    this.flags = fragField >>> 13; this.fragmentOffset = fragField & 0x1fff;
  }

  /** End of the datagram within the capture (excludes Ethernet padding). */
  get datagramEnd(): number {
    return this.at - this.base + this.headerLength + this.payloadLength;
  }
  /** The version field: 4 for a decoded header, what the bytes say for a malformed one. */
  get version(): number {
    return this.u8(this.at) >> 4;
  }
  get tos(): number {
    return this.u8(this.at + 1);
  }
  get id(): number {
    return this.u16(this.at + 4);
  }
  get dontFragment(): boolean {
    return (this.flags & 0b010) !== 0;
  }
  get moreFragments(): boolean {
    return (this.flags & 0b001) !== 0;
  }
  get ttl(): number {
    return this.u8(this.at + 8);
  }
  get checksum(): number {
    return this.u16(this.at + 10);
  }
  get src(): string {
    return this.captured(this.at + 12, 4) ? ipv4String(this.buf, this.at + 12) : '';
  }
  get dst(): string {
    return this.captured(this.at + 16, 4) ? ipv4String(this.buf, this.at + 16) : '';
  }
  /** Source address as a 32-bit number (no string made). */
  get srcInt(): number {
    return this.addrInt(this.at + 12);
  }
  get dstInt(): number {
    return this.addrInt(this.at + 16);
  }
  // The base class's u32 is shared by every layer class, so its property reads are
  // megamorphic; the addresses are read per packet in hot loops, so they get their own.
  private addrInt(p: number): number {
    const b = this.buf;
    return p + 4 <= this.limit ? ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0 : 0;
  }
  /** The options bytes (a view; empty when IHL is 5). */
  get options(): Buffer {
    return this.buf.subarray(this.at + 20, this.at + this.headerLength);
  }
}
