// IPv6 fixed header: payload length and next header computed unless given.
import { above, type PseudoHeaderSource } from './layer';
import { parseIPv6, uint } from './util';
import { ETHERTYPE } from '../vocab/ethertypes';
import { IPPROTO, IPPROTO_IPV6 } from '../vocab/ip-protocols';

export interface IPv6Options {
  /** Default ::1. */
  src?: string | Uint8Array;
  /** Default ::1. */
  dst?: string | Uint8Array;
  /** Default 64. */
  hopLimit?: number;
  /** Default 0. */
  trafficClass?: number;
  /** 20 bits, default 0. */
  flowLabel?: number;
  /** Default: the layer above's (TCP 6, UDP 17, ICMPv6 58), else 59 (no next header). */
  nextHeader?: number;
  /** Default: the payload's length. */
  payloadLength?: number;
}

export interface IPv6Layer extends PseudoHeaderSource {
  readonly src: Buffer;
  readonly dst: Buffer;
}

export function ipv6(options: IPv6Options = {}): IPv6Layer {
  const src = parseIPv6(options.src ?? '::1', 'IPv6 src');
  const dst = parseIPv6(options.dst ?? '::1', 'IPv6 dst');
  const hlim = uint(options.hopLimit ?? 64, 8, 'hop limit');
  const tc = uint(options.trafficClass ?? 0, 8, 'traffic class');
  const fl = uint(options.flowLabel ?? 0, 20, 'flow label');
  if (options.nextHeader !== undefined) uint(options.nextHeader, 8, 'next header');
  if (options.payloadLength !== undefined) uint(options.payloadLength, 16, 'IPv6 payload length');
  return {
    kind: 'ipv6',
    etherType: ETHERTYPE.IPv6,
    ipProtocol: IPPROTO_IPV6,
    src,
    dst,
    pseudoHeader(protocol: number, length: number): Buffer {
      const p = Buffer.alloc(40);
      src.copy(p, 0);
      dst.copy(p, 16);
      p.writeUInt32BE(length >>> 0, 32);
      p[39] = protocol;
      return p;
    },
    encode(payload, ctx) {
      const h = Buffer.alloc(40);
      h.writeUInt32BE(((6 << 28) | (tc << 20) | fl) >>> 0, 0);
      h.writeUInt16BE(options.payloadLength ?? payload.length & 0xffff, 4);
      h[6] = options.nextHeader ?? above(ctx)?.ipProtocol ?? IPPROTO.NONE;
      h[7] = hlim;
      src.copy(h, 8);
      dst.copy(h, 24);
      return Buffer.concat([h, payload]);
    },
  };
}
