// tshark as the oracle for the decoders: runs `tshark -T fields` with the field list the
// decoder tests compare, parses its rows, and puts both tshark's text and pcapkit's decoded
// values into one canonical text form per field, so that only real differences remain.
//
// Canonical forms: numbers in decimal (tshark prints some fields in hex: eth.type, ip.id,
// tcp.flags, dns.id), MAC addresses lowercase, IPv6 addresses fully expanded (8 groups of 4
// hex digits, so that '::' placement and embedded IPv4 notation do not matter), booleans 0/1.
//
// Also here, for the per-protocol decoder tests and the fuzz test: any tshark fields of chosen
// corpus frames (corpusFrames, corpusFrameSets), reading every getter of a decoded layer with
// checks for reads past the packet (readEverything), and cutting a packet at every header byte
// (checkTruncations).
import { tool } from './skips.mjs';
import { spawn } from 'node:child_process';
import { LayerType } from '../../dist/esm/index.mjs';

/** The fields compared, in tshark 4.0 names (checked with `tshark -G fields`). */
export const COMPARED_FIELDS = [
  'eth.src', 'eth.dst', 'eth.type',
  'vlan.id',
  'ip.src', 'ip.dst', 'ip.proto', 'ip.ttl', 'ip.len', 'ip.id', 'ip.frag_offset',
  'ipv6.src', 'ipv6.dst', 'ipv6.nxt', 'ipv6.hlim',
  'tcp.srcport', 'tcp.dstport', 'tcp.seq_raw', 'tcp.ack_raw', 'tcp.flags', 'tcp.window_size_value', 'tcp.len',
  'udp.srcport', 'udp.dstport', 'udp.length',
  'icmp.type', 'icmp.code', 'icmpv6.type', 'icmpv6.code',
  'arp.opcode', 'arp.src.hw_mac', 'arp.src.proto_ipv4', 'arp.dst.hw_mac', 'arp.dst.proto_ipv4',
  'dns.id', 'dns.flags.response', 'dns.qry.name',
];

/** Every field asked of tshark: frame number and protocol chain first. */
export const TSHARK_FIELDS = ['frame.number', 'frame.protocols', ...COMPARED_FIELDS];

/** The tshark options: first occurrence of each field, no reassembly (see corpus README). */
export function tsharkArgs(file) {
  const args = ['-r', file, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=f',
    '-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE', '-o', 'tcp.desegment_tcp_streams:FALSE'];
  for (const f of TSHARK_FIELDS) args.push('-e', f);
  return args;
}

/** false when tshark runs here, otherwise the reason (skips.mjs: skip, or fail when strict). */
export const tsharkSkip = tool('tshark');

/**
 * Runs tshark on a file. Resolves to { status, stderr, rows }, rows being
 * [{ frame, protocols: string[], values: { field: canonical string } }] (empty fields left out).
 * tshark exits non-zero on files cut short after printing what it read; the rows are kept.
 */
export function tsharkRows(file) {
  return new Promise((resolve, reject) => {
    const child = spawn('tshark', tsharkArgs(file), { env: { ...process.env, LC_ALL: 'C' } });
    const out = [];
    let err = '';
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => (err += b));
    child.on('error', reject);
    child.on('close', (status) => {
      const rows = [];
      for (const line of Buffer.concat(out).toString('utf8').split('\n')) {
        if (line === '') continue;
        const cells = line.split('\t');
        if (cells.length !== TSHARK_FIELDS.length) {
          reject(new Error(`tshark row with ${cells.length} cells, expected ${TSHARK_FIELDS.length}: ${line}`));
          return;
        }
        const values = {};
        COMPARED_FIELDS.forEach((f, i) => {
          const v = cells[i + 2];
          if (v !== '') values[f] = canonical(f, v);
        });
        rows.push({ frame: Number(cells[0]), protocols: cells[1].split(':'), values });
      }
      resolve({ status, stderr: err, rows });
    });
  });
}

const HEX_OR_DEC = new Set(['eth.type', 'ip.id', 'tcp.flags', 'dns.id']);
const MACS = new Set(['eth.src', 'eth.dst', 'arp.src.hw_mac', 'arp.dst.hw_mac']);

/** tshark's text for a field in canonical form. */
export function canonical(field, text) {
  if (HEX_OR_DEC.has(field)) return String(Number(text));
  if (MACS.has(field)) return text.toLowerCase();
  if (field === 'ipv6.src' || field === 'ipv6.dst') return expandIpv6(text);
  if (field === 'dns.flags.response') return text === 'True' || text === '1' ? '1' : text === 'False' || text === '0' ? '0' : text;
  return text;
}

/** Any textual IPv6 address (with '::' and/or a trailing dotted quad) as 8 groups of 4 hex digits. */
export function expandIpv6(text) {
  let s = text.toLowerCase();
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number);
    s = s.slice(0, quad.index) + ((a << 8) | b).toString(16) + ':' + ((c << 8) | d).toString(16);
  }
  let groups;
  if (s.includes('::')) {
    const [head, tail] = s.split('::');
    const h = head === '' ? [] : head.split(':');
    const t = tail === '' ? [] : tail.split(':');
    groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  } else {
    groups = s.split(':');
  }
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return `invalid:${text}`;
  return groups.map((g) => g.padStart(4, '0')).join(':');
}

const usable = (layer) => !layer.truncated && !layer.malformed;

/**
 * pcapkit's values for the compared fields of the packet the decoder holds, in canonical form.
 * Only layers decoded whole (not truncated, not malformed) give fields; a truncated or
 * malformed layer and everything after it give none.
 *
 * Field meanings that are not a plain header read:
 * - eth.type: pcapkit's `etherType` holds the 802.3 length when < 0x0600; tshark calls that
 *   eth.len, so eth.type is given only for real EtherTypes.
 * - arp.*.hw_mac / arp.*.proto_ipv4: tshark names the addresses so only for Ethernet or
 *   IEEE 802 hardware (types 1, 6) with 6-byte addresses, and for protocol type 0x0800 with
 *   4-byte addresses (Wireshark's ARP_HW_IS_ETHER / ARP_PRO_IS_IPv4); other addresses are
 *   arp.src.hw / arp.src.proto bytes. pcapkit's senderHw etc. give the same bytes for all.
 * - tcp.len: tshark computes it from the IP length fields. When the whole frame was captured
 *   (caplen === len) pcapkit's own `tcp.payloadLength` must equal it; for snapshot-cut frames
 *   the segment length is computed the same way tshark does, from the decoded IP length fields
 *   and header lengths.
 */
export function decodedValues(d, wireLength) {
  const v = {};
  const whole = d.data.length === wireLength;
  if (d.has(LayerType.Ethernet) && usable(d.ethernet)) {
    v['eth.src'] = d.ethernet.src;
    v['eth.dst'] = d.ethernet.dst;
    if (d.ethernet.etherType >= 0x0600) v['eth.type'] = String(d.ethernet.etherType);
  }
  if (d.vlanCount > 0 && usable(d.vlans[0])) v['vlan.id'] = String(d.vlans[0].vlanId);
  if (d.has(LayerType.IPv4) && usable(d.ipv4)) {
    const ip = d.ipv4;
    v['ip.src'] = ip.src;
    v['ip.dst'] = ip.dst;
    v['ip.proto'] = String(ip.protocol);
    v['ip.ttl'] = String(ip.ttl);
    v['ip.len'] = String(ip.totalLength);
    v['ip.id'] = String(ip.id);
    v['ip.frag_offset'] = String(ip.fragmentOffset);
  }
  if (d.has(LayerType.IPv6) && usable(d.ipv6)) {
    const ip = d.ipv6;
    v['ipv6.src'] = expandIpv6(ip.src);
    v['ipv6.dst'] = expandIpv6(ip.dst);
    v['ipv6.nxt'] = String(ip.nextHeader);
    v['ipv6.hlim'] = String(ip.hopLimit);
  }
  if (d.has(LayerType.TCP) && usable(d.tcp)) {
    const t = d.tcp;
    v['tcp.srcport'] = String(t.srcPort);
    v['tcp.dstport'] = String(t.dstPort);
    v['tcp.seq_raw'] = String(t.seq);
    v['tcp.ack_raw'] = String(t.ack);
    v['tcp.flags'] = String(t.flags);
    v['tcp.window_size_value'] = String(t.window);
    let segment = t.payloadLength;
    if (!whole) {
      if (d.has(LayerType.IPv4)) {
        const total = d.ipv4.totalLength === 0 ? wireLength - d.ipv4.offset : d.ipv4.totalLength;
        segment = total - d.ipv4.headerLength - t.headerLength;
      } else if (d.has(LayerType.IPv6)) {
        const ip = d.ipv6;
        const total = ip.payloadLengthField === 0 ? wireLength - ip.offset - 40 : ip.payloadLengthField;
        segment = total - (ip.headerLength - 40) - t.headerLength;
      }
    }
    v['tcp.len'] = String(segment);
  }
  if (d.has(LayerType.UDP) && usable(d.udp)) {
    v['udp.srcport'] = String(d.udp.srcPort);
    v['udp.dstport'] = String(d.udp.dstPort);
    v['udp.length'] = String(d.udp.length);
  }
  if (d.has(LayerType.ICMPv4) && usable(d.icmpv4)) {
    v['icmp.type'] = String(d.icmpv4.icmpType);
    v['icmp.code'] = String(d.icmpv4.code);
  }
  if (d.has(LayerType.ICMPv6) && usable(d.icmpv6)) {
    v['icmpv6.type'] = String(d.icmpv6.icmpType);
    v['icmpv6.code'] = String(d.icmpv6.code);
  }
  if (d.has(LayerType.ARP) && usable(d.arp)) {
    const a = d.arp;
    v['arp.opcode'] = String(a.opcode);
    if (a.hwSize === 6 && (a.hardwareType === 1 || a.hardwareType === 6)) {
      v['arp.src.hw_mac'] = a.senderHw;
      v['arp.dst.hw_mac'] = a.targetHw;
    }
    if (a.protoSize === 4 && a.protocolType === 0x0800) {
      v['arp.src.proto_ipv4'] = a.senderProto;
      v['arp.dst.proto_ipv4'] = a.targetProto;
    }
  }
  if (d.has(LayerType.DNS) && usable(d.dns)) {
    v['dns.id'] = String(d.dns.id);
    v['dns.flags.response'] = d.dns.response ? '1' : '0';
    const name = d.dns.questionName;
    if (name !== undefined) v['dns.qry.name'] = name;
  }
  return v;
}

const AGG = '\u001f';

function tableArgs(file, fields, { filter, prefs = [] }) {
  const args = ['-r', file, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', `aggregator=${AGG}`,
    '-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE', '-o', 'tcp.desegment_tcp_streams:FALSE',
    '-e', 'frame.number'];
  for (const f of fields) args.push('-e', f);
  for (const p of prefs) args.push('-o', p);
  if (filter) args.push('-Y', filter);
  return args;
}

function parseTable(stdout, fields) {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => {
      const cells = line.split('\t');
      const values = {};
      fields.forEach((f, i) => {
        values[f] = cells[i + 1] === '' || cells[i + 1] === undefined ? [] : cells[i + 1].split(AGG);
      });
      return { frame: Number(cells[0]), values };
    });
}

// At most two tshark processes at a time (the machine has two cores).
let running = 0;
const waiting = [];
async function limited(fn) {
  while (running >= 2) await new Promise((resolve) => waiting.push(resolve));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/**
 * Any tshark fields of a file, every occurrence: resolves to [{ frame, values: { field: string[] } }]
 * (raw tshark text; an empty field gives []). `filter` is a display filter (-Y); frame numbers
 * stay those of the whole file. Reassembly is off as in tsharkArgs(). At most two tshark
 * processes run at a time.
 */
export function tsharkTableAsync(file, fields, opts = {}) {
  return limited(() => new Promise((resolve, reject) => {
    const args = tableArgs(file, fields, opts);
    const child = spawn('tshark', args, { env: { ...process.env, LC_ALL: 'C' } });
    const out = [];
    let err = '';
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => (err += b));
    child.on('error', reject);
    child.on('close', (status) => {
      if (status !== 0) reject(new Error(`tshark ${args.join(' ')} exited ${status}: ${err}`));
      else resolve(parseTable(Buffer.concat(out).toString('utf8'), fields));
    });
  }));
}

/**
 * The packets of a capture file as plain objects { frame, data (a copy), linktype, length },
 * frames numbered from 1 like tshark's. `frames` (a Set) keeps only those.
 */
export async function readPackets(file, { frames } = {}) {
  const { PCAPReader } = await import('../../dist/esm/index.mjs');
  const out = [];
  let n = 0;
  for await (const p of new PCAPReader(file)) {
    n++;
    if (frames && !frames.has(n)) continue;
    out.push({ frame: n, data: Buffer.from(p.data), linktype: p.linktype, length: p.length });
  }
  return out;
}

const getterCache = new WeakMap();

/** Names of the getters of a layer object (own prototype chain, up to Object.prototype). */
export function getterNames(obj) {
  const proto = Object.getPrototypeOf(obj);
  let names = getterCache.get(proto);
  if (names === undefined) {
    const found = new Set();
    for (let p = proto; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
      for (const [k, desc] of Object.entries(Object.getOwnPropertyDescriptors(p))) if (desc.get) found.add(k);
    }
    names = [...found];
    getterCache.set(proto, names);
  }
  return names;
}

/**
 * Reads every getter and own field of a layer object. Throws when a getter throws, or when a
 * value shows a read past the packet: Buffer reads past the end throw RangeError, indexed reads
 * give undefined, which turns into 'undefined' / NaN inside the formatted strings and numbers.
 * Returns the values by name.
 */
export function readEverything(obj) {
  const out = {};
  const check = (name, v) => {
    if (v === undefined || v === null) return;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new Error(`${name} = ${v}`);
    } else if (typeof v === 'string') {
      if (/undefined|NaN/.test(v)) throw new Error(`${name} = ${JSON.stringify(v)} (read past the packet)`);
    } else if (Buffer.isBuffer(v)) {
      // views are bounded by construction
    } else if (Array.isArray(v)) {
      v.forEach((x, i) => check(`${name}[${i}]`, x));
    } else if (typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) check(`${name}.${k}`, x);
    }
  };
  for (const k of Object.keys(obj)) {
    if (k === 'data') continue;
    out[k] = obj[k];
    check(k, out[k]);
  }
  for (const g of getterNames(obj)) {
    let v;
    try {
      v = obj[g];
    } catch (err) {
      throw new Error(`${obj.constructor.name}.${g} threw ${err.name}: ${err.message}`);
    }
    check(`${obj.constructor.name}.${g}`, v);
    out[g] = v;
  }
  return out;
}

/** The layer objects a decoder holds for its current packet, in order. */
export function decodedLayers(d) {
  const out = [];
  let vlan = 0;
  for (let i = 0; i < d.layerCount; i++) {
    const t = d.layerTypes[i];
    const o = t === LayerType.Dot1Q ? d.vlans[vlan++] : LAYER_FIELD[t] && d[LAYER_FIELD[t]];
    if (o === undefined) throw new Error(`unknown layer type ${t}`);
    out.push(o);
  }
  return out;
}
const LAYER_FIELD = {
  [LayerType.Ethernet]: 'ethernet',
  [LayerType.LinuxSLL]: 'sll',
  [LayerType.LinuxSLL2]: 'sll2',
  [LayerType.Loopback]: 'loopback',
  [LayerType.ARP]: 'arp',
  [LayerType.IPv4]: 'ipv4',
  [LayerType.IPv6]: 'ipv6',
  [LayerType.TCP]: 'tcp',
  [LayerType.UDP]: 'udp',
  [LayerType.ICMPv4]: 'icmpv4',
  [LayerType.ICMPv6]: 'icmpv6',
  [LayerType.DNS]: 'dns',
  [LayerType.Payload]: 'payload',
};

/**
 * Frames of a corpus file that match a tshark display filter (tshark runs asynchronously, two
 * at a time, so that several calls can be awaited together with Promise.all), with tshark's values of `fields`
 * (every occurrence) and the packet as pcapkit reads it: [{ frame, pkt, ts: { field: string[] } }].
 * At most `limit` frames.
 */
export async function corpusFrames(file, fields, { filter, limit = 40, prefs } = {}) {
  const rows = (await tsharkTableAsync(file, fields, { filter, prefs })).slice(0, limit);
  const pkts = await readPackets(file, { frames: new Set(rows.map((r) => r.frame)) });
  const byFrame = new Map(pkts.map((p) => [p.frame, p]));
  return rows.map((r) => ({ frame: r.frame, pkt: byFrame.get(r.frame), ts: r.values }));
}

/**
 * Decodes every prefix of a packet shorter than `headerEnd` (the end of the last header) and
 * checks that nothing throws, that the decoder reports a truncated layer, that every getter
 * of every layer can be read, and that `layerAt(n)` (when given) is the type of the cut
 * layer. Then checks that the whole packet is not truncated.
 */
export function checkTruncations(Decoder, data, linktype, headerEnd, layerAt) {
  const d = new Decoder();
  for (let n = 0; n < headerEnd; n++) {
    const cut = data.subarray(0, n);
    d.decode(cut, linktype);
    const layers = decodedLayers(d);
    for (const l of layers) readEverything(l);
    const last = layers[layers.length - 1];
    const where = `cut at ${n} of ${data.length}`;
    if (!d.truncated) {
      // Only allowed when the cut falls exactly between two headers and the outer layer then
      // has nothing left to hand on (e.g. UDP with an empty payload).
      if (!(last && last.offset + last.headerLength === n)) throw new Error(`${where}: not truncated (layers ${d.layers})`);
      continue;
    }
    if (!last.truncated) throw new Error(`${where}: decoder truncated but the last layer is not`);
    const want = layerAt?.(n);
    if (want !== undefined && last.type !== want) throw new Error(`${where}: cut layer is ${last.type}, expected ${want}`);
    if (last.offset + last.headerLength + last.payloadLength > n) throw new Error(`${where}: layer spans past the cut`);
  }
  d.decode(data, linktype);
  if (d.truncated || d.malformed) throw new Error(`whole packet decodes as truncated/malformed (layers ${d.layers})`);
  return d;
}

/**
 * corpusFrames() for several corpus files at once: `list` holds file names or [name, filter]
 * pairs (filter defaults to opts.filter). Resolves to [[name, rows], ...] in list order.
 */
export function corpusFrameSets(list, fields, opts = {}) {
  return Promise.all(list.map(async (item) => {
    const [name, filter] = Array.isArray(item) ? item : [item, opts.filter];
    const { corpusFile } = await import('./corpus.mjs');
    return [name, await corpusFrames(corpusFile(name), fields, { ...opts, filter })];
  }));
}
