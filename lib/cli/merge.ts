// pcapkit merge -w OUT IN...: mergecap's job (by time, or -a one after the other) over the
// capture-file engine, with Ctrl-C/SIGTERM leaving OUT a valid capture of what was merged.
import { Command, Option } from 'commander';
import { mergeFiles, type OutputFormat, type Precision } from '../index';
import { EXIT, errorLine, isDamage, onStopSignals } from './common';
import { formatBytes, formatDuration, plural } from './humanize';

interface MergeCliOptions {
  write: string;
  append?: boolean;
  format?: OutputFormat;
  precision?: Precision;
  quiet?: boolean;
}

export function register(program: Command): void {
  program
    .command('merge')
    .summary('merge captures into one, in time order (mergecap)')
    .description(
      'Writes the packets of every IN to OUT in time order (equal times across files: the later IN first, as mergecap), ' +
        'or with -a one file after the other, as mergecap does, reading each input through a ' +
        'small window (memory does not grow with the files). OUT is pcap when every IN is pcap ' +
        'of one link type, else pcapng with one interface per input interface; --format chooses. ' +
        'An IN may be - (stdin, once) or a FIFO.',
    )
    .requiredOption('-w, --write <out>', 'capture file to write (- for stdout; created anew with mode 0600)')
    .argument('<in...>', 'capture files to merge')
    .option('-a, --append', 'concatenate in the order given instead of merging by time')
    .addOption(new Option('--format <format>', 'OUT\'s format').choices(['pcap', 'pcapng']))
    .addOption(new Option('--precision <precision>', 'timestamp precision of a pcap OUT').choices(['micro', 'nano']))
    .option('-q, --quiet', 'no summary line (errors are still reported)')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ pcapkit merge -w all.pcap sensor1.pcap sensor2.pcap sensor3.pcap\n' +
        '  $ pcapkit merge -a -w day.pcapng hour-*.pcapng\n' +
        '\nExit status: 0 done, 1 error (an IN or OUT unusable), 2 an IN is damaged (OUT holds what\n' +
        'was merged before its damage), 130/143 stopped by Ctrl-C/SIGTERM (OUT valid, shorter).',
    )
    .action(async (inputs: string[], o: MergeCliOptions) => {
      const controller = new AbortController();
      let stoppedBy: NodeJS.Signals | undefined;
      const remove = onStopSignals((signal) => {
        stoppedBy = signal;
        controller.abort();
      });
      const started = performance.now();
      try {
        const r = await mergeFiles(inputs, o.write, { append: o.append, format: o.format, precision: o.precision, signal: controller.signal });
        if (!o.quiet) {
          process.stderr.write(
            `merge: ${plural(inputs.length, 'file')}, ${plural(r.packetsWritten, 'packet')} written to ${o.write} (${r.format}, ` +
              `${formatBytes(r.bytesWritten)}) in ${formatDuration((performance.now() - started) / 1000)}\n`,
          );
        }
        process.exitCode = EXIT.OK;
      } catch (err) {
        if (controller.signal.aborted && stoppedBy) {
          process.stderr.write(`merge: ${stoppedBy === 'SIGTERM' ? 'terminated' : 'interrupted'}; ${o.write} is a valid capture of what was merged\n`);
          process.exitCode = stoppedBy === 'SIGTERM' ? EXIT.TERMINATED : EXIT.INTERRUPTED;
          return;
        }
        if (!isDamage(err)) throw err;
        process.stderr.write(`${errorLine(err)}\n`);
        process.exitCode = EXIT.DAMAGED;
      } finally {
        remove();
      }
    });
}
