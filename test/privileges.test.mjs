// Capturing without root: file capabilities on a copy of the node binary, used by an
// unprivileged user (nobody, through setpriv). What the README's permission section says is
// what these tests show: which capabilities capture needs, that they belong to the binary (so
// every script it runs has them, in secure-execution mode), and the EPERM + setcap hint without.
// Needs root, setcap/getcap, setpriv and a filesystem that keeps security xattrs; skips with the
// reason otherwise.
import { before } from 'node:test';
import { need, skipFor, test } from './support/skips.mjs';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { readableCopy as copyPackage } from './support/readable-copy.mjs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTmpDir } from './support/tmpdir.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const NOBODY = 65534;
const CAP_NET_ADMIN = 12n;
const CAP_NET_RAW = 13n;

function tool(name) {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}
const setcap = tool('setcap');
const getcap = tool('getcap');
const setpriv = tool('setpriv');
const status = readFileSync('/proc/self/status', 'utf8');
const capField = (name) => BigInt(`0x${new RegExp(`^${name}:\\s*([0-9a-f]+)`, 'm').exec(status)?.[1] ?? '0'}`);
const hasCap = (mask, bit) => ((mask >> bit) & 1n) === 1n;

// (every reason goes through skips.mjs: a skip, or a failure in strict mode)
let skip = need(
  process.getuid() !== 0 ? 'needs root: setcap, and setpriv to become the user nobody (run as root, as CI does)' :
  !setcap || !getcap ? 'setcap/getcap are not installed (apt-get install libcap2-bin)' :
  !setpriv ? 'setpriv is not installed (apt-get install util-linux)' :
  /^NoNewPrivs:\s*1/m.test(status) ? 'no_new_privs is set for this process: exec ignores file capabilities' :
  !hasCap(capField('CapBnd'), CAP_NET_RAW) || !hasCap(capField('CapBnd'), CAP_NET_ADMIN)
    ? 'cap_net_raw/cap_net_admin are not in the bounding set: file capabilities cannot grant them' :
  false);
// A binary with file capabilities runs in secure-execution mode, where the dynamic loader ignores
// LD_PRELOAD (scripts/check-native.sh preloads the ASan runtime that way): its addon cannot load.
const preloadSkip = need(process.env.LD_PRELOAD ? 'LD_PRELOAD is set; a node with file capabilities ignores it' : false);

let dir; // 0755, everything nobody needs
let node; // the copy of the node binary that gets (and loses) capabilities
let entry; // dist/cjs/index.js as nobody can read it
let script; // capture.js: opens lo, sends datagrams to itself, prints what it captured

/** Runs `args` with `bin` as nobody, no groups, no inheritable capabilities. */
function asNobody(bin, args, env = {}) {
  const { NODE_OPTIONS, ...rest } = process.env;
  const r = spawnSync(setpriv, [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--inh-caps=-all', bin, ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 15_000,
    env: { ...rest, ...env },
  });
  if (r.error) throw r.error;
  return r;
}

/** capture.js's JSON line (its stderr in the assertion message when there is none). */
function runCapture(bin, count = 4) {
  const port = 40000 + Math.floor(Math.random() * 20000);
  const r = asNobody(bin, [script, String(port), String(count)]);
  const line = r.stdout.trim().split('\n').pop();
  assert.ok(line?.startsWith('{'), `capture.js printed no result (status ${r.status}): ${r.stderr}`);
  return JSON.parse(line);
}

function setCaps(caps) {
  if (caps) execFileSync(setcap, [caps, node]);
  else spawnSync(setcap, ['-r', node]); // fails harmlessly when there were none
  return execFileSync(getcap, [node], { encoding: 'utf8' }).trim();
}

/** A copy nobody can load pcapkit from (see test/support/readable-copy.mjs); its index.js. */
function readableCopy(dest) {
  return join(copyPackage(root, dest), 'dist', 'cjs', 'index.js');
}

if (!skip) dir = makeTmpDir('pcapkit-caps-'); // (at top level: its after() hook is the file's)
before(() => {
  if (skip) return;
  chmodSync(dir, 0o755);
  node = join(dir, 'node');
  copyFileSync(realpathSync(process.execPath), node);
  chmodSync(node, 0o755);
  const probe = spawnSync(setcap, ['cap_net_raw+ep', node], { encoding: 'utf8' });
  if (probe.status !== 0) {
    skip = `the filesystem of ${dir} refuses the security.capability xattr: ${probe.stderr.trim()}`;
    return;
  }
  setCaps(null);
  const loadError = (file) => {
    const r = asNobody(node, ['-e', `require(${JSON.stringify(file)})`]);
    return r.status === 0 ? null : r.stderr.trim().split('\n').slice(0, 3).join(' ');
  };
  entry = join(root, 'dist', 'cjs', 'index.js');
  if (loadError(entry)) {
    entry = readableCopy(join(dir, 'pcapkit'));
    const error = loadError(entry);
    if (error) {
      skip = `the user nobody can load pcapkit neither from ${root} nor from a copy: ${error}`;
      return;
    }
  }
  script = join(dir, 'capture.js');
  writeFileSync(script, `
    // Run as nobody: open lo, send datagrams to 127.0.0.1, print what was captured as JSON.
    const dgram = require('node:dgram');
    const { PCAPSocket } = require(${JSON.stringify(entry)});
    const [port, count] = process.argv.slice(2).map(Number);
    const who = { uid: process.getuid(), capEff: /^CapEff:\\s*(\\S+)/m.exec(require('node:fs').readFileSync('/proc/self/status', 'utf8'))[1] };
    let sock;
    try {
      sock = new PCAPSocket('lo', { filter: 'udp dst port ' + port, timeout: 50 });
    } catch (e) {
      console.log(JSON.stringify({ ...who, error: e.code, message: e.message }));
      process.exit(0);
    }
    const sent = Array.from({ length: count }, (_, i) => 'as nobody ' + i);
    const tx = dgram.createSocket('udp4');
    setTimeout(() => sent.forEach((p) => tx.send(p, port, '127.0.0.1')), 100);
    const timer = setTimeout(() => sock.close(), 5000);
    (async () => {
      const got = [];
      for await (const p of sock) {
        got.push(p.data.subarray(14 + (p.data[14] & 15) * 4 + 8).toString());
        if (got.length === count) break;
      }
      clearTimeout(timer);
      tx.close();
      console.log(JSON.stringify({ ...who, sent, got }));
    })();
  `);
  chmodSync(script, 0o644);
});

test('without capabilities, capture as nobody fails with EPERM and the setcap hint', (t) => {
  if (skipFor(t, skip)) return;
  assert.equal(setCaps(null), '', 'getcap lists nothing on the plain copy');
  const r = runCapture(node);
  assert.equal(r.uid, NOBODY);
  assert.equal(BigInt(`0x${r.capEff}`), 0n, 'no effective capabilities');
  assert.equal(r.error, 'EPERM', r.message);
  assert.match(r.message, /^lo: .*capturing needs root or the capabilities cap_net_raw,cap_net_admin/);
  assert.match(r.message, /setcap cap_net_raw,cap_net_admin\+eip/);
});

test('setcap cap_net_raw,cap_net_admin+eip on a copy of node: nobody captures on lo with it', (t) => {
  if (skipFor(t, skip || preloadSkip)) return;
  assert.match(setCaps('cap_net_raw,cap_net_admin+eip'), /\scap_net_admin,cap_net_raw=eip$/, 'getcap shows them');
  const r = runCapture(node);
  assert.equal(r.uid, NOBODY);
  const eff = BigInt(`0x${r.capEff}`);
  assert.ok(hasCap(eff, CAP_NET_RAW) && hasCap(eff, CAP_NET_ADMIN), `effective capabilities ${r.capEff}`);
  assert.equal(eff & ~((1n << CAP_NET_RAW) | (1n << CAP_NET_ADMIN)), 0n, 'and no others');
  assert.equal(r.error, undefined, r.message);
  assert.deepEqual(r.got, r.sent, 'every datagram captured, in order');
  // The node the tests run with was only copied, never changed.
  assert.equal(execFileSync(getcap, [realpathSync(process.execPath)], { encoding: 'utf8' }).trim(), '');
});

test('cap_net_raw is what capture needs; cap_net_admin alone is not enough', (t) => {
  if (skipFor(t, skip || preloadSkip)) return;
  setCaps('cap_net_raw+eip');
  const raw = runCapture(node);
  assert.equal(raw.error, undefined, raw.message);
  assert.deepEqual(raw.got, raw.sent);
  setCaps('cap_net_admin+eip');
  const admin = runCapture(node);
  assert.equal(admin.error, 'EPERM', 'cap_net_admin alone');
  assert.match(admin.message, /setcap cap_net_raw,cap_net_admin\+eip/);
});

test('the capabilities belong to the binary: any script it runs has them, in secure-execution mode', (t) => {
  if (skipFor(t, skip || preloadSkip)) return;
  setCaps('cap_net_raw,cap_net_admin+eip');
  // Not capture.js: any code at all, here a one-liner, opens a capture with this binary.
  const anyCode = asNobody(node, ['-e', `new (require(${JSON.stringify(entry)}).PCAPSocket)('lo').close(); console.log('opened')`]);
  assert.equal(anyCode.stdout.trim(), 'opened', anyCode.stderr);
  // Secure-execution mode (AT_SECURE): node ignores NODE_OPTIONS, as the loader ignores LD_*.
  const title = ['-e', 'console.log(process.title)'];
  assert.equal(asNobody(node, title, { NODE_OPTIONS: '--title=from-node-options' }).stdout.trim(), node, 'NODE_OPTIONS ignored');
  setCaps(null);
  assert.equal(asNobody(node, title, { NODE_OPTIONS: '--title=from-node-options' }).stdout.trim(), 'from-node-options', 'honoured without capabilities');
});
