// Loads the native addon (a prebuild from prebuilds/, or build/Release after node-gyp) and
// describes its surface. Everything policy-like lives in the TS classes that wrap it.
import * as path from 'node:path';
import { PcapError } from './errors';

export interface ReadResult {
  count: number;
  read: number;
  bytes: number;
  eof: boolean;
  needBytes?: number;
  error?: PcapError;
}

export interface NativeOfflineHandle {
  info(): {
    linktype: number;
    snaplen: number;
    fileSize: number;
    magic: number;
    swapped?: boolean;
    versionMajor?: number;
    versionMinor?: number;
    packetsRead: number;
    packetsPassed: number;
  };
  setFilter(expr: string): void;
  read(arena: Uint8Array, headers: Float64Array): Promise<ReadResult>;
  offset(): number;
  close(): void;
}

export interface NativeDumper {
  write(arena: Uint8Array, headers: Float64Array, count: number): number;
  flush(): void;
  position(): number;
  close(): void;
}

export interface NativeBpfProgram {
  matches(data: Uint8Array, wireLength?: number): boolean;
  matchBatch(arena: Uint8Array, headers: Float64Array, count: number, out: Uint8Array): number;
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
}

export interface NativeFilterJob {
  start(): Promise<NativeFilterResult>;
  progress(): FilterProgress;
  cancel(): void;
  info(): { linktype: number; snaplen: number; fileSize: number };
}

export interface NativeBinding {
  OfflineHandle: new (path: string, precision: 'micro' | 'nano') => NativeOfflineHandle;
  Dumper: new (
    path: string,
    linktype: number,
    snaplen: number,
    precision: 'micro' | 'nano',
    append: boolean,
  ) => NativeDumper;
  BpfProgram: new (linktype: number, snaplen: number, expr: string) => NativeBpfProgram;
  FilterJob: new (
    input: string,
    output: string,
    expr: string,
    precision: 'micro' | 'nano',
  ) => NativeFilterJob;
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

/** Numbers per packet in a batch's header table (see native/batch.h). */
export const HDR_STRIDE = 8;

/** A batch's header table and arena in one pooled block. */
export function allocBatch(packets: number, bytes: number): { headers: Float64Array; arena: Buffer } {
  const hdrBytes = packets * HDR_STRIDE * 8;
  const block = native.allocBlock(hdrBytes + bytes);
  return {
    headers: new Float64Array(block, 0, packets * HDR_STRIDE),
    arena: Buffer.from(block, hdrBytes, bytes),
  };
}
export const H_TS_SEC = 0;
export const H_TS_NSEC = 1;
export const H_CAPLEN = 2;
export const H_LEN = 3;
export const H_OFFSET = 4;
export const H_LINKTYPE = 5;
export const H_IFINDEX = 6;
export const H_FLAGS = 7;

if (native.HDR_STRIDE !== HDR_STRIDE) {
  throw new PcapError('EINVAL', 'pcapkit: native addon and JS layer disagree on the batch layout');
}
