// The hostile inputs kept in test/fuzz-regressions/: small pcap and pcapng files built here, byte
// by byte, each aimed at one thing a reader trusts (a header cut short, a length that lies, a
// block whose trailer disagrees, an option running past its block, a packet naming an interface
// that was never described...). Nothing is copied from ../shared/corpus.
//
// scripts/make-fuzz-regressions.mjs writes them (and the folder's README); the suite
// test/fuzz-regressions.test.mjs replays every file of the folder through the reader, checkFile
// and repairFile, and checks that the committed files are exactly what this module builds.
// A new finding (a minimized crash from scripts/fuzz.sh, a file from an engine or CLI issue) is
// added here as a builder, then the script is run again.

/** An Ethernet / IPv4 / UDP frame of 60 bytes, 10.0.0.1:1000 -> 10.0.0.2:2000, payload `tag`. */
export function frame(tag = 0) {
  const b = Buffer.alloc(60);
  Buffer.from('020000000002020000000001', 'hex').copy(b, 0); // dst, src MAC
  b.writeUInt16BE(0x0800, 12);
  b[14] = 0x45; // IPv4, IHL 5
  b.writeUInt16BE(46, 16); // total length: 20 + 8 + 18
  b[22] = 64; // TTL
  b[23] = 17; // UDP
  Buffer.from([10, 0, 0, 1, 10, 0, 0, 2]).copy(b, 26);
  let sum = 0;
  for (let i = 14; i < 34; i += 2) sum += b.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  b.writeUInt16BE(~sum & 0xffff, 24);
  b.writeUInt16BE(1000, 34);
  b.writeUInt16BE(2000, 36);
  b.writeUInt16BE(26, 38); // UDP length: 8 + 18
  b.fill(0x61 + (tag % 26), 42);
  return b;
}

// ---- classic pcap -------------------------------------------------------------------------------

/** A little-endian microsecond pcap file header. */
export function pcapHeader({ magic = 0xa1b2c3d4, major = 2, minor = 4, snaplen = 262144, linktype = 1 } = {}) {
  const h = Buffer.alloc(24);
  h.writeUInt32LE(magic, 0);
  h.writeUInt16LE(major, 4);
  h.writeUInt16LE(minor, 6);
  h.writeUInt32LE(snaplen, 16);
  h.writeUInt32LE(linktype, 20);
  return h;
}

/** A record: header (ts, caplen, len; each may be forced) and `data`. */
export function pcapRecord(data, { tsSec = 1_700_000_000, tsUsec = 0, caplen = data.length, len = data.length } = {}) {
  const h = Buffer.alloc(16);
  h.writeUInt32LE(tsSec, 0);
  h.writeUInt32LE(tsUsec, 4);
  h.writeUInt32LE(caplen, 8);
  h.writeUInt32LE(len, 12);
  return Buffer.concat([h, data]);
}

// ---- pcapng ---------------------------------------------------------------------------------------

const pad4 = (n) => (n + 3) & ~3;

/** One little-endian block: type, total length, body padded to 4, total length again (or `trailer`). */
export function block(type, body, { length, trailer } = {}) {
  const len = 12 + pad4(body.length);
  const b = Buffer.alloc(len);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(length ?? len, 4);
  body.copy(b, 8);
  b.writeUInt32LE(trailer ?? length ?? len, len - 4);
  return b;
}

function u16(v) {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return b;
}
function u32(v) {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
}

/** Section header block, version 1.0, section length unknown. */
export function shb({ bom = 0x1a2b3c4d } = {}) {
  return block(0x0a0d0d0a, Buffer.concat([u32(bom), u16(1), u16(0), u32(0xffffffff), u32(0xffffffff)]));
}

/** Interface description block: link type, snaplen, and raw option bytes (end-of-options added unless `rawOptions`). */
export function idb({ linktype = 1, snaplen = 262144, options = Buffer.alloc(0), rawOptions = false } = {}) {
  const opts = rawOptions ? options : options.length ? Buffer.concat([options, u16(0), u16(0)]) : options;
  return block(1, Buffer.concat([u16(linktype), u16(0), u32(snaplen), opts]));
}

/** Enhanced packet block on `ifId` holding `data`; caplen and len may be forced. */
export function epb(data, { ifId = 0, ticks = 1_700_000_000_000_000, caplen = data.length, len = data.length, ...blockOpts } = {}) {
  const t = BigInt(ticks);
  const body = Buffer.concat([
    u32(ifId), u32(Number(t >> 32n)), u32(Number(t & 0xffffffffn)), u32(caplen), u32(len),
    data, Buffer.alloc(pad4(data.length) - data.length),
  ]);
  return block(6, body, blockOpts);
}

// ---- the findings ---------------------------------------------------------------------------------

const twoRecords = () => Buffer.concat([pcapHeader(), pcapRecord(frame(0)), pcapRecord(frame(1), { tsUsec: 1 })]);
const goodPcapng = () => Buffer.concat([shb(), idb(), epb(frame(0)), epb(frame(1), { ticks: 1_700_000_000_000_001 })]);

/**
 * Every finding: { name, about, bytes, expect }. `about` says what the file does to a reader.
 * Every file must read cleanly or end in a PcapError of a file-content kind, never a crash or a
 * hang. `expect` ({ code, packets }), where the file was built to be damaged in one definite way,
 * is the outcome that damage calls for: the packets before it, then ETRUNCATED (cut short) or
 * EFORMAT (a length or a field that lies). Files without one are damaged in ways a reader may
 * tolerate (libpcap does: caplen over the snaplen, an unknown link type, ...).
 */
export function findings() {
  const list = [
    // classic pcap headers
    ['pcap-empty.pcap', 'a file of zero bytes', Buffer.alloc(0), { code: 'ETRUNCATED', packets: 0 }],
    ['pcap-header-cut-at-2.pcap', 'two bytes of the magic only', pcapHeader().subarray(0, 2), { code: 'ETRUNCATED', packets: 0 }],
    ['pcap-header-cut-at-12.pcap', 'a file header cut in the middle (12 of 24 bytes)', pcapHeader().subarray(0, 12), { code: 'ETRUNCATED', packets: 0 }],
    ['pcap-bad-magic.pcap', 'a magic that is neither pcap nor pcapng, then a record', Buffer.concat([pcapHeader({ magic: 0xdeadbeef }), pcapRecord(frame())]), { code: 'EFORMAT', packets: 0 }],
    ['pcap-version-9.pcap', 'major version 9', Buffer.concat([pcapHeader({ major: 9 }), pcapRecord(frame())]), { code: 'EFORMAT', packets: 0 }],
    ['pcap-snaplen-0.pcap', 'a header snaplen of 0 before a 60-byte record', Buffer.concat([pcapHeader({ snaplen: 0 }), pcapRecord(frame())])],
    ['pcap-linktype-65535.pcap', 'a link type no one knows', Buffer.concat([pcapHeader({ linktype: 65535 }), pcapRecord(frame())])],
    // classic pcap records
    ['pcap-caplen-over-snaplen.pcap', 'snaplen 64, then a record whose caplen (100) exceeds it', Buffer.concat([pcapHeader({ snaplen: 64 }), pcapRecord(Buffer.concat([frame(), Buffer.alloc(40, 0xee)]))])],
    ['pcap-caplen-huge.pcap', 'a record header claiming 0x7fffffff captured bytes', Buffer.concat([pcapHeader(), pcapRecord(frame(), { caplen: 0x7fffffff })]), { code: 'EFORMAT', packets: 0 }],
    ['pcap-caplen-over-len.pcap', 'caplen 60 but wire length 10', Buffer.concat([pcapHeader(), pcapRecord(frame(), { len: 10 })])],
    ['pcap-record-header-cut.pcap', 'one whole record, then 10 bytes of the next record header', twoRecords().subarray(0, 24 + 76 + 10), { code: 'ETRUNCATED', packets: 1 }],
    ['pcap-record-data-cut.pcap', 'one whole record, then a record cut 20 bytes into its data', twoRecords().subarray(0, 24 + 76 + 16 + 20), { code: 'ETRUNCATED', packets: 1 }],
    ['pcap-usec-out-of-range.pcap', 'a microsecond field of 2^32-1', Buffer.concat([pcapHeader(), pcapRecord(frame(), { tsUsec: 0xffffffff })])],
    ['pcap-zero-caplen.pcap', 'a record with caplen 0 and len 60, then a normal one', Buffer.concat([pcapHeader(), pcapRecord(Buffer.alloc(0), { len: 60 }), pcapRecord(frame(1))])],
    // pcapng section and blocks
    ['pcapng-shb-cut.pcapng', 'a section header block cut after 20 bytes', shb().subarray(0, 20), { code: 'ETRUNCATED', packets: 0 }],
    ['pcapng-shb-bad-byte-order.pcapng', 'a section header whose byte-order magic is wrong', Buffer.concat([shb({ bom: 0x11223344 }), idb(), epb(frame())]), { code: 'EFORMAT', packets: 0 }],
    ['pcapng-block-cut.pcapng', 'two packets, then a block cut in the middle', goodPcapng().subarray(0, goodPcapng().length - 30), { code: 'ETRUNCATED', packets: 1 }],
    ['pcapng-trailer-mismatch.pcapng', 'a packet block whose trailing length disagrees with its leading one', Buffer.concat([shb(), idb(), epb(frame(0)), epb(frame(1), { trailer: 0x40 })]), { code: 'EFORMAT', packets: 1 }],
    ['pcapng-block-length-8.pcapng', 'a block claiming a total length of 8 (less than its own header)', Buffer.concat([shb(), idb(), epb(frame(0), { length: 8 })]), { code: 'EFORMAT', packets: 0 }],
    ['pcapng-block-length-unaligned.pcapng', 'a block length that is no multiple of 4', Buffer.concat([shb(), idb(), epb(frame(0), { length: 98 })]), { code: 'EFORMAT', packets: 0 }],
    ['pcapng-block-length-huge.pcapng', 'a block claiming 0x7ffffff0 bytes', Buffer.concat([shb(), idb(), epb(frame(0), { length: 0x7ffffff0 })]), { code: 'EFORMAT', packets: 0 }],
    ['pcapng-option-past-block.pcapng', 'an interface option whose length runs past the end of its block', Buffer.concat([shb(), idb({ options: Buffer.concat([u16(9), u16(200), Buffer.from([6, 0, 0, 0])]), rawOptions: true }), epb(frame())]), { code: 'EFORMAT', packets: 0 }],
    ['pcapng-tsresol-out-of-range.pcapng', 'if_tsresol 10^-127', Buffer.concat([shb(), idb({ options: Buffer.concat([u16(9), u16(1), Buffer.from([127, 0, 0, 0])]) }), epb(frame())]), { code: 'EFORMAT', packets: 0 }],
    ['pcapng-epb-without-idb.pcapng', 'a packet block before any interface description block', Buffer.concat([shb(), epb(frame())]), { code: 'EFORMAT', packets: 0 }],
    ['pcapng-epb-unknown-interface.pcapng', 'one interface, then a packet on interface 5', Buffer.concat([shb(), idb(), epb(frame(0)), epb(frame(1), { ifId: 5 })]), { code: 'EFORMAT', packets: 1 }],
    ['pcapng-epb-caplen-past-block.pcapng', 'a packet block whose captured length runs past the block', Buffer.concat([shb(), idb(), epb(frame(), { caplen: 4000 })]), { code: 'EFORMAT', packets: 0 }],
    ['pcapng-epb-caplen-over-snaplen.pcapng', 'an interface with snaplen 32 and a 60-byte packet on it', Buffer.concat([shb(), idb({ snaplen: 32 }), epb(frame())])],
    ['pcapng-idb-cut.pcapng', 'a section header, then an interface block cut short', Buffer.concat([shb(), idb().subarray(0, 12)]), { code: 'ETRUNCATED', packets: 0 }],
  ];
  return list.map(([name, about, bytes, expect]) => ({ name, about, bytes: Buffer.from(bytes), expect }));
}
