// Shared plumbing for layer decoders: the fields every layer has, bounded reads for field
// getters, and the small formatting helpers (only called when a field is read as text).
import type { DecodingLayer, LayerType } from './types';

const EMPTY = Buffer.alloc(0);

/**
 * What a header check (ethernetCheck, ipv4Check, tcpCheck, ...) found: a whole, sound header,
 * or why decoding stops there. Each layer's decode() and the Decoder's straight path call the
 * same check, so the two cannot disagree on what a whole, sound header is. Checks are small
 * functions on numbers that V8 inlines into both, and a const enum is a plain number in the
 * compiled code (no property load per packet).
 */
export const enum Header {
  /** A whole, sound header. */
  Whole = 0,
  /** The capture ends inside the header (truncated). */
  Cut = 1,
  /** A field makes no sense (malformed). */
  Bad = 2,
}

/**
 * Where a layer lies. A Decoder decodes a packet in place, wherever its bytes are (a packet's
 * own `data`, or the batch arena the packet sits in, so no view is made per packet): `buf` is
 * that memory, the packet is `buf[base, limit)`, and this layer's header starts at `buf[at]`.
 * The public `offset`, `data` and `payloadOffset` are relative to the packet, as if it had
 * been decoded from its own `data`.
 *
 * Every layer's decode() resets these fields in its own code rather than in a shared helper:
 * a store in code that all 14 layer classes run sees 14 hidden classes, which V8 makes
 * megamorphic (a slow generic store each), and that was a third of the decoding time.
 * They store `buf` only when it changed (`if (this.buf !== data)`): packets of one batch share
 * its arena, and storing a young buffer into these long-lived objects costs a write barrier
 * call each time (~4% of a streaming decode loop).
 */
export abstract class BaseLayer implements DecodingLayer {
  abstract readonly type: LayerType;
  /** @internal The memory the packet lies in. */
  buf: Buffer = EMPTY;
  /** @internal Index in `buf` of the packet's first byte. */
  base = 0;
  /** @internal Index in `buf` just past the packet's captured bytes. */
  limit = 0;
  /** @internal Index in `buf` of this layer's header. */
  at = 0;
  headerLength = 0;
  payloadLength = 0;
  truncated = false;
  malformed = false;

  /** Marks the layer cut short by the capture; returns LayerType.None (0) to stop. */
  protected cut(): LayerType {
    this.truncated = true;
    return 0 as LayerType;
  }

  /** Marks the layer as nonsense; returns LayerType.None (0) to stop. */
  protected bad(): LayerType {
    this.malformed = true;
    return 0 as LayerType;
  }

  // Reads for field getters (absolute indexes into `buf`). A truncated layer's header may end
  // before a field: such a field reads as 0 (and text fields as '') instead of reading past
  // the packet.
  /** True when `n` bytes at `at` lie within the captured packet. */
  protected captured(at: number, n: number): boolean {
    return at + n <= this.limit;
  }
  protected u8(at: number): number {
    return at < this.limit ? this.buf[at] : 0;
  }
  protected u16(at: number): number {
    const b = this.buf;
    return at + 2 <= this.limit ? (b[at] << 8) | b[at + 1] : 0;
  }
  protected u32(at: number): number {
    const b = this.buf;
    return at + 4 <= this.limit ? ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0 : 0;
  }

  /** Start of this layer's header in the packet's `data`. */
  get offset(): number {
    return this.at - this.base;
  }

  /** The captured bytes of the packet this layer was decoded from (a view, made on each read). */
  get data(): Buffer {
    return this.buf.subarray(this.base, this.limit);
  }

  /** Start of the payload in the packet's `data`. */
  get payloadOffset(): number {
    return this.at - this.base + this.headerLength;
  }

  /** The header bytes (a view). */
  get contents(): Buffer {
    return this.buf.subarray(this.at, this.at + this.headerLength);
  }

  /** The payload bytes within the capture (a view). */
  get payload(): Buffer {
    const start = this.at + this.headerLength;
    return this.buf.subarray(start, start + this.payloadLength);
  }

  /**
   * Decodes the header at `offset` of `data`, captured bytes ending at `end`. `base` and
   * `limit` say where the packet lies in `data` when `data` holds more than the packet (the
   * Decoder passes a batch arena); by default `data` is the packet.
   */
  abstract decode(data: Buffer, offset: number, end: number, base?: number, limit?: number): LayerType;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function macString(b: Buffer, off: number): string {
  return `${HEX[b[off]]}:${HEX[b[off + 1]]}:${HEX[b[off + 2]]}:${HEX[b[off + 3]]}:${HEX[b[off + 4]]}:${HEX[b[off + 5]]}`;
}

/** Colon-separated hex of `n` bytes: a link address of any length, as tcpdump writes one. */
export function linkAddrString(b: Buffer, off: number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += i === 0 ? HEX[b[off + i]] : `:${HEX[b[off + i]]}`;
  return s;
}

export function ipv4String(b: Buffer, off: number): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** RFC 5952 text form: lowercase, longest run of zero groups (>= 2) as '::'. */
export function ipv6String(b: Buffer, off: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(b.readUInt16BE(off + i * 2));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return g.map((x) => x.toString(16)).join(':');
  const head = g.slice(0, bestStart).map((x) => x.toString(16)).join(':');
  const tail = g.slice(bestStart + bestLen).map((x) => x.toString(16)).join(':');
  return `${head}::${tail}`;
}
