// UDP.
import { BaseLayer } from './base';
import { LayerType } from '../vocab/layers';
import { isDnsPort } from '../vocab/ports';

/** What udpCheck() found when the header is not whole (a whole header gives its length field, 0 or more). */
export const enum UdpHeader {
  /** Fewer than 8 bytes captured (truncated). */
  Cut = -1,
  /** A length field (other than 0) below 8 (malformed). */
  Bad = -2,
}

/** A UDP header at `offset`: its length field when whole (0 or at least 8), else UdpHeader.Cut or UdpHeader.Bad. */
export function udpCheck(data: Buffer, offset: number, end: number): number {
  if (end - offset < 8) return UdpHeader.Cut;
  const length = (data[offset + 4] << 8) | data[offset + 5];
  return length !== 0 && length < 8 ? UdpHeader.Bad : length;
}

/**
 * Where the data of a UDP header at `offset` ends: at its length field, unless the capture
 * (or the IP datagram) ends first at `end`, or the field is 0 (as in jumbograms).
 */
export function udpEnd(offset: number, length: number, end: number): number {
  const stop = length >= 8 ? offset + length : end;
  return stop > end ? end : stop;
}

export class UDP extends BaseLayer {
  readonly type = LayerType.UDP;
  srcPort = 0;
  dstPort = 0;
  /** The length field (header + data). */
  length = 0;

  decode(data: Buffer, offset: number, end: number, base = 0, limit = data.length): LayerType {
    if (this.buf !== data) this.buf = data;
    this.base = base; this.limit = limit; this.at = offset;
    this.headerLength = this.payloadLength = 0; this.truncated = this.malformed = false;
    this.srcPort = this.dstPort = this.length = 0;
    const check = udpCheck(data, offset, end);
    if (check === UdpHeader.Cut) return this.cut();
    // Plain byte reads (bounds checked above): readUInt16BE is a call in the per-packet path.
    this.srcPort = (data[offset] << 8) | data[offset + 1];
    this.dstPort = (data[offset + 2] << 8) | data[offset + 3];
    this.length = (data[offset + 4] << 8) | data[offset + 5];
    this.headerLength = 8;
    if (check === UdpHeader.Bad) return this.bad();
    this.payloadLength = udpEnd(offset, this.length, end) - offset - 8;
    if (this.payloadLength > 0 && (isDnsPort(this.srcPort) || isDnsPort(this.dstPort))) return LayerType.DNS;
    return this.payloadLength > 0 ? LayerType.Payload : LayerType.None;
  }

  /** @internal A whole header, checked by the Decoder's straight path. */
  fill(data: Buffer, base: number, limit: number, at: number, srcPort: number, dstPort: number, length: number, payloadLength: number): void {
    if (this.buf !== data) this.buf = data;
    this.base = base; this.limit = limit; this.at = at;
    this.headerLength = 8; this.payloadLength = payloadLength; this.truncated = this.malformed = false;
    this.srcPort = srcPort; this.dstPort = dstPort; this.length = length;
  }

  /** The port fields as captured, also of a header cut short after them (srcPort and dstPort stay 0 then). */
  get srcPortField(): number {
    return this.u16(this.at);
  }
  get dstPortField(): number {
    return this.u16(this.at + 2);
  }
  get checksum(): number {
    return this.u16(this.at + 6);
  }
}
