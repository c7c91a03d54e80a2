#!/usr/bin/env node
// One pcapkit measurement in a fresh process (fresh heap, own peak RSS), run by run.mjs.
//
//   node task.mjs filter IN OUT EXPR [FORMAT [PRECISION]]  filterFile(IN, OUT, EXPR, { format, precision })
//                                      (IN may be '-': the bench pipes the capture in)
//   node task.mjs iter IN              for await (const pkt of reader): count, sum pkt.caplen
//   node task.mjs batches IN           for await (const b of reader.batches()): sum b.caplen(i)
//   node task.mjs data IN              `iter` + pkt.data and one byte of it: what any decoder
//                                      pays before decoding (the view, the first touch of
//                                      the packet's bytes)
//   node task.mjs decode IN [N]        `iter` + one reused Decoder per packet: IPv4 source as an
//                                      integer, TCP/UDP ports (first N packets when N is given)
//   node task.mjs decodebatch IN      `batches` + the same decoding, d.decodeFromBatch(batch, i)
//   node task.mjs pcapdecode IN [N]    `iter` + the `pcap` npm package's (node_pcap) decoder on
//                                      every packet, reading the same fields (needs
//                                      scripts/bench/node_modules, installed by run.mjs)
//   node task.mjs iter IN N            `iter` stopped after N packets (the I/O-only baseline
//                                      of a partial pcapdecode run)
//   node task.mjs noop                 loads pcapkit and exits (baseline RSS)
//
// Prints one JSON line: { kind, ms, packets, bytes, maxRSSKB, userMs, sysMs } (+ portSum,
// ipSum, ipv4, tcp, udp for the decode kinds: the same for both decoders, compared by run.mjs). `ms` is the
// operation's own wall time (opening the reader included; node startup and loading pcapkit
// excluded).
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const { PCAPReader, filterFile, Decoder, LayerType } = await import(
  pathToFileURL(path.resolve(here, '../../dist/esm/index.mjs')).href
);

const [kind, ...args] = process.argv.slice(2);
// Optional packet limit (iter/decode/pcapdecode): Infinity = the whole file.
const limit = ['iter', 'decode', 'pcapdecode'].includes(kind) && args[1] !== undefined ? Number(args[1]) : Infinity;
// node_pcap's pure-JS decoder only (its native capture binding is never built or loaded).
// Loaded before the clock starts, like pcapkit.
const pcapDecode =
  kind === 'pcapdecode' ? createRequire(path.join(here, 'package.json'))('pcap/decode').decode.packet : null;
// The decode jobs' checksums (portSum, ipSum) wrap as int32 (`| 0`), the same in every decoder's
// job. A sum that outgrows a small integer in an async function becomes a heap number
// allocated on every packet (each `await` stores the loop's variables in its generator): ~18 ns
// per packet on this loop, which is the benchmark's bookkeeping, not decoding.
//
// Each job is its own async function, as an application would write its loop: the loop's
// variables are then locals of one function (not module bindings shared with the rest of this
// file), the same for every job, so the jobs differ only in what their loops do.
const JOBS = {
  async filter(input, output, expr, format, precision) {
    const r = await filterFile(input, output, expr ?? '', { ...(format ? { format } : {}), ...(precision ? { precision } : {}) });
    return { packets: r.packetsRead, bytes: r.bytesRead, packetsWritten: r.packetsWritten, bytesWritten: r.bytesWritten };
  },
  async iter(input) {
    const reader = new PCAPReader(input);
    let packets = 0;
    let bytes = 0;
    if (limit === Infinity) {
      for await (const pkt of reader) {
        packets++;
        bytes += pkt.caplen;
      }
    } else {
      for await (const pkt of reader) {
        if (packets === limit) break;
        packets++;
        bytes += pkt.caplen;
      }
    }
    return { packets, bytes };
  },
  async data(input) {
    const reader = new PCAPReader(input);
    let packets = 0;
    let bytes = 0;
    let touched = 0;
    for await (const pkt of reader) {
      packets++;
      bytes += pkt.caplen;
      touched += pkt.data[12];
    }
    return { packets, bytes, touched };
  },
  async decode(input) {
    // The loop of `iter`, plus: Ethernet -> IP -> TCP/UDP with one reused Decoder.
    const reader = new PCAPReader(input);
    const d = new Decoder();
    let packets = 0;
    let bytes = 0;
    let portSum = 0;
    let ipSum = 0;
    let ipv4 = 0;
    let tcp = 0;
    let udp = 0;
    for await (const pkt of reader) {
      if (packets === limit) break;
      packets++;
      bytes += pkt.caplen;
      d.decodePacket(pkt);
      if (d.has(LayerType.IPv4)) {
        ipSum = (ipSum + d.ipv4.srcInt) | 0;
        ipv4++;
      }
      if (d.has(LayerType.TCP)) {
        portSum = (portSum + d.tcp.srcPort + d.tcp.dstPort) | 0;
        tcp++;
      } else if (d.has(LayerType.UDP)) {
        portSum = (portSum + d.udp.srcPort + d.udp.dstPort) | 0;
        udp++;
      }
    }
    return { packets, bytes, portSum, ipSum, ipv4, tcp, udp };
  },
  async decodebatch(input) {
    // The same decoding in a batches() loop: each packet decoded where it lies in the arena.
    const reader = new PCAPReader(input);
    const d = new Decoder();
    let packets = 0;
    let bytes = 0;
    let portSum = 0;
    let ipSum = 0;
    let ipv4 = 0;
    let tcp = 0;
    let udp = 0;
    for await (const b of reader.batches()) {
      const n = b.count;
      for (let i = 0; i < n; i++) {
        d.decodeFromBatch(b, i);
        bytes += b.caplen(i);
        if (d.has(LayerType.IPv4)) {
          ipSum = (ipSum + d.ipv4.srcInt) | 0;
          ipv4++;
        }
        if (d.has(LayerType.TCP)) {
          portSum = (portSum + d.tcp.srcPort + d.tcp.dstPort) | 0;
          tcp++;
        } else if (d.has(LayerType.UDP)) {
          portSum = (portSum + d.udp.srcPort + d.udp.dstPort) | 0;
          udp++;
        }
      }
      packets += n;
    }
    return { packets, bytes, portSum, ipSum, ipv4, tcp, udp };
  },
  async pcapdecode(input) {
    // The same loop and fields with node_pcap's decoder. node_pcap's live/offline sessions hand
    // its decoder { buf, header, link_type }, the header being a shared 16-byte buffer the C++
    // side overwrites per packet (tv_sec, tv_usec, caplen, len; little-endian): built here the
    // same way, into one reused buffer, from pcapkit's packets (I/O by pcapkit's reader).
    const reader = new PCAPReader(input);
    const header = Buffer.alloc(16);
    const raw = { buf: null, header, link_type: null };
    let packets = 0;
    let bytes = 0;
    let portSum = 0;
    let ipSum = 0;
    let ipv4 = 0;
    let tcp = 0;
    let udp = 0;
    for await (const pkt of reader) {
      if (packets === limit) break;
      packets++;
      bytes += pkt.caplen;
      header.writeUInt32LE(pkt.tsSec, 0);
      header.writeUInt32LE(Math.floor(pkt.tsNsec / 1000), 4);
      header.writeUInt32LE(pkt.caplen, 8);
      header.writeUInt32LE(pkt.length, 12);
      raw.buf = pkt.data;
      raw.link_type = pkt.linktype === 1 ? 'LINKTYPE_ETHERNET' : `DLT_${pkt.linktype}`;
      const decoded = pcapDecode(raw);
      const eth = decoded.payload;
      const ip = eth.payload;
      if (eth.ethertype === 0x0800) {
        const a = ip.saddr.addr;
        ipSum = (ipSum + ((a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3])) | 0;
        ipv4++;
      }
      if (eth.ethertype === 0x0800 || eth.ethertype === 0x86dd) {
        const proto = eth.ethertype === 0x0800 ? ip.protocol : ip.nextHeader;
        if (proto === 6) {
          portSum = (portSum + ip.payload.sport + ip.payload.dport) | 0;
          tcp++;
        } else if (proto === 17) {
          portSum = (portSum + ip.payload.sport + ip.payload.dport) | 0;
          udp++;
        }
      }
    }
    return { packets, bytes, portSum, ipSum, ipv4, tcp, udp };
  },
  async batches(input) {
    const reader = new PCAPReader(input);
    let packets = 0;
    let bytes = 0;
    for await (const b of reader.batches()) {
      const n = b.count;
      for (let i = 0; i < n; i++) bytes += b.caplen(i);
      packets += n;
    }
    return { packets, bytes };
  },
  async noop() {
    return { packets: 0, bytes: 0 };
  },
};

const job = Object.hasOwn(JOBS, kind) ? JOBS[kind] : undefined;
if (job === undefined) {
  console.error(`task.mjs: unknown kind ${kind}`);
  process.exit(2);
}
const ru0 = process.resourceUsage();
const t0 = process.hrtime.bigint();
const { packets, bytes, ...extra } = await job(...args);
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
