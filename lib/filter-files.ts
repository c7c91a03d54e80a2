// filterFiles(): many filterFile() jobs at once. Each job's loop runs in C++ on a libuv pool
// thread, so running `concurrency` of them side by side uses that many cores.
import * as os from 'node:os';
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
