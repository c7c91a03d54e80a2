// ARP for Ethernet/IPv4 (other address sizes: give the addresses as bytes).
import type { BuildLayer } from './layer';
import { lookup, parseIPv4, parseMac, uint } from './util';
import { ETHERTYPE } from '../vocab/ethertypes';

const OPCODES: Record<string, number> = { request: 1, reply: 2, 'who-has': 1, 'is-at': 2 };

export interface ArpOptions {
  /** 'request' (1, default), 'reply' (2), or a number. */
  opcode?: 'request' | 'reply' | 'who-has' | 'is-at' | number;
  hardwareType?: number;
  protocolType?: number;
  /** Sender hardware (MAC) address; default 00:00:00:00:00:00. */
  senderHw?: string | Uint8Array;
  /** Sender protocol (IPv4) address; default 0.0.0.0. */
  senderProto?: string | Uint8Array;
  /** Target hardware address; default 00:00:00:00:00:00. */
  targetHw?: string | Uint8Array;
  /** Target protocol address; default 0.0.0.0. */
  targetProto?: string | Uint8Array;
}

function hw(v: string | Uint8Array | undefined, what: string): Buffer {
  if (v === undefined) return Buffer.alloc(6);
  return typeof v === 'string' ? parseMac(v, what) : Buffer.from(v);
}
function proto(v: string | Uint8Array | undefined, what: string): Buffer {
  if (v === undefined) return Buffer.alloc(4);
  return typeof v === 'string' ? parseIPv4(v, what) : Buffer.from(v);
}

export function arp(options: ArpOptions = {}): BuildLayer {
  const op = lookup(options.opcode ?? 1, OPCODES, 16, 'ARP opcode');
  const htype = uint(options.hardwareType ?? 1, 16, 'ARP hardware type');
  const ptype = uint(options.protocolType ?? ETHERTYPE.IPv4, 16, 'ARP protocol type');
  const sha = hw(options.senderHw, 'ARP senderHw');
  const spa = proto(options.senderProto, 'ARP senderProto');
  const tha = hw(options.targetHw, 'ARP targetHw');
  const tpa = proto(options.targetProto, 'ARP targetProto');
  const hlen = uint(sha.length, 8, 'ARP hardware address size');
  const plen = uint(spa.length, 8, 'ARP protocol address size');
  return {
    kind: 'arp',
    etherType: ETHERTYPE.ARP,
    encode(payload) {
      const h = Buffer.alloc(8);
      h.writeUInt16BE(htype, 0);
      h.writeUInt16BE(ptype, 2);
      h[4] = hlen;
      h[5] = plen;
      h.writeUInt16BE(op, 6);
      return Buffer.concat([h, sha, spa, tha, tpa, payload]);
    },
  };
}
