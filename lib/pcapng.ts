// TEMPORARY placeholder while the pcapng block parser is written; replaced by the real one.
import type { ReadResult } from './binding';
import { PcapError } from './errors';
import type { Precision } from './format';

export interface PcapngInterface {
  index: number;
  linktype: number;
  snaplen: number;
  name?: string;
  description?: string;
}

export function sniffPcapngPrecision(_head: Buffer): Precision | undefined {
  return undefined;
}

export class PcapngFileReader {
  readonly interfaces: PcapngInterface[] = [];
  static async open(path: string): Promise<PcapngFileReader> {
    throw new PcapError('ENOTSUP', `${path}: pcapng block parser not available yet`);
  }
  async skip(_n: number): Promise<number> {
    return 0;
  }
  async readBatch(_a: Buffer, _h: Float64Array, _p: Precision): Promise<ReadResult> {
    return { count: 0, read: 0, bytes: 0, eof: true };
  }
  async close(): Promise<void> {}
}
