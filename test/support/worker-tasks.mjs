// What test/workers.test.mjs runs inside worker_threads, and the same offline work for the
// main thread to compare with. Imported on the main thread it only exports; started as a
// Worker (workerData.task set) it loads pcapkit through the entry point it is told to use
// (`cjs`: dist/cjs/index.js by require, `esm`: dist/esm/index.mjs by import), does its task
// and reports to the parent with postMessage.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';

const CJS_ENTRY = new URL('../../dist/cjs/index.js', import.meta.url);
const ESM_ENTRY = new URL('../../dist/esm/index.mjs', import.meta.url);

/** pcapkit loaded through one of its two entry points. */
export async function loadPcapkit(entry) {
  if (entry === 'cjs') return createRequire(import.meta.url)(CJS_ENTRY.pathname);
  if (entry === 'esm') return import(ESM_ENTRY.href);
  throw new Error(`unknown entry ${entry}`);
}

const sha256 = (...bufs) => {
  const h = createHash('sha256');
  for (const b of bufs) h.update(b);
  return h.digest('hex');
};

/**
 * Reads `input` with PCAPReader (packets and batches), cuts it with filterFile to `output`,
 * compiles and runs a BpfFilter, and decodes every packet with a reused Decoder (plus decode()
 * summaries of a sample). Returns plain numbers and hashes: equal inputs must give equal results
 * on whatever thread this runs.
 */
export async function offlineWork(pk, { input, output, expression }) {
  const r = { packets: 0, caplenSum: 0, lengthSum: 0 };
  const all = createHash('sha256');
  const bpf = new pk.BpfFilter(expression);
  r.bpfProgram = bpf.instructions().join('\n');
  r.bpfMatches = 0;
  const d = new pk.Decoder();
  const layerCounts = {};
  r.portSum = 0;
  r.appBytes = 0;
  const dnsNames = createHash('sha256');
  const summaries = createHash('sha256');
  const reader = new pk.PCAPReader(input);
  r.linktypeName = reader.linktypeName;
  r.precision = reader.precision;
  for await (const pkt of reader) {
    r.packets++;
    r.caplenSum += pkt.caplen;
    r.lengthSum += pkt.length;
    all.update(`${pkt.tsSec}.${pkt.tsNsec}:${pkt.length}:`).update(pkt.data);
    if (bpf.matches(pkt)) r.bpfMatches++;
    d.decodePacket(pkt);
    for (const t of d.layers) layerCounts[t] = (layerCounts[t] ?? 0) + 1;
    if (d.transport) r.portSum += d.transport.srcPort + d.transport.dstPort;
    r.appBytes += d.appLength;
    if (d.has(pk.LayerType.DNS)) dnsNames.update(`${d.dns.questionName}\n`);
    if (r.packets % 97 === 1) summaries.update(`${pk.decode(pkt).summary()}\n`);
  }
  r.readerStats = reader.stats;
  r.dataHash = all.digest('hex');
  r.layerCounts = layerCounts;
  r.dnsNames = dnsNames.digest('hex');
  r.summaries = summaries.digest('hex');
  // The batch view must agree with the packet view.
  let batchPackets = 0;
  let batchBytes = 0;
  for await (const batch of new pk.PCAPReader(input, { filter: expression }).batches({ recycle: true })) {
    batchPackets += batch.count;
    for (let i = 0; i < batch.count; i++) batchBytes += batch.caplen(i);
  }
  r.filteredRead = { packets: batchPackets, bytes: batchBytes };
  r.filterFile = await pk.filterFile(input, output, expression);
  r.outputHash = sha256(readFileSync(output));
  return r;
}

// ---- tasks (worker side) ----------------------------------------------------------------
const post = (msg) => parentPort.postMessage(msg);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const tasks = {
  async offline(pk, o) {
    post({ done: await offlineWork(pk, o) });
  },

  // Collects the payloads of `count` UDP datagrams to `port` on lo (or what arrived by the
  // deadline), telling the parent once the capture is open so it knows when to send.
  async live(pk, { port, count, ms }) {
    const sock = new pk.PCAPSocket('lo', { filter: `udp dst port ${port}`, timeout: 50 });
    const payloads = [];
    const timer = setTimeout(() => sock.close(), ms);
    post({ ready: true });
    for await (const p of sock) {
      const udp = 14 + (p.data[14] & 0x0f) * 4;
      payloads.push(p.data.subarray(udp + 8).toString());
      if (payloads.length === count) break;
    }
    clearTimeout(timer);
    post({ done: payloads });
  },

  // Reads the file over and over (small batches: many pool-thread reads) until terminated.
  async readForever(pk, { input }) {
    for (let pass = 0; ; pass++) {
      let n = 0;
      for await (const batch of new pk.PCAPReader(input, { batchPackets: 64 }).batches()) {
        n += batch.count;
        if (pass === 0 && n === batch.count) post({ busy: 'reading' });
      }
    }
  },

  // filterFile over and over (the whole loop in C++ on a pool thread) until terminated.
  async filterForever(pk, { input, output, expression }) {
    for (let pass = 0; ; pass++) {
      const job = pk.filterFile(input, output, expression);
      if (pass === 0) post({ busy: 'filtering' });
      await job;
    }
  },

  // Live capture that keeps iterating until terminated; tells the parent after its first packet.
  async liveForever(pk, { port }) {
    let n = 0;
    for await (const _ of new pk.PCAPSocket('lo', { filter: `udp dst port ${port}`, timeout: 20 })) {
      if (n++ === 0) post({ busy: 'capturing' });
    }
  },

  // Opens handles, uses them a little, never closes them, and ends the worker.
  async leaveOpen(pk, { input, output, live, how }) {
    const fds = () => readdirSync('/proc/self/fd').length;
    const before = fds();
    const reader = new pk.PCAPReader(input, { batchPackets: 64 });
    const it = reader[Symbol.asyncIterator]();
    await it.next(); // a batch read, the loop abandoned mid-file
    const idle = new pk.PCAPReader(input); // opened, never read
    const writer = new pk.PCAPWriter(output);
    const { value: pkt } = await new pk.PCAPReader(input)[Symbol.asyncIterator]().next();
    writer.write(pkt);
    if (live) {
      const sock = new pk.PCAPSocket('lo', { filter: 'udp dst port 9', timeout: 20 });
      void sock[Symbol.asyncIterator]().next(); // the capture thread runs
      new pk.PCAPSocket('lo', { timeout: 20 }); // opened, never started
    }
    post({ opened: fds() - before }); // the descriptors these handles hold
    await sleep(20);
    if (how === 'exit') process.exit(0);
    // how === 'return': the handles are just dropped; the worker ends when nothing keeps it alive
    // (a running capture does, so the parent then terminates it).
  },
};

if (!isMainThread && workerData?.task) {
  const pk = await loadPcapkit(workerData.entry);
  post({ loaded: workerData.entry, version: pk.libpcapVersion() });
  await tasks[workerData.task](pk, workerData);
}
