// Deterministic packets for the fault-injection tests (test/faults.test.mjs): packet i is always
// the same frame and timestamp, so a test can say which packets a damaged or cut file must hold
// and compare them byte for byte, also when another process (endless-writer.mjs) wrote them.
//
// Every frame is a multiple of 16 bytes long, so every pcap record (16-byte header + frame) is
// too and each record ends at byte 8 mod 16 of the file (after the 24-byte file header). A
// process killed while writing through a power-of-two stdio buffer therefore always leaves a
// file that ends inside a record, never by luck on a record boundary.
import { build, ether, ipv4, payload, tcp, udp } from '../../dist/esm/index.mjs';

const HEADERS = 14 + 20 + 8; // Ethernet + IPv4 + UDP
const SIZES = 8; // distinct frame sizes, cycled

/** Frame length of packet i: 400..1520 bytes, a multiple of 16. */
export function frameLength(i) {
  return 400 + 16 * ((i % SIZES) * 10);
}

/** Packet i: { frame: Buffer, tsSec, tsNsec }. Every 4th is TCP port 80, the others UDP port 53. */
export function packetFor(i) {
  const len = frameLength(i);
  const isTcp = i % 4 === 3;
  const bodyLen = len - HEADERS - (isTcp ? 12 : 0); // TCP's header is 20 bytes, UDP's 8
  const body = Buffer.alloc(bodyLen, i & 0xff);
  body.writeUInt32BE(i >>> 0, 0); // the packet's own number, so a misplaced packet shows
  const frame = build(
    ether({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }),
    ipv4({ src: '10.0.0.1', dst: '10.0.0.2', ttl: 64 }),
    isTcp ? tcp({ srcPort: 80, dstPort: 40000 + (i % 1000), seq: i, flags: 'PA' }) : udp({ srcPort: 40000 + (i % 1000), dstPort: 53 }),
    payload(body),
  );
  if (frame.length !== len) throw new Error(`packetFor(${i}): built ${frame.length} bytes, meant ${len}`);
  return { frame, tsSec: 1_700_000_000 + Math.floor(i / 1000), tsNsec: (i % 1000) * 1_000_000 };
}
