// ICMP for IPv4 and ICMPv6: type, code, checksum, and echo identifier/sequence.
import { BaseLayer } from './base';
import { LayerType } from '../vocab/layers';

abstract class IcmpBase extends BaseLayer {
  icmpType = 0;
  code = 0;

  decode(data: Buffer, offset: number, end: number, base = 0, limit = data.length): LayerType {
    if (this.buf !== data) this.buf = data;
    this.base = base; this.limit = limit; this.at = offset;
    this.headerLength = this.payloadLength = 0; this.truncated = this.malformed = false;
    this.icmpType = this.code = 0;
    if (end - offset < 4) return this.cut();
    this.icmpType = data[offset];
    this.code = data[offset + 1];
    // Echo, timestamp and error messages all have 4 more header bytes; the rest is payload.
    this.headerLength = end - offset >= 8 ? 8 : 4;
    this.payloadLength = end - offset - this.headerLength;
    return this.payloadLength > 0 ? LayerType.Payload : LayerType.None;
  }

  /** Type and code as captured, also of a header cut short after them (icmpType and code stay 0 then). */
  get typeField(): number {
    return this.u8(this.at);
  }
  get codeField(): number {
    return this.u8(this.at + 1);
  }
  get checksum(): number {
    return this.u16(this.at + 2);
  }
  /** Bytes 4-7 of the header (rest-of-header), or 0 when cut. */
  get restOfHeader(): number {
    return this.headerLength >= 8 ? this.buf.readUInt32BE(this.at + 4) : 0;
  }
  get id(): number {
    return this.restOfHeader >>> 16;
  }
  get seq(): number {
    return this.restOfHeader & 0xffff;
  }
  abstract get isEcho(): boolean;
}

export class ICMPv4 extends IcmpBase {
  readonly type = LayerType.ICMPv4;
  get isEcho(): boolean {
    return this.icmpType === 0 || this.icmpType === 8;
  }
}

export class ICMPv6 extends IcmpBase {
  readonly type = LayerType.ICMPv6;
  get isEcho(): boolean {
    return this.icmpType === 128 || this.icmpType === 129;
  }
}
