// A small, deterministic sample capture (Ethernet: TCP to 443/80, DNS over UDP, ICMP echo,
// ARP) written with pcapkit's own PCAPWriter. Used by the demo and by tests that need a
// capture of a given size. Frames are built by hand here; checksums are left at zero.
import { PCAPWriter } from '../dist/esm/index.mjs';

const MAC_A = Buffer.from('020000000001', 'hex');
const MAC_B = Buffer.from('020000000002', 'hex');

function ethernet(buf, type) {
  MAC_B.copy(buf, 0);
  MAC_A.copy(buf, 6);
  buf.writeUInt16BE(type, 12);
  return 14;
}

function ipv4(buf, off, proto, payloadLen, src, dst, id) {
  buf[off] = 0x45;
  buf[off + 1] = 0;
  buf.writeUInt16BE(20 + payloadLen, off + 2);
  buf.writeUInt16BE(id & 0xffff, off + 4);
  buf.writeUInt16BE(0x4000, off + 6); // DF
  buf[off + 8] = 64;
  buf[off + 9] = proto;
  buf.writeUInt16BE(0, off + 10);
  buf.writeUInt32BE(src, off + 12);
  buf.writeUInt32BE(dst, off + 16);
  return off + 20;
}

/** Builds packet number i of the sample; returns a fresh Buffer. */
export function samplePacket(i) {
  const buf = Buffer.alloc(1514);
  const kind = i % 20;
  const client = 0x0a000001 + (i % 7); // 10.0.0.1..7
  const server = 0xc0a80064; // 192.168.0.100
  if (kind === 0) {
    // ARP request: who-has 10.0.0.254 tell 10.0.0.x
    let o = ethernet(buf, 0x0806);
    buf.writeUInt16BE(1, o); buf.writeUInt16BE(0x0800, o + 2); buf[o + 4] = 6; buf[o + 5] = 4;
    buf.writeUInt16BE(1, o + 6); MAC_A.copy(buf, o + 8); buf.writeUInt32BE(client, o + 14);
    buf.writeUInt32BE(0x0a0000fe, o + 24);
    return buf.subarray(0, 60);
  }
  if (kind <= 3) {
    // DNS query over UDP to port 53
    let o = ipv4(buf, ethernet(buf, 0x0800), 17, 8 + 29, client, 0x08080808, i);
    buf.writeUInt16BE(40000 + (i % 1000), o); buf.writeUInt16BE(53, o + 2);
    buf.writeUInt16BE(8 + 29, o + 4); o += 8;
    buf.writeUInt16BE(i & 0xffff, o); buf.writeUInt16BE(0x0100, o + 2); buf.writeUInt16BE(1, o + 4);
    Buffer.from('076578616d706c6503636f6d0000010001', 'hex').copy(buf, o + 12);
    return buf.subarray(0, o + 29);
  }
  if (kind === 4) {
    // ICMP echo request with 56 bytes of data
    let o = ipv4(buf, ethernet(buf, 0x0800), 1, 64, client, server, i);
    buf[o] = 8; buf.writeUInt16BE(i & 0xffff, o + 6);
    return buf.subarray(0, o + 64);
  }
  // TCP: mostly 443, some 80; small ACKs and full-size segments
  const payload = i % 3 === 0 ? 1400 : i % 3 === 1 ? 0 : 200;
  let o = ipv4(buf, ethernet(buf, 0x0800), 6, 20 + payload, client, server, i);
  buf.writeUInt16BE(50000 + (i % 100), o); buf.writeUInt16BE(kind % 4 === 0 ? 80 : 443, o + 2);
  buf.writeUInt32BE((i * 1000) >>> 0, o + 4); buf.writeUInt32BE((i * 7) >>> 0, o + 8);
  buf[o + 12] = 0x50; buf[o + 13] = payload ? 0x18 : 0x10; buf.writeUInt16BE(65535, o + 14);
  return buf.subarray(0, o + 20 + payload);
}

/** Writes `count` sample packets, 100 us apart, to `path`. */
export async function writeSampleCapture(path, count, { precision = 'micro', start = 1_700_000_000 } = {}) {
  const w = new PCAPWriter(path, { linktype: 'EN10MB', precision });
  for (let i = 0; i < count; i++) {
    const us = i * 100;
    w.write(samplePacket(i), { tsSec: start + Math.floor(us / 1e6), tsNsec: (us % 1e6) * 1000 });
  }
  await w.close();
  return path;
}
