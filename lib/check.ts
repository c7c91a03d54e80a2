// Integrity check and repair of capture files: what `pcapkit check` and `pcapkit repair` do.
import { PcapError } from './errors';
import type { FileFormat } from './format';
import { PCAPReader } from './reader';
import type { NativeFilterResult } from './binding';
import { copyCapture } from './filter-file';

export type CheckStatus = 'intact' | 'truncated' | 'corrupt' | 'unreadable';

export interface CheckReport {
  path: string;
  status: CheckStatus;
  format: FileFormat;
  linktype?: number;
  linktypeName?: string;
  /** Whole packets that could be read. */
  packets: number;
  /** Bytes of captured data in those packets. */
  bytes: number;
  /** Packets cut by the snapshot length (caplen < wire length): normal, not damage. */
  snapTruncated: number;
  firstTimestamp?: number;
  lastTimestamp?: number;
  /** What stopped the read, for damaged or unreadable files. */
  error?: PcapError;
}

function statusOf(err: PcapError): CheckStatus {
  if (err.code === 'ETRUNCATED') return 'truncated';
  if (err.code === 'EFORMAT') return 'corrupt';
  return 'unreadable';
}

/** Reads the whole file and reports whether it is intact, cut short or corrupt. */
export async function checkFile(path: string, options: { signal?: AbortSignal } = {}): Promise<CheckReport> {
  const report: CheckReport = { path, status: 'intact', format: 'unknown', packets: 0, bytes: 0, snapTruncated: 0 };
  let reader: PCAPReader;
  try {
    reader = await PCAPReader.open(path, { signal: options.signal });
  } catch (err) {
    if (!(err instanceof PcapError)) throw err;
    // A file whose header is damaged holds no readable packet at all.
    report.status = err.code === 'ETRUNCATED' ? 'truncated' : statusOf(err);
    report.error = err;
    return report;
  }
  report.format = reader.format;
  report.linktype = reader.linktype;
  report.linktypeName = reader.linktypeName;
  try {
    for await (const b of reader.batches()) {
      for (let i = 0; i < b.count; i++) {
        const caplen = b.caplen(i);
        report.bytes += caplen;
        if (caplen < b.length(i)) report.snapTruncated++;
      }
      // The span from the earliest to the latest packet, as capinfos reports it (timestamps
      // need not be in order).
      for (let i = 0; i < b.count; i++) {
        const t = b.tsSec(i) + b.tsNsec(i) / 1e9;
        if (report.firstTimestamp === undefined || t < report.firstTimestamp) report.firstTimestamp = t;
        if (report.lastTimestamp === undefined || t > report.lastTimestamp) report.lastTimestamp = t;
      }
      report.packets += b.count;
    }
  } catch (err) {
    if (!(err instanceof PcapError) || err.code === 'ECLOSED') throw err;
    report.status = statusOf(err);
    report.error = err;
  }
  return report;
}

export interface RepairResult {
  /** The input as repair found it: 'corrupt' when damage had to be skipped. */
  input: CheckReport['status'];
  packetsWritten: number;
  /** Bytes of the input passed over to reach plausible records again (0: nothing skipped). */
  bytesSkipped: number;
  /** Damaged places skipped. */
  damagedRegions: number;
  /** Always 0: every link type is kept (a pcapng input stays pcapng). */
  packetsSkipped: number;
  /** The output's format: the input's. */
  format: 'pcap' | 'pcapng';
  /** The first damage met (or the cut at the end). */
  error?: PcapError;
}

/**
 * Writes every readable packet of `input` to `output`, a valid capture in the input's format
 * with the same link types, snapshot length and precision: each record copied as it is (an
 * intact pcap input comes out byte for byte the same; a pcapng input keeps its interfaces,
 * comments and flags). Past a damaged record it looks for the next plausible one (a plausible
 * header followed by another, as pcapfix does) and goes on: `bytesSkipped` says how much was
 * passed over. The damage is reported, not thrown; a header too damaged to read, or a failure
 * to write `output` (ENOSPC, EIO), is thrown.
 */
export async function repairFile(input: string, output: string): Promise<RepairResult> {
  try {
    const r = await copyCapture(input, output, '', {}, true);
    return { input: 'intact', packetsWritten: r.packetsWritten, bytesSkipped: 0, damagedRegions: 0, packetsSkipped: 0, format: r.format };
  } catch (err) {
    // Damage after the header: every whole packet before it, and after it where found, is in OUT.
    const result = (err as { result?: NativeFilterResult }).result;
    if (!(err instanceof PcapError)) throw err;
    if ((err.code !== 'ETRUNCATED' && err.code !== 'EFORMAT') || result === undefined) {
      // (filterFile counts "matching" packets; a repair copies them all)
      err.message = err.message.replace(/ matching packets$/, ' packets written');
      throw err;
    }
    const skipped = result.bytesSkipped ?? 0;
    return {
      input: skipped > 0 ? 'corrupt' : statusOf(err),
      packetsWritten: result.packetsWritten,
      bytesSkipped: skipped,
      damagedRegions: result.damagedRegions ?? 0,
      packetsSkipped: 0,
      format: result.format ?? 'pcap',
      error: err,
    };
  }
}
