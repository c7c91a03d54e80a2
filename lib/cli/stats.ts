// pcapkit stats FILE: what is in a capture — protocol hierarchy, applications, top
// conversations and flows, TCP retransmissions — as text, JSON, or a self-contained HTML report.
import * as fs from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { analyze, renderHtmlReport, type AnalysisResult, type AnalyzeProgress, type IntervalStats } from '../index';
import { EXIT, errorLine, refuseOverwrite } from './common';
import { formatBytes, formatCount, formatDuration, formatTimestamp, plural } from './humanize';
import { Progress } from './progress';

interface StatsOptions {
  filter?: string[];
  json?: boolean;
  html?: string;
  top: number;
  bucket?: number;
  maxConversations?: number;
  quiet?: boolean;
}

function positive(what: string, integer: boolean): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!(n > 0) || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
      throw new InvalidArgumentError(`${what} must be a positive ${integer ? 'whole number' : 'number'}`);
    }
    return n;
  };
}

export function register(program: Command): void {
  program
    .command('stats')
    .summary('summarize a capture: protocols, applications, conversations, retransmissions')
    .description(
      'Reads FILE (pcap or pcapng, - for stdin) and prints its protocol hierarchy, the ' +
        'applications seen (by port: DNS, HTTP, TLS, SSH, NTP, ...) with how regularly their ' +
        'conversations repeat, the top conversations per host pair and per 5-tuple, and TCP ' +
        'retransmissions and out-of-order segments counted as tshark counts them. --json prints ' +
        'the whole analysis as one JSON object; --html writes a self-contained report (chart of ' +
        'bytes over time per application and the top conversations) that opens offline.',
    )
    .argument('<file>', 'capture file (pcap or pcapng), - for stdin')
    .option('-f, --filter <expr...>', 'only packets matching this BPF expression (pcap-filter(7)); put FILE first')
    .option('--json', 'print the analysis as JSON (every conversation) instead of text')
    .option('--html <report.html>', 'also write a self-contained HTML report to this file')
    .addOption(new Option('--top <n>', 'rows in the conversation tables of the text and HTML').default(10).argParser(positive('--top', true)))
    .option('--bucket <seconds>', 'time bucket of the chart and of the JSON data series', positive('--bucket', false))
    .option(
      '--max-conversations <n>',
      'most 5-tuple conversations (and host pairs) kept; the rest are counted as overflow (default 100000)',
      positive('--max-conversations', true),
    )
    .option('-q, --quiet', 'no progress bar')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ pcapkit stats trace.pcap\n' +
        "  $ pcapkit stats trace.pcap -f 'tcp port 443' --top 20\n" +
        '  $ pcapkit stats trace.pcap --html report.html\n' +
        "  $ pcapkit stats trace.pcap --json | jq '.applications[] | {application, bytes}'\n" +
        '\nExit status: 0 done, 1 FILE could not be read or a bad filter, 2 FILE is damaged (the\n' +
        'packets before the damage are summarized), 130 interrupted.',
    )
    .action(async (file: string, options: StatsOptions) => {
      process.exitCode = await runStats(file, options);
    });
}

async function runStats(file: string, options: StatsOptions): Promise<number> {
  if (options.html) refuseOverwrite(file, options.html);
  const filter = options.filter?.join(' ');
  const progress = new Progress({ label: 'stats', enabled: options.quiet ? false : undefined });
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) {
      process.removeListener('SIGINT', onSigint);
      process.kill(process.pid, 'SIGINT');
      return;
    }
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  let result: AnalysisResult;
  try {
    result = await analyze(file, {
      ...(filter ? { filter } : {}),
      ...(options.maxConversations ? { maxConversations: options.maxConversations, maxHostPairs: options.maxConversations } : {}),
      signal: controller.signal,
      progressInterval: 100,
      onProgress: (p) => progress.update(p.fileOffset ?? 0, p.fileBytes ?? 0, progressText(p)),
    });
  } catch (err) {
    progress.stop();
    if (controller.signal.aborted) {
      process.stderr.write('stats: interrupted\n');
      return EXIT.INTERRUPTED;
    }
    throw err;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  progress.stop();
  if (options.json) {
    const json = result.toJSON();
    if (options.bucket) json.dataSeries = result.dataSeries({ bucket: options.bucket });
    process.stdout.write(`${JSON.stringify(json)}\n`);
  } else {
    process.stdout.write(describe(result, options.top));
  }
  if (options.html) {
    const html = renderHtmlReport(result, { top: options.top < 20 ? 20 : options.top, ...(options.bucket ? { bucket: options.bucket } : {}) });
    // The report names hosts and conversations from the capture: created 0600, like captures.
    fs.writeFileSync(options.html, html, { mode: 0o600 });
    process.stderr.write(`stats: wrote ${options.html}\n`);
  }
  if (result.error) {
    process.stderr.write(`stats: ${file} is damaged after ${plural(result.packets, 'packet')}\n${errorLine(result.error)}\n`);
    return EXIT.DAMAGED;
  }
  return EXIT.OK;
}

function progressText(p: AnalyzeProgress): string {
  const of = p.fileBytes !== undefined ? `${formatBytes(p.fileOffset ?? 0)} of ${formatBytes(p.fileBytes)} | ` : '';
  return `${of}${formatCount(p.packets)} packets`;
}

/** Columns padded to their widest cell; `right` marks right-aligned columns. */
function columns(rows: string[][], right: boolean[], indent = '  '): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)));
  return rows
    .map(
      (r) =>
        indent +
        r
          .map((c, i) => {
            const pad = ' '.repeat(widths[i] - [...c].length);
            return right[i] ? pad + c : i === r.length - 1 ? c : c + pad;
          })
          .join('  ')
          .trimEnd(),
    )
    .join('\n');
}

function seconds(s: number | null): string {
  if (s === null) return '-';
  if (s < 1) return `${(s * 1000).toFixed(s < 0.01 ? 2 : 1)} ms`;
  return formatDuration(s);
}

function repeat(r: IntervalStats): string {
  if (r.mean === null) return '-';
  return r.stdev === null ? seconds(r.mean) : `${seconds(r.mean)} ± ${seconds(r.stdev)}`;
}

function endpoint(e: { address: string; port?: number }): string {
  if (e.port === undefined) return e.address;
  return e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

/** The text summary. */
export function describe(r: AnalysisResult, top = 10): string {
  const out: string[] = [];
  const name = r.source.path ?? 'packets';
  const head = [`${plural(r.packets, 'packet')}`, formatBytes(r.bytes)];
  if (r.firstTime !== null && r.lastTime !== null) head.push(formatDuration(r.duration));
  if (r.source.linktypeName) head.push(`link type ${r.source.linktypeName}`);
  out.push(`${name}: ${head.join(', ')}`);
  if (r.firstTime !== null && r.lastTime !== null) out.push(`  ${formatTimestamp(r.firstTime)} to ${formatTimestamp(r.lastTime)}`);
  if (r.source.filter) out.push(`  filter: ${r.source.filter}`);
  const c = r.conversations;
  out.push(`  ${plural(c.hostPairCount, 'host pair')}, ${plural(c.flowCount, 'conversation')} (5-tuples), ${formatCount(r.nonIp)} non-IP packets`);
  const t = r.tcp;
  out.push(
    `  TCP: ${plural(t.segments, 'segment')}, ${plural(t.retransmissions, 'retransmission')} ` +
      `(${formatCount(t.fastRetransmissions)} fast, ${formatCount(t.spuriousRetransmissions)} spurious), ` +
      `${formatCount(t.outOfOrder)} out of order, ${plural(t.lostSegments, 'previous segment')} not captured, ` +
      `${plural(t.duplicateAcks, 'duplicate ACK')}`,
  );
  if (r.truncated || r.malformed) {
    out.push(`  ${formatCount(r.truncated)} packets cut by the snapshot length, ${formatCount(r.malformed)} with cut or bad headers`);
  }
  const ov = c.overflow;
  if (ov.hostPairs.packets || ov.flows.packets) {
    out.push(
      `  not in the tables: ${plural(ov.flows.packets, 'packet')} beyond ${formatCount(ov.flows.limit)} conversations, ` +
        `${plural(ov.hostPairs.packets, 'packet')} beyond ${formatCount(ov.hostPairs.limit)} host pairs`,
    );
  }

  if (r.hierarchy.length) {
    out.push('', 'Protocol hierarchy');
    const rows = [['', 'packets', 'bytes']];
    for (const h of r.hierarchy) rows.push([`${'  '.repeat(h.depth)}${h.name}`, formatCount(h.packets), formatBytes(h.bytes)]);
    out.push(columns(rows, [false, true, true]));
  }
  if (r.applications.length) {
    out.push('', 'Applications');
    const rows = [['', 'packets', 'bytes', 'share', 'conversations', 'repeat (mean ± stdev)']];
    for (const a of r.applications) {
      rows.push([a.application, formatCount(a.packets), formatBytes(a.bytes), `${(a.share * 100).toFixed(1)}%`, formatCount(a.conversations), repeat(a.repeat)]);
    }
    out.push(columns(rows, [false, true, true, true, true, false]));
  }
  const best = r.topConversations(top);
  if (best.hostPairs.length) {
    out.push('', `Top conversations (host pairs, by bytes)`);
    const rows = [['A', '', 'B', 'packets', 'A→B', 'B→A', 'bytes', 'duration', 'applications', 'retrans', 'ooo']];
    for (const h of best.hostPairs) {
      rows.push([
        h.a.address,
        '<->',
        h.b.address,
        formatCount(h.packets),
        formatCount(h.aToB.packets),
        formatCount(h.bToA.packets),
        formatBytes(h.bytes),
        seconds(h.duration),
        h.applications.join(','),
        formatCount(h.retransmissions),
        formatCount(h.outOfOrder),
      ]);
    }
    out.push(columns(rows, [false, false, false, true, true, true, true, true, false, true, true]));
  }
  if (best.flows.length) {
    out.push('', `Top conversations (5-tuples, by bytes)`);
    const rows = [['', 'A', '', 'B', 'application', 'packets', 'bytes', 'duration', 'retrans', 'ooo']];
    for (const f of best.flows) {
      rows.push([
        f.transport,
        endpoint(f.a),
        '<->',
        endpoint(f.b),
        f.application,
        formatCount(f.packets),
        formatBytes(f.bytes),
        seconds(f.duration),
        formatCount(f.retransmissions),
        formatCount(f.outOfOrder),
      ]);
    }
    out.push(columns(rows, [false, false, false, false, false, true, true, true, true, true]));
  }
  return `${out.join('\n')}\n`;
}
