// filterFile() against `tcpdump -r IN -w OUT EXPR`: the output must be the same file, byte for
// byte, for every expression and input below (several link types, byte orders, precisions,
// pcap and pcapng). Expression/input pairs that libpcap refuses to compile must be refused by
// filterFile too, with libpcap's own message.
import { test } from './support/skips.mjs';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { PCAPReader, PcapError, filterFile } from '../dist/esm/index.mjs';
import { corpusFile, corpusSkip, manifestRow } from './support/corpus.mjs';
import { capinfosCount, tcpdumpDump, tcpdumpFilter, toolsSkip } from './support/oracle.mjs';
import { makeTmpDir } from './support/tmpdir.mjs';

const skip = corpusSkip || toolsSkip;
// Output files must be 0600 whatever the umask; with the usual 022 libpcap would make them 0644.
process.umask(0o022);
const dir = makeTmpDir('pcapkit-filter-');

const EXPRESSIONS = [
  '',
  'arp',
  'tcp port 443',
  'tcp',
  'udp',
  'ip6',
  'vlan',
  'not ip',
  'greater 500',
  'less 100',
  'icmp or icmp6',
  'udp port 53',
  'vlan and vlan and ip',
  'ip[6:2] & 0x3fff != 0',
  'ether broadcast',
  'host 192.168.1.11',
];

const INPUTS = [
  'many-protocols.pcap', // EN10MB, 4709 packets
  'sll.pcap', // LINUX_SLL
  'sll2.pcap', // LINUX_SLL2
  'ip-frag.pcap', // IPv4 fragments
  'VlanPackets.pcap', // double 802.1Q
  'frag_with_padding.pcap', // VLAN + fragments
  'nanosecs_big_endian.pcap', // big-endian, nanosecond
  'tcp-handshake-nano.pcap', // little-endian, nanosecond
  'pptp.pcap', // big-endian micro
  'raw_ip.pcap', // RAW
  'null_loopback.pcap', // NULL
  'icmpv6.pcap',
  'quic_handshake_truncated.pcap', // caplen < len
  'bgp-role.pcapng', // pcapng, LINUX_SLL
  'rarp_req_reply.pcapng', // pcapng, EN10MB
];

let counter = 0;
const outPath = (tag) => join(dir, `${tag.replace(/[^A-Za-z0-9_.-]/g, '_')}-${counter++}.pcap`);

/** The input's own precision, from the manifest (pcap magic, or pcapng if_tsresol). */
function inputPrecision(name) {
  return manifestRow(name).ts_precision === 'ns' ? 'nano' : 'micro';
}

async function rejection(promise) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail('expected a rejection');
}

// A known pcapkit bug these tests catch (they fail while it is there; no probe turns them into
// TODOs):
//
// Filters are compiled against pcap_open_dead() (native/engine/compiled_filter.cc), not
// against the savefile's own handle as tcpdump does. For DLT_NULL / DLT_LOOP libpcap's code
// generator then assumes a live capture on this host: 'ip6' (and so 'tcp', 'udp', 'icmp6' ... over
// IPv6) tests only Linux's AF_INET6 = 10 instead of the BSD values 24/28/30 a capture file can
// hold, and the address family of a byte-swapped file is not swapped. filterFile, the reader's
// `filter` option and setFilter() select nothing where tcpdump selects packets.

for (const name of INPUTS) {
  test(`filterFile(${name}) == tcpdump -r -w for ${EXPRESSIONS.length} expressions`, { skip }, async () => {
    const input = corpusFile(name);
    const precision = inputPrecision(name);
    const nano = precision === 'nano';
    // pcap inputs: the default output precision is the input's own. pcapng inputs: pcapng
    // output by default (tested elsewhere); compared with tcpdump as pcap, precision explicit.
    const options = manifestRow(name).format === 'pcap' ? {} : { precision, format: 'pcap' };
    const total = capinfosCount(input).count;
    let compared = 0;
    let rejected = 0;
    for (const expr of EXPRESSIONS) {
      const what = `${name} [${expr}]`;
      const expected = outPath(`${name}-tcpdump`);
      const actual = outPath(`${name}-pcapkit`);
      const td = tcpdumpFilter(input, expected, expr, { nano });
      if (td.status !== 0) {
        // libpcap cannot compile it for this link type: filterFile must refuse it the same way.
        assert.ok(td.error, `${what}: tcpdump failed without a message`);
        const err = await rejection(filterFile(input, actual, expr, options));
        assert.ok(err instanceof PcapError, `${what}: ${err && err.stack}`);
        assert.equal(err.code, 'EFILTER', what);
        assert.equal(err.message, td.error, `${what}: libpcap's message`);
        rejected++;
        continue;
      }
      const result = await filterFile(input, actual, expr, options);
      const got = readFileSync(actual);
      const want = readFileSync(expected);
      assert.ok(got.equals(want), `${what}: output differs from tcpdump's (${got.length} vs ${want.length} bytes)`);
      const written = capinfosCount(actual).count;
      assert.equal(result.packetsWritten, written, `${what}: packetsWritten vs capinfos -c`);
      assert.equal(result.packetsRead, total, `${what}: packetsRead vs capinfos -c of the input`);
      assert.equal(result.bytesWritten, got.length, `${what}: bytesWritten`);
      assert.equal(result.bytesRead, statSync(input).size, `${what}: bytesRead`);
      assert.equal(statSync(actual).mode & 0o777, 0o600, `${what}: mode`);
      compared++;
    }
    assert.ok(compared >= EXPRESSIONS.length / 2, `${name}: only ${compared} expressions compiled`);
    assert.equal(compared + rejected, EXPRESSIONS.length);
  });
}

test('the filters select different, non-trivial subsets', { skip }, async () => {
  // Guards against a comparison that passes because everything is empty or everything matches.
  const input = corpusFile('many-protocols.pcap');
  const counts = new Set();
  for (const expr of ['tcp', 'udp', 'arp', 'ip6', 'tcp port 443', 'greater 500']) {
    const r = await filterFile(input, outPath('subset'), expr);
    assert.ok(r.packetsWritten > 0 && r.packetsWritten < r.packetsRead, `${expr}: ${r.packetsWritten}`);
    counts.add(r.packetsWritten);
  }
  assert.ok(counts.size >= 5);
});

test('output precision: nano inputs stay nano by default, micro on request', { skip }, async () => {
  for (const name of ['nanosecs_big_endian.pcap', 'tcp-handshake-nano.pcap']) {
    const input = corpusFile(name);
    for (const [precision, nano] of [
      [undefined, true],
      ['nano', true],
      ['micro', false],
    ]) {
      const actual = outPath('prec');
      const expected = outPath('prec-td');
      assert.equal(tcpdumpFilter(input, expected, 'tcp', { nano }).status, 0);
      await filterFile(input, actual, 'tcp', precision ? { precision } : {});
      assert.ok(readFileSync(actual).equals(readFileSync(expected)), `${name} precision=${precision}`);
      assert.equal(readFileSync(actual).readUInt32LE(0), nano ? 0xa1b23c4d : 0xa1b2c3d4);
    }
  }
  // A micro input asked for nano output: tcpdump --nano does the same scaling.
  const input = corpusFile('dns_tcp.pcap');
  const actual = outPath('prec-up');
  const expected = outPath('prec-up-td');
  assert.equal(tcpdumpFilter(input, expected, '', { nano: true }).status, 0);
  await filterFile(input, actual, '', { precision: 'nano' });
  assert.ok(readFileSync(actual).equals(readFileSync(expected)));
});

test('pcapng input: the output precision defaults to the input interfaces\' resolution', { skip }, async () => {
  for (const name of ['bgp-role.pcapng', 'doipPackets.pcapng']) {
    const input = corpusFile(name);
    const row = manifestRow(name);
    const nano = row.ts_precision === 'ns';
    const actual = outPath('ng-default');
    const expected = outPath('ng-default-td');
    assert.equal(tcpdumpFilter(input, expected, '', { nano }).status, 0);
    await filterFile(input, actual, '', { format: 'pcap' });
    assert.ok(readFileSync(actual).equals(readFileSync(expected)), `${name} (${row.ts_precision})`);
  }
});

test('a bad filter rejects at once with EFILTER and libpcap\'s message, creating nothing', { skip }, async () => {
  const input = corpusFile('many-protocols.pcap');
  for (const expr of ['tcp port', 'nonsense ((', 'host 999.1.1.1', 'ether proto frobnicate']) {
    const td = tcpdumpFilter(input, outPath('bad-td'), expr);
    assert.notEqual(td.status, 0, `tcpdump refuses '${expr}'`);
    const out = outPath('bad');
    const err = await rejection(filterFile(input, out, expr));
    assert.ok(err instanceof PcapError);
    assert.equal(err.code, 'EFILTER', expr);
    assert.equal(err.message, td.error, expr);
    assert.equal(existsSync(out), false, `${expr}: no output file left behind`);
  }
});

test('a missing input is ENOENT', { skip: corpusSkip }, async () => {
  const out = outPath('missing');
  const err = await rejection(filterFile(join(dir, 'no-such-input.pcap'), out, ''));
  assert.ok(err instanceof PcapError, String(err));
  assert.equal(err.code, 'ENOENT');
  assert.equal(existsSync(out), false);
});

test('an unwritable output is ENOENT (no directory) or EPERM (no permission)', { skip }, async () => {
  const input = corpusFile('dns_tcp.pcap');
  let err = await rejection(filterFile(input, join(dir, 'no-such-dir', 'out.pcap'), ''));
  assert.ok(err instanceof PcapError, String(err));
  assert.equal(err.code, 'ENOENT');

  let target;
  if (process.getuid && process.getuid() !== 0) {
    const ro = join(dir, 'read-only');
    mkdirSync(ro);
    chmodSync(ro, 0o500);
    target = join(ro, 'out.pcap');
  } else if (existsSync('/sys/kernel')) {
    target = '/sys/pcapkit-test-out.pcap'; // even root cannot create files in sysfs
  }
  if (target !== undefined) {
    err = await rejection(filterFile(input, target, ''));
    assert.ok(err instanceof PcapError, String(err));
    assert.equal(err.code, 'EPERM', err.message);
  }
});

test('output files are created 0600 under umask 022', { skip }, async () => {
  assert.equal(process.umask(), 0o022);
  const out = outPath('mode');
  await filterFile(corpusFile('dns_tcp.pcap'), out, 'tcp');
  assert.equal(statSync(out).mode & 0o777, 0o600);
});

test('onProgress is called with non-decreasing counts ending at the result', { skip }, async () => {
  const input = corpusFile('many-protocols.pcap');
  const calls = [];
  const result = await filterFile(input, outPath('progress'), 'tcp', {
    onProgress: (p) => calls.push({ ...p }),
    progressInterval: 1,
  });
  assert.ok(calls.length >= 1);
  for (let i = 1; i < calls.length; i++) {
    for (const k of ['packetsRead', 'packetsWritten', 'bytesRead']) {
      assert.ok(calls[i][k] >= calls[i - 1][k], `${k} went down: ${JSON.stringify(calls.slice(i - 1, i + 1))}`);
    }
  }
  const last = calls[calls.length - 1];
  assert.equal(last.packetsRead, result.packetsRead);
  assert.equal(last.packetsWritten, result.packetsWritten);
  assert.equal(last.bytesRead, result.bytesRead);
  assert.equal(last.totalBytes, statSync(input).size);
  assert.ok(calls.every((c) => c.packetsWritten <= c.packetsRead && c.bytesRead <= c.totalBytes));
});

test('an already-aborted signal rejects with AbortError', { skip }, async () => {
  const out = outPath('aborted');
  const err = await rejection(
    filterFile(corpusFile('many-protocols.pcap'), out, '', { signal: AbortSignal.abort() }),
  );
  assert.equal(err.name, 'AbortError');
  assert.equal(existsSync(out), false);
});

test('a file cut mid-packet: ETRUNCATED, the output holds every whole packet', { skip }, async () => {
  for (const name of ['derived-cut-mid-packet.pcap', 'derived-cut-mid-record-header.pcap']) {
    const input = corpusFile(name);
    const readable = manifestRow(name).libpcapPackets;
    const expected = outPath('cut-td');
    const td = tcpdumpFilter(input, expected, '');
    assert.notEqual(td.status, 0, 'tcpdump stops on it too');

    const out = outPath('cut');
    const err = await rejection(filterFile(input, out, ''));
    assert.ok(err instanceof PcapError, String(err));
    assert.equal(err.code, 'ETRUNCATED');
    assert.ok(err.message.includes(td.error), `"${err.message}" includes "${td.error}"`);
    assert.equal(err.packetsRead, readable);
    const cap = capinfosCount(out);
    assert.equal(cap.status, 0, cap.stderr);
    assert.equal(cap.count, readable, `${name}: capinfos -c`);
    assert.equal(capinfosCount(expected).count, readable, 'oracle self-check');
    assert.ok(readFileSync(out).equals(readFileSync(expected)), `${name}: same salvage as tcpdump`);
  }
});

// The same BPF semantics on the reading path: the reader's `filter` option and setFilter().
const READER_CASES = [
  ['many-protocols.pcap', 'tcp port 443'],
  ['VlanPackets.pcap', 'vlan and vlan and ip'],
  ['sll.pcap', 'udp'],
  ['ip-frag.pcap', 'ip[6:2] & 0x3fff != 0'],
  ['nanosecs_big_endian.pcap', 'greater 200'],
  ['bgp-role.pcapng', 'tcp'],
  ['null_loopback.pcap', 'ip6'],
  ['quic_handshake.pcap', 'udp'],
  ['derived-loop-from-null.pcap', 'ip or ip6'],
];

for (const [name, expr] of READER_CASES) {
  test(`PCAPReader filter '${expr}' on ${name} selects what tcpdump selects`, { skip }, async () => {
    const input = corpusFile(name);
    const want = tcpdumpDump(input, { expr });
    assert.equal(want.status, 0);
    const total = capinfosCount(input).count;
    const rows = (packets) => packets.map((p) => [p.caplen, p.length, p.data.toString('hex')]);
    const wantRows = want.records.map((r) => [r.caplen, r.len, r.data.toString('hex')]);

    const reader = new PCAPReader(input, { filter: expr });
    const got = [];
    for await (const p of reader) got.push(p);
    assert.deepEqual(rows(got), wantRows, `${name} [${expr}] via the filter option`);
    assert.deepEqual(reader.stats, { packetsRead: total, packetsDelivered: want.records.length });

    const reader2 = new PCAPReader(input);
    reader2.setFilter(expr);
    const got2 = [];
    for await (const p of reader2) got2.push(p);
    assert.deepEqual(rows(got2), wantRows, `${name} [${expr}] via setFilter`);
  });
}
