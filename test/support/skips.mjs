// The one place that decides whether a test may skip because something it needs is missing here:
// a tool (tshark, tcpdump, ping...), the real-capture corpus, or a privilege (root, capture).
//
//   import { test, need, tool, corpusSkip, captureSkip, skipFor } from './support/skips.mjs';
//   const tcpdumpSkip = tool('tcpdump');                // false, or the reason it is missing
//   test('...', { skip: captureSkip() || tcpdumpSkip }, async () => { ... });
//   test('...', (t) => { if (skipFor(t, tcpdumpSkip)) return; ... });
//
// Normally such a test skips with the reason. In strict mode (PCAPKIT_STRICT=1, which .ci/run
// sets; CI=true too, unless PCAPKIT_STRICT=0) it FAILS with that reason instead: a run that is
// meant to test everything must not go green by testing less.
//
// The capture probe opens a real handle on lo once. Only EPERM / ENOTSUP (no privilege, a
// platform that cannot capture) make a reason to skip; any other error means capture is
// broken, and every test that needs it fails with that error, in every mode.
//
// `test` here is node:test's, except that a `skip` reason made by this module is turned into a
// failure when it must not skip. A reason from asanSkip (nothing is missing: the run is a
// sanitizer run, scripts/check-native.sh) is never a failure, and other skips pass through
// untouched.
import { test as nodeTest } from 'node:test';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { PCAPSocket } from '../../dist/esm/index.mjs';
import { underAsan } from './sanitizers.mjs';

export const strict = process.env.PCAPKIT_STRICT === '1' || (process.env.PCAPKIT_STRICT !== '0' && process.env.CI === 'true');

/** Reasons for something missing here: skip normally, fail in strict mode. */
const missing = new Set();
/** Reasons that are no missing tool or privilege but a failure (a capture handle that breaks). */
const broken = new Set();

/** Registers `reason` (a string, or false/'' when nothing is missing) and returns it (or false). */
export function need(reason) {
  if (!reason) return false;
  missing.add(reason);
  return reason;
}

/** The first reason of several (each made by this module), or false. */
export function needAll(...reasons) {
  return reasons.find(Boolean) || false;
}

function mustFail(reason) {
  return typeof reason === 'string' && (broken.has(reason) || (strict && missing.has(reason)));
}

function failure(reason) {
  return new Error(broken.has(reason) ? reason : `PCAPKIT_STRICT: this test would have skipped: ${reason}`);
}

/** node:test's test(); a skip reason from this module fails the test when it must not skip. */
export function test(...args) {
  const at = args.findIndex((a) => a !== null && typeof a === 'object');
  const reason = at >= 0 ? args[at].skip : undefined;
  if (mustFail(reason)) {
    const fn = args.findIndex((a) => typeof a === 'function');
    args[at] = { ...args[at], skip: false };
    const err = failure(reason);
    args[fn] = () => {
      throw err;
    };
  }
  return nodeTest(...args);
}

/**
 * For a skip decided inside a test: returns false when `reason` is false; otherwise skips the
 * test (t.skip) and returns true, or throws when it must not skip.
 */
export function skipFor(t, reason) {
  if (!reason) return false;
  if (!broken.has(reason)) need(reason); // every reason given here is something missing
  if (mustFail(reason)) throw failure(reason);
  t.skip(reason);
  return true;
}

// ---- sanitizers ---------------------------------------------------------------------------------

/**
 * false, or (under AddressSanitizer, which scripts/check-native.sh preloads) the reason a test
 * cannot run there: `why` says what ASan does that the test cannot work with. Nothing is missing,
 * so this skips in strict mode too; the plain runs (CI's) still run the test.
 */
export function asanSkip(why) {
  return underAsan ? `not under AddressSanitizer: ${why}` : false;
}

// ---- tools ------------------------------------------------------------------------------------

const tools = new Map();

/**
 * false when `name` runs here, otherwise the reason it is missing (registered). `args` are run
 * to probe it; with `status: true` the probe must also exit 0 (e.g. hexdump -C /dev/null).
 * `pkg` names the Debian package (scripts/setup.sh --with-tools installs them).
 */
export function tool(name, { args = ['--version'], status = false, pkg = name } = {}) {
  const key = JSON.stringify([name, args, status]);
  if (!tools.has(key)) {
    const r = spawnSync(name, args, { stdio: 'ignore', timeout: 30_000 });
    const ok = r.error === undefined && (!status || r.status === 0);
    tools.set(key, ok ? false : need(`${name} is not installed (apt-get install ${pkg}; scripts/setup.sh --with-tools installs it)`));
  }
  return tools.get(key);
}

/** The oracle tools together: tcpdump, tshark, capinfos. */
export function oracleToolsSkip() {
  return needAll(tool('tcpdump'), tool('tshark', { pkg: 'tshark' }), tool('capinfos', { pkg: 'wireshark-common' }));
}

// ---- the corpus ---------------------------------------------------------------------------------

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const corpusDir = resolve(repoRoot, '..', 'shared', 'corpus');

/** false when ../shared/corpus (manifest.tsv and pcaps/) is there, otherwise the reason. */
export const corpusSkip = existsSync(join(corpusDir, 'manifest.tsv')) && existsSync(join(corpusDir, 'pcaps'))
  ? false
  : need(`real-capture corpus not found at ${corpusDir}`);

// ---- privileges ---------------------------------------------------------------------------------

/** false when running as root, otherwise the reason (`what` says what root is needed for). */
export function rootSkip(what) {
  if (typeof process.getuid === 'function' && process.getuid() === 0) return false;
  return need(`needs root: ${what} (run as root, as CI does)`);
}

let capture;

/**
 * Opens a real capture handle on lo (once per process). false when it opens; a reason to skip
 * when it fails with EPERM or ENOTSUP; otherwise a reason that fails every test given it.
 */
export function captureSkip() {
  if (capture !== undefined) return capture;
  try {
    new PCAPSocket('lo').close();
    capture = false;
  } catch (err) {
    const what = `new PCAPSocket('lo') threw ${err?.code ?? err?.name}: ${err?.message ?? err}`;
    if (err?.code === 'EPERM' || err?.code === 'ENOTSUP') {
      capture = need(`capturing on lo needs root or cap_net_raw (${what})`);
    } else {
      capture = `capture is broken here, not a missing privilege: ${what}`;
      broken.add(capture);
    }
    process.stderr.write(`# capture probe: ${capture}\n`);
  }
  return capture;
}
