// pcapkit filter IN OUT EXPR...: tcpdump -r IN -w OUT EXPR, done by filterFile() off the main
// thread, with a progress bar on a terminal and Ctrl-C that leaves a valid, shorter OUT.
import { Command, InvalidArgumentError, Option } from 'commander';
import { filterFile, PcapError, type FilterFileResult, type FilterProgress, type OutputFormat, type Precision } from '../index';
import { EXIT, errorLine, isDamage, onStopSignals, refuseOverwrite } from './common';
import { formatBytes, formatCount, formatDuration, formatPercent, plural } from './humanize';
import { Progress } from './progress';

interface FilterOptions {
  precision?: Precision;
  format?: OutputFormat;
  count?: number;
  quiet?: boolean;
}

function parseCount(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('a whole number of packets is expected');
  return Number(value);
}

/** How long a Ctrl-C may take to stop the job before we say that we are waiting. */
const STOP_NOTICE_MS = 250;

export function register(program: Command): void {
  program
    .command('filter')
    .summary('copy the packets matching a BPF expression to a new file')
    .description(
      'Copies the packets of IN that match the filter expression to OUT, like ' +
        '`tcpdump -r IN -w OUT EXPR` (for a pcap IN, byte for byte). The words of the expression ' +
        'are joined with spaces; with no expression every packet is copied. IN may be pcap or ' +
        'pcapng, a FIFO, or - for stdin. OUT has the format of IN unless --format says otherwise ' +
        '(a pcapng IN with several link types filters each with its own compiled filter). ' +
        'Ctrl-C (or SIGTERM) stops early and leaves OUT a valid capture of the packets written ' +
        'so far. If OUT cannot be written (disk full), it is cut back to its last whole packet.',
    )
    .argument('<in>', 'capture file to read (- for stdin)')
    .argument('<out>', 'capture file to write (- for stdout; replaced if it exists, created anew with mode 0600)')
    .argument('[expr...]', 'BPF filter expression (pcap-filter(7) syntax)')
    .addOption(
      new Option('--precision <precision>', "timestamp precision of OUT (default: IN's own)").choices([
        'micro',
        'nano',
      ]),
    )
    .addOption(new Option('--format <format>', "OUT's format (default: IN's)").choices(['pcap', 'pcapng']))
    .option('-c, --count <n>', 'stop after writing N packets', parseCount)
    .option('-q, --quiet', 'no progress bar and no summary line (errors are still reported)')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        "  $ pcapkit filter big.pcap dns.pcap 'udp port 53'\n" +
        '  $ pcapkit filter trace.pcapng web.pcap tcp port 80 or tcp port 443\n' +
        '  $ pcapkit filter in.pcap out.pcap --precision micro host 10.0.0.1\n' +
        '  $ pcapkit filter mixed.pcapng dns.pcapng -c 100 udp port 53\n' +
        "  $ tcpdump -i eth0 -w - | pcapkit filter - web.pcap 'tcp port 80'\n" +
        '\nExit status: 0 done, 1 error (unreadable IN, bad filter, OUT not writable or the disk\n' +
        'full), 2 IN is damaged (OUT holds the packets before the damage), 130 interrupted by\n' +
        'Ctrl-C, 143 by SIGTERM (OUT is valid but incomplete).',
    )
    .action(async (input: string, output: string, words: string[], options: FilterOptions) => {
      process.exitCode = await runFilter(input, output, words.join(' '), options);
    });
}

function progressText(p: FilterProgress): string {
  const bytes = p.totalBytes > 0 ? `${formatBytes(p.bytesRead)} of ${formatBytes(p.totalBytes)} | ` : '';
  return `${bytes}${formatCount(p.packetsRead)} packets read, ${formatCount(p.packetsWritten)} written`;
}

/** `filter: 4,709 packets read, 4,321 written (91.8%), 2.9 MB -> 2.9 MB in 0.12 s` */
export function summaryLine(r: FilterFileResult, seconds: number, name = 'filter'): string {
  const pct = formatPercent(r.packetsWritten, r.packetsRead);
  const sizes =
    r.bytesRead >= 0
      ? `${formatBytes(r.bytesRead)} -> ${formatBytes(r.bytesWritten)}`
      : `${formatBytes(r.bytesWritten)} written`; // reading a pipe: the input size is unknown
  return (
    `${name}: ${plural(r.packetsRead, 'packet')} read, ${formatCount(r.packetsWritten)} written` +
    `${pct ? ` (${pct})` : ''}, ${sizes} in ${formatDuration(seconds)}`
  );
}

/** What runCopy runs: filterFile, sliceFile... with the progress and abort options it is given. */
export type CopyJob = (opts: { signal: AbortSignal; progressInterval: number; onProgress: (p: FilterProgress) => void }) => Promise<FilterFileResult>;

async function runFilter(input: string, output: string, expr: string, options: FilterOptions): Promise<number> {
  return runCopy('filter', input, output, options.quiet === true, (o) =>
    filterFile(input, output, expr, { ...o, precision: options.precision, format: options.format, count: options.count }),
  );
}

/**
 * Runs a native copy (filter, slice) the CLI way: a progress bar on a terminal, Ctrl-C and
 * SIGTERM stop it with OUT whole, one summary line, the exit statuses of `pcapkit filter`.
 */
export async function runCopy(name: string, input: string, output: string, quiet: boolean, job: CopyJob): Promise<number> {
  refuseOverwrite(input, output);
  const stderr = process.stderr;
  const progress = new Progress({ label: name, enabled: quiet ? false : undefined });
  const controller = new AbortController();
  let last: FilterProgress | undefined;
  let notice: NodeJS.Timeout | undefined;

  // Ctrl-C and SIGTERM (kill, systemd, docker stop) both stop the job at its next batch, so
  // OUT ends at a whole packet; the exit status says which one (128 + the signal's number).
  let stoppedBy: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (!controller.signal.aborted) {
      stoppedBy = signal;
      controller.abort();
      // The job stops at its next batch; on a pipe that waits for the writer to send more.
      notice = setTimeout(() => {
        progress.stop();
        stderr.write(`${name}: stopping; waiting for the input to send more data (Ctrl-C again to quit at once)\n`);
      }, STOP_NOTICE_MS);
      return;
    }
    // A second signal: die of it now, as the shell expects.
    progress.stop();
    stderr.write(`${name}: quitting; ${output} may end in the middle of a packet\n`);
    removeHandlers();
    process.kill(process.pid, signal);
  };
  const removeHandlers = onStopSignals(onSignal);

  const started = performance.now();
  try {
    const result = await job({
      signal: controller.signal,
      progressInterval: 100,
      onProgress: (p) => {
        last = p;
        progress.update(p.bytesRead, p.totalBytes, progressText(p));
      },
    });
    progress.stop();
    if (!quiet) stderr.write(`${summaryLine(result, (performance.now() - started) / 1000, name)}\n`);
    return EXIT.OK;
  } catch (err) {
    progress.stop();
    if (controller.signal.aborted && !(err instanceof PcapError)) {
      stderr.write(`${interruptedLine(name, output, last, stoppedBy)}\n`);
      return stoppedBy === 'SIGTERM' ? EXIT.TERMINATED : EXIT.INTERRUPTED;
    }
    if (isDamage(err) && err.packetsRead !== undefined) {
      // Read started, then hit damage: OUT holds every matching packet before it.
      const written = writtenBefore(err) ?? last?.packetsWritten;
      stderr.write(
        `${name}: ${input} is damaged after ${plural(err.packetsRead, 'packet')}; ` +
          `${written === undefined ? 'the packets before the damage were' : `${formatCount(written)} written`} ` +
          `to ${output}\n${errorLine(err)}\n`,
      );
      return EXIT.DAMAGED;
    }
    throw err;
  } finally {
    clearTimeout(notice);
    removeHandlers();
  }
}

function interruptedLine(name: string, output: string, p: FilterProgress | undefined, signal: NodeJS.Signals | undefined): string {
  const how = signal === 'SIGTERM' ? 'terminated' : 'interrupted';
  if (!p) return `${name}: ${how} before the first packet; ${output} may be missing or empty`;
  const of = p.totalBytes > 0 ? ` (${formatPercent(p.bytesRead, p.totalBytes)} of ${formatBytes(p.totalBytes)})` : '';
  return (
    `${name}: ${how} after ${plural(p.packetsRead, 'packet')} read${of}, ` +
    `${formatCount(p.packetsWritten)} written; ${output} is a valid capture of the packets written`
  );
}

/** The native job attaches its counts to the error it rejects with (not part of the typed API). */
function writtenBefore(err: PcapError): number | undefined {
  const result = (err as PcapError & { result?: { packetsWritten?: unknown } }).result;
  return typeof result?.packetsWritten === 'number' ? result.packetsWritten : undefined;
}
