// `pcapkit read`, run for real (node bin/pcapkit.js read ...) on captures the test writes with
// pcapkit's builders. Timestamps, counts and filters are checked against tcpdump, hex dumps
// against `hexdump -C`.
import { before } from 'node:test';
import { test, tool } from './support/skips.mjs';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PCAPWriter, build, ether, arp, ipv4, ipv6, tcp, udp, icmp, icmpv6, dnsQuery, payload } from '../dist/esm/index.mjs';
import { makeTmpDir } from './support/tmpdir.mjs';
import { repoRoot } from './support/corpus.mjs';

const BIN = join(repoRoot, 'bin', 'pcapkit.js');
const dir = makeTmpDir('pcapkit-cli-read-');
const tcpdumpSkip = tool('tcpdump');
const hexdumpSkip = tool('hexdump', { args: ['-C', '/dev/null'], status: true, pkg: 'bsdextrautils' });

const A = { src: '10.0.0.1', dst: '10.0.0.2' };
const FRAMES = [
  build(ether({ src: '00:11:22:33:44:55', dst: '66:77:88:99:aa:bb' }), ipv4(A), tcp({ sport: 443, dport: 5555, flags: 'SA', seq: 7 }), payload('hello')),
  build(ether(), ipv4({ src: '10.0.0.2', dst: '10.0.0.53' }), udp({ sport: 40000 }), dnsQuery({ id: 1, name: 'example.com' })),
  build(ether({ src: '00:11:22:33:44:55' }), arp({ senderHw: '00:11:22:33:44:55', senderProto: '10.0.0.1', targetProto: '10.0.0.254' }), payload(Buffer.alloc(18))),
  build(ether(), ipv4(A), icmp({ id: 3, seq: 4 }), payload('ping data')),
  build(ether(), ipv6({ src: '2001:db8::1', dst: '2001:db8::2' }), udp({ sport: 1000, dport: 2000 }), payload('six')),
  build(ether(), ipv6({ src: 'fe80::1', dst: 'ff02::1' }), icmpv6({ id: 1, seq: 2 })),
  build(ether(), ipv4(A), tcp({ sport: 5555, dport: 443, flags: 'A', seq: 8, ack: 1 })),
];
const LAYERS = [
  ['ethernet', 'ipv4', 'tcp', 'payload'],
  ['ethernet', 'ipv4', 'udp', 'dns'],
  ['ethernet', 'arp'],
  ['ethernet', 'ipv4', 'icmpv4', 'payload'],
  ['ethernet', 'ipv6', 'udp', 'payload'],
  ['ethernet', 'ipv6', 'icmpv6'],
  ['ethernet', 'ipv4', 'tcp'],
];
const T0 = 1700000000;
let file;
let nanoFile;

before(async () => {
  file = join(dir, 'mixed.pcap');
  const w = new PCAPWriter(file, { precision: 'micro' });
  FRAMES.forEach((f, i) => w.write(f, { tsSec: T0 + i, tsNsec: 123456000 + i * 1000 }));
  await w.close();
  nanoFile = join(dir, 'nano.pcap');
  const wn = new PCAPWriter(nanoFile, { precision: 'nano' });
  wn.write(FRAMES[0], { tsSec: T0, tsNsec: 987654321 });
  await wn.close();
});

/** Runs `pcapkit read ...`: { code, stdout, stderr }. */
function read(...args) {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, 'read', ...args], { maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? err.code : 0, stdout, stderr });
    });
  });
}

const lines = (s) => s.split('\n').filter((l) => l.length > 0);

/** tcpdump's UTC timestamps (`-tttt` prints YYYY-MM-DD HH:MM:SS.ffffff in the local zone). */
function tcpdumpTimes(path, ...extra) {
  const r = spawnSync('tcpdump', ['-tttt', '-nn', '-r', path, ...extra], { env: { ...process.env, TZ: 'UTC' }, encoding: 'utf8' });
  return lines(r.stdout).map((l) => l.split(' ').slice(0, 2).join(' '));
}

test('one line per packet: number, timestamp, summary', { skip: tcpdumpSkip }, async () => {
  const r = await read(file);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  const out = lines(r.stdout);
  assert.equal(out.length, FRAMES.length);
  const times = tcpdumpTimes(file);
  assert.equal(times.length, FRAMES.length);
  out.forEach((line, i) => assert.ok(line.startsWith(`${i + 1} ${times[i]} `), `${line} vs tcpdump ${times[i]}`));
  assert.equal(out[0], `1 ${times[0]} Ether / IP / TCP 10.0.0.1:443 > 10.0.0.2:5555 SA / Raw`);
  assert.match(out[1], / Ether \/ IP \/ UDP \/ DNS Qry "example\.com\."$/);
  assert.match(out[2], / Ether \/ ARP who has 10\.0\.0\.254 says 10\.0\.0\.1 \/ Padding$/);
  assert.match(out[5], / Ether \/ IPv6 \/ ICMPv6 Echo Request \(id: 0x1 seq: 0x2\)$/);
});

test('nanosecond captures print 9 decimals', { skip: tcpdumpSkip }, async () => {
  const r = await read(nanoFile);
  assert.equal(r.code, 0, r.stderr);
  const [time] = tcpdumpTimes(nanoFile, '--nano');
  assert.match(time, /\.987654321$/);
  assert.ok(r.stdout.startsWith(`1 ${time} Ether / IP / TCP`), r.stdout);
});

test('--json: NDJSON with the decoded layers', { skip: tcpdumpSkip }, async () => {
  const r = await read(file, '--json');
  assert.equal(r.code, 0, r.stderr);
  const records = lines(r.stdout).map((l) => JSON.parse(l));
  assert.equal(records.length, FRAMES.length);
  const epochs = lines(spawnSync('tcpdump', ['-tt', '-nn', '-r', file], { encoding: 'utf8' }).stdout).map((l) => l.split(' ')[0]);
  records.forEach((rec, i) => {
    assert.equal(rec.number, i + 1);
    assert.equal(`${rec.tsSec}.${String(rec.tsNsec / 1000).padStart(6, '0')}`, epochs[i], 'timestamp as tcpdump -tt');
    assert.equal(rec.linktype, 1);
    assert.equal(rec.caplen, FRAMES[i].length);
    assert.equal(rec.length, FRAMES[i].length);
    assert.deepEqual(rec.layers.map((l) => l.type), LAYERS[i], `packet ${i + 1} layers`);
  });
  const [first] = records;
  assert.deepEqual(
    [first.layers[1].src, first.layers[1].dst, first.layers[2].srcPort, first.layers[2].dstPort, first.layers[2].flagString, first.layers[2].seq],
    ['10.0.0.1', '10.0.0.2', 443, 5555, 'SA', 7],
  );
  assert.equal(records[1].layers[3].questionName, 'example.com');
  assert.equal(records[2].padding, 18);
});

test('-f filters like tcpdump, -c limits', { skip: tcpdumpSkip }, async () => {
  for (const expr of [['udp'], ['icmp', 'or', 'arp'], ['ip6'], ['tcp', 'port', '443']]) {
    const r = await read(file, '-f', ...expr);
    assert.equal(r.code, 0, r.stderr);
    const out = lines(r.stdout);
    const times = tcpdumpTimes(file, ...expr);
    assert.ok(times.length > 0);
    assert.equal(out.length, times.length, `-f ${expr.join(' ')}`);
    out.forEach((line, i) => assert.ok(line.startsWith(`${i + 1} ${times[i]} `), line));
  }
  const c2 = await read(file, '-c', '2');
  assert.equal(c2.code, 0);
  assert.equal(lines(c2.stdout).length, 2);
  const c0 = await read(file, '-c', '0');
  assert.equal(c0.code, 0);
  assert.equal(c0.stdout, '');
  const both = await read(file, '-c', '1', '-f', 'udp', '--json');
  assert.equal(both.code, 0);
  const recs = lines(both.stdout).map((l) => JSON.parse(l));
  assert.equal(recs.length, 1);
  assert.equal(recs[0].layers[2].type, 'udp');
});

test('--show and --hex print the layers and `hexdump -C` after each line', { skip: hexdumpSkip }, async () => {
  const r = await read(file, '-c', '2', '--show', '--hex');
  assert.equal(r.code, 0, r.stderr);
  const blocks = r.stdout.split('\n\n').filter(Boolean);
  assert.equal(blocks.length, 2);
  blocks.forEach((block, i) => {
    const [head, ...rest] = block.split('\n');
    assert.match(head, new RegExp(`^${i + 1} \\d{4}-\\d\\d-\\d\\d `));
    const body = `${rest.join('\n')}\n`;
    const hexStart = body.indexOf('00000000  ');
    assert.ok(body.startsWith('###[ Ethernet ]###\n'));
    const expectedHex = spawnSync('hexdump', ['-C'], { input: FRAMES[i] }).stdout.toString('latin1');
    assert.equal(body.slice(hexStart), expectedHex);
  });
  assert.match(blocks[1], /\n {11}\\qd {8}\\\n/);
});

test('a cut file: every whole packet, then ETRUNCATED and exit status 2', async () => {
  const whole = readFileSync(file);
  const cut = join(dir, 'cut.pcap');
  writeFileSync(cut, whole.subarray(0, whole.length - 5)); // inside the last packet's data
  const full = lines((await read(file)).stdout);
  const r = await read(cut);
  assert.equal(r.code, 2, r.stderr);
  assert.deepEqual(lines(r.stdout), full.slice(0, FRAMES.length - 1));
  assert.match(r.stderr, /^pcapkit: ETRUNCATED: .+\n$/);
  const j = await read(cut, '--json');
  assert.equal(j.code, 2);
  assert.equal(lines(j.stdout).length, FRAMES.length - 1);
  // -c before the damage: no error
  const c = await read(cut, '-c', '3');
  assert.equal(c.code, 0, c.stderr);
  assert.equal(lines(c.stdout).length, 3);
});

test('errors: missing file, bad filter, bad count, --json with --show', async () => {
  const missing = await read(join(dir, 'nope.pcap'));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^pcapkit: ENOENT: /);
  const badFilter = await read(file, '-f', 'no', 'such', 'filter');
  assert.equal(badFilter.code, 1);
  assert.match(badFilter.stderr, /^pcapkit: EFILTER: /);
  const badCount = await read(file, '-c', 'ten');
  assert.equal(badCount.code, 64);
  const conflict = await read(file, '--json', '--show');
  assert.equal(conflict.code, 64);
  assert.match(conflict.stderr, /cannot be used with/);
});
