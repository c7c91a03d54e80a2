// Locates the shared real-capture corpus (../shared/corpus relative to the repository root)
// and parses its manifest. Tests that need the corpus pass `{ skip: corpusSkip }` (from
// skips.mjs, re-exported here): false when the corpus is there, otherwise a reason that skips the
// test, or fails it in strict mode.
//
// The corpus is only ever read in place; nothing from it is copied into the project.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusDir, corpusSkip, repoRoot } from './skips.mjs';

export { corpusDir, corpusSkip, repoRoot };
export const pcapsDir = join(corpusDir, 'pcaps');
const manifestPath = join(corpusDir, 'manifest.tsv');

/** Absolute path of a corpus file. */
export function corpusFile(name) {
  return join(pcapsDir, name);
}

let cache;

/**
 * Rows of manifest.tsv as objects keyed by column name, plus parsed fields:
 *   libpcap: { kind: 'ok' | 'OPEN_ERROR' | 'READ_ERROR', after?: number, message?: string }
 *   libpcapPackets: number
 * Returns [] when the corpus is absent.
 */
export function loadManifest() {
  if (corpusSkip) return [];
  if (cache) return cache;
  const lines = readFileSync(manifestPath, 'utf8').split('\n').filter((l) => l.length > 0);
  const columns = lines[0].split('\t');
  cache = lines.slice(1).map((line) => {
    const cells = line.split('\t');
    const row = {};
    columns.forEach((c, i) => {
      row[c] = cells[i] ?? '';
    });
    row.libpcap = parseLibpcapStatus(row.libpcap_status);
    row.libpcapPackets = Number(row.libpcap_packets);
    row.path = corpusFile(row.name);
    return row;
  });
  return cache;
}

/** The manifest row of one file (throws when the manifest does not list it). */
export function manifestRow(name) {
  const row = loadManifest().find((r) => r.name === name);
  if (!row) throw new Error(`corpus manifest has no row for ${name}`);
  return row;
}

// "ok" | "OPEN_ERROR: msg" | "READ_ERROR after N pkts: msg"
function parseLibpcapStatus(s) {
  if (s === 'ok') return { kind: 'ok' };
  let m = /^OPEN_ERROR: (.*)$/.exec(s);
  if (m) return { kind: 'OPEN_ERROR', message: m[1] };
  m = /^READ_ERROR after (\d+) pkts: (.*)$/.exec(s);
  if (m) return { kind: 'READ_ERROR', after: Number(m[1]), message: m[2] };
  throw new Error(`unrecognised libpcap_status in manifest: ${s}`);
}
