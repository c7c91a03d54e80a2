// Runs tshark's conversation statistics (`tshark -q -z conv,ip|ipv6|tcp|udp`) and parses the
// table, for comparing analyze() with tshark. tshark 4.0 prints byte counts rounded to whole
// kB/MB (SI, truncated) once they reach 10 of the unit; tsharkSize() formats a count the same
// way so that both can be compared as text.
import { execFileSync, spawnSync } from 'node:child_process';

export function haveTshark() {
  return spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;
}

// Reassembly off, so that the first fragment carries the transport header as a header
// decoder sees it (see the corpus README), and no name resolution.
export const TSHARK_OPTIONS = ['-n', '-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE', '-o', 'tcp.desegment_tcp_streams:FALSE'];

export function tshark(args) {
  return execFileSync('tshark', [...TSHARK_OPTIONS, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 256 << 20,
  });
}

const UNIT = { bytes: 1, kB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12 };

/** A byte count as tshark 4.0's conversation table prints it (format_size, SI units). */
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

/**
 * Rows of `tshark -r FILE -q -z conv,KIND`: { a, b, bToA: {frames, bytes}, aToB, total,
 * start, duration }; bytes are tshark's text ('518 kB'). In tshark 4.0 the "<-" columns count
 * B to A, the "->" columns A to B.
 */
export function tsharkConversations(file, kind) {
  const out = tshark(['-r', file, '-q', '-z', `conv,${kind}`]);
  const withPort = kind === 'tcp' || kind === 'udp';
  const size = '(\\d+ (?:bytes|kB|MB|GB|TB))';
  const re = new RegExp(`^(\\S+)\\s+<->\\s+(\\S+)\\s+(\\d+)\\s+${size}\\s+(\\d+)\\s+${size}\\s+(\\d+)\\s+${size}\\s+(\\S+)\\s+(\\S+)\\s*$`);
  const rows = [];
  for (const line of out.split('\n')) {
    const m = re.exec(line);
    if (!m) continue;
    rows.push({
      a: splitEndpoint(m[1], withPort),
      b: splitEndpoint(m[2], withPort),
      bToA: { frames: Number(m[3]), bytes: m[4] },
      aToB: { frames: Number(m[5]), bytes: m[6] },
      total: { frames: Number(m[7]), bytes: m[8] },
      start: Number(m[9]),
      duration: Number(m[10]),
    });
  }
  return rows;
}

/** A key for an unordered endpoint pair. */
export function pairKey(x, y) {
  const s = (e) => (e.port === undefined ? e.address : `${e.address}#${e.port}`);
  const [p, q] = [s(x), s(y)].sort();
  return `${p}|${q}`;
}

/** Frame numbers (1-based) that match a display filter. */
export function tsharkFrames(file, displayFilter) {
  const out = tshark(['-r', file, '-Y', displayFilter, '-T', 'fields', '-e', 'frame.number']);
  return out.split('\n').filter(Boolean).map(Number);
}

export { UNIT };
