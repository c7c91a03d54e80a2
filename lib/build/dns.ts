// DNS query messages (one question), over UDP or TCP (with the 2-byte length prefix).
import { below, type BuildLayer } from './layer';
import { PcapError } from '../errors';
import { lookup, uint } from './util';
import { Port } from '../vocab/ports';

/** Record type names (RFC 1035 and later). */
export const DNS_TYPES: Record<string, number> = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  HINFO: 13,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  NAPTR: 35,
  DNAME: 39,
  OPT: 41,
  DS: 43,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  SVCB: 64,
  HTTPS: 65,
  AXFR: 252,
  ANY: 255,
};
const DNS_CLASSES: Record<string, number> = { IN: 1, CH: 3, HS: 4, ANY: 255 };

export interface DnsQueryOptions {
  /** Transaction id (default 0). */
  id?: number;
  /** The name asked for, e.g. 'example.com' (a trailing dot is allowed; '.' is the root). */
  name: string;
  /** Record type name or number (default 'A'). */
  type?: string | number;
  /** Class name or number (default 'IN'). */
  class?: string | number;
  /** Recursion desired (default true). */
  recursionDesired?: boolean;
  /** The whole flags word instead (overrides recursionDesired). */
  flags?: number;
}

/** A name in DNS wire form (uncompressed labels). */
export function encodeDnsName(name: string): Buffer {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  const parts: Buffer[] = [];
  let total = 1;
  if (trimmed !== '') {
    for (const label of trimmed.split('.')) {
      const b = Buffer.from(label, 'latin1');
      if (b.length === 0 || b.length > 63) throw new PcapError('EINVAL', `invalid DNS name '${name}': labels are 1-63 bytes`);
      parts.push(Buffer.from([b.length]), b);
      total += b.length + 1;
    }
  }
  if (total > 255) throw new PcapError('EINVAL', `invalid DNS name '${name}': longer than 255 bytes`);
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

export function dnsQuery(options: DnsQueryOptions): BuildLayer {
  const id = uint(options.id ?? 0, 16, 'DNS id');
  const flags = options.flags !== undefined ? uint(options.flags, 16, 'DNS flags') : options.recursionDesired === false ? 0 : 0x0100;
  const qname = encodeDnsName(options.name);
  const qtype = lookup(options.type ?? 'A', DNS_TYPES, 16, 'DNS type');
  const qclass = lookup(options.class ?? 'IN', DNS_CLASSES, 16, 'DNS class');
  return {
    kind: 'dns',
    wellKnownPort: Port.DNS,
    encode(payload, ctx) {
      const h = Buffer.alloc(12);
      h.writeUInt16BE(id, 0);
      h.writeUInt16BE(flags, 2);
      h.writeUInt16BE(1, 4);
      const q = Buffer.alloc(4);
      q.writeUInt16BE(qtype, 0);
      q.writeUInt16BE(qclass, 2);
      const msg = Buffer.concat([h, qname, q, payload]);
      if (below(ctx)?.kind !== 'tcp') return msg;
      const len = Buffer.alloc(2);
      len.writeUInt16BE(msg.length & 0xffff, 0);
      return Buffer.concat([len, msg]);
    },
  };
}
