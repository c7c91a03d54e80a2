#!/usr/bin/env node
// Generates the benchmark capture: a deterministic (seeded), realistic-looking Ethernet pcap
// written with pcapkit's own PCAPWriter, microsecond precision like tcpdump writes.
//
//   node scripts/bench/generate.mjs [--packets N] [--force]
//
// Mix: ~70% IPv4 TCP (443/80/22/other servers, ephemeral clients, SYN/ACK/PSH/FIN/RST, data
// and bare ACKs), 15% UDP (half DNS queries/responses on 53, QUIC, NTP, other), 5% IPv6
// (TCP/UDP), 5% 802.1Q-tagged IPv4, 3% ICMP echo, 2% ARP. Sizes are bimodal between 60 and
// 1514 bytes. Headers are valid for BPF: ethertypes, IP version/IHL/protocol, IP total
// length = frame minus link header (frames under 60 bytes are zero-padded, as on the wire),
// TCP data offset, UDP length, IPv4 header checksums.
//
// Each packet is built by writing fields into one reusable Buffer. The file is reused when
// its sidecar JSON says it was made by this generator version with the same packet count.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const GENERATOR_VERSION = 1;
export const DEFAULT_PACKETS = 5_000_000;
const SEED = 0x5eed2024;
const here = path.dirname(fileURLToPath(import.meta.url));
export const DATA_DIR = path.resolve(here, '../../bench-data');

export function capturePaths(packets) {
  const base = path.join(DATA_DIR, `capture-${packets}`);
  return { pcap: `${base}.pcap`, meta: `${base}.json` };
}

// sfc32: small, fast, good enough, and deterministic across platforms.
function sfc32(a, b, c, d) {
  return function next() {
    a |= 0; b |= 0; c |= 0; d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
}

/** Returns { pcap, meta, packets, bytes, reused } after making sure the capture exists. */
export async function ensureCapture(packets = DEFAULT_PACKETS, { force = false, log = console.error } = {}) {
  const p = capturePaths(packets);
  if (!force) {
    try {
      const meta = JSON.parse(fs.readFileSync(p.meta, 'utf8'));
      const st = fs.statSync(p.pcap);
      if (meta.generatorVersion === GENERATOR_VERSION && meta.packets === packets && meta.bytes === st.size) {
        return { ...p, packets, bytes: st.size, reused: true };
      }
    } catch {
      // missing or unreadable: generate
    }
  }
  fs.mkdirSync(DATA_DIR, { recursive: true });
  const t0 = process.hrtime.bigint();
  const tmp = `${p.pcap}.tmp`;
  await generate(tmp, packets, log);
  fs.renameSync(tmp, p.pcap);
  const bytes = fs.statSync(p.pcap).size;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  fs.writeFileSync(
    p.meta,
    JSON.stringify({ generatorVersion: GENERATOR_VERSION, packets, bytes, seed: SEED, seconds }, null, 2) + '\n',
  );
  log(`generated ${p.pcap}: ${packets} packets, ${(bytes / 1e6).toFixed(0)} MB in ${seconds.toFixed(1)} s`);
  return { ...p, packets, bytes, reused: false };
}

const DNS_NAMES = [
  'example.com', 'www.example.org', 'api.github.com', 'mail.google.com', 'cdn.jsdelivr.net',
  'ocsp.digicert.com', 'time.cloudflare.com', 'registry.npmjs.org', 'deb.debian.org',
  'connectivity-check.ubuntu.com', 'login.microsoftonline.com', 'updates.example.net',
].map((name) => {
  const parts = name.split('.');
  const b = Buffer.alloc(name.length + 2);
  let o = 0;
  for (const s of parts) {
    b[o++] = s.length;
    o += b.write(s, o, 'latin1');
  }
  b[o] = 0;
  return b;
});
const SERVER_PORTS_OTHER = [8080, 8443, 3306, 5432, 25, 993, 6379, 9000];

async function generate(file, packets, log) {
  const { PCAPWriter } = await import(pathToFileURL(path.resolve(here, '../../dist/esm/index.mjs')).href);
  const rnd = sfc32(SEED, 0x9e3779b9, 0x243f6a88, 0xb7e15162);
  for (let i = 0; i < 20; i++) rnd();
  const u = () => rnd() / 4294967296; // [0, 1)
  const int = (n) => Math.floor(u() * n); // [0, n)
  const range = (lo, hi) => lo + int(hi - lo + 1); // [lo, hi]

  // Hosts: a local /24 and a pool of remote addresses, with stable MACs.
  const LOCAL = 60;
  const REMOTE = 4000;
  const localV4 = new Uint32Array(LOCAL);
  for (let i = 0; i < LOCAL; i++) localV4[i] = ((192 << 24) | (168 << 16) | (1 << 8) | (10 + i)) >>> 0;
  const remoteV4 = new Uint32Array(REMOTE);
  for (let i = 0; i < REMOTE; i++) {
    let first;
    do first = range(1, 223); while (first === 10 || first === 127 || first === 192 || first === 172);
    remoteV4[i] = ((first << 24) | (int(256) << 16) | (int(256) << 8) | range(1, 254)) >>> 0;
  }
  const GATEWAY_MAC = 0x00163e00; // + 2 bytes: 00:16:3e:00:00:01
  const dnsServer = ((192 << 24) | (168 << 16) | (1 << 8) | 1) >>> 0;

  const pkt = Buffer.alloc(1516);
  // Payload bytes: random once; headers overwrite the front of each packet.
  for (let i = 0; i < pkt.length; i += 4) pkt.writeUInt32LE(rnd(), i);

  const writer = new PCAPWriter(file, { linktype: 'EN10MB', snaplen: 262144, precision: 'micro' });
  const info = { tsSec: 0, tsNsec: 0 };
  let tsSec = 1_700_000_000;
  let tsUsec = 0;
  let ipId = int(65536);

  // ---- field writers -------------------------------------------------------------------
  function macLocal(o, hostIdx) {
    pkt.writeUInt32BE(0x02420a00, o); // locally administered, stable per host
    pkt.writeUInt16BE(0x0100 + hostIdx, o + 4);
  }
  function macGateway(o) {
    pkt.writeUInt32BE(GATEWAY_MAC, o);
    pkt.writeUInt16BE(0x0001, o + 4);
  }
  // Ethernet header; outbound = local host -> gateway.
  function eth(hostIdx, outbound, ethertype) {
    if (outbound) {
      macGateway(0);
      macLocal(6, hostIdx);
    } else {
      macLocal(0, hostIdx);
      macGateway(6);
    }
    pkt.writeUInt16BE(ethertype, 12);
  }
  function ipv4(o, totalLen, proto, src, dst, ttl) {
    pkt[o] = 0x45;
    pkt[o + 1] = 0;
    pkt.writeUInt16BE(totalLen, o + 2);
    ipId = (ipId + 1) & 0xffff;
    pkt.writeUInt16BE(ipId, o + 4);
    pkt.writeUInt16BE(0x4000, o + 6); // DF
    pkt[o + 8] = ttl;
    pkt[o + 9] = proto;
    pkt.writeUInt16BE(0, o + 10);
    pkt.writeUInt32BE(src, o + 12);
    pkt.writeUInt32BE(dst, o + 16);
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += (pkt[o + i] << 8) | pkt[o + i + 1];
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    pkt.writeUInt16BE(~sum & 0xffff, o + 10);
  }
  function ipv6(o, payloadLen, next, srcHi, srcLo, dstHi, dstLo) {
    pkt.writeUInt32BE(0x60000000 | int(0x100000), o); // version 6, flow label
    pkt.writeUInt16BE(payloadLen, o + 4);
    pkt[o + 6] = next;
    pkt[o + 7] = 64;
    // 2001:db8:<hi>::<lo>
    pkt.writeUInt32BE(0x20010db8, o + 8);
    pkt.writeUInt32BE(srcHi, o + 12);
    pkt.writeUInt32BE(0, o + 16);
    pkt.writeUInt32BE(srcLo, o + 20);
    pkt.writeUInt32BE(0x20010db8, o + 24);
    pkt.writeUInt32BE(dstHi, o + 28);
    pkt.writeUInt32BE(0, o + 32);
    pkt.writeUInt32BE(dstLo, o + 36);
  }
  const F_FIN = 0x01, F_SYN = 0x02, F_RST = 0x04, F_PSH = 0x08, F_ACK = 0x10;
  function tcp(o, sport, dport, flags, hdrLen) {
    pkt.writeUInt16BE(sport, o);
    pkt.writeUInt16BE(dport, o + 2);
    pkt.writeUInt32BE(rnd(), o + 4);
    pkt.writeUInt32BE(flags & F_ACK ? rnd() : 0, o + 8);
    pkt[o + 12] = (hdrLen / 4) << 4;
    pkt[o + 13] = flags;
    pkt.writeUInt16BE(flags & F_SYN ? 64240 : range(200, 65535), o + 14);
    pkt.writeUInt16BE(rnd() & 0xffff, o + 16); // checksum (not verified by BPF)
    pkt.writeUInt16BE(0, o + 18);
    if (hdrLen === 32) {
      // NOP NOP TS
      pkt.writeUInt16BE(0x0101, o + 20);
      pkt[o + 22] = 8;
      pkt[o + 23] = 10;
      pkt.writeUInt32BE(rnd(), o + 24);
      pkt.writeUInt32BE(rnd(), o + 28);
    } else if (hdrLen === 40) {
      // MSS 1460, SACK permitted, TS, NOP, window scale 7
      pkt.writeUInt32BE(0x020405b4, o + 20);
      pkt.writeUInt16BE(0x0402, o + 24);
      pkt[o + 26] = 8;
      pkt[o + 27] = 10;
      pkt.writeUInt32BE(rnd(), o + 28);
      pkt.writeUInt32BE(0, o + 32);
      pkt[o + 36] = 1;
      pkt[o + 37] = 3;
      pkt[o + 38] = 3;
      pkt[o + 39] = 7;
    }
  }
  function udp(o, sport, dport, len) {
    pkt.writeUInt16BE(sport, o);
    pkt.writeUInt16BE(dport, o + 2);
    pkt.writeUInt16BE(len, o + 4);
    pkt.writeUInt16BE(0, o + 6); // no checksum (legal for IPv4)
  }
  const ephemeral = () => range(32768, 60999);
  function serverPort() {
    const r = u();
    if (r < 0.55) return 443;
    if (r < 0.75) return 80;
    if (r < 0.85) return 22;
    return SERVER_PORTS_OTHER[int(SERVER_PORTS_OTHER.length)];
  }
  // Bimodal data frame size: mostly full-sized segments, else small.
  function dataFrameSize(minFrame) {
    const r = u();
    let size;
    if (r < 0.62) size = r < 0.38 ? 1514 : range(1400, 1513);
    else if (r < 0.92) size = range(60, 100);
    else size = range(101, 1399);
    return Math.max(size, minFrame);
  }

  // ---- packet kinds: each returns the frame length ------------------------------------
  // l2 = link header length (14, or 18 with a VLAN tag whose fields the caller wrote).
  function tcpV4(l2, host, outbound) {
    const local = localV4[host];
    const remote = remoteV4[int(REMOTE)];
    const sp = serverPort();
    const cp = ephemeral();
    const r = u();
    let flags;
    let hdrLen = 32;
    let payload = 0;
    if (r < 0.03) {
      flags = outbound ? F_SYN : F_SYN | F_ACK;
      hdrLen = 40;
    } else if (r < 0.05) flags = F_FIN | F_ACK;
    else if (r < 0.06) {
      flags = F_RST | F_ACK;
      hdrLen = 20;
    } else if (r < 0.4) flags = F_ACK;
    else {
      flags = F_PSH | F_ACK;
      payload = -1;
    }
    const minFrame = l2 + 20 + hdrLen;
    let frame;
    if (payload === 0) frame = Math.max(60, minFrame);
    else {
      frame = dataFrameSize(minFrame + 1);
      payload = frame - minFrame;
    }
    const ipLen = 20 + hdrLen + payload;
    // Outbound: local client -> remote server; inbound: the reverse.
    ipv4(l2, ipLen, 6, outbound ? local : remote, outbound ? remote : local, outbound ? 64 : range(40, 120));
    tcp(l2 + 20, outbound ? cp : sp, outbound ? sp : cp, flags, hdrLen);
    if (payload > 0) pkt.writeUInt32BE(rnd(), l2 + 20 + hdrLen);
    if (l2 + ipLen < frame) pkt.fill(0, l2 + ipLen, frame);
    return frame;
  }
  function dns(l2, host, outbound) {
    const local = localV4[host];
    const name = DNS_NAMES[int(DNS_NAMES.length)];
    const aaaa = u() < 0.3;
    const o = l2 + 28;
    pkt.writeUInt16BE(rnd() & 0xffff, o); // id
    pkt.writeUInt16BE(outbound ? 0x0100 : 0x8180, o + 2);
    pkt.writeUInt16BE(1, o + 4);
    const answers = outbound ? 0 : range(1, 3);
    pkt.writeUInt16BE(answers, o + 6);
    pkt.writeUInt32BE(0, o + 8);
    let q = o + 12;
    name.copy(pkt, q);
    q += name.length;
    pkt.writeUInt16BE(aaaa ? 28 : 1, q);
    pkt.writeUInt16BE(1, q + 2);
    q += 4;
    for (let i = 0; i < answers; i++) {
      pkt.writeUInt16BE(0xc00c, q);
      pkt.writeUInt16BE(aaaa ? 28 : 1, q + 2);
      pkt.writeUInt16BE(1, q + 4);
      pkt.writeUInt32BE(range(30, 3600), q + 6);
      const rdlen = aaaa ? 16 : 4;
      pkt.writeUInt16BE(rdlen, q + 10);
      for (let j = 0; j < rdlen; j += 4) pkt.writeUInt32BE(rnd(), q + 12 + j);
      q += 12 + rdlen;
    }
    const udpLen = q - (l2 + 20);
    const cp = ephemeral();
    ipv4(l2, 20 + udpLen, 17, outbound ? local : dnsServer, outbound ? dnsServer : local, 64);
    udp(l2 + 20, outbound ? cp : 53, outbound ? 53 : cp, udpLen);
    const frame = Math.max(60, q);
    if (q < frame) pkt.fill(0, q, frame);
    return frame;
  }
  function udpV4(l2, host, outbound) {
    const r = u();
    if (r < 0.5) return dns(l2, host, outbound);
    const local = localV4[host];
    const remote = remoteV4[int(REMOTE)];
    let sp, frame;
    if (r < 0.7) {
      sp = 443; // QUIC
      frame = u() < 0.6 ? range(1250, 1392) : range(60, 100);
    } else if (r < 0.85) {
      sp = 123; // NTP
      frame = l2 + 20 + 8 + 48;
    } else {
      sp = range(1024, 65535);
      frame = dataFrameSize(l2 + 28);
    }
    const cp = sp === 123 ? 123 : ephemeral();
    const udpLen = frame - l2 - 20;
    ipv4(l2, 20 + udpLen, 17, outbound ? local : remote, outbound ? remote : local, 64);
    udp(l2 + 20, outbound ? cp : sp, outbound ? sp : cp, udpLen);
    return frame;
  }
  function ipV6(host, outbound) {
    eth(host, outbound, 0x86dd);
    const localLo = 0x1000 + host;
    const remoteHi = int(65536);
    const remoteLo = rnd();
    const isTcp = u() < 0.6;
    let frame, next;
    if (isTcp) {
      next = 6;
      const r = u();
      const flags = r < 0.05 ? F_SYN : r < 0.45 ? F_ACK : F_PSH | F_ACK;
      const hdrLen = flags === F_SYN ? 40 : 32;
      const min = 14 + 40 + hdrLen;
      frame = flags & F_PSH ? dataFrameSize(min + 1) : min;
      const sp = serverPort();
      const cp = ephemeral();
      tcp(54, outbound ? cp : sp, outbound ? sp : cp, flags, hdrLen);
    } else {
      next = 17;
      const sp = u() < 0.5 ? 123 : 443; // NTP or QUIC (DNS is over IPv4 here)
      const cp = ephemeral();
      frame = sp === 123 ? 110 : dataFrameSize(62);
      udp(54, outbound ? cp : sp, outbound ? sp : cp, frame - 54);
    }
    ipv6(14, frame - 54, next, outbound ? 1 : remoteHi, outbound ? localLo : remoteLo, outbound ? remoteHi : 1,
      outbound ? remoteLo : localLo);
    return frame;
  }
  function icmp(host, outbound) {
    eth(host, outbound, 0x0800);
    const local = localV4[host];
    const remote = remoteV4[int(64)];
    ipv4(14, 84, 1, outbound ? local : remote, outbound ? remote : local, 64);
    pkt[34] = outbound ? 8 : 0; // echo request / reply
    pkt[35] = 0;
    pkt.writeUInt16BE(0, 36);
    pkt.writeUInt16BE(0x1000 + host, 38);
    pkt.writeUInt16BE(int(65536), 40);
    let sum = 0;
    for (let i = 34; i < 98; i += 2) sum += (pkt[i] << 8) | pkt[i + 1];
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    pkt.writeUInt16BE(~sum & 0xffff, 36);
    return 98;
  }
  function arp(host) {
    const request = u() < 0.6;
    const target = localV4[int(LOCAL)];
    if (request) {
      pkt.writeUInt32BE(0xffffffff, 0);
      pkt.writeUInt16BE(0xffff, 4);
    } else macLocal(0, host);
    macLocal(6, request ? host : (host + 1) % LOCAL);
    pkt.writeUInt16BE(0x0806, 12);
    pkt.writeUInt32BE(0x00010800, 14); // Ethernet, IPv4
    pkt.writeUInt16BE(0x0604, 18);
    pkt.writeUInt16BE(request ? 1 : 2, 20);
    macLocal(22, request ? host : (host + 1) % LOCAL);
    pkt.writeUInt32BE(request ? localV4[host] : target, 28);
    if (request) pkt.fill(0, 32, 38);
    else macLocal(32, host);
    pkt.writeUInt32BE(request ? target : localV4[host], 38);
    pkt.fill(0, 42, 60);
    return 60;
  }

  const progressEvery = Math.max(1, Math.floor(packets / 10));
  for (let n = 0; n < packets; n++) {
    const host = int(LOCAL);
    const outbound = u() < 0.5;
    const r = u();
    let frame;
    if (r < 0.7) {
      eth(host, outbound, 0x0800);
      frame = tcpV4(14, host, outbound);
    } else if (r < 0.85) {
      eth(host, outbound, 0x0800);
      frame = udpV4(14, host, outbound);
    } else if (r < 0.9) {
      frame = ipV6(host, outbound);
    } else if (r < 0.95) {
      eth(host, outbound, 0x8100);
      pkt.writeUInt16BE((int(8) << 13) | range(10, 30), 14); // PCP, VID
      pkt.writeUInt16BE(0x0800, 16);
      frame = u() < 0.8 ? tcpV4(18, host, outbound) : udpV4(18, host, outbound);
    } else if (r < 0.98) {
      frame = icmp(host, outbound);
    } else {
      frame = arp(host);
    }
    // Timestamps: strictly increasing, ~40 us apart on average (exponential gaps).
    tsUsec += 1 + Math.floor(-Math.log(1 - u()) * 40);
    if (tsUsec >= 1_000_000) {
      tsSec += Math.floor(tsUsec / 1_000_000);
      tsUsec %= 1_000_000;
    }
    info.tsSec = tsSec;
    info.tsNsec = tsUsec * 1000;
    writer.write(pkt.subarray(0, frame), info);
    if ((n + 1) % progressEvery === 0 && packets >= 1_000_000) log(`  generated ${n + 1} packets`);
  }
  await writer.close();
}

function parseArgs(argv) {
  const opts = { packets: DEFAULT_PACKETS, force: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--packets') opts.packets = Number(argv[++i]);
    else if (a.startsWith('--packets=')) opts.packets = Number(a.slice(10));
    else if (a === '--force') opts.force = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!Number.isInteger(opts.packets) || opts.packets <= 0) throw new Error('--packets must be a positive integer');
  return opts;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const opts = parseArgs(process.argv.slice(2));
  const r = await ensureCapture(opts.packets, { force: opts.force });
  console.log(JSON.stringify(r));
}
