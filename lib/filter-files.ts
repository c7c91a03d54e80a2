// filterFiles(): many filterFile() jobs at once. Each job's loop runs in C++ on a libuv pool
// thread, so running `concurrency` of them side by side uses that many cores.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PcapError } from './errors';
import { filterFile, type FilterFileOptions, type FilterFileResult } from './filter-file';

export interface FilterJobSpec {
  input: string;
  output: string;
  /** BPF expression; defaults to the `expression` option of filterFiles. */
  expression?: string;
}

export interface FilterFilesOptions extends Omit<FilterFileOptions, 'onProgress'> {
  /** Jobs running at once (default: the number of CPUs, at most libuv's pool size). */
  concurrency?: number;
  /** Expression for jobs that name none. */
  expression?: string;
  /** Called as each job finishes (successfully or not). */
  onJobDone?: (job: FilterJobSpec, result: FilterFileResult | undefined, error: unknown) => void;
}

export interface FilterFilesOutcome {
  job: FilterJobSpec;
  result?: FilterFileResult;
  /** Set when this job failed; the other jobs still ran. */
  error?: unknown;
}

function poolSize(): number {
  const n = Number(process.env.UV_THREADPOOL_SIZE);
  return Number.isInteger(n) && n > 0 ? n : 4;
}

/**
 * Runs filterFile() for every job, `concurrency` at a time, and resolves with one outcome per
 * job in the order given. A failing job does not stop the others. The signal stops jobs that
 * have not started and cancels running ones.
 */
export async function filterFiles(jobs: readonly FilterJobSpec[], options: FilterFilesOptions = {}): Promise<FilterFilesOutcome[]> {
  const concurrency = options.concurrency ?? Math.min(os.availableParallelism(), poolSize());
  if (!(Number.isInteger(concurrency) && concurrency >= 1)) {
    throw new PcapError('EINVAL', `concurrency must be a positive integer, not ${concurrency}`);
  }
  refuseSharedOutputs(jobs);
  const outcomes: FilterFilesOutcome[] = jobs.map((job) => ({ job }));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      const job = jobs[i];
      options.signal?.throwIfAborted();
      try {
        outcomes[i].result = await filterFile(job.input, job.output, job.expression ?? options.expression ?? '', {
          signal: options.signal,
          precision: options.precision,
          format: options.format,
        });
      } catch (err) {
        if (options.signal?.aborted) throw err;
        outcomes[i].error = err;
      }
      options.onJobDone?.(job, outcomes[i].result, outcomes[i].error);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
  return outcomes;
}

/**
 * Two jobs writing one file would interleave into a corrupt capture, and a job writing another
 * job's input would destroy it: both are refused (EINVAL) before any job starts. Paths are
 * compared resolved, and existing files by device and inode (links, `./a` vs `a`).
 */
function refuseSharedOutputs(jobs: readonly FilterJobSpec[]): void {
  const key = (p: string): string => {
    if (p === '-') return '-';
    try {
      const st = fs.statSync(p);
      return `${st.dev}:${st.ino}`;
    } catch {
      return path.resolve(p);
    }
  };
  const outputs = new Map<string, number>();
  jobs.forEach((job, i) => {
    const k = key(job.output);
    const other = outputs.get(k);
    if (other !== undefined) {
      throw new PcapError('EINVAL', `filterFiles: jobs ${other} and ${i} both write ${job.output}`);
    }
    outputs.set(k, i);
  });
  jobs.forEach((job, i) => {
    const k = job.input === '-' ? undefined : key(job.input);
    const writer = k === undefined ? undefined : outputs.get(k);
    if (writer !== undefined) {
      throw new PcapError('EINVAL', `filterFiles: job ${writer} writes ${jobs[writer].output}, which job ${i} reads`);
    }
  });
}
