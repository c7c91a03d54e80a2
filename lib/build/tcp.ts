// TCP with the common options; data offset and checksum (IPv4/IPv6 pseudo-header) computed
// unless given.
import { above, networkBelow, type BuildLayer } from './layer';
import { internetChecksum, uint } from './util';
import { IPPROTO } from '../vocab/ip-protocols';
import { TCP_FLAG_LETTERS } from '../vocab/tcp-flags';

export interface TcpBuildOptions {
  /** Maximum segment size (kind 2). */
  mss?: number;
  /** Window scale shift count (kind 3). */
  windowScale?: number;
  /** SACK permitted (kind 4). */
  sackPermitted?: boolean;
  /** SACK blocks as [left, right] pairs (kind 5). */
  sack?: ReadonlyArray<readonly [number, number]>;
  /** Timestamps [TSval, TSecr] (kind 8). */
  timestamps?: readonly [number, number];
}

export interface TcpOptions {
  /** Source port (default 20, as scapy); `srcPort` is accepted too. */
  sport?: number;
  srcPort?: number;
  /** Destination port (default 80; 53 when a DNS message follows); `dstPort` is accepted too. */
  dport?: number;
  dstPort?: number;
  /** Default 0. */
  seq?: number;
  /** Default 0. */
  ack?: number;
  /** scapy's letters 'FSRPAUECN' (e.g. 'S', 'SA', 'PA'), or the 9 flag bits. Default 'S'. */
  flags?: string | number;
  /** Default 8192. */
  window?: number;
  /** Urgent pointer, default 0. */
  urgent?: number;
  /** Default: computed over the pseudo-header of the IP layer below. */
  checksum?: number;
  /** Header length in 32-bit words; default computed. */
  dataOffset?: number;
  /**
   * Options: the common ones by name (laid out like Linux does: MSS, SACK-permitted,
   * timestamps, NOP + window scale, SACK blocks, padded with end-of-options), or raw bytes.
   */
  options?: TcpBuildOptions | Uint8Array;
}

export function tcpFlags(flags: string | number): number {
  if (typeof flags === 'number') return uint(flags, 9, 'TCP flags');
  let bits = 0;
  for (const c of flags) {
    const i = TCP_FLAG_LETTERS.indexOf(c.toUpperCase());
    if (i < 0) uint(NaN, 9, `TCP flag letter '${c}' (use ${TCP_FLAG_LETTERS})`);
    bits |= 1 << i;
  }
  return bits;
}

/** Encodes the options object, padded to a multiple of 4 bytes. */
export function encodeTcpOptions(o: TcpBuildOptions | Uint8Array | undefined): Buffer {
  if (o === undefined) return Buffer.alloc(0);
  const bytes: number[] = [];
  if (o instanceof Uint8Array) {
    bytes.push(...o);
  } else {
    const u16 = (v: number) => bytes.push(v >>> 8, v & 0xff);
    const u32 = (v: number) => bytes.push(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
    if (o.mss !== undefined) {
      bytes.push(2, 4);
      u16(uint(o.mss, 16, 'MSS'));
    }
    if (o.timestamps !== undefined) {
      if (o.sackPermitted) bytes.push(4, 2);
      else bytes.push(1, 1);
      bytes.push(8, 10);
      u32(uint(o.timestamps[0], 32, 'TSval'));
      u32(uint(o.timestamps[1], 32, 'TSecr'));
    } else if (o.sackPermitted) {
      bytes.push(1, 1, 4, 2);
    }
    if (o.windowScale !== undefined) bytes.push(1, 3, 3, uint(o.windowScale, 8, 'window scale'));
    if (o.sack !== undefined && o.sack.length > 0) {
      bytes.push(1, 1, 5, 2 + 8 * o.sack.length);
      for (const [l, r] of o.sack) {
        u32(uint(l, 32, 'SACK left edge'));
        u32(uint(r, 32, 'SACK right edge'));
      }
    }
  }
  while (bytes.length % 4 !== 0) bytes.push(0);
  if (bytes.length > 40) uint(bytes.length, 0, 'TCP options length (max 40)');
  return Buffer.from(bytes);
}

export function tcp(options: TcpOptions = {}): BuildLayer {
  const sport = options.sport ?? options.srcPort;
  const dport = options.dport ?? options.dstPort;
  if (sport !== undefined) uint(sport, 16, 'TCP source port');
  if (dport !== undefined) uint(dport, 16, 'TCP destination port');
  const seq = uint(options.seq ?? 0, 32, 'TCP seq');
  const ack = uint(options.ack ?? 0, 32, 'TCP ack');
  const flags = tcpFlags(options.flags ?? 'S');
  const window = uint(options.window ?? 8192, 16, 'TCP window');
  const urgent = uint(options.urgent ?? 0, 16, 'TCP urgent pointer');
  const opts = encodeTcpOptions(options.options);
  if (options.checksum !== undefined) uint(options.checksum, 16, 'TCP checksum');
  if (options.dataOffset !== undefined) uint(options.dataOffset, 4, 'TCP data offset');
  return {
    kind: 'tcp',
    ipProtocol: IPPROTO.TCP,
    encode(payload, ctx) {
      const hlen = 20 + opts.length;
      const h = Buffer.alloc(hlen);
      const port = above(ctx)?.wellKnownPort;
      h.writeUInt16BE(sport ?? port ?? 20, 0);
      h.writeUInt16BE(dport ?? port ?? 80, 2);
      h.writeUInt32BE(seq, 4);
      h.writeUInt32BE(ack, 8);
      h[12] = ((options.dataOffset ?? hlen / 4) << 4) | (flags >> 8);
      h[13] = flags & 0xff;
      h.writeUInt16BE(window, 14);
      h.writeUInt16BE(urgent, 18);
      opts.copy(h, 20);
      let sum = options.checksum;
      if (sum === undefined) {
        const ip = networkBelow(ctx);
        sum = ip ? internetChecksum(ip.pseudoHeader(6, hlen + payload.length), h, payload) : 0;
      }
      h.writeUInt16BE(sum, 16);
      return Buffer.concat([h, payload]);
    },
  };
}
