// pcapkit split IN OUT (-c N | -i SEC): editcap -c / -i, over the capture-file engine.
import { Command, InvalidArgumentError, Option } from 'commander';
import { splitFile, type OutputFormat } from '../index';
import { EXIT, errorLine, isDamage } from './common';
import { plural } from './humanize';

interface SplitCliOptions {
  count?: number;
  interval?: number;
  format?: OutputFormat;
  quiet?: boolean;
}

function positive(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) === 0) throw new InvalidArgumentError('a whole number above 0 is expected');
  return Number(value);
}

export function register(program: Command): void {
  program
    .command('split')
    .summary('split a capture into pieces of N packets or N seconds')
    .description(
      'Writes the packets of IN to files of -c N packets, or one per -i SEC seconds counted from ' +
        'the first packet, named as editcap names them: OUT without its extension, a 5-digit ' +
        'index and the local time of the piece\'s first packet, then the extension ' +
        '(out_00000_20240501120000.pcap). Concatenated, the pieces are IN. IN may be pcap or ' +
        'pcapng, a FIFO, or - for stdin; the pieces have its format unless --format says otherwise.',
    )
    .argument('<in>', 'capture file to read (- for stdin)')
    .argument('<out>', 'the name the pieces are named after')
    .option('-c, --count <n>', 'packets per file', positive)
    .option('-i, --interval <sec>', 'seconds per file', positive)
    .addOption(new Option('--format <format>', "the pieces' format (default: IN's)").choices(['pcap', 'pcapng']))
    .option('-q, --quiet', 'no summary line (errors are still reported)')
    .addHelpText('after', '\nExamples:\n  $ pcapkit split big.pcap part.pcap -c 1000000\n  $ pcapkit split day.pcapng hour.pcapng -i 3600\n' +
      '\nExit status: 0 done, 1 error, 2 IN is damaged (the pieces hold the packets before the damage), 64 bad usage.')
    .action(async (input: string, output: string, o: SplitCliOptions) => {
      if ((o.count === undefined) === (o.interval === undefined)) {
        process.stderr.write('pcapkit: split: give one of -c N or -i SEC\n');
        process.exitCode = EXIT.USAGE;
        return;
      }
      try {
        const r = await splitFile(input, output, { packets: o.count, seconds: o.interval, format: o.format });
        if (!o.quiet) process.stderr.write(`split: ${plural(r.packetsWritten, 'packet')} in ${plural(r.files.length, 'file')}: ${r.files[0] ?? '(none)'}${r.files.length > 1 ? ' ...' : ''}\n`);
        process.exitCode = EXIT.OK;
      } catch (err) {
        if (!isDamage(err)) throw err;
        process.stderr.write(`${errorLine(err)}\n`);
        process.exitCode = EXIT.DAMAGED;
      }
    });
}
