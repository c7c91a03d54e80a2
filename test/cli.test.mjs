// The `pcapkit` command line, run for real (node bin/pcapkit.js ...) on generated captures and
// on the shared corpus. Expected values come from tcpdump and capinfos at test time.
import { before, after } from 'node:test';
import { test, corpusSkip, needAll, tool } from './support/skips.mjs';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PCAPWriter } from '../dist/esm/index.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(root, 'bin', 'pcapkit.js');
const pcaps = resolve(root, '..', 'shared', 'corpus', 'pcaps');
const corpus = (name) => join(pcaps, name);

const toolSkip = needAll(tool('tcpdump'), tool('capinfos', { pkg: 'wireshark-common' }));
const skipCorpus = corpusSkip || toolSkip;

let dir;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'pcapkit-cli-'));
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});
const tmp = (name) => join(dir, name);

/** Runs the CLI; resolves with { code, stdout, stderr } whatever the exit status. */
function pcapkit(...args) {
  return new Promise((resolvePromise) => {
    execFile(process.execPath, [BIN, ...args], { maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : `signal ${err.signal}`) : 0;
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** tcpdump, whatever its exit status: { status, stdout, stderr }. */
function tcpdump(...args) {
  try {
    const stdout = execFileSync('tcpdump', args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
    return { status: 0, stdout: stdout.toString(), stderr: '' };
  } catch (err) {
    return { status: err.status, stdout: String(err.stdout ?? ''), stderr: String(err.stderr ?? '') };
  }
}

/** Packet count according to capinfos (exact numbers with -M). */
function capinfosCount(file) {
  const out = execFileSync('capinfos', ['-c', '-M', file], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  const m = /Number of packets:\s+(\d+)/.exec(out);
  assert.ok(m, `capinfos output: ${out}`);
  return Number(m[1]);
}

/** Packets tcpdump can read from a file (it prints one line per packet, then any error). */
function tcpdumpCount(file) {
  const r = tcpdump('-nn', '-q', '-r', file);
  return r.stdout.split('\n').filter(Boolean).length;
}

const num = (s) => Number(s.replaceAll(',', ''));

/**
 * Walks a little-endian pcap file record by record; throws unless the file is a header followed
 * by whole records and nothing else. Returns the record offsets and the record count.
 */
function walkPcap(buf) {
  assert.ok(buf.length >= 24, 'file header present');
  assert.ok([0xa1b2c3d4, 0xa1b23c4d].includes(buf.readUInt32LE(0)), 'pcap magic (little-endian)');
  const offsets = [];
  let off = 24;
  while (off < buf.length) {
    assert.ok(off + 16 <= buf.length, `record header cut at ${off}`);
    const caplen = buf.readUInt32LE(off + 8);
    assert.ok(off + 16 + caplen <= buf.length, `record data cut at ${off}`);
    offsets.push(off);
    off += 16 + caplen;
  }
  return { offsets, count: offsets.length };
}

// ---- generated captures -------------------------------------------------------------------

function ipv4(proto, payloadLen, src, dst) {
  const b = Buffer.alloc(20);
  b[0] = 0x45;
  b.writeUInt16BE(20 + payloadLen, 2);
  b[8] = 64;
  b[9] = proto;
  b.writeUInt32BE(src, 12);
  b.writeUInt32BE(dst, 16);
  return b;
}
function ethernet(type, payload) {
  const b = Buffer.alloc(14);
  b.set([0, 1, 2, 3, 4, 5], 0);
  b.set([6, 7, 8, 9, 10, 11], 6);
  b.writeUInt16BE(type, 12);
  return Buffer.concat([b, payload]);
}
function udp4(sport, dport, dataLen, src = 0x0a000001, dst = 0x0a000002) {
  const u = Buffer.alloc(8 + dataLen);
  u.writeUInt16BE(sport, 0);
  u.writeUInt16BE(dport, 2);
  u.writeUInt16BE(8 + dataLen, 4);
  return ethernet(0x0800, Buffer.concat([ipv4(17, u.length, src, dst), u]));
}
function tcp4(sport, dport, dataLen) {
  const t = Buffer.alloc(20 + dataLen);
  t.writeUInt16BE(sport, 0);
  t.writeUInt16BE(dport, 2);
  t[12] = 5 << 4;
  t[13] = 0x18;
  return ethernet(0x0800, Buffer.concat([ipv4(6, t.length, 0x0a000003, 0x0a000004), t]));
}
function arp() {
  const a = Buffer.alloc(28);
  a.writeUInt16BE(1, 0);
  a.writeUInt16BE(0x0800, 2);
  a[4] = 6;
  a[5] = 4;
  a.writeUInt16BE(1, 6);
  return ethernet(0x0806, a);
}

/** A mixed micro-precision capture: UDP/53, TCP/80, ARP, some packets cut by the snaplen. */
async function writeMixed(path, count) {
  const w = new PCAPWriter(path, { precision: 'micro' });
  for (let i = 0; i < count; i++) {
    const ts = { tsSec: 1700000000 + Math.floor(i / 7), tsNsec: ((i * 7919) % 1000000) * 1000 };
    switch (i % 5) {
      case 0:
      case 1:
        w.write(udp4(40000 + (i % 100), 53, 20 + (i % 60)), ts);
        break;
      case 2:
        w.write(tcp4(50000 + (i % 50), 80, i % 300), ts);
        break;
      case 3:
        w.write(arp(), ts);
        break;
      default: {
        // a snapshot-truncated packet: 60 bytes captured of a longer one
        const p = udp4(123, 123, 200);
        w.write(p.subarray(0, 60), { ...ts, length: p.length });
      }
    }
  }
  await w.close();
}

let mixed; // path of the generated mixed capture
before(async () => {
  mixed = tmp('mixed.pcap');
  await writeMixed(mixed, 2000);
});

// ---- global options -------------------------------------------------------------------------

test('--version prints the package and libpcap versions; --help lists the commands', { skip: toolSkip }, async () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const libpcap = /libpcap version [^\n]*/.exec(execFileSync('tcpdump', ['--version']).toString())[0];
  const v = await pcapkit('--version');
  assert.equal(v.code, 0);
  assert.match(v.stdout, new RegExp(`\\b${pkg.version.replaceAll('.', '\\.')}\\b`));
  assert.ok(v.stdout.includes(libpcap), v.stdout);

  const h = await pcapkit('--help');
  assert.equal(h.code, 0);
  for (const cmd of ['filter', 'check', 'repair']) assert.match(h.stdout, new RegExp(`^  ${cmd} `, 'm'));
  for (const cmd of ['filter', 'check', 'repair']) {
    const sub = await pcapkit(cmd, '--help');
    assert.equal(sub.code, 0);
    assert.match(sub.stdout, new RegExp(`Usage: pcapkit ${cmd}`));
    assert.match(sub.stdout, new RegExp(`\\$ pcapkit ${cmd} `), 'an example');
  }
});

test('usage errors exit 64 with a hint, unknown commands too', async () => {
  for (const args of [['frobnicate'], ['filter', 'only-one-arg'], ['filter', 'a', 'b', '--precision', 'pico']]) {
    const r = await pcapkit(...args);
    assert.equal(r.code, 64, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^pcapkit: error: /);
    assert.equal(r.stdout, '');
  }
});

// ---- filter -----------------------------------------------------------------------------

/** Parses `filter: N packets read, M written (...)` from stderr. */
function parseSummary(stderr) {
  const m = /^filter: ([\d,]+) packets? read, ([\d,]+) written/m.exec(stderr);
  assert.ok(m, `summary line in: ${stderr}`);
  return { read: num(m[1]), written: num(m[2]) };
}

test('filter: output is byte-identical to tcpdump -w, the summary has capinfos counts', { skip: toolSkip }, async () => {
  const words = ['udp', 'port', '53', 'or', 'arp'];
  const out = tmp('f-mixed.pcap');
  const ref = tmp('f-mixed.tcpdump.pcap');
  const r = await pcapkit('filter', mixed, out, ...words);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.equal(tcpdump('-r', mixed, '-w', ref, words.join(' ')).status, 0);
  assert.ok(readFileSync(out).equals(readFileSync(ref)), 'same bytes as tcpdump -w');

  const s = parseSummary(r.stderr);
  assert.equal(s.read, capinfosCount(mixed));
  assert.equal(s.written, capinfosCount(ref));
  assert.ok(s.written > 0 && s.written < s.read, 'the filter selected a strict subset');
  const pct = ((100 * s.written) / s.read).toFixed(1);
  assert.ok(r.stderr.includes(`(${pct}%)`), r.stderr);
  assert.doesNotMatch(r.stderr, /\x1b/, 'no terminal control codes when stderr is not a TTY');
  assert.equal(r.stderr.trim().split('\n').length, 1, 'one summary line');
});

test('filter --quiet prints nothing; no expression copies every packet', { skip: toolSkip }, async () => {
  const out = tmp('f-all.pcap');
  const ref = tmp('f-all.tcpdump.pcap');
  const r = await pcapkit('filter', '--quiet', mixed, out);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.equal(tcpdump('-r', mixed, '-w', ref).status, 0);
  assert.ok(readFileSync(out).equals(readFileSync(ref)));
  assert.equal(capinfosCount(out), capinfosCount(mixed));
});

test('filter on corpus captures matches tcpdump (micro, and nano with --nano)', { skip: skipCorpus }, async () => {
  const cases = [
    { file: 'many-protocols.pcap', expr: ['tcp', 'and', 'not', 'port', '80'], nano: false },
    { file: 'ip-frag.pcap', expr: ['ip[6:2]', '&', '0x3fff', '!=', '0'], nano: false },
    { file: 'tcp-handshake-nano.pcap', expr: ['tcp'], nano: true },
  ];
  for (const { file, expr, nano } of cases) {
    const out = tmp(`c-${file}`);
    const ref = tmp(`c-ref-${file}`);
    const r = await pcapkit('filter', corpus(file), out, ...expr);
    assert.equal(r.code, 0, `${file}: ${r.stderr}`);
    const t = tcpdump(...(nano ? ['--nano'] : []), '-r', corpus(file), '-w', ref, expr.join(' '));
    assert.equal(t.status, 0, t.stderr);
    assert.ok(readFileSync(out).equals(readFileSync(ref)), `${file}: same bytes as tcpdump -w`);
    const s = parseSummary(r.stderr);
    assert.equal(s.read, capinfosCount(corpus(file)), file);
    assert.equal(s.written, capinfosCount(ref), file);
  }
});

test('filter with a bad expression exits 1 with EFILTER and libpcap\'s message', { skip: toolSkip }, async () => {
  const expr = 'tcp and (';
  const t = tcpdump('-r', mixed, '-w', tmp('never.pcap'), expr);
  assert.notEqual(t.status, 0);
  const libpcapMessage = t.stderr.trim().split('\n').pop().replace(/^tcpdump: /, '');
  const r = await pcapkit('filter', mixed, tmp('bad-filter.pcap'), expr);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `pcapkit: EFILTER: ${libpcapMessage}\n`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
});

test('filter refuses to write over its input, and reports a missing input', async () => {
  const copy = tmp('self.pcap');
  writeFileSync(copy, readFileSync(mixed));
  const r = await pcapkit('filter', copy, join(dir, '.', 'self.pcap'), 'udp');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^pcapkit: EINVAL: /);
  assert.ok(readFileSync(copy).equals(readFileSync(mixed)), 'input untouched');

  const m = await pcapkit('filter', tmp('missing.pcap'), tmp('out.pcap'), 'udp');
  assert.equal(m.code, 1);
  assert.match(m.stderr, /^pcapkit: ENOENT: .*missing\.pcap/);
});

test('filter on an input cut mid-packet keeps what came before and exits 2', { skip: skipCorpus }, async () => {
  const input = corpus('derived-cut-mid-packet.pcap');
  const out = tmp('f-cut.pcap');
  const r = await pcapkit('filter', input, out, 'tcp');
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^pcapkit: ETRUNCATED: /m);
  const ref = tmp('f-cut.tcpdump.pcap');
  tcpdump('-r', input, '-w', ref, 'tcp'); // tcpdump exits 1 here but writes the same packets
  assert.ok(readFileSync(out).equals(readFileSync(ref)), 'same packets as tcpdump wrote');
  assert.match(r.stderr, new RegExp(`${capinfosCount(ref)} written`));
});

test('Ctrl-C during a filter exits 130 and leaves a valid capture of whole packets', { skip: toolSkip }, async () => {
  // 300k packets filter in a few tens of milliseconds, faster than a signal can be aimed at a
  // file being read. So the capture is fed through stdin: half of it, then SIGINT, then (once
  // pcapkit says it is waiting for input) the rest, and pcapkit must stop before the end.
  const big = tmp('big.pcap');
  const w = new PCAPWriter(big, { precision: 'micro' });
  const a = udp4(40000, 53, 40);
  const b = udp4(53, 40000, 40);
  for (let i = 0; i < 300000; i++) w.write(i % 2 ? b : a, { tsSec: 1700000000 + Math.floor(i / 1000), tsNsec: (i % 1000) * 1000 });
  await w.close();
  const data = readFileSync(big);
  const expr = 'udp dst port 53';
  const ref = tmp('big.tcpdump.pcap');
  assert.equal(tcpdump('-r', big, '-w', ref, expr).status, 0);
  const full = readFileSync(ref);

  const out = tmp('big.out.pcap');
  const child = spawn(process.execPath, [BIN, 'filter', '-', out, '--precision', 'micro', ...expr.split(' ')], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  let waiting;
  const noticed = new Promise((res) => (waiting = res));
  child.stderr.on('data', (d) => {
    stderr += d;
    if (stderr.includes('Ctrl-C again')) waiting('notice');
  });
  child.stdin.on('error', () => {}); // EPIPE once pcapkit has stopped reading
  const exited = new Promise((res) => child.on('exit', (code, signal) => res({ code, signal })));
  // If pcapkit neither stops nor says it is waiting, do not hang the suite: kill it (and fail).
  const watchdog = setTimeout(() => child.kill('SIGKILL'), 20000);
  exited.then(() => clearTimeout(watchdog));
  const write = (chunk) => new Promise((res) => child.stdin.write(chunk, () => res()));

  const half = Math.floor(data.length / 2);
  for (let off = 0; off < half; off += 1 << 16) await write(data.subarray(off, Math.min(off + (1 << 16), half)));
  child.kill('SIGINT');
  // Either pcapkit stops on its own (it had a batch in hand) or it waits for more input.
  const first = await Promise.race([noticed, exited.then(() => 'exit')]);
  if (first === 'notice') {
    for (let off = half; off < data.length && child.exitCode === null; off += 1 << 16) {
      await write(data.subarray(off, Math.min(off + (1 << 16), data.length)));
    }
    child.stdin.end();
  }
  const { code, signal } = await exited;
  assert.equal(signal, null, stderr);
  assert.equal(code, 130, stderr);

  const m = /interrupted after ([\d,]+) packets read.*?([\d,]+) written/.exec(stderr);
  assert.ok(m, stderr);
  const written = num(m[2]);
  const got = readFileSync(out);
  const { count } = walkPcap(got); // header + whole records, nothing after the last one
  assert.equal(count, written, 'the file holds what was reported');
  assert.ok(written > 0 && got.length < full.length, `stopped part-way: ${written} packets`);
  assert.ok(got.equals(full.subarray(0, got.length)), 'a prefix of tcpdump\'s full output');
  const t = tcpdump('-nn', '-q', '-r', out);
  assert.equal(t.status, 0, t.stderr);
  assert.doesNotMatch(t.stderr, /truncated|error/i);
  assert.equal(t.stdout.split('\n').filter(Boolean).length, written);
});

// ---- check ------------------------------------------------------------------------------

test('check: a generated intact file exits 0 with capinfos\' count, a missing one 1', { skip: toolSkip }, async () => {
  const r = await pcapkit('check', mixed);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^${mixed.replaceAll('.', '\\.')}: intact$`, 'm'));
  assert.match(r.stdout, new RegExp(`\\b${capinfosCount(mixed).toLocaleString('en-US')} packets\\b`));
  assert.match(r.stdout, /link type EN10MB \(1\)/);
  assert.match(r.stdout, /400 cut by the snapshot length/);

  const m = await pcapkit('check', mixed, tmp('not-there.pcap'));
  assert.equal(m.code, 1);
  assert.match(m.stdout, /not-there\.pcap: unreadable\n\s+error: ENOENT: /);
});

test('check: exit 0 intact, 2 cut short, 1 missing (1 wins), --json statuses', { skip: skipCorpus }, async () => {
  const intact = corpus('dns_tcp.pcap');
  const cut = corpus('derived-cut-mid-packet.pcap');
  const missing = tmp('no-such-file.pcap');

  assert.equal((await pcapkit('check', intact, mixed)).code, 0);
  const c = await pcapkit('check', intact, cut);
  assert.equal(c.code, 2);
  assert.match(c.stdout, /derived-cut-mid-packet\.pcap: cut short\n/);
  assert.match(c.stdout, new RegExp(`\\b${tcpdumpCount(cut)} packets readable`));
  assert.match(c.stdout, /error: ETRUNCATED: .*tried to read 54 captured bytes, only got 27/);
  const m = await pcapkit('check', missing);
  assert.equal(m.code, 1);
  assert.match(m.stdout, /no-such-file\.pcap: unreadable\n\s+error: ENOENT: /);
  assert.equal((await pcapkit('check', cut, missing, intact)).code, 1);

  const j = await pcapkit('check', '--json', intact, cut, missing);
  assert.equal(j.code, 1);
  const rows = j.stdout.trim().split('\n').map((line) => JSON.parse(line));
  assert.deepEqual(rows.map((x) => x.status), ['intact', 'truncated', 'unreadable']);
  assert.deepEqual(rows.map((x) => x.path), [intact, cut, missing]);
  assert.equal(rows[0].packets, capinfosCount(intact));
  assert.equal(rows[0].error, undefined);
  assert.equal(rows[0].linktypeName, 'EN10MB');
  assert.equal(rows[1].packets, tcpdumpCount(cut));
  assert.equal(rows[1].error.code, 'ETRUNCATED');
  assert.equal(typeof rows[1].error.message, 'string');
  assert.equal(rows[2].error.code, 'ENOENT');
});

test('check and repair on a generated file cut in the middle of a packet', { skip: toolSkip }, async () => {
  const whole = readFileSync(mixed);
  const { offsets } = walkPcap(whole);
  const cutFile = tmp('mixed-cut.pcap');
  writeFileSync(cutFile, whole.subarray(0, offsets[1234] + 16 + 5)); // 5 bytes into packet #1235
  const readable = tcpdumpCount(cutFile);
  assert.equal(readable, 1234);

  const c = await pcapkit('check', '--json', cutFile);
  assert.equal(c.code, 2);
  const row = JSON.parse(c.stdout);
  assert.equal(row.status, 'truncated');
  assert.equal(row.packets, readable);

  const out = tmp('mixed-repaired.pcap');
  const r = await pcapkit('repair', cutFile, out);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`^repair: ${readable.toLocaleString('en-US')} packets written to .*; input was cut short: `));
  assert.equal(capinfosCount(out), readable);
  assert.ok(readFileSync(out).equals(whole.subarray(0, offsets[1234])), 'the whole packets, byte for byte');
});

// ---- repair -----------------------------------------------------------------------------

test('repair: a corpus file cut mid-packet gives the readable packets; no packet exits 2', { skip: skipCorpus }, async () => {
  const cut = corpus('derived-cut-mid-packet.pcap');
  const out = tmp('repaired.pcap');
  const r = await pcapkit('repair', cut, out);
  assert.equal(r.code, 0, r.stderr);
  const readable = tcpdumpCount(cut);
  assert.equal(capinfosCount(out), readable);
  assert.match(r.stderr, new RegExp(`^repair: ${readable} packets written to ${out.replaceAll('.', '\\.')}; input was cut short: `));
  const t = tcpdump('-r', out, '-w', '/dev/null');
  assert.equal(t.status, 0, t.stderr);

  const none = await pcapkit('repair', corpus('derived-cut-mid-file-header.pcap'), tmp('none.pcap'));
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no readable packet/);
  assert.equal(existsSync(tmp('none.pcap')), false);

  const missing = await pcapkit('repair', tmp('absent.pcap'), tmp('x.pcap'));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^pcapkit: ENOENT: /);
});

test('repair output is created 0600 and intact input is copied whole', { skip: toolSkip }, async () => {
  const out = tmp('copy.pcap');
  const r = await pcapkit('repair', mixed, out);
  assert.equal(r.code, 0);
  assert.match(r.stderr, /input was intact\n$/);
  assert.equal(capinfosCount(out), capinfosCount(mixed));
  assert.equal(statSync(out).mode & 0o777, 0o600);
});
