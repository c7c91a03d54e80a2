// RotatingWriter and sniff -w -C/-G/-W against tcpdump's rotation: names, bytes, rings, and on a
// live loopback burst that no packet is lost or written twice across file boundaries.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PCAPReader, RotatingWriter, PcapError, strftime } from '../dist/esm/index.mjs';
import { corpusFile, corpusSkip, repoRoot } from './support/corpus.mjs';
import { captureSkip, test, tool } from './support/skips.mjs';
import { makeTmpDir } from './support/tmpdir.mjs';

const BIN = join(repoRoot, 'bin', 'pcapkit.js');
const toolsSkip = corpusSkip || tool('tcpdump');

async function rotateFile(input, path, rotate) {
  const r = new PCAPReader(input);
  const w = new RotatingWriter(path, { linktype: r.linktype, snaplen: r.snaplen, precision: r.precision, rotate });
  for await (const b of r.batches()) {
    w.writeBatch(b);
    if (w.finished) break;
  }
  await w.close();
  return w;
}

async function keys(file) {
  const out = [];
  for await (const p of new PCAPReader(file)) out.push(`${p.tsSec}.${p.tsNsec} ${p.data.toString('hex')}`);
  return out;
}

test('fileSize: the files tcpdump -C writes (names and bytes); with files: its -W ring', { skip: toolsSkip }, async () => {
  const dir = makeTmpDir('pcapkit-rotate-');
  const input = corpusFile('many-protocols.pcap');
  const root = process.getuid?.() === 0 ? ['-Z', 'root'] : [];
  execFileSync('tcpdump', [...root, '-r', input, '-w', join(dir, 'td'), '-C', '1'], { stdio: 'ignore' });
  execFileSync('tcpdump', [...root, '-r', input, '-w', join(dir, 'tdring'), '-C', '1', '-W', '2'], { stdio: 'ignore' });
  const w = await rotateFile(input, join(dir, 'pk'), { fileSize: 1_000_000 });
  assert.deepEqual(w.files.map((f) => f.slice(dir.length + 1)), ['pk', 'pk1', 'pk2']);
  for (const s of ['', '1', '2']) assert.ok(readFileSync(join(dir, `pk${s}`)).equals(readFileSync(join(dir, `td${s}`))), `pk${s}`);
  const ring = await rotateFile(input, join(dir, 'pkring'), { fileSize: 1_000_000, files: 2 });
  assert.deepEqual(ring.files.map((f) => f.slice(dir.length + 1)), ['pkring0', 'pkring1']);
  for (const s of ['0', '1']) assert.ok(readFileSync(join(dir, `pkring${s}`)).equals(readFileSync(join(dir, `tdring${s}`))), `ring ${s}`);
  assert.equal(readdirSync(dir).filter((f) => f.startsWith('pkring')).length, 2, 'the ring stays at 2 files');
  // every packet in exactly one of the non-ring files, in order
  const all = [];
  for (const f of w.files) all.push(...(await keys(f)));
  assert.deepEqual(all, await keys(input));
});

test('seconds: a new file once the interval has passed since the file began; with files, it stops', { skip: corpusSkip }, async () => {
  const dir = makeTmpDir('pcapkit-rotate-');
  const input = corpusFile('dns_tcp.pcap');
  const w = await rotateFile(input, join(dir, 'g-%s.pcap'), { seconds: 1 });
  const all = [];
  for (const f of w.files) {
    const ps = await keys(f);
    const t0 = Number(ps[0].split('.')[0]);
    assert.equal(f, join(dir, `g-${t0}.pcap`), 'named by strftime of its first packet');
    for (const p of ps) assert.ok(Number(p.split('.')[0]) - t0 < 1, `${f}: within 1 s of its start`);
    all.push(...ps);
  }
  assert.deepEqual(all, await keys(input));
  assert.ok(w.files.length > 1);
  const two = await rotateFile(corpusFile('many-protocols.pcap'), join(dir, 'h-%s.pcap'), { seconds: 1, files: 2 });
  assert.equal(two.files.length, 2);
  assert.equal(two.finished, true);
  assert.equal(strftime('%Y%m%d-%H%M%S-%s-%%', 0).length, '19700101-000000-0-%'.length);
  assert.throws(() => new RotatingWriter(join(dir, 'x'), { rotate: {} }), (e) => e instanceof PcapError && e.code === 'EINVAL');
});

test('sniff -w FILE -C: a loopback burst lands in whole files whose counts add up to what was captured', { skip: captureSkip() || tool('capinfos', { pkg: 'wireshark-common' }), timeout: 60_000 }, async () => {
  const dir = makeTmpDir('pcapkit-rotate-');
  const sock = dgram.createSocket('udp4');
  await new Promise((r) => sock.bind(0, '127.0.0.1', r));
  const port = sock.address().port;
  const N = 3000;
  const child = spawn(process.execPath, [BIN, 'sniff', '-i', 'lo', '-w', join(dir, 'burst'), '-C', '0.1', '-c', String(N), '--timeout', '20', `udp dst port ${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const listening = new Promise((resolve) => child.stderr.on('data', (d) => { stderr += d; if (stderr.includes('listening on')) resolve(); }));
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  await listening;
  const payload = Buffer.alloc(200, 7);
  for (let i = 0; i < N; i++) {
    sock.send(payload, port, '127.0.0.1');
    if (i % 100 === 99) await new Promise((r) => setTimeout(r, 2));
  }
  const code = await Promise.race([exited, new Promise((r) => setTimeout(() => { child.kill('SIGINT'); r('killed'); }, 30_000))]);
  sock.close();
  if (code === 'killed') await exited;
  const files = readdirSync(dir).filter((f) => f.startsWith('burst')).sort((a, b) => Number(a.slice(5) || 0) - Number(b.slice(5) || 0));
  assert.ok(files.length >= 5, `several files: ${files.join(' ')} ${stderr}`);
  let total = 0;
  for (const f of files) {
    const out = execFileSync('capinfos', ['-c', '-M', join(dir, f)], { encoding: 'utf8' });
    total += Number(/Number of packets:\s+(\d+)/.exec(out)[1]);
  }
  const captured = Number(/(\d[\d,]*) packets? captured/.exec(stderr)?.[1].replace(/,/g, ''));
  assert.equal(total, captured, `the files hold what was captured: ${stderr}`);
  assert.equal(captured, N, stderr);
});
