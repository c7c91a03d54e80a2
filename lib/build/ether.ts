// Ethernet II: the EtherType comes from the layer above unless given.
import { above, type BuildLayer } from './layer';
import { parseMac, uint } from './util';
import { ETHERTYPE_DEFAULT } from '../vocab/ethertypes';

export interface EtherOptions {
  /** Default 'ff:ff:ff:ff:ff:ff'. */
  dst?: string | Uint8Array;
  /** Default '00:00:00:00:00:00'. */
  src?: string | Uint8Array;
  /** Default: the layer above's (IPv4 0x0800, IPv6 0x86dd, ARP 0x0806, 802.1Q 0x8100), else 0x9000 (scapy's). */
  etherType?: number;
}

export function ether(options: EtherOptions = {}): BuildLayer {
  const dst = parseMac(options.dst ?? 'ff:ff:ff:ff:ff:ff', 'Ethernet dst');
  const src = parseMac(options.src ?? '00:00:00:00:00:00', 'Ethernet src');
  if (options.etherType !== undefined) uint(options.etherType, 16, 'EtherType');
  return {
    kind: 'ether',
    encode(payload, ctx) {
      const h = Buffer.alloc(14);
      dst.copy(h, 0);
      src.copy(h, 6);
      h.writeUInt16BE(options.etherType ?? above(ctx)?.etherType ?? ETHERTYPE_DEFAULT, 12);
      return Buffer.concat([h, payload]);
    },
  };
}
