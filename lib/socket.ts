// PCAPSocket: live capture. A native capture thread (native/engine/live_capture.h) hands batches to
// JS; this class queues them for async iteration and acknowledges each one as it is taken,
// which is what lets the native side apply backpressure.
import { native, HDR_STRIDE } from './binding';
import { PcapError } from './errors';
import type { Precision } from './format';
import { linktypeName, resolveLinktype } from './linktype';
import { type Packet, PacketBatch } from './packet';
import { PacketIterator } from './packet-iterator';
import { DEFAULT_DEVICE } from './devices';

export interface SocketOptions {
  /** Bytes captured per packet (default 262144). */
  snaplen?: number;
  /** Promiscuous mode (default true). */
  promisc?: boolean;
  /** Packet buffer timeout in ms: a quiet link still delivers within this (default 1000). */
  timeout?: number;
  /** Kernel buffer size in bytes (libpcap default 2 MiB). */
  bufferSize?: number;
  /** Deliver every packet at once instead of per kernel block (more CPU). */
  immediate?: boolean;
  precision?: Precision;
  direction?: 'in' | 'out' | 'inout';
  filter?: string;
  /** Link type to ask the device for (pcap_set_datalink). */
  linktype?: number | string;
  /** 802.11 monitor mode. */
  rfmon?: boolean;
  signal?: AbortSignal;
  /** Batches that may wait for JS before the capture thread stops reading (default 8). */
  maxQueued?: number;
}

export interface CaptureStats {
  received: number;
  dropped: number;
  ifDropped: number;
}

interface NativeLiveHandle {
  start(cb: (ab: ArrayBuffer | null, countOrError: number | PcapError, hdrBytes?: number) => void): void;
  info(): { linktype: number; snaplen: number; precision: Precision; warnings: string[]; network?: number; netmask?: number };
  setFilter(expr: string): void;
  stats(): CaptureStats;
  ack(n: number): void;
  inject(buf: Uint8Array): number;
  ref(): void;
  unref(): void;
  /** Resolves once the capture handles are closed (their descriptors gone). */
  close(): Promise<void>;
}

const PRIVILEGE_HINT =
  'capturing needs root or the capabilities cap_net_raw,cap_net_admin on the node binary; give them ' +
  'to a copy of node kept for capturing, not to the system node: ' +
  'sudo setcap cap_net_raw,cap_net_admin+eip /path/to/that/node (README: "Capturing without root")';

function ipv4(n: number | undefined): string | null {
  // pcap_lookupnet answers 0.0.0.0 for devices without an IPv4 network (e.g. 'any').
  if (n === undefined || n === 0) return null;
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/**
 * A live capture on a device (`'any'` by default): an async iterable of packets handed over
 * by a C++ capture thread, one batch per kernel block. Also sends raw frames (`send`).
 * Needs root or `cap_net_raw,cap_net_admin`.
 *
 * ```ts
 * for await (const pkt of new PCAPSocket('eth0', { filter: 'icmp', timeout: 100 })) console.log(pkt.timestamp);
 * ```
 */
export class PCAPSocket implements AsyncIterable<Packet> {
  readonly device: string;
  readonly linktype: number;
  readonly linktypeName: string;
  readonly snaplen: number;
  readonly precision: Precision;
  /** Warnings libpcap gave while activating (e.g. promiscuous mode not supported). */
  readonly warnings: readonly string[];
  /** IPv4 network and netmask of the device (pcap_lookupnet), or null. */
  readonly network: string | null;
  readonly netmask: string | null;

  private handle: NativeLiveHandle | undefined;
  private queue: PacketBatch[] = [];
  private failure: PcapError | undefined;
  private waiter: (() => void) | undefined;
  private started = false;
  private iterating = false;
  private readonly signal: AbortSignal | undefined;
  private readonly onAbort: (() => void) | undefined;
  private readonly timeout: number;
  private readonly immediate: boolean;

  constructor(device: string = DEFAULT_DEVICE, options: SocketOptions = {}) {
    options.signal?.throwIfAborted();
    const Live = (native as unknown as { LiveHandle: new (d: string, o: object) => NativeLiveHandle }).LiveHandle;
    let handle: NativeLiveHandle;
    try {
      handle = new Live(device, {
        ...options,
        linktype: options.linktype === undefined ? undefined : resolveLinktype(options.linktype),
        signal: undefined,
        filter: undefined,
      });
    } catch (err) {
      if (err instanceof PcapError && err.code === 'EPERM') {
        throw new PcapError('EPERM', `${err.message} (${PRIVILEGE_HINT})`, { status: err.status, cause: err });
      }
      throw err;
    }
    this.handle = handle;
    this.timeout = options.timeout ?? 1000;
    this.immediate = options.immediate === true;
    const info = handle.info();
    this.device = device;
    this.linktype = info.linktype;
    this.linktypeName = linktypeName(info.linktype);
    this.snaplen = info.snaplen;
    this.precision = info.precision;
    this.warnings = info.warnings;
    this.network = ipv4(info.network);
    this.netmask = ipv4(info.netmask);
    if (options.filter !== undefined) {
      try {
        handle.setFilter(options.filter);
      } catch (err) {
        void handle.close();
        throw err;
      }
    }
    this.signal = options.signal;
    if (this.signal) {
      this.onAbort = () => void this.close();
      this.signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  get closed(): boolean {
    return this.handle === undefined;
  }

  /** Changes the kernel filter while capturing (a bad expression throws EFILTER at once). */
  setFilter(expr: string): void {
    this.live().setFilter(expr);
  }

  /**
   * Kernel counters: packets received, dropped for lack of buffer space, dropped by the
   * interface. On loopback `received` counts each packet twice (leaving and arriving; libpcap
   * discards the outgoing copy), so it is about twice what the loop sees.
   */
  stats(): CaptureStats {
    return this.live().stats();
  }

  /** Sends one raw frame (link-layer header included); returns the bytes sent. */
  send(frame: Uint8Array): number {
    if (!(frame instanceof Uint8Array)) throw new PcapError('EINVAL', 'send(frame: Uint8Array)');
    return this.live().inject(frame);
  }

  /** Sends several frames in order; returns the bytes sent in total. */
  sendMany(frames: Iterable<Uint8Array>): number {
    let total = 0;
    for (const f of frames) total += this.send(f);
    return total;
  }

  /** Let the process exit while capturing (the default keeps it alive, like a server). */
  unref(): this {
    this.handle?.unref();
    return this;
  }

  ref(): this {
    this.handle?.ref();
    return this;
  }

  async *batches(): AsyncGenerator<PacketBatch, void, undefined> {
    const handle = this.live();
    if (this.iterating) throw new PcapError('EINVAL', 'this capture is already being iterated');
    this.iterating = true;
    if (!this.started) this.start(handle);
    try {
      for (;;) {
        const batch = this.queue.shift();
        if (batch !== undefined) {
          this.handle?.ack(1);
          yield batch;
          continue;
        }
        this.signal?.throwIfAborted();
        if (this.failure) throw this.failure;
        if (this.handle === undefined) return;
        await new Promise<void>((resolve) => (this.waiter = resolve));
      }
    } finally {
      this.iterating = false;
      await this.close();
    }
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Packet> {
    return new PacketIterator(this.batches());
  }


  /**
   * Stops capturing and releases the device. Idempotent. Batches already handed over are
   * still yielded to a running loop, which then ends. With `drain: true`, capture goes on for
   * the packet buffer timeout first (immediate mode: a few ms), so packets the kernel holds in
   * a block it has not handed over yet are delivered rather than lost.
   */
  async close(options: { drain?: boolean } = {}): Promise<void> {
    if (this.handle === undefined) return;
    if (options.drain) {
      await new Promise((r) => setTimeout(r, this.immediate ? 20 : this.timeout + 50));
    }
    const h = this.handle;
    if (h === undefined) return;
    this.handle = undefined;
    if (this.signal && this.onAbort) this.signal.removeEventListener('abort', this.onAbort);
    const closed = h.close();
    this.wake();
    // The device's descriptors are released off the event loop (the kernel makes a packet
    // socket wait ~20 ms); close() resolves once they are gone.
    await closed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private start(handle: NativeLiveHandle): void {
    this.started = true;
    handle.start((ab, countOrError, hdrBytes) => {
      if (ab === null) {
        this.failure = countOrError as PcapError;
      } else if (this.handle !== undefined) {
        const count = countOrError as number;
        const headers = new Float64Array(ab, 0, count * HDR_STRIDE);
        this.queue.push(new PacketBatch(Buffer.from(ab, hdrBytes as number), headers, count));
      }
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  private live(): NativeLiveHandle {
    if (this.handle === undefined) throw new PcapError('ECLOSED', `${this.device}: the capture is closed`);
    return this.handle;
  }
}
