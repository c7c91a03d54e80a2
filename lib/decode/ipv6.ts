// IPv6 with its extension headers (hop-by-hop, routing, fragment, destination options, AH).
// They are walked as part of this layer: `nextHeader` is the fixed header's field (what
// tshark calls ipv6.nxt), `protocol` the upper-layer protocol found after the extensions.
import { BaseLayer, Header, ipv6String } from './base';
import { LayerType } from '../vocab/layers';
import { IPPROTO, isIpv6Extension, nextForIpProtocol } from '../vocab/ip-protocols';

/** The fixed IPv6 header at `offset`: 40 bytes (else Header.Cut), version 6 (else Header.Bad). */
export function ipv6Check(data: Buffer, offset: number, end: number): number {
  if (end - offset < 40) return Header.Cut;
  return data[offset] >> 4 !== 6 ? Header.Bad : Header.Whole;
}

/**
 * Where the datagram of a header at `offset` ends within the capture (which ends at `end`).
 * Payload length 0 is a jumbogram (hop-by-hop option): the datagram runs to the frame's end.
 */
export function ipv6DatagramEnd(offset: number, payloadLengthField: number, end: number): number {
  const e = payloadLengthField === 0 ? end : offset + 40 + payloadLengthField;
  return e > end ? end : e;
}

export class IPv6 extends BaseLayer {
  readonly type = LayerType.IPv6;
  payloadLengthField = 0;
  nextHeader = 0;
  /** Upper-layer protocol after the extension headers. */
  protocol = 0;
  /** Extension header types in order (reused array). */
  readonly extensions: number[] = [];
  /** Fragment header fields when present (offset in 8-byte units). */
  hasFragment = false;
  fragmentOffset = 0;
  moreFragments = false;
  fragmentId = 0;

  decode(data: Buffer, offset: number, end: number, base = 0, limit = data.length): LayerType {
    if (this.buf !== data) this.buf = data;
    this.base = base; this.limit = limit; this.at = offset;
    this.headerLength = this.payloadLength = 0; this.truncated = this.malformed = false;
    this.payloadLengthField = this.nextHeader = this.protocol = 0;
    this.extensions.length = 0;
    this.hasFragment = false;
    this.fragmentOffset = 0;
    this.moreFragments = false;
    this.fragmentId = 0;
    const check = ipv6Check(data, offset, end);
    if (check === Header.Cut) return this.cut();
    if (check === Header.Bad) return this.bad();
    this.payloadLengthField = (data[offset + 4] << 8) | data[offset + 5];
    this.nextHeader = data[offset + 6];
    const datagramEnd = ipv6DatagramEnd(offset, this.payloadLengthField, end);
    let p = offset + 40;
    let nh = this.nextHeader;
    let laterFragment = false;
    // Every extension header is at least 8 bytes and must fit in the datagram, so the walk is
    // bounded by the datagram's length; real packets may carry long chains (tcpdump's tests
    // have one with over 100 headers), and stopping early would report an extension header
    // as the upper-layer protocol.
    while (isIpv6Extension(nh)) {
      if (datagramEnd - p < 8) return this.cutAt(p, nh, datagramEnd);
      if (nh !== IPPROTO.FRAGMENT) {
        // AH (51) counts its length in 4-byte units minus 2; the others in 8-byte units minus 1.
        const len = nh === IPPROTO.AH ? (data[p + 1] + 2) * 4 : (data[p + 1] + 1) * 8;
        if (datagramEnd - p < len) return this.cutAt(p, nh, datagramEnd);
        this.extensions.push(nh);
        nh = data[p];
        p += len;
        continue;
      }
      this.extensions.push(nh);
      const fo = data.readUInt16BE(p + 2);
      if (!this.hasFragment) {
        // The outermost Fragment header is this packet's (tshark reports that one too).
        this.hasFragment = true;
        this.fragmentOffset = fo >>> 3;
        this.moreFragments = (fo & 1) !== 0;
        this.fragmentId = data.readUInt32BE(p + 4);
      }
      nh = data[p];
      p += 8;
      // In a later fragment what follows is fragment data, not more headers.
      if (fo >>> 3 !== 0) {
        laterFragment = true;
        break;
      }
    }
    this.protocol = nh;
    this.headerLength = p - offset;
    this.payloadLength = datagramEnd - p;
    if (laterFragment) return LayerType.Payload;
    return nextForIpProtocol(nh);
  }

  /** @internal A whole fixed header with no extension headers, checked by the Decoder's straight path. */
  fill(data: Buffer, base: number, limit: number, at: number, payloadLengthField: number, nextHeader: number, datagramEnd: number): void {
    if (this.buf !== data) this.buf = data;
    this.base = base; this.limit = limit; this.at = at;
    this.headerLength = 40; this.payloadLength = datagramEnd - at - 40; this.truncated = this.malformed = false;
    this.payloadLengthField = payloadLengthField; this.nextHeader = this.protocol = nextHeader;
    if (this.extensions.length !== 0) this.extensions.length = 0;
    this.hasFragment = false; this.fragmentOffset = 0; this.moreFragments = false; this.fragmentId = 0;
  }

  // An extension header cut by the capture: keep what was decoded, stop here.
  private cutAt(p: number, nh: number, datagramEnd: number): LayerType {
    this.protocol = nh;
    this.headerLength = p - this.at;
    this.payloadLength = datagramEnd - p;
    return this.cut();
  }

  /** The version field: 6 for a decoded header, what the bytes say for a malformed one. */
  get version(): number {
    return this.u8(this.at) >> 4;
  }
  get trafficClass(): number {
    return (this.u16(this.at) >> 4) & 0xff;
  }
  get flowLabel(): number {
    return this.u32(this.at) & 0xfffff;
  }
  get hopLimit(): number {
    return this.u8(this.at + 7);
  }
  get src(): string {
    return this.captured(this.at + 8, 16) ? ipv6String(this.buf, this.at + 8) : '';
  }
  get dst(): string {
    return this.captured(this.at + 24, 16) ? ipv6String(this.buf, this.at + 24) : '';
  }
  get datagramEnd(): number {
    return this.at - this.base + this.headerLength + this.payloadLength;
  }
  /**
   * In a later fragment the walk stops after the first Fragment header with a non-zero offset:
   * that header's offset (8-byte units), else 0. Unlike fragmentOffset (the outermost header's)
   * it is non-zero whenever fragment data, not headers, follow.
   */
  get laterFragmentOffset(): number {
    const ext = this.extensions;
    return ext.length > 0 && ext[ext.length - 1] === IPPROTO.FRAGMENT ? this.u16(this.at + this.headerLength - 6) >>> 3 : 0;
  }
}
