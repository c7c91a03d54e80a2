// Network namespaces for live-capture tests: two namespaces joined by a veth pair, commands
// run inside them, and pcapkit itself run inside them as child node processes that speak JSON
// lines. Everything here needs root and `ip` (iproute2); netnsSkip says why not otherwise.
//
// Names carry the test process's pid (pk<pid><tag>a / pk<pid><tag>b, veths pk<pid><tag>va/vb),
// so parallel test files never collide and leftovers of a crashed run (a pid that is no longer
// alive) can be recognised and removed.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { captureSkip, need, rootSkip, tool } from './skips.mjs';

const here = dirname(fileURLToPath(import.meta.url));
/** Absolute file URL of the library's ESM entry, for scripts that run in other processes. */
export const LIB_URL = pathToFileURL(join(here, '..', '..', 'dist', 'esm', 'index.mjs')).href;

const NAME_RE = /^pk(\d+)[a-z0-9]*$/;

/** Runs `ip ARGS` and returns stdout; throws with ip's stderr on failure. */
export function ip(args, { timeout = 10_000 } = {}) {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim() || `exit ${r.status}`}`);
  return r.stdout;
}

/** Runs CMD ARGS inside namespace NS (`ip netns exec NS CMD ARGS`), bounded by a timeout. */
export function nsExec(ns, cmd, args = [], { timeout = 10_000, input } = {}) {
  const r = spawnSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', timeout, input });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    throw new Error(`ip netns exec ${ns} ${cmd} ${args.join(' ')}: ${r.stderr.trim() || `exit ${r.status ?? r.signal}`}`);
  }
  return r.stdout;
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

function listNetns() {
  return ip(['netns', 'list'])
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0])
    .filter(Boolean);
}

/**
 * Removes namespaces and root-namespace links named by an earlier test run whose process is
 * gone (a crash or a kill -9 skips `after`). Names of live processes are left alone.
 */
export function cleanupLeftovers() {
  const removed = [];
  for (const ns of listNetns()) {
    const m = NAME_RE.exec(ns);
    if (m && Number(m[1]) !== process.pid && !pidAlive(Number(m[1]))) {
      try {
        ip(['netns', 'del', ns]);
        removed.push(ns);
      } catch {
        // someone else removed it meanwhile
      }
    }
  }
  let links = [];
  try {
    links = JSON.parse(ip(['-j', 'link', 'show']));
  } catch {
    // an ip without -j: nothing to clean in the root namespace
  }
  for (const l of links) {
    const m = NAME_RE.exec(l.ifname ?? '');
    if (m && Number(m[1]) !== process.pid && !pidAlive(Number(m[1]))) {
      try {
        ip(['link', 'del', l.ifname]);
        removed.push(l.ifname);
      } catch {
        // already gone
      }
    }
  }
  return removed;
}

/**
 * false when namespaces can be used here, otherwise the reason (skips.mjs: a skip, or a failure
 * in strict mode; a capture handle that fails for another reason than privileges always fails).
 */
export const netnsSkip = (() => {
  if (process.platform !== 'linux') return need('network namespaces are Linux-only');
  const missing = rootSkip('creating network namespaces and veth pairs') || tool('ip', { args: ['-V'], status: true, pkg: 'iproute2' });
  if (missing) return missing;
  const probe = `pk${process.pid}probe`;
  try {
    ip(['netns', 'add', probe]);
  } catch (e) {
    return need(`cannot create network namespaces here: ${e.message}`);
  } finally {
    spawnSync('ip', ['netns', 'del', probe]);
  }
  return captureSkip();
})();

function sysctlInNs(ns, path, value) {
  nsExec(ns, 'sh', ['-c', `echo ${value} > /proc/sys/${path}`]);
}

/** Creates a namespace with lo up and IPv6 off (so the kernel sends nothing on its own). */
export function createNamespace(name) {
  ip(['netns', 'add', name]);
  try {
    // No IPv6: no DAD, MLD or router solicitations showing up in the captures.
    sysctlInNs(name, 'net/ipv6/conf/all/disable_ipv6', 1);
    sysctlInNs(name, 'net/ipv6/conf/default/disable_ipv6', 1);
    ip(['-n', name, 'link', 'set', 'lo', 'up']);
  } catch (e) {
    spawnSync('ip', ['netns', 'del', name]);
    throw e;
  }
  return name;
}

/** Deletes namespaces (their veth ends go with them); never throws. */
export function deleteNamespaces(...names) {
  for (const n of names) spawnSync('ip', ['netns', 'del', n], { timeout: 10_000 });
}

/**
 * Two namespaces A and B joined by a veth pair, addresses 10.199.<subnet>.1/24 (A) and .2 (B),
 * locally administered MACs, links up, static neighbour entries both ways (so no ARP appears).
 * Returns { nsA, nsB, vethA, vethB, macA, macB, ipA, ipB, mtu, destroy() }.
 */
export function createPair({ tag = '', subnet = 0 } = {}) {
  const base = `pk${process.pid}${tag}`;
  const p = {
    nsA: `${base}a`,
    nsB: `${base}b`,
    vethA: `${base}va`,
    vethB: `${base}vb`,
    macA: `02:70:6b:${(subnet & 255).toString(16).padStart(2, '0')}:00:0a`,
    macB: `02:70:6b:${(subnet & 255).toString(16).padStart(2, '0')}:00:0b`,
    ipA: `10.199.${subnet}.1`,
    ipB: `10.199.${subnet}.2`,
    destroy() {
      deleteNamespaces(p.nsA, p.nsB);
    },
  };
  if (p.vethA.length > 15) throw new Error(`interface name too long: ${p.vethA}`);
  try {
    createNamespace(p.nsA);
    createNamespace(p.nsB);
    ip(['link', 'add', p.vethA, 'netns', p.nsA, 'address', p.macA, 'type', 'veth',
      'peer', 'name', p.vethB, 'netns', p.nsB, 'address', p.macB]);
    ip(['-n', p.nsA, 'addr', 'add', `${p.ipA}/24`, 'dev', p.vethA]);
    ip(['-n', p.nsB, 'addr', 'add', `${p.ipB}/24`, 'dev', p.vethB]);
    ip(['-n', p.nsA, 'neigh', 'replace', p.ipB, 'lladdr', p.macB, 'dev', p.vethA, 'nud', 'permanent']);
    ip(['-n', p.nsB, 'neigh', 'replace', p.ipA, 'lladdr', p.macA, 'dev', p.vethB, 'nud', 'permanent']);
    ip(['-n', p.nsA, 'link', 'set', p.vethA, 'up']);
    ip(['-n', p.nsB, 'link', 'set', p.vethB, 'up']);
    p.mtu = linkInfo(p.nsA, p.vethA).mtu;
  } catch (e) {
    p.destroy();
    throw e;
  }
  return p;
}

/** `ip -d -j link show DEV` in NS, as an object (mtu, promiscuity, flags, operstate...). */
export function linkInfo(ns, dev) {
  return JSON.parse(ip(['-n', ns, '-d', '-j', 'link', 'show', 'dev', dev]))[0];
}

/** Parses "aa:bb:cc:dd:ee:ff" into 6 bytes. */
export function macBytes(mac) {
  return Buffer.from(mac.split(':').map((h) => parseInt(h, 16)));
}

// ---- pcapkit in a namespace: a small agent driven over stdin/stdout JSON lines ----

const AGENT_SOURCE = String.raw`
import { createInterface } from 'node:readline';
const lib = await import(process.argv[2]);
const { PCAPSocket } = lib;
const hardLimit = Number(process.argv[3]);
setTimeout(() => { process.stderr.write('agent: hard time limit reached\n'); process.exit(3); }, hardLimit).unref();

const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const errJson = (e) => ({ name: e?.name, code: e?.code, message: String(e?.message ?? e), isPcapError: e instanceof lib.PcapError });
const sockets = new Map();

function startLoop(sid, s) {
  s.loop = (async () => {
    try {
      for await (const p of s.sock) {
        s.packets.push({ hex: p.data.toString('hex'), caplen: p.caplen, length: p.length, tsSec: p.tsSec, tsNsec: p.tsNsec, linktype: p.linktype });
        for (const w of [...s.waiters]) if (s.packets.length >= w.count) { s.waiters.delete(w); w.resolve(); }
      }
      s.end = { clean: true };
    } catch (e) {
      s.end = { clean: false, error: errJson(e) };
    }
    s.end.closed = s.sock.closed;
    s.end.at = performance.now();
    for (const w of s.waiters) w.resolve();
    s.waiters.clear();
    out({ event: 'end', sid, ...s.end, packets: s.packets.length });
  })();
}

const ops = {
  async open({ sid, device, options = {}, iterate = true }) {
    const sock = new PCAPSocket(device, options);
    const s = { sock, packets: [], waiters: new Set(), end: null };
    sockets.set(sid, s);
    if (iterate) startLoop(sid, s);
    return { linktype: sock.linktype, linktypeName: sock.linktypeName, snaplen: sock.snaplen, precision: sock.precision, warnings: sock.warnings };
  },
  async send({ sid, frames }) {
    const { sock } = sockets.get(sid);
    return { results: frames.map((hex) => { try { return { bytes: sock.send(Buffer.from(hex, 'hex')) }; } catch (e) { return { error: errJson(e) }; } }) };
  },
  async wait({ sid, count, ms }) {
    const s = sockets.get(sid);
    if (s.packets.length < count && !s.end) {
      await new Promise((resolve) => {
        const w = { count, resolve };
        s.waiters.add(w);
        setTimeout(() => { s.waiters.delete(w); resolve(); }, ms);
      });
    }
    return { packets: s.packets, end: s.end };
  },
  async packets({ sid }) {
    const s = sockets.get(sid);
    return { packets: s.packets, end: s.end };
  },
  async stats({ sid }) {
    return sockets.get(sid).sock.stats();
  },
  async waitEnd({ sid, ms }) {
    const s = sockets.get(sid);
    const t0 = performance.now();
    if (s.loop) await Promise.race([s.loop, new Promise((r) => setTimeout(r, ms))]);
    return { end: s.end, waited: performance.now() - t0, closed: s.sock.closed, packets: s.packets.length };
  },
  async close({ sid }) {
    const s = sockets.get(sid);
    const t0 = performance.now();
    await s.sock.close();
    const closeMs = performance.now() - t0;
    if (s.loop) await Promise.race([s.loop, new Promise((r) => setTimeout(r, 5000))]);
    return { closeMs, end: s.end, packets: s.packets.length };
  },
  async ping() {
    return { pid: process.pid, rss: process.memoryUsage().rss };
  },
};

const rl = createInterface({ input: process.stdin });
rl.on('line', async (line) => {
  const msg = JSON.parse(line);
  try {
    out({ id: msg.id, ok: true, ...(await ops[msg.op](msg)) });
  } catch (e) {
    out({ id: msg.id, ok: false, error: errJson(e) });
  }
});
rl.on('close', () => process.exit(0));
out({ event: 'ready', pid: process.pid });
`;

let scriptDir;
const children = new Set();

/** A private temp dir for child scripts (removed by stopAll / at exit). */
export function scriptsDir() {
  if (!scriptDir) {
    scriptDir = mkdtempSync(join(tmpdir(), 'pcapkit-netns-'));
    process.once('exit', () => rmSync(scriptDir, { recursive: true, force: true }));
  }
  return scriptDir;
}

/** Writes a script into the temp dir and returns its path. */
export function writeScript(name, source) {
  const path = join(scriptsDir(), name);
  writeFileSync(path, source);
  return path;
}

function lineReader(stream, onLine) {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    buf += chunk;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line.trim()) onLine(line);
    }
  });
}

function track(child, limitMs) {
  children.add(child);
  const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  killer.unref();
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      clearTimeout(killer);
      children.delete(child);
      resolve({ code, signal });
    });
  });
  return exited;
}

/**
 * Starts the pcapkit agent in namespace NS (or in the current one when ns is null) and resolves
 * once it is ready. agent.request(op, args, ms) → reply; agent.events → 'end' events;
 * agent.onEvent(fn); agent.stop(). The child is killed after limitMs whatever happens.
 */
export async function startAgent(ns, { limitMs = 30_000 } = {}) {
  const path = writeScript('agent.mjs', AGENT_SOURCE);
  const argv = [process.execPath, path, LIB_URL, String(limitMs)];
  const child = ns ? spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = track(child, limitMs + 1000);
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => (stderr += d));
  const pending = new Map();
  const events = [];
  const listeners = new Set();
  let nextId = 1;
  let readyResolve;
  const ready = new Promise((r) => (readyResolve = r));
  lineReader(child.stdout, (line) => {
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      stderr += `(stdout) ${line}\n`;
      return;
    }
    if (msg.event === 'ready') return readyResolve(msg);
    if (msg.event) {
      events.push(msg);
      for (const fn of listeners) fn(msg);
      return;
    }
    const p = pending.get(msg.id);
    if (p) {
      pending.delete(msg.id);
      p(msg);
    }
  });
  exited.then(({ code, signal }) => {
    for (const [, p] of pending) p({ ok: false, error: { code: 'EXITED', message: `agent exited (${code ?? signal}): ${stderr}` } });
    pending.clear();
    readyResolve(null);
  });
  const agent = {
    pid: child.pid,
    events,
    exited,
    get stderr() {
      return stderr;
    },
    onEvent(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    /** Resolves with the reply object ({ ok, ...result } or { ok: false, error }). */
    request(op, args = {}, ms = 10_000) {
      const id = nextId++;
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          resolve({ ok: false, error: { code: 'ETIMEDOUT', message: `no reply to ${op} within ${ms} ms` } });
        }, ms);
        pending.set(id, (msg) => {
          clearTimeout(timer);
          resolve(msg);
        });
        child.stdin.write(JSON.stringify({ id, op, ...args }) + '\n');
      });
    },
    /** Like request, but throws when the reply is an error. */
    async call(op, args = {}, ms = 10_000) {
      const r = await agent.request(op, args, ms);
      if (!r.ok) {
        const e = new Error(`${op}: ${r.error.code} ${r.error.message}`);
        e.code = r.error.code;
        throw e;
      }
      return r;
    },
    async stop() {
      child.stdin.end();
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    },
  };
  const r = await Promise.race([ready, exited.then(() => null)]);
  if (!r) throw new Error(`agent did not start: ${stderr}`);
  return agent;
}

/**
 * Runs a node script (source text) in namespace NS, bounded by limitMs; resolves at exit with
 * { code, signal, lines (parsed JSON lines of stdout), stderr, ms }.
 */
export async function runNodeScript(ns, name, source, args = [], { limitMs = 30_000, onLine } = {}) {
  const path = writeScript(name, source);
  const argv = [process.execPath, path, ...args];
  const t0 = performance.now();
  const child = ns ? spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = track(child, limitMs);
  const lines = [];
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => (stderr += d));
  lineReader(child.stdout, (line) => {
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      msg = { text: line };
    }
    lines.push(msg);
    onLine?.(msg);
  });
  const { code, signal } = await exited;
  return { code, signal, lines, stderr, ms: performance.now() - t0 };
}

/**
 * Starts `tcpdump ARGS` in NS and resolves once it says it is listening.
 * Returns { stop() → Promise<{ code, signal, stderr }> }.
 */
export async function startTcpdump(ns, args, { limitMs = 30_000 } = {}) {
  const child = spawn('ip', ['netns', 'exec', ns, 'tcpdump', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = track(child, limitMs);
  let stderr = '';
  child.stderr.setEncoding('utf8');
  const listening = new Promise((resolve) => {
    child.stderr.on('data', (d) => {
      stderr += d;
      if (/listening on/.test(stderr)) resolve(true);
    });
    exited.then(() => resolve(false));
  });
  if (!(await listening)) throw new Error(`tcpdump did not start: ${stderr}`);
  return {
    async stop() {
      child.kill('SIGINT');
      const r = await exited;
      return { ...r, stderr };
    },
  };
}

/** Kills every child still running (for `after`). */
export function killChildren() {
  for (const c of children) c.kill('SIGKILL');
}

