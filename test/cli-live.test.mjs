// `pcapkit devices`, `sniff` and `send`, run for real (node bin/pcapkit.js ...) on the loopback
// device, plus the one-line summariser against tcpdump on corpus captures. Capturing needs root
// (or cap_net_raw): those tests skip with the reason otherwise. Traffic only goes to 127.0.0.1.
import { before, after } from 'node:test';
import { test, captureSkip, corpusSkip, skipFor, tool } from './support/skips.mjs';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PCAPReader, PCAPSocket, PCAPWriter } from '../dist/esm/index.mjs';
import { summarize } from '../dist/cjs/cli/tcpdump-summary.js';
import { parsePcap } from './support/oracle.mjs';
import { readableCopy } from './support/readable-copy.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(root, 'bin', 'pcapkit.js');
const pcaps = resolve(root, '..', 'shared', 'corpus', 'pcaps');

const rootSkip = captureSkip();
const tcpdumpSkip = tool('tcpdump');
const capinfosSkip = tool('capinfos', { pkg: 'wireshark-common' });
const pingSkip = tool('ping', { args: ['-V'], pkg: 'iputils-ping' });

/** Every child process gets killed after this long, so a hang fails instead of blocking. */
const CHILD_LIMIT_MS = 20000;

let dir;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'pcapkit-cli-live-'));
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});
const tmp = (name) => join(dir, name);

/** Runs the CLI to completion: { code, stdout, stderr }. */
function pcapkit(...args) {
  return new Promise((resolvePromise) => {
    execFile(process.execPath, [BIN, ...args], { timeout: CHILD_LIMIT_MS, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : `signal ${err.signal}`) : 0;
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/**
 * Starts a long-running command. `ready` resolves once its stderr says `listening on` (sniff
 * and tcpdump both do, once the capture is open), and rejects if it exits first. `done`
 * resolves with { code, signal, stdout: Buffer, stderr } when it exits; a watchdog kills it
 * after CHILD_LIMIT_MS.
 */
function start(cmd, args) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = [];
  let stderr = '';
  let onReady;
  let onEarlyExit;
  const ready = new Promise((res, rej) => {
    onReady = res;
    onEarlyExit = rej;
  });
  child.stdout.on('data', (d) => out.push(d));
  child.stderr.on('data', (d) => {
    stderr += d;
    if (/listening on /.test(stderr)) onReady();
  });
  const watchdog = setTimeout(() => child.kill('SIGKILL'), CHILD_LIMIT_MS);
  const done = new Promise((res) => {
    child.on('close', (code, signal) => {
      clearTimeout(watchdog);
      onEarlyExit(new Error(`${cmd} exited (${code ?? signal}) before listening: ${stderr}`));
      res({ code, signal, stdout: Buffer.concat(out), stderr });
    });
  });
  return { child, ready, done, stdout: () => Buffer.concat(out).toString() };
}

const sniff = (...args) => start(process.execPath, [BIN, 'sniff', ...args]);

/** Waits until `check()` is true (polling), failing after `ms`. */
async function until(check, ms, what) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A UDP receiver bound on 127.0.0.1 (so the port is free and nothing answers with ICMP port
 * unreachable) and a sender; send(n) sends n datagrams of different lengths to it.
 */
async function udpPair() {
  const rx = dgram.createSocket('udp4');
  rx.on('message', () => {});
  await new Promise((r) => rx.bind(0, '127.0.0.1', r));
  const tx = dgram.createSocket('udp4');
  await new Promise((r) => tx.bind(0, '127.0.0.1', r));
  const port = rx.address().port;
  const payloads = [];
  return {
    port,
    srcPort: tx.address().port,
    payloads,
    async send(n) {
      for (let i = 0; i < n; i++) {
        const p = Buffer.from(`pcapkit-${i}-${'x'.repeat(i * 3)}`);
        payloads.push(p);
        await new Promise((r) => tx.send(p, port, '127.0.0.1', r));
      }
    },
    close() {
      rx.close();
      tx.close();
    },
  };
}

/** Parses `N packets captured, R received by filter, D dropped by kernel`. */
function statsOf(stderr) {
  const m = /^([\d,]+) packets? captured, ([\d,]+) received by filter, ([\d,]+) dropped by kernel/m.exec(stderr);
  assert.ok(m, `stats line in: ${stderr}`);
  const n = (s) => Number(s.replaceAll(',', ''));
  return { captured: n(m[1]), received: n(m[2]), dropped: n(m[3]) };
}

function capinfosCount(file) {
  const out = execFileSync('capinfos', ['-c', '-M', file], { timeout: CHILD_LIMIT_MS }).toString();
  const m = /Number of packets:\s+(\d+)/.exec(out);
  assert.ok(m, out);
  return Number(m[1]);
}

/** `tcpdump -n -r FILE`: { status, lines, stderr }. */
function tcpdumpRead(file, ...extra) {
  const r = spawnSync('tcpdump', ['-n', '-r', file, ...extra], { timeout: CHILD_LIMIT_MS, maxBuffer: 64 << 20 });
  return { status: r.status, lines: r.stdout.toString().split('\n').filter(Boolean), stderr: r.stderr.toString() };
}

const CLOCK = /^\d\d:\d\d:\d\d\.\d{6} /;

// ---- devices ------------------------------------------------------------------------------

/** Leading one bits of a dotted IPv4 netmask. */
function bits(mask) {
  return mask.split('.').reduce((n, o) => n + Number(o).toString(2).replaceAll('0', '').length, 0);
}

const ipSkip = tool('ip', { args: ['-V'], status: true, pkg: 'iproute2' });
test('devices --json lists lo with 127.0.0.1; the table shows it with its prefix length', { skip: ipSkip }, async () => {
  const j = await pcapkit('devices', '--json');
  assert.equal(j.code, 0, j.stderr);
  const devices = JSON.parse(j.stdout);
  assert.ok(Array.isArray(devices));
  const lo = devices.find((d) => d.name === 'lo');
  assert.ok(lo, `lo in ${devices.map((d) => d.name).join(', ')}`);
  assert.equal(lo.loopback, true);
  const v4 = lo.addresses.find((a) => a.family === 'IPv4');
  assert.equal(v4.addr, '127.0.0.1');

  // the prefix the kernel reports (`ip -o -4 addr show lo`: "inet 127.0.0.1/8 ...")
  const ip = execFileSync('ip', ['-o', '-4', 'addr', 'show', 'lo'], { timeout: CHILD_LIMIT_MS }).toString();
  const prefix = Number(/inet 127\.0\.0\.1\/(\d+)/.exec(ip)[1]);
  assert.equal(bits(v4.netmask), prefix, 'the netmask has the prefix length the kernel reports');
  const t = await pcapkit('devices');
  assert.equal(t.code, 0, t.stderr);
  const lines = t.stdout.split('\n');
  assert.match(lines[0], /^NAME\s+FLAGS\s+ADDRESSES\s+DESCRIPTION$/);
  const row = lines.find((l) => l.startsWith('lo '));
  assert.ok(row, t.stdout);
  assert.match(row, /\bup\b.*\bloopback\b/);
  assert.ok(row.includes(`127.0.0.1/${prefix}`), row);
  for (const d of devices) assert.ok(lines.some((l) => l.startsWith(`${d.name} `)), `${d.name} has a row`);
});

// ---- sniff --------------------------------------------------------------------------------

test('sniff -i lo -f "udp port P" -c 3 prints three tcpdump-style UDP lines and the stats', { skip: rootSkip }, async () => {
  const udp = await udpPair();
  try {
    const s = sniff('-i', 'lo', '-f', `udp port ${udp.port}`, '-c', '3');
    await s.ready;
    await udp.send(3);
    const r = await s.done;
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.toString().split('\n').filter(Boolean);
    assert.equal(lines.length, 3, r.stdout.toString());
    lines.forEach((line, i) => {
      assert.match(line, CLOCK);
      assert.equal(
        line.replace(CLOCK, ''),
        `IP 127.0.0.1.${udp.srcPort} > 127.0.0.1.${udp.port}: UDP, length ${udp.payloads[i].length}`,
      );
    });
    assert.match(r.stderr, /^listening on lo, link-type EN10MB \(Ethernet\), snapshot length \d+ bytes$/m);
    const st = statsOf(r.stderr);
    assert.equal(st.captured, 3);
    assert.ok(st.received >= 3, r.stderr);
  } finally {
    udp.close();
  }
});

test('sniff --json prints NDJSON with the exact timestamp, lengths, ports and summary', { skip: rootSkip }, async () => {
  const udp = await udpPair();
  try {
    const s = sniff('-i', 'lo', '--json', '-c', '3', `udp dst port ${udp.port}`);
    await s.ready;
    const before = Math.floor(Date.now() / 1000);
    await udp.send(3);
    const r = await s.done;
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.toString().trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(rows.length, 3);
    rows.forEach((row, i) => {
      const len = udp.payloads[i].length;
      assert.match(row.ts, /^\d+\.\d{9}$/);
      const sec = Number(row.ts.split('.')[0]);
      assert.ok(sec >= before - 1 && sec <= Date.now() / 1000 + 1, `timestamp ${row.ts} is now`);
      assert.equal(row.linktype, 1);
      assert.equal(row.linktypeName, 'EN10MB');
      assert.equal(row.length, 14 + 20 + 8 + len, 'wire length: Ethernet + IPv4 + UDP + payload');
      assert.equal(row.caplen, row.length);
      assert.equal(row.network, 'IPv4');
      assert.equal(row.protocol, 'UDP');
      assert.equal(row.src, '127.0.0.1');
      assert.equal(row.dst, '127.0.0.1');
      assert.equal(row.srcPort, udp.srcPort);
      assert.equal(row.dstPort, udp.port);
      assert.equal(row.payloadLength, len);
      assert.equal(row.summary, `IP 127.0.0.1.${udp.srcPort} > 127.0.0.1.${udp.port}: UDP, length ${len}`);
    });
    assert.ok(rows[0].ts <= rows[1].ts && rows[1].ts <= rows[2].ts, 'in time order');
  } finally {
    udp.close();
  }
});

test('sniff -w out.pcap -c 5 writes a capture capinfos counts as 5 and prints no packet lines', { skip: rootSkip || capinfosSkip || tcpdumpSkip }, async () => {
  const udp = await udpPair();
  const out = tmp('sniff-5.pcap');
  try {
    const s = sniff('-i', 'lo', '-w', out, '-c', '5', '-f', `udp port ${udp.port}`);
    await s.ready;
    await udp.send(7);
    const r = await s.done;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.length, 0, 'nothing on stdout');
    assert.doesNotMatch(r.stderr, /\x1b/, 'no running count when stderr is not a terminal');
    assert.equal(statsOf(r.stderr).captured, 5);
    assert.equal(capinfosCount(out), 5);
    const t = tcpdumpRead(out);
    assert.equal(t.status, 0, t.stderr);
    assert.equal(t.lines.length, 5);
    t.lines.forEach((l, i) => assert.ok(l.endsWith(`127.0.0.1.${udp.port}: UDP, length ${udp.payloads[i].length}`), l));
  } finally {
    udp.close();
  }
});

test('SIGINT ends a running sniff: exit 0, the stats line, every printed packet counted', { skip: rootSkip }, async () => {
  const udp = await udpPair();
  try {
    const s = sniff('-i', 'lo', '--timeout', '50', `udp port ${udp.port}`);
    await s.ready;
    await udp.send(2);
    await until(() => s.stdout().split('\n').filter(Boolean).length === 2, 10000, 'two packet lines');
    s.child.kill('SIGINT');
    const r = await s.done;
    assert.equal(r.signal, null, r.stderr);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(statsOf(r.stderr).captured, 2);
    assert.equal(r.stdout.toString().split('\n').filter(Boolean).length, 2);
  } finally {
    udp.close();
  }
});

test('a signal sent the moment sniff says "listening on" still ends it cleanly', { skip: rootSkip }, async () => {
  // "listening on" is the cue scripts (and these tests) wait for: the handlers must be in place.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGINT', 'SIGTERM']) {
    const s = sniff('-i', 'lo', 'udp port 9');
    await s.ready;
    s.child.kill(signal);
    const r = await s.done;
    assert.equal(r.signal, null, `${signal}: ${r.stderr}`);
    assert.equal(r.code, 0, `${signal}: ${r.stderr}`);
    statsOf(r.stderr); // the stats line was printed
  }
});

test('SIGINT and SIGTERM during sniff -w leave a valid capture holding the counted packets', { skip: rootSkip || capinfosSkip || tcpdumpSkip }, async () => {
  for (const signal of ['SIGINT', 'SIGTERM']) {
    const udp = await udpPair();
    const out = tmp(`sniff-${signal}.pcap`);
    try {
      const s = sniff('-i', 'lo', '--timeout', '50', '-w', out, `udp port ${udp.port}`);
      await s.ready;
      await udp.send(3);
      // Give the capture a few buffer timeouts; the count is checked against the file, not this.
      await new Promise((r) => setTimeout(r, 300));
      s.child.kill(signal);
      const r = await s.done;
      assert.equal(r.signal, null, `${signal}: ${r.stderr}`);
      assert.equal(r.code, 0, `${signal}: ${r.stderr}`);
      const { captured } = statsOf(r.stderr);
      assert.ok(captured <= 3, r.stderr);
      const file = parsePcap(readFileSync(out)); // throws on a cut record
      assert.equal(file.records.length, captured, `${signal}: the file holds what was reported`);
      assert.equal(capinfosCount(out), captured);
      const t = tcpdumpRead(out);
      assert.equal(t.status, 0, t.stderr);
      assert.doesNotMatch(t.stderr, /truncated|error/i);
      t.lines.forEach((l) => assert.ok(l.includes(`127.0.0.1.${udp.port}: UDP`), l));
    } finally {
      udp.close();
    }
  }
});

test("sniff -i lo -f 'ip and icmp' -c 4 during ping -c 4 shows the echoes as tcpdump does", { skip: rootSkip || pingSkip || tcpdumpSkip }, async () => {
  const s = sniff('-i', 'lo', '-f', 'ip and icmp', '-c', '4');
  const td = start('tcpdump', ['-n', '-l', '-i', 'lo', '-c', '4', 'ip and icmp']);
  await Promise.all([s.ready, td.ready]);
  const ping = spawnSync('ping', ['-n', '-c', '4', '-i', '0.2', '127.0.0.1'], { timeout: CHILD_LIMIT_MS });
  assert.equal(ping.status, 0, String(ping.stderr));
  const [r, t] = await Promise.all([s.done, td.done]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(t.code, 0, t.stderr);
  const lines = r.stdout.toString().split('\n').filter(Boolean);
  assert.equal(lines.length, 4, r.stdout.toString());
  const kinds = lines.map((l) => /ICMP echo (request|reply)/.exec(l)?.[1]);
  assert.deepEqual(kinds, ['request', 'reply', 'request', 'reply']);
  for (const l of lines) assert.match(l, /^\d\d:\d\d:\d\d\.\d{6} IP 127\.0\.0\.1 > 127\.0\.0\.1: ICMP echo (request|reply), id \d+, seq \d+, length 64$/);
  const tcpdumpLines = t.stdout.toString().split('\n').filter(Boolean);
  assert.deepEqual(
    lines.map((l) => l.replace(CLOCK, '')),
    tcpdumpLines.map((l) => l.replace(CLOCK, '')),
    'the same lines as tcpdump -n, timestamps aside',
  );
  assert.equal(statsOf(r.stderr).captured, 4);
});

test('sniff errors: bad filter EFILTER, unknown device ENODEV, bad options 64', { skip: rootSkip }, async () => {
  const f = await pcapkit('sniff', '-i', 'lo', '-c', '1', '-f', 'udp and (');
  assert.equal(f.code, 1);
  assert.match(f.stderr, /^pcapkit: EFILTER: .*syntax error\n$/);
  assert.equal(f.stdout, '');

  const d = await pcapkit('sniff', '-i', 'nosuchdev0', '-c', '1');
  assert.equal(d.code, 1);
  assert.match(d.stderr, /^pcapkit: ENODEV: nosuchdev0: /);

  for (const args of [['-c', '0'], ['-c', 'x'], ['--json', '-w', tmp('never.pcap')], ['--timeout', '-5']]) {
    const u = await pcapkit('sniff', '-i', 'lo', ...args);
    assert.equal(u.code, 64, `${args.join(' ')}: ${u.stderr}`);
    assert.match(u.stderr, /^pcapkit: error: /);
  }
});

const setprivSkip = rootSkip ? false : tool('setpriv', { pkg: 'util-linux' });
test('sniff without capture privileges exits 1 with EPERM and the setcap hint', { skip: setprivSkip }, (t) => {
  // Unprivileged already: run it as it is. As root: run it as the user nobody, with no capabilities.
  // (nobody runs a readable copy: the checkout may sit under a private directory)
  const copy = rootSkip ? undefined : readableCopy(root, mkdtempSync(join(tmpdir(), 'pcapkit-nobody-')));
  const args = [process.execPath, copy ? join(copy, 'bin', 'pcapkit.js') : BIN, 'sniff', '-i', 'lo', '-c', '1'];
  let r;
  try {
    r = rootSkip
      ? spawnSync(args[0], args.slice(1), { timeout: CHILD_LIMIT_MS })
      : spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '--inh-caps=-all', ...args], {
          timeout: CHILD_LIMIT_MS,
          cwd: tmpdir(),
        });
  } finally {
    if (copy) rmSync(copy, { recursive: true, force: true });
  }
  const stderr = r.stderr.toString();
  assert.equal(r.status, 1, stderr);
  assert.match(stderr, /^pcapkit: EPERM: lo: .*setcap cap_net_raw,cap_net_admin\+eip/);
  assert.equal(r.stdout.length, 0);
});

// ---- send ---------------------------------------------------------------------------------

/** Ethernet (zero MACs) + IPv4 + UDP from 127.0.0.1:sport to 127.0.0.1:dport, checksummed. */
function udpFrame(sport, dport, payload) {
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + 8 + payload.length, 2);
  ip.writeUInt16BE(0x4000, 6); // don't fragment
  ip[8] = 64;
  ip[9] = 17;
  ip.set([127, 0, 0, 1], 12);
  ip.set([127, 0, 0, 1], 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += ip.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  ip.writeUInt16BE(~sum & 0xffff, 10);
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(sport, 0);
  udp.writeUInt16BE(dport, 2);
  udp.writeUInt16BE(8 + payload.length, 4); // checksum 0: none
  const eth = Buffer.alloc(14);
  eth.writeUInt16BE(0x0800, 12);
  return Buffer.concat([eth, ip, udp, payload]);
}

test('send -i lo HEX: tcpdump on lo receives the frame byte for byte', { skip: rootSkip || tcpdumpSkip }, async () => {
  const rx = dgram.createSocket('udp4');
  rx.on('message', () => {});
  await new Promise((r) => rx.bind(0, '127.0.0.1', r));
  const port = rx.address().port;
  try {
    const frame = udpFrame(40404, port, Buffer.from('sent by pcapkit send'));
    // as a user would type it: colon-separated bytes, split over three arguments
    const hex = frame.toString('hex').match(/../g).join(':');
    const parts = [hex.slice(0, 42), hex.slice(42, 90), hex.slice(90)];
    const td = start('tcpdump', ['-i', 'lo', '-c', '1', '-U', '-w', '-', `udp port ${port}`]);
    await td.ready;
    const r = await pcapkit('send', '-i', 'lo', ...parts);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `sent 1 packet (${frame.length} bytes) on lo\n`);
    const t = await td.done;
    assert.equal(t.code, 0, t.stderr);
    const { records } = parsePcap(t.stdout);
    assert.equal(records.length, 1);
    assert.equal(records[0].len, frame.length);
    assert.ok(Buffer.from(records[0].data).equals(frame), 'the same bytes');
  } finally {
    rx.close();
  }
});

test('send --file --count replays a capture in order, N times; a PCAPSocket sees every frame', { skip: rootSkip }, async () => {
  const rx = dgram.createSocket('udp4');
  rx.on('message', () => {});
  await new Promise((r) => rx.bind(0, '127.0.0.1', r));
  const port = rx.address().port;
  const frames = [0, 1, 2].map((i) => udpFrame(41000 + i, port, Buffer.from(`frame ${i}`)));
  const file = tmp('replay.pcap');
  const w = new PCAPWriter(file);
  for (const f of frames) w.write(f);
  await w.close();

  const sock = new PCAPSocket('lo', { filter: `udp dst port ${port}`, timeout: 50 });
  try {
    const r = await pcapkit('send', '-i', 'lo', '--file', file, '--count', '2', '--interval', '1');
    assert.equal(r.code, 0, r.stderr);
    const bytes = 2 * frames.reduce((n, f) => n + f.length, 0);
    assert.equal(r.stdout, `sent 6 packets (${bytes} bytes) on lo\n`);
    const got = [];
    const timer = setTimeout(() => sock.close(), 10000);
    for await (const p of sock) {
      got.push(Buffer.from(p.data));
      if (got.length === 6) break;
    }
    clearTimeout(timer);
    assert.equal(got.length, 6);
    got.forEach((g, i) => assert.ok(g.equals(frames[i % 3]), `frame ${i} in order`));
  } finally {
    await sock.close();
    rx.close();
  }
});

test('send errors: ENOTSUP on any, EMSGSIZE over the MTU, EINVAL for another link type, 64 for bad hex', { skip: rootSkip }, async () => {
  const frame = udpFrame(1, 9, Buffer.from('x')).toString('hex');
  const a = await pcapkit('send', '-i', 'any', frame);
  assert.equal(a.code, 1);
  assert.match(a.stderr, /^pcapkit: ENOTSUP: /);
  assert.equal(a.stdout, '');

  const mtu = Number(readFileSync('/sys/class/net/lo/mtu', 'utf8'));
  const big = Buffer.alloc(14 + mtu + 100).toString('hex');
  const m = await pcapkit('send', '-i', 'lo', big.slice(0, big.length / 2), big.slice(big.length / 2));
  assert.equal(m.code, 1);
  assert.match(m.stderr, /^pcapkit: EMSGSIZE: /);

  const d = await pcapkit('send', '-i', 'nosuchdev0', frame);
  assert.equal(d.code, 1);
  assert.match(d.stderr, /^pcapkit: ENODEV: /);

  if (!corpusSkip) {
    const s = await pcapkit('send', '-i', 'lo', '--file', join(pcaps, 'sll.pcap'));
    assert.equal(s.code, 1);
    assert.match(s.stderr, /^pcapkit: EINVAL: .*LINUX_SLL.*EN10MB/);
  }
  for (const args of [['abc'], ['zz'], [], [frame, '--file', 'x.pcap'], ['--count', '0', frame]]) {
    const u = await pcapkit('send', '-i', 'lo', ...args);
    assert.equal(u.code, 64, `${args.join(' ')}: ${u.stderr}`);
    assert.match(u.stderr, /^pcapkit: error: /);
  }
  const n = await pcapkit('send', frame);
  assert.equal(n.code, 64, 'the device is required');
});

// ---- the summariser -----------------------------------------------------------------------

async function readAll(file) {
  const out = [];
  for await (const p of new PCAPReader(file)) out.push({ data: Buffer.from(p.data), linktype: p.linktype, length: p.length });
  return out;
}

/** tcpdump -n -# -r FILE: the text of packet n (1-based) at index n-1, timestamp removed. */
function tcpdumpLines(file) {
  const r = spawnSync('tcpdump', ['-#', '-n', '-S', '-r', file], { timeout: CHILD_LIMIT_MS, maxBuffer: 64 << 20 });
  const lines = [];
  for (const line of r.stdout.toString('latin1').split('\n')) {
    const m = /^\s*(\d+)\s{2}\d\d:\d\d:\d\d\.\d{6} (.*)$/.exec(line);
    if (m && Number(m[1]) === lines.length + 1) lines.push(m[2]);
  }
  return lines;
}

for (const name of ['many-protocols.pcap', 'sll.pcap']) {
  test(`summaries of ${name}: never throw, and agree with tcpdump -n on IPv4 TCP/UDP/ICMP`, { skip: corpusSkip || tcpdumpSkip }, async () => {
    const file = join(pcaps, name);
    const packets = await readAll(file);
    const expected = tcpdumpLines(file);
    assert.equal(expected.length, packets.length, 'tcpdump printed one line per packet');

    let compared = 0;
    let echoes = 0;
    packets.forEach((p, i) => {
      const s = summarize(p.data, p.linktype, p.length);
      assert.ok(typeof s.summary === 'string' && s.summary.length > 0, `packet ${i + 1}`);
      assert.doesNotMatch(s.summary, /summary failed/, `packet ${i + 1}`);
      // every cut of the packet, and the bytes under other link types: still a summary
      for (let k = 0; k < Math.min(p.data.length, 80); k++) {
        const cut = summarize(p.data.subarray(0, k), p.linktype, p.length);
        assert.ok(cut.summary.length > 0 && !/summary failed/.test(cut.summary), `packet ${i + 1} cut to ${k}`);
      }
      for (const lt of [0, 12, 108, 113, 276]) assert.doesNotMatch(summarize(p.data, lt).summary, /summary failed/);

      if (s.network !== 'IPv4' || s.fragment) return;
      const want = expected[i];
      if ((s.protocol === 'TCP' || s.protocol === 'UDP') && compared < 50) {
        // tcpdump: "IP 10.0.0.1.55194 > 173.194.78.104.443: ..."
        const m = /^IP (\S+) > (\S+): (.*)$/.exec(want);
        assert.ok(m, `tcpdump line ${i + 1}: ${want}`);
        assert.equal(`${s.src}.${s.srcPort}`, m[1], `packet ${i + 1} source`);
        assert.equal(`${s.dst}.${s.dstPort}:`, `${m[2]}:`, `packet ${i + 1} destination`);
        if (s.protocol === 'TCP') assert.ok(m[3].startsWith(`Flags [${s.tcpFlags}]`), `packet ${i + 1}: ${want}`);
        compared++;
      }
      if (s.protocol === 'ICMP' && /echo/.test(want)) {
        assert.equal(s.summary, want, `packet ${i + 1}`);
        echoes++;
      }
    });
    assert.ok(compared > 0, 'some IPv4 TCP/UDP packets were compared');
    if (name === 'many-protocols.pcap') assert.ok(echoes > 0, 'some ICMP echoes were compared');
  });
}

test('summaries of garbage and of short frames are tcpdump-style truncation marks, not errors', () => {
  assert.equal(summarize(Buffer.alloc(0), 1, 0).summary, 'EN10MB length 0 [|ether]');
  const eth = Buffer.from('000000000000000000000000080045', 'hex');
  const s = summarize(eth, 1, 60);
  assert.equal(s.truncated, true);
  assert.match(s.summary, /\[\|ip\]/);
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let i = 0; i < 20000; i++) {
    const d = Buffer.alloc(Math.floor(rand() * 90));
    for (let j = 0; j < d.length; j++) d[j] = rand() < 0.3 ? 0 : Math.floor(rand() * 256);
    if (d.length > 14) d.writeUInt16BE([0x0800, 0x86dd, 0x8100, 0x0806][i % 4], 12);
    const lt = [0, 1, 12, 108, 113, 228, 229, 276, 147][i % 9];
    const r = summarize(d, lt, d.length);
    assert.ok(r.summary.length > 0 && !/summary failed/.test(r.summary), `${lt} ${d.toString('hex')}`);
  }
});
