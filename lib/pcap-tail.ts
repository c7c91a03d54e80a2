// Cutting a pcap file that a failed write left ending in the middle of a record back to its
// last whole record. libpcap writes through a stdio buffer: when the disk fills up, the kernel
// takes part of a buffer (a short write), glibc drops the rest, and the file ends wherever that
// happened, usually inside a record. What is before that point is intact, so walking the record
// headers from a known record boundary finds the last whole record.
import * as fs from 'node:fs';

const FILE_HEADER = 24;
const RECORD_HEADER = 16;
const CHUNK = 1 << 20;
// A record claiming more than this is not one libpcap wrote (its snaplen is at most 2^31).
const MAX_CAPLEN = 0x7fffffff;

/** Identity of a file, to make sure the path still names the file that was written. */
export interface FileIdentity {
  dev: number;
  ino: number;
}

export interface TrimResult {
  /** Whole records from `from` on that were kept. */
  records: number;
  /** The file's size after the cut. */
  size: number;
  /** Bytes cut off the end (a partial record). */
  cut: number;
}

/** dev/ino of a regular file, or undefined (missing, a pipe, a device). */
export function identify(path: string): FileIdentity | undefined {
  try {
    const st = fs.statSync(path);
    return st.isFile() ? { dev: st.dev, ino: st.ino } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Cuts the pcap file at `path` after its last whole record, walking the records from `from`
 * (a record boundary, or 0 for the start of the file: the walk reads every record header, which
 * is fine for the rare failure it is for). A file shorter than its 24-byte header
 * is emptied. Returns undefined, touching nothing, when the path no longer names the file
 * `expected` identifies (removed, replaced) or the file cannot be opened.
 */
export function trimToWholeRecords(path: string, expected: FileIdentity, from = 0): TrimResult | undefined {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r+'); // (through links, like the writer; the identity is checked below)
  } catch {
    return undefined;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.dev !== expected.dev || st.ino !== expected.ino) return undefined;
    const size = st.size;
    if (size < FILE_HEADER) {
      if (size > 0) fs.ftruncateSync(fd, 0);
      return { records: 0, size: 0, cut: size };
    }
    const head = Buffer.alloc(4);
    fs.readSync(fd, head, 0, 4, 0);
    const magic = head.readUInt32LE(0);
    const littleEndian = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
    let end = Math.max(from, FILE_HEADER);
    let records = 0;
    const buf = Buffer.allocUnsafe(CHUNK);
    let bufStart = -1;
    let bufLen = 0;
    // Reads the 16-byte record header at `off` (through a 1 MiB window), or undefined at the end.
    const caplenAt = (off: number): number | undefined => {
      if (off + RECORD_HEADER > size) return undefined;
      if (bufStart < 0 || off < bufStart || off + RECORD_HEADER > bufStart + bufLen) {
        bufLen = fs.readSync(fd, buf, 0, CHUNK, off);
        bufStart = off;
        if (bufLen < RECORD_HEADER) return undefined;
      }
      const at = off - bufStart + 8;
      return littleEndian ? buf.readUInt32LE(at) : buf.readUInt32BE(at);
    };
    while (end < size) {
      const caplen = caplenAt(end);
      if (caplen === undefined || caplen > MAX_CAPLEN || end + RECORD_HEADER + caplen > size) break;
      end += RECORD_HEADER + caplen;
      records++;
    }
    if (end < size) fs.ftruncateSync(fd, end);
    return { records, size: Math.min(end, size), cut: size - Math.min(end, size) };
  } finally {
    fs.closeSync(fd);
  }
}
