// IEEE 802.1Q VLAN tags and 802.1ad (QinQ) service tags: 4 bytes each, any depth.
import { BaseLayer, Header } from './base';
import { LayerType } from '../vocab/layers';
import { nextForEtherType } from '../vocab/ethertypes';

/** An 802.1Q tag at `offset`: 4 bytes (Header.Whole or Header.Cut). */
export function dot1qCheck(offset: number, end: number): number {
  return end - offset < 4 ? Header.Cut : Header.Whole;
}

export class Dot1Q extends BaseLayer {
  readonly type = LayerType.Dot1Q;
  /** The TPID that introduced this tag (0x8100, 0x88a8, 0x9100). */
  tpid = 0;
  /** EtherType of what follows the tag. */
  etherType = 0;

  /** `tpid` is the EtherType field that preceded this tag. */
  decodeTag(data: Buffer, offset: number, end: number, tpid: number, base = 0, limit = data.length): LayerType {
    this.tpid = tpid;
    return this.decode(data, offset, end, base, limit);
  }

  decode(data: Buffer, offset: number, end: number, base = 0, limit = data.length): LayerType {
    if (this.buf !== data) this.buf = data;
    this.base = base; this.limit = limit; this.at = offset;
    this.headerLength = this.payloadLength = 0; this.truncated = this.malformed = false;
    this.etherType = 0;
    if (dot1qCheck(offset, end) !== Header.Whole) return this.cut();
    this.etherType = (data[offset + 2] << 8) | data[offset + 3];
    this.headerLength = 4;
    this.payloadLength = end - offset - 4;
    return nextForEtherType(this.etherType);
  }

  /** @internal A whole tag at `at`, checked by the Decoder's straight path. */
  fill(data: Buffer, base: number, limit: number, at: number, tpid: number, etherType: number): void {
    if (this.buf !== data) this.buf = data;
    this.base = base; this.limit = limit; this.at = at;
    this.headerLength = 4; this.payloadLength = limit - at - 4; this.truncated = this.malformed = false;
    this.tpid = tpid; this.etherType = etherType;
  }

  get tci(): number {
    return this.u16(this.at);
  }
  /** Priority code point (0-7). */
  get priority(): number {
    return this.tci >>> 13;
  }
  /** Drop eligible indicator. */
  get dropEligible(): boolean {
    return (this.tci & 0x1000) !== 0;
  }
  get vlanId(): number {
    return this.tci & 0x0fff;
  }
}
