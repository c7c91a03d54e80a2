// pcapkit capture -- CMD: the bundle of what a command did, decryptable (root, tshark, openssl).
import { before, after } from 'node:test';
import { test, captureSkip } from './support/skips.mjs';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PCAPSocket } from '../dist/esm/index.mjs';
import { toolsSkip } from './support/oracle.mjs';
import { opensslSkip, startHttpsServer } from './support/tls-server.mjs';

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'pcapkit.js');
const skip = captureSkip() || opensslSkip || toolsSkip;

let server;
let dir;
before(async () => {
  if (skip) return;
  server = await startHttpsServer();
  dir = mkdtempSync(join(tmpdir(), 'pcapkit-cli-capture-'));
});
after(() => {
  server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// The HTTPS server lives in this process, so the child must run asynchronously.
function run(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.stdout.resume();
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stderr });
    });
  });
}

test('the bundle lists, decrypts in tshark, and the exit code is the command\'s', { skip }, async () => {
  const out = join(dir, 'bundle.tar.gz');
  const client = `
    const https = require('node:https');
    https.get({ host: '127.0.0.1', port: ${server.port}, path: '/from-the-child', rejectUnauthorized: false }, (res) => {
      res.resume();
      res.on('end', () => process.exit(5));
    });`;
  const r = await run([bin, 'capture', '-i', 'lo', '-f', `tcp port ${server.port}`, '-o', out, '--', process.execPath, '-e', client]);
  assert.equal(r.status, 5, r.stderr);
  assert.match(r.stderr, /secrets/);
  assert.equal(statSync(out).mode & 0o777, 0o600);
  const listing = execFileSync('tar', ['tzf', out], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
  assert.deepEqual(listing, ['README.txt', 'capture.pcap', 'keylog.txt']);
  const x = join(dir, 'x');
  execFileSync('mkdir', ['-p', x]);
  execFileSync('tar', ['xzf', out, '-C', x]);
  const uris = execFileSync(
    'tshark',
    ['-r', join(x, 'capture.pcap'), '-o', `tls.keylog_file:${join(x, 'keylog.txt')}`, '-Y', 'http.request', '-T', 'fields', '-e', 'http.request.uri'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  assert.match(uris, /\/from-the-child/);
});

// Decrypted HTTP request URIs of a bundle, by tshark with the bundle's own key log.
function decryptedUris(bundle, name) {
  const x = join(dir, name);
  execFileSync('mkdir', ['-p', x]);
  execFileSync('tar', ['xzf', bundle, '-C', x]);
  return execFileSync(
    'tshark',
    ['-r', join(x, 'capture.pcap'), '-o', `tls.keylog_file:${join(x, 'keylog.txt')}`, '-Y', 'http.request', '-T', 'fields', '-e', 'http.request.uri'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
}

test('secrets of a node command are in the bundle even when it ends with process.exit() at once', { skip }, async () => {
  // Node's own --tls-keylog writes asynchronously: a program exiting right after its request
  // lost its key log (an empty keylog.txt, seen under load). Each round exits the moment its
  // request is written (with --tls-keylog this fails every time).
  for (let i = 0; i < 5; i++) {
    const out = join(dir, `exit${i}.tar.gz`);
    const client = `
      const tls = require('node:tls');
      const s = tls.connect({ host: '127.0.0.1', port: ${server.port}, rejectUnauthorized: false }, () => {
        s.write('GET /exit-${i} HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n', () => process.exit(3));
      });`;
    const r = await run([bin, 'capture', '-i', 'lo', '-f', `tcp port ${server.port}`, '-o', out, '--', process.execPath, '-e', client]);
    assert.equal(r.status, 3, r.stderr);
    assert.match(decryptedUris(out, `exit${i}`), new RegExp(`/exit-${i}`), `round ${i}: ${r.stderr}`);
  }
});

test('a node server run by capture has its connections decrypted too', { skip }, async () => {
  const out = join(dir, 'server.tar.gz');
  const https = await import('node:https');
  const port = 20000 + Math.floor(Math.random() * 20000);
  // The command is a one-request HTTPS server; the test process is its client (and logs nothing).
  const serverCode = `
    const https = require('node:https');
    const srv = https.createServer({ key: require('fs').readFileSync(${JSON.stringify(server.keyPath)}), cert: require('fs').readFileSync(${JSON.stringify(server.certPath)}) },
      (req, res) => res.end('ok', () => process.exit(4)));
    srv.listen(${port}, '127.0.0.1', () => console.log('listening'));`;
  const child = spawn(process.execPath, [bin, 'capture', '-i', 'lo', '-f', `tcp port ${port}`, '-o', out, '--', process.execPath, '-e', serverCode]);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.on('exit', (status) => resolve(status)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d) => d.includes('listening') && resolve());
    child.on('exit', () => reject(new Error(`server command ended early: ${stderr}`)));
  });
  await new Promise((resolve, reject) => {
    https.get({ host: '127.0.0.1', port, path: '/to-the-server', rejectUnauthorized: false }, (res) => res.resume().on('end', resolve)).on('error', reject);
  });
  const status = await exited;
  clearTimeout(timer);
  assert.equal(status, 4, stderr);
  assert.match(decryptedUris(out, 'server'), /\/to-the-server/);
});

test('a command that cannot start exits 127 and writes no bundle', { skip }, () => {
  const out = join(dir, 'none.tar.gz');
  const r = spawnSync(process.execPath, [bin, 'capture', '-i', 'lo', '-o', out, '--', '/nonexistent/command'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 127);
  assert.throws(() => statSync(out));
});
