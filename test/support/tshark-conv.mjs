// tshark as the oracle for analyze(): one tshark run per file gives the per-packet fields
// (stream, length, protocols, TCP analysis flags) and the conversation tables
// (`-z conv,ip|ipv6|tcp|udp`), parsed here. tshark 4.0 prints conversation byte counts rounded
// to whole kB/MB (SI, truncated) once they reach 10 of the unit; tsharkSize() formats a count
// the same way so that both can be compared as text (the per-stream sums give exact bytes).
import { execFileSync, spawn, spawnSync } from 'node:child_process';

export function haveTshark() {
  return spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;
}

// Reassembly off, so that the first fragment carries the transport header as a header
// decoder sees it (see the corpus README); no name resolution.
export const TSHARK_OPTIONS = ['-n', '-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE', '-o', 'tcp.desegment_tcp_streams:FALSE'];

/** Runs tshark; resolves { status, stdout }. Exit status 2 (file cut short) still has output. */
export function runTshark(args) {
  return new Promise((resolve, reject) => {
    const child = spawn('tshark', [...TSHARK_OPTIONS, ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
    const chunks = [];
    child.stdout.on('data', (c) => chunks.push(c));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout: Buffer.concat(chunks).toString('utf8') }));
  });
}

/** A byte count as tshark 4.0's conversation tables print it (format_size, SI units). */
export function tsharkSize(n) {
  for (const [unit, p] of [['TB', 1e12], ['GB', 1e9], ['MB', 1e6], ['kB', 1e3]]) {
    if (Math.floor(n / p) >= 10) return `${Math.floor(n / p)} ${unit}`;
  }
  return `${n} bytes`;
}

function splitEndpoint(s, withPort) {
  if (!withPort) return { address: s };
  const i = s.lastIndexOf(':');
  return { address: s.slice(0, i), port: Number(s.slice(i + 1)) };
}

const SECTIONS = { 'IPv4 Conversations': 'ip', 'IPv6 Conversations': 'ipv6', 'TCP Conversations': 'tcp', 'UDP Conversations': 'udp' };
const SIZE = '(\\d+ (?:bytes|kB|MB|GB|TB))';
const ROW = new RegExp(`^(\\S+)\\s+<->\\s+(\\S+)\\s+(\\d+)\\s+${SIZE}\\s+(\\d+)\\s+${SIZE}\\s+(\\d+)\\s+${SIZE}\\s+(\\S+)\\s+(\\S+)\\s*$`);

/**
 * The conversation tables in tshark's output: { ip, ipv6, tcp, udp } of rows { a, b, aToB,
 * bToA, total: {frames, bytes (text)}, start, duration }. In tshark 4.0 the "<-" columns count
 * B to A and the "->" columns A to B.
 */
export function parseConversations(text) {
  const out = { ip: [], ipv6: [], tcp: [], udp: [] };
  let kind;
  for (const line of text.split('\n')) {
    const title = line.trim();
    if (SECTIONS[title]) {
      kind = SECTIONS[title];
      continue;
    }
    const m = kind && ROW.exec(line);
    if (!m) continue;
    const withPort = kind === 'tcp' || kind === 'udp';
    out[kind].push({
      a: splitEndpoint(m[1], withPort),
      b: splitEndpoint(m[2], withPort),
      bToA: { frames: Number(m[3]), bytes: m[4] },
      aToB: { frames: Number(m[5]), bytes: m[6] },
      total: { frames: Number(m[7]), bytes: m[8] },
      start: Number(m[9]),
      duration: Number(m[10]),
    });
  }
  return out;
}

const FIELDS = [
  'frame.number',
  'frame.len',
  'frame.protocols',
  'tcp.stream',
  'ip.src',
  'ipv6.src',
  'tcp.srcport',
  'ip.dst',
  'ipv6.dst',
  'tcp.dstport',
  'tcp.analysis.retransmission',
  'tcp.analysis.out_of_order',
  'tcp.len',
];

/**
 * Everything for one file in one tshark run: { status, frames: [{number, len, protocols,
 * stream, src, sport, dst, dport, retransmission, outOfOrder, analysed}], conversations }.
 * `exclude`: frame numbers left out of the fields and the conversation tables.
 */
export async function tsharkAnalysis(file, { exclude = [] } = {}) {
  const args = ['-r', file, '-T', 'fields', '-E', 'occurrence=f', '-E', 'separator=\t'];
  for (const f of FIELDS) args.push('-e', f);
  const filter = exclude.length ? `!(frame.number in {${exclude.join(',')}})` : '';
  if (filter) args.push('-Y', filter);
  for (const k of ['ip', 'ipv6', 'tcp', 'udp']) args.push('-z', filter ? `conv,${k},${filter}` : `conv,${k}`);
  const { status, stdout } = await runTshark(args);
  const frames = [];
  const lines = stdout.split('\n');
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('====')) break;
    if (!line) continue;
    const f = line.split('\t');
    if (f.length < FIELDS.length || !/^\d+$/.test(f[0])) continue;
    frames.push({
      number: Number(f[0]),
      len: Number(f[1]),
      protocols: f[2].split(':'),
      stream: f[3] === '' ? undefined : Number(f[3]),
      src: f[4] || f[5],
      sport: f[6] === '' ? undefined : Number(f[6]),
      dst: f[7] || f[8],
      dport: f[9] === '' ? undefined : Number(f[9]),
      retransmission: f[10] !== '',
      outOfOrder: f[11] !== '',
      /** tshark knew the segment length, so it analysed the sequence numbers. */
      analysed: f[12] !== '',
    });
  }
  return { status, frames, conversations: parseConversations(lines.slice(i).join('\n')) };
}

/** A key for an unordered endpoint pair. */
export function pairKey(x, y) {
  const s = (e) => (e.port === undefined ? e.address : `${e.address}#${e.port}`);
  const [p, q] = [s(x), s(y)].sort();
  return `${p}|${q}`;
}

/**
 * Rows of `tshark -r FILE -q -z conv,KIND[,FILTER]` (KIND: ip, ipv6, tcp or udp), synchronously;
 * the row shape is parseConversations'. Used by the examples, analyze and CLI stats tests.
 */
export function tsharkConversations(file, kind, filter) {
  const out = execFileSync('tshark', [...TSHARK_OPTIONS, '-r', file, '-q', '-z', filter ? `conv,${kind},${filter}` : `conv,${kind}`], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 256 << 20,
  });
  return parseConversations(out)[kind];
}

/**
 * `tshark -q -z io,phs -r FILE` as a Map from a layer path in pcapkit's names ('eth/ipv4/tcp':
 * tshark's 'ip' is 'ipv4') to { frames, bytes }. Synchronous.
 */
export function tsharkHierarchy(file) {
  const out = execFileSync('tshark', [...TSHARK_OPTIONS, '-r', file, '-q', '-z', 'io,phs'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 64 << 20,
  });
  const rows = new Map();
  const stack = [];
  for (const line of out.split('\n')) {
    const m = /^( *)(\S+)\s+frames:(\d+) bytes:(\d+)\s*$/.exec(line);
    if (!m) continue;
    const depth = m[1].length / 2;
    stack.length = depth;
    stack.push(m[2] === 'ip' ? 'ipv4' : m[2]);
    rows.set(stack.join('/'), { frames: Number(m[3]), bytes: Number(m[4]) });
  }
  return rows;
}

/** How many frames of FILE match the display filter (`tshark -r FILE -Y FILTER`). Synchronous. */
export function tsharkCount(file, filter) {
  const out = execFileSync('tshark', [...TSHARK_OPTIONS, '-r', file, '-Y', filter, '-T', 'fields', '-e', 'frame.number'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 64 << 20,
  });
  return out.split('\n').filter((l) => /^\d+$/.test(l)).length;
}
