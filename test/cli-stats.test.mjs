// `pcapkit stats`, run for real (node bin/pcapkit.js stats ...) on a capture the test writes
// with pcapkit's builders: text summary, --json (the same analysis as analyze()), --html,
// -f filters (checked against tcpdump's count), damaged files, errors, and the progress bar
// (only on a terminal).
import { before } from 'node:test';
import { test, tool } from './support/skips.mjs';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { analyze } from '../dist/esm/index.mjs';
import { makeTmpDir } from './support/tmpdir.mjs';
import { repoRoot } from './support/corpus.mjs';
import { expected, writeTrafficCapture } from './support/analyze-fixtures.mjs';

const BIN = join(repoRoot, 'bin', 'pcapkit.js');
const dir = makeTmpDir('pcapkit-cli-stats-');
const tcpdumpSkip = tool('tcpdump');
const scriptSkip = tool('script', { status: true, pkg: 'util-linux' });

let file;
before(async () => {
  file = join(dir, 'traffic.pcap');
  await writeTrafficCapture(file);
});

function run(args, options = {}) {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 64 << 20, ...options }, (err, stdout, stderr) => {
      resolve({ code: err ? err.code : 0, stdout, stderr });
    });
  });
}

test('text summary: totals, hierarchy, applications, top conversations, TCP diagnoses', async () => {
  const r = await run(['stats', file]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  const out = r.stdout;
  const a = await analyze(file);
  assert.match(out, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: ${a.packets} packets, `));
  assert.match(out, /6 host pairs, 11 conversations \(5-tuples\), 2 non-IP packets/);
  assert.match(out, /TCP: 38 segments, 4 retransmissions \(1 fast, 1 spurious\), 1 out of order, 1 previous segment not captured, 3 duplicate ACKs/);
  assert.match(out, /\nProtocol hierarchy\n/);
  assert.match(out, /\n {6}tcp +32 /);
  assert.match(out, /\nApplications\n/);
  assert.match(out, /\n {2}DNS +10 +770 bytes +5\.5% +5 +2\.00 s ± 0\.00 ms\n/);
  // the top host pair and its counts each way
  const hostsPart = out.split('Top conversations (host pairs, by bytes)\n')[1];
  const firstHost = hostsPart.split('\n')[1];
  const top = a.topConversations(1).hostPairs[0];
  assert.deepEqual([top.a.address, top.b.address], expected.topHostPair);
  assert.match(firstHost, new RegExp(`^ {2}${top.a.address} +<-> +${top.b.address} +${top.packets} +${top.aToB.packets} +${top.bToA.packets} `));
  assert.match(firstHost, / HTTP +4 +1$/);
  const flowsPart = out.split('Top conversations (5-tuples, by bytes)\n')[1];
  assert.match(flowsPart.split('\n')[1], /^ {2}tcp +10\.0\.0\.1:40000 +<-> +10\.0\.0\.2:80 +HTTP +25 /);
  assert.match(flowsPart, /\[2001:db8::1\]:41000 +<-> +\[2001:db8::443\]:443 +TLS/);
  // no control characters when not on a terminal
  assert.doesNotMatch(out + r.stderr, /\x1b/);
  // --top limits the tables
  const top1 = await run(['stats', file, '--top', '1']);
  assert.equal(top1.stdout.split('Top conversations (host pairs, by bytes)\n')[1].split('\n\n')[0].split('\n').length, 2);
});

test('--json is the analysis analyze() gives, every conversation included', async () => {
  const r = await run(['stats', file, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  const a = JSON.parse(JSON.stringify(await analyze(file)));
  assert.deepEqual(j, a);
  assert.equal(j.conversations.flows.length, 11);
  assert.equal(j.tcp.retransmissions, expected.retransmissions);
  const b = JSON.parse((await run(['stats', file, '--json', '--bucket', '5'])).stdout);
  assert.equal(b.dataSeries.bucket, 5);
  assert.equal(b.dataSeries.times.length, 3);
});

test('--html writes the self-contained report; the input is never overwritten', async () => {
  const out = join(dir, 'report.html');
  const r = await run(['stats', file, '--html', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /stats: wrote .*report\.html/);
  const html = fs.readFileSync(out, 'utf8');
  assert.match(html, /<svg id="bytes-chart"/);
  assert.match(html, /<td>10\.0\.0\.1<\/td><td>10\.0\.0\.2<\/td>/);
  JSON.parse(r.stdout); // JSON still on stdout
  const before = fs.readFileSync(file);
  const same = await run(['stats', file, '--html', file]);
  assert.equal(same.code, 1);
  assert.match(same.stderr, /EINVAL: .*the output file is the input file/);
  assert.deepEqual(fs.readFileSync(file), before);
});

test('-f filters like tcpdump', { skip: tcpdumpSkip }, async () => {
  for (const expr of [['udp', 'port', '53'], ['tcp'], ['ip6'], ['not', 'arp']]) {
    const want = spawnSync('tcpdump', ['-r', file, '-nn', ...expr], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).length;
    const r = await run(['stats', file, '--json', '-f', ...expr]);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.packets, want, expr.join(' '));
    assert.equal(j.source.filter, expr.join(' '));
  }
  const text = await run(['stats', file, '-f', 'udp', 'port', '53']);
  assert.match(text.stdout, /\n {2}filter: udp port 53\n/);
});

test('a damaged file: the packets before the damage are summarized, exit 2', async () => {
  const cut = join(dir, 'cut.pcap');
  const whole = fs.readFileSync(file);
  fs.writeFileSync(cut, whole.subarray(0, whole.length - 20));
  const r = await run(['stats', cut]);
  assert.equal(r.code, 2);
  assert.match(r.stdout, /: 55 packets, /);
  assert.match(r.stderr, /is damaged after 55 packets\npcapkit: ETRUNCATED: /);
  const j = await run(['stats', cut, '--json']);
  assert.equal(j.code, 2);
  assert.equal(JSON.parse(j.stdout).error.code, 'ETRUNCATED');
});

test('errors: missing file, bad filter, bad options', async () => {
  const missing = await run(['stats', join(dir, 'nope.pcap')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^pcapkit: ENOENT: /);
  const bad = await run(['stats', file, '-f', 'tcp', 'and']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /EFILTER/);
  const top = await run(['stats', file, '--top', '0']);
  assert.equal(top.code, 64);
  assert.match(top.stderr, /--top must be a positive whole number/);
  const none = await run(['stats']);
  assert.equal(none.code, 64);
});

test('stats reads standard input', async () => {
  const r = await new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, 'stats', '-', '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? err.code : 0, stdout, stderr }),
    );
    fs.createReadStream(file).pipe(child.stdin);
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).packets, 56);
});

test('a progress bar on a terminal, cleared before the summary', { skip: scriptSkip }, () => {
  // script(1) runs the command on a pseudo-terminal
  const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} stats ${JSON.stringify(file)} --top 1`;
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /stats [█░]+ +\d+% \| /);
  const quiet = spawnSync('script', ['-qec', `${cmd} -q`, '/dev/null'], { encoding: 'utf8', timeout: 60_000 });
  assert.doesNotMatch(quiet.stdout, /[█░]/);
  assert.match(quiet.stdout, /Top conversations/);
});
