// The contract every decoding layer follows (layer ids and names: vocab/layers).
//
// The model is gopacket's DecodingLayerParser: a Decoder owns one reusable object per layer
// kind; decoding a packet overwrites those objects in place (offsets and a few integers) and
// allocates nothing. Field getters read straight from the packet bytes when asked, and
// addresses become strings only when read.

import type { LayerType } from '../vocab/layers';
export type { LayerType };

/**
 * What a layer decoder does. `decode` reads the header at `offset` of `data` (captured bytes
 * end at `end`) and returns the next layer's type, or LayerType.None to stop. It never
 * throws and never reads past `end`: a short header sets `truncated`, nonsense sets
 * `malformed`, and decoding stops there.
 */
export interface DecodingLayer {
  readonly type: LayerType;
  /** Start of this layer's header in `data`. */
  offset: number;
  /** Header length in bytes (what this layer consumed). */
  headerLength: number;
  /** Bytes after the header that belong to this layer's payload (within the capture). */
  payloadLength: number;
  truncated: boolean;
  malformed: boolean;
  decode(data: Buffer, offset: number, end: number): LayerType;
}
