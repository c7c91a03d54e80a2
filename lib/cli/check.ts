// pcapkit check FILE...: is each capture intact, cut short, corrupt, or not readable at all?
import { Command } from 'commander';
import { checkFile, type CheckReport } from '../index';
import { EXIT } from './common';
import { formatBytes, formatCount, formatDuration, formatTimestamp, plural } from './humanize';

interface CheckOptions {
  json?: boolean;
}

const STATUS_WORDS: Record<CheckReport['status'], string> = {
  intact: 'intact',
  truncated: 'cut short',
  corrupt: 'corrupt',
  unreadable: 'unreadable',
};

export function register(program: Command): void {
  program
    .command('check')
    .summary('say whether captures are intact, cut short or corrupt')
    .description(
      'Reads each file to the end and reports its status (intact, cut short, corrupt or ' +
        'unreadable), the whole packets that can be read, their bytes, time span and link type, ' +
        'and for a damaged file what stopped the read.',
    )
    .argument('<file...>', 'capture files (pcap or pcapng)')
    .option('--json', 'one JSON object per file, one per line (NDJSON)')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ pcapkit check capture.pcap\n' +
        "  $ pcapkit check --json *.pcap | jq -r 'select(.status != \"intact\") | .path'\n" +
        '\nExit status: 0 all intact, 2 some file is damaged (cut short or corrupt),\n' +
        '1 some file could not be read at all (missing, no permission); 1 wins over 2.',
    )
    .action(async (files: string[], options: CheckOptions) => {
      let code: number = EXIT.OK;
      for (const file of files) {
        const report = await checkFile(file);
        process.stdout.write(options.json ? `${JSON.stringify(toJSON(report))}\n` : describe(report));
        if (report.status === 'unreadable') code = EXIT.ERROR;
        else if (report.status !== 'intact' && code === EXIT.OK) code = EXIT.DAMAGED;
      }
      process.exitCode = code;
    });
}

/** The report as plain JSON: the error becomes {code, message}. */
export function toJSON(report: CheckReport): Record<string, unknown> {
  const { error, ...fields } = report;
  return error ? { ...fields, error: { code: error.code, message: error.message } } : fields;
}

function linktypeText(r: CheckReport): string | undefined {
  if (r.linktype === undefined) return undefined;
  return r.linktypeName ? `${r.linktypeName} (${r.linktype})` : `DLT ${r.linktype}`;
}

/**
 * dns_tcp.pcap: intact
 *   12 packets, 1,098 bytes captured, pcap, link type EN10MB (1)
 *   2013-07-03 12:00:00.123456 UTC to 2013-07-03 12:00:02.456789 UTC (2.33 s)
 */
export function describe(r: CheckReport): string {
  const lines = [`${r.path}: ${STATUS_WORDS[r.status]}`];
  // a file whose header could not be read has no counts, format or link type to show
  if (r.status !== 'unreadable' && (r.packets > 0 || r.linktype !== undefined)) {
    const parts = [
      `${plural(r.packets, 'packet')}${r.status === 'intact' ? '' : ' readable'}`,
      `${formatBytes(r.bytes)} captured${r.bytes >= 1000 ? ` (${formatCount(r.bytes)} bytes)` : ''}`,
    ];
    if (r.snapTruncated > 0) parts.push(`${formatCount(r.snapTruncated)} cut by the snapshot length`);
    if (r.format !== 'unknown') parts.push(r.format);
    const lt = linktypeText(r);
    if (lt) parts.push(`link type ${lt}`);
    lines.push(`  ${parts.join(', ')}`);
    if (r.firstTimestamp !== undefined && r.lastTimestamp !== undefined) {
      lines.push(
        `  ${formatTimestamp(r.firstTimestamp)} to ${formatTimestamp(r.lastTimestamp)}` +
          ` (${formatDuration(r.lastTimestamp - r.firstTimestamp)})`,
      );
    }
  }
  if (r.error) lines.push(`  error: ${r.error.code}: ${r.error.message}`);
  return `${lines.join('\n')}\n`;
}
