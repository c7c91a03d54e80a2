// The oracles: tcpdump (libpcap 1.10.3), tshark and capinfos, run at test time with
// child_process, and parsers for what they print. Expected values in the tests come from here,
// never from constants written into the tests.
import { spawnSync } from 'node:child_process';
import { oracleToolsSkip } from './skips.mjs';

const MAX_BUFFER = 512 << 20;

/**
 * Runs a tool and returns { status, stdout: Buffer, stderr: string } whatever its exit status
 * (several oracles exit non-zero on damaged files after printing what they could read).
 */
export function run(cmd, args, { input } = {}) {
  const r = spawnSync(cmd, args, { input, maxBuffer: MAX_BUFFER, env: { ...process.env, LC_ALL: 'C' } });
  if (r.error) throw r.error;
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

/** false when tcpdump, tshark and capinfos are all installed, otherwise the reason (skips.mjs). */
export const toolsSkip = oracleToolsSkip();

// tcpdump's stderr: "reading from file F, link-type EN10MB (Ethernet), snapshot length 262144"
// and, when something fails, "tcpdump: [pcap_loop: ]<libpcap's message>".
function parseTcpdumpStderr(stderr) {
  const info = {};
  // (for a link type libpcap has no name for: "link-type 160, snapshot length 102400")
  const m = /link-type (\S+)(?: \((.*)\))?, snapshot length (\d+)/.exec(stderr);
  if (m) {
    if (/^\d+$/.test(m[1])) {
      info.linktype = Number(m[1]);
    } else {
      info.linktypeName = m[1];
      info.linktypeDescription = m[2];
    }
    info.snaplen = Number(m[3]);
  }
  const errLine = stderr
    .split('\n')
    .filter((l) => l.startsWith('tcpdump: '))
    .pop();
  if (errLine !== undefined) info.error = errLine.replace(/^tcpdump: /, '').replace(/^pcap_loop: /, '');
  return info;
}

/**
 * Per-packet timestamps as libpcap hands them to tcpdump: `tcpdump -# -tt -n -r FILE`
 * (plus --nano when asked). `-#` numbers the packets, so a packet line is recognised by its
 * number being the next one expected, which keeps the odd multi-line printer output from being
 * mistaken for a packet.
 *
 * tcpdump prints `%u.%06u` / `%u.%09u` of the (unsigned 32-bit) tv_sec / tv_usec libpcap
 * returned, and "[Error converting time]" when tv_sec has its top bit set.
 *
 * Returns { packets: [{ sec: bigint, frac: bigint, digits: number } | null], status, linktypeName,
 * snaplen, error? }; `null` stands for "[Error converting time]".
 */
export function tcpdumpTimestamps(file, { nano = false } = {}) {
  const args = ['-#', '-tt', '-n', '-r', file];
  if (nano) args.push('--nano');
  const r = run('tcpdump', args);
  const packets = [];
  for (const line of r.stdout.toString('latin1').split('\n')) {
    const m = /^\s*(\d+)\s{2}(?:(\d+)\.(\d+)|(\[Error converting time\])) /.exec(line);
    if (!m || Number(m[1]) !== packets.length + 1) continue;
    packets.push(m[4] ? null : { sec: BigInt(m[2]), frac: BigInt(m[3]), digits: m[3].length });
  }
  return { packets, status: r.status, ...parseTcpdumpStderr(r.stderr) };
}

/**
 * Parses a classic pcap file (as libpcap's pcap_dump writes it). Strict: throws when bytes are
 * left over, so a short or garbled dump cannot pass for a valid one.
 */
export function parsePcap(buf) {
  if (buf.length < 24) throw new Error(`pcap too short: ${buf.length} bytes`);
  const magicLE = buf.readUInt32LE(0);
  let le;
  let nano;
  if (magicLE === 0xa1b2c3d4 || magicLE === 0xa1b23c4d) {
    le = true;
    nano = magicLE === 0xa1b23c4d;
  } else {
    const magicBE = buf.readUInt32BE(0);
    if (magicBE !== 0xa1b2c3d4 && magicBE !== 0xa1b23c4d) throw new Error('not a pcap file');
    le = false;
    nano = magicBE === 0xa1b23c4d;
  }
  const u16 = (o) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const u32 = (o) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const header = {
    littleEndian: le,
    nano,
    versionMajor: u16(4),
    versionMinor: u16(6),
    snaplen: u32(16),
    linktype: u32(20),
  };
  const records = [];
  let o = 24;
  while (o < buf.length) {
    if (o + 16 > buf.length) throw new Error(`pcap: record header cut at byte ${o}`);
    const caplen = u32(o + 8);
    if (o + 16 + caplen > buf.length) throw new Error(`pcap: record data cut at byte ${o}`);
    records.push({
      tsSec: u32(o),
      tsFrac: u32(o + 4),
      caplen,
      len: u32(o + 12),
      data: buf.subarray(o + 16, o + 16 + caplen),
    });
    o += 16 + caplen;
  }
  return { header, records };
}

/**
 * libpcap's own view of every packet header and its bytes: `tcpdump -r FILE -w -` makes
 * libpcap read the file and pcap_dump() each packet, which writes libpcap's struct pcap_pkthdr
 * (caplen, len) and the captured bytes verbatim. On a damaged file tcpdump exits 1 after
 * dumping every packet libpcap could read (stdio is flushed on exit).
 */
export function tcpdumpDump(file, { nano = false, expr } = {}) {
  const args = ['-r', file, '-w', '-'];
  if (nano) args.push('--nano');
  if (expr !== undefined) args.push(expr);
  const r = run('tcpdump', args);
  const info = parseTcpdumpStderr(r.stderr);
  const parsed = r.stdout.length > 0 ? parsePcap(r.stdout) : { header: undefined, records: [] };
  return { ...parsed, raw: r.stdout, status: r.status, ...info };
}

/** `tcpdump -r IN -w OUT [--nano] EXPR`: { status, error? }. */
export function tcpdumpFilter(input, output, expr, { nano = false } = {}) {
  const args = ['-r', input, '-w', output];
  if (nano) args.push('--nano');
  if (expr !== '') args.push(expr);
  const r = run('tcpdump', args);
  return { status: r.status, ...parseTcpdumpStderr(r.stderr) };
}

/** Packet count according to `capinfos -c -M` (null when capinfos cannot read the file). */
export function capinfosCount(file) {
  const r = run('capinfos', ['-c', '-M', file]);
  const m = /Number of packets:\s*(\d+)/.exec(r.stdout.toString('utf8'));
  return { count: m ? Number(m[1]) : null, status: r.status, stderr: r.stderr };
}

/**
 * `tshark -r FILE -T fields -e F1 -e F2 ...`: one array of strings per packet. tshark exits 2
 * on a file cut short after printing the packets it read; the caller sees the status.
 */
export function tsharkFields(file, fields, extraArgs = []) {
  const args = ['-n', '-r', file, '-T', 'fields', '-E', 'separator=\t', ...extraArgs];
  for (const f of fields) args.push('-e', f);
  const r = run('tshark', args);
  const rows = r.stdout
    .toString('utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split('\t'));
  return { rows, status: r.status, stderr: r.stderr };
}

/** Seconds and nanoseconds of tshark's frame.time_epoch ("S.NNNNNNNNN", 9 decimals). */
export function parseEpoch(s) {
  const m = /^(-?\d+)\.(\d{9})$/.exec(s);
  if (!m) throw new Error(`unexpected frame.time_epoch ${JSON.stringify(s)}`);
  return { sec: BigInt(m[1]), nsec: BigInt(m[2]) };
}

/** The comparison key of a timestamp: `${sec}.${nsec padded to 9 digits}`. */
export function tsKey(sec, nsec) {
  return `${sec}.${String(nsec).padStart(9, '0')}`;
}

/**
 * `capinfos -M -t -E -l -c FILE`: { type ('pcap' | 'nsecpcap' | ...), encapsulation ('ether',
 * 'rawip', 'linux-sll', ...), snaplen, count, status }.
 */
export function capinfosInfo(file) {
  const r = run('capinfos', ['-M', '-t', '-E', '-l', '-c', file]);
  const text = r.stdout.toString('utf8');
  const field = (re) => {
    const m = re.exec(text);
    return m ? m[1].trim() : undefined;
  };
  const snap = field(/Packet size limit:\s*file hdr: (\d+)/);
  const count = field(/Number of packets:\s*(\d+)/);
  return {
    type: field(/File type:\s*(.*)/),
    encapsulation: field(/File encapsulation:\s*(.*)/),
    snaplen: snap === undefined ? undefined : Number(snap),
    count: count === undefined ? undefined : Number(count),
    status: r.status,
    stderr: r.stderr,
  };
}
