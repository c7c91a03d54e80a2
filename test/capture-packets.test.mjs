// capturePackets(fn): what the block did, decryptable with its key log (root; tshark; openssl).
import { before, after } from 'node:test';
import { test, captureSkip, skipFor } from './support/skips.mjs';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import dgram from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import https from 'node:https';
import { PCAPReader, PCAPSocket, capturePackets } from '../dist/esm/index.mjs';
import { collect } from './support/collect.mjs';
import { toolsSkip } from './support/oracle.mjs';
import { opensslSkip, startHttpsServer } from './support/tls-server.mjs';

const rootSkip = captureSkip();
const skip = rootSkip || opensslSkip;

let server;
before(async () => {
  if (!skip) server = await startHttpsServer();
});
after(() => server?.close());

function decryptedUris(pcap, keylog) {
  const out = execFileSync('tshark', ['-r', pcap, '-o', `tls.keylog_file:${keylog}`, '-Y', 'http.request', '-T', 'fields', '-e', 'http.request.uri'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return out.split('\n').filter(Boolean);
}

test('https.get and fetch inside the block are captured and decryptable; a request before it is not logged', { skip }, async (t) => {
  // The connection made before the block: remember its secrets to prove they are not logged.
  const beforeSecrets = [];
  await new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port: server.port, path: '/before', rejectUnauthorized: false, agent: false }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('socket', (s) => s.on('keylog', (line) => beforeSecrets.push(line.toString().trim())));
    req.on('error', reject);
  });
  assert.ok(beforeSecrets.length > 0);
  const prev = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0'; // fetch has no per-request option for a self-signed cert
  let cap;
  try {
    cap = await capturePackets(
      async () => {
        assert.equal(await server.get('/inside-https'), 'you asked for /inside-https');
        const r = await fetch(server.url('/inside-fetch'));
        assert.equal(await r.text(), 'you asked for /inside-fetch');
        return 42;
      },
      { device: 'lo', filter: `tcp port ${server.port}` },
    );
  } finally {
    if (prev === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    else process.env.NODE_TLS_REJECT_UNAUTHORIZED = prev;
  }
  try {
    assert.equal(cap.result, 42);
    assert.ok(cap.packetCount > 10, `${cap.packetCount} packets`);
    assert.equal((await collect(new PCAPReader(cap.path))).length, cap.packetCount);
    const keylog = readFileSync(cap.keylogPath, 'utf8');
    assert.match(keylog, /CLIENT_TRAFFIC_SECRET_0|CLIENT_RANDOM/);
    for (const s of beforeSecrets) assert.ok(!keylog.includes(s), 'secrets of the earlier connection are not logged');
    assert.equal(statSync(cap.dir).mode & 0o777, 0o700);
    assert.equal(statSync(cap.path).mode & 0o777, 0o600);
    assert.equal(statSync(cap.keylogPath).mode & 0o777, 0o600);
    if (skipFor(t, toolsSkip)) return;
    const uris = decryptedUris(cap.path, cap.keylogPath);
    assert.ok(uris.includes('/inside-https'), `decrypted: ${uris}`);
    assert.ok(uris.includes('/inside-fetch'), `decrypted: ${uris}`);
    assert.ok(!uris.includes('/before'));
    // The bundle: capture, key log and README, 0600.
    const tgz = await cap.tarball();
    assert.equal(statSync(tgz).mode & 0o777, 0o600);
    const listing = execFileSync('tar', ['tzf', tgz], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
    assert.deepEqual(listing, ['README.txt', 'capture.pcap', 'keylog.txt']);
    const readme = execFileSync('tar', ['xzOf', tgz, 'README.txt'], { encoding: 'utf8' });
    assert.match(readme, /secrets/i);
  } finally {
    await cap.delete();
  }
  assert.equal(existsSync(cap.dir), false, 'delete() leaves nothing behind');
});

test('a block that throws still yields a complete capture; the error is rethrown or suppressed', { skip }, async () => {
  let thrown;
  try {
    await capturePackets(
      async () => {
        await server.get('/then-fail');
        throw new Error('boom');
      },
      { device: 'lo', filter: `tcp port ${server.port}` },
    );
  } catch (err) {
    thrown = err;
  }
  assert.equal(thrown?.message, 'boom');
  const cap = thrown.capture;
  assert.ok(cap, 'the capture is attached to the error');
  try {
    const packets = await collect(new PCAPReader(cap.path));
    assert.equal(packets.length, cap.packetCount);
    assert.ok(packets.length > 5);
    // The TCP connection was closed inside the block: its FIN is in the capture (drained, not lost).
    assert.ok(packets.some((p) => (p.data[14 + (p.data[14] & 15) * 4 + 13] & 0x01) !== 0), 'a FIN was captured');
  } finally {
    await cap.delete();
  }
  const quiet = await capturePackets(() => {
    throw new Error('ignored');
  }, { device: 'lo', filter: `tcp port ${server.port}`, suppressErrors: true });
  assert.equal(quiet.error.message, 'ignored');
  await quiet.delete();
});

// A tiny DNS responder on 127.0.0.77:53: answers every A query with 10.9.8.7.
async function startDnsResponder() {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (q, rinfo) => {
    let p = 12;
    while (p < q.length && q[p] !== 0) p += q[p] + 1;
    const question = q.subarray(12, p + 5);
    const header = Buffer.from(q.subarray(0, 12));
    header.writeUInt16BE(0x8180, 2); // response, recursion desired + available
    header.writeUInt16BE(1, 6); // one answer
    const answer = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 9, 8, 7]);
    sock.send(Buffer.concat([header, question, answer]), rinfo.port, rinfo.address);
  });
  // Port 53 (the decoder follows DNS on its well-known ports) on an address of our own.
  await new Promise((r) => sock.bind(53, '127.0.0.77', r));
  return sock;
}

test('a DNS lookup inside the block shows up in packets({ layer: "dns" }) with its name', { skip: rootSkip }, async () => {
  const responder = await startDnsResponder();
  const port = responder.address().port;
  const resolver = new Resolver();
  resolver.setServers([`127.0.0.77:${port}`]);
  const cap = await capturePackets(() => resolver.resolve4('pcapkit-test.example'), { device: 'lo', filter: 'host 127.0.0.77 and udp port 53' });
  responder.close();
  try {
    assert.deepEqual(cap.result, ['10.9.8.7']);
    const dns = await cap.packets({ layer: 'dns' });
    assert.ok(dns.length >= 2, `${dns.length} DNS packets`);
    const query = dns.find((d) => !d.dns.response);
    const reply = dns.find((d) => d.dns.response);
    assert.equal(query.dns.questionName, 'pcapkit-test.example');
    assert.equal(reply.dns.answers[0].data, '10.9.8.7');
    assert.equal(query.udp.dstPort, port);
    assert.ok(query.timestamp > 0);
    assert.equal((await cap.packets({ layer: 'tcp' })).length, 0);
    await assert.rejects(cap.packets({ layer: 'nonsense' }), (e) => e.code === 'EINVAL');
  } finally {
    await cap.delete();
  }
});
