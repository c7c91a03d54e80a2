// pcapkit repair IN OUT: save every readable packet of a damaged capture into a valid file.
import { Command } from 'commander';
import { repairFile, type RepairResult } from '../index';
import { EXIT, isDamage, refuseOverwrite } from './common';
import { formatCount, plural } from './humanize';

const INPUT_WORDS: Record<RepairResult['input'], string> = {
  intact: 'intact',
  truncated: 'cut short',
  corrupt: 'corrupt',
  unreadable: 'unreadable',
};

export function register(program: Command): void {
  program
    .command('repair')
    .summary('save the readable packets of a damaged capture')
    .description(
      'Writes every whole packet that can be read from IN (a capture cut short or corrupt ' +
        'part-way) to OUT, a valid capture in the same format (pcap or pcapng) with the same ' +
        'link types, snapshot length and timestamp precision, and says what the damage was. ' +
        'Past a damaged record it looks for the next plausible one (as pcapfix does) and goes on.',
    )
    .argument('<in>', 'damaged capture file (pcap or pcapng)')
    .argument('<out>', 'capture file to write (replaced if it exists, created anew with mode 0600)')
    .addHelpText(
      'after',
      '\nExample:\n' +
        '  $ pcapkit repair crashed.pcap recovered.pcap\n' +
        '\nExit status: 0 packets were written and nothing was skipped (IN intact or cut short),\n' +
        '2 damaged bytes were skipped or IN holds no readable packet, 1 IN or OUT could not be opened.',
    )
    .action(async (input: string, output: string) => {
      process.exitCode = await runRepair(input, output);
    });
}

async function runRepair(input: string, output: string): Promise<number> {
  refuseOverwrite(input, output);
  let result: RepairResult;
  try {
    result = await repairFile(input, output);
  } catch (err) {
    // The file header itself is damaged: there is nothing to recover, and OUT is not created.
    if (!isDamage(err)) throw err;
    const status = err.code === 'ETRUNCATED' ? 'cut short' : 'corrupt';
    process.stderr.write(`repair: nothing written; ${input} has no readable packet, it is ${status}: ${err.message}\n`);
    return EXIT.DAMAGED;
  }
  let line = `repair: ${plural(result.packetsWritten, 'packet')} written to ${output}; input was ${INPUT_WORDS[result.input]}`;
  if (result.error) line += `: ${result.error.message}`;
  if (result.bytesSkipped > 0) {
    line += `; ${formatCount(result.bytesSkipped)} damaged bytes skipped in ${plural(result.damagedRegions, 'place')}`;
  }
  process.stderr.write(`${line}\n`);
  // Skipped bytes may have held packets: say so in the status too.
  if (result.bytesSkipped > 0) return EXIT.DAMAGED;
  if (result.packetsWritten > 0) return EXIT.OK;
  return result.input === 'unreadable' ? EXIT.ERROR : EXIT.DAMAGED;
}
