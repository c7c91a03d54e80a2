// The file soak, orchestrated: file-worker.mjs in a fresh process (so its memory figures are
// its own), and an independent count of what it wrote.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const WORKER = join(here, 'file-worker.mjs');

/**
 * Runs file-worker.mjs with { input, output, packets, warmup?, leak? } and resolves with its JSON
 * result. The worker is killed after limitMs (default: an hour, far beyond 10M packets).
 */
export async function runFileSoak({ input, output, packets, warmup, leak, limitMs = 3_600_000 }) {
  const args = [WORKER, '--input', input, '--output', output, '--packets', String(packets)];
  if (warmup !== undefined) args.push('--warmup', String(warmup));
  if (leak) args.push('--leak', leak);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  let result;
  createInterface({ input: child.stdout }).on('line', (line) => {
    const msg = JSON.parse(line);
    if (msg.phase === 'file') result = msg;
  });
  const [code, signal] = await once(child, 'close');
  clearTimeout(killer);
  if (code !== 0 || !result) throw new Error(`file worker exited with ${code ?? signal}: ${stderr.trim()}`);
  return result;
}

/**
 * Packets in a capture file by `capinfos -c -M` when Wireshark's tools are installed, otherwise by
 * re-reading it with pcapkit; resolves with { packets, by }.
 */
export async function countPackets(path) {
  const r = spawnSync('capinfos', ['-c', '-M', path], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  if (!r.error) {
    const m = /Number of packets:\s*(\d+)/.exec(r.stdout);
    if (r.status === 0 && m) return { packets: Number(m[1]), by: 'capinfos -c' };
    throw new Error(`capinfos ${path}: ${r.stderr.trim() || r.stdout.trim()}`);
  }
  const { PCAPReader } = await import(new URL('../../dist/esm/index.mjs', import.meta.url).href);
  let packets = 0;
  for await (const batch of new PCAPReader(path).batches({ recycle: true })) packets += batch.count;
  return { packets, by: 're-read with PCAPReader' };
}
