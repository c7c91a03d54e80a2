// pcapkit's own pcapng block parser.
//
// libpcap 1.10 refuses pcapng files whose interfaces (IDBs) differ in link type or snaplen: it
// stops at the first packet of such an interface. The reader falls back to this parser for
// those files. It produces the same batches as the native reader (see native/batch.h).
//
// It reads files from strangers, so every length is checked before it is used: blocks are at
// most MAX_BLOCK bytes, options and packet data must stay inside their block, and each step
// moves forward by a whole, validated block, so it can neither read out of bounds nor loop.
import { open as openFile, type FileHandle } from 'node:fs/promises';
import type { ReadResult } from './binding';
import { PcapError, type PcapErrorCode } from './errors';
import type { Precision } from './format';

export interface PcapngInterface {
  /** Index of the interface in its section (what packets refer to). */
  index: number;
  /** DLT value, as libpcap would report it (LINKTYPE_RAW 101 becomes 12). */
  linktype: number;
  /** 0 means "no limit". */
  snaplen: number;
  name?: string;
  description?: string;
  /** Raw if_tsresol byte: bit 7 clear = 10^-n s, set = 2^-n s (default 6, microseconds). */
  tsresol: number;
  /** if_tsoffset: seconds added to every timestamp of this interface (default 0). */
  tsoffset: number;
}

// Block types (pcapng spec, section 11.1).
const BT_SHB = 0x0a0d0d0a;
const BT_IDB = 1;
const BT_PB = 2; // obsolete Packet Block
const BT_SPB = 3;
const BT_EPB = 6;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

// Option codes used here.
const OPT_ENDOFOPT = 0;
const OPT_EPB_FLAGS = 2; // also pack_flags in the obsolete PB
const OPT_IF_NAME = 2;
const OPT_IF_DESCRIPTION = 3;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

/** Largest block accepted; nothing is allocated beyond this, whatever a length field says. */
const MAX_BLOCK = 16 * 1024 * 1024;
/** How much is read from the file at once. */
const CHUNK = 1024 * 1024;
/** Numbers per packet in a batch's header table (native/batch.h). Not imported from
 * ./binding because that module loads the native addon. */
const HDR_STRIDE = 8;

/**
 * Something wrong with the file's bytes. Parsing functions throw it without knowing where they
 * are; the reader turns it into a PcapError that says after how many packets and at which byte.
 */
class BlockProblem extends Error {
  constructor(
    readonly code: 'EFORMAT' | 'ETRUNCATED',
    detail: string,
  ) {
    super(detail);
  }
}

const corrupt = (detail: string) => new BlockProblem('EFORMAT', detail);
const cutShort = (detail: string) => new BlockProblem('ETRUNCATED', detail);

function u16(b: Buffer, at: number, le: boolean): number {
  return le ? b.readUInt16LE(at) : b.readUInt16BE(at);
}

function u32(b: Buffer, at: number, le: boolean): number {
  return le ? b.readUInt32LE(at) : b.readUInt32BE(at);
}

/** Rounds up to a multiple of 4 without 32-bit bitwise operators (lengths can reach 2^32-1). */
function pad4(n: number): number {
  return n + ((4 - (n % 4)) % 4);
}

/**
 * libpcap reports DLT values, not the LINKTYPE values stored in files (linktype_to_dlt() in
 * libpcap's pcap-common.c). On Linux the only one that differs in practice is LINKTYPE_RAW
 * (101), reported as DLT_RAW = 12; the rest are passed through as they are.
 */
function linktypeToDlt(linktype: number): number {
  return linktype === 101 ? 12 : linktype;
}

/** Byte order of a section, from the byte-order magic at offset 8 of its SHB. */
function sectionByteOrder(shb: Buffer): boolean {
  if (shb.readUInt32LE(8) === BYTE_ORDER_MAGIC) return true;
  if (shb.readUInt32BE(8) === BYTE_ORDER_MAGIC) return false;
  throw corrupt(`bad byte-order magic 0x${shb.readUInt32LE(8).toString(16)} in section header`);
}

/** Rejects a block total length that cannot be right, before anything is read or allocated. */
function checkBlockLength(len: number): void {
  if (len > MAX_BLOCK) throw corrupt(`block too large (${len} bytes, limit ${MAX_BLOCK})`);
  if (len < 12 || len % 4 !== 0) throw corrupt(`invalid block length ${len}`);
}

/** Calls visit(code, valueOffset, valueLength) for each option in b[start, end). */
function forEachOption(
  b: Buffer,
  start: number,
  end: number,
  le: boolean,
  visit: (code: number, at: number, len: number) => void,
): void {
  let p = start;
  while (p < end) {
    if (end - p < 4) throw corrupt('option header runs past the end of its block');
    const code = u16(b, p, le);
    const len = u16(b, p + 2, le);
    if (code === OPT_ENDOFOPT) return;
    const next = p + 4 + pad4(len);
    if (next > end) throw corrupt(`option ${code} of length ${len} runs past the end of its block`);
    visit(code, p + 4, len);
    p = next;
  }
}

/** Checks an SHB (whole block, trailer already checked): version and options. */
function checkSectionHeader(b: Buffer, le: boolean): void {
  if (b.length < 28) throw corrupt(`section header block too short (${b.length} bytes)`);
  const major = u16(b, 12, le);
  const minor = u16(b, 14, le);
  // 1.2 only differs by allowing some newer block types; 1.1 was never defined.
  if (major !== 1 || (minor !== 0 && minor !== 2)) {
    throw corrupt(`unsupported pcapng version ${major}.${minor}`);
  }
  forEachOption(b, 24, b.length - 4, le, () => {});
}

/** An interface as parsed, plus how to turn its timestamps into seconds. */
interface Interface {
  info: PcapngInterface;
  /** Timestamp units per second: 10^n or 2^n from if_tsresol. */
  unitsPerSec: bigint;
  offsetSec: bigint;
}

function parseInterface(b: Buffer, le: boolean, index: number): Interface {
  if (b.length < 20) throw corrupt(`interface description block too short (${b.length} bytes)`);
  const info: PcapngInterface = {
    index,
    linktype: linktypeToDlt(u16(b, 8, le)),
    snaplen: u32(b, 12, le),
    tsresol: 6,
    tsoffset: 0,
  };
  let offsetSec = 0n;
  // Writers differ on whether strings carry a terminating NUL; drop it.
  const text = (at: number, len: number) => b.toString('utf8', at, at + len).replace(/\0+$/, '');
  forEachOption(b, 16, b.length - 4, le, (code, at, len) => {
    if (code === OPT_IF_NAME) info.name = text(at, len);
    else if (code === OPT_IF_DESCRIPTION) info.description = text(at, len);
    else if (code === OPT_IF_TSRESOL && len >= 1) info.tsresol = b[at];
    else if (code === OPT_IF_TSOFFSET && len >= 8) {
      offsetSec = le ? b.readBigInt64LE(at) : b.readBigInt64BE(at);
      info.tsoffset = Number(offsetSec);
    }
  });
  const n = BigInt(info.tsresol & 0x7f);
  const unitsPerSec = info.tsresol & 0x80 ? 2n ** n : 10n ** n;
  return { info, unitsPerSec, offsetSec };
}

/** True when if_tsresol is finer than microseconds. */
function finerThanMicro(tsresol: number): boolean {
  const n = tsresol & 0x7f;
  return tsresol & 0x80 ? 2 ** n > 1e6 : n > 6;
}

/**
 * Splits a 64-bit timestamp into seconds and nanoseconds. BigInt because a count of
 * nanoseconds since 1970 is beyond 2^53, where doubles stop being exact. Finer units than
 * nanoseconds are truncated, as libpcap and tshark do.
 */
function splitTimestamp(hi: number, lo: number, itf: Interface): [number, number] {
  const ticks = (BigInt(hi) << 32n) | BigInt(lo);
  const sec = ticks / itf.unitsPerSec + itf.offsetSec;
  const nsec = ((ticks % itf.unitsPerSec) * 1_000_000_000n) / itf.unitsPerSec;
  return [Number(sec), Number(nsec)];
}

/** A whole, length-checked block; `b` is only valid until the next read from the file. */
interface Block {
  type: number;
  len: number;
  le: boolean;
  b: Buffer;
}

/** A packet found in a block; its data is b[dataAt, dataAt + caplen). */
interface PacketRef {
  b: Buffer;
  dataAt: number;
  caplen: number;
  len: number;
  tsSec: number;
  tsNsec: number;
  linktype: number;
  ifIndex: number;
  flags: number;
}

/**
 * From the first bytes of a file: 'nano' when the first IDB's if_tsresol is finer than
 * microseconds, 'micro' when it is microseconds (the default) or coarser, undefined when the
 * head is too short to reach that IDB or is not pcapng.
 */
export function sniffPcapngPrecision(head: Buffer): Precision | undefined {
  try {
    if (head.length < 12 || head.readUInt32LE(0) !== BT_SHB) return undefined;
    const le = sectionByteOrder(head);
    let at = 0;
    while (at + 8 <= head.length) {
      const type = u32(head, at, le);
      const len = u32(head, at + 4, le);
      checkBlockLength(len);
      if (at + len > head.length) return undefined;
      if (type === BT_IDB) {
        const itf = parseInterface(head.subarray(at, at + len), le, 0);
        return finerThanMicro(itf.info.tsresol) ? 'nano' : 'micro';
      }
      // A packet or a new section before any IDB: nothing sensible to say.
      if (type === BT_EPB || type === BT_SPB || type === BT_PB) return undefined;
      if (type === BT_SHB && at > 0) return undefined;
      at += len;
    }
    return undefined;
  } catch (err) {
    if (err instanceof BlockProblem) return undefined;
    throw err;
  }
}

function errorFromFs(path: string, err: unknown): PcapError {
  const errno = (err as NodeJS.ErrnoException).code;
  const codes: Record<string, PcapErrorCode> = {
    ENOENT: 'ENOENT',
    ENOTDIR: 'ENOENT',
    EACCES: 'EPERM',
    EPERM: 'EPERM',
    EISDIR: 'EINVAL',
  };
  const code = (errno !== undefined && codes[errno]) || 'EIO';
  return new PcapError(code, `${path}: ${(err as Error).message}`, { cause: err });
}

export class PcapngFileReader {
  /**
   * Interfaces of the current section, filled as their IDBs are met. A new section (SHB)
   * empties it, as packets of a section only refer to that section's interfaces.
   */
  readonly interfaces: PcapngInterface[] = [];

  private readonly fh: FileHandle;
  private readonly path: string;
  private itfs: Interface[] = [];
  /** Byte order of the current section. */
  private le = true;
  // A window on the file: buf[0, bufLen) holds the bytes at file offset bufStart.
  private buf: Buffer = Buffer.alloc(0);
  private bufStart = 0;
  private bufLen = 0;
  private fileEnded = false;
  /** File offset of the next block; always inside or at the end of the window. */
  private pos = 0;
  private packetsRead = 0;
  /** Set once eof or an error was reported; later reads return an empty eof batch. */
  private finished = false;
  /** An error met by skip(), reported by the next readBatch(). */
  private deferredError: PcapError | undefined;
  private busy = false;
  private current: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | undefined;

  private constructor(fh: FileHandle, path: string) {
    this.fh = fh;
    this.path = path;
  }

  /** Opens a file and checks its first section header. */
  static async open(path: string): Promise<PcapngFileReader> {
    let fh: FileHandle;
    try {
      fh = await openFile(path, 'r');
    } catch (err) {
      throw errorFromFs(path, err);
    }
    const reader = new PcapngFileReader(fh, path);
    try {
      if ((await fh.stat()).isDirectory()) throw new PcapError('EINVAL', `${path}: is a directory`);
      await reader.readFirstSectionHeader();
      return reader;
    } catch (err) {
      await fh.close().catch(() => {});
      throw err instanceof PcapError ? err : errorFromFs(path, err);
    }
  }

  /** Skips n packet blocks (EPB/SPB/PB); returns how many were skipped (fewer at the end). */
  skip(n: number): Promise<number> {
    return this.exclusive(async () => {
      let skipped = 0;
      try {
        while (skipped < n && !this.finished && !this.deferredError) {
          const block = await this.peekBlock();
          if (block === null) break;
          const packet = this.interpret(block);
          this.pos += block.len;
          if (packet !== undefined) {
            skipped++;
            this.packetsRead++;
          }
        }
      } catch (err) {
        // skip() only returns a count, so the error waits for the next readBatch().
        this.deferredError = this.toPcapError(err);
      }
      return skipped;
    });
  }

  /** Reads the next packets into arena/headers (layout in native/batch.h). */
  readBatch(arena: Buffer, headers: Float64Array, precision: Precision): Promise<ReadResult> {
    return this.exclusive(() => this.fillBatch(arena, headers, precision));
  }

  close(): Promise<void> {
    // Let a read in progress finish rather than pulling the file from under it.
    this.closing ??= this.current.catch(() => {}).then(() => this.fh.close());
    return this.closing;
  }

  /** Runs one read operation at a time, and none after close(). */
  private async exclusive<T>(op: () => Promise<T>): Promise<T> {
    if (this.closing) throw new PcapError('ECLOSED', 'the reader is closed');
    if (this.busy) throw new PcapError('EINVAL', 'a read is already in progress on this reader');
    this.busy = true;
    const p = op();
    this.current = p;
    try {
      return await p;
    } finally {
      this.busy = false;
    }
  }

  private async fillBatch(
    arena: Buffer,
    headers: Float64Array,
    precision: Precision,
  ): Promise<ReadResult> {
    const maxPackets = Math.floor(headers.length / HDR_STRIDE);
    if (maxPackets < 1) throw new PcapError('EINVAL', 'the header table has room for no packet');
    const result: ReadResult = { count: 0, read: 0, bytes: 0, eof: false };
    if (this.finished || this.deferredError) {
      const error = this.deferredError;
      this.deferredError = undefined;
      this.finished = true;
      return error ? { ...result, eof: true, error } : { ...result, eof: true };
    }
    try {
      while (result.count < maxPackets) {
        const block = await this.peekBlock();
        if (block === null) {
          result.eof = true;
          break;
        }
        const packet = this.interpret(block);
        if (packet === undefined) {
          this.pos += block.len;
          continue;
        }
        if (result.bytes + packet.caplen > arena.length) {
          // Leave the block unread: the next call starts with it, with a bigger arena if needed.
          if (result.count === 0) result.needBytes = packet.caplen;
          break;
        }
        this.store(packet, arena, headers, result, precision);
        this.pos += block.len;
        this.packetsRead++;
        result.read++;
      }
    } catch (err) {
      result.error = this.toPcapError(err);
      result.eof = true;
    }
    if (result.eof) this.finished = true;
    return result;
  }

  /** Copies a packet into the batch; the next one starts at an 8-byte boundary. */
  private store(
    p: PacketRef,
    arena: Buffer,
    headers: Float64Array,
    result: ReadResult,
    precision: Precision,
  ): void {
    const h = result.count * HDR_STRIDE;
    headers[h] = p.tsSec;
    // libpcap at micro precision hands out microseconds; scaled back up they end in 000.
    headers[h + 1] = precision === 'micro' ? p.tsNsec - (p.tsNsec % 1000) : p.tsNsec;
    headers[h + 2] = p.caplen;
    headers[h + 3] = p.len;
    headers[h + 4] = result.bytes;
    headers[h + 5] = p.linktype;
    headers[h + 6] = p.ifIndex;
    headers[h + 7] = p.flags;
    p.b.copy(arena, result.bytes, p.dataAt, p.dataAt + p.caplen);
    result.bytes = Math.min(arena.length, result.bytes + ((p.caplen + 7) & ~7));
    result.count++;
  }

  private async readFirstSectionHeader(): Promise<void> {
    const have = await this.fill(4);
    const magic = Buffer.from([0x0a, 0x0d, 0x0d, 0x0a]);
    if (have === 0) {
      throw new PcapError('ETRUNCATED', `${this.path}: empty file (no section header block)`, {
        packetsRead: 0,
        offset: 0,
      });
    }
    if (!this.view(have).equals(magic.subarray(0, have))) {
      throw new PcapError('EFORMAT', `${this.path}: not a pcapng file`, {
        packetsRead: 0,
        offset: 0,
      });
    }
    try {
      const block = await this.peekBlock();
      if (block === null) throw cutShort('no section header block');
      this.interpret(block);
      this.pos += block.len;
    } catch (err) {
      if (!(err instanceof BlockProblem)) throw err;
      throw new PcapError(err.code, `${this.path}: ${err.message}`, { packetsRead: 0, offset: 0 });
    }
  }

  /**
   * The next whole block, checked for length and trailer, without moving past it; null at a
   * clean end of file. Throws BlockProblem when the block is cut short or malformed.
   */
  private async peekBlock(): Promise<Block | null> {
    const have = await this.fill(12);
    if (have === 0) return null;
    if (have < 8) throw cutShort(`block header needs 8 bytes, only ${have} left`);
    let head = this.view(have);
    let le = this.le;
    const type = u32(head, 0, le); // the SHB type reads the same in both byte orders
    if (type === BT_SHB) {
      if (have < 12) throw cutShort(`section header needs 12 bytes, only ${have} left`);
      le = sectionByteOrder(head);
    }
    const len = u32(head, 4, le);
    checkBlockLength(len);
    const got = await this.fill(len);
    if (got < len) throw cutShort(`block of ${len} bytes, only ${got} left`);
    const b = this.view(len);
    const trailer = u32(b, len - 4, le);
    if (trailer !== len) {
      throw corrupt(`block total length in header (${len}) and trailer (${trailer}) don't match`);
    }
    return { type, len, le, b };
  }

  /**
   * Applies a block: a new section or interface changes the reader's state; a packet block
   * is parsed (without side effects, so a packet left for the next batch can be parsed again).
   */
  private interpret(block: Block): PacketRef | undefined {
    switch (block.type) {
      case BT_SHB:
        checkSectionHeader(block.b, block.le);
        this.le = block.le;
        this.interfaces.length = 0;
        this.itfs = [];
        return undefined;
      case BT_IDB: {
        const itf = parseInterface(block.b, block.le, this.itfs.length);
        this.itfs.push(itf);
        this.interfaces.push(itf.info);
        return undefined;
      }
      case BT_EPB:
      case BT_PB:
        return this.parsePacketBlock(block);
      case BT_SPB:
        return this.parseSimplePacket(block);
      default:
        return undefined; // statistics, name resolution, secrets, custom blocks...
    }
  }

  /** EPB and the obsolete PB share a layout, except for the width of the interface id. */
  private parsePacketBlock({ type, len, le, b }: Block): PacketRef {
    if (len < 32) throw corrupt(`packet block too short (${len} bytes)`);
    const ifIndex = type === BT_EPB ? u32(b, 8, le) : u16(b, 8, le);
    const itf = this.interfaceFor(ifIndex);
    const caplen = u32(b, 20, le);
    if (caplen > len - 32) {
      throw corrupt(`captured length ${caplen} does not fit in a block of ${len} bytes`);
    }
    let flags = 0;
    forEachOption(b, 28 + pad4(caplen), len - 4, le, (code, at, optLen) => {
      if (code === OPT_EPB_FLAGS && optLen === 4) flags = u32(b, at, le);
    });
    const [tsSec, tsNsec] = splitTimestamp(u32(b, 12, le), u32(b, 16, le), itf);
    return {
      b,
      dataAt: 28,
      caplen,
      len: u32(b, 24, le),
      tsSec,
      tsNsec,
      linktype: itf.info.linktype,
      ifIndex,
      flags,
    };
  }

  /** SPB: interface 0, no timestamp; the captured part is what the block and snaplen allow. */
  private parseSimplePacket({ len, le, b }: Block): PacketRef {
    if (len < 16) throw corrupt(`simple packet block too short (${len} bytes)`);
    const itf = this.interfaceFor(0);
    const origLen = u32(b, 8, le);
    let caplen = Math.min(origLen, len - 16);
    if (itf.info.snaplen !== 0) caplen = Math.min(caplen, itf.info.snaplen);
    return {
      b,
      dataAt: 12,
      caplen,
      len: origLen,
      tsSec: 0,
      tsNsec: 0,
      linktype: itf.info.linktype,
      ifIndex: 0,
      flags: 0,
    };
  }

  private interfaceFor(index: number): Interface {
    const itf = this.itfs[index];
    if (itf === undefined) {
      throw corrupt(
        `packet for interface ${index}, but the section has ${this.itfs.length} interface(s)`,
      );
    }
    return itf;
  }

  /** Adds where reading stopped to a problem with the file; passes other PcapErrors on. */
  private toPcapError(err: unknown): PcapError {
    if (err instanceof PcapError) return err;
    if (!(err instanceof BlockProblem)) throw err; // a bug, not a bad file: let it surface
    const where = `after ${this.packetsRead} packets (at byte ${this.pos})`;
    const message =
      err.code === 'ETRUNCATED'
        ? `file is cut short ${where}: ${err.message}`
        : `bad pcapng block ${where}: ${err.message}`;
    return new PcapError(err.code, message, { packetsRead: this.packetsRead, offset: this.pos });
  }

  /** Bytes [pos, pos + n) of the file; only valid until the next fill(). */
  private view(n: number): Buffer {
    const at = this.pos - this.bufStart;
    return this.buf.subarray(at, at + n);
  }

  /**
   * Makes bytes [pos, pos + n) available in the window (n <= MAX_BLOCK) and returns how many
   * are, which is fewer than n only at the end of the file. Reads ahead in CHUNK-sized reads.
   */
  private async fill(n: number): Promise<number> {
    const have = this.bufStart + this.bufLen - this.pos;
    if (have >= n || this.fileEnded) return Math.min(have, n);
    // Move the unread bytes to the front, in a bigger buffer if a large block needs one.
    const from = this.pos - this.bufStart;
    const size = Math.max(CHUNK, n);
    if (this.buf.length < size) {
      const bigger = Buffer.allocUnsafe(size);
      this.buf.copy(bigger, 0, from, this.bufLen);
      this.buf = bigger;
    } else {
      this.buf.copy(this.buf, 0, from, this.bufLen);
    }
    this.bufStart = this.pos;
    this.bufLen = have;
    while (this.bufLen < n) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await this.fh.read(
          this.buf,
          this.bufLen,
          this.buf.length - this.bufLen,
          this.bufStart + this.bufLen,
        ));
      } catch (err) {
        throw errorFromFs(this.path, err);
      }
      if (bytesRead === 0) {
        this.fileEnded = true;
        break;
      }
      this.bufLen += bytesRead;
    }
    return Math.min(this.bufLen, n);
  }
}
