// PCAPReader: pcap and pcapng files (or standard input) as an async iterable of packets.
//
// Native reads run on a libuv pool thread, one batch ahead of JS: while the user handles
// batch k, batch k+1 is being read. JS only ever awaits a promise, so the event loop keeps
// turning between batches, and a batch is bounded in bytes and packets so handling one
// takes a few milliseconds at most. One native reader (native/engine/capture_reader.h) reads
// every kind of input (pcap, pcapng, a path, a FIFO, stdin) from one descriptor.
import { allocBatch, native, type NativeFileInfo, type NativeOfflineHandle, type ReadResult } from './binding';
import { PcapError } from './errors';
import type { FileFormat, Precision } from './format';
import { linktypeName } from './linktype';
import { attachComments, attachInterfaces, type Packet, PacketBatch } from './packet';
import { PacketIterator } from './packet-iterator';

export interface ReaderOptions {
  /** BPF filter expression applied while reading (same syntax as tcpdump). */
  filter?: string;
  /**
   * Timestamp precision to deliver. Defaults to the file's own precision. `tsNsec` is always in
   * nanoseconds; with 'micro' it is a multiple of 1000.
   */
  precision?: Precision;
  /** Closing the reader when this signal aborts; the loop then rejects with its reason. */
  signal?: AbortSignal;
  /** Arena size per batch in bytes (default 1 MiB: see DEFAULT_BATCH_BYTES for why). */
  batchBytes?: number;
  /** Most packets per batch (default 4096). */
  batchPackets?: number;
}

/** An interface of the capture: the one of a pcap file, or a pcapng Interface Description Block. */
export interface CaptureInterface {
  /** Index in `reader.interfaces`, what `packet.interfaceIndex` refers to (unique across sections). */
  index: number;
  /** pcapng section the interface belongs to (0 for the first; pcap: 0). */
  section: number;
  /** Index within its section (the interface id its packets carry in the file). */
  sectionIndex: number;
  /** DLT value, as libpcap reports it (LINKTYPE_RAW 101 becomes 12). */
  linktype: number;
  /** The LINKTYPE_ value as stored in the file. */
  fileLinktype: number;
  /** As stored; 0 means "no limit". */
  snaplen: number;
  name?: string;
  description?: string;
  /** Raw if_tsresol byte: bit 7 clear = 10^-n s, set = 2^-n s (pcap: 6 or 9). */
  tsresol: number;
  /** if_tsoffset: seconds added to every timestamp of this interface (default 0). */
  tsoffset: number;
}

/** @deprecated The same as CaptureInterface. */
export type PcapngInterface = CaptureInterface;

export interface ReaderStats {
  /** Packets read from the file (before the filter). */
  packetsRead: number;
  /** Packets that passed the filter and were delivered. */
  packetsDelivered: number;
}

// Every batch costs a hand-over between the reading thread and JS: at 512 KiB the plain
// `for await` loop over the bench capture took 1.3x as long as at 1 MiB; past 1 MiB the loop
// gains a little more but its memory grows (2 MiB: 137 MB peak RSS against 83).
const DEFAULT_BATCH_BYTES = 1 << 20;
const DEFAULT_BATCH_PACKETS = 4096;

/**
 * Reads a pcap or pcapng file (or a FIFO, `/dev/stdin`, or `'-'` for standard input) as an
 * async iterable of packets, read on a libuv pool thread one batch ahead of your code. Ending
 * the loop closes the reader.
 *
 * A regular file's header is read by the constructor, so `linktype`, `format`, ... are set at
 * once. A pipe's header may take a while to arrive: the constructor never waits for it; use
 * `await PCAPReader.open(path)` (or `await reader.ready`) before reading those properties.
 *
 * ```ts
 * for await (const pkt of new PCAPReader('capture.pcap', { filter: 'tcp port 443' })) console.log(pkt.length);
 * ```
 */
export class PCAPReader implements AsyncIterable<Packet> {
  readonly path: string;
  /** Resolves once the file header has been read (at once for a regular file). */
  readonly ready: Promise<this>;

  private handle: NativeOfflineHandle | undefined;
  private info: NativeFileInfo | undefined;
  private ifaces: CaptureInterface[] = [];
  private precisionOption: Precision | undefined;
  private filterExpr = '';
  private readonly batchBytes: number;
  private readonly batchPackets: number;
  private readonly signal: AbortSignal | undefined;
  private readonly onAbort: (() => void) | undefined;
  private iterating = false;
  private closedFlag = false;
  private read = 0;
  private delivered = 0;

  constructor(path: string, options: ReaderOptions = {}) {
    if (typeof path !== 'string' || path.length === 0) {
      throw new PcapError('EINVAL', 'PCAPReader: path must be a non-empty string');
    }
    const precision = options.precision;
    if (precision !== undefined && precision !== 'micro' && precision !== 'nano') {
      throw new PcapError('EINVAL', `precision must be 'micro' or 'nano', not '${String(precision)}'`);
    }
    options.signal?.throwIfAborted();
    this.path = path;
    this.precisionOption = precision;
    this.batchBytes = options.batchBytes ?? DEFAULT_BATCH_BYTES;
    this.batchPackets = options.batchPackets ?? DEFAULT_BATCH_PACKETS;
    if (!(this.batchBytes >= 4096) || !(this.batchPackets >= 1)) {
      throw new PcapError('EINVAL', 'batchBytes must be >= 4096 and batchPackets >= 1');
    }
    const handle = new native.OfflineHandle(path);
    this.handle = handle;
    if (handle.isRegular()) {
      try {
        this.opened(handle.openSync());
      } catch (err) {
        handle.close();
        this.handle = undefined;
        this.closedFlag = true;
        throw err;
      }
      // A bad filter is thrown here, with the file's link types known.
      if (options.filter !== undefined) this.setFilter(options.filter);
      this.ready = Promise.resolve(this);
    } else {
      if (options.filter !== undefined) {
        if (typeof options.filter !== 'string') throw new PcapError('EINVAL', 'filter must be a string');
        this.filterExpr = options.filter;
      }
      this.ready = handle.open().then((info) => {
        this.opened(info);
        if (this.filterExpr !== '') this.handle?.setFilter(this.filterExpr);
        return this;
      });
      // The loop (or open()) reports a failure; an unobserved one must not crash the process.
      this.ready.catch(() => {});
    }
    this.signal = options.signal;
    if (this.signal) {
      this.onAbort = () => void this.close();
      this.signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  /** Opens and waits for the file header (a pipe's may come late): then every property is set. */
  static async open(path: string, options?: ReaderOptions): Promise<PCAPReader> {
    return new PCAPReader(path, options).ready;
  }

  /** Link type (DLT value) of the file; for pcapng with several interfaces, the first one's (-1: none). */
  get linktype(): number {
    return this.header().linktype;
  }
  /** libpcap's name of `linktype`, e.g. `EN10MB`. */
  get linktypeName(): string {
    return linktypeName(this.linktype);
  }
  get snaplen(): number {
    return this.header().snaplen;
  }
  /** Precision of the timestamps delivered: the option, else the file's own. */
  get precision(): Precision {
    return this.precisionOption ?? (this.header().nano ? 'nano' : 'micro');
  }
  get format(): FileFormat {
    return this.header().format;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /**
   * The capture's interfaces, as met so far: the one of a pcap file, the IDBs of a pcapng file
   * (packets refer to them by `interfaceIndex`). Stays readable after the reader is closed.
   */
  get interfaces(): readonly CaptureInterface[] {
    return this.ifaces;
  }

  get stats(): ReaderStats {
    return { packetsRead: this.read, packetsDelivered: this.delivered };
  }

  /** Sets (or with '' clears) the BPF filter; applies from the next batch on. */
  setFilter(expr: string): void {
    if (typeof expr !== 'string') throw new PcapError('EINVAL', 'setFilter(expr: string)');
    if (this.closedFlag) throw new PcapError('ECLOSED', 'the reader is closed');
    // Before a pipe's header is in, the expression is compiled when it arrives.
    if (this.info !== undefined) this.handle?.setFilter(expr);
    this.filterExpr = expr;
  }

  /**
   * Batches of packets, for the fastest loops (see PacketBatch accessors).
   *
   * A batch used only through its accessors (`caplen(i)`, ...) is recycled when the loop asks
   * for the next one; a batch whose packets, data views or arena were taken is left to the
   * garbage collector, so those stay valid. With `recycle: true`, every batch (and any Packet
   * or view taken from it) is valid only until the loop asks for the next batch: then it is
   * emptied (views read as length 0, a Packet's header fields as undefined; nothing is ever
   * overwritten with other data) and its memory is reused at once.
   */
  async *batches(options: { recycle?: boolean } = {}): AsyncGenerator<PacketBatch, void, undefined> {
    const recycle = options.recycle === true;
    if (this.iterating) throw new PcapError('EINVAL', 'this reader is already being iterated');
    if (this.closedFlag) throw new PcapError('ECLOSED', 'the reader is closed');
    this.iterating = true;
    let pending: Promise<Step> | undefined;
    try {
      if (this.info === undefined) {
        try {
          await this.ready;
        } catch (err) {
          // close() while the header was awaited ends the loop quietly, like close() elsewhere
          if (this.closedFlag && err instanceof PcapError && err.code === 'ECLOSED') return;
          throw err;
        }
        this.signal?.throwIfAborted();
        if (this.closedFlag) return;
      }
      pending = this.readStep();
      while (pending !== undefined) {
        const step: Step = await pending;
        pending = undefined;
        this.signal?.throwIfAborted();
        if (this.closedFlag) return;
        // Ask for the next batch before handing this one out: one batch ahead.
        if (!step.eof) pending = this.readStep();
        if (step.batch.count > 0) {
          this.delivered += step.batch.count;
          yield step.batch;
        }
        // The loop has moved on: give the memory back now unless a view of it may be held.
        step.batch.recycle(native.detachBlock, recycle);
        if (step.error) throw step.error;
      }
    } finally {
      this.iterating = false;
      // Close first: a read-ahead waiting on an idle pipe returns at once when closed.
      await this.close();
      if (pending !== undefined) await pending.catch(() => undefined);
    }
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Packet> {
    return new PacketIterator(this.batches());
  }

  /**
   * Releases the native handle at once. Idempotent. A running loop ends cleanly, also one
   * waiting for a pipe's writer to send more.
   */
  async close(): Promise<void> {
    if (this.closedFlag) return;
    this.closedFlag = true;
    if (this.signal && this.onAbort) this.signal.removeEventListener('abort', this.onAbort);
    this.handle?.close();
    this.handle = undefined;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private opened(info: NativeFileInfo): void {
    this.info = info;
    if (this.precisionOption === 'micro') this.handle?.setPrecision('micro');
    else if (this.precisionOption === undefined && !info.nano) this.handle?.setPrecision('micro');
    this.refreshInterfaces();
  }

  private refreshInterfaces(): void {
    // (the native objects are plain, with exactly CaptureInterface's fields)
    for (const itf of this.handle?.interfaces(this.ifaces.length) ?? []) this.ifaces.push(itf);
  }

  private header(): NativeFileInfo {
    if (this.info === undefined) {
      throw new PcapError(
        'EINVAL',
        `${this.path}: the file header has not arrived yet; await PCAPReader.open() or reader.ready first`,
      );
    }
    return this.info;
  }

  private async readStep(): Promise<Step> {
    let bytes = this.batchBytes;
    for (;;) {
      const handle = this.handle;
      const { arena, headers } = allocBatch(this.batchPackets, bytes);
      if (handle === undefined) return { batch: new PacketBatch(arena, headers, 0), eof: true };
      const r: ReadResult = await handle.read(arena, headers);
      this.read += r.read;
      if (r.interfacesChanged) this.refreshInterfaces();
      if (r.comments) attachComments(headers, r.comments);
      attachInterfaces(headers, this.ifaces);
      if (r.needBytes !== undefined && r.count === 0 && !r.eof) {
        bytes = Math.max(bytes * 2, r.needBytes + 8);
        continue;
      }
      return { batch: new PacketBatch(arena, headers, r.count), eof: r.eof, error: r.error };
    }
  }
}

interface Step {
  batch: PacketBatch;
  eof: boolean;
  error?: PcapError;
}
