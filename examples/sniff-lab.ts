// The scapy lab, in Node: sniff an interface with a per-packet callback, print one line per IPv4
// TCP packet, optionally save the packets, and optionally drop into a REPL to poke at them.
//
//   node dist/examples/sniff-lab.js IFACE [-c COUNT] [-f FILTER...] [-w FILE] [-i]
//
//   node dist/examples/sniff-lab.js eth0 -c 10 -f tcp port 8006
//   192.168.16.34:43948 -> 192.168.16.100:8006 TTL: 64, Flags: S
//   192.168.16.100:8006 -> 192.168.16.34:43948 TTL: 64, Flags: SA
//   ...
//
// -c stops after COUNT packets (default: until Ctrl-C), -f takes the rest of the words up to the
// next option as a BPF filter (tcpdump syntax), -w saves what was sniffed to a pcap file (scapy's
// wrpcap), -i starts a REPL with `packets` (the sniffed packets, decoded) and `pcapkit` in scope.
import * as repl from 'node:repl';
import { PCAPSocket, PCAPWriter, decode, type DecodedPacket, type Packet } from 'pcapkit';
import * as pcapkit from 'pcapkit';

interface SniffOptions {
  iface: string;
  /** Stop after this many packets (0: until stopped). */
  count?: number;
  filter?: string;
  /** Called for every packet as it arrives (scapy's `prn`). */
  prn?: (pkt: DecodedPacket) => void;
  signal?: AbortSignal;
}

/** scapy's sniff(): captures from `iface`, calls `prn` per packet, resolves with the packets. */
async function sniff(options: SniffOptions): Promise<{ raw: Packet[]; packets: DecodedPacket[]; linktype: number }> {
  const sock = new PCAPSocket(options.iface, { filter: options.filter, timeout: 100, signal: options.signal });
  console.error(`listening on ${sock.device}, link-type ${sock.linktypeName}, snapshot length ${sock.snaplen} bytes`);
  const raw: Packet[] = [];
  const packets: DecodedPacket[] = [];
  try {
    for await (const pkt of sock) {
      // Packets stay valid after the loop moves on, so keeping them is safe.
      const decoded = decode(pkt);
      raw.push(pkt);
      packets.push(decoded);
      options.prn?.(decoded);
      if (options.count && packets.length >= options.count) break;
    }
  } catch (err) {
    // An abort (Ctrl-C) just ends the capture; anything else is a real error.
    if (!options.signal?.aborted) throw err;
  }
  return { raw, packets, linktype: sock.linktype };
}

/** The lab's callback: one line per IPv4 TCP packet. */
function callback(pkt: DecodedPacket): void {
  const { ipv4, tcp } = pkt;
  if (ipv4 && tcp) {
    console.log(`${ipv4.src}:${tcp.srcPort} -> ${ipv4.dst}:${tcp.dstPort} TTL: ${ipv4.ttl}, Flags: ${tcp.flagString}`);
  }
}

function parseArgs(argv: string[]) {
  const usage = 'usage: sniff-lab IFACE [-c COUNT] [-f FILTER...] [-w FILE] [-i]';
  let iface: string | undefined;
  let count = 0;
  let write: string | undefined;
  let interactive = false;
  const filter: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-c') count = Number(argv[++i]);
    else if (a === '-w') write = argv[++i];
    else if (a === '-i') interactive = true;
    else if (a === '-f') while (i + 1 < argv.length && !argv[i + 1].startsWith('-')) filter.push(argv[++i]);
    else if (a === '-h' || a === '--help') {
      console.log(usage);
      process.exit(0);
    } else if (!a.startsWith('-') && iface === undefined) iface = a;
    else throw new Error(`unexpected argument '${a}'\n${usage}`);
  }
  if (iface === undefined || !(Number.isInteger(count) && count >= 0) || (write === undefined && argv.includes('-w'))) {
    throw new Error(usage);
  }
  return { iface, count, filter: filter.length ? filter.join(' ') : undefined, write, interactive };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.once('SIGINT', onSigint);
  const { raw, packets, linktype } = await sniff({
    iface: args.iface,
    count: args.count,
    filter: args.filter,
    prn: callback,
    signal: stop.signal,
  });
  process.removeListener('SIGINT', onSigint);
  console.error(`${packets.length} packets captured`);

  if (args.write) {
    const out = new PCAPWriter(args.write, { linktype });
    for (const pkt of raw) out.write(pkt);
    await out.close();
    console.error(`saved to ${args.write}`);
  }

  if (args.interactive) {
    console.error("`packets` holds the decoded packets (try packets[0].show()), `raw` the Packets; .exit to quit");
    const server = repl.start({ prompt: '>>> ', useGlobal: false });
    Object.assign(server.context, { packets, raw, pcapkit });
    await new Promise<void>((resolve) => server.on('exit', () => resolve()));
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
