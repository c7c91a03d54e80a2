// pcapkit read FILE: one line per packet (scapy-style summaries from the decoders), or NDJSON,
// or a field-per-line view and a hex dump of each packet.
import { Command, InvalidArgumentError, Option } from 'commander';
import { Decoder, PCAPReader, decodedToJSON, hexdump, show, summary, type Packet, type Precision } from '../index';
import { EXIT, errorLine, isDamage } from './common';

interface ReadOptions {
  filter?: string[];
  count?: number;
  json?: boolean;
  show?: boolean;
  hex?: boolean;
}

function parseCount(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('a whole number of packets is expected');
  return Number(value);
}

export function register(program: Command): void {
  program
    .command('read')
    .summary('print the packets of a capture, decoded')
    .description(
      'Prints one line per packet of FILE (pcap or pcapng, - for stdin): its number, its ' +
        'timestamp (UTC) and a scapy-style summary of its layers, e.g.\n' +
        '  1 2024-05-01 12:00:00.123456 Ether / IP / TCP 10.0.0.1:443 > 10.0.0.2:5555 SA / Raw\n' +
        'With --json, one JSON object per packet instead (NDJSON): number, tsSec, tsNsec, ' +
        'timestamp (seconds, float), then the decoded packet (linktype, caplen, length, ' +
        'truncated, malformed, padding, layers: [{type, offset, headerLength, ...fields}]).',
    )
    .argument('<file>', 'capture file (pcap or pcapng), - for stdin')
    .option('-f, --filter <expr...>', 'only packets matching this BPF expression (pcap-filter(7)); put FILE first')
    .option('-c, --count <n>', 'stop after N packets', parseCount)
    .addOption(new Option('--json', 'one JSON object per packet (NDJSON)').conflicts(['show', 'hex']))
    .option('--show', 'after each summary line, every field of every layer (scapy show() layout)')
    .option('--hex', 'after each summary line, the captured bytes as `hexdump -C` prints them')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ pcapkit read trace.pcap\n' +
        "  $ pcapkit read trace.pcap -f 'udp port 53' -c 10 --show\n" +
        "  $ pcapkit read trace.pcapng --json | jq -c '.layers | map(.type)'\n" +
        '\nExit status: 0 done, 1 FILE could not be read or a bad filter, 2 FILE is damaged\n' +
        '(every packet before the damage is printed, then the error).',
    )
    .action(async (file: string, options: ReadOptions) => {
      process.exitCode = await runRead(file, options);
    });
}

/** Collects output and writes it in large pieces, waiting when stdout is slower than we are. */
class Output {
  private chunks: string[] = [];
  private size = 0;

  async add(text: string): Promise<void> {
    this.chunks.push(text);
    this.size += text.length;
    if (this.size >= 1 << 16) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.chunks.length === 0) return;
    const text = this.chunks.join('');
    this.chunks = [];
    this.size = 0;
    if (!process.stdout.write(text)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          process.stdout.off('drain', done);
          process.stdout.off('close', done);
          resolve();
        };
        process.stdout.on('drain', done);
        process.stdout.on('close', done);
      });
    }
  }
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/** `2024-05-01 12:00:00.123456` (UTC), 9 decimals for nanosecond captures. */
export function packetTime(pkt: Packet, precision: Precision): string {
  const d = new Date(pkt.tsSec * 1000);
  if (Number.isNaN(d.getTime())) return `${pkt.tsSec}.${String(pkt.tsNsec).padStart(9, '0')}`;
  const frac = precision === 'nano' ? String(pkt.tsNsec).padStart(9, '0') : String(Math.floor(pkt.tsNsec / 1000)).padStart(6, '0');
  return (
    `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}.${frac}`
  );
}

async function runRead(file: string, options: ReadOptions): Promise<number> {
  const filter = options.filter?.join(' ');
  const reader = await PCAPReader.open(file, filter ? { filter } : {});
  const out = new Output();
  const decoder = new Decoder();
  const limit = options.count ?? Infinity;
  let n = 0;
  try {
    if (limit > 0) {
      for await (const pkt of reader) {
        n++;
        decoder.decodePacket(pkt);
        if (options.json) {
          const record = { number: n, tsSec: pkt.tsSec, tsNsec: pkt.tsNsec, timestamp: pkt.timestamp, ...decodedToJSON(decoder) };
          await out.add(`${JSON.stringify(record)}\n`);
        } else {
          let text = `${n} ${packetTime(pkt, reader.precision)} ${summary(decoder)}\n`;
          if (options.show) text += show(decoder);
          if (options.hex) text += hexdump(pkt.data);
          if (options.show || options.hex) text += '\n';
          await out.add(text);
        }
        if (n >= limit) break; // leaving the loop closes the reader
      }
    }
    await out.flush();
    return EXIT.OK;
  } catch (err) {
    await out.flush();
    if (!isDamage(err)) throw err;
    process.stderr.write(`${errorLine(err)}\n`);
    return EXIT.DAMAGED;
  } finally {
    await reader.close();
  }
}
