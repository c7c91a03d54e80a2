// capture(): a timed (or counted) capture from a device straight to a pcap file, the
// fieldedge-pcap job. Batches go from the capture thread to the dumper without a JS copy.
import * as path from 'node:path';
import { PcapError } from './errors';
import { DEFAULT_DEVICE } from './devices';
import { PCAPSocket, type CaptureStats, type SocketOptions } from './socket';
import { PCAPWriter } from './writer';

export interface CaptureOptions extends Omit<SocketOptions, 'signal'> {
  device?: string;
  /** Seconds to capture (default 60 unless `count` is given). */
  duration?: number;
  /** Stop after this many packets. */
  count?: number;
  /** Output file; default `capture_YYYYmmddTHHMMSS_<duration>_<iface>.pcap` in `directory`. */
  file?: string;
  /** Where the default-named file goes (default: the current directory). */
  directory?: string;
  signal?: AbortSignal;
}

export interface CaptureResult {
  path: string;
  packets: number;
  /** Seconds the capture ran. */
  elapsed: number;
  stats: CaptureStats;
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** `capture_20261123T103127_60_eth0.pcap`: local time, as fieldedge-pcap names its files. */
export function defaultCaptureName(device: string, duration: number, when = new Date()): string {
  const stamp =
    `${when.getFullYear()}${pad(when.getMonth() + 1)}${pad(when.getDate())}` +
    `T${pad(when.getHours())}${pad(when.getMinutes())}${pad(when.getSeconds())}`;
  const iface = device.replace(/[^A-Za-z0-9_.-]/g, '_');
  return `capture_${stamp}_${duration}_${iface}.pcap`;
}

/**
 * Captures from a device straight to a pcap file for `duration` seconds (default 60) or
 * `count` packets, named `capture_YYYYmmddTHHMMSS_<duration>_<iface>.pcap` in `directory`
 * unless `file` is given. Aborting `signal` ends it early: the file is kept (complete and
 * closed) and the promise rejects with the signal's reason.
 */
export async function capture(options: CaptureOptions = {}): Promise<CaptureResult> {
  const { device = DEFAULT_DEVICE, count, file, directory = '.', signal, ...socketOptions } = options;
  const duration = options.duration ?? (count === undefined ? 60 : undefined);
  if (duration !== undefined && !(duration > 0)) throw new PcapError('EINVAL', 'duration must be > 0 seconds');
  if (count !== undefined && !(Number.isInteger(count) && count > 0)) {
    throw new PcapError('EINVAL', 'count must be a positive integer');
  }
  signal?.throwIfAborted();
  const out = file ?? path.join(directory, defaultCaptureName(device, duration ?? 0));
  const sock = new PCAPSocket(device, { timeout: 100, ...socketOptions });
  let writer: PCAPWriter;
  try {
    writer = new PCAPWriter(out, { linktype: sock.linktype, snaplen: sock.snaplen, precision: sock.precision });
  } catch (err) {
    await sock.close();
    throw err;
  }
  const started = performance.now();
  let stats: CaptureStats = { received: 0, dropped: 0, ifDropped: 0 };
  const stop = () => {
    try {
      stats = sock.stats();
    } catch {
      // already closed
    }
    void sock.close({ drain: true }); // packets the kernel still holds are kept
  };
  const timer = duration !== undefined ? setTimeout(stop, duration * 1000) : undefined;
  signal?.addEventListener('abort', stop, { once: true });
  let packets = 0;
  try {
    for await (const batch of sock.batches()) {
      const take = count === undefined ? batch.count : Math.min(batch.count, count - packets);
      writer.writeBatch(batch, take);
      packets += take;
      if (count !== undefined && packets >= count) {
        stop();
        break;
      }
    }
  } finally {
    if (timer) clearTimeout(timer);
    signal?.removeEventListener('abort', stop);
    await writer.close();
  }
  signal?.throwIfAborted();
  return { path: out, packets, elapsed: (performance.now() - started) / 1000, stats };
}
