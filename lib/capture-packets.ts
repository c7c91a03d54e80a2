// capturePackets(fn): a capture of exactly what a block of code did on the network, with its
// TLS secrets, in a private directory, ready to hand to a maintainer as one .tar.gz.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PcapError } from './errors';
import { decode, type DecodedPacket } from './decode/decoded';
import { LayerType } from './vocab/layers';
import { PCAPReader } from './reader';
import { DEFAULT_DEVICE } from './devices';
import { startKeyLog } from './keylog';
import { PCAPSocket, type CaptureStats } from './socket';
import { PCAPWriter } from './writer';

export interface CapturePacketsOptions {
  device?: string;
  filter?: string;
  snaplen?: number;
  /** Keep the capture and resolve instead of rethrowing when `fn` throws. */
  suppressErrors?: boolean;
  /** Parent of the private capture directory (default: the OS temp directory). */
  tmpdir?: string;
  /** How long to keep reading after `fn` settles, for packets still on their way (ms, default 250). */
  drainMs?: number;
}

export const BUNDLE_README = `pcapkit capture bundle
======================

capture.pcap  the packets captured while the code ran
keylog.txt    TLS secrets (NSS key log format) of the TLS connections made meanwhile

To read the TLS traffic decrypted:
  Wireshark: Preferences > Protocols > TLS > (Pre)-Master-Secret log filename = keylog.txt,
             then open capture.pcap
  tshark:    tshark -r capture.pcap -o tls.keylog_file:keylog.txt -Y http

WARNING: this capture and its key log contain secrets (credentials, cookies, tokens, the
plaintext of encrypted connections). Share them only privately with people you trust, never
in a public issue tracker, and delete them when you are done.
`;

/**
 * What capturePackets() resolves with: the capture file and TLS key log in a private directory,
 * the result or error of the wrapped code, and `packets()`, `tarball()`, `delete()`.
 */
export class CapturedPackets<T = unknown> {
  /** Result of `fn` (undefined when it threw). */
  result: T | undefined;
  /** What `fn` threw, when it threw. */
  error: unknown;
  packetCount = 0;
  stats: CaptureStats = { received: 0, dropped: 0, ifDropped: 0 };
  keylogLines = 0;

  constructor(
    /** The private directory (0700) holding every file of this capture. */
    readonly dir: string,
    /** The pcap file (0600). */
    readonly path: string,
    /** The TLS key log (0600, NSS format). */
    readonly keylogPath: string,
  ) {}

  /**
   * The captured packets, decoded (allocates one DecodedPacket each). With `layer`, only the
   * packets that have that layer: 'dns', 'tcp', 'udp', 'ipv4', 'arp', ... (case-insensitive,
   * the names of LayerType).
   */
  async packets(options: { layer?: string } = {}): Promise<DecodedPacket[]> {
    let want: LayerType | undefined;
    if (options.layer !== undefined) {
      const key = Object.keys(LayerType).find((k) => k.toLowerCase() === options.layer!.toLowerCase());
      if (key === undefined) {
        throw new PcapError('EINVAL', `unknown layer '${options.layer}' (one of ${Object.keys(LayerType).join(', ')})`);
      }
      want = LayerType[key as keyof typeof LayerType];
    }
    const out: DecodedPacket[] = [];
    for await (const pkt of new PCAPReader(this.path)) {
      const d = decode(pkt);
      if (want === undefined || d.has(want)) out.push(d);
    }
    return out;
  }

  /** Writes `<dir>/capture.tar.gz` (capture, key log, README) and returns its path. */
  async tarball(file = path.join(this.dir, 'capture.tar.gz')): Promise<string> {
    const tar = await import('tar');
    fs.writeFileSync(path.join(this.dir, 'README.txt'), BUNDLE_README, { mode: 0o600 });
    // Created 0600 before tar writes into it: the bundle holds the same secrets.
    fs.closeSync(fs.openSync(file, 'w', 0o600));
    await tar.create({ gzip: true, file, cwd: this.dir, portable: true }, ['capture.pcap', 'keylog.txt', 'README.txt']);
    fs.chmodSync(file, 0o600);
    return file;
  }

  /** Removes every file this capture made (the whole private directory). */
  async delete(): Promise<void> {
    await fs.promises.rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * Captures while `fn` runs (it receives the capture, e.g. for `keylogPath`). Capture starts
 * before `fn` and stops after it settles; TLS
 * connections made in the process meanwhile have their secrets written to `keylogPath`.
 * When `fn` throws, the capture is kept and the error rethrown with the capture attached as
 * `error.capture` (or, with `suppressErrors`, the capture resolves with `.error` set).
 */
export async function capturePackets<T>(
  fn: (capture: CapturedPackets<T>) => T | Promise<T>,
  options: CapturePacketsOptions = {},
): Promise<CapturedPackets<T>> {
  if (typeof fn !== 'function') throw new PcapError('EINVAL', 'capturePackets(fn: () => unknown)');
  const dir = fs.mkdtempSync(path.join(options.tmpdir ?? os.tmpdir(), 'pcapkit-capture-'));
  fs.chmodSync(dir, 0o700);
  const cap = new CapturedPackets<T>(dir, path.join(dir, 'capture.pcap'), path.join(dir, 'keylog.txt'));
  let sock: PCAPSocket;
  let writer: PCAPWriter;
  try {
    sock = new PCAPSocket(options.device ?? DEFAULT_DEVICE, {
      filter: options.filter,
      snaplen: options.snaplen,
      immediate: true, // no block timeout to wait out: packets are handed over as they come
      timeout: 50,
    });
    writer = new PCAPWriter(cap.path, { linktype: sock.linktype, snaplen: sock.snaplen, precision: sock.precision });
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const keylog = startKeyLog(cap.keylogPath);
  const pump = (async () => {
    for await (const batch of sock.batches()) {
      writer.writeBatch(batch);
      cap.packetCount += batch.count;
    }
  })();
  try {
    cap.result = await fn(cap);
  } catch (err) {
    cap.error = err;
  } finally {
    keylog.stop();
    // Packets of the last exchange may still be on their way through the kernel.
    await new Promise((r) => setTimeout(r, options.drainMs ?? 250));
    try {
      cap.stats = sock.stats();
    } catch {
      // closed already
    }
    await sock.close({ drain: true });
    await pump.catch((err) => {
      if (cap.error === undefined) cap.error = err;
    });
    await writer.close();
    cap.keylogLines = keylog.lines;
  }
  if (cap.error !== undefined && !options.suppressErrors) {
    const err = cap.error;
    if (err !== null && typeof err === 'object') (err as { capture?: unknown }).capture = cap;
    throw err;
  }
  return cap;
}
