// Whatever no decoder claims: application data, unknown protocols, non-first fragments.
import { BaseLayer } from './base';
import { LayerType } from '../vocab/layers';

export class Payload extends BaseLayer {
  readonly type = LayerType.Payload;

  decode(data: Buffer, offset: number, end: number, base = 0, limit = data.length): LayerType {
    if (this.buf !== data) this.buf = data;
    this.base = base; this.limit = limit; this.at = offset;
    this.headerLength = this.payloadLength = 0; this.truncated = this.malformed = false;
    this.headerLength = 0;
    this.payloadLength = Math.max(0, end - offset);
    return LayerType.None;
  }

  /** @internal `payloadLength` bytes at `at`, for the Decoder's straight path. */
  fill(data: Buffer, base: number, limit: number, at: number, payloadLength: number): void {
    if (this.buf !== data) this.buf = data;
    this.base = base; this.limit = limit; this.at = at;
    this.headerLength = 0; this.payloadLength = payloadLength; this.truncated = this.malformed = false;
  }
}
