// Integrity check and repair of capture files: what `pcapkit check` and `pcapkit repair` do.
import { PcapError } from './errors';
import type { FileFormat } from './format';
import { PCAPReader } from './reader';
import { PCAPWriter } from './writer';

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
    reader = new PCAPReader(path, { signal: options.signal });
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
      if (b.count > 0) {
        if (report.firstTimestamp === undefined) report.firstTimestamp = b.tsSec(0) + b.tsNsec(0) / 1e9;
        const last = b.count - 1;
        report.lastTimestamp = b.tsSec(last) + b.tsNsec(last) / 1e9;
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
  input: CheckReport['status'];
  packetsWritten: number;
  /** Packets left out because their link type differs from the output file's. */
  packetsSkipped: number;
  error?: PcapError;
}

/**
 * Writes every readable packet of `input` to `output`, a valid pcap file with the same link
 * type, snapshot length and precision. The damage, if any, is reported, not thrown; a failure
 * to write `output` (ENOSPC, EIO) is thrown.
 */
export async function repairFile(input: string, output: string): Promise<RepairResult> {
  const reader = new PCAPReader(input);
  const writer = new PCAPWriter(output, {
    linktype: reader.linktype,
    snaplen: Math.max(reader.snaplen, 1),
    precision: reader.precision,
  });
  const result: RepairResult = { input: 'intact', packetsWritten: 0, packetsSkipped: 0 };
  try {
    for await (const b of reader.batches()) {
      let mixed = false;
      for (let i = 0; i < b.count; i++) if (b.linktype(i) !== writer.linktype) mixed = true;
      if (!mixed) {
        writer.writeBatch(b);
        result.packetsWritten += b.count;
        continue;
      }
      for (const p of b) {
        if (p.linktype !== writer.linktype) {
          result.packetsSkipped++;
        } else {
          writer.write(p);
          result.packetsWritten++;
        }
      }
    }
  } catch (err) {
    // A writer closes itself only when writing failed (ENOSPC, EIO): that is no damage of the
    // input, and OUT holds fewer packets than could be read, so the caller must hear of it.
    if (!(err instanceof PcapError) || writer.closed) throw err;
    result.input = statusOf(err);
    result.error = err;
  } finally {
    await writer.close();
    await reader.close();
  }
  return result;
}
