#!/usr/bin/env node
// Live soak worker (run by scripts/soak/live.mjs, inside a private network namespace or on the
// host's lo): one PCAPSocket on lo, filter `udp dst port PORT`, held open for SECONDS while
// someone else floods that port, every packet decoded. Prints {"event":"begin"}, then
// {"event":"ready"} once capturing, then, after closing, one JSON line:
//   { phase: 'live', packets, matched, stats, durationMs, fdsBefore, fdsAtClose, fdsAfter,
//     fdSettleMs, samples }
// The capture's socket and eventfd are closed by a thread of the addon a millisecond or two after
// the loop ends (pcap_close off the event loop), hence fdsAtClose vs fdsAfter.
// `stats` is stats() read just before close(); `matched` counts packets the decoder saw as
// UDP to PORT (all of them, with that filter).
//
//   node live-worker.mjs --seconds S --port P [--warmup-seconds W] [--sample-ms MS]
import { parseArgs } from 'node:util';
import { emit, finishMeasuring, startMeasuring } from './measure.mjs';

const { values: a } = parseArgs({
  options: {
    seconds: { type: 'string', default: '180' },
    port: { type: 'string' },
    'warmup-seconds': { type: 'string' },
    'sample-ms': { type: 'string', default: '500' },
  },
});
const seconds = Number(a.seconds);
const port = Number(a.port);
if (!(seconds > 0) || !(port > 0 && port < 65536)) throw new Error('live-worker: need --seconds > 0 and --port');
// The first 10% of the run (at most 10 s) is warm-up: the ring, the queue and the heap fill up.
const warmupMs = 1000 * (a['warmup-seconds'] === undefined ? Math.min(10, seconds / 10) : Number(a['warmup-seconds']));

const { PCAPSocket, Decoder, LayerType } = await import(new URL('../../dist/esm/index.mjs', import.meta.url).href);

let packets = 0;
let matched = 0;
let addrChars = 0;
let payloadBytes = 0;
const decoder = new Decoder();

const { fdsBefore, sampler, t0 } = await startMeasuring(() => packets, Number(a['sample-ms']));
const sock = new PCAPSocket('lo', { filter: `udp dst port ${port}`, timeout: 100 });
const warm = setTimeout(() => sampler.sample('start'), warmupMs);
let stats;
const stop = setTimeout(() => {
  sampler.sample('end');
  stats = sock.stats();
  void sock.close(); // the running loop ends cleanly
}, seconds * 1000);
await emit({ event: 'ready', linktype: sock.linktypeName });

for await (const pkt of sock) {
  const d = decoder.decodePacket(pkt);
  if (d.has(LayerType.UDP) && d.udp.dstPort === port) matched++;
  const net = d.network;
  if (net !== undefined) addrChars += net.src.length;
  payloadBytes += d.appLength;
  packets++;
}
const durationMs = Math.round(performance.now() - t0);
clearTimeout(warm);
clearTimeout(stop);
const { fdsAtClose, fdsAfter, fdSettleMs } = await finishMeasuring(sampler, fdsBefore);
await emit({
  phase: 'live',
  seconds,
  port,
  packets,
  matched,
  addrChars,
  payloadBytes,
  stats,
  durationMs,
  fdsBefore,
  fdsAtClose,
  fdsAfter,
  fdSettleMs,
  samples: sampler.samples,
});
