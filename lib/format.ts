// Recognising a capture file from its first bytes, without libpcap: which format, which
// byte order, which timestamp precision. Used to pick defaults (precision, append headers).
import * as fs from 'node:fs';
import { sniffPcapngPrecision } from './pcapng';

export type FileFormat = 'pcap' | 'pcapng' | 'unknown';
export type Precision = 'micro' | 'nano';

export interface SniffResult {
  format: FileFormat;
  precision?: Precision;
  littleEndian?: boolean;
  /** Link type and snaplen from a pcap file header. */
  linktype?: number;
  snaplen?: number;
}

const PCAP_US = 0xa1b2c3d4;
const PCAP_NS = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;

export function sniffBuffer(head: Buffer): SniffResult {
  if (head.length < 4) return { format: 'unknown' };
  const le = head.readUInt32LE(0);
  const be = head.readUInt32BE(0);
  if (le === PCAPNG_SHB) {
    return { format: 'pcapng', precision: sniffPcapngPrecision(head) };
  }
  for (const [magic, littleEndian] of [
    [le, true],
    [be, false],
  ] as const) {
    if (magic === PCAP_US || magic === PCAP_NS) {
      const r: SniffResult = {
        format: 'pcap',
        precision: magic === PCAP_NS ? 'nano' : 'micro',
        littleEndian,
      };
      if (head.length >= 24) {
        r.snaplen = littleEndian ? head.readUInt32LE(16) : head.readUInt32BE(16);
        r.linktype = littleEndian ? head.readUInt32LE(20) : head.readUInt32BE(20);
      }
      return r;
    }
  }
  return { format: 'unknown' };
}

/** Reads the head of a regular file (not stdin) and sniffs it; 'unknown' when unreadable. */
export function sniffFile(path: string, bytes = 65536): SniffResult {
  if (path === '-') return { format: 'unknown' };
  let fd: number | undefined;
  try {
    fd = fs.openSync(path, 'r');
    const buf = Buffer.alloc(bytes);
    const n = fs.readSync(fd, buf, 0, bytes, 0);
    return sniffBuffer(buf.subarray(0, n));
  } catch {
    return { format: 'unknown' };
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
