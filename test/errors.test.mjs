// PcapError codes come from one native classifier (native/engine/error_codes.cc): libpcap
// statuses, errno values, and the few libpcap messages that carry neither. Real calls produce
// each kind where this machine can (a missing device, a bad filter, a closed handle, a file the
// user may not read, memory that runs out); the classifier's tables are checked through the
// addon's codeFor* functions, the message matcher on libpcap's exact phrases and on near misses.
import { test, captureSkip, rootSkip, tool, needAll, asanSkip } from './support/skips.mjs';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PCAPSocket, PCAPReader, PCAPWriter, BpfFilter, PcapError, analyze, ApplicationTable } from '../dist/esm/index.mjs';
import { makeTmpDir } from './support/tmpdir.mjs';
import { readableCopy } from './support/readable-copy.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { native } = createRequire(import.meta.url)('../dist/cjs/binding.js');
const E = constants.errno;

const isCode = (code) => (e) => {
  assert.ok(e instanceof PcapError, `a PcapError, not ${e?.name}: ${e?.message}`);
  assert.equal(e.code, code, e.message);
  return true;
};

// ---- the tables ---------------------------------------------------------------------------------

test('libpcap statuses: each PCAP_ERROR_* has its code, PCAP_ERROR itself is EPCAP', () => {
  const want = {
    [-1]: 'EPCAP', // PCAP_ERROR
    [-2]: 'ECLOSED', // PCAP_ERROR_BREAK
    [-3]: 'EINVAL', // NOT_ACTIVATED
    [-4]: 'EINVAL', // ACTIVATED
    [-5]: 'ENODEV', // NO_SUCH_DEVICE
    [-6]: 'ENOTSUP', // RFMON_NOTSUP
    [-7]: 'ENOTSUP', // NOT_RFMON
    [-8]: 'EPERM', // PERM_DENIED
    [-9]: 'ENETDOWN', // IFACE_NOT_UP
    [-10]: 'ENOTSUP', // CANTSET_TSTAMP_TYPE
    [-11]: 'EPERM', // PROMISC_PERM_DENIED
    [-12]: 'ENOTSUP', // TSTAMP_PRECISION_NOTSUP
    [-99]: 'EPCAP',
  };
  for (const [status, code] of Object.entries(want)) {
    assert.equal(native.codeForPcapStatus(Number(status)), code, `status ${status}`);
  }
});

test('errno values: files, devices, sockets and memory each get their code, the rest EIO', () => {
  const want = [
    ['ENOENT', 'ENOENT'], ['ENOTDIR', 'ENOENT'],
    ['EACCES', 'EPERM'], ['EPERM', 'EPERM'], ['EROFS', 'EPERM'],
    ['EISDIR', 'EINVAL'], ['EINVAL', 'EINVAL'],
    ['ENOSPC', 'ENOSPC'], ['EDQUOT', 'ENOSPC'], ['EFBIG', 'ENOSPC'],
    ['ENODEV', 'ENODEV'], ['ENXIO', 'ENODEV'],
    ['ENETDOWN', 'ENETDOWN'], ['EMSGSIZE', 'EMSGSIZE'], ['EOPNOTSUPP', 'ENOTSUP'],
    ['ENOMEM', 'ENOMEM'],
    ['EIO', 'EIO'], ['EBADF', 'EIO'], ['ENOBUFS', 'EIO'], ['EAGAIN', 'EIO'],
  ];
  for (const [name, code] of want) assert.equal(native.codeForErrno(E[name]), code, name);
});

test("libpcap's messages without a status: its exact phrases and '<call>: <strerror>' are classified", () => {
  const want = {
    'The interface went down': 'ENETDOWN',
    'The interface disappeared': 'ENETDOWN',
    'Sending packets isn\'t supported on the "any" device': 'ENOTSUP',
    "Sending packets isn't supported in cooked mode": 'ENOTSUP',
    'send: Message too long': 'EMSGSIZE',
    'send: No such device or address': 'ENODEV',
    'send: No such device': 'ENODEV',
    'send: Network is down': 'ENETDOWN',
    'send: Operation not permitted': 'EPERM',
    'socket: Permission denied': 'EPERM',
    'send: Invalid argument': 'EINVAL',
    'malloc: Cannot allocate memory': 'ENOMEM',
    'Error condition on packet socket: Network is down': 'ENETDOWN',
  };
  for (const [message, code] of Object.entries(want)) {
    assert.equal(native.codeForPcapMessage(message), code, JSON.stringify(message));
  }
});

test('near misses match nothing: "unknown" is not "down", a phrase must be whole and exact', () => {
  for (const message of [
    'unknown',
    'Unknown error',
    'send: Unknown error 512', // the old matcher took any "own" for ENETDOWN
    'shutdown',
    'The interface went down.',
    'the interface went down',
    'The interface went down again',
    'The interface disappeared: lo',
    'Network is down', // no "<call>: " before it: not libpcap's errno form
    ': Network is down',
    'send: Network is down (lo)',
    'send: No buffer space available', // an errno with no code of its own: the caller's default
    'Sending packets isn\'t supported on the "all" device',
    'permission',
    'too long',
    '',
  ]) {
    assert.equal(native.codeForPcapMessage(message), null, JSON.stringify(message));
  }
});

// ---- real calls ---------------------------------------------------------------------------------

test('a device that does not exist: ENODEV, with libpcap status PCAP_ERROR_NO_SUCH_DEVICE', { skip: captureSkip() }, () => {
  assert.throws(() => new PCAPSocket('pkNoSuchDev0'), (e) => isCode('ENODEV')(e) && e.status === -5);
});

test('a filter that does not compile: EFILTER, in BpfFilter, a file reader and a live capture', { skip: captureSkip() }, async () => {
  assert.throws(() => new BpfFilter('tcp and and'), isCode('EFILTER'));
  const dir = makeTmpDir('pcapkit-errors-');
  const file = join(dir, 'one.pcap');
  const w = new PCAPWriter(file);
  w.write(Buffer.alloc(60), { tsSec: 1 });
  await w.close();
  assert.throws(() => new PCAPReader(file, { filter: 'udp port' }), isCode('EFILTER'));
  assert.throws(() => new PCAPSocket('lo', { filter: 'ip proto nosuch' }), isCode('EFILTER'));
  const sock = new PCAPSocket('lo', { timeout: 50 });
  try {
    assert.throws(() => sock.setFilter('port 99999999'), isCode('EFILTER'));
  } finally {
    await sock.close();
  }
});

test('a closed live handle: ECLOSED for every call, natively and through PCAPSocket', { skip: captureSkip() }, async () => {
  const h = new native.LiveHandle('lo', { timeout: 50 });
  h.start(() => {});
  assert.throws(() => h.start(() => {}), isCode('EINVAL'), 'starting twice is a bad call, not a closed handle');
  await h.close();
  assert.throws(() => h.start(() => {}), isCode('ECLOSED'));
  assert.throws(() => h.stats(), isCode('ECLOSED'));
  assert.throws(() => h.setFilter('udp'), isCode('ECLOSED'));
  assert.throws(() => h.inject(Buffer.alloc(60)), isCode('ECLOSED'));
  const never = new native.LiveHandle('lo', { timeout: 50 });
  await never.close();
  assert.throws(() => never.start(() => {}), isCode('ECLOSED'), 'closed before it ever started');

  const sock = new PCAPSocket('lo', { timeout: 50 });
  await sock.close();
  assert.throws(() => sock.stats(), isCode('ECLOSED'));
  assert.throws(() => sock.setFilter('udp'), isCode('ECLOSED'));
  assert.throws(() => sock.send(Buffer.alloc(60)), isCode('ECLOSED'));
  await assert.rejects(sock.batches().next(), isCode('ECLOSED'));
});

test('files the user may not read or write: EPERM (run as nobody)', {
  skip: needAll(rootSkip('to become the user nobody'), tool('setpriv', { pkg: 'util-linux' })),
}, async () => {
  const dir = makeTmpDir('pcapkit-errors-nobody-');
  chmodSync(dir, 0o755);
  const secret = join(dir, 'secret.pcap');
  const w = new PCAPWriter(secret); // 0600, owned by root
  w.write(Buffer.alloc(60), { tsSec: 1 });
  await w.close();
  const locked = join(dir, 'locked');
  spawnSync('mkdir', ['-m', '0755', locked]);
  const copy = readableCopy(root, join(dir, 'pcapkit'));
  const script = join(dir, 'probe.js');
  writeFileSync(script, `
    const { PCAPReader, PCAPWriter, filterFile } = require(${JSON.stringify(join(copy, 'dist/cjs/index.js'))});
    const code = (fn) => { try { fn(); return 'no error'; } catch (e) { return e.name + ' ' + e.code; } };
    (async () => {
      const out = {
        read: code(() => new PCAPReader(${JSON.stringify(secret)})),
        write: code(() => new PCAPWriter(${JSON.stringify(join(locked, 'out.pcap'))})),
        filter: await filterFile(${JSON.stringify(secret)}, '/dev/null', 'ip').then(() => 'no error', (e) => e.name + ' ' + e.code),
      };
      console.log(JSON.stringify(out));
    })();`);
  const r = spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '--inh-caps=-all', process.execPath, script], {
    encoding: 'utf8',
    cwd: '/',
  });
  const line = r.stdout.trim().split('\n').pop();
  assert.ok(line?.startsWith('{'), `no result (status ${r.status}): ${r.stderr}`);
  assert.deepEqual(JSON.parse(line), { read: 'PcapError EPERM', write: 'PcapError EPERM', filter: 'PcapError EPERM' });
});

test('memory that runs out: ENOMEM (a batch block beyond the address-space limit)', {
  skip: asanSkip('ASan reserves its shadow memory up front and reports failed allocations itself'),
}, () => {
  // The child caps its own address space at what it uses now plus 256 MiB (prlimit), then asks
  // the addon for a 1 GiB block: malloc fails, as it does when memory runs out.
  const script = `
    const { native } = require(${JSON.stringify(join(root, 'dist/cjs/binding.js'))});
    const { execFileSync } = require('node:child_process');
    const vm = Number(/VmSize:\\s+(\\d+) kB/.exec(require('node:fs').readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
    execFileSync('prlimit', ['--pid', String(process.pid), '--as=' + (vm + (256 << 20))]);
    try { native.allocBlock(1 << 30); console.log('allocated'); } catch (e) { console.log(e.name + ' ' + e.code); }`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.equal(r.stdout.trim(), 'PcapError ENOMEM', r.stderr);
});

// ---- analyze ------------------------------------------------------------------------------------

test('analyze: bad arguments throw PcapError EINVAL (not RangeError / TypeError)', async () => {
  const table = (rule) => () => new ApplicationTable({ applications: [rule] });
  assert.throws(table({ name: 'X', ports: '9-3' }), isCode('EINVAL'));
  assert.throws(table({ name: 'X', ports: 70000 }), isCode('EINVAL'));
  assert.throws(table({ name: 'X', ports: 'http' }), isCode('EINVAL'));
  assert.throws(table({ name: '' }), isCode('EINVAL'));
  assert.throws(table({ name: 'X', ipProtocol: 300 }), isCode('EINVAL'));
  assert.throws(table({ name: 'X', ports: 1, transport: 'sctp' }), isCode('EINVAL'));
  const many = Array.from({ length: 0xffff }, (_, i) => ({ name: `app${i}`, ipProtocol: 1 }));
  assert.throws(() => new ApplicationTable({ applications: many }), isCode('EINVAL'));
  await assert.rejects(analyze([], { seriesResolution: 0 }), isCode('EINVAL'));
  await assert.rejects(analyze([], { maxSeriesBuckets: 4 }), isCode('EINVAL'));
  const r = await analyze([]);
  assert.throws(() => r.dataSeries({ bucket: -1 }), isCode('EINVAL'));
});
