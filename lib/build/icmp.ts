// ICMP for IPv4: checksum over the message computed unless given.
import type { BuildLayer } from './layer';
import { internetChecksum, lookup, uint } from './util';
import { IPPROTO } from '../vocab/ip-protocols';

/** scapy's names for ICMP types. */
export const ICMP_TYPES: Record<string, number> = {
  'echo-reply': 0,
  'dest-unreach': 3,
  'source-quench': 4,
  redirect: 5,
  'echo-request': 8,
  'router-advertisement': 9,
  'router-solicitation': 10,
  'time-exceeded': 11,
  'parameter-problem': 12,
  'timestamp-request': 13,
  'timestamp-reply': 14,
  'information-request': 15,
  'information-response': 16,
  'address-mask-request': 17,
  'address-mask-reply': 18,
};

export interface IcmpOptions {
  /** A number or a name ('echo-request' (default), 'echo-reply', 'dest-unreach', ...). */
  type?: number | string;
  /** Default 0. */
  code?: number;
  /** Echo identifier (default 0). */
  id?: number;
  /** Echo sequence number (default 0). */
  seq?: number;
  /** Bytes 4-7 as one 32-bit number, instead of id and seq (e.g. next-hop MTU for dest-unreach). */
  rest?: number;
  /** Default: computed over the whole message. */
  checksum?: number;
}

/** The 8-byte header shared by ICMP and ICMPv6 (checksum left 0). */
export function icmpHeader(type: number, options: IcmpOptions, what: string): Buffer {
  const h = Buffer.alloc(8);
  h[0] = type;
  h[1] = uint(options.code ?? 0, 8, `${what} code`);
  if (options.rest !== undefined) h.writeUInt32BE(uint(options.rest, 32, `${what} rest of header`), 4);
  else {
    h.writeUInt16BE(uint(options.id ?? 0, 16, `${what} id`), 4);
    h.writeUInt16BE(uint(options.seq ?? 0, 16, `${what} seq`), 6);
  }
  if (options.checksum !== undefined) uint(options.checksum, 16, `${what} checksum`);
  return h;
}

export function icmp(options: IcmpOptions = {}): BuildLayer {
  const h = icmpHeader(lookup(options.type ?? 8, ICMP_TYPES, 8, 'ICMP type'), options, 'ICMP');
  return {
    kind: 'icmp',
    ipProtocol: IPPROTO.ICMP,
    encode(payload) {
      const m = Buffer.concat([h, payload]);
      m.writeUInt16BE(options.checksum ?? internetChecksum(m), 2);
      return m;
    },
  };
}
