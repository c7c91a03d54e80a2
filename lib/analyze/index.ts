// Traffic analysis: analyze(source) streams a capture (a file, a PCAPReader, or live packets)
// through one reused Decoder and resolves with the protocol hierarchy, conversations per host
// pair and per 5-tuple (with TCP retransmissions and out-of-order segments, as tshark counts
// them), applications with repeat-interval statistics, and bytes per application over time.
import * as fs from 'node:fs';
import { PcapError } from '../errors';
import { PacketBatch, type Packet } from '../packet';
import type { PCAPReader } from '../reader';
import type { BpfFilter } from '../bpf';
import { TrafficAnalyzer, type AnalyzeOptions } from './analyzer';
import type { AnalysisResult } from './types';

export * from './types';
export {
  TrafficAnalyzer,
  DEFAULT_MAX_CONVERSATIONS,
  DEFAULT_MAX_HOST_PAIRS,
  type AnalyzeOptions,
  type AnalyzeProgress,
} from './analyzer';
export {
  ApplicationTable,
  DEFAULT_APPLICATIONS,
  type ApplicationRule,
  type ApplicationTableOptions,
} from './apps';
export { TcpAnalysisFlag, TcpAnalysisTable, TcpConnection, RETRANSMISSION_MASK } from './tcp-analysis';
export { LAYER_PATH_NAMES } from './hierarchy';
export { renderHtmlReport, type HtmlReportOptions } from '../report/html';

/** What analyze() reads: a capture file path, an open PCAPReader, or packets (e.g. a PCAPSocket). */
export type AnalyzeSource =
  | string
  | PCAPReader
  | AsyncIterable<Packet | PacketBatch>
  | Iterable<Packet | PacketBatch>;

// The reader and BPF filters need the native addon: they are loaded when analyze() is given a
// file or a filter, so that this module and the analysis itself load without the addon.
function readerModule(): typeof import('../reader') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../reader') as typeof import('../reader');
}

/** `source` as a PCAPReader; none can exist when the reader (and so the addon) cannot load. */
function asReader(source: object): PCAPReader | undefined {
  let cls: typeof PCAPReader;
  try {
    cls = readerModule().PCAPReader;
  } catch {
    return undefined;
  }
  return source instanceof cls ? source : undefined;
}

function isDamage(err: unknown): err is PcapError {
  return err instanceof PcapError && (err.code === 'ETRUNCATED' || err.code === 'EFORMAT');
}

/**
 * Analyses a capture. `source` is a file path ('-' for stdin), a PCAPReader (read to its end,
 * then closed), or an (async) iterable of Packets or PacketBatches such as a PCAPSocket (read
 * until it ends, or until `options.signal` aborts — then the packets so far are analysed and
 * the promise resolves). Memory is bounded by the number of conversations kept
 * (`maxConversations`, `maxHostPairs`), not by the number of packets.
 *
 * A damaged file (cut short, corrupt) resolves with every whole packet before the damage
 * analysed and `result.error` set; other errors (missing file, bad filter) reject. Aborting a
 * file read rejects with the signal's reason.
 */
export async function analyze(source: AnalyzeSource, options: AnalyzeOptions = {}): Promise<AnalysisResult> {
  const analyzer = new TrafficAnalyzer(options);
  const signal = options.signal;
  signal?.throwIfAborted();
  const interval = options.progressInterval ?? 200;
  const onProgress = options.onProgress;
  let lastProgress = -Infinity; // the first batch reports at once

  let reader: PCAPReader | undefined;
  let own = false;
  if (typeof source === 'string') {
    reader = await readerModule().PCAPReader.open(source, { ...(options.filter !== undefined ? { filter: options.filter } : {}), signal });
    own = true;
  } else if (source !== null && typeof source === 'object' && (reader = asReader(source)) !== undefined) {
    await reader.ready; // a pipe's header may still be on its way
    if (options.filter !== undefined) reader.setFilter(options.filter);
  }

  if (reader) {
    analyzer.source = {
      path: reader.path,
      linktype: reader.linktype,
      linktypeName: reader.linktypeName,
      format: reader.format,
      ...(options.filter ? { filter: options.filter } : {}),
    };
    let fileBytes: number | undefined;
    try {
      const st = reader.path === '-' ? undefined : fs.statSync(reader.path);
      if (st?.isFile()) fileBytes = st.size;
    } catch {
      // not a regular file: no size
    }
    // Position estimate: record headers are 16 bytes in pcap, 32 (plus padding) in pcapng.
    const perRecord = reader.format === 'pcapng' ? 32 : 16;
    let fileOffset = reader.format === 'pcapng' ? 0 : 24;
    const onAbort = () => void reader!.close();
    if (!own && signal) signal.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const batch of reader.batches({ recycle: true })) {
        const before = analyzer.capturedBytes;
        analyzer.addBatch(batch);
        fileOffset += analyzer.capturedBytes - before + batch.count * perRecord;
        if (onProgress) {
          const now = performance.now();
          if (now - lastProgress >= interval) {
            lastProgress = now;
            onProgress({
              packets: analyzer.packets,
              bytes: analyzer.bytes,
              capturedBytes: analyzer.capturedBytes,
              ...(fileBytes !== undefined ? { fileBytes, fileOffset: Math.min(fileOffset, fileBytes) } : {}),
            });
          }
        }
      }
      signal?.throwIfAborted();
    } catch (err) {
      signal?.throwIfAborted();
      if (!isDamage(err)) throw err;
      analyzer.error = err;
    } finally {
      if (signal) signal.removeEventListener('abort', onAbort);
      if (own) await reader.close();
    }
    return analyzer.result();
  }

  // Packets from an iterable (live capture, or any source of Packets).
  if (source === null || typeof source !== 'object') {
    throw new PcapError('EINVAL', 'analyze(source): a path, a PCAPReader or an iterable of packets');
  }
  if (options.filter !== undefined) analyzer.source = { filter: options.filter };
  const filters = new Map<number, BpfFilter>();
  const pass = (pkt: Packet): boolean => {
    if (!options.filter) return true;
    let f = filters.get(pkt.linktype);
    if (!f) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { BpfFilter: Filter } = require('../bpf') as typeof import('../bpf');
      f = new Filter(options.filter, pkt.linktype);
      filters.set(pkt.linktype, f);
    }
    return f.matches(pkt.data, pkt.length);
  };
  const iterable = source as AsyncIterable<Packet | PacketBatch> | Iterable<Packet | PacketBatch>;
  const it: AsyncIterator<Packet | PacketBatch> | Iterator<Packet | PacketBatch> =
    Symbol.asyncIterator in iterable
      ? (iterable as AsyncIterable<Packet | PacketBatch>)[Symbol.asyncIterator]()
      : (iterable as Iterable<Packet | PacketBatch>)[Symbol.iterator]();
  if (typeof (it as AsyncIterator<unknown>).next !== 'function') {
    throw new PcapError('EINVAL', 'analyze(source): a path, a PCAPReader or an iterable of packets');
  }
  // An abort ends a live loop: stop waiting for the next packet and keep what we have.
  let stopWaiting: (() => void) | undefined;
  const aborted = new Promise<{ done: true; value: undefined }>((resolve) => {
    stopWaiting = () => resolve({ done: true, value: undefined });
    if (signal) {
      if (signal.aborted) stopWaiting();
      else signal.addEventListener('abort', stopWaiting, { once: true });
    }
  });
  let n = 0;
  try {
    for (;;) {
      const step = signal ? await Promise.race([it.next(), aborted]) : await it.next();
      if (step.done || signal?.aborted) break;
      const item = step.value;
      if (item instanceof PacketBatch) {
        if (options.filter) {
          for (let i = 0; i < item.count; i++) {
            const p = item.packet(i);
            if (pass(p)) analyzer.add(p);
          }
        } else analyzer.addBatch(item);
      } else if (pass(item)) analyzer.add(item);
      if (onProgress && (++n & 255) === 0) {
        const now = performance.now();
        if (now - lastProgress >= interval) {
          lastProgress = now;
          onProgress({ packets: analyzer.packets, bytes: analyzer.bytes, capturedBytes: analyzer.capturedBytes });
        }
      }
    }
  } catch (err) {
    if (!isDamage(err)) throw err;
    analyzer.error = err;
  } finally {
    if (signal && stopWaiting) signal.removeEventListener('abort', stopWaiting);
    // Ends the source's loop (a PCAPSocket stops capturing; a generator runs its finally).
    if (typeof it.return === 'function') await Promise.resolve(it.return()).catch(() => undefined);
  }
  return analyzer.result();
}
