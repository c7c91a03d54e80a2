// Live capture between two network namespaces joined by a veth pair: what one side sends with
// PCAPSocket.send() is compared byte for byte with what PCAPSocket and tcpdump capture on the
// other side; promiscuous mode, direction, send errors and an interface vanishing mid-capture.
// Needs root and ip (iproute2); skips with the reason otherwise. All traffic stays inside the
// namespaces created here (10.199.x.y), which are removed in after() even when a test fails.
import { before, after } from 'node:test';
import { test, tool } from './support/skips.mjs';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PCAPReader } from '../dist/esm/index.mjs';
import { makeTmpDir } from './support/tmpdir.mjs';
import {
  netnsSkip, cleanupLeftovers, createPair, startAgent, startTcpdump, killChildren, linkInfo, ip,
  macBytes,
} from './support/netns.mjs';

const tcpdumpMissing = tool('tcpdump');
const skip = netnsSkip || tcpdumpMissing;

const CUSTOM_ETHERTYPE = 0x88b5; // IEEE "local experimental" EtherType

function ipBytes(addr) {
  return Buffer.from(addr.split('.').map(Number));
}

function checksum(buf) {
  let sum = 0;
  for (let i = 0; i + 1 < buf.length; i += 2) sum += buf.readUInt16BE(i);
  if (buf.length & 1) sum += buf[buf.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** An Ethernet + IPv4 + UDP frame with correct IP and UDP checksums. */
function udpFrame({ dstMac, srcMac, srcIp, dstIp, srcPort, dstPort, payload }) {
  const udpLen = 8 + payload.length;
  const ipHdr = Buffer.alloc(20);
  ipHdr[0] = 0x45;
  ipHdr.writeUInt16BE(20 + udpLen, 2);
  ipHdr.writeUInt16BE(0x1234, 4);
  ipHdr[8] = 64;
  ipHdr[9] = 17;
  ipBytes(srcIp).copy(ipHdr, 12);
  ipBytes(dstIp).copy(ipHdr, 16);
  ipHdr.writeUInt16BE(checksum(ipHdr), 10);
  const udp = Buffer.alloc(udpLen);
  udp.writeUInt16BE(srcPort, 0);
  udp.writeUInt16BE(dstPort, 2);
  udp.writeUInt16BE(udpLen, 4);
  payload.copy(udp, 8);
  const pseudo = Buffer.concat([ipBytes(srcIp), ipBytes(dstIp), Buffer.from([0, 17, udpLen >> 8, udpLen & 255]), udp]);
  udp.writeUInt16BE(checksum(pseudo) || 0xffff, 6);
  return Buffer.concat([macBytes(dstMac), macBytes(srcMac), Buffer.from([0x08, 0x00]), ipHdr, udp]);
}

/** A frame of exactly `size` bytes with the given EtherType; the payload starts with a tag byte. */
function etherFrame({ dstMac, srcMac, type = CUSTOM_ETHERTYPE, size, tag }) {
  const f = Buffer.alloc(size);
  macBytes(dstMac).copy(f, 0);
  macBytes(srcMac).copy(f, 6);
  f.writeUInt16BE(type, 12);
  if (size > 14) {
    randomBytes(size - 14).copy(f, 14);
    f[14] = tag;
  }
  return f;
}

/** An 802.1Q (0x8100) or 802.1ad (0x88a8) tagged frame around a custom-EtherType payload. */
function vlanFrame({ dstMac, srcMac, tpid, vid, size, tag }) {
  const inner = etherFrame({ dstMac, srcMac, size: size - 4, tag });
  const tci = Buffer.alloc(4);
  tci.writeUInt16BE(tpid, 0);
  tci.writeUInt16BE((3 << 13) | vid, 2);
  return Buffer.concat([inner.subarray(0, 12), tci, inner.subarray(12)]);
}

const hex = (b) => Buffer.from(b).toString('hex');

async function readAll(path) {
  const out = [];
  const reader = new PCAPReader(path);
  for await (const p of reader) {
    out.push({ hex: hex(p.data), caplen: p.caplen, length: p.length, tsSec: p.tsSec, tsNsec: p.tsNsec });
  }
  return { packets: out, linktypeName: reader.linktypeName };
}

let pair;
const agents = [];
async function agent(ns) {
  const a = await startAgent(ns, { limitMs: 60_000 });
  agents.push(a);
  return a;
}

before(() => {
  if (skip) return;
  cleanupLeftovers();
  pair = createPair({ tag: '', subnet: 0 });
});

after(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  killChildren();
  pair?.destroy();
});

test('frames sent in namespace A arrive byte for byte at PCAPSocket and tcpdump in B', { skip, timeout: 60_000 }, async (t) => {
  const { nsA, nsB, vethA, vethB, macA, macB, ipA, ipB, mtu } = pair;
  const dir = makeTmpDir('pcapkit-netns-');
  const file = join(dir, 'vethB.pcap');
  const A = await agent(nsA);
  const B = await agent(nsB);
  // Only A's frames: with static neighbours and IPv6 off, A's kernel sends nothing by itself.
  const filter = `ether src ${macA}`;
  const tcpdump = await startTcpdump(nsB, ['-i', vethB, '-n', '-U', '--immediate-mode', '-Z', 'root', '--time-stamp-precision=nano', '-w', file, filter]);
  let dumped;
  try {
    await B.call('open', { sid: 'rx', device: vethB, options: { filter, timeout: 50 } });
    await A.call('open', { sid: 'tx', device: vethA, options: { timeout: 50 }, iterate: false });
    const frames = [
      udpFrame({ dstMac: macB, srcMac: macA, srcIp: ipA, dstIp: ipB, srcPort: 40001, dstPort: 40002, payload: Buffer.from('pcapkit over a veth pair') }),
      etherFrame({ dstMac: macB, srcMac: macA, size: 14, tag: 1 }), // header only
      etherFrame({ dstMac: macB, srcMac: macA, size: 42, tag: 2 }), // below the 60-byte minimum: veth does not pad
      etherFrame({ dstMac: macB, srcMac: macA, size: 60, tag: 3 }),
      etherFrame({ dstMac: 'ff:ff:ff:ff:ff:ff', srcMac: macA, size: 64, tag: 4 }),
      etherFrame({ dstMac: macB, srcMac: macA, size: 128, tag: 5 }),
      etherFrame({ dstMac: macB, srcMac: macA, size: 333, tag: 6 }),
      etherFrame({ dstMac: macB, srcMac: macA, size: 1000, tag: 7 }),
      etherFrame({ dstMac: macB, srcMac: macA, size: mtu, tag: 8 }),
      etherFrame({ dstMac: macB, srcMac: macA, size: mtu + 14, tag: 9 }), // the largest the MTU allows
      // veth hands VLAN tags to the stack out of band; libpcap puts them back into the bytes.
      vlanFrame({ dstMac: macB, srcMac: macA, tpid: 0x8100, vid: 199, size: 200, tag: 10 }),
      vlanFrame({ dstMac: macB, srcMac: macA, tpid: 0x88a8, vid: 42, size: 300, tag: 11 }),
    ];
    const sent = await A.call('send', { sid: 'tx', frames: frames.map(hex) });
    assert.deepEqual(sent.results, frames.map((f) => ({ bytes: f.length })), 'send() reports every frame as sent whole');

    const got = await B.call('wait', { sid: 'rx', count: frames.length, ms: 10_000 }, 15_000);
    assert.equal(got.end, null, 'the capture in B is still running');
    // tcpdump runs in immediate mode and writes each frame at once (-U); leave it a moment.
    await new Promise((r) => setTimeout(r, 300));
    const stopped = await tcpdump.stop();
    assert.equal(stopped.code, 0, stopped.stderr);
    dumped = await readAll(file);
    assert.equal(dumped.linktypeName, 'EN10MB');

    assert.equal(got.packets.length, frames.length, 'PCAPSocket in B got every frame, and nothing else');
    assert.deepEqual(got.packets.map((p) => p.hex), frames.map(hex), 'PCAPSocket: same bytes, same order');
    for (const [i, p] of got.packets.entries()) {
      assert.equal(p.caplen, frames[i].length, `frame ${i}: caplen`);
      assert.equal(p.length, frames[i].length, `frame ${i}: wire length`);
      assert.equal(p.linktype, 1);
    }
    assert.equal(dumped.packets.length, frames.length, `tcpdump wrote every frame (${stopped.stderr.trim()})`);
    assert.deepEqual(dumped.packets.map((p) => p.hex), got.packets.map((p) => p.hex), 'tcpdump and PCAPSocket agree byte for byte');
    assert.deepEqual(dumped.packets.map((p) => p.length), got.packets.map((p) => p.length), 'same wire lengths');
    // Both capture sockets are handed the same skb; report how their timestamps compare.
    const deltas = got.packets.map((p, i) => (p.tsSec - dumped.packets[i].tsSec) * 1e9 + (p.tsNsec - dumped.packets[i].tsNsec));
    t.diagnostic(`PCAPSocket - tcpdump timestamp differences (ns): ${deltas.join(' ')}`);
    for (const d of deltas) assert.ok(Math.abs(d) < 1e9, 'the two captures stamp the same moment');
  } finally {
    await tcpdump.stop();
    await B.request('close', { sid: 'rx' });
    await A.request('close', { sid: 'tx' });
  }
});

test('promisc: true sees frames for another MAC; on veth a promisc: false socket sees them too', { skip, timeout: 30_000 }, async () => {
  const { nsA, nsB, vethA, vethB, macA, macB } = pair;
  const A = await agent(nsA);
  const B = await agent(nsB);
  const filter = `ether proto ${CUSTOM_ETHERTYPE}`;
  const base = linkInfo(nsB, vethB).promiscuity;
  await B.call('open', { sid: 'promisc', device: vethB, options: { filter, timeout: 50, promisc: true } });
  const withPromisc = linkInfo(nsB, vethB).promiscuity;
  await B.call('open', { sid: 'plain', device: vethB, options: { filter, timeout: 50, promisc: false } });
  const withPlain = linkInfo(nsB, vethB).promiscuity;
  // What promisc changes is the device's promiscuity count, which is what opens a real NIC's
  // hardware address filter.
  assert.equal(withPromisc, base + 1, 'promisc: true puts the device in promiscuous mode');
  assert.equal(withPlain, withPromisc, 'promisc: false leaves the promiscuity count alone');

  await A.call('open', { sid: 'tx', device: vethA, options: { timeout: 50 }, iterate: false });
  const other = '02:00:5e:10:99:99';
  const frames = [
    etherFrame({ dstMac: other, srcMac: macA, size: 80, tag: 1 }),
    etherFrame({ dstMac: macB, srcMac: macA, size: 90, tag: 2 }),
    etherFrame({ dstMac: '02:00:5e:10:99:98', srcMac: macA, size: 100, tag: 3 }),
  ];
  await A.call('send', { sid: 'tx', frames: frames.map(hex) });
  const p = await B.call('wait', { sid: 'promisc', count: 3, ms: 5000 });
  const q = await B.call('wait', { sid: 'plain', count: 3, ms: 5000 });
  assert.deepEqual(p.packets.map((x) => x.hex), frames.map(hex), 'the promiscuous socket sees frames for other MACs');
  // A veth has no hardware MAC filter: veth_xmit hands every frame to the peer, which marks
  // frames for other MACs PACKET_OTHERHOST, and AF_PACKET sockets receive every packet type.
  // So on veth a non-promiscuous capture sees the foreign frames as well (on a real NIC the
  // hardware would have discarded them before the kernel saw them).
  assert.deepEqual(q.packets.map((x) => x.hex), frames.map(hex), 'veth delivers foreign-MAC frames to every packet socket');

  await B.call('close', { sid: 'promisc' });
  assert.equal(linkInfo(nsB, vethB).promiscuity, base, 'closing the promiscuous capture restores the count');
  await B.call('close', { sid: 'plain' });
  await A.call('close', { sid: 'tx' });
});

test("direction 'in' drops what B sends itself; 'inout' sees both ways; 'out' only B's", { skip, timeout: 30_000 }, async () => {
  const { nsA, nsB, vethA, vethB, macA, macB } = pair;
  const A = await agent(nsA);
  const B = await agent(nsB);
  const filter = `ether proto ${CUSTOM_ETHERTYPE}`;
  await B.call('open', { sid: 'in', device: vethB, options: { filter, timeout: 50, direction: 'in' } });
  await B.call('open', { sid: 'inout', device: vethB, options: { filter, timeout: 50, direction: 'inout' } });
  await B.call('open', { sid: 'out', device: vethB, options: { filter, timeout: 50, direction: 'out' } });
  await A.call('open', { sid: 'tx', device: vethA, options: { timeout: 50 }, iterate: false });
  const fromA = [1, 2, 3].map((tag) => etherFrame({ dstMac: macB, srcMac: macA, size: 60 + tag, tag }));
  const fromB = [4, 5].map((tag) => etherFrame({ dstMac: macA, srcMac: macB, size: 60 + tag, tag }));
  await A.call('send', { sid: 'tx', frames: fromA.map(hex) });
  await B.call('wait', { sid: 'inout', count: 3, ms: 5000 });
  // B's own frames, sent through the 'in' socket itself.
  const r = await B.call('send', { sid: 'in', frames: fromB.map(hex) });
  assert.deepEqual(r.results, fromB.map((f) => ({ bytes: f.length })));
  const inout = await B.call('wait', { sid: 'inout', count: 5, ms: 5000 });
  const out = await B.call('wait', { sid: 'out', count: 2, ms: 5000 });
  // Give the 'in' socket the time to (wrongly) deliver B's frames, then look.
  await new Promise((res) => setTimeout(res, 300));
  const inn = await B.call('packets', { sid: 'in' });
  assert.deepEqual(inout.packets.map((x) => x.hex), [...fromA, ...fromB].map(hex), "'inout' sees both directions");
  assert.deepEqual(inn.packets.map((x) => x.hex), fromA.map(hex), "'in' sees A's frames only");
  assert.deepEqual(out.packets.map((x) => x.hex), fromB.map(hex), "'out' sees B's frames only");
  for (const sid of ['in', 'inout', 'out']) await B.call('close', { sid });
  await A.call('close', { sid: 'tx' });
});

test('send(): a frame over the MTU fails with EMSGSIZE, sending on any with ENOTSUP', { skip, timeout: 30_000 }, async () => {
  const { nsA, nsB, vethA, vethB, macA, macB } = pair;
  const A = await agent(nsA);
  const B = await agent(nsB);
  await B.call('open', { sid: 'rx', device: vethB, options: { filter: `ether proto ${CUSTOM_ETHERTYPE}`, timeout: 50 } });
  await A.call('open', { sid: 'tx', device: vethA, options: { timeout: 50 }, iterate: false });
  try {
    const frame = (size, tag) => hex(etherFrame({ dstMac: macB, srcMac: macA, size, tag }));
    let mtu = linkInfo(nsA, vethA).mtu;
    let r = await A.call('send', { sid: 'tx', frames: [frame(mtu + 15, 1), frame(mtu + 14, 2), frame(9000, 3)] });
    assert.equal(r.results[0].error?.code, 'EMSGSIZE', JSON.stringify(r.results[0]));
    assert.equal(r.results[0].error.isPcapError, true);
    assert.deepEqual(r.results[1], { bytes: mtu + 14 });
    assert.equal(r.results[2].error?.code, 'EMSGSIZE');
    // The limit follows the interface's MTU as ip reports it.
    ip(['-n', nsA, 'link', 'set', vethA, 'mtu', '1280']);
    mtu = linkInfo(nsA, vethA).mtu;
    assert.equal(mtu, 1280);
    r = await A.call('send', { sid: 'tx', frames: [frame(mtu + 15, 4), frame(mtu + 14, 5)] });
    assert.equal(r.results[0].error?.code, 'EMSGSIZE');
    assert.deepEqual(r.results[1], { bytes: mtu + 14 });
    const got = await B.call('wait', { sid: 'rx', count: 2, ms: 5000 });
    assert.deepEqual(got.packets.map((p) => p.length), [1514, 1294], 'only the frames that fit went out');

    await A.call('open', { sid: 'any', device: 'any', options: { timeout: 50 }, iterate: false });
    r = await A.call('send', { sid: 'any', frames: [frame(60, 6)] });
    assert.equal(r.results[0].error?.code, 'ENOTSUP', JSON.stringify(r.results[0]));
    assert.equal(r.results[0].error.isPcapError, true);
    await A.call('close', { sid: 'any' });
  } finally {
    ip(['-n', nsA, 'link', 'set', vethA, 'mtu', '1500']);
    await B.request('close', { sid: 'rx' });
    await A.request('close', { sid: 'tx' });
  }
});

test('deleting the veth under a running capture ends the loop with a PcapError, no hang, no crash', { skip, timeout: 30_000 }, async (t) => {
  // A pair of its own: this test destroys its link.
  const p = createPair({ tag: 'd', subnet: 1 });
  try {
    const A = await agent(p.nsA);
    const B = await agent(p.nsB);
    await B.call('open', { sid: 'rx', device: p.vethB, options: { timeout: 1000 } });
    await A.call('open', { sid: 'tx', device: p.vethA, options: { timeout: 50 }, iterate: false });
    const frames = [1, 2].map((tag) => hex(etherFrame({ dstMac: p.macB, srcMac: p.macA, size: 64, tag })));
    await A.call('send', { sid: 'tx', frames });
    const first = await B.call('wait', { sid: 'rx', count: 2, ms: 5000 });
    assert.equal(first.packets.length, 2, 'the capture was running');

    // Taking the link down only pauses the capture (libpcap keeps waiting for it to come back).
    ip(['-n', p.nsB, 'link', 'set', p.vethB, 'down']);
    const down = await B.call('waitEnd', { sid: 'rx', ms: 1500 });
    assert.equal(down.end, null, 'a link that is merely down does not end the capture');
    const downSend = await A.call('send', { sid: 'tx', frames: [frames[0]] });
    t.diagnostic(`send to a peer whose end is down: ${JSON.stringify(downSend.results[0])}`);

    const t0 = performance.now();
    ip(['-n', p.nsB, 'link', 'del', p.vethB]); // deletes both ends
    const r = await B.call('waitEnd', { sid: 'rx', ms: 10_000 }, 15_000);
    const ms = performance.now() - t0;
    t.diagnostic(`after deleting the veth: ${JSON.stringify(r.end)} after ${ms.toFixed(0)} ms`);
    assert.ok(r.end, `the loop ended (waited ${r.waited.toFixed(0)} ms)`);
    if (!r.end.clean) {
      assert.equal(r.end.error.isPcapError, true, `a PcapError: ${JSON.stringify(r.end.error)}`);
      assert.match(r.end.error.code, /^(ENETDOWN|ENODEV)$/);
      assert.match(r.end.error.message, new RegExp(p.vethB), 'the message names the device');
    }
    assert.equal(r.closed, true, 'the socket closed itself when its loop ended');
    assert.equal(r.packets, 2);
    // The process is alive and well, and sending on the vanished device fails cleanly.
    assert.equal((await B.call('ping')).ok, true);
    const gone = await A.call('send', { sid: 'tx', frames: [frames[0]] });
    assert.equal(gone.results[0].error?.isPcapError, true, JSON.stringify(gone.results[0]));
    t.diagnostic(`send on the deleted veth: ${JSON.stringify(gone.results[0].error)}`);
    // Opening it now says it does not exist.
    const reopen = await B.request('open', { sid: 'again', device: p.vethB });
    assert.equal(reopen.error?.code, 'ENODEV');

    await t.test('the vanished interface is reported as ENETDOWN (errors.ts: "the interface is down or went away")', () => {
      assert.equal(r.end.error?.code, 'ENETDOWN');
    });
    await A.stop();
    await B.stop();
  } finally {
    p.destroy();
  }
});
