// Capture files made by pcapkit itself, as seeds for fuzzing (scripts/fuzz.sh) and as the
// originals that test/fuzz-regressions.test.mjs mutates. Classic pcap files come from
// PCAPWriter (several link types, both precisions, a small snaplen), plus a byte-swapped copy
// (libpcap's other code path) and pcapng files assembled here block by block (one interface:
// libpcap reads it; two interfaces of different link types: pcapkit's own parser does).
//
// Run directly to write the seeds into a directory: node test/support/fuzz-seeds.mjs DIR
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import {
  PCAPWriter, build, ether, dot1q, ipv4, ipv6, tcp, udp, icmp, icmpv6, arp, dnsQuery, payload,
} from '../../dist/esm/index.mjs';

const A = { src: '10.0.0.1', dst: '10.0.0.2' };
const A6 = { src: 'fe80::1', dst: 'ff02::1' };

/** Ethernet frames of the kinds the decoders know, with options and odd corners. */
export function seedFrames() {
  return [
    build(ether(), ipv4(A), tcp({ sport: 40000, dport: 80, flags: 'S', options: { mss: 1460, sackPermitted: true, timestamps: [1, 2], windowScale: 7 } })),
    build(ether(), ipv4(A), tcp({ sport: 80, dport: 40000, flags: 'PA' }), payload('HTTP/1.1 200 OK\r\n\r\n')),
    build(ether(), ipv4(A), udp({ sport: 5353, dport: 53 }), dnsQuery({ name: 'www.example.com' })),
    build(ether(), ipv4(A), tcp({ dport: 53 }), dnsQuery({ name: 'a.b' })),
    build(ether(), dot1q({ vlan: 10 }), ipv6(A6), udp({ dport: 5355 }), dnsQuery({ name: 'host' })),
    build(ether(), dot1q({ vlan: 20 }), dot1q({ vlan: 30 }), ipv4(A), icmp({ type: 8 }), payload('ping')),
    build(ether(), ipv6(A6), icmpv6({ type: 135 }), payload(Buffer.alloc(24, 1))),
    build(ether(), ipv4(A), icmp({ type: 3, code: 4 }), payload(Buffer.alloc(28, 0x45))),
    build(ether(), arp()),
    build(ether(), ipv4({ ...A, options: Buffer.from([7, 7, 4, 0]) }), udp(), payload(Buffer.alloc(300, 0xab))),
  ];
}

// 2^32 - 1 seconds (2106), a fraction at the limit, and ordinary times.
const STAMPS = [
  { tsSec: 1_700_000_000, tsNsec: 123_456_789 },
  { tsSec: 0, tsNsec: 0 },
  { tsSec: 4_294_967_295, tsNsec: 999_999_999 },
  { tsSec: 1_700_000_001, tsNsec: 1_000 },
];

async function writePcap(path, options, frames) {
  const w = new PCAPWriter(path, options);
  frames.forEach((f, i) => w.write(f, { ...STAMPS[i % STAMPS.length], length: f.length + (i % 3 === 2 ? 10 : 0) }));
  await w.close();
  return path;
}

/** A classic pcap file with every header field byte-swapped (as written on the other endianness). */
export function swapPcap(buf) {
  const out = Buffer.from(buf);
  const swap32 = (o) => out.writeUInt32BE(buf.readUInt32LE(o), o);
  const swap16 = (o) => out.writeUInt16BE(buf.readUInt16LE(o), o);
  swap32(0);
  swap16(4);
  swap16(6);
  for (const o of [8, 12, 16, 20]) swap32(o);
  for (let o = 24; o + 16 <= buf.length; ) {
    const caplen = buf.readUInt32LE(o + 8);
    for (let k = 0; k < 16; k += 4) swap32(o + k);
    o += 16 + caplen;
  }
  return out;
}

// --- pcapng, little-endian, block by block ------------------------------------------------

const pad4 = (b) => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);

function block(type, body) {
  const len = 12 + body.length;
  const head = Buffer.alloc(8);
  head.writeUInt32LE(type, 0);
  head.writeUInt32LE(len, 4);
  const tail = Buffer.alloc(4);
  tail.writeUInt32LE(len, 0);
  return Buffer.concat([head, body, tail]);
}

function option(code, value) {
  const h = Buffer.alloc(4);
  h.writeUInt16LE(code, 0);
  h.writeUInt16LE(value.length, 2);
  return Buffer.concat([h, pad4(value)]);
}
const endOfOptions = () => Buffer.alloc(4);

function shb() {
  const b = Buffer.alloc(16);
  b.writeUInt32LE(0x1a2b3c4d, 0);
  b.writeUInt16LE(1, 4);
  b.writeUInt16LE(0, 6);
  b.writeBigInt64LE(-1n, 8);
  return block(0x0a0d0d0a, Buffer.concat([b, option(4, Buffer.from('pcapkit fuzz seeds')), endOfOptions()]));
}

function idb(linktype, snaplen, tsresol) {
  const b = Buffer.alloc(8);
  b.writeUInt16LE(linktype, 0);
  b.writeUInt32LE(snaplen, 4);
  const opts = [option(2, Buffer.from('eth0'))];
  if (tsresol !== undefined) opts.push(option(9, Buffer.from([tsresol])));
  return block(1, Buffer.concat([b, ...opts, endOfOptions()]));
}

function epb(ifIndex, ticks, data, wireLen, flags) {
  const b = Buffer.alloc(20);
  b.writeUInt32LE(ifIndex, 0);
  b.writeUInt32LE(Number(ticks >> 32n), 4);
  b.writeUInt32LE(Number(ticks & 0xffffffffn), 8);
  b.writeUInt32LE(data.length, 12);
  b.writeUInt32LE(wireLen, 16);
  const opts = flags === undefined ? [] : [option(2, Buffer.from(Uint32Array.of(flags).buffer)), endOfOptions()];
  return block(6, Buffer.concat([b, pad4(data), ...opts]));
}

function spb(wireLen, data) {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(wireLen, 0);
  return block(3, Buffer.concat([b, pad4(data)]));
}

/** pcapng with one Ethernet interface (nanosecond resolution): libpcap reads it. */
export function pcapngOneInterface(frames = seedFrames()) {
  const t0 = 1_700_000_000_000_000_000n;
  return Buffer.concat([
    shb(),
    idb(1, 65535, 9),
    ...frames.map((f, i) => epb(0, t0 + BigInt(i) * 1_000_123n, f, f.length, i === 1 ? 1 : undefined)),
  ]);
}

/** pcapng with an Ethernet and a RAW interface: pcapkit's own parser reads it. */
export function pcapngTwoInterfaces(frames = seedFrames()) {
  const sec = 1_700_000_000n;
  const blocks = [shb(), idb(1, 262144, 6), idb(101, 1500, 0x80 | 20)];
  frames.forEach((f, i) => {
    if (i % 3 === 0) blocks.push(epb(1, ((sec + BigInt(i)) << 20n) + 524_289n, f.subarray(14), f.length - 14));
    else if (i % 3 === 1) blocks.push(epb(0, sec * 1_000_000n + BigInt(i) * 7n, f, f.length + 4, 0x2));
    else blocks.push(spb(f.length, f));
  });
  return Buffer.concat(blocks);
}

/**
 * Writes the seed files into `dir` (which must exist); returns their paths.
 */
export async function writeSeedFiles(dir) {
  const frames = seedFrames();
  const ip = frames.filter((f) => f.readUInt16BE(12) === 0x0800 || f.readUInt16BE(12) === 0x86dd).map((f) => f.subarray(14));
  const sll = ip.map((p) => {
    const h = Buffer.alloc(16);
    h.writeUInt16BE(0, 0);
    h.writeUInt16BE(1, 2);
    h.writeUInt16BE(6, 4);
    Buffer.from([2, 0, 0, 0, 0, 1]).copy(h, 6);
    h.writeUInt16BE(p[0] >> 4 === 6 ? 0x86dd : 0x0800, 14);
    return Buffer.concat([h, p]);
  });
  const nul = ip.map((p) => Buffer.concat([Buffer.from(Uint32Array.of(p[0] >> 4 === 6 ? 10 : 2).buffer), p]));
  // A Linux USB (memory-mapped header) isochronous completion: libpcap post-processes these.
  const usb = Buffer.alloc(64 + 16 + 20);
  usb[8] = 0x43;
  usb[10] = 0x81;
  usb.writeUInt32LE(200, 32);
  usb.writeUInt32LE(20, 36);
  usb.writeUInt32LE(1, 60);

  const files = [
    await writePcap(join(dir, 'eth-micro.pcap'), { linktype: 1, precision: 'micro' }, frames),
    await writePcap(join(dir, 'eth-nano.pcap'), { linktype: 1, precision: 'nano' }, frames),
    await writePcap(join(dir, 'eth-snap64.pcap'), { linktype: 1, precision: 'micro', snaplen: 64 }, frames),
    await writePcap(join(dir, 'raw.pcap'), { linktype: 12, precision: 'micro' }, ip),
    await writePcap(join(dir, 'ipv4.pcap'), { linktype: 228, precision: 'nano' }, ip.filter((p) => p[0] >> 4 === 4)),
    await writePcap(join(dir, 'sll.pcap'), { linktype: 113, precision: 'micro' }, sll),
    await writePcap(join(dir, 'null.pcap'), { linktype: 0, precision: 'micro' }, nul),
    await writePcap(join(dir, 'usb-mmapped.pcap'), { linktype: 220, precision: 'micro' }, [usb]),
    await writePcap(join(dir, 'empty.pcap'), { linktype: 1, precision: 'micro' }, []),
  ];
  const swapped = join(dir, 'eth-swapped.pcap');
  writeFileSync(swapped, swapPcap(readFileSync(files[0])));
  const one = join(dir, 'one-interface.pcapng');
  writeFileSync(one, pcapngOneInterface(frames));
  const two = join(dir, 'two-interfaces.pcapng');
  writeFileSync(two, pcapngTwoInterfaces(frames));
  files.push(swapped, one, two);
  return files;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node test/support/fuzz-seeds.mjs DIR');
    process.exit(64);
  }
  mkdirSync(dir, { recursive: true });
  const files = await writeSeedFiles(dir);
  console.log(`${files.length} seed files written to ${dir}`);
}
