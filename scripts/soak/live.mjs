// The live soak, orchestrated: a live-worker.mjs capturing on lo for SECONDS while
// scripts/bench/flood.c sends UDP to 127.0.0.1:PORT at up to PPS datagrams per second, in runs
// of at most 30 s (flood.c's own bound) until shortly before the capture closes.
//
// By default both run in a private network namespace (its own lo, 127.0.0.1), so minutes of
// flood are not seen by other captures on the machine and the soak's capture sees nothing else;
// `netns: false` uses the host's lo. Needs root either way (capturing; creating the namespace).
import { execFile, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const FLOOD_SOURCE = resolve(here, '../bench/flood.c');
const WORKER = join(here, 'live-worker.mjs');
const FLOOD_MAX_RUN = 30; // seconds; flood.c refuses longer runs
const FLOOD_TAIL = 2; // seconds of quiet before the capture closes, so the last blocks drain
const run = promisify(execFile);

/** false when the live soak can run here, otherwise the reason it cannot. */
export function liveSkipReason({ netns = true } = {}) {
  if (process.platform !== 'linux') return 'the live soak is Linux-only';
  if (process.getuid?.() !== 0) {
    return `needs root: capturing on lo${netns ? ' and creating a network namespace' : ''} (run as root, as CI does)`;
  }
  if (netns && spawnSync('ip', ['-V']).status !== 0) return 'needs ip (iproute2) for the network namespace';
  if (spawnSync('cc', ['--version']).status !== 0) return 'needs a C compiler (cc) to build scripts/bench/flood.c';
  return false;
}

/** Compiles flood.c into DIR (as scripts/bench/flood.mjs does) and returns the binary's path. */
export function compileFlood(dir) {
  const bin = join(dir, 'flood');
  const r = spawnSync('cc', ['-O2', '-o', bin, FLOOD_SOURCE], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`cc flood.c: ${r.stderr || r.error?.message}`);
  return bin;
}

function ip(args) {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim() || r.error?.message}`);
}

/** argv prefix that runs a command in namespace NS (none for the host). */
const inNs = (ns) => (ns ? ['ip', 'netns', 'exec', ns] : []);

/**
 * Runs the live soak and resolves with { worker (the worker's JSON result), sent, floodRuns,
 * floodSeconds, pps, size, namespace }. Every child is bounded in time; the namespace is removed
 * whatever happens.
 */
export async function runLiveSoak({ seconds, pps = 100_000, size = 200, netns = true, floodBin, log = () => {} }) {
  if (!floodBin) throw new Error('runLiveSoak: floodBin is required (compileFlood)');
  // The pk<pid> prefix lets test/support/netns.mjs recognise a leftover of a killed run.
  const ns = netns ? `pk${process.pid}soak` : null;
  const port = netns ? 42600 : 40000 + Math.floor(Math.random() * 10000);
  if (ns) {
    ip(['netns', 'add', ns]);
  }
  let child;
  try {
    if (ns) ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    const argv = [...inNs(ns), process.execPath, WORKER, '--seconds', String(seconds), '--port', String(port)];
    child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    const killer = setTimeout(() => child.kill('SIGKILL'), (seconds + 60) * 1000);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const lines = [];
    let onReady;
    const ready = new Promise((r) => (onReady = r));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const msg = JSON.parse(line);
      if (msg.event === 'ready') onReady(true);
      else lines.push(msg);
    });
    const exited = once(child, 'close'); // 'close': stdout fully read too
    exited.then(() => onReady(false));
    const readyTimer = setTimeout(() => onReady(false), 15_000);
    const isReady = await ready;
    clearTimeout(readyTimer);
    if (!isReady) throw new Error(`live worker did not start: ${stderr.trim()}`);
    log(`capturing on ${ns ? `lo of namespace ${ns}` : 'lo'} for ${seconds} s, flooding udp 127.0.0.1:${port} at ${pps || 'unlimited'} pps`);

    // Flood in runs of at most 30 s until FLOOD_TAIL seconds before the capture closes.
    const floodEnd = performance.now() + (seconds - FLOOD_TAIL) * 1000;
    let sent = 0;
    let floodRuns = 0;
    let floodSeconds = 0;
    let workerGone = false;
    exited.then(() => (workerGone = true));
    for (;;) {
      const left = (floodEnd - performance.now()) / 1000;
      if (left < 0.5 || workerGone) break;
      const chunk = Math.min(FLOOD_MAX_RUN, left);
      const argvF = [...inNs(ns), floodBin, String(port), chunk.toFixed(2), String(pps), String(size)];
      const { stdout } = await run(argvF[0], argvF.slice(1), { timeout: Math.ceil((chunk + 15) * 1000) });
      sent += Number(stdout.trim());
      floodRuns++;
      floodSeconds += chunk;
      log(`  flood run ${floodRuns}: ${stdout.trim()} datagrams in ${chunk.toFixed(1)} s`);
    }
    const [code, signal] = await exited;
    clearTimeout(killer);
    if (code !== 0) throw new Error(`live worker exited with ${code ?? signal}: ${stderr.trim()}`);
    const worker = lines.find((l) => l.phase === 'live');
    if (!worker) throw new Error(`live worker printed no result: ${stderr.trim()}`);
    return { worker, sent, floodRuns, floodSeconds: Math.round(floodSeconds * 10) / 10, pps, size, namespace: ns };
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (ns) spawnSync('ip', ['netns', 'del', ns], { timeout: 10_000 });
  }
}
