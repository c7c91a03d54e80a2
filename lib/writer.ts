// PCAPWriter: pcap files (the header libpcap's dumper writes, records as tcpdump -w writes
// them) or pcapng files (one IDB per interface, EPBs with comments and direction flags),
// created 0600. Packets are staged in JS and handed to native code in batches, so a write()
// costs a copy into the staging arena, not a native call.
import * as fs from 'node:fs';
import { native, type NativeDumper, HDR_STRIDE, H_TS_SEC, H_TS_NSEC, H_CAPLEN, H_LEN, H_OFFSET, H_FLAGS } from './binding';
import { PcapError } from './errors';
import { sniffFile, type Precision, type SniffResult } from './format';
import type { OutputFormat } from './filter-file';
import { LINKTYPE, resolveLinktype } from './linktype';
import { Packet, PacketBatch, type Direction, type PacketInterface } from './packet';

/** An interface of a pcapng file being written (an Interface Description Block). */
export interface WriterInterface {
  /** DLT number or name (default: the writer's `linktype`). */
  linktype?: number | string;
  /** Default: the writer's snaplen. */
  snaplen?: number;
  name?: string;
  description?: string;
  /** if_tsresol (default 9, nanoseconds; 6 for a 'micro' writer). */
  tsresol?: number;
  /** if_tsoffset in seconds (default 0). */
  tsoffset?: number;
}

export interface WriterOptions {
  /**
   * 'pcap' (default) or 'pcapng'. A pcapng file holds packets of any link types: each write
   * goes to the interface given, or to the file's interface for the packet's link type (made
   * on first use).
   */
  format?: OutputFormat;
  /**
   * pcapng: interfaces declared up front, e.g. a reader's `interfaces`; a Packet written
   * without an `interface` then goes to the one its `interfaceIndex` names.
   */
  interfaces?: readonly WriterInterface[];
  /** pcapng: a comment for the section header. */
  comment?: string;
  /** Link type as a DLT number or a name (`'EN10MB'`, `'RAW'`, ...). Default EN10MB. */
  linktype?: number | string;
  /** Snapshot length recorded in the file header. Default 262144. */
  snaplen?: number;
  /** Timestamp precision of the file: 'nano' (default) or 'micro' (tcpdump's default). */
  precision?: Precision;
  /**
   * Append to an existing file instead of replacing it. Link type, snaplen and precision
   * default to the file's own and must match it.
   */
  append?: boolean;
}

export interface WriteInfo {
  /** Seconds since the epoch as a float (ignored when tsSec is given). */
  timestamp?: number;
  tsSec?: number;
  tsNsec?: number;
  /** Wire length (default: the buffer's length). */
  length?: number;
  /** Link type of a buffer (pcapng; default: the writer's). */
  linktype?: number | string;
  /** pcapng: the interface (index from `interfaces` or addInterface()) to write to. */
  interface?: number;
  /** pcapng: the packet's comment (default: a Packet's own). */
  comment?: string;
  /** pcapng: direction, stored in epb_flags (default: a Packet's own flags). */
  direction?: Direction;
  /** pcapng: epb_flags as a number (overrides direction). */
  flags?: number;
}

const STAGE_BYTES = 1 << 20;
const STAGE_PACKETS = 8192;
const open = new Set<PCAPWriter>();
let exitHookInstalled = false;

// Nothing written is lost: writers still open when the process exits are flushed.
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const w of open) {
      try {
        w.closeSync();
      } catch {
        // the process is exiting; there is nobody left to tell
      }
    }
  });
}

/**
 * Writes a pcap file with libpcap's own dumper (what `tcpdump -w` writes), created with mode
 * 0600. `write(pkt)` keeps a packet's header; `write(buf, { timestamp })` builds one.
 */
export class PCAPWriter {
  readonly path: string;
  readonly linktype: number;
  readonly snaplen: number;
  readonly precision: Precision;
  readonly format: OutputFormat;
  private dumper: NativeDumper | undefined;
  /** pcapng: the link type of each interface written, and the interface made for each link type. */
  private ifaceLinktypes: number[] = [];
  private autoIfaces = new Map<number, number>();
  /** pcapng: the interface made for each source interface met (copies keep names and resolutions). */
  private copiedIfaces = new Map<PacketInterface, number>();
  private declared = false;
  private stageIfaces = new Uint32Array(STAGE_PACKETS);
  private stageComments: (number | string)[] = [];
  private stage: Buffer = Buffer.allocUnsafeSlow(STAGE_BYTES);
  private stageHdr = new Float64Array(STAGE_PACKETS * HDR_STRIDE);
  private stageUsed = 0;
  private stageCount = 0;
  private written = 0;
  /** The first write error; the writer closed itself then. */
  private failure: PcapError | undefined;

  constructor(path: string, options: WriterOptions = {}) {
    if (typeof path !== 'string' || path.length === 0) {
      throw new PcapError('EINVAL', 'PCAPWriter: path must be a non-empty string');
    }
    const append = options.append === true;
    const format = options.format ?? 'pcap';
    if (format !== 'pcap' && format !== 'pcapng') {
      throw new PcapError('EINVAL', `format must be 'pcap' or 'pcapng', not '${String(format)}'`);
    }
    if (append && format === 'pcapng') throw new PcapError('EINVAL', 'cannot append to a pcapng file');
    const existing = append ? existingHeader(path) : undefined;
    this.path = path;
    this.format = format;
    this.linktype = resolveLinktype(options.linktype ?? existing?.linktype ?? LINKTYPE.EN10MB);
    this.snaplen = options.snaplen ?? existing?.snaplen ?? 262144;
    this.precision = options.precision ?? existing?.precision ?? 'nano';
    // 0x7fffffff is what a pcap header and libpcap's readers take (and tcpdump's).
    if (!Number.isInteger(this.snaplen) || this.snaplen <= 0 || this.snaplen > 0x7fffffff) {
      throw new PcapError('EINVAL', `invalid snaplen ${this.snaplen}`);
    }
    if (this.precision !== 'micro' && this.precision !== 'nano') {
      throw new PcapError('EINVAL', `precision must be 'micro' or 'nano'`);
    }
    if (existing !== undefined) {
      // What the file's header says must be what this writer writes (libpcap refuses too).
      const mismatch =
        this.linktype !== existing.linktype ? `link type ${this.linktype} (the file's is ${existing.linktype})`
        : this.snaplen !== existing.snaplen ? `snaplen ${this.snaplen} (the file's is ${existing.snaplen})`
        : this.precision !== existing.precision ? `precision '${this.precision}' (the file's is '${existing.precision}')`
        : undefined;
      if (mismatch !== undefined) throw new PcapError('EFORMAT', `${path}: cannot append with ${mismatch}`);
    }
    const dumper = new native.Dumper(path, {
      format,
      linktype: this.linktype,
      snaplen: this.snaplen,
      precision: this.precision,
      // nothing to append to yet (a missing or empty file): start a new one
      append: existing !== undefined,
      comment: options.comment,
    });
    this.dumper = dumper;
    if (options.interfaces !== undefined) {
      this.declared = true;
      try {
        for (const itf of options.interfaces) this.addInterface(itf);
      } catch (err) {
        this.dumper = undefined;
        try {
          dumper.close();
        } catch {
          // the interface error is the one to report
        }
        throw err;
      }
    }
    open.add(this);
    installExitHook();
  }

  /**
   * pcapng: adds an interface (an IDB) and returns its index, for `write(buf, { interface })`.
   */
  addInterface(itf: WriterInterface = {}): number {
    if (this.dumper === undefined) throw this.closedError();
    if (this.format !== 'pcapng') throw new PcapError('EINVAL', 'addInterface: only pcapng files have interfaces');
    const linktype = resolveLinktype(itf.linktype ?? this.linktype);
    const index = this.dumper.addInterface({
      linktype,
      snaplen: itf.snaplen ?? this.snaplen,
      name: itf.name,
      description: itf.description,
      tsresol: itf.tsresol ?? (this.precision === 'micro' ? 6 : 9),
      tsoffset: itf.tsoffset ?? 0,
    });
    this.ifaceLinktypes[index] = linktype;
    return index;
  }

  /** The interface a pcapng packet goes to. */
  private interfaceFor(linktype: number, ifIndex: number | undefined, explicit: number | undefined, source?: PacketInterface): number {
    const index = explicit ?? (this.declared ? ifIndex : undefined);
    if (index !== undefined) {
      if (!(Number.isInteger(index) && index >= 0 && index < this.ifaceLinktypes.length)) {
        throw new PcapError('EINVAL', `${this.path}: no interface ${index} (the file has ${this.ifaceLinktypes.length})`);
      }
      if (this.ifaceLinktypes[index] !== linktype) {
        throw new PcapError('EINVAL', `${this.path}: packet link type ${linktype} differs from interface ${index}'s ${this.ifaceLinktypes[index]}`);
      }
      return index;
    }
    if (source !== undefined && source.linktype === linktype) {
      // A packet read from a capture: its interface is copied once (name, snaplen, resolution).
      let copied = this.copiedIfaces.get(source);
      if (copied === undefined) {
        const { name, description, snaplen, tsoffset } = source;
        // (a resolution finer than nanoseconds is written as nanoseconds: what a Packet holds)
        const fine = source.tsresol & 0x80 ? (source.tsresol & 0x7f) > 29 : source.tsresol > 9;
        copied = this.addInterface({ linktype, name, description, snaplen: snaplen || this.snaplen, tsoffset, tsresol: fine ? 9 : source.tsresol });
        this.copiedIfaces.set(source, copied);
      }
      return copied;
    }
    let auto = this.autoIfaces.get(linktype);
    if (auto === undefined) {
      auto = this.addInterface({ linktype });
      this.autoIfaces.set(linktype, auto);
    }
    return auto;
  }

  /**
   * Packets written so far (including those still staged). After a write error: the packets the
   * file holds, which are the first ones written.
   */
  get packetsWritten(): number {
    return this.written;
  }

  get closed(): boolean {
    return this.dumper === undefined;
  }

  /**
   * Writes a packet. A Packet keeps its own header (timestamps, caplen, wire length); a
   * Buffer gets one from `info` (default: now, and its own length as wire length).
   */
  write(packet: Packet | Uint8Array, info?: WriteInfo): void {
    if (this.dumper === undefined) throw this.closedError();
    let data: Uint8Array;
    let tsSec: number;
    let tsNsec: number;
    let length: number;
    let linktype: number;
    let flags = 0;
    let comment: string | undefined;
    let ifIndex: number | undefined;
    if (packet instanceof Packet) {
      linktype = packet.linktype;
      data = packet.data;
      tsSec = info?.tsSec ?? packet.tsSec;
      tsNsec = info?.tsNsec ?? packet.tsNsec;
      length = info?.length ?? packet.length;
      flags = packet.flags;
      comment = packet.comment;
      ifIndex = packet.interfaceIndex;
    } else if (packet instanceof Uint8Array) {
      data = packet;
      linktype = info?.linktype !== undefined ? resolveLinktype(info.linktype) : this.linktype;
      length = info?.length ?? data.length;
      if (info?.tsNsec !== undefined && info.tsSec === undefined) {
        throw new PcapError('EINVAL', 'tsNsec needs tsSec');
      }
      if (info?.tsSec !== undefined) {
        tsSec = info.tsSec;
        tsNsec = info.tsNsec ?? 0;
      } else if (info?.timestamp !== undefined) {
        tsSec = Math.floor(info.timestamp);
        tsNsec = Math.round((info.timestamp - tsSec) * 1e9);
        if (tsNsec >= 1e9) {
          tsSec += 1;
          tsNsec -= 1e9;
        }
      } else {
        const ns = process.hrtime.bigint() - hrtimeOrigin + epochOriginNs;
        tsSec = Number(ns / 1_000_000_000n);
        tsNsec = Number(ns % 1_000_000_000n);
      }
    } else {
      throw new PcapError('EINVAL', 'write(packet: Packet | Uint8Array, info?)');
    }
    if (info?.comment !== undefined) comment = info.comment;
    if (info?.direction !== undefined) {
      if (info.direction !== 'in' && info.direction !== 'out') {
        throw new PcapError('EINVAL', `direction must be 'in' or 'out', not '${String(info.direction)}'`);
      }
      flags = (flags & ~3) | (info.direction === 'in' ? 1 : 2);
    }
    if (info?.flags !== undefined) {
      if (!(Number.isInteger(info.flags) && info.flags >= 0 && info.flags <= 0xffffffff)) {
        throw new PcapError('EINVAL', `flags must be a 32-bit unsigned integer`);
      }
      flags = info.flags;
    }
    let iface = 0;
    if (this.format === 'pcapng') {
      iface = this.interfaceFor(linktype, ifIndex, info?.interface, packet instanceof Packet ? packet.interface : undefined);
    } else if (linktype !== this.linktype) {
      throw new PcapError(
        'EINVAL',
        `${this.path}: packet link type ${linktype} differs from the file's ${this.linktype}`,
      );
    }
    // A Packet's own header is written as it is (even odd values from damaged files, so a
    // copy stays faithful); values the caller supplies are checked.
    if (info !== undefined || !(packet instanceof Packet)) checkHeader(tsSec, tsNsec, length, data.length, this.format);
    else if (this.format === 'pcap' && !(tsSec >= 0 && tsSec <= MAX_PCAP_SECONDS)) throw secondsError(tsSec);
    const caplen = Math.min(data.length, this.snaplen);
    if (caplen > this.stage.length - this.stageUsed || this.stageCount === STAGE_PACKETS) {
      this.flushStage();
      if (caplen > this.stage.length) this.stage = Buffer.allocUnsafeSlow(caplen + 8);
    }
    const o = this.stageCount * HDR_STRIDE;
    const h = this.stageHdr;
    h[o + H_TS_SEC] = tsSec;
    h[o + H_TS_NSEC] = tsNsec;
    h[o + H_CAPLEN] = caplen;
    h[o + H_LEN] = length;
    h[o + H_OFFSET] = this.stageUsed;
    h[o + H_FLAGS] = flags;
    this.stageIfaces[this.stageCount] = iface;
    if (comment !== undefined && comment !== '') this.stageComments.push(this.stageCount, comment);
    this.stage.set(caplen === data.length ? data : data.subarray(0, caplen), this.stageUsed);
    this.stageUsed += (caplen + 7) & ~7;
    this.stageCount++;
    this.written++;
  }

  /**
   * Writes a batch from a reader or capture (its first `count` packets, default all) without
   * copying it in JS. The batch's link type must be the file's.
   */
  writeBatch(batch: PacketBatch, count = batch.count, start = 0): void {
    if (this.dumper === undefined) throw this.closedError();
    if (!(Number.isInteger(start) && start >= 0 && start <= batch.count)) {
      throw new PcapError('EINVAL', `writeBatch: start ${start} outside 0..${batch.count}`);
    }
    if (!(Number.isInteger(count) && count >= 0 && start + count <= batch.count)) {
      throw new PcapError('EINVAL', `writeBatch: count ${count} from ${start} outside 0..${batch.count}`);
    }
    const end = start + count;
    let ifaces: Uint32Array | undefined;
    if (this.format === 'pcapng') {
      ifaces = new Uint32Array(count);
      for (let i = start; i < end; i++) ifaces[i - start] = this.interfaceFor(batch.linktype(i), batch.interfaceIndex(i), undefined, batch.interface(i));
    } else {
      for (let i = start; i < end; i++) {
        if (batch.linktype(i) !== this.linktype) {
          throw new PcapError('EINVAL', `${this.path}: packet link type ${batch.linktype(i)} differs from the file's ${this.linktype}`);
        }
      }
    }
    this.flushStage();
    if (count > 0) {
      // copied out synchronously: no view is kept, so the batch is not pinned; a range starts
      // at its row of the header table (offsets are into the same arena)
      const arena = batch.arena_;
      const headers = start === 0 ? batch.headers_ : batch.headers_.subarray(start * HDR_STRIDE);
      const comments = ifaces && commentsIn(batch.comments_, start, end);
      this.guard(() => this.dumper!.write(arena, headers, count, ifaces, comments));
    }
    this.written += count;
  }

  /**
   * Pushes staged packets to the file and flushes libpcap's buffer to the kernel. Once flush()
   * has returned, a later write error cannot take those packets out of the file.
   */
  flush(): void {
    if (this.dumper === undefined) throw this.closedError();
    this.flushStage();
    this.guard(() => this.dumper!.flush());
  }

  /**
   * Flushes and closes the file. Idempotent; after a write error (which closed the writer and
   * was thrown by that call) it resolves.
   */
  async close(): Promise<void> {
    this.closeSync();
  }

  /** Synchronous close, for exit handlers. */
  closeSync(): void {
    if (this.dumper === undefined) return;
    this.flushStage();
    const d = this.dumper;
    this.dumper = undefined;
    open.delete(this);
    try {
      d.close();
    } catch (err) {
      throw this.failed(err, d);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  [Symbol.dispose](): void {
    this.closeSync();
  }

  private flushStage(): void {
    if (this.stageCount === 0 || this.dumper === undefined) return;
    const count = this.stageCount;
    const comments = this.stageComments.length > 0 ? this.stageComments : undefined;
    this.stageCount = 0;
    this.stageUsed = 0;
    this.stageComments = [];
    this.guard(() => this.dumper!.write(this.stage, this.stageHdr, count, this.format === 'pcapng' ? this.stageIfaces : undefined, comments));
  }

  /** Runs a native write/flush; a failure closes the writer and leaves a valid file (failed()). */
  private guard(op: () => void): void {
    try {
      op();
    } catch (err) {
      // EINVAL is a bad call refused before anything was written; the file is still fine.
      if (err instanceof PcapError && err.code === 'EINVAL') throw err;
      const d = this.dumper;
      this.dumper = undefined;
      open.delete(this);
      throw this.failed(err, d);
    }
  }

  /**
   * After a write error: the native writer has already cut the file back to its last whole
   * packet and closed it; say how many packets it holds.
   */
  private failed(err: unknown, dumper: NativeDumper | undefined): unknown {
    let held: number | undefined;
    if (dumper !== undefined) {
      held = dumper.packets();
      try {
        dumper.close();
      } catch {
        // the same failure again: the first error is the one to report
      }
    }
    this.stageCount = 0;
    this.stageUsed = 0;
    this.stageComments = [];
    if (!(err instanceof PcapError)) return err;
    this.failure = err;
    if (held !== undefined) {
      this.written = held;
      err.message += `; the writer is closed and ${this.path} holds the first ${held} packets written`;
    } else {
      err.message += `; the writer is closed`;
    }
    return err;
  }

  private closedError(): PcapError {
    const f = this.failure;
    if (f === undefined) return new PcapError('ECLOSED', `${this.path}: the writer is closed`);
    return new PcapError(f.code, `${this.path}: the writer stopped at an earlier write error: ${f.message}`);
  }
}

/** The [index, text, ...] pairs of packets in [start, end), indexes made relative to start. */
function commentsIn(flat: (number | string)[] | undefined, start: number, end: number): (number | string)[] | undefined {
  if (flat === undefined) return undefined;
  const out: (number | string)[] = [];
  for (let k = 0; k + 1 < flat.length; k += 2) {
    const i = flat[k] as number;
    if (i >= start && i < end) out.push(i - start, flat[k + 1]);
  }
  return out.length > 0 ? out : undefined;
}

// pcap records hold seconds in 32 bits: 2106-02-07 is the last representable second.
const MAX_PCAP_SECONDS = 0xffffffff;

function secondsError(tsSec: number): PcapError {
  return new PcapError('EINVAL', `timestamp ${tsSec} s does not fit a pcap record (0 .. ${MAX_PCAP_SECONDS})`);
}

function checkHeader(tsSec: number, tsNsec: number, length: number, caplen: number, format: OutputFormat): void {
  if (!(Number.isSafeInteger(tsSec) && Number.isInteger(tsNsec) && tsNsec >= 0 && tsNsec < 1e9)) {
    throw new PcapError('EINVAL', `invalid timestamp ${tsSec}.${tsNsec}`);
  }
  if (format === 'pcap' && !(tsSec >= 0 && tsSec <= MAX_PCAP_SECONDS)) throw secondsError(tsSec);
  if (!Number.isInteger(length) || length < caplen || length > 0xffffffff) {
    throw new PcapError('EINVAL', `invalid wire length ${length} for ${caplen} captured bytes`);
  }
}

// Link type (as libpcap's DLT value), snaplen and precision of an existing capture to append
// to; undefined when there is nothing to append to yet (missing or empty file).
function existingHeader(path: string): SniffResult | undefined {
  if (path === '-') return undefined;
  let size: number;
  try {
    size = fs.statSync(path).size;
  } catch {
    return undefined;
  }
  if (size === 0) return undefined;
  const sniff = sniffFile(path);
  if (sniff.format === 'pcapng') throw new PcapError('EFORMAT', `${path}: cannot append to a pcapng file`);
  if (sniff.format !== 'pcap') throw new PcapError('EFORMAT', `${path}: not a pcap file; cannot append to it`);
  return sniff;
}

// Wall-clock origin for packets written without a timestamp: hrtime is monotonic and fine
// grained, Date.now() anchors it to the epoch.
const hrtimeOrigin = process.hrtime.bigint();
const epochOriginNs = BigInt(Date.now()) * 1_000_000n;
