// IPv4: total length, IHL, protocol and header checksum computed unless given.
import { above, type PseudoHeaderSource } from './layer';
import { internetChecksum, parseIPv4, uint } from './util';
import { ETHERTYPE } from '../vocab/ethertypes';
import { IPPROTO_IPIP } from '../vocab/ip-protocols';

export interface IPv4Options {
  /** Default 127.0.0.1. */
  src?: string | Uint8Array;
  /** Default 127.0.0.1. */
  dst?: string | Uint8Array;
  /** Default 64. */
  ttl?: number;
  /** Type of service / DSCP+ECN byte (default 0). */
  tos?: number;
  /** Identification (default 1, as scapy). */
  id?: number;
  /** The 3 flag bits as a number (DF = 2, MF = 1), or 'DF', 'MF', 'DF+MF'. Default 0. */
  flags?: number | string;
  /** Fragment offset in 8-byte units (default 0). */
  fragmentOffset?: number;
  /** Default: the layer above's (TCP 6, UDP 17, ICMP 1, ICMPv6 58), else 0. */
  protocol?: number;
  /** Default: computed. */
  checksum?: number;
  /** Header length in 32-bit words; default computed from the options. */
  ihl?: number;
  /** Default: header + payload. */
  totalLength?: number;
  /** Option bytes, padded with zeros (end of options) to a multiple of 4. */
  options?: Uint8Array;
}

function ipFlags(v: number | string | undefined): number {
  if (v === undefined) return 0;
  if (typeof v === 'number') return uint(v, 3, 'IPv4 flags');
  let bits = 0;
  for (const word of v.split(/[+|, ]+/).filter(Boolean)) {
    const w = word.toUpperCase();
    if (w === 'DF') bits |= 2;
    else if (w === 'MF') bits |= 1;
    else if (w === 'EVIL' || w === 'RESERVED') bits |= 4;
    else uint(NaN, 3, `IPv4 flag '${word}'`);
  }
  return bits;
}

export interface IPv4Layer extends PseudoHeaderSource {
  readonly src: Buffer;
  readonly dst: Buffer;
}

export function ipv4(options: IPv4Options = {}): IPv4Layer {
  const src = parseIPv4(options.src ?? '127.0.0.1', 'IPv4 src');
  const dst = parseIPv4(options.dst ?? '127.0.0.1', 'IPv4 dst');
  const ttl = uint(options.ttl ?? 64, 8, 'TTL');
  const tos = uint(options.tos ?? 0, 8, 'TOS');
  const id = uint(options.id ?? 1, 16, 'IPv4 id');
  const flags = ipFlags(options.flags);
  const frag = uint(options.fragmentOffset ?? 0, 13, 'fragment offset');
  const opts = Buffer.from(options.options ?? []);
  const optLen = (opts.length + 3) & ~3;
  if (20 + optLen > 60) uint(opts.length, 0, 'IPv4 options length (max 40)');
  for (const [k, bits] of [['protocol', 8], ['checksum', 16], ['ihl', 4], ['totalLength', 16]] as const) {
    const v = options[k];
    if (v !== undefined) uint(v, bits, `IPv4 ${k}`);
  }
  return {
    kind: 'ipv4',
    etherType: ETHERTYPE.IPv4,
    ipProtocol: IPPROTO_IPIP,
    src,
    dst,
    pseudoHeader(protocol: number, length: number): Buffer {
      const p = Buffer.alloc(12);
      src.copy(p, 0);
      dst.copy(p, 4);
      p[9] = protocol;
      p.writeUInt16BE(length & 0xffff, 10);
      return p;
    },
    encode(payload, ctx) {
      const hlen = 20 + optLen;
      const h = Buffer.alloc(hlen);
      h[0] = 0x40 | (options.ihl ?? hlen / 4);
      h[1] = tos;
      h.writeUInt16BE(options.totalLength ?? (hlen + payload.length) & 0xffff, 2);
      h.writeUInt16BE(id, 4);
      h.writeUInt16BE((flags << 13) | frag, 6);
      h[8] = ttl;
      h[9] = options.protocol ?? above(ctx)?.ipProtocol ?? 0;
      src.copy(h, 12);
      dst.copy(h, 16);
      opts.copy(h, 20);
      h.writeUInt16BE(options.checksum ?? internetChecksum(h), 10);
      return Buffer.concat([h, payload]);
    },
  };
}
