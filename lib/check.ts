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
  input: CheckReport['status'];
  packetsWritten: number;
  /** Always 0: a pcapng output keeps every link type (kept for compatibility). */
  packetsSkipped: number;
  /** The output's format: the input's. */
  format: 'pcap' | 'pcapng';
  error?: PcapError;
}

/**
 * Writes every readable packet of `input` to `output`, a valid capture in the input's format
 * with the same link types, snapshot length and precision (a pcapng input keeps its
 * interfaces, comments and flags). The damage, if any, is reported, not thrown; a failure to
 * write `output` (ENOSPC, EIO) is thrown.
 */
export async function repairFile(input: string, output: string): Promise<RepairResult> {
  const reader = await PCAPReader.open(input);
  const format = reader.format === 'pcapng' ? 'pcapng' : 'pcap';
  let writer: PCAPWriter;
  try {
    writer = new PCAPWriter(output, {
      format,
      linktype: reader.linktype >= 0 ? reader.linktype : 1,
      snaplen: Math.max(reader.snaplen, 1),
      precision: reader.precision,
      ...(format === 'pcapng' ? { interfaces: [] } : {}),
    });
  } catch (err) {
    await reader.close();
    throw err;
  }
  const result: RepairResult = { input: 'intact', packetsWritten: 0, packetsSkipped: 0, format };
  const declared = new Set<number>();
  try {
    for await (const b of reader.batches()) {
      if (format === 'pcapng') {
        // Interfaces as the input has them, in its order (packets name them by index).
        for (const itf of reader.interfaces) {
          if (declared.has(itf.index)) continue;
          writer.addInterface({ linktype: itf.linktype, snaplen: itf.snaplen, name: itf.name, description: itf.description, tsresol: itf.tsresol > 9 && !(itf.tsresol & 0x80) ? 9 : itf.tsresol, tsoffset: itf.tsoffset });
          declared.add(itf.index);
        }
      }
      writer.writeBatch(b);
      result.packetsWritten += b.count;
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
