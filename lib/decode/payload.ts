// Whatever no decoder claims: application data, unknown protocols, non-first fragments.
import { BaseLayer } from './base';
import { LayerType } from './types';

export class Payload extends BaseLayer {
  readonly type = LayerType.Payload;

  decode(data: Buffer, offset: number, end: number): LayerType {
    this.begin(data, offset);
    this.headerLength = 0;
    this.payloadLength = Math.max(0, end - offset);
    return LayerType.None;
  }
}
