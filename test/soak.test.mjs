// Soak, short (the long run is `npm run soak`): 2,000,000 packets through for-await + a reused
// Decoder + PCAPWriter, and (root) a 15 s live capture on lo under a bounded loopback flood,
// each in a child process (scripts/soak/*-worker.mjs) that reports its memory samples and its
// open descriptors before opening and after closing as JSON. Asserted: RSS grows by less than
// MAX_GROWTH_MB from the 25% point to the end, every descriptor is released, every packet is written.
// Two deliberately leaky runs show these checks fail when a reader is never closed or packets
// are kept.
import { before } from 'node:test';
import { test, need } from './support/skips.mjs';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  PCAPWriter, PCAPReader, build, ether, dot1q, arp, ipv4, ipv6, tcp, udp, icmp, dnsQuery, payload,
} from '../dist/esm/index.mjs';
import { makeTmpDir } from './support/tmpdir.mjs';
import { capinfosCount, toolsSkip } from './support/oracle.mjs';
import { runFileSoak } from '../scripts/soak/file.mjs';
import { compileFlood, liveSkipReason, runLiveSoak } from '../scripts/soak/live.mjs';
import { fdDiff } from '../scripts/soak/measure.mjs';
import { assertRssBound } from './support/sanitizers.mjs';

const MB = 1024 * 1024;
const INPUT_PACKETS = 100_000;
const SOAK_PACKETS = 2_000_000;
// RSS in a steady loop still moves in steps of several MB: a batch's memory goes back to the
// addon's block pool only when V8 collects it, so RSS follows the high-water mark of batches
// awaiting collection. That level is reached within ~400,000 packets (before the 25% point);
// after it, up to ~13 MB of steps were seen to the end. The packets kept below add 60+ MB over
// the same stretch; a per-packet leak of 16 bytes would add ~24 MB.
const MAX_GROWTH_MB = 24;

const dir = makeTmpDir('pcapkit-soak-');
const input = join(dir, 'input.pcap');

// 64 different frames (TCP with and without data, DNS, UDP over IPv6, ICMP, ARP, VLAN-tagged),
// written round-robin with rising timestamps: every decoder path the soak reads fields from.
function frames() {
  const mac = { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' };
  const out = [];
  for (let i = 0; i < 64; i++) {
    const v4 = ipv4({ src: `10.0.${i}.1`, dst: `192.0.2.${i + 1}` });
    switch (i % 8) {
      case 0: case 1: case 2:
        out.push(build(ether(mac), v4, tcp({ srcPort: 40000 + i, dstPort: 443, flags: 'PA', seq: i }), payload(Buffer.alloc(i * 20, i))));
        break;
      case 3:
        out.push(build(ether(mac), v4, tcp({ srcPort: 40000 + i, dstPort: 80, flags: 'S', options: { mss: 1460 } })));
        break;
      case 4:
        out.push(build(ether(mac), v4, udp({ srcPort: 50000 + i, dstPort: 53 }), dnsQuery({ id: i, name: `host${i}.example.com` })));
        break;
      case 5:
        out.push(build(ether(mac), ipv6({ src: `2001:db8::${i}`, dst: '2001:db8::1' }), udp({ srcPort: 123, dstPort: 123 }), payload(Buffer.alloc(48, i))));
        break;
      case 6:
        out.push(build(ether(mac), dot1q({ vlanId: 10 + i }), v4, icmp({ type: 'echo-request' }), payload(Buffer.alloc(56, i))));
        break;
      default:
        out.push(build(ether({ src: mac.src }), arp({ opcode: 'request', senderHw: mac.src, senderProto: `10.0.${i}.1`, targetProto: '10.0.0.254' })));
    }
  }
  return out;
}

before(async () => {
  const pool = frames();
  const w = new PCAPWriter(input);
  for (let i = 0; i < INPUT_PACKETS; i++) w.write(pool[i % pool.length], { tsSec: 1_700_000_000 + Math.floor(i / 1000), tsNsec: (i % 1000) * 1000 });
  await w.close();
});

/** RSS growth in MB from the first sample at 25% of the run (by `at`) to the 'end' sample. */
function growthFromQuarter(samples, at) {
  const end = samples.findLast((s) => s.tag === 'end');
  const quarter = samples.find((s) => at(s) >= at(end) / 4);
  return (end.rss - quarter.rss) / MB;
}

function describeFds(w) {
  return fdDiff(w.fdsBefore, w.fdsAfter).map((f) => `${f.fd} -> ${f.target}`).join(', ');
}

test('file soak: 2,000,000 packets read, decoded and written with flat RSS and every descriptor released', async (t) => {
  const output = join(dir, 'out.pcap');
  const w = await runFileSoak({ input, output, packets: SOAK_PACKETS, limitMs: 45_000 });
  assert.equal(w.packets, SOAK_PACKETS);
  assert.equal(w.passes, SOAK_PACKETS / INPUT_PACKETS);
  // The decoder saw what the input holds: 3 TCP data + 1 SYN, 2 UDP (DNS, NTP) per 8 frames.
  assert.equal(w.counts.tcp, SOAK_PACKETS / 2);
  assert.equal(w.counts.udp, SOAK_PACKETS / 4);
  assert.equal(w.counts.dns, SOAK_PACKETS / 8);
  assert.equal(w.counts.malformed, 0);
  const growth = growthFromQuarter(w.samples, (s) => s.packets);
  t.diagnostic(`RSS growth from 25% of the packets to the end: ${growth.toFixed(1)} MB`);
  assertRssBound(t, growth < MAX_GROWTH_MB, `RSS grew ${growth.toFixed(1)} MB from 25% of the packets to the end`);
  assert.deepEqual(describeFds(w), '', 'descriptors left open');
  assert.equal(w.fdsAfter.length, w.fdsBefore.length);
  const expected = toolsSkip ? await countByReading(output) : capinfosCount(output).count;
  assert.equal(expected, SOAK_PACKETS, 'packets in the output');
});

async function countByReading(path) {
  let n = 0;
  for await (const b of new PCAPReader(path).batches({ recycle: true })) n += b.count;
  return n;
}

test('the soak checks fail on leaks: a reader never closed, packets kept', async (t) => {
  // One extra PCAPReader per pass, never closed: its descriptor is still open at the end.
  const r = await runFileSoak({ input, output: join(dir, 'leak-reader.pcap'), packets: 300_000, leak: 'reader', limitMs: 30_000 });
  const left = fdDiff(r.fdsBefore, r.fdsAfter);
  assert.equal(r.passes, 3);
  assert.ok(left.length >= 3, `at least one descriptor per leaked reader: ${describeFds(r)}`);
  assert.ok(left.every((f) => f.target.endsWith('input.pcap')), describeFds(r));
  // Every 5000th packet kept: each keeps its whole batch arena alive.
  const p = await runFileSoak({ input, output: join(dir, 'leak-packets.pcap'), packets: SOAK_PACKETS, leak: 'packets', limitMs: 45_000 });
  const growth = growthFromQuarter(p.samples, (s) => s.packets);
  t.diagnostic(`with packets kept, RSS growth from 25% of the packets to the end: ${growth.toFixed(1)} MB`);
  assert.ok(growth >= MAX_GROWTH_MB, `RSS grew only ${growth.toFixed(1)} MB with packets kept`);
  assert.deepEqual(describeFds(p), '');
});

// 100,000 datagrams/s for 13 s: busy, and still below what a slow CI machine keeps up with. A
// capture that falls behind (a saturated lo) holds many more batch blocks awaiting collection, and
// its RSS climbs by up to ~100 MB before levelling off (`npm run soak -- --live --pps 0`).
const liveSkip = need(liveSkipReason());
test('live soak: 15 s on lo under a bounded flood with flat RSS and every descriptor released', { skip: liveSkip, timeout: 60_000 }, async (t) => {
  const floodBin = compileFlood(dir);
  const r = await runLiveSoak({ seconds: 15, pps: 100_000, size: 200, floodBin });
  const w = r.worker;
  assert.ok(w.packets > 500_000, `captured only ${w.packets} of ${r.sent} packets`);
  assert.ok(w.packets <= r.sent);
  assert.equal(w.matched, w.packets, 'every packet decodes as UDP to the flood port');
  const growth = growthFromQuarter(w.samples, (s) => s.t);
  t.diagnostic(`${w.packets} packets captured of ${r.sent} sent, ${w.stats.dropped} dropped; RSS growth from 25% of the run to the end: ${growth.toFixed(1)} MB`);
  assertRssBound(t, growth < MAX_GROWTH_MB, `RSS grew ${growth.toFixed(1)} MB from 25% of the run to the end`);
  assert.deepEqual(describeFds(w), '', 'descriptors left open');
  assert.equal(w.fdsAfter.length, w.fdsBefore.length);
});
