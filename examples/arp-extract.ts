// steelscript's file example: keep only the ARP packets of a (large) capture, with their
// original headers and timestamps, two ways:
//
//   1. filterFile(): read -> BPF -> write entirely in C++ (the fast way), to OUT;
//   2. a PCAPReader -> PCAPWriter loop in JS (the way to go when you want to look at or change
//      packets on the way), to OUT with '.loop' before its extension.
//
//   node dist/examples/arp-extract.js IN OUT
//   filterFile: 1000000 packets read, 412 ARP packets written to arp.pcap (0.35 s)
//   reader -> writer: 1000000 packets read, 412 ARP packets written to arp.loop.pcap (0.61 s)
//
// Both outputs are byte for byte what `tcpdump -r IN -w OUT arp` writes: same link type,
// snapshot length and timestamp precision as the input, every header kept.
import * as path from 'node:path';
import { PCAPReader, PCAPWriter, filterFile } from 'pcapkit';

const FILTER = 'arp';

function loopName(out: string): string {
  const ext = path.extname(out);
  return `${out.slice(0, out.length - ext.length)}.loop${ext}`;
}

async function withFilterFile(input: string, output: string): Promise<void> {
  const started = performance.now();
  const r = await filterFile(input, output, FILTER);
  const secs = (performance.now() - started) / 1000;
  console.log(`filterFile: ${r.packetsRead} packets read, ${r.packetsWritten} ARP packets written to ${output} (${secs.toFixed(2)} s)`);
}

async function withReaderWriter(input: string, output: string): Promise<void> {
  const started = performance.now();
  const reader = new PCAPReader(input, { filter: FILTER });
  // The writer takes the input's link type, snapshot length and precision, as tcpdump does.
  const writer = new PCAPWriter(output, { linktype: reader.linktype, snaplen: reader.snaplen, precision: reader.precision });
  try {
    for await (const batch of reader.batches()) writer.writeBatch(batch); // or: for await (pkt of reader) writer.write(pkt)
  } finally {
    await writer.close();
  }
  const secs = (performance.now() - started) / 1000;
  console.log(
    `reader -> writer: ${reader.stats.packetsRead} packets read, ${writer.packetsWritten} ARP packets written to ${output} (${secs.toFixed(2)} s)`,
  );
}

async function main(): Promise<void> {
  const [input, output] = process.argv.slice(2);
  if (!input || !output) throw new Error('usage: arp-extract IN OUT');
  await withFilterFile(input, output);
  await withReaderWriter(input, loopName(output));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
