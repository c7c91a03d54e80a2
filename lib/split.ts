// splitFile(): one capture into pieces of N packets or of N seconds each, named as editcap -c/-i
// names them (OUT_00000_20240501120000.pcap: a 5-digit index and the local time of the piece's
// first packet), in the same native pass as filterFile. Concatenated, the pieces are the input.
import * as path from 'node:path';
import { PcapError } from './errors';
import { copyCapture, type FilterFileOptions, type FilterFileResult } from './filter-file';

export interface SplitOptions extends Omit<FilterFileOptions, 'count'> {
  /** A new file every this many packets (editcap -c). */
  packets?: number;
  /** A new file for every interval of this many seconds, counted from the first packet's time
   * (editcap -i; unlike editcap, no empty file is made for an interval without packets). */
  seconds?: number;
  /** Only the packets matching this BPF filter. */
  filter?: string;
}

export interface SplitResult extends FilterFileResult {
  files: string[];
}

/** Splits `input` into files named after `output` (its extension kept at the end). */
export async function splitFile(input: string, output: string, options: SplitOptions): Promise<SplitResult> {
  const { packets, seconds, filter, ...rest } = options ?? {};
  const positive = (n: unknown) => Number.isInteger(n) && (n as number) > 0;
  if ((packets === undefined) === (seconds === undefined) || !(packets === undefined || positive(packets)) || !(seconds === undefined || positive(seconds))) {
    throw new PcapError('EINVAL', 'splitFile: give one of packets or seconds, a whole number above 0');
  }
  if (typeof output !== 'string' || output === '' || output === '-') throw new PcapError('EINVAL', 'splitFile: output must name files');
  const suffix = path.extname(output);
  const prefix = suffix ? output.slice(0, -suffix.length) : output;
  const r = await copyCapture(input, output, filter ?? '', { ...rest, split: { packets, seconds, prefix, suffix } }, false);
  return { ...r, files: r.files ?? [] };
}
