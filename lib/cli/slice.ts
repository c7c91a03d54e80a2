// pcapkit slice IN OUT [-c N] [--skip N] [-A TIME] [-B TIME] [EXPR...]: a time window, a count
// and a filter in one native pass (editcap -A/-B, tcpdump -c), with filter's progress and stops.
import { Command, InvalidArgumentError, Option } from 'commander';
import { PcapError, parseTime, sliceFile, type OutputFormat, type Precision } from '../index';
import { runCopy } from './filter';

interface SliceCliOptions {
  count?: number;
  skip?: number;
  after?: string;
  before?: string;
  format?: OutputFormat;
  precision?: Precision;
  quiet?: boolean;
}

function whole(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('a whole number of packets is expected');
  return Number(value);
}

function time(value: string): string {
  try {
    parseTime(value);
  } catch (err) {
    throw new InvalidArgumentError(err instanceof PcapError ? err.message : String(err));
  }
  return value;
}

export function register(program: Command): void {
  program
    .command('slice')
    .summary('copy a time window, a count or a range of packets to a new file')
    .description(
      'Copies to OUT the packets of IN at or after -A TIME and before -B TIME (as editcap -A/-B), ' +
        'that match the filter expression if one is given, skipping the first --skip N of them, ' +
        'at most -c N. TIME is ISO-8601 (2024-05-01T12:00:00.25Z; without a zone, local time) or ' +
        'epoch seconds with any number of decimals. IN may be pcap or pcapng, a FIFO, or - for ' +
        'stdin; OUT has its format unless --format says otherwise. On a pcap IN, OUT is byte for ' +
        "byte editcap's (and tcpdump -c's) output.",
    )
    .argument('<in>', 'capture file to read (- for stdin)')
    .argument('<out>', 'capture file to write (- for stdout; created anew with mode 0600)')
    .argument('[expr...]', 'BPF filter expression (pcap-filter(7) syntax)')
    .option('-A, --after <time>', 'only packets at or after this time', time)
    .option('-B, --before <time>', 'only packets before this time', time)
    .option('--skip <n>', 'pass over the first N packets (of those selected)', whole)
    .option('-c, --count <n>', 'then write at most N packets', whole)
    .addOption(new Option('--format <format>', "OUT's format (default: IN's)").choices(['pcap', 'pcapng']))
    .addOption(new Option('--precision <precision>', "timestamp precision of a pcap OUT (default: IN's own)").choices(['micro', 'nano']))
    .option('-q, --quiet', 'no progress bar and no summary line (errors are still reported)')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ pcapkit slice big.pcap hour.pcap -A 2024-05-01T12:00:00Z -B 2024-05-01T13:00:00Z\n' +
        '  $ pcapkit slice big.pcap first.pcap -c 1000\n' +
        "  $ pcapkit slice big.pcapng dns.pcapng --skip 10 -c 100 'udp port 53'\n" +
        '\nExit status: as pcapkit filter: 0 done, 1 error (unreadable IN, bad time or filter, OUT\n' +
        'not writable), 2 IN is damaged (OUT holds the packets before the damage), 130/143 stopped.',
    )
    .action(async (input: string, output: string, words: string[], o: SliceCliOptions) => {
      const filter = words.join(' ');
      process.exitCode = await runCopy('slice', input, output, o.quiet === true, (p) =>
        sliceFile(input, output, {
          ...p,
          filter,
          start: o.after,
          end: o.before,
          skip: o.skip,
          count: o.count,
          format: o.format,
          precision: o.precision,
        }),
      );
    });
}
