// The pypcap blog's generator, in Node: yield (timestamp, tcpPayload) for every TCP packet that
// carries data, whatever the link type (Ethernet, loopback/NULL, raw IP, Linux cooked): the
// packet's link type picks the first decoder, so the same loop works everywhere.
//
//   node dist/examples/tcp-data.js [-i DEVICE | --file CAPTURE] [-f FILTER...] [-c COUNT] [--debug]
//
//   node dist/examples/tcp-data.js -i lo -f tcp port 8080
//   1763890287.410352  78 bytes  "GET / HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n"
//
// DEVICE defaults to 'any'; --file reads a capture file instead of a device; -c stops after
// COUNT payloads; --debug also prints a hexdump (as `hexdump -C`) of every packet read.
import { Decoder, LayerType, PCAPReader, PCAPSocket, hexdump } from 'pcapkit';

export interface TcpDataOptions {
  /** BPF filter (tcpdump syntax); 'tcp' is enough, the decoder skips non-TCP packets anyway. */
  filter?: string;
  /** Capture device (default 'any'); ignored with `file`. */
  device?: string;
  /** Read this capture file instead of a device. */
  file?: string;
  /** Print a hexdump of every packet to stderr. */
  debug?: boolean;
  signal?: AbortSignal;
}

/** Yields [timestamp (s), TCP payload] for each TCP packet with a payload. */
export async function* tcpDataFromFilter(options: TcpDataOptions = {}): AsyncGenerator<[number, Buffer]> {
  const { filter = 'tcp', device = 'any', file, debug = false, signal } = options;
  const source = file ? new PCAPReader(file, { filter, signal }) : new PCAPSocket(device, { filter, timeout: 100, signal });
  // As tcpdump says it (on stderr, so stdout has only the data):
  console.error(`${file ? `reading from file ${file}` : `listening on ${device}`}, link-type ${source.linktypeName}`);
  const d = new Decoder();
  try {
    for await (const pkt of source) {
      if (debug) process.stderr.write(`${pkt.timestamp.toFixed(6)} ${pkt.caplen} bytes, link type ${pkt.linktype}\n${hexdump(pkt.data)}`);
      d.decodePacket(pkt); // EN10MB -> Ethernet, NULL/LOOP -> Loopback, RAW -> IPv4/IPv6, ...
      if (!d.has(LayerType.TCP) || d.appLength === 0) continue;
      // appData is a view into the packet, which stays valid: no copy needed.
      yield [pkt.timestamp, d.appData];
    }
  } finally {
    await source.close(); // also when the consumer breaks out early
  }
}

function parseArgs(argv: string[]) {
  const usage = 'usage: tcp-data [-i DEVICE | --file CAPTURE] [-f FILTER...] [-c COUNT] [--debug]';
  const opts: TcpDataOptions & { count: number } = { count: 0 };
  const filter: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-i') opts.device = argv[++i];
    else if (a === '--file') opts.file = argv[++i];
    else if (a === '-c') opts.count = Number(argv[++i]);
    else if (a === '--debug') opts.debug = true;
    else if (a === '-f') while (i + 1 < argv.length && !argv[i + 1].startsWith('-')) filter.push(argv[++i]);
    else throw new Error(`unexpected argument '${a}'\n${usage}`);
  }
  if (filter.length) opts.filter = filter.join(' ');
  if (!(Number.isInteger(opts.count) && opts.count >= 0)) throw new Error(usage);
  return opts;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  let n = 0;
  try {
    for await (const [ts, data] of tcpDataFromFilter({ ...opts, signal: stop.signal })) {
      console.log(`${ts.toFixed(6)}  ${data.length} bytes  ${JSON.stringify(data.toString('latin1'))}`);
      if (++n === opts.count) break;
    }
  } catch (err) {
    if (!stop.signal.aborted) throw err;
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
