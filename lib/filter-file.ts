// filterFile(): cut a capture down to the packets matching a BPF expression. The loop (read,
// filter, dump) runs in C++ on a pool thread with no JS per packet; JS only polls progress.
import { native, type FilterProgress } from './binding';
import { PcapError } from './errors';
import { sniffFile, type Precision } from './format';

export interface FilterFileOptions {
  /** Called every `progressInterval` ms while running, and once at the end. */
  onProgress?: (p: FilterProgress) => void;
  progressInterval?: number;
  signal?: AbortSignal;
  /** Output timestamp precision; defaults to the input's own (tcpdump defaults to micro). */
  precision?: Precision;
}

export interface FilterFileResult {
  packetsRead: number;
  packetsWritten: number;
  bytesRead: number;
  bytesWritten: number;
}

export type { FilterProgress };

/**
 * Copies the packets of `input` that match `expression` to `output` (a pcap file, 0600).
 * An empty expression copies every packet; `input` may be '-' (standard input) and `output`
 * '-' (standard output). Setup errors (missing input, bad filter, unwritable output) reject
 * at once; a damaged input rejects with ETRUNCATED/EFORMAT after every whole packet before
 * the damage has been written, and the error's `result` holds the counts. Byte counts are -1
 * where they cannot be known (a pipe).
 */
export async function filterFile(
  input: string,
  output: string,
  expression: string,
  options: FilterFileOptions = {},
): Promise<FilterFileResult> {
  if (typeof input !== 'string' || typeof output !== 'string' || typeof expression !== 'string') {
    throw new PcapError('EINVAL', 'filterFile(input: string, output: string, expression: string)');
  }
  options.signal?.throwIfAborted();
  const precision = options.precision ?? sniffFile(input).precision ?? 'nano';
  const job = new native.FilterJob(input, output, expression, precision);
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
    };
  } finally {
    if (timer) clearInterval(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}
