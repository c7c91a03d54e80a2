// Loads the native addon (a prebuild from prebuilds/, or build/Release after node-gyp) and
// describes its surface. Everything policy-like lives in the TS classes that wrap it.
import * as path from 'node:path';
import { PcapError } from './errors';
import { HDR_STRIDE } from './batch-layout';
import type { CaptureInterface } from './reader';

export * from './batch-layout';

export interface ReadResult {
  count: number;
  read: number;
  bytes: number;
  eof: boolean;
  needBytes?: number;
  error?: PcapError;
  /** New interfaces (or a new section) were met: ask interfaces() again. */
  interfacesChanged?: boolean;
  /** pcapng packet comments as [index, text, index, text, ...]. */
  comments?: (number | string)[];
  /** The read ended because the handle was closed. */
  closed?: boolean;
}

export interface NativeFileInfo {
  format: 'pcap' | 'pcapng' | 'unknown';
  /** DLT of the first interface; -1 for a pcapng file without any. */
  linktype: number;
  snaplen: number;
  /** The file's own precision is nanoseconds (pcapng: the first interface's). */
  nano: boolean;
  fileSize: number;
  magic?: number;
  swapped?: boolean;
  versionMajor?: number;
  versionMinor?: number;
  packetsRead: number;
  packetsPassed: number;
}

/** What interfaces() returns: exactly the public CaptureInterface (plain objects). */
export type NativeInterface = CaptureInterface;

export interface NativeOfflineHandle {
  isRegular(): boolean;
  openSync(): NativeFileInfo;
  open(): Promise<NativeFileInfo>;
  info(): NativeFileInfo;
  interfaces(from?: number): NativeInterface[];
  setFilter(expr: string): void;
  setPrecision(precision: 'micro' | 'nano'): void;
  read(arena: Uint8Array, headers: Float64Array): Promise<ReadResult>;
  offset(): number;
  close(): void;
}

export interface NativeDumper {
  addInterface(itf: { linktype: number; snaplen?: number; name?: string; description?: string; tsresol?: number; tsoffset?: number }): number;
  write(arena: Uint8Array, headers: Float64Array, count: number, interfaces?: Uint32Array, comments?: (number | string)[]): number;
  flush(): void;
  position(): number;
  /** Packets the file holds (after a write error: the whole ones that reached it). */
  packets(): number;
  close(): void;
}

export interface NativeDumperOptions {
  format: 'pcap' | 'pcapng';
  linktype: number;
  snaplen: number;
  precision: 'micro' | 'nano';
  append: boolean;
  comment?: string;
}

export interface NativeBpfProgram {
  matches(data: Uint8Array, wireLength?: number): boolean;
  instructions(): string[];
}

export interface FilterProgress {
  packetsRead: number;
  packetsWritten: number;
  bytesRead: number;
  totalBytes: number;
}

export interface NativeFilterResult {
  packetsRead: number;
  packetsWritten: number;
  bytesRead: number;
  bytesWritten: number;
  cancelled: boolean;
  inputFormat?: 'pcap' | 'pcapng';
  format?: 'pcap' | 'pcapng';
  /** Repair only: bytes passed over to reach plausible records again, and in how many places. */
  bytesSkipped?: number;
  damagedRegions?: number;
  /** Split only: the files written, in order. */
  files?: string[];
}

export interface NativeFilterJob {
  start(): Promise<NativeFilterResult>;
  progress(): FilterProgress;
  cancel(): void;
}

export interface NativeBinding {
  OfflineHandle: new (path: string) => NativeOfflineHandle;
  Dumper: new (path: string, options: NativeDumperOptions) => NativeDumper;
  BpfProgram: new (linktype: number, snaplen: number, expr: string) => NativeBpfProgram;
  FilterJob: new (
    input: string,
    output: string,
    expr: string,
    options: {
      precision?: 'micro' | 'nano';
      format?: 'pcap' | 'pcapng';
      count?: number;
      skip?: number;
      /** [seconds, nanoseconds] */
      start?: [number, number];
      end?: [number, number];
      repair?: boolean;
      splitPackets?: number;
      splitSeconds?: number;
      prefix?: string;
      suffix?: string;
    },
  ) => NativeFilterJob;
  MergeJob: new (
    inputs: string[],
    output: string,
    options: { append?: boolean; format?: 'pcap' | 'pcapng'; precision?: 'micro' | 'nano' },
  ) => {
    start(): Promise<NativeFilterResult & { cancelled: boolean }>;
    progress(): { bytesRead: number; totalBytes: number };
    cancel(): void;
  };
  /** An ArrayBuffer from the addon's pool of batch blocks (see native/arena.h). */
  allocBlock(bytes: number): ArrayBuffer;
  /** Empties every view of a block from allocBlock and returns its memory to the pool now. */
  detachBlock(block: ArrayBuffer): void;
  listDevices(): unknown[];
  setErrorClass(cls: unknown): void;
  libVersion(): string;
  linktypeName(linktype: number): string | null;
  linktypeDescription(linktype: number): string | null;
  linktypeFromName(name: string): number | null;
  /** The native error classifier's tables (native/engine/error_codes.h), for the tests. */
  codeForPcapStatus(status: number): string;
  codeForErrno(errno: number): string;
  codeForPcapMessage(message: string): string | null;
  HDR_STRIDE: number;
}

function load(): NativeBinding {
  // dist/cjs/binding.js -> package root
  const root = path.join(__dirname, '..', '..');
  let b: NativeBinding;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    b = require('node-gyp-build')(root) as NativeBinding;
  } catch (err) {
    const msg = (err as Error).message;
    const hint = /libpcap\.so/.test(msg)
      ? ' libpcap is missing: install it (Debian/Ubuntu: apt-get install libpcap0.8).'
      : ' Build it with `npm rebuild pcapkit` (needs libpcap-dev, python3, make, g++).';
    throw new PcapError('EIO', `cannot load the pcapkit native addon: ${msg}.${hint}`, {
      cause: err,
    });
  }
  b.setErrorClass(PcapError);
  return b;
}

export const native: NativeBinding = load();


/** A batch's header table and arena in one pooled block. */
export function allocBatch(packets: number, bytes: number): { headers: Float64Array; arena: Buffer } {
  const hdrBytes = packets * HDR_STRIDE * 8;
  const block = native.allocBlock(hdrBytes + bytes);
  return {
    headers: new Float64Array(block, 0, packets * HDR_STRIDE),
    arena: Buffer.from(block, hdrBytes, bytes),
  };
}

if (native.HDR_STRIDE !== HDR_STRIDE) {
  throw new PcapError('EINVAL', 'pcapkit: native addon and JS layer disagree on the batch layout');
}
