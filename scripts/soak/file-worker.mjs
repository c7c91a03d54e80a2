#!/usr/bin/env node
// File soak worker (run in a fresh process by scripts/soak.mjs and test/soak.test.mjs): reads
// INPUT again and again with `for await (const pkt of reader)` until PACKETS packets went
// through a reused Decoder (a few fields read from each) and one PCAPWriter writing OUTPUT.
// Memory is sampled on a timer and at checkpoints; open descriptors are listed before anything
// is opened and after everything is closed. Prints {"event":"begin"} first, then one JSON line:
//   { phase: 'file', packets, passes, written, counts, durationMs, fdsBefore, fdsAtClose,
//     fdsAfter, fdSettleMs, samples }
// (fdsAtClose: how many were open the moment everything was closed; fdsAfter: the listing once
// back to the count before, or after 2 s.)
//
//   node file-worker.mjs --input IN.pcap --output OUT.pcap --packets N
//        [--warmup N] [--sample-ms MS] [--checkpoints N] [--leak reader|packets|objects]
//
// --leak makes the run deliberately faulty, so a test can show its checks catch a leak:
//   reader   one extra PCAPReader per pass, opened and never closed (a handle leak)
//   packets  every 5000th packet kept in an array, which keeps its batch arena alive (native)
//   objects  a small record ({ ts, src, length }) kept for every 10th packet (JS heap)
import { parseArgs } from 'node:util';
import { emit, finishMeasuring, startMeasuring } from './measure.mjs';

const { values: a } = parseArgs({
  options: {
    input: { type: 'string' },
    output: { type: 'string' },
    packets: { type: 'string', default: '10000000' },
    warmup: { type: 'string' },
    'sample-ms': { type: 'string', default: '500' },
    checkpoints: { type: 'string', default: '100' },
    leak: { type: 'string' },
  },
});
if (!a.input || !a.output) throw new Error('file-worker: --input and --output are required');
const target = Number(a.packets);
// Warm-up: the first tenth, and at least 500,000 packets (or a quarter of a shorter run).
// Batches are freed only when V8 collects them, and how many wait for it depends on how often
// the loop's garbage triggers a collection: RSS settles at that level within ~400,000 packets
// (the decoder makes no garbage per packet, so collections are rare).
const warmup = a.warmup === undefined ? Math.max(Math.floor(target / 10), Math.min(500_000, Math.floor(target / 4))) : Number(a.warmup);
if (!(target > 0 && warmup > 0 && warmup < target)) throw new Error('file-worker: need 0 < --warmup < --packets');
const checkpointEvery = Math.max(1, Math.floor(target / Number(a.checkpoints)));
const leak = a.leak;

const { PCAPReader, PCAPWriter, Decoder, LayerType } = await import(new URL('../../dist/esm/index.mjs', import.meta.url).href);

let packets = 0;
const counts = { tcp: 0, udp: 0, dns: 0, other: 0, truncated: 0, malformed: 0, portSum: 0, addrChars: 0, appBytes: 0 };
const decoder = new Decoder();
const leaked = [];

// The per-packet work: decode, read a few fields (an address as a string, which allocates,
// like real code does), write.
function handle(pkt, writer) {
  const d = decoder.decodePacket(pkt);
  if (d.has(LayerType.TCP)) {
    counts.tcp++;
    counts.portSum += d.tcp.srcPort + d.tcp.dstPort + d.tcp.flags;
  } else if (d.has(LayerType.UDP)) {
    counts.udp++;
    counts.portSum += d.udp.srcPort + d.udp.dstPort;
    if (d.has(LayerType.DNS)) counts.dns++;
  } else {
    counts.other++;
  }
  const net = d.network;
  if (net !== undefined) counts.addrChars += net.src.length + net.dst.length;
  counts.appBytes += d.appLength;
  if (d.truncated) counts.truncated++;
  if (d.malformed) counts.malformed++;
  writer.write(pkt);
}

const { fdsBefore, sampler, t0 } = await startMeasuring(() => packets, Number(a['sample-ms']));
let writer;
let passes = 0;
while (packets < target) {
  const reader = new PCAPReader(a.input);
  passes++;
  if (leak === 'reader') leaked.push(new PCAPReader(a.input));
  // Same link type, snaplen and precision as the input: the output is the input repeated.
  writer ??= new PCAPWriter(a.output, { linktype: reader.linktype, snaplen: reader.snaplen, precision: reader.precision });
  const before = packets;
  for await (const pkt of reader) {
    handle(pkt, writer);
    packets++;
    if (leak === 'packets' && packets % 5000 === 0) leaked.push(pkt);
    if (leak === 'objects' && packets % 10 === 0) leaked.push({ ts: pkt.timestamp, src: decoder.network?.src, length: pkt.length });
    if (packets === warmup) sampler.sample('start');
    if (packets % checkpointEvery === 0) sampler.sample('checkpoint');
    if (packets === target) break; // ends the loop, which closes the reader
  }
  if (packets === before) throw new Error(`file-worker: ${a.input} has no packets`);
}
sampler.sample('end');
const durationMs = Math.round(performance.now() - t0);
await writer.close();
const { fdsAtClose, fdsAfter, fdSettleMs } = await finishMeasuring(sampler, fdsBefore);
await emit({
  phase: 'file',
  input: a.input,
  output: a.output,
  packets,
  written: packets,
  passes,
  warmup,
  leak: leak ?? null,
  leakedObjects: leaked.length,
  counts,
  durationMs,
  fdsBefore,
  fdsAtClose,
  fdsAfter,
  fdSettleMs,
  samples: sampler.samples,
});
