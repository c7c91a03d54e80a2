// Capture files built byte by byte, as Buffers, for the file-engine tests: classic pcap with
// every magic (microsecond 0xa1b2c3d4, nanosecond 0xa1b23c4d, modified/Kuznetzov 0xa1b2cd34
// with 24-byte record headers) in both byte orders, and pcapng block by block (SHB in either
// byte order, IDB with options, EPB with comment and flags, SPB, the obsolete PB, NRB, ISB, DSB
// and custom blocks). Pure functions: nothing here reads or writes a file, and nothing comes
// from the corpus. Each builder says what it wrote, so a test can derive its expectations from
// the description when no tool can read the file.

// ---- classic pcap -----------------------------------------------------------------------------

export const PCAP_MAGIC = { micro: 0xa1b2c3d4, nano: 0xa1b23c4d, modified: 0xa1b2cd34 };

/**
 * A classic pcap file. `variant` is 'micro' | 'nano' | 'modified' (Kuznetzov: microseconds,
 * 24-byte record headers with ifindex, protocol, pkt_type and a pad byte). `packets` are
 * { tsSec, tsFrac (µs or ns as the variant says), data: Buffer, length? (wire length) }.
 */
export function pcapFile({ variant = 'micro', le = true, linktype = 1, snaplen = 65535, packets = [] }) {
  const magic = PCAP_MAGIC[variant];
  if (magic === undefined) throw new Error(`unknown pcap variant ${variant}`);
  const u32 = (v) => {
    const b = Buffer.alloc(4);
    if (le) b.writeUInt32LE(v >>> 0);
    else b.writeUInt32BE(v >>> 0);
    return b;
  };
  const u16 = (v) => {
    const b = Buffer.alloc(2);
    if (le) b.writeUInt16LE(v);
    else b.writeUInt16BE(v);
    return b;
  };
  const parts = [u32(magic), u16(2), u16(4), u32(0), u32(0), u32(snaplen), u32(linktype)];
  for (const p of packets) {
    const caplen = p.data.length;
    parts.push(u32(p.tsSec), u32(p.tsFrac), u32(caplen), u32(p.length ?? caplen));
    if (variant === 'modified') {
      // ifindex, protocol (network order in the original, opaque here), pkt_type, pad
      parts.push(u32(p.ifindex ?? 2), u16(0x0008), Buffer.from([p.pktType ?? 0, 0]));
    }
    parts.push(p.data);
  }
  return Buffer.concat(parts);
}

/** Nanoseconds of a record's fraction field for a variant. */
export function fracToNsec(variant, frac) {
  return variant === 'nano' ? frac : frac * 1000;
}

// ---- pcapng -----------------------------------------------------------------------------------

export const BT = {
  SHB: 0x0a0d0d0a,
  IDB: 1,
  PB: 2,
  SPB: 3,
  NRB: 4,
  ISB: 5,
  EPB: 6,
  DSB: 0x0a,
  CUSTOM: 0xbad,
  CUSTOM_NOCOPY: 0x40000bad,
};

const pad4 = (n) => (4 - (n % 4)) % 4;

/** Writer helpers for one byte order. */
function endian(le) {
  return {
    u16(v) {
      const b = Buffer.alloc(2);
      if (le) b.writeUInt16LE(v);
      else b.writeUInt16BE(v);
      return b;
    },
    u32(v) {
      const b = Buffer.alloc(4);
      if (le) b.writeUInt32LE(v >>> 0);
      else b.writeUInt32BE(v >>> 0);
      return b;
    },
    i64(v) {
      const b = Buffer.alloc(8);
      if (le) b.writeBigInt64LE(BigInt(v));
      else b.writeBigInt64BE(BigInt(v));
      return b;
    },
    u64(v) {
      const b = Buffer.alloc(8);
      if (le) b.writeBigUInt64LE(BigInt(v));
      else b.writeBigUInt64BE(BigInt(v));
      return b;
    },
  };
}

/**
 * Options area: [[code, Buffer|string], ...] plus opt_endofopt (when there is any option).
 * Values are padded to 4 bytes.
 */
export function options(le, list) {
  if (!list || list.length === 0) return Buffer.alloc(0);
  const e = endian(le);
  const parts = [];
  for (const [code, value] of list) {
    const v = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    parts.push(e.u16(code), e.u16(v.length), v, Buffer.alloc(pad4(v.length)));
  }
  parts.push(e.u16(0), e.u16(0));
  return Buffer.concat(parts);
}

/** A block: type, total length, body (padded to 4), total length again. */
export function block(le, type, body) {
  const e = endian(le);
  const padded = Buffer.concat([body, Buffer.alloc(pad4(body.length))]);
  const len = 12 + padded.length;
  return Buffer.concat([e.u32(type), e.u32(len), padded, e.u32(len)]);
}

/** Section Header Block (version 1.0 by default, section length -1). */
export function shb({ le = true, major = 1, minor = 0, opts = [] } = {}) {
  const e = endian(le);
  const body = Buffer.concat([e.u32(0x1a2b3c4d), e.u16(major), e.u16(minor), e.i64(-1), options(le, opts)]);
  return block(le, BT.SHB, body);
}

/**
 * Interface Description Block. tsresol: the raw if_tsresol byte (omitted when undefined: the
 * default, microseconds); tsoffset: if_tsoffset in seconds (omitted when undefined).
 */
export function idb({ le = true, linktype = 1, snaplen = 0, name, description, tsresol, tsoffset, opts = [] } = {}) {
  const e = endian(le);
  const list = [];
  if (name !== undefined) list.push([2, name]);
  if (description !== undefined) list.push([3, description]);
  if (tsresol !== undefined) list.push([9, Buffer.from([tsresol])]);
  if (tsoffset !== undefined) list.push([14, e.i64(tsoffset)]);
  list.push(...opts);
  const body = Buffer.concat([e.u16(linktype), e.u16(0), e.u32(snaplen), options(le, list)]);
  return block(le, BT.IDB, body);
}

/** Enhanced Packet Block; ts is the 64-bit timestamp in the interface's units (bigint). */
export function epb({ le = true, ifIndex = 0, ts = 0n, data, length, comment, flags, opts = [] }) {
  const e = endian(le);
  const t = BigInt(ts);
  const list = [];
  if (comment !== undefined) list.push([1, comment]);
  if (flags !== undefined) list.push([2, e.u32(flags)]);
  list.push(...opts);
  const body = Buffer.concat([
    e.u32(ifIndex),
    e.u32(Number(t >> 32n)),
    e.u32(Number(t & 0xffffffffn)),
    e.u32(data.length),
    e.u32(length ?? data.length),
    data,
    Buffer.alloc(pad4(data.length)),
    options(le, list),
  ]);
  return block(le, BT.EPB, body);
}

/** Obsolete Packet Block (type 2): 16-bit interface id and drops count; pack_flags option. */
export function pb({ le = true, ifIndex = 0, drops = 0, ts = 0n, data, length, comment, flags }) {
  const e = endian(le);
  const t = BigInt(ts);
  const list = [];
  if (comment !== undefined) list.push([1, comment]);
  if (flags !== undefined) list.push([2, e.u32(flags)]);
  const body = Buffer.concat([
    e.u16(ifIndex),
    e.u16(drops),
    e.u32(Number(t >> 32n)),
    e.u32(Number(t & 0xffffffffn)),
    e.u32(data.length),
    e.u32(length ?? data.length),
    data,
    Buffer.alloc(pad4(data.length)),
    options(le, list),
  ]);
  return block(le, BT.PB, body);
}

/** Simple Packet Block: interface 0, original length, data (no timestamp). */
export function spb({ le = true, data, length }) {
  const e = endian(le);
  return block(le, BT.SPB, Buffer.concat([e.u32(length ?? data.length), data]));
}

/** Name Resolution Block with one IPv4 record and the end-of-records record. */
export function nrb({ le = true, ip = [10, 0, 0, 1], name = 'host.example' } = {}) {
  const e = endian(le);
  const v = Buffer.concat([Buffer.from(ip), Buffer.from(`${name}\0`)]);
  const body = Buffer.concat([e.u16(1), e.u16(v.length), v, Buffer.alloc(pad4(v.length)), e.u16(0), e.u16(0)]);
  return block(le, BT.NRB, body);
}

/** Interface Statistics Block with isb_ifrecv / isb_ifdrop. */
export function isb({ le = true, ifIndex = 0, ts = 0n, recv = 10, drop = 0 } = {}) {
  const e = endian(le);
  const t = BigInt(ts);
  const body = Buffer.concat([
    e.u32(ifIndex),
    e.u32(Number(t >> 32n)),
    e.u32(Number(t & 0xffffffffn)),
    options(le, [
      [4, e.u64(recv)],
      [5, e.u64(drop)],
    ]),
  ]);
  return block(le, BT.ISB, body);
}

/** Decryption Secrets Block holding a TLS key log line. */
export function dsb({ le = true, secrets = 'CLIENT_RANDOM 00 00\n' } = {}) {
  const e = endian(le);
  const s = Buffer.from(secrets);
  return block(le, BT.DSB, Buffer.concat([e.u32(0x544c534b), e.u32(s.length), s]));
}

/** Custom block (0xBAD copyable, 0x40000BAD not), with a private enterprise number. */
export function custom({ le = true, type = BT.CUSTOM, pen = 32473, data = Buffer.from('opaque custom data') } = {}) {
  const e = endian(le);
  return block(le, type, Buffer.concat([e.u32(pen), data]));
}

/** Timestamp units per second of a raw if_tsresol byte (default 6: microseconds). */
export function unitsPerSec(tsresol = 6) {
  const n = BigInt(tsresol & 0x7f);
  return tsresol & 0x80 ? 2n ** n : 10n ** n;
}

/**
 * The exact time a pcapng timestamp stands for, as libpcap/tshark define it: whole seconds
 * (plus if_tsoffset) and nanoseconds, finer units truncated. Returns { tsSec, tsNsec, ns }.
 */
export function pcapngTime(ticks, tsresol = 6, tsoffset = 0) {
  const u = unitsPerSec(tsresol);
  const t = BigInt(ticks);
  const sec = t / u + BigInt(tsoffset);
  const nsec = ((t % u) * 1_000_000_000n) / u;
  return { tsSec: Number(sec), tsNsec: Number(nsec), ns: sec * 1_000_000_000n + nsec };
}

/** Ticks for a time given as seconds and nanoseconds, for an interface's resolution. */
export function ticksFor(tsSec, tsNsec, tsresol = 6) {
  const u = unitsPerSec(tsresol);
  return BigInt(tsSec) * u + (BigInt(tsNsec) * u) / 1_000_000_000n;
}
