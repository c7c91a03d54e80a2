// Every example in examples/ compiled (tsconfig.examples.json) and run as a user would run it,
// with inputs the test makes itself: generated capture files, loopback traffic, and a network
// namespace of its own. Expected values come from tcpdump, tshark and hexdump, or from the
// packets the test itself sent.
import { before } from 'node:test';
import { test, captureSkip, need, tool } from './support/skips.mjs';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, mkdirSync } from 'node:fs';
import dgram from 'node:dgram';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PCAPSocket, PCAPWriter, build, ether, ipv4, ipv6, tcp, udp, arp, icmp, dot1q, payload } from '../dist/esm/index.mjs';
import { makeTmpDir } from './support/tmpdir.mjs';
import { run, toolsSkip } from './support/oracle.mjs';
import { opensslSkip, startHttpsServer } from './support/tls-server.mjs';
import { LIB_URL, netnsSkip, createNamespace, deleteNamespaces } from './support/netns.mjs';
import { pairKey, tsharkConversations, tsharkSize } from './support/tshark-conv.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'examples');
const tmp = makeTmpDir('pcapkit-examples-');

const rootSkip = captureSkip();

// ---- compiling and running the examples -------------------------------------------------

let compileError;
before(() => {
  // Type-checks the examples against the package's published types and emits dist/examples.
  const tsc = join(root, 'node_modules', '.bin', 'tsc');
  const r = spawnSync(tsc, ['-p', join(root, 'tsconfig.examples.json')], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) compileError = `${r.stdout}${r.stderr}`;
});

/**
 * Starts dist/examples/NAME.js (inside namespace `ns` when given). Returns the child with
 * `done` (resolves { code, stdout, stderr }) and `waitFor(re)` (resolves once stderr matches).
 */
function start(name, args = [], { ns, env, timeout = 20_000 } = {}) {
  assert.equal(compileError, undefined, `examples do not compile:\n${compileError}`);
  const script = join(built, `${name}.js`);
  const [cmd, argv] = ns ? ['ip', ['netns', 'exec', ns, process.execPath, script, ...args]] : [process.execPath, [script, ...args]];
  const child = spawn(cmd, argv, { cwd: tmp, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters = [];
  child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d) => {
    stderr += d;
    for (const w of waiters.splice(0)) {
      if (w.re.test(stderr)) w.resolve();
      else waiters.push(w);
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
  child.done = new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      for (const w of waiters.splice(0)) w.reject(new Error(`${name} exited before printing ${w.re}: ${stderr}`));
      resolve({ code, signal, stdout, stderr });
    }),
  );
  child.waitFor = (re) =>
    new Promise((resolve, reject) => {
      if (re.test(stderr)) resolve();
      else waiters.push({ re, resolve, reject });
    });
  return child;
}

async function runExample(name, args, options) {
  const child = start(name, args, options);
  child.stdin.end();
  return child.done;
}

function lines(s) {
  return s.split('\n').filter(Boolean);
}

/** A TCP server on 127.0.0.1 answering each chunk with `pong`; resolves { port, close }. */
async function pongServer() {
  const server = net.createServer((c) => {
    c.on('data', () => c.write('pong'));
    c.on('end', () => c.end());
    c.on('error', () => {});
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { port: server.address().port, close: () => new Promise((r) => server.close(r)) };
}

/** Connects, sends `ping`, waits for the answer, closes. */
function pingPong(port) {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1', () => c.write('ping'));
    c.once('data', () => c.end());
    c.on('close', resolve);
    c.on('error', reject);
  });
}

function tshark(file, fields, filter) {
  const args = ['-r', file, ...(filter ? ['-Y', filter] : []), '-T', 'fields', '-E', 'separator=\t'];
  for (const f of fields) args.push('-e', f);
  const r = run('tshark', args);
  assert.equal(r.status, 0, r.stderr);
  return lines(r.stdout.toString('utf8')).map((l) => l.split('\t'));
}

// ---- 0. the examples compile; the API reference builds -----------------------------------

test('every example type-checks against the package types and compiles', () => {
  assert.equal(compileError, undefined, compileError);
  const sources = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.ts'));
  assert.ok(sources.length >= 6, `examples: ${sources}`);
  for (const f of sources) assert.ok(existsSync(join(built, f.replace(/\.ts$/, '.js'))), `${f} compiled`);
});

const typedoc = join(root, 'node_modules', '.bin', 'typedoc');
test('npm run docs: TypeDoc builds the API reference with no errors, a page per public class', { skip: !existsSync(typedoc) && need('typedoc is not installed (npm install)') }, () => {
  const out = join(tmp, 'api');
  const r = spawnSync(typedoc, ['--out', out, '--logLevel', 'Warn'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  assert.doesNotMatch(`${r.stdout}${r.stderr}`, /\[error\]/);
  for (const cls of ['PCAPReader', 'PCAPWriter', 'PCAPSocket', 'Decoder', 'DecodedPacket', 'CapturedPackets', 'BpfFilter', 'PcapError']) {
    assert.ok(existsSync(join(out, 'classes', `${cls}.html`)), `${cls} documented`);
  }
  for (const fn of ['filterFile', 'capture', 'capturePackets', 'build', 'decode']) {
    assert.ok(existsSync(join(out, 'functions', `${fn}.html`)), `${fn} documented`);
  }
});

// ---- 2b. arp-extract: filterFile and reader -> writer, both equal to tcpdump's output -------

function mixedCapture(file, precision, n) {
  const w = new PCAPWriter(file, { precision, snaplen: 65535 });
  const macA = '02:00:00:00:00:0a';
  const macB = '02:00:00:00:00:0b';
  for (let i = 0; i < n; i++) {
    const tsSec = 1_700_000_000 + Math.floor(i / 7);
    const tsNsec = precision === 'nano' ? (i * 7919 * 1013) % 1e9 : ((i * 7919) % 1e6) * 1000;
    let frame;
    switch (i % 6) {
      case 0:
        frame = build(ether({ src: macA, dst: 'ff:ff:ff:ff:ff:ff' }), arp({ opcode: 'request', senderHw: macA, senderProto: `10.0.${i & 255}.1`, targetProto: '10.0.0.2' }));
        break;
      case 1:
        frame = build(ether({ src: macA, dst: macB }), ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), tcp({ srcPort: 1024 + i, dstPort: 443, flags: 'PA' }), payload(`data ${i}`));
        break;
      case 2:
        frame = build(ether({ src: macB, dst: macA }), ipv4({ src: '10.0.0.2', dst: '10.0.0.1' }), udp({ srcPort: 53, dstPort: 5353 }), payload(`dns? ${i}`));
        break;
      case 3:
        // 802.1Q-tagged ARP: `arp` alone does not match it (tcpdump needs `vlan and arp`)
        frame = build(ether({ src: macB, dst: macA }), dot1q({ vlanId: 7 }), arp({ opcode: 'reply', senderHw: macB, senderProto: '10.0.0.2', targetHw: macA, targetProto: '10.0.0.1' }));
        break;
      case 4:
        frame = build(ether({ src: macB, dst: macA }), arp({ opcode: 'reply', senderHw: macB, senderProto: '10.0.0.2', targetHw: macA, targetProto: '10.0.0.1' }));
        break;
      default:
        frame = build(ether({ src: macA, dst: macB }), ipv6({ src: 'fe80::1', dst: 'fe80::2' }), tcp({ srcPort: 80, dstPort: 40000, flags: 'A' }));
    }
    // Some packets cut at 42 bytes with a longer wire length, to check that headers are kept.
    const cut = i % 11 === 0 ? frame.subarray(0, Math.min(frame.length, 42)) : frame;
    w.write(cut, { tsSec, tsNsec, length: frame.length + (i % 11 === 0 ? 100 : 0) });
  }
  w.closeSync();
}

for (const precision of ['micro', 'nano']) {
  test(`arp-extract (${precision} input): filterFile and the reader -> writer loop both write what tcpdump -w writes`, { skip: toolsSkip }, async () => {
    const input = join(tmp, `mixed-${precision}.pcap`);
    mixedCapture(input, precision, 6000);
    const expected = join(tmp, `arp-tcpdump-${precision}.pcap`);
    const td = run('tcpdump', ['-r', input, ...(precision === 'nano' ? ['--nano'] : []), '-w', expected, 'arp']);
    assert.equal(td.status, 0, td.stderr);
    const arpCount = tshark(expected, ['frame.number']).length;
    const total = tshark(input, ['frame.number']).length;
    assert.ok(arpCount > 0 && arpCount < total);

    const out = join(tmp, `arp-${precision}.pcap`);
    const r = await runExample('arp-extract', [input, out]);
    assert.equal(r.code, 0, r.stderr);
    const want = readFileSync(expected);
    assert.ok(readFileSync(out).equals(want), 'filterFile output equals tcpdump -w');
    assert.ok(readFileSync(join(tmp, `arp-${precision}.loop.pcap`)).equals(want), 'reader -> writer output equals tcpdump -w');
    const printed = lines(r.stdout);
    assert.equal(printed.length, 2, r.stdout);
    assert.match(printed[0], new RegExp(`^filterFile: ${total} packets read, ${arpCount} ARP packets written to `));
    assert.match(printed[1], new RegExp(`^reader -> writer: ${total} packets read, ${arpCount} ARP packets written to `));
  });
}

// ---- 3. tcp-data: TCP payloads on Ethernet, NULL and RAW link types ----------------------

const flows = [
  { v: 4, src: '192.168.16.34', dst: '192.168.16.100', sport: 43948, dport: 8006, data: 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' },
  { v: 4, src: '192.168.16.100', dst: '192.168.16.34', sport: 8006, dport: 43948, data: null }, // a bare ACK: no payload
  { v: 4, src: '192.168.16.34', dst: '192.168.16.100', sport: 5353, dport: 5353, data: 'udp, not tcp', udp: true },
  { v: 6, src: '2001:db8::1', dst: '2001:db8::2', sport: 51000, dport: 443, data: Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x00, 0x22, 0x7f]) },
  { v: 4, src: '192.168.16.100', dst: '192.168.16.34', sport: 8006, dport: 43948, data: 'x'.repeat(1200) + '"\\' },
];

/** The IP packet (no link header) of flow i. */
function ipPacket(f, i) {
  const l3 = f.v === 4 ? ipv4({ src: f.src, dst: f.dst, ttl: 64 }) : ipv6({ src: f.src, dst: f.dst });
  const l4 = f.udp ? udp({ srcPort: f.sport, dstPort: f.dport }) : tcp({ srcPort: f.sport, dstPort: f.dport, flags: f.data ? 'PA' : 'A', seq: 1000 * i });
  return build(l3, l4, ...(f.data ? [payload(f.data)] : []));
}

function linkFrame(linktype, f, i) {
  const ip = ipPacket(f, i);
  if (linktype === 'EN10MB') return Buffer.concat([build(ether({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02', etherType: f.v === 4 ? 0x0800 : 0x86dd })), ip]);
  if (linktype === 'NULL') {
    const family = Buffer.alloc(4);
    family.writeUInt32LE(f.v === 4 ? 2 : 24); // AF_INET; AF_INET6 as BSD writes it
    return Buffer.concat([family, ip]);
  }
  return ip; // RAW
}

/** Writes the flows as a capture of `linktype`; returns { file, frames }. */
function writeFlows(linktype) {
  const file = join(tmp, `tcp-data-${linktype}.pcap`);
  const w = new PCAPWriter(file, { linktype, precision: 'micro' });
  const frames = flows.map((f, i) => linkFrame(linktype, f, i));
  frames.forEach((frame, i) => w.write(frame, { tsSec: 1_700_000_000 + i, tsNsec: (123_456 + i) * 1000 }));
  w.closeSync();
  return { file, frames };
}

for (const linktype of ['EN10MB', 'NULL', 'RAW']) {
  test(`tcp-data --file on link type ${linktype}: (timestamp, payload) for TCP packets with data, as tshark sees them`, { skip: toolsSkip }, async () => {
    const { file } = writeFlows(linktype);
    const expected = tshark(file, ['frame.time_epoch', 'tcp.payload'], 'tcp.len > 0');
    assert.equal(expected.length, flows.filter((f) => f.data && !f.udp).length, 'tshark sees the TCP payloads');
    const r = await runExample('tcp-data', ['--file', file]);
    assert.equal(r.code, 0, r.stderr);
    const got = lines(r.stdout);
    assert.equal(got.length, expected.length, r.stdout);
    got.forEach((line, i) => {
      const m = /^(\d+\.\d{6})  (\d+) bytes  (".*")$/.exec(line);
      assert.ok(m, line);
      const data = Buffer.from(expected[i][1].replace(/:/g, ''), 'hex');
      assert.ok(Math.abs(Number(m[1]) - Number(expected[i][0])) < 2e-6, `${m[1]} vs ${expected[i][0]}`);
      assert.equal(Number(m[2]), data.length);
      assert.equal(JSON.parse(m[3]), data.toString('latin1'));
    });
  });
}

const hexdumpSkip = tool('hexdump', { args: ['-C', '/dev/null'], status: true, pkg: 'bsdextrautils' });
test('tcp-data --debug: every packet read hexdumped exactly as `hexdump -C` does it', { skip: hexdumpSkip }, async () => {
  const { file, frames } = writeFlows('EN10MB');
  const r = await runExample('tcp-data', ['--file', file, '--debug']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(lines(r.stdout).length, flows.filter((f) => f.data && !f.udp).length);
  for (const [i, frame] of frames.entries()) {
    const hd = spawnSync('hexdump', ['-C'], { input: frame, encoding: 'latin1' });
    assert.equal(hd.status, 0);
    // The default filter is `tcp`: the UDP packet is never read.
    const shown = r.stderr.includes(hd.stdout);
    assert.equal(shown, !flows[i].udp, `hexdump of packet ${i} in --debug output: ${shown}`);
  }
});

test('tcp-data live on lo: the ping and the pong of a local TCP exchange', { skip: rootSkip }, async () => {
  const server = await pongServer();
  try {
    const child = start('tcp-data', ['-i', 'lo', '-f', 'tcp', 'port', String(server.port), '-c', '2']);
    child.stdin.end();
    await child.waitFor(/listening on lo, link-type EN10MB/);
    await pingPong(server.port);
    const r = await child.done;
    assert.equal(r.code, 0, r.stderr);
    const got = lines(r.stdout).map((l) => JSON.parse(l.split('  ')[2]));
    assert.deepEqual(got, ['ping', 'pong']);
  } finally {
    await server.close();
  }
});

// ---- 1. sniff-lab: the scapy lab's line per IPv4 TCP packet, and the REPL -----------------

/** scapy's letters for the TCP flags field (FSRPAUECN from bit 0 up). */
function scapyFlags(value) {
  return [...'FSRPAUECN'].filter((_, bit) => value & (1 << bit)).join('');
}

test('sniff-lab IFACE -c -f: one line per IPv4 TCP packet, as tshark reads the packets it saved', { skip: rootSkip || toolsSkip }, async () => {
  const server = await pongServer();
  try {
    const saved = join(tmp, 'lab.pcap');
    const child = start('sniff-lab', ['lo', '-c', '6', '-f', 'tcp', 'port', String(server.port), '-w', saved]);
    child.stdin.end();
    await child.waitFor(/listening on lo/);
    await pingPong(server.port);
    const r = await child.done;
    assert.equal(r.code, 0, r.stderr);
    const expected = tshark(saved, ['ip.src', 'tcp.srcport', 'ip.dst', 'tcp.dstport', 'ip.ttl', 'tcp.flags']).map(
      ([src, sport, dst, dport, ttl, flags]) => `${src}:${sport} -> ${dst}:${dport} TTL: ${ttl}, Flags: ${scapyFlags(Number(flags))}`,
    );
    assert.equal(expected.length, 6);
    assert.deepEqual(lines(r.stdout), expected);
    assert.match(expected[0], new RegExp(`^127\\.0\\.0\\.1:\\d+ -> 127\\.0\\.0\\.1:${server.port} TTL: 64, Flags: S$`));
    assert.match(expected[1], / Flags: SA$/);
    assert.match(r.stderr, /6 packets captured/);
  } finally {
    await server.close();
  }
});

test('sniff-lab -i: a Node REPL with the captured packets in scope', { skip: rootSkip }, async () => {
  const server = await pongServer();
  try {
    const child = start('sniff-lab', ['lo', '-c', '3', '-f', 'tcp', 'port', String(server.port), '-i']);
    await child.waitFor(/listening on lo/);
    await pingPong(server.port);
    await child.waitFor(/3 packets captured/);
    child.stdin.write('packets.length\n');
    child.stdin.write("packets.map((p) => p.tcp.flagString + ':' + p.tcp.dstPort).join(' ')\n");
    child.stdin.write('.exit\n');
    child.stdin.end();
    const r = await child.done;
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout.split('>>> ');
    assert.ok(out.includes('3\n'), r.stdout);
    const flags = out.find((s) => s.startsWith("'S:"));
    assert.ok(flags, r.stdout);
    const [syn, synack, ack] = flags.trim().slice(1, -1).split(' ');
    assert.equal(syn, `S:${server.port}`);
    assert.match(synack, /^SA:\d+$/);
    assert.equal(ack, `A:${server.port}`);
  } finally {
    await server.close();
  }
});

// ---- 2a. icmp-watch: 16 ICMP packets in a namespace of our own -------------------------

test('icmp-watch: (ts, src_mac, dst_mac, src_ip, dst_ip, type, code) for 16 packets, in a private namespace', { skip: netnsSkip || toolsSkip }, async () => {
  const ns = createNamespace(`pk${process.pid}ex`);
  try {
    const saved = join(tmp, 'icmp.pcap');
    const child = start('icmp-watch', ['lo', '-w', saved], { ns });
    child.stdin.end();
    await child.waitFor(/listening on lo/);
    // 16 ICMP messages of various types, plus UDP the filter must leave out. The destination MAC
    // is not lo's, so the kernel answers none of them: these 16 are all the ICMP there is.
    const sent = [];
    const frames = [];
    for (let i = 0; i < 16; i++) {
      const [type, code] = [[8, 0], [0, 0], [3, i % 16], [11, i % 2], [5, 1]][i % 5];
      const m = { srcMac: `02:00:00:00:00:${(16 + i).toString(16)}`, dstMac: '02:00:00:00:01:01', src: `127.0.0.${i + 2}`, dst: '127.0.0.1', type, code };
      sent.push(m);
      frames.push(build(ether({ src: m.srcMac, dst: m.dstMac }), ipv4({ src: m.src, dst: m.dst }), icmp({ type, code, id: 7, seq: i }), payload('pcapkit')));
      frames.push(build(ether({ src: m.srcMac, dst: m.dstMac }), ipv4({ src: m.src, dst: m.dst }), udp({ srcPort: 9, dstPort: 9 }), payload('not icmp')));
    }
    const inject = `import(${JSON.stringify(LIB_URL)}).then((m) => { const s = new m.PCAPSocket('lo'); for (const f of ${JSON.stringify(frames.map((f) => f.toString('hex')))}) s.send(Buffer.from(f, 'hex')); return s.close(); })`;
    const inj = spawnSync('ip', ['netns', 'exec', ns, process.execPath, '-e', inject], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(inj.status, 0, inj.stderr);
    const r = await child.done;
    assert.equal(r.code, 0, r.stderr);

    const got = lines(r.stdout);
    assert.equal(got.length, 16, r.stdout);
    // What was printed is what tshark reads in the packets the example saved...
    const expected = tshark(saved, ['frame.time_epoch', 'eth.src', 'eth.dst', 'ip.src', 'ip.dst', 'icmp.type', 'icmp.code']).map((f) => `(${f.join(', ')})`);
    assert.deepEqual(got, expected);
    // ...and those are the messages we sent, in order.
    got.forEach((line, i) => {
      const m = sent[i];
      assert.match(line, /^\(\d+\.\d{9}, /);
      assert.ok(line.endsWith(`, ${m.srcMac}, ${m.dstMac}, ${m.src}, ${m.dst}, ${m.type}, ${m.code})`), `${line} vs ${JSON.stringify(m)}`);
    });
  } finally {
    deleteNamespaces(ns);
  }
});

// ---- 4. maintainer-template: capture, bundle, delete ----------------------------------

test('maintainer-template: HTTPS to a local server, bundle decryptable with its key log, raw capture deleted', { skip: rootSkip || toolsSkip || opensslSkip }, async () => {
  const server = await startHttpsServer();
  try {
    const bundle = join(tmp, 'bundle.tar.gz');
    const r = await runExample('maintainer-template', [server.url('/from-the-template'), '-i', 'lo', '-f', 'tcp', 'port', String(server.port), '-o', bundle], {
      env: { NODE_TLS_REJECT_UNAUTHORIZED: '0' }, // the local server's certificate is self-signed
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^your code finished: 200 OK/m);
    assert.match(r.stdout, new RegExp(`^capture bundle: ${bundle.replace(/[.]/g, '\\.')} \\(\\d+ packets, 1 TLS connection\\(s\\) decryptable\\)$`, 'm'));
    const rawDir = /^deleted the raw capture in (.+)$/m.exec(r.stdout)?.[1];
    assert.ok(rawDir, r.stdout);
    assert.ok(!existsSync(rawDir), `${rawDir} is gone`);
    assert.equal(statSync(bundle).mode & 0o777, 0o600);

    const x = join(tmp, 'bundle');
    mkdirSync(x);
    assert.equal(run('tar', ['xzf', bundle, '-C', x]).status, 0);
    assert.deepEqual(readdirSync(x).sort(), ['README.txt', 'capture.pcap', 'keylog.txt']);
    const uris = tshark(join(x, 'capture.pcap'), ['http.request.uri'], 'http.request').flat();
    assert.deepEqual(uris, [], 'encrypted without the key log');
    const r2 = run('tshark', ['-r', join(x, 'capture.pcap'), '-o', `tls.keylog_file:${join(x, 'keylog.txt')}`, '-Y', 'http.request', '-T', 'fields', '-e', 'http.request.uri']);
    assert.deepEqual(lines(r2.stdout.toString('utf8')), ['/from-the-template']);
  } finally {
    server.close();
  }
});

test('maintainer-template: a failing user call is suppressed, reported and still captured', { skip: rootSkip || toolsSkip }, async () => {
  // A port nobody listens on: the connection is refused (SYN, then RST).
  const probe = net.createServer();
  await new Promise((r) => probe.listen(0, '127.0.0.1', r));
  const port = probe.address().port;
  await new Promise((r) => probe.close(r));
  const bundle = join(tmp, 'failed.tar.gz');
  const r = await runExample('maintainer-template', [`https://127.0.0.1:${port}/`, '-i', 'lo', '-f', 'tcp', 'port', String(port), '-o', bundle]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^your code failed \(this is captured too\): fetch failed \(.*ECONNREFUSED.*\)$/m);
  const x = join(tmp, 'failed');
  mkdirSync(x);
  assert.equal(run('tar', ['xzf', bundle, '-C', x]).status, 0);
  const flags = tshark(join(x, 'capture.pcap'), ['tcp.flags']).map(([f]) => scapyFlags(Number(f)));
  assert.ok(flags.includes('S') && flags.some((f) => f.includes('R')), `SYN and RST captured: ${flags}`);
});

// ---- 5. timed-capture: capture() in the background, then analyze() -------------------------

test('timed-capture: N seconds to the default file name, conversations and data series as tshark counts them', { skip: rootSkip || toolsSkip }, async () => {
  const server = await pongServer();
  const sink = dgram.createSocket('udp4');
  await new Promise((r) => sink.bind(0, '127.0.0.1', r));
  const udpPort = sink.address().port;
  const dir = join(tmp, 'timed');
  mkdirSync(dir);
  try {
    const child = start('timed-capture', ['-i', 'lo', '-d', '2', '-f', 'tcp', 'port', String(server.port), 'or', 'udp', 'port', String(udpPort), '--dir', dir, '--bucket', '1']);
    child.stdin.end();
    await child.waitFor(/capturing on lo for 2 s/);
    // Well inside the 2 s: three TCP connections and four UDP datagrams.
    for (let i = 0; i < 3; i++) await pingPong(server.port);
    const client = dgram.createSocket('udp4');
    for (let i = 0; i < 4; i++) await new Promise((r) => client.send(Buffer.alloc(100 + i * 50, i), udpPort, '127.0.0.1', r));
    client.close();
    const r = await child.done;
    assert.equal(r.code, 0, r.stderr);

    const files = readdirSync(dir);
    assert.equal(files.length, 1, `${files}`);
    assert.match(files[0], /^capture_\d{8}T\d{6}_2_lo\.pcap$/);
    const file = join(dir, files[0]);
    const [head, rest] = r.stdout.split(/\n(?=\{)/);
    const [json, seriesText] = rest.split(/\n(?=data series: )/);
    const frames = tshark(file, ['frame.len', 'ip.proto']);
    assert.equal(head, `captured ${frames.length} packets in ${/in (\S+) s/.exec(head)[1]} s to ${file}`);

    const summary = JSON.parse(json);
    assert.equal(summary.file, file);
    assert.equal(summary.packets, frames.length);
    const wire = (proto) => frames.filter((f) => proto === undefined || f[1] === proto).reduce((n, f) => n + Number(f[0]), 0);
    assert.equal(summary.bytes, wire());

    // Every TCP connection and UDP flow tshark sees, with the same packets each way.
    for (const kind of ['tcp', 'udp']) {
      const rows = tsharkConversations(file, kind);
      assert.equal(rows.length, kind === 'tcp' ? 3 : 1, `${kind} conversations`);
      const ours = summary.conversations.flows.filter((f) => f.transport === kind);
      assert.equal(ours.length, rows.length);
      for (const row of rows) {
        const f = ours.find((c) => pairKey(c.a, c.b) === pairKey(row.a, row.b));
        assert.ok(f, `${kind} ${pairKey(row.a, row.b)} in the summary`);
        assert.equal(f.packets, row.total.frames);
        assert.equal(tsharkSize(f.bytes), row.total.bytes);
        const same = f.a.port === row.a.port;
        assert.equal(f.aToB.packets, same ? row.aToB.frames : row.bToA.frames);
        assert.equal(f.bToA.packets, same ? row.bToA.frames : row.aToB.frames);
      }
    }
    assert.equal(summary.conversations.hostPairs.length, 1);
    assert.equal(summary.conversations.hostPairs[0].conversations, 4);

    // The data series: per application, bytes per 1 s bucket adding up to tshark's totals.
    const [title, header, ...rowsText] = lines(seriesText);
    assert.equal(title, 'data series: bytes per 1 s');
    const apps = header.trim().split(/\s+/).slice(1);
    assert.deepEqual([...apps].sort(), ['TCP', 'UDP']);
    const totals = Object.fromEntries(apps.map((a) => [a, 0]));
    for (const row of rowsText) {
      const [time, ...cells] = row.trim().split(/\s+/);
      assert.ok(!Number.isNaN(Date.parse(time)), time);
      cells.forEach((c, j) => (totals[apps[j]] += Number(c)));
    }
    assert.deepEqual(totals, { TCP: wire('6'), UDP: wire('17') });
  } finally {
    sink.close();
    await server.close();
  }
});

test('timed-capture: Ctrl-C ends the capture early and the file is still analysed', { skip: rootSkip }, async () => {
  const server = await pongServer();
  const dir = join(tmp, 'timed-sigint');
  mkdirSync(dir);
  try {
    const child = start('timed-capture', ['-i', 'lo', '-d', '30', '-f', 'tcp', 'port', String(server.port), '--dir', dir]);
    child.stdin.end();
    await child.waitFor(/capturing on lo for 30 s to /);
    await pingPong(server.port);
    // capture() hands packets over at least every 100 ms (its socket timeout), but stops at
    // once on abort: give the exchange a few timeouts to reach the file first.
    await new Promise((r) => setTimeout(r, 500));
    child.kill('SIGINT');
    const r = await child.done;
    assert.equal(r.code, 0, r.stderr);
    const files = readdirSync(dir);
    assert.match(files.join(), /^capture_\d{8}T\d{6}_30_lo\.pcap$/);
    assert.match(r.stdout, new RegExp(`^capture stopped early; analysing what is in ${join(dir, files[0]).replace(/[.]/g, '\\.')}$`, 'm'));
    const summary = JSON.parse(r.stdout.slice(r.stdout.indexOf('\n{') + 1, r.stdout.indexOf('\ndata series: ')));
    const flows = summary.conversations.flows;
    assert.equal(flows.length, 1);
    assert.equal(flows[0].transport, 'tcp');
    assert.ok([flows[0].a.port, flows[0].b.port].includes(server.port));
    assert.equal(summary.packets, tshark(join(dir, files[0]), ['frame.number']).length);
  } finally {
    await server.close();
  }
});
