// filterFile(): cut a capture down to the packets matching a BPF expression. The loop (read,
// filter, dump) runs in C++ on a pool thread with no JS per packet; JS only polls progress.
import { native, type FilterProgress } from './binding';
import { PcapError } from './errors';
import { sniffFile, type Precision } from './format';
import { identify, trimToWholeRecords } from './pcap-tail';

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
  const outputId = output === '-' ? undefined : identify(output);
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
    } catch (err) {
      if (outputId !== undefined && isWriteError(err)) keepWholeRecords(err, output, outputId);
      throw err;
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

/**
 * A rejection for writing the output (ENOSPC, EIO, ...). A damaged input (ETRUNCATED, EFORMAT)
 * rejects after the output was flushed whole, so there is nothing to cut there.
 */
function isWriteError(err: unknown): err is PcapError {
  return err instanceof PcapError && err.code !== 'ETRUNCATED' && err.code !== 'EFORMAT';
}

/**
 * A failed write leaves the output ending inside a record (the kernel took part of libpcap's
 * buffer): cut it back to its last whole record, so it stays a valid capture, and make the
 * error's counts say what the file holds.
 */
function keepWholeRecords(err: PcapError, output: string, id: NonNullable<ReturnType<typeof identify>>): void {
  const trim = trimToWholeRecords(output, id);
  if (trim === undefined) return;
  const result = (err as PcapError & { result?: Partial<FilterFileResult> }).result;
  if (result !== undefined) {
    result.packetsWritten = trim.records;
    result.bytesWritten = trim.size;
  }
  err.message +=
    trim.size === 0
      ? `; ${output} is empty (not even the file header fitted)`
      : `; ${output} holds the first ${trim.records} matching packets` +
        (trim.cut > 0 ? ` (a partial packet of ${trim.cut} bytes was cut off)` : '');
}
