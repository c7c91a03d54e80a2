// pcapkit sniff: live capture, like tcpdump. One summary line per packet on stdout (or NDJSON
// with --json), or the packets straight to a pcap file with -w. Ctrl-C / SIGTERM / -c COUNT end
// the capture cleanly and print tcpdump's statistics on stderr.
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  DEFAULT_DEVICE,
  PCAPSocket,
  PCAPWriter,
  PcapError,
  RotatingWriter,
  linktypeDescription,
  linktypeName,
  type CaptureStats,
  type PacketBatch,
} from '../index';
import { EXIT, onStopSignals } from './common';
import { formatCount, plural } from './humanize';
import { Progress } from './progress';
import { exactTimestamp, formatClock, summarize } from './tcpdump-summary';

interface SniffOptions {
  interface: string;
  filter?: string[];
  count?: number;
  write?: string;
  json?: boolean;
  timeout: number;
  snaplen?: number;
  promisc: boolean;
  immediate?: boolean;
  fileSize?: number;
  rotateSeconds?: number;
  files?: number;
}

function megabytes(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(n > 0)) throw new InvalidArgumentError('a size in millions of bytes above 0 is expected');
  return n;
}

/** Default packet buffer timeout: a quiet link still shows its packets within this. */
const DEFAULT_TIMEOUT_MS = 100;

/** A commander argument parser for integers >= min (1 by default). */
export function integerOption(what: string, min = 1): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`${what} must be an integer >= ${min}.`);
    }
    return n;
  };
}

export function register(program: Command): void {
  program
    .command('sniff')
    .summary('capture live packets and print a line for each (or write them to a file)')
    .description(
      'Captures packets on a device, like tcpdump: one summary line per packet on stdout, ' +
        'NDJSON with --json, or with -w the packets go to a pcap file and only a running count ' +
        'is shown (on a terminal). The filter may be given with -f or as the trailing words. ' +
        'Ends after -c COUNT packets, or on Ctrl-C / SIGTERM (after one more packet buffer ' +
        'timeout, so that packets still in the kernel are kept; a second Ctrl-C stops at once), ' +
        'and then prints the capture statistics on stderr. Needs root or the capabilities ' +
        'cap_net_raw,cap_net_admin.',
    )
    .argument('[expr...]', 'BPF filter expression (the same as -f)')
    .option('-i, --interface <name>', 'device to capture on (see `pcapkit devices`)', DEFAULT_DEVICE)
    .option('-f, --filter <expr...>', 'BPF filter expression (pcap-filter(7) syntax)')
    .option('-c, --count <n>', 'stop after this many packets', integerOption('count'))
    .addOption(new Option('-w, --write <file>', 'write the packets to this pcap file instead of printing them').conflicts('json'))
    .option('-C, --file-size <MB>', 'with -w: start a new file once the current one is over MB million bytes (tcpdump -C)', megabytes)
    .option('-G, --rotate-seconds <sec>', 'with -w: start a new file every SEC seconds; -w is a strftime pattern (tcpdump -G)', integerOption('rotate-seconds'))
    .option('-W, --files <n>', 'with -C: a ring of N files; with -G alone: stop after N files (tcpdump -W)', integerOption('files'))
    .option('--json', 'one JSON object per packet (NDJSON) instead of text')
    .option('--timeout <ms>', 'packet buffer timeout in ms', integerOption('timeout'), DEFAULT_TIMEOUT_MS)
    .option('--snaplen <n>', 'bytes to capture per packet (default 262144)', integerOption('snaplen'))
    .option('--no-promisc', 'do not put the device in promiscuous mode')
    .option('--immediate', 'deliver every packet at once (more CPU; lowest latency)')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        "  $ pcapkit sniff -i lo -f 'ip and icmp' -c 4\n" +
        '  $ pcapkit sniff -i eth0 udp port 53\n' +
        '  $ pcapkit sniff -i eth0 -w trace.pcap tcp port 443\n' +
        "  $ pcapkit sniff -i lo --json -c 10 | jq -r '.summary'\n" +
        '\nExit status: 0 done (also after Ctrl-C or SIGTERM), 1 error (ENODEV no such device,\n' +
        'EFILTER bad filter, EPERM no permission), 64 bad command line. To capture without\n' +
        'root, give the capabilities to a copy of node kept for capturing (README: "Capturing\n' +
        'without root"):\n' +
        '  $ sudo install -D "$(readlink -f "$(which node)")" /opt/pcapkit/node\n' +
        '  $ sudo setcap cap_net_raw,cap_net_admin+eip /opt/pcapkit/node',
    )
    .action(async (words: string[], options: SniffOptions) => {
      process.exitCode = await runSniff([...(options.filter ?? []), ...words].join(' '), options);
    });
}

/** tcpdump's closing statistics, on one line. */
export function statsLine(captured: number, stats: CaptureStats | undefined): string {
  const s = stats ?? { received: 0, dropped: 0, ifDropped: 0 };
  const line =
    `${plural(captured, 'packet')} captured, ${formatCount(s.received)} received by filter, ` +
    `${formatCount(s.dropped)} dropped by kernel`;
  return s.ifDropped > 0 ? `${line}, ${formatCount(s.ifDropped)} dropped by interface` : line;
}

/** The text line (or JSON line) of packet i of a batch. */
function packetLine(batch: PacketBatch, i: number, json: boolean): string {
  const offset = batch.offset(i);
  const data = batch.arena.subarray(offset, offset + batch.caplen(i));
  const linktype = batch.linktype(i);
  const s = summarize(data, linktype, batch.length(i));
  if (json) {
    return JSON.stringify({
      ts: exactTimestamp(batch.tsSec(i), batch.tsNsec(i)),
      caplen: batch.caplen(i),
      length: batch.length(i),
      linktype,
      linktypeName: linktypeName(linktype),
      ...s,
    });
  }
  return `${formatClock(batch.tsSec(i), batch.tsNsec(i))} ${s.summary}`;
}

async function runSniff(expr: string, options: SniffOptions): Promise<number> {
  const stderr = process.stderr;
  const device = options.interface;
  const sock = new PCAPSocket(device, {
    filter: expr === '' ? undefined : expr,
    timeout: options.timeout,
    snaplen: options.snaplen,
    promisc: options.promisc,
    immediate: options.immediate === true,
  });
  let writer: PCAPWriter | RotatingWriter | undefined;
  try {
    const rotating = options.fileSize !== undefined || options.rotateSeconds !== undefined;
    if ((rotating || options.files !== undefined) && options.write === undefined) {
      throw new PcapError('EINVAL', '-C, -G and -W need -w FILE');
    }
    if (options.files !== undefined && !rotating) throw new PcapError('EINVAL', '-W needs -C or -G');
    if (options.write !== undefined) {
      const fileOptions = { linktype: sock.linktype, snaplen: sock.snaplen, precision: sock.precision };
      writer = rotating
        ? new RotatingWriter(options.write, {
            ...fileOptions,
            rotate: {
              fileSize: options.fileSize === undefined ? undefined : Math.round(options.fileSize * 1e6),
              seconds: options.rotateSeconds,
              files: options.files,
            },
          })
        : new PCAPWriter(options.write, fileOptions);
    }
  } catch (err) {
    await sock.close();
    throw err;
  }
  let stats: CaptureStats | undefined;
  let stopped = false;
  /** Reads the kernel counters (they go with the handle), then closes: the loop below ends. */
  const stop = () => {
    if (stopped) return;
    stopped = true;
    clearTimeout(drainTimer);
    try {
      stats = sock.stats();
    } catch {
      // already closed
    }
    void sock.close();
  };
  // A signal first lets the capture run one more packet buffer timeout, so that packets the
  // kernel still holds in an unfinished block are delivered and counted instead of lost.
  const drainMs = options.immediate ? 20 : options.timeout + 50;
  let drainTimer: NodeJS.Timeout | undefined;
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) drainTimer = setTimeout(stop, drainMs);
    else if (signals === 2) stop(); // don't wait for the drain
    else {
      // still not gone: die of the signal, as the shell expects
      removeHandlers();
      process.kill(process.pid, signal);
    }
  };
  const removeHandlers = onStopSignals(onSignal);

  // Only now say that we are listening: whoever waits for this line may signal us at once.
  for (const w of sock.warnings) stderr.write(`pcapkit: warning: ${device}: ${w}\n`);
  stderr.write(
    `listening on ${device}, link-type ${sock.linktypeName} (${linktypeDescription(sock.linktype)}), ` +
      `snapshot length ${sock.snaplen} bytes\n`,
  );

  const progress = new Progress({ label: 'sniff', enabled: writer ? undefined : false });
  const json = options.json === true;
  const limit = options.count;
  let captured = 0;
  try {
    for await (const batch of sock.batches()) {
      const take = limit === undefined ? batch.count : Math.min(batch.count, limit - captured);
      if (writer) {
        writer.writeBatch(batch, take);
        if (writer instanceof RotatingWriter && writer.finished) {
          captured += take;
          stop(); // -G with -W: the files are full, as tcpdump stops
          break;
        }
      } else if (take > 0) {
        let out = '';
        for (let i = 0; i < take; i++) out += `${packetLine(batch, i, json)}\n`;
        process.stdout.write(out);
      }
      captured += take;
      progress.update(captured, 0, `${plural(captured, 'packet')} captured`);
      if (limit !== undefined && captured >= limit) {
        stop();
        break;
      }
    }
  } finally {
    progress.stop();
    removeHandlers();
    stop(); // when the capture ended by itself (device gone): nothing left to read, still report
    await writer?.close();
  }
  stderr.write(`${statsLine(captured, stats)}\n`);
  return EXIT.OK;
}
