// Shared by the builders: the Internet checksum, address parsing, and option checks.
import { PcapError } from '../errors';

/** RFC 1071 ones' complement sum of the buffers, as if concatenated (odd lengths padded). */
export function internetChecksum(...parts: Buffer[]): number {
  let sum = 0;
  let odd = false; // a byte is waiting for its low half from the next buffer
  for (const b of parts) {
    let i = 0;
    if (odd && b.length > 0) {
      sum += b[0];
      i = 1;
      odd = false;
    }
    for (; i + 1 < b.length; i += 2) sum += (b[i] << 8) | b[i + 1];
    if (i < b.length) {
      sum += b[i] << 8;
      odd = true;
    }
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function invalid(what: string, value: unknown): never {
  throw new PcapError('EINVAL', `invalid ${what}: ${typeof value === 'string' ? `'${value}'` : String(value)}`);
}

/** An integer field value, range-checked. */
export function uint(value: number, bits: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** bits) invalid(what, value);
  return value;
}

/** 'aa:bb:cc:dd:ee:ff' (or with '-'), or 6 bytes. */
export function parseMac(value: string | Uint8Array, what = 'MAC address'): Buffer {
  if (typeof value !== 'string') {
    if (value.length !== 6) invalid(what, value);
    return Buffer.from(value);
  }
  const m = /^([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})$/i.exec(value);
  if (!m) invalid(what, value);
  return Buffer.from(m.slice(1).map((h) => parseInt(h, 16)));
}

/** Dotted quad, or 4 bytes. */
export function parseIPv4(value: string | Uint8Array, what = 'IPv4 address'): Buffer {
  if (typeof value !== 'string') {
    if (value.length !== 4) invalid(what, value);
    return Buffer.from(value);
  }
  const parts = value.split('.');
  if (parts.length !== 4) invalid(what, value);
  const out = Buffer.alloc(4);
  parts.forEach((p, i) => {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) invalid(what, value);
    out[i] = Number(p);
  });
  return out;
}

/** RFC 4291 text (with '::' and a trailing dotted quad), or 16 bytes. */
export function parseIPv6(value: string | Uint8Array, what = 'IPv6 address'): Buffer {
  if (typeof value !== 'string') {
    if (value.length !== 16) invalid(what, value);
    return Buffer.from(value);
  }
  const text = value.replace(/%.*$/, ''); // zone id: not part of the address bytes
  const halves = text.split('::');
  if (halves.length > 2) invalid(what, value);
  const groups = (s: string): number[] => {
    if (s === '') return [];
    const out: number[] = [];
    const items = s.split(':');
    items.forEach((g, i) => {
      if (i === items.length - 1 && g.includes('.')) {
        const v4 = parseIPv4(g, what);
        out.push(v4.readUInt16BE(0), v4.readUInt16BE(2));
      } else {
        if (!/^[0-9a-f]{1,4}$/i.test(g)) invalid(what, value);
        out.push(parseInt(g, 16));
      }
    });
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  const zeros = 8 - head.length - tail.length;
  if (halves.length === 2 ? zeros < 1 : zeros !== 0) invalid(what, value);
  const all = [...head, ...new Array<number>(halves.length === 2 ? zeros : 0).fill(0), ...tail];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

/** A name from a table, or a number. */
export function lookup(value: number | string, table: Record<string, number>, bits: number, what: string): number {
  if (typeof value === 'number') return uint(value, bits, what);
  for (const key of [value, value.toLowerCase(), value.toUpperCase()]) {
    if (Object.hasOwn(table, key)) return table[key];
  }
  invalid(what, value);
}
