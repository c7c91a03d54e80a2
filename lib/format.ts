// Recognising a capture file: which format, which byte order, which timestamp precision. The
// capture-file engine reads the header (the same code that reads the packets), so what this
// says is what a PCAPReader will see.
import * as fs from 'node:fs';
import { native } from './binding';

export type FileFormat = 'pcap' | 'pcapng' | 'unknown';
export type Precision = 'micro' | 'nano';

export interface SniffResult {
  format: FileFormat;
  /** The file's own precision (pcapng: its first interface's if_tsresol). */
  precision?: Precision;
  /** pcap: the file's byte order. */
  littleEndian?: boolean;
  /** Link type (DLT value) and snaplen of the file (pcapng: of its first interface). */
  linktype?: number;
  snaplen?: number;
}

/**
 * Reads the header of a regular file and says what it is; `'unknown'` when it is no capture
 * file, cannot be read, or is not a regular file (a pipe's bytes are left for its reader).
 */
export function sniffFile(path: string): SniffResult {
  // Never open anything but a regular file: opening a FIFO would take bytes (or the writer)
  // from whoever reads it next.
  try {
    if (path === '-' || !fs.statSync(path).isFile()) return { format: 'unknown' };
  } catch {
    return { format: 'unknown' };
  }
  let handle;
  try {
    handle = new native.OfflineHandle(path);
  } catch {
    return { format: 'unknown' };
  }
  try {
    const info = handle.openSync();
    const r: SniffResult = { format: info.format, precision: info.nano ? 'nano' : 'micro' };
    if (info.format === 'pcap') {
      const hostLittle = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
      r.littleEndian = info.swapped ? !hostLittle : hostLittle;
    }
    if (info.linktype >= 0) {
      r.linktype = info.linktype;
      r.snaplen = info.snaplen;
    }
    return r;
  } catch {
    return { format: 'unknown' };
  } finally {
    handle.close();
  }
}
