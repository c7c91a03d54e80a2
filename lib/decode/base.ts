// Shared plumbing for layer decoders: the reset every decode starts with, and the small
// formatting helpers (only called when a field is read as text).
import type { DecodingLayer, LayerType } from './types';

const EMPTY = Buffer.alloc(0);

export abstract class BaseLayer implements DecodingLayer {
  abstract readonly type: LayerType;
  data: Buffer = EMPTY;
  offset = 0;
  headerLength = 0;
  payloadLength = 0;
  truncated = false;
  malformed = false;

  /** Points the layer at a new header; every decode starts here. */
  protected begin(data: Buffer, offset: number): void {
    this.data = data;
    this.offset = offset;
    this.headerLength = 0;
    this.payloadLength = 0;
    this.truncated = false;
    this.malformed = false;
  }

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

  // Reads for field getters. A truncated layer's header may end before a field: such a field
  // reads as 0 (and text fields as '') instead of reading past the packet.
  /** True when `n` bytes at `at` lie within the captured packet. */
  protected captured(at: number, n: number): boolean {
    return at + n <= this.data.length;
  }
  protected u8(at: number): number {
    return at < this.data.length ? this.data[at] : 0;
  }
  protected u16(at: number): number {
    return at + 2 <= this.data.length ? this.data.readUInt16BE(at) : 0;
  }
  protected u32(at: number): number {
    return at + 4 <= this.data.length ? this.data.readUInt32BE(at) : 0;
  }

  /** Start of the payload in `data`. */
  get payloadOffset(): number {
    return this.offset + this.headerLength;
  }

  /** The header bytes (a view). */
  get contents(): Buffer {
    return this.data.subarray(this.offset, this.offset + this.headerLength);
  }

  /** The payload bytes within the capture (a view). */
  get payload(): Buffer {
    const start = this.offset + this.headerLength;
    return this.data.subarray(start, start + this.payloadLength);
  }

  abstract decode(data: Buffer, offset: number, end: number): LayerType;
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
