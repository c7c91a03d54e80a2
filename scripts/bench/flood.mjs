// Capture benchmark: a loopback UDP flood (flood.c, bounded in time, 127.0.0.1 only) captured
// at the same time by tcpdump and by pcapkit. Reports, per round and as medians, what each
// captured and what the kernel dropped for each; pcapkit should capture >= 98% of what
// tcpdump captures with no more kernel drops. Needs root (skips otherwise).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const dataDir = join(root, 'bench-data');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const rounds = opt('rounds', 5);
const seconds = opt('seconds', 3);
const pps = opt('pps', 0); // 0: as fast as the sender can
const size = opt('size', 200);

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function waitExit(child) {
  return new Promise((res) => child.on('exit', (code, sig) => res({ code, sig })));
}

function collect(stream) {
  let s = '';
  stream.setEncoding('utf8');
  stream.on('data', (d) => (s += d));
  return () => s;
}

const captureScript = `
import { PCAPSocket } from ${JSON.stringify(join(root, 'dist/esm/index.mjs'))};
const sock = new PCAPSocket('lo', { filter: process.argv[2], timeout: 100, bufferSize: 2 * 1024 * 1024 });
let n = 0;
process.on('SIGTERM', () => { const st = sock.stats(); sock.close(); process.stdout.write(JSON.stringify({ n, ...st }) + '\\n'); });
process.stdout.write('ready\\n');
for await (const b of sock.batches()) n += b.count;
`;

async function round(i, floodBin, scriptPath) {
  const port = 42000 + i;
  const filter = `udp dst port ${port}`;
  const td = spawn('tcpdump', ['-i', 'lo', '-n', '-B', '2048', '-w', '/dev/null', filter], { stdio: ['ignore', 'ignore', 'pipe'] });
  const tdErr = collect(td.stderr);
  const pk = spawn(process.execPath, [scriptPath, filter], { stdio: ['ignore', 'pipe', 'inherit'] });
  const pkOut = collect(pk.stdout);
  const t0 = Date.now();
  while (!(pkOut().includes('ready') && tdErr().includes('listening')) && Date.now() - t0 < 10_000) {
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 300));
  const sent = Number(execFileSync(floodBin, [String(port), String(seconds), String(pps), String(size)], { encoding: 'utf8', timeout: (seconds + 10) * 1000 }).trim());
  await new Promise((r) => setTimeout(r, 1500)); // let both drain their buffers
  td.kill('SIGINT');
  pk.kill('SIGTERM');
  await Promise.all([waitExit(td), waitExit(pk)]);
  const m = /(\d+) packets captured[\s\S]*?(\d+) packets dropped by kernel/.exec(tdErr());
  const tcpdump = { captured: m ? Number(m[1]) : NaN, dropped: m ? Number(m[2]) : NaN };
  const line = pkOut().split('\n').find((l) => l.startsWith('{'));
  const p = line ? JSON.parse(line) : { n: NaN, dropped: NaN };
  return { sent, tcpdump, pcapkit: { captured: p.n, dropped: p.dropped } };
}

async function main() {
  if (process.getuid?.() !== 0) {
    console.log('flood bench: skipped (capturing needs root)');
    return;
  }
  mkdirSync(dataDir, { recursive: true });
  const floodBin = join(dataDir, 'flood');
  execFileSync('cc', ['-O2', '-o', floodBin, join(here, 'flood.c')]);
  const scriptPath = join(dataDir, 'flood-capture.mjs');
  writeFileSync(scriptPath, captureScript);
  console.log(`capture bench: loopback UDP flood, ${seconds} s at ${pps ? `up to ${pps} pps` : 'full speed (no rate limit)'}, ${size}-byte payloads, ${rounds} rounds; tcpdump and pcapkit capture at the same time`);
  const results = [];
  for (let i = 0; i < rounds; i++) {
    const r = await round(i, floodBin, scriptPath);
    results.push(r);
    console.log(
      `round ${i + 1}: sent ${r.sent}; tcpdump captured ${r.tcpdump.captured} (kernel dropped ${r.tcpdump.dropped}); ` +
        `pcapkit captured ${r.pcapkit.captured} (kernel dropped ${r.pcapkit.dropped}); ratio ${(r.pcapkit.captured / r.tcpdump.captured).toFixed(4)}`,
    );
  }
  const ratio = median(results.map((r) => r.pcapkit.captured / r.tcpdump.captured));
  const dropT = median(results.map((r) => r.tcpdump.dropped));
  const dropP = median(results.map((r) => r.pcapkit.dropped));
  console.log(`median captured ratio pcapkit/tcpdump: ${ratio.toFixed(4)} (goal >= 0.98) ${ratio >= 0.98 ? 'PASS' : 'MISS'}`);
  console.log(`median kernel drops: tcpdump ${dropT}, pcapkit ${dropP} (goal: pcapkit <= tcpdump) ${dropP <= dropT ? 'PASS' : 'MISS'}`);
  writeFileSync(join(dataDir, 'flood-results.json'), JSON.stringify({ seconds, pps, size, results, ratio, dropT, dropP }, null, 2));
}

await main();
