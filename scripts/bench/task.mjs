#!/usr/bin/env node
// One pcapkit measurement in a fresh process (fresh heap, own peak RSS), run by run.mjs.
//
//   node task.mjs filter IN OUT EXPR   filterFile(IN, OUT, EXPR)
//   node task.mjs iter IN              for await (const pkt of reader): count, sum pkt.caplen
//   node task.mjs batches IN           for await (const b of reader.batches()): sum b.caplen(i)
//   node task.mjs noop                 loads pcapkit and exits (baseline RSS)
//
// Prints one JSON line: { kind, ms, packets, bytes, maxRSSKB, userMs, sysMs }. `ms` is the
// operation's own wall time (opening the reader included; node startup and loading pcapkit
// excluded).
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const { PCAPReader, filterFile } = await import(pathToFileURL(path.resolve(here, '../../dist/esm/index.mjs')).href);

const [kind, ...args] = process.argv.slice(2);
let packets = 0;
let bytes = 0;
let extra = {};
const ru0 = process.resourceUsage();
const t0 = process.hrtime.bigint();
switch (kind) {
  case 'filter': {
    const [input, output, expr] = args;
    const r = await filterFile(input, output, expr ?? '');
    packets = r.packetsRead;
    bytes = r.bytesRead;
    extra = { packetsWritten: r.packetsWritten, bytesWritten: r.bytesWritten };
    break;
  }
  case 'iter': {
    const reader = new PCAPReader(args[0]);
    for await (const pkt of reader) {
      packets++;
      bytes += pkt.caplen;
    }
    break;
  }
  case 'batches': {
    const reader = new PCAPReader(args[0]);
    for await (const b of reader.batches()) {
      const n = b.count;
      for (let i = 0; i < n; i++) bytes += b.caplen(i);
      packets += n;
    }
    break;
  }
  case 'noop':
    break;
  default:
    console.error(`task.mjs: unknown kind ${kind}`);
    process.exit(2);
}
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
const ru = process.resourceUsage();
process.stdout.write(
  JSON.stringify({
    kind,
    ms,
    packets,
    bytes,
    ...extra,
    maxRSSKB: ru.maxRSS,
    userMs: (ru.userCPUTime - ru0.userCPUTime) / 1000,
    sysMs: (ru.systemCPUTime - ru0.systemCPUTime) / 1000,
  }) + '\n',
);
