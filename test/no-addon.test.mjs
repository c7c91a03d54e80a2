// Decoders, builders and analysis are plain JavaScript over the protocol vocabulary (lib/vocab)
// and the batch layout (lib/batch-layout): they must load and work where the native addon
// cannot load. A child process runs with a hook that makes loading the addon throw, loads
// dist/cjs/decode, build and analyze, builds a packet, decodes, summarises and analyses it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const hook = join(root, 'test', 'support', 'block-addon.cjs');

const CHILD = String.raw`
const dist = process.argv[1];
const out = {};
const decode = require(dist + '/decode/index.js');
const build = require(dist + '/build/index.js');
const analyze = require(dist + '/analyze/index.js');
const frame = build.build(
  build.ether({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }),
  build.dot1q({ vlanId: 5 }),
  build.ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }),
  build.tcp({ srcPort: 40000, dstPort: 80, flags: 'PA' }),
  build.payload('GET / HTTP/1.1\r\n\r\n'),
);
const d = new decode.Decoder().decode(frame, 1);
out.layers = d.layers.map((t) => decode.LAYER_NAMES[t]);
out.vlan = d.vlans[0].vlanId;
out.ports = [d.tcp.srcPort, d.tcp.dstPort];
out.flags = d.tcp.flagString;
out.summary = decode.summary(d);
out.json = decode.decodedToJSON(d).layers.map((l) => l.type);
const a = new analyze.TrafficAnalyzer();
a.addRaw(frame, 1, frame.length, 1, 0);
const r = a.result();
out.analyzed = { packets: r.packets, applications: r.applications.map((x) => x.application), hierarchy: r.hierarchy.map((h) => h.path) };
analyze.analyze([{ data: frame, linktype: 1, length: frame.length, tsSec: 2, tsNsec: 0 }]).then(
  (res) => {
    out.iterable = res.packets;
    out.loaded = Object.keys(require.cache).filter((f) => /binding|reader|bpf|node-gyp-build/.test(f)).map((f) => f.slice(f.lastIndexOf('/') + 1));
    try {
      require(dist + '/index.js');
      out.index = 'loaded';
    } catch (err) {
      out.index = String(err.message);
    }
    console.log(JSON.stringify(out));
  },
  (err) => {
    console.error('analyze(iterable) failed: ' + err.message);
    process.exit(3);
  },
);
`;

test('decode, build and analyze load and work without the native addon', () => {
  const r = spawnSync(process.execPath, ['--require', hook, '-e', CHILD, join(root, 'dist', 'cjs')], { encoding: 'utf8' });
  assert.equal(r.status, 0, `child failed:\n${r.stderr}`);
  const out = JSON.parse(r.stdout);
  // The hook works: the whole package (readers, sockets...) does need the addon.
  assert.match(out.index, /native addon blocked/);
  assert.deepEqual(out.layers, ['Ethernet', 'Dot1Q', 'IPv4', 'TCP', 'Payload']);
  assert.equal(out.vlan, 5);
  assert.deepEqual(out.ports, [40000, 80]);
  assert.equal(out.flags, 'PA');
  assert.match(out.summary, /TCP/);
  assert.deepEqual(out.json, ['ethernet', 'dot1q', 'ipv4', 'tcp', 'payload']);
  assert.deepEqual(out.analyzed, { packets: 1, applications: ['HTTP'], hierarchy: ['eth', 'eth/vlan', 'eth/vlan/ipv4', 'eth/vlan/ipv4/tcp', 'eth/vlan/ipv4/tcp/data'] });
  assert.equal(out.iterable, 1);
  assert.deepEqual(out.loaded, [], 'nothing that needs the addon was loaded');
});
