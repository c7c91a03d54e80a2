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
import { expected, trafficFrames, writeTrafficCapture } from './support/analyze-fixtures.mjs';
import { tsharkConversations, tsharkCount, tsharkHierarchy } from './support/tshark-conv.mjs';

const BIN = join(repoRoot, 'bin', 'pcapkit.js');
const dir = makeTmpDir('pcapkit-cli-stats-');
const tcpdumpSkip = tool('tcpdump');
const scriptSkip = tool('script', { status: true, pkg: 'util-linux' });
const tsharkSkip = tool('tshark');

// Expected counts come from tshark (-z io,phs, -z conv, display filters) or from the fixture's
// own description (support/analyze-fixtures.mjs), never from numbers written here.
const frameCount = trafficFrames().length;
/** What tshark counts in FILE: host pairs, 5-tuples (TCP, UDP, and ICMP host pairs), hierarchy. */
function oracle(file) {
  const conv = (kind, filter) => tsharkConversations(file, kind, filter);
  const tcp = conv('tcp');
  const udp = conv('udp');
  return {
    phs: tsharkHierarchy(file),
    hostPairs: conv('ip').length + conv('ipv6').length,
    flows: tcp.length + udp.length + conv('ip', 'icmp').length,
    tcp,
    udp,
    count: (filter) => tsharkCount(file, filter),
  };
}
const reEscape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

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

test('text summary: totals, hierarchy, applications, top conversations, TCP diagnoses', { skip: tsharkSkip }, async () => {
  const r = await run(['stats', file]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  const out = r.stdout;
  const a = await analyze(file);
  assert.match(out, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: ${a.packets} packets, `));
  const o = oracle(file);
  const n = (filter) => o.count(filter);
  assert.ok(out.includes(`${o.hostPairs} host pairs, ${o.flows} conversations (5-tuples), ${n('not ip and not ipv6')} non-IP packets`), out);
  const ta = (flag) => n(`tcp.analysis.${flag}`);
  assert.ok(out.includes(`TCP: ${n('tcp')} segments, ${ta('retransmission')} retransmissions (${ta('fast_retransmission')} fast, ${ta('spurious_retransmission')} spurious), ` +
    `${ta('out_of_order')} out of order, ${ta('lost_segment')} previous segment not captured, ${ta('duplicate_ack')} duplicate ACKs`), out);
  assert.match(out, /\nProtocol hierarchy\n/);
  assert.match(out, new RegExp(`\\n {6}tcp +${o.phs.get('eth/ipv4/tcp').frames} `));
  assert.match(out, /\nApplications\n/);
  const dns = o.phs.get('eth/ipv4/udp/dns');
  assert.ok(dns.bytes < 1000, 'oracle self-check: the DNS bytes print as plain bytes');
  const dnsConversations = o.udp.filter((c) => c.a.port === 53 || c.b.port === 53).length;
  const share = ((100 * dns.bytes) / o.phs.get('eth').bytes).toFixed(1);
  assert.match(out, new RegExp(`\\n {2}DNS +${dns.frames} +${dns.bytes} bytes +${reEscape(share)}% +${dnsConversations} +${reEscape(expected.dnsInterval.toFixed(2))} s ± 0\\.00 ms\\n`));
  // the top host pair and its counts each way
  const hostsPart = out.split('Top conversations (host pairs, by bytes)\n')[1];
  const firstHost = hostsPart.split('\n')[1];
  const top = a.topConversations(1).hostPairs[0];
  assert.deepEqual([top.a.address, top.b.address], expected.topHostPair);
  assert.match(firstHost, new RegExp(`^ {2}${top.a.address} +<-> +${top.b.address} +${top.packets} +${top.aToB.packets} +${top.bToA.packets} `));
  const onPair = `ip.addr==${top.a.address} && ip.addr==${top.b.address}`;
  assert.match(firstHost, new RegExp(` HTTP +${n(`${onPair} && tcp.analysis.retransmission`)} +${n(`${onPair} && tcp.analysis.out_of_order`)}$`));
  const flowsPart = out.split('Top conversations (5-tuples, by bytes)\n')[1];
  const stream0 = o.tcp.filter((c) => c.b.port === 80).sort((x, y) => x.start - y.start)[0];
  assert.match(flowsPart.split('\n')[1], new RegExp(`^ {2}tcp +10\\.0\\.0\\.1:40000 +<-> +10\\.0\\.0\\.2:80 +HTTP +${stream0.total.frames} `));
  assert.match(flowsPart, /\[2001:db8::1\]:41000 +<-> +\[2001:db8::443\]:443 +TLS/);
  // no control characters when not on a terminal
  assert.doesNotMatch(out + r.stderr, /\x1b/);
  // --top limits the tables
  const top1 = await run(['stats', file, '--top', '1']);
  assert.equal(top1.stdout.split('Top conversations (host pairs, by bytes)\n')[1].split('\n\n')[0].split('\n').length, 2);
});

test('--json is the analysis analyze() gives, every conversation included', { skip: tsharkSkip }, async () => {
  const r = await run(['stats', file, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  const a = JSON.parse(JSON.stringify(await analyze(file)));
  assert.deepEqual(j, a);
  assert.equal(j.conversations.flows.length, oracle(file).flows);
  assert.equal(j.tcp.retransmissions, expected.retransmissions);
  const b = JSON.parse((await run(['stats', file, '--json', '--bucket', '5'])).stdout);
  assert.equal(b.dataSeries.bucket, 5);
  assert.equal(b.dataSeries.times.length, Math.floor(trafficFrames().at(-1).t / 5) + 1, '5 s buckets from the first packet to the last');
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
  assert.equal(JSON.parse(r.stdout).packets, frameCount);
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
