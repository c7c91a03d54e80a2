// PCAPWriter: pcap savefiles written by libpcap's own dumper (output is what tcpdump -w
// writes), 0600 by default. Packets are staged in JS and handed to native code in batches, so
// a write() costs a copy into the staging arena, not a native call.
import * as fs from 'node:fs';
import { native, type NativeDumper, HDR_STRIDE, H_TS_SEC, H_TS_NSEC, H_CAPLEN, H_LEN, H_OFFSET } from './binding';
import { PcapError } from './errors';
import { sniffFile, type Precision, type SniffResult } from './format';
import { LINKTYPE, resolveLinktype } from './linktype';
import { Packet, PacketBatch } from './packet';
import { identify, trimToWholeRecords, type FileIdentity } from './pcap-tail';

export interface WriterOptions {
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
  private dumper: NativeDumper | undefined;
  private stage: Buffer = Buffer.allocUnsafeSlow(STAGE_BYTES);
  private stageHdr = new Float64Array(STAGE_PACKETS * HDR_STRIDE);
  private stageUsed = 0;
  private stageCount = 0;
  private written = 0;
  /** The file written (undefined for stdout), so a failed write can be cut back safely. */
  private identity: FileIdentity | undefined;
  /** A record boundary known to be on disk (after the last successful flush), and the packets before it. */
  private durableOffset = 0;
  private durablePackets = 0;
  /** The first write error; the writer closed itself then. */
  private failure: PcapError | undefined;

  constructor(path: string, options: WriterOptions = {}) {
    if (typeof path !== 'string' || path.length === 0) {
      throw new PcapError('EINVAL', 'PCAPWriter: path must be a non-empty string');
    }
    const append = options.append === true;
    const existing = append ? existingHeader(path) : undefined;
    this.path = path;
    this.linktype = resolveLinktype(options.linktype ?? existing?.linktype ?? LINKTYPE.EN10MB);
    this.snaplen = options.snaplen ?? existing?.snaplen ?? 262144;
    this.precision = options.precision ?? existing?.precision ?? 'nano';
    if (!Number.isInteger(this.snaplen) || this.snaplen <= 0 || this.snaplen > 0x7fffffff) {
      throw new PcapError('EINVAL', `invalid snaplen ${this.snaplen}`);
    }
    if (this.precision !== 'micro' && this.precision !== 'nano') {
      throw new PcapError('EINVAL', `precision must be 'micro' or 'nano'`);
    }
    this.dumper = new native.Dumper(path, this.linktype, this.snaplen, this.precision, append);
    if (path !== '-') this.identity = identify(path);
    // Appending: the file's existing end is where this writer's records start.
    if (append) this.durableOffset = this.dumper.position();
    open.add(this);
    installExitHook();
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
    if (packet instanceof Packet) {
      if (packet.linktype !== this.linktype) {
        throw new PcapError(
          'EINVAL',
          `${this.path}: packet link type ${packet.linktype} differs from the file's ${this.linktype}`,
        );
      }
      data = packet.data;
      tsSec = info?.tsSec ?? packet.tsSec;
      tsNsec = info?.tsNsec ?? packet.tsNsec;
      length = info?.length ?? packet.length;
    } else if (packet instanceof Uint8Array) {
      data = packet;
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
    // A Packet's own header is written as it is (even odd values from damaged files, so a
    // copy stays faithful); values the caller supplies are checked.
    if (info !== undefined || !(packet instanceof Packet)) checkHeader(tsSec, tsNsec, length, data.length);
    else if (!(tsSec >= 0 && tsSec <= MAX_PCAP_SECONDS)) throw secondsError(tsSec);
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
    this.stage.set(caplen === data.length ? data : data.subarray(0, caplen), this.stageUsed);
    this.stageUsed += (caplen + 7) & ~7;
    this.stageCount++;
    this.written++;
  }

  /**
   * Writes a batch from a reader or capture (its first `count` packets, default all) without
   * copying it in JS. The batch's link type must be the file's.
   */
  writeBatch(batch: PacketBatch, count = batch.count): void {
    if (this.dumper === undefined) throw this.closedError();
    if (!(Number.isInteger(count) && count >= 0 && count <= batch.count)) {
      throw new PcapError('EINVAL', `writeBatch: count ${count} outside 0..${batch.count}`);
    }
    for (let i = 0; i < count; i++) {
      if (batch.linktype(i) !== this.linktype) {
        throw new PcapError('EINVAL', `${this.path}: packet link type ${batch.linktype(i)} differs from the file's ${this.linktype}`);
      }
    }
    this.flushStage();
    if (count > 0) {
      // copied out synchronously: no view is kept, so the batch is not pinned
      const arena = batch.arena_;
      const headers = batch.headers_;
      this.guard(() => this.dumper!.write(arena, headers, count));
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
    this.guard(() => {
      this.dumper!.flush();
      this.durableOffset = this.dumper!.position();
      this.durablePackets = this.written;
    });
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
      throw this.failed(err, undefined);
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
    this.stageCount = 0;
    this.stageUsed = 0;
    this.guard(() => this.dumper!.write(this.stage, this.stageHdr, count));
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
   * After a write error: closes the dumper (for good: glibc has dropped the buffered bytes, so
   * anything written after them would land at the wrong offset), then cuts the file back to its
   * last whole record, so it stays a valid capture of the first `packetsWritten` packets.
   */
  private failed(err: unknown, dumper: NativeDumper | undefined): unknown {
    if (dumper !== undefined) {
      try {
        dumper.close();
      } catch {
        // the same failure again (or glibc's stale EIO): the first error is the one to report
      }
    }
    this.stageCount = 0;
    this.stageUsed = 0;
    if (!(err instanceof PcapError)) return err;
    this.failure = err;
    const trim = this.identity && trimToWholeRecords(this.path, this.identity, this.durableOffset);
    if (trim !== undefined) {
      this.written = this.durablePackets + trim.records;
      err.message +=
        trim.size === 0
          ? `; the writer is closed and ${this.path} is empty (not even the file header fitted)`
          : `; the writer is closed and ${this.path} holds the first ${this.written} packets written` +
            (trim.cut > 0 ? ` (a partial packet of ${trim.cut} bytes was cut off)` : '');
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

// pcap records hold seconds in 32 bits: 2106-02-07 is the last representable second.
const MAX_PCAP_SECONDS = 0xffffffff;

function secondsError(tsSec: number): PcapError {
  return new PcapError('EINVAL', `timestamp ${tsSec} s does not fit a pcap record (0 .. ${MAX_PCAP_SECONDS})`);
}

function checkHeader(tsSec: number, tsNsec: number, length: number, caplen: number): void {
  if (!(Number.isInteger(tsSec) && Number.isInteger(tsNsec) && tsNsec >= 0 && tsNsec < 1e9)) {
    throw new PcapError('EINVAL', `invalid timestamp ${tsSec}.${tsNsec}`);
  }
  if (!(tsSec >= 0 && tsSec <= MAX_PCAP_SECONDS)) throw secondsError(tsSec);
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
  // The file header holds a LINKTYPE_ value; libpcap reports (and wants) the DLT_ value.
  const h = new native.OfflineHandle(path, sniff.precision ?? 'micro');
  try {
    const info = h.info();
    return { ...sniff, linktype: info.linktype, snaplen: info.snaplen };
  } finally {
    h.close();
  }
}

// Wall-clock origin for packets written without a timestamp: hrtime is monotonic and fine
// grained, Date.now() anchors it to the epoch.
const hrtimeOrigin = process.hrtime.bigint();
const epochOriginNs = BigInt(Date.now()) * 1_000_000n;
