// mergeFiles(): several captures into one, by time (mergecap's default: a streaming k-way merge;
// equal times across inputs: the later input's packet first, as mergecap) or one after the other (`append`, mergecap
// -a). Runs in C++ on a pool thread over the capture-file engine; memory is a small window per
// input, whatever the files' sizes.
import { native } from './binding';
import { PcapError } from './errors';
import type { OutputFormat, FilterFileResult } from './filter-file';
import type { Precision } from './format';

export interface MergeOptions {
  /** Concatenate in the order given instead of merging by time (mergecap -a). */
  append?: boolean;
  /**
   * Output format. Default: pcap when every input is pcap of one link type, else pcapng (one
   * interface per input interface, each keeping its link type, name and resolution).
   */
  format?: OutputFormat;
  /** Precision of a pcap output (default: nano if any input is nanosecond, else micro). */
  precision?: Precision;
  signal?: AbortSignal;
  /** Called every `progressInterval` ms with the bytes read of all inputs. */
  onProgress?: (p: { bytesRead: number; totalBytes: number }) => void;
  progressInterval?: number;
}

export type MergeResult = FilterFileResult;

/**
 * Merges `inputs` (paths, FIFOs, or one '-') into `output` (created anew, mode 0600). A damaged
 * input rejects (ETRUNCATED/EFORMAT, `err.input` its index) once its whole packets are written;
 * the output is a valid capture of what was merged until then (`err.result`).
 */
export async function mergeFiles(inputs: readonly string[], output: string, options: MergeOptions = {}): Promise<MergeResult> {
  if (!Array.isArray(inputs) || inputs.length === 0 || !inputs.every((p) => typeof p === 'string' && p.length > 0)) {
    throw new PcapError('EINVAL', 'mergeFiles(inputs: string[] (at least one), output: string)');
  }
  if (typeof output !== 'string' || output.length === 0) throw new PcapError('EINVAL', 'mergeFiles: output must be a path');
  if (inputs.filter((p) => p === '-').length > 1) throw new PcapError('EINVAL', "mergeFiles: standard input ('-') can be one input only");
  const { format, precision, signal, onProgress } = options;
  if (format !== undefined && format !== 'pcap' && format !== 'pcapng') {
    throw new PcapError('EINVAL', `format must be 'pcap' or 'pcapng', not '${String(format)}'`);
  }
  if (precision !== undefined && precision !== 'micro' && precision !== 'nano') {
    throw new PcapError('EINVAL', `precision must be 'micro' or 'nano', not '${String(precision)}'`);
  }
  signal?.throwIfAborted();
  const job = new native.MergeJob([...inputs], output, { append: options.append === true, format, precision });
  const onAbort = () => job.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer = onProgress ? setInterval(() => onProgress(job.progress()), options.progressInterval ?? 200) : undefined;
  try {
    const r = await job.start();
    if (r.cancelled) signal?.throwIfAborted();
    return { packetsRead: r.packetsRead, packetsWritten: r.packetsWritten, bytesRead: r.bytesRead, bytesWritten: r.bytesWritten, format: r.format ?? 'pcap' };
  } finally {
    if (onProgress) onProgress(job.progress());
    if (timer) clearInterval(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}
