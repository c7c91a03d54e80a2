// 802.1Q / 802.1ad tag decoder: hand-built tag stacks, truncation, and real tagged frames
// against tshark (vlan.id, vlan.priority, vlan.dei, vlan.etype, ieee8021ad.id).
import { test } from './support/skips.mjs';
import assert from 'node:assert/strict';

import { Decoder, LayerType, MAX_VLAN_TAGS } from '../dist/esm/index.mjs';
import { corpusSkip } from './support/corpus.mjs';
import { checkTruncations, corpusFrameSets, readEverything, tsharkSkip } from './support/tshark-fields.mjs';

const MACS = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];
const ARP = [0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2];
/** Ethernet frame with tags [tpid, tci] in order, then `type` and `payload`. */
function tagged(tags, type, payload) {
  const bytes = [...MACS];
  for (const [tpid, tci] of tags) bytes.push(tpid >> 8, tpid & 255, tci >> 8, tci & 255);
  bytes.push(type >> 8, type & 255, ...payload);
  return Buffer.from(bytes);
}

test('one 802.1Q tag: TCI split into priority, DEI and VLAN id', () => {
  // PCP 5, DEI 1, VID 0xabc
  const d = new Decoder().decode(tagged([[0x8100, (5 << 13) | 0x1000 | 0xabc]], 0x0806, ARP), 1);
  assert.deepEqual(d.layers, [LayerType.Ethernet, LayerType.Dot1Q, LayerType.ARP]);
  assert.equal(d.vlanCount, 1);
  const v = d.vlans[0];
  assert.equal(v.tpid, 0x8100);
  assert.equal(v.tci, 0xbabc);
  assert.equal(v.priority, 5);
  assert.equal(v.dropEligible, true);
  assert.equal(v.vlanId, 0xabc);
  assert.equal(v.etherType, 0x0806);
  assert.equal(v.offset, 14);
  assert.equal(v.headerLength, 4);
  assert.equal(v.payloadLength, ARP.length);
  assert.equal(d.arp.offset, 18);
});

test('QinQ: 802.1ad S-tag then C-tag, and the old 0x9100 TPID', () => {
  const d = new Decoder().decode(tagged([[0x88a8, 100], [0x8100, (3 << 13) | 200]], 0x0806, ARP), 1);
  assert.equal(d.vlanCount, 2);
  assert.deepEqual([d.vlans[0].tpid, d.vlans[0].vlanId, d.vlans[0].priority], [0x88a8, 100, 0]);
  assert.deepEqual([d.vlans[1].tpid, d.vlans[1].vlanId, d.vlans[1].priority], [0x8100, 200, 3]);
  assert.equal(d.vlans[0].etherType, 0x8100, 'the S-tag is followed by the C-tag TPID');
  d.decode(tagged([[0x9100, 7], [0x8100, 8]], 0x0806, ARP), 1);
  assert.deepEqual([d.vlans[0].tpid, d.vlans[0].vlanId, d.vlans[1].vlanId], [0x9100, 7, 8]);
  // Fewer tags on the next frame: vlanCount says how many are current.
  d.decode(tagged([], 0x0806, ARP), 1);
  assert.equal(d.vlanCount, 0);
  assert.equal(d.has(LayerType.Dot1Q), false);
});

test(`more than ${MAX_VLAN_TAGS} tags: the first ${MAX_VLAN_TAGS} decoded, the rest is Payload`, () => {
  const tags = Array.from({ length: MAX_VLAN_TAGS + 2 }, (_, i) => [0x8100, i + 1]);
  const d = new Decoder().decode(tagged(tags, 0x0806, ARP), 1);
  assert.equal(d.vlanCount, MAX_VLAN_TAGS);
  assert.deepEqual(d.vlans.map((v) => v.vlanId), Array.from({ length: MAX_VLAN_TAGS }, (_, i) => i + 1));
  assert.equal(d.layerTypes[d.layerCount - 1], LayerType.Payload);
  assert.equal(d.payload.offset, 14 + 4 * MAX_VLAN_TAGS);
  assert.equal(d.truncated || d.malformed, false);
});

test('tags cut at every byte', () => {
  const data = tagged([[0x88a8, 100], [0x8100, 200]], 0x0806, ARP);
  checkTruncations(Decoder, data, 1, data.length, (n) =>
    n < 14 ? LayerType.Ethernet : n < 22 ? LayerType.Dot1Q : LayerType.ARP);
  const d = new Decoder();
  for (let n = 14; n < 22; n++) {
    d.decode(data, 1);
    d.decode(data.subarray(0, n), 1);
    const v = d.vlans[d.vlanCount - 1];
    assert.equal(v.truncated, true);
    assert.equal(v.etherType, 0, `cut at ${n}: no stale EtherType`);
    assert.equal(v.vlanId, n - v.offset >= 2 ? [100, 200][d.vlanCount - 1] : 0, `cut at ${n}: id readable only when captured`);
    readEverything(v);
  }
});

test('tags of real frames match tshark', { skip: corpusSkip || tsharkSkip }, async () => {
  const d = new Decoder();
  let n = 0;
  const [vlan, qinq] = await Promise.all([
    corpusFrameSets(['VlanPackets.pcap'], ['vlan.id', 'vlan.priority', 'vlan.dei', 'vlan.etype'], { filter: 'vlan' }),
    corpusFrameSets(['802.1ad_QinQ.pcap', 'QinQ_802.1_AD.pcapng'], ['ieee8021ad.id', 'vlan.id'], { filter: 'ieee8021ad' }),
  ]);
  // VlanPackets: two 0x8100 tags; tshark lists both in order.
  for (const { frame, pkt, ts } of vlan[0][1]) {
    d.decodePacket(pkt);
    assert.equal(d.vlanCount, ts['vlan.id'].length, `#${frame}: tag count`);
    for (let i = 0; i < d.vlanCount; i++) {
      const v = d.vlans[i];
      assert.equal(v.vlanId, Number(ts['vlan.id'][i]), `#${frame} tag ${i}`);
      assert.equal(v.priority, Number(ts['vlan.priority'][i]), `#${frame} tag ${i}`);
      assert.equal(v.dropEligible ? '1' : '0', ts['vlan.dei'][i] === 'True' ? '1' : ts['vlan.dei'][i] === 'False' ? '0' : ts['vlan.dei'][i]);
      if (ts['vlan.etype'][i] !== undefined) assert.equal(v.etherType, Number(ts['vlan.etype'][i]), `#${frame} tag ${i}`);
    }
    n++;
  }
  // 802.1ad: tshark's ieee8021ad.id is the S-tag, vlan.id the C-tag.
  for (const [file, rows] of qinq) {
    for (const { frame, pkt, ts } of rows) {
      d.decodePacket(pkt);
      assert.equal(d.vlans[0].tpid, 0x88a8, `${file} #${frame}`);
      assert.equal(d.vlans[0].vlanId, Number(ts['ieee8021ad.id'][0]), `${file} #${frame}: S-tag`);
      assert.equal(d.vlans[1].vlanId, Number(ts['vlan.id'][0]), `${file} #${frame}: C-tag`);
      n++;
    }
  }
  assert.ok(n >= 20, `compared ${n} frames`);
});
