// sliceFile(): the packets of a capture in a time window, after skipping some, up to a count,
// optionally filtered — what editcap -A/-B, tcpdump -c and a BPF filter do, in one native pass
// over the capture-file engine (a path, a FIFO or '-'; pcap or pcapng; written in either).
import { PcapError } from './errors';
import { copyCapture, type FilterFileOptions, type FilterFileResult } from './filter-file';

/** A point in time: a Date, epoch seconds (number, or a string with any number of decimals), an
 * ISO-8601 string (`2024-05-01T12:00:00.123456789Z`; without a zone, local time as in
 * Date.parse), or epoch nanoseconds as a bigint. */
export type TimeSpec = Date | number | string | bigint;

export interface SliceOptions extends Omit<FilterFileOptions, 'count'> {
  /** Only packets at or after this time (editcap -A). */
  start?: TimeSpec;
  /** Only packets before this time (editcap -B). */
  end?: TimeSpec;
  /** Pass over this many packets (of those in the window and matching the filter) first. */
  skip?: number;
  /** Then write at most this many. */
  count?: number;
  /** BPF filter (tcpdump syntax); default: every packet. */
  filter?: string;
}

const NS = 1_000_000_000n;

/** Epoch nanoseconds of a TimeSpec, exactly; EINVAL when it is no time. */
export function parseTime(t: TimeSpec, what = 'time'): bigint {
  if (typeof t === 'bigint') return t;
  if (t instanceof Date) {
    const ms = t.getTime();
    if (Number.isNaN(ms)) throw new PcapError('EINVAL', `${what}: invalid Date`);
    return BigInt(ms) * 1_000_000n;
  }
  if (typeof t === 'number') {
    if (!Number.isFinite(t)) throw new PcapError('EINVAL', `${what}: ${t} is no time`);
    return parseTime(t.toFixed(9), what);
  }
  if (typeof t !== 'string') throw new PcapError('EINVAL', `${what}: a Date, number, string or bigint`);
  const s = t.trim();
  const epoch = /^(-?)(\d+)(?:\.(\d*))?$/.exec(s);
  if (epoch) {
    const frac = (epoch[3] ?? '').slice(0, 9).padEnd(9, '0');
    const ns = BigInt(epoch[2]) * NS + BigInt(frac);
    return epoch[1] === '-' ? -ns : ns;
  }
  // ISO-8601: the fraction beyond milliseconds is kept exactly.
  const iso = /^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/i.exec(s);
  if (iso) {
    const ms = Date.parse(`${iso[1].replace(' ', 'T')}${iso[3] ?? ''}`);
    if (!Number.isNaN(ms)) {
      const frac = (iso[2] ?? '').slice(0, 9).padEnd(9, '0');
      return BigInt(ms) * 1_000_000n + BigInt(frac);
    }
  }
  throw new PcapError('EINVAL', `${what}: '${t}' is neither ISO-8601 (2024-05-01T12:00:00.5Z) nor epoch seconds`);
}

function split(ns: bigint): [number, number] {
  let sec = ns / NS;
  let nsec = ns % NS;
  if (nsec < 0n) {
    nsec += NS;
    sec -= 1n;
  }
  return [Number(sec), Number(nsec)];
}

/**
 * Copies to `output` the packets of `input` in [start, end) that match `filter`, after skipping
 * `skip` of them, at most `count`. On a pcap input the output is byte for byte what editcap
 * -A/-B (and tcpdump -c with a filter) write. Errors as filterFile's.
 */
export async function sliceFile(input: string, output: string, options: SliceOptions = {}): Promise<FilterFileResult> {
  const { start, end, skip, filter, ...rest } = options;
  if (skip !== undefined && !(Number.isInteger(skip) && skip >= 0)) {
    throw new PcapError('EINVAL', `skip must be a whole number, not ${String(skip)}`);
  }
  if (filter !== undefined && typeof filter !== 'string') throw new PcapError('EINVAL', 'filter must be a string');
  const from = start === undefined ? undefined : parseTime(start, 'start');
  const to = end === undefined ? undefined : parseTime(end, 'end');
  if (from !== undefined && to !== undefined && to < from) {
    throw new PcapError('EINVAL', 'end is before start: the window holds no time');
  }
  return copyCapture(input, output, filter ?? '', {
    ...rest,
    skip,
    start: from === undefined ? undefined : split(from),
    end: to === undefined ? undefined : split(to),
  }, false);
}
