// Packets and batches. A batch owns one arena (the packets' bytes back to back) and a header
// table; a Packet is a small view into it. Arenas are never reused while anything references
// them, so a Packet (or its `data`) kept for later stays valid: nothing is overwritten behind
// the user's back.
import {
  HDR_STRIDE,
  H_CAPLEN,
  H_FLAGS,
  H_IFINDEX,
  H_LEN,
  H_LINKTYPE,
  H_OFFSET,
  H_TS_NSEC,
  H_TS_SEC,
} from './batch-layout';
import { PcapError } from './errors';

/**
 * pcapng packet comments of a batch, by the batch's header table: packet index -> text. Kept
 * beside the batch (most batches have none) so a Packet stays three references.
 */
const batchComments = new WeakMap<Float64Array, Map<number, string>>();

/** @internal Attaches comments ([index, text, ...] as the native reader gives them) to a batch. */
export function attachComments(headers: Float64Array, flat: readonly (number | string)[]): void {
  const m = new Map<number, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) m.set(flat[i] as number, flat[i + 1] as string);
  batchComments.set(headers, m);
}

/** The interface a packet was captured on, as a reader describes it (see CaptureInterface). */
export interface PacketInterface {
  index: number;
  linktype: number;
  snaplen: number;
  name?: string;
  description?: string;
  tsresol: number;
  tsoffset: number;
}

/** A reader's interface list, by batch header table (the list grows as the reader meets IDBs). */
const batchInterfaces = new WeakMap<Float64Array, readonly PacketInterface[]>();

/** @internal Says which reader interface list a batch's interfaceIndex values refer to. */
export function attachInterfaces(headers: Float64Array, list: readonly PacketInterface[]): void {
  batchInterfaces.set(headers, list);
}

/** Packet direction from pcapng epb_flags bits 0-1 (1 inbound, 2 outbound). */
export type Direction = 'in' | 'out';

function directionOf(flags: number): Direction | undefined {
  const d = flags & 3;
  return d === 1 ? 'in' : d === 2 ? 'out' : undefined;
}

/**
 * One captured packet: its pcap header fields and `data`, a zero-copy view into the batch it
 * came in (valid for as long as you keep the packet).
 *
 * A Packet is three references: its header fields are read from the batch's header table
 * when you ask for them, and `data` is made on first use. A `for await` loop then creates as
 * little as possible per packet.
 */
export class Packet {
  /** @internal The header table of the packet's batch (HDR_STRIDE numbers per packet). */
  readonly headers_: Float64Array;
  /** @internal Index of this packet's first number in `headers_`. */
  readonly at_: number;
  /** @internal The batch arena the packet's bytes lie in (decoders read them there). */
  readonly arena_: Buffer;
  private _data: Buffer | undefined;

  /** @internal Packets come from a reader, a socket or a PacketBatch. */
  constructor(headers: Float64Array, at: number, arena: Buffer) {
    this.headers_ = headers;
    this.at_ = at;
    this.arena_ = arena;
    this._data = undefined;
  }

  /** Seconds since the epoch (integer, exact). */
  get tsSec(): number {
    return this.headers_[this.at_ + H_TS_SEC];
  }
  /** Nanoseconds within the second (integer; a multiple of 1000 for microsecond sources). */
  get tsNsec(): number {
    return this.headers_[this.at_ + H_TS_NSEC];
  }
  /** Bytes captured (`data.length`). */
  get caplen(): number {
    return this.headers_[this.at_ + H_CAPLEN];
  }
  /** Bytes on the wire (may exceed `caplen` when the snapshot length cut the packet). */
  get length(): number {
    return this.headers_[this.at_ + H_LEN];
  }
  /** Link type (DLT value) of this packet. */
  get linktype(): number {
    return this.headers_[this.at_ + H_LINKTYPE];
  }
  /** Index of the packet's interface in the reader's `interfaces` (0 for pcap files and live captures). */
  get interfaceIndex(): number {
    return this.headers_[this.at_ + H_IFINDEX];
  }
  /** The interface the packet came from (its entry in the reader's `interfaces`), if known. */
  get interface(): PacketInterface | undefined {
    return batchInterfaces.get(this.headers_)?.[this.interfaceIndex];
  }
  /** pcapng epb_flags (0 when the file gives none). */
  get flags(): number {
    return this.headers_[this.at_ + H_FLAGS];
  }
  /** 'in' or 'out' when the capture recorded it (pcapng epb_flags), else undefined. */
  get direction(): Direction | undefined {
    return directionOf(this.flags);
  }
  /** The packet's comment (pcapng opt_comment), if it has one. */
  get comment(): string | undefined {
    return batchComments.get(this.headers_)?.get(this.at_ / HDR_STRIDE);
  }
  /** @internal Index of the packet's first byte in `arena_`. */
  get offset_(): number {
    return this.headers_[this.at_ + H_OFFSET];
  }

  /** @internal The `data` view if it was made already (undefined otherwise). */
  get dataIfMade_(): Buffer | undefined {
    return this._data;
  }

  /** The captured bytes: a view into the batch arena, created on first use, never copied. */
  get data(): Buffer {
    let d = this._data;
    if (d === undefined) {
      const off = this.offset_;
      d = this.arena_.subarray(off, off + this.caplen);
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

  /** What console.log and util.inspect show: the header fields (the internals are views). */
  [Symbol.for('nodejs.util.inspect.custom')](): object {
    const { tsSec, tsNsec, caplen, length, linktype, interfaceIndex, flags, comment } = this;
    const fields: Record<string, unknown> = { tsSec, tsNsec, caplen, length, linktype, interfaceIndex };
    if (flags) fields.flags = flags;
    if (comment !== undefined) fields.comment = comment;
    return Object.assign(Object.create(PacketFields.prototype) as object, fields);
  }

  toJSON(): Record<string, unknown> {
    return {
      tsSec: this.tsSec,
      tsNsec: this.tsNsec,
      caplen: this.caplen,
      length: this.length,
      linktype: this.linktype,
      interfaceIndex: this.interfaceIndex,
      ...(this.flags ? { flags: this.flags } : {}),
      ...(this.comment !== undefined ? { comment: this.comment } : {}),
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
    return new Packet(this._headers, i * HDR_STRIDE, this._arena);
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
  interfaceIndex(i: number): number {
    if (this._recycled) throw recycledError();
    return this._headers[i * HDR_STRIDE + H_IFINDEX];
  }
  /** Packet i's interface (its entry in the reader's `interfaces`), if known. */
  interface(i: number): PacketInterface | undefined {
    if (this._recycled) throw recycledError();
    return batchInterfaces.get(this._headers)?.[this._headers[i * HDR_STRIDE + H_IFINDEX]];
  }
  flags(i: number): number {
    if (this._recycled) throw recycledError();
    return this._headers[i * HDR_STRIDE + H_FLAGS];
  }
  /** Packet i's comment (pcapng opt_comment), if any. */
  comment(i: number): string | undefined {
    if (this._recycled) throw recycledError();
    return batchComments.get(this._headers)?.get(i);
  }
  /** @internal The batch's comments as [index, text, ...] (for writers), or undefined. */
  get comments_(): (number | string)[] | undefined {
    const m = batchComments.get(this._headers);
    if (m === undefined || m.size === 0) return undefined;
    const out: (number | string)[] = [];
    for (const [i, t] of m) out.push(i, t);
    return out;
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

/** The class name util.inspect shows for a Packet's fields. */
class PacketFields {}
Object.defineProperty(PacketFields, 'name', { value: 'Packet' });

function recycledError(): PcapError {
  return new PcapError(
    'ECLOSED',
    'this batch was recycled when the loop moved on; take packet(i), data(i) or arena while iterating to keep its data',
  );
}
