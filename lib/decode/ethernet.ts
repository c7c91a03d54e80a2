// Ethernet II (and 802.3 length frames, whose payload is left undecoded).
import { BaseLayer, Header, macString } from './base';
import { LayerType } from '../vocab/layers';
import { nextForEtherType } from '../vocab/ethertypes';

/** An Ethernet header at `offset`: 14 bytes (Header.Whole or Header.Cut). */
export function ethernetCheck(offset: number, end: number): number {
  return end - offset < 14 ? Header.Cut : Header.Whole;
}

export class Ethernet extends BaseLayer {
  readonly type = LayerType.Ethernet;
  /** EtherType, or the 802.3 length when < 0x0600. */
  etherType = 0;

  decode(data: Buffer, offset: number, end: number, base = 0, limit = data.length): LayerType {
    if (this.buf !== data) this.buf = data;
    this.base = base; this.limit = limit; this.at = offset;
    this.headerLength = this.payloadLength = 0; this.truncated = this.malformed = false;
    this.etherType = 0;
    if (ethernetCheck(offset, end) !== Header.Whole) return this.cut();
    // Plain byte reads (bounds checked above): readUInt16BE is a call in the per-packet path.
    this.etherType = (data[offset + 12] << 8) | data[offset + 13];
    this.headerLength = 14;
    this.payloadLength = end - offset - 14;
    return nextForEtherType(this.etherType);
  }

  /** @internal A whole header at the packet's start, checked by the Decoder's straight path. */
  fill(data: Buffer, base: number, limit: number, etherType: number): void {
    if (this.buf !== data) this.buf = data;
    this.base = base; this.limit = limit; this.at = base;
    this.headerLength = 14; this.payloadLength = limit - base - 14; this.truncated = this.malformed = false;
    this.etherType = etherType;
  }

  get dst(): string {
    return this.captured(this.at, 6) ? macString(this.buf, this.at) : '';
  }
  get src(): string {
    return this.captured(this.at + 6, 6) ? macString(this.buf, this.at + 6) : '';
  }
}
