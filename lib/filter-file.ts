// filterFile(): cut a capture down to the packets matching a BPF expression. The loop (read,
// filter, write) runs in C++ on a pool thread with no JS per packet; JS only polls progress.
import { native, type FilterProgress } from './binding';
import { PcapError } from './errors';
import type { Precision } from './format';

export type OutputFormat = 'pcap' | 'pcapng';

export interface FilterFileOptions {
  /** Called every `progressInterval` ms while running, and once at the end. */
  onProgress?: (p: FilterProgress) => void;
  progressInterval?: number;
  signal?: AbortSignal;
  /** Output timestamp precision of a pcap output; defaults to the input's own (tcpdump defaults to micro). */
  precision?: Precision;
  /**
   * Output format; defaults to the input's. A pcap file holds one link type: `'pcap'` on an
   * input with packets of several link types rejects (EFORMAT) when the second one appears.
   */
  format?: OutputFormat;
  /** Stop after writing this many packets (like tcpdump -c). */
  count?: number;
}

export interface FilterFileResult {
  packetsRead: number;
  packetsWritten: number;
  bytesRead: number;
  bytesWritten: number;
  /** The output's format. */
  format: OutputFormat;
  /** splitFile: the files written, in order. */
  files?: string[];
}

export type { FilterProgress };

/**
 * Copies the packets of `input` that match `expression` to `output` (created anew, mode 0600).
 * An empty expression copies every packet; `input` may be a path, a FIFO or '-' (standard
 * input), `output` '-' (standard output). A pcap input gives byte for byte what
 * `tcpdump -r IN -w OUT EXPR` writes; a pcapng input gives pcapng (every interface, comment and
 * flag kept) unless `format: 'pcap'`. Setup errors (missing input, bad filter, unwritable
 * output, output = input) reject before the output is created; a damaged input rejects with
 * ETRUNCATED/EFORMAT after every whole packet before the damage has been written, and the
 * error's `result` holds the counts. A write error (ENOSPC) rejects with the output cut back to
 * its last whole packet.
 */
export async function filterFile(
  input: string,
  output: string,
  expression: string,
  options: FilterFileOptions = {},
): Promise<FilterFileResult> {
  return copyCapture(input, output, expression, options, false);
}

/**
 * @internal The native copy behind filterFile and repairFile. `repair`: skip past damaged
 * records to the next plausible one instead of stopping (the rejection's `result` then has
 * `bytesSkipped` and `damagedRegions`).
 */
export async function copyCapture(
  input: string,
  output: string,
  expression: string,
  options: FilterFileOptions & {
    skip?: number;
    start?: [number, number];
    end?: [number, number];
    split?: { packets?: number; seconds?: number; prefix: string; suffix: string };
  },
  repair: boolean,
): Promise<FilterFileResult> {
  if (typeof input !== 'string' || typeof output !== 'string' || typeof expression !== 'string') {
    throw new PcapError('EINVAL', 'filterFile(input: string, output: string, expression: string)');
  }
  const { precision, format, count } = options;
  if (precision !== undefined && precision !== 'micro' && precision !== 'nano') {
    throw new PcapError('EINVAL', `precision must be 'micro' or 'nano', not '${String(precision)}'`);
  }
  if (format !== undefined && format !== 'pcap' && format !== 'pcapng') {
    throw new PcapError('EINVAL', `format must be 'pcap' or 'pcapng', not '${String(format)}'`);
  }
  if (count !== undefined && !(Number.isInteger(count) && count >= 0)) {
    throw new PcapError('EINVAL', `count must be a whole number, not ${String(count)}`);
  }
  options.signal?.throwIfAborted();
  const job = new native.FilterJob(input, output, expression, {
    precision,
    format,
    count,
    skip: options.skip,
    start: options.start,
    end: options.end,
    repair,
    splitPackets: options.split?.packets,
    splitSeconds: options.split?.seconds,
    prefix: options.split?.prefix,
    suffix: options.split?.suffix,
  });
  const { onProgress, signal } = options;
  const onAbort = () => job.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer = onProgress
    ? setInterval(() => onProgress(job.progress()), options.progressInterval ?? 200)
    : undefined;
  try {
    let r;
    try {
      r = await job.start();
    } finally {
      // The last word on progress, also when the input turned out damaged.
      if (onProgress) onProgress(job.progress());
    }
    if (r.cancelled) signal?.throwIfAborted();
    return {
      packetsRead: r.packetsRead,
      packetsWritten: r.packetsWritten,
      bytesRead: r.bytesRead,
      bytesWritten: r.bytesWritten,
      format: r.format ?? 'pcap',
      ...(r.files ? { files: r.files } : {}),
    };
  } finally {
    if (timer) clearInterval(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}
