// UDP: length and checksum (IPv4/IPv6 pseudo-header) computed unless given.
import { above, networkBelow, type BuildLayer } from './layer';
import { internetChecksum, uint } from './util';
import { IPPROTO } from '../vocab/ip-protocols';

export interface UdpOptions {
  /** Source port (default 53, as scapy); `srcPort` is accepted too. */
  sport?: number;
  srcPort?: number;
  /** Destination port (default 53); `dstPort` is accepted too. */
  dport?: number;
  dstPort?: number;
  /** The length field; default header + payload. */
  length?: number;
  /** Default: computed (0 computed as 0xffff, RFC 768); give 0 for "no checksum" over IPv4. */
  checksum?: number;
}

export function udp(options: UdpOptions = {}): BuildLayer {
  const sport = options.sport ?? options.srcPort;
  const dport = options.dport ?? options.dstPort;
  if (sport !== undefined) uint(sport, 16, 'UDP source port');
  if (dport !== undefined) uint(dport, 16, 'UDP destination port');
  if (options.length !== undefined) uint(options.length, 16, 'UDP length');
  if (options.checksum !== undefined) uint(options.checksum, 16, 'UDP checksum');
  return {
    kind: 'udp',
    ipProtocol: IPPROTO.UDP,
    encode(payload, ctx) {
      const h = Buffer.alloc(8);
      const port = above(ctx)?.wellKnownPort;
      h.writeUInt16BE(sport ?? port ?? 53, 0);
      h.writeUInt16BE(dport ?? port ?? 53, 2);
      const length = options.length ?? (8 + payload.length) & 0xffff;
      h.writeUInt16BE(length, 4);
      let sum = options.checksum;
      if (sum === undefined) {
        const ip = networkBelow(ctx);
        sum = ip ? internetChecksum(ip.pseudoHeader(17, length), h, payload) || 0xffff : 0;
      }
      h.writeUInt16BE(sum, 6);
      return Buffer.concat([h, payload]);
    },
  };
}
