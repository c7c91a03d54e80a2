// Packets and batches. A batch owns one arena (the packets' bytes back to back) and a header
// table; a Packet is a small view into it. Arenas are never reused while anything references
// them, so a Packet (or its `data`) kept for later stays valid: nothing is overwritten behind
// the user's back.
import {
  HDR_STRIDE,
  H_CAPLEN,
  H_IFINDEX,
  H_LEN,
  H_LINKTYPE,
  H_OFFSET,
  H_TS_NSEC,
  H_TS_SEC,
} from './binding';
import { PcapError } from './errors';

/**
 * One captured packet: its pcap header fields and `data`, a zero-copy view into the batch it
 * came in (valid for as long as you keep the packet).
 */
export class Packet {
  /** Seconds since the epoch (integer, exact). */
  readonly tsSec: number;
  /** Nanoseconds within the second (integer; a multiple of 1000 for microsecond sources). */
  readonly tsNsec: number;
  /** Bytes captured (`data.length`). */
  readonly caplen: number;
  /** Bytes on the wire (may exceed `caplen` when the snapshot length cut the packet). */
  readonly length: number;
  /** Link type (DLT value) of this packet. */
  readonly linktype: number;
  /** pcapng interface index (0 for pcap files and live captures). */
  readonly interfaceIndex: number;
  /** @internal The batch arena the packet's bytes lie in (decoders read them there). */
  readonly arena_: Buffer;
  /** @internal Index of the packet's first byte in `arena_`. */
  readonly offset_: number;
  private _data: Buffer | undefined;

  constructor(
    tsSec: number,
    tsNsec: number,
    caplen: number,
    length: number,
    linktype: number,
    interfaceIndex: number,
    arena: Buffer,
    offset: number,
  ) {
    this.tsSec = tsSec;
    this.tsNsec = tsNsec;
    this.caplen = caplen;
    this.length = length;
    this.linktype = linktype;
    this.interfaceIndex = interfaceIndex;
    this.arena_ = arena;
    this.offset_ = offset;
    this._data = undefined;
  }

  /** @internal The `data` view if it was made already (undefined otherwise). */
  get dataIfMade_(): Buffer | undefined {
    return this._data;
  }

  /** The captured bytes: a view into the batch arena, created on first use, never copied. */
  get data(): Buffer {
    let d = this._data;
    if (d === undefined) {
      d = this.arena_.subarray(this.offset_, this.offset_ + this.caplen);
      this._data = d;
    }
    return d;
  }

  /** Seconds since the epoch as a float (microsecond-exact; use tsSec/tsNsec for nanoseconds). */
  get timestamp(): number {
    return this.tsSec + this.tsNsec / 1e9;
  }

  /** Timestamp as a BigInt of nanoseconds since the epoch. */
  get timestampNs(): bigint {
    return BigInt(this.tsSec) * 1_000_000_000n + BigInt(this.tsNsec);
  }

  /** The timestamp as a Date (millisecond resolution). */
  get date(): Date {
    return new Date(this.tsSec * 1000 + Math.floor(this.tsNsec / 1e6));
  }

  /** True when the snapshot length cut the packet (caplen < length). */
  get truncated(): boolean {
    return this.caplen < this.length;
  }

  toJSON(): Record<string, unknown> {
    return {
      tsSec: this.tsSec,
      tsNsec: this.tsNsec,
      caplen: this.caplen,
      length: this.length,
      linktype: this.linktype,
      interfaceIndex: this.interfaceIndex,
      data: this.data.toString('hex'),
    };
  }
}

/**
 * A batch of packets as the native layer delivered them. Iterating it creates Packet views;
 * the accessors read fields without creating any object, for the fastest loops.
 *
 * Lifetime: a batch whose memory you took (`arena`, `headers`, `packet(i)`, `data(i)`, or
 * iterating it) keeps that memory for as long as you hold any of it. A batch used only through
 * the accessors (`caplen(i)`, `tsSec(i)`, ...) is recycled when the loop moves on to the next
 * batch; using it after that throws ECLOSED instead of showing other data.
 */
export class PacketBatch implements Iterable<Packet> {
  readonly count: number;
  private readonly _arena: Buffer;
  private readonly _headers: Float64Array;
  private _exposed = false;
  private _recycled = false;

  constructor(arena: Buffer, headers: Float64Array, count: number) {
    this._arena = arena;
    this._headers = headers;
    this.count = count;
  }

  /** The packets' bytes back to back (a view; taking it keeps the batch's memory alive). */
  get arena(): Buffer {
    this.expose();
    return this._arena;
  }

  /** HDR_STRIDE numbers per packet: tsSec, tsNsec, caplen, len, offset, linktype, ifindex, flags. */
  get headers(): Float64Array {
    this.expose();
    return this._headers;
  }

  /** True once the reader recycled this batch (see the class comment). */
  get recycled(): boolean {
    return this._recycled;
  }

  packet(i: number): Packet {
    if (!(i >= 0 && i < this.count)) throw new RangeError(`packet index ${i} out of range`);
    this.expose();
    const h = this._headers;
    const o = i * HDR_STRIDE;
    return new Packet(
      h[o + H_TS_SEC],
      h[o + H_TS_NSEC],
      h[o + H_CAPLEN],
      h[o + H_LEN],
      h[o + H_LINKTYPE],
      h[o + H_IFINDEX],
      this._arena,
      h[o + H_OFFSET],
    );
  }

  tsSec(i: number): number {
    if (this._recycled) throw recycledError();
    return this._headers[i * HDR_STRIDE + H_TS_SEC];
  }
  tsNsec(i: number): number {
    if (this._recycled) throw recycledError();
    return this._headers[i * HDR_STRIDE + H_TS_NSEC];
  }
  caplen(i: number): number {
    if (this._recycled) throw recycledError();
    return this._headers[i * HDR_STRIDE + H_CAPLEN];
  }
  length(i: number): number {
    if (this._recycled) throw recycledError();
    return this._headers[i * HDR_STRIDE + H_LEN];
  }
  linktype(i: number): number {
    if (this._recycled) throw recycledError();
    return this._headers[i * HDR_STRIDE + H_LINKTYPE];
  }
  /** Byte offset of packet i's data in `arena`. */
  offset(i: number): number {
    if (this._recycled) throw recycledError();
    return this._headers[i * HDR_STRIDE + H_OFFSET];
  }
  /** Packet i's bytes as a view (allocates one Buffer view; keeps the batch's memory alive). */
  data(i: number): Buffer {
    this.expose();
    const o = i * HDR_STRIDE;
    const off = this._headers[o + H_OFFSET];
    return this._arena.subarray(off, off + this._headers[o + H_CAPLEN]);
  }

  *[Symbol.iterator](): Iterator<Packet> {
    for (let i = 0; i < this.count; i++) yield this.packet(i);
  }

  /**
   * @internal Called by the reader when its loop moves past this batch. Gives the memory back
   * at once unless something may still hold a view of it (or `force`, for batches({ recycle })).
   */
  recycle(detach: (block: ArrayBuffer) => void, force: boolean): void {
    if (this._recycled || (this._exposed && !force)) return;
    this._recycled = true;
    detach(this._arena.buffer as ArrayBuffer);
  }

  /**
   * @internal The arena, for code that reads it synchronously and keeps no view (the dumper,
   * decoders over a batch): does not pin the batch's memory.
   */
  get arena_(): Buffer {
    if (this._recycled) throw recycledError();
    return this._arena;
  }

  /** @internal The header table, without pinning the batch (as `arena_`). */
  get headers_(): Float64Array {
    if (this._recycled) throw recycledError();
    return this._headers;
  }

  private expose(): void {
    if (this._recycled) throw recycledError();
    this._exposed = true;
  }
}

function recycledError(): PcapError {
  return new PcapError(
    'ECLOSED',
    'this batch was recycled when the loop moved on; take packet(i), data(i) or arena while iterating to keep its data',
  );
}
