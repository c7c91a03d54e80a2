// A field-per-line view of the decoder's current packet, in the layout of scapy's
// Packet.show():
//
//   ###[ Ethernet ]###
//     dst       = ff:ff:ff:ff:ff:ff
//     src       = 00:11:22:33:44:55
//     type      = IPv4
//   ###[ IP ]###
//        version   = 4
//        ...
//
// Field names and value formats follow scapy's (hex for checksums, names for enumerations,
// Python bytes literals for Raw and Padding loads). A layer cut short by the capture or
// malformed shows `!! truncated` / `!! malformed` and its remaining bytes as `load`.
import type { Decoder } from './decoder';
import type { Dot1Q } from './dot1q';
import type { DnsQuestion, DnsRecord } from './dns';
import {
  ARP_OP_NAMES,
  DNS_CLASS_NAMES,
  DNS_OPCODE_NAMES,
  DNS_RCODE_NAMES,
  DNS_TYPE_NAMES,
  ICMPV6_TYPE_NAMES,
  ICMP_TYPE_NAMES,
  SLL_PACKET_TYPES,
  dnsDotted,
  etherTypeName,
  hex,
  icmpCodeName,
  layerName,
  layerViews,
  named,
  type LayerView,
} from './summary';
import { ipv4String, ipv6String } from './base';
import { IPV6_NH_NAMES, IP_PROTOCOL_NAMES } from '../vocab/ip-protocols';
import { LOOPBACK_FAMILIES } from '../vocab/linktypes';
import { ETHERTYPE_MIN } from '../vocab/ethertypes';

/**
 * A Python bytes literal, as scapy prints Raw loads: b'GET / HTTP/1.1\r\n'. Printable ASCII as
 * is, \t \n \r \\ and the quote escaped, everything else \xNN.
 */
export function pythonBytes(b: Uint8Array): string {
  const quote = b.includes(0x27) && !b.includes(0x22) ? 0x22 : 0x27;
  let s = '';
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c === 0x5c) s += '\\\\';
    else if (c === quote) s += quote === 0x27 ? "\\'" : '\\"';
    else if (c === 0x09) s += '\\t';
    else if (c === 0x0a) s += '\\n';
    else if (c === 0x0d) s += '\\r';
    else if (c < 0x20 || c >= 0x7f) s += `\\x${c.toString(16).padStart(2, '0')}`;
    else s += String.fromCharCode(c);
  }
  const q = String.fromCharCode(quote);
  return `b${q}${s}${q}`;
}

type Field = readonly [string, string | number];

const IP_FLAG_NAMES = ['MF', 'DF', 'evil'];

function ipFlags(bits: number): string {
  return IP_FLAG_NAMES.filter((_, i) => bits & (1 << i)).join('+');
}

/** TCP options as scapy lists them: [('MSS', 1460), ('SAckOK', b''), ('NOP', None), ...]. */
export function tcpOptionList(data: Buffer, start: number, stop: number): string {
  const items: string[] = [];
  let p = start;
  while (p < stop) {
    const kind = data[p];
    if (kind === 0) {
      items.push("('EOL', None)");
      break;
    }
    if (kind === 1) {
      items.push("('NOP', None)");
      p++;
      continue;
    }
    if (p + 1 >= stop) break;
    const len = data[p + 1];
    if (len < 2 || p + len > stop) break;
    const at = p + 2;
    const n = len - 2;
    if (kind === 2 && n === 2) items.push(`('MSS', ${data.readUInt16BE(at)})`);
    else if (kind === 3 && n === 1) items.push(`('WScale', ${data[at]})`);
    else if (kind === 4 && n === 0) items.push("('SAckOK', b'')");
    else if (kind === 5 && n % 8 === 0) {
      const edges: number[] = [];
      for (let i = 0; i < n; i += 4) edges.push(data.readUInt32BE(at + i));
      items.push(`('SAck', (${edges.join(', ')}${edges.length === 1 ? ',' : ''}))`);
    } else if (kind === 8 && n === 8) items.push(`('Timestamp', (${data.readUInt32BE(at)}, ${data.readUInt32BE(at + 4)}))`);
    else if (kind === 28 && n === 2) items.push(`('UTO', ${data.readUInt16BE(at)})`);
    else items.push(`(${kind}, ${pythonBytes(data.subarray(at, at + n))})`);
    p += len;
  }
  return `[${items.join(', ')}]`;
}

function viewFields(d: Decoder, v: LayerView): Field[] {
  const b = d.data;
  switch (v.kind) {
    case 'ethernet': {
      const e = d.ethernet;
      const last: Field = e.etherType < ETHERTYPE_MIN ? ['len', e.etherType] : ['type', etherTypeName(e.etherType)];
      return [['dst', e.dst], ['src', e.src], last];
    }
    case 'dot1q': {
      const t = v.layer as Dot1Q;
      return [['prio', t.priority], ['dei', t.dropEligible ? 1 : 0], ['vlan', t.vlanId], ['type', etherTypeName(t.etherType)]];
    }
    case 'linux_sll': {
      const s = d.sll;
      return [
        ['pkttype', named(SLL_PACKET_TYPES, s.packetType)],
        ['lladdrtype', hex(s.addressType)],
        ['lladdrlen', s.addressLength],
        ['src', s.src],
        ['proto', etherTypeName(s.protocol)],
      ];
    }
    case 'linux_sll2': {
      const s = d.sll2;
      return [
        ['proto', etherTypeName(s.protocol)],
        ['reserved', b.readUInt16BE(s.offset + 2)],
        ['ifindex', s.interfaceIndex],
        ['lladdrtype', hex(s.addressType)],
        ['pkttype', named(SLL_PACKET_TYPES, s.packetType)],
        ['lladdrlen', s.addressLength],
        ['src', s.src],
      ];
    }
    case 'loopback':
      return [['type', named(LOOPBACK_FAMILIES, d.loopback.family, hex)]];
    case 'arp': {
      const a = d.arp;
      return [
        ['hwtype', a.hardwareType === 1 ? 'Ethernet (10Mb)' : hex(a.hardwareType)],
        ['ptype', etherTypeName(a.protocolType)],
        ['hwlen', a.hwSize],
        ['plen', a.protoSize],
        ['op', named(ARP_OP_NAMES, a.opcode)],
        ['hwsrc', a.senderHw],
        ['psrc', a.senderProto],
        ['hwdst', a.targetHw],
        ['pdst', a.targetProto],
      ];
    }
    case 'ipv4': {
      const ip = d.ipv4;
      return [
        ['version', 4],
        ['ihl', ip.ihl],
        ['tos', hex(ip.tos)],
        ['len', ip.totalLength],
        ['id', ip.id],
        ['flags', ipFlags(ip.flags)],
        ['frag', ip.fragmentOffset],
        ['ttl', ip.ttl],
        ['proto', named(IP_PROTOCOL_NAMES, ip.protocol)],
        ['chksum', hex(ip.checksum)],
        ['src', ip.src],
        ['dst', ip.dst],
      ];
    }
    case 'ipv6': {
      const ip = d.ipv6;
      return [
        ['version', 6],
        ['tc', ip.trafficClass],
        ['fl', ip.flowLabel],
        ['plen', ip.payloadLengthField],
        ['nh', named(IPV6_NH_NAMES, ip.nextHeader)],
        ['hlim', ip.hopLimit],
        ['src', ip.src],
        ['dst', ip.dst],
      ];
    }
    case 'ipv6ext': {
      const p = v.offset;
      const nh: Field = ['nh', named(IPV6_NH_NAMES, b[p])];
      if (v.extType === 44) {
        const fo = b.readUInt16BE(p + 2);
        return [nh, ['res1', b[p + 1]], ['offset', fo >>> 3], ['res2', (fo >>> 1) & 3], ['m', fo & 1], ['id', b.readUInt32BE(p + 4)]];
      }
      const fields: Field[] = [nh, ['len', b[p + 1]]];
      if (v.extType === 43) fields.push(['type', b[p + 2]], ['segleft', b[p + 3]]);
      if (v.extType === 51 && v.length >= 12) {
        fields.push(['spi', hex(b.readUInt32BE(p + 4))], ['seq', b.readUInt32BE(p + 8)], ['icv', pythonBytes(b.subarray(p + 12, p + v.length))]);
      } else {
        fields.push(['data', pythonBytes(b.subarray(p + 2, p + v.length))]);
      }
      return fields;
    }
    case 'tcp': {
      const t = d.tcp;
      return [
        ['sport', t.srcPort],
        ['dport', t.dstPort],
        ['seq', t.seq],
        ['ack', t.ack],
        ['dataofs', t.dataOffset],
        ['reserved', t.reserved],
        ['flags', t.flagString],
        ['window', t.window],
        ['chksum', hex(t.checksum)],
        ['urgptr', t.urgent],
        ['options', tcpOptionList(b, t.offset + 20, t.offset + t.headerLength)],
      ];
    }
    case 'udp': {
      const u = d.udp;
      return [['sport', u.srcPort], ['dport', u.dstPort], ['len', u.length], ['chksum', hex(u.checksum)]];
    }
    case 'icmpv4': {
      // scapy's conditional ICMP fields, by type
      const c = d.icmpv4;
      const t = c.icmpType;
      const fields: Field[] = [
        ['type', named(ICMP_TYPE_NAMES, t)],
        ['code', icmpCodeName(t, c.code)],
        ['chksum', hex(c.checksum)],
      ];
      if (c.headerLength < 8) return fields;
      const at = c.offset + 4;
      if ([0, 8, 13, 14, 15, 16, 17, 18].includes(t)) fields.push(['id', hex(c.id)], ['seq', hex(c.seq)]);
      if (t === 5) fields.push(['gw', ipv4String(b, at)]);
      if (t === 12) fields.push(['ptr', b[at]]);
      if (t === 3 || t === 11) fields.push(['reserved', b[at]]);
      if (t === 3 || t === 11 || t === 12) fields.push(['length', b[at + 1]]);
      if (t === 3) fields.push(['nexthopmtu', b.readUInt16BE(at + 2)]);
      if (t === 11 || t === 12) fields.push(['unused', b.readUInt16BE(at + 2)]);
      else if (![0, 3, 5, 8, 13, 14, 15, 16, 17, 18].includes(t)) fields.push(['unused', c.restOfHeader]);
      else fields.push(['unused', "b''"]);
      return fields;
    }
    case 'icmpv6': {
      const c = d.icmpv6;
      const fields: Field[] = [
        ['type', named(ICMPV6_TYPE_NAMES, c.icmpType)],
        ['code', c.code],
        ['cksum', hex(c.checksum)],
      ];
      if (c.headerLength < 8) return fields;
      const t = c.icmpType;
      if (t === 128 || t === 129) {
        const stop = c.offset + c.headerLength + c.payloadLength;
        fields.push(['id', hex(c.id)], ['seq', hex(c.seq)], ['data', pythonBytes(b.subarray(c.offset + 8, stop))]);
      } else if ((t === 135 || t === 136) && c.offset + 24 <= b.length) {
        if (t === 136) {
          const f = b[c.offset + 4];
          fields.push(['R', f >> 7], ['S', (f >> 6) & 1], ['O', (f >> 5) & 1], ['res', hex(b.readUIntBE(c.offset + 5, 3))]);
        } else {
          fields.push(['res', c.restOfHeader]);
        }
        fields.push(['tgt', ipv6String(b, c.offset + 8)]);
      } else if (t === 2) {
        fields.push(['mtu', c.restOfHeader]);
      } else if (t === 4) {
        fields.push(['ptr', c.restOfHeader]);
      } else {
        fields.push(['unused', hex(c.restOfHeader)]);
      }
      return fields;
    }
    case 'dns': {
      const dns = d.dns;
      const f = dns.flags;
      const fields: Field[] = [];
      if (dns.overTcp) fields.push(['length', b.readUInt16BE(dns.offset)]);
      fields.push(
        ['id', dns.id],
        ['qr', f >> 15],
        ['opcode', named(DNS_OPCODE_NAMES, dns.opcode)],
        ['aa', (f >> 10) & 1],
        ['tc', (f >> 9) & 1],
        ['rd', (f >> 8) & 1],
        ['ra', (f >> 7) & 1],
        ['z', (f >> 6) & 1],
        ['ad', (f >> 5) & 1],
        ['cd', (f >> 4) & 1],
        ['rcode', named(DNS_RCODE_NAMES, dns.rcode)],
        ['qdcount', dns.qdCount],
        ['ancount', dns.anCount],
        ['nscount', dns.nsCount],
        ['arcount', dns.arCount],
      );
      return fields;
    }
    case 'payload':
    case 'padding':
      return [['load', pythonBytes(b.subarray(v.offset, v.offset + v.length))]];
  }
}

function dnsName(name: string): string {
  return pythonBytes(Buffer.from(dnsDotted(name), 'latin1'));
}

function questionLines(q: DnsQuestion): Field[] {
  return [
    ['qname', dnsName(q.name)],
    ['qtype', named(DNS_TYPE_NAMES, q.type)],
    ['qclass', named(DNS_CLASS_NAMES, q.class)],
  ];
}

function recordLines(r: DnsRecord): Field[] {
  const nameType = r.type === 2 || r.type === 5 || r.type === 12;
  return [
    ['rrname', dnsName(r.name)],
    ['type', named(DNS_TYPE_NAMES, r.type)],
    ['rclass', named(DNS_CLASS_NAMES, r.class)],
    ['ttl', r.ttl],
    ['rdata', nameType ? dnsName(r.data) : r.data],
  ];
}

function fieldLine(prefix: string, [name, value]: Field): string {
  return `${prefix}  ${name.padEnd(10)}= ${value}\n`;
}

/**
 * The decoder's current packet, one field per line per layer (scapy's show() layout, without
 * colours). Ends with a newline; '' when nothing was decoded. Allocates only when called.
 */
export function show(d: Decoder): string {
  let out = '';
  layerViews(d).forEach((v, depth) => {
    const lvl = ' '.repeat(3 * depth);
    out += `###[ ${layerName(d, v)} ]###\n`;
    if (v.incomplete) {
      const malformed = v.layer?.malformed === true;
      out += `${lvl}  !! ${malformed ? 'malformed' : 'truncated (the capture ends inside this header)'}\n`;
      out += fieldLine(lvl, ['load', pythonBytes(d.data.subarray(v.offset))]);
      return;
    }
    for (const f of viewFields(d, v)) out += fieldLine(lvl, f);
    if (v.kind === 'ipv4') {
      // a packet-list field in scapy: `\options   \`, then one nested record per option
      out += `${lvl}  \\${'options'.padEnd(10)}\\\n`;
      if (d.ipv4.headerLength > 20) {
        out += `${lvl}   |###[ IP Options ]###\n`;
        out += fieldLine(`${lvl}   |`, ['load', pythonBytes(d.ipv4.options)]);
      }
    }
    if (v.kind === 'dns') {
      // nested records, as scapy shows packet-list fields
      const sections: Array<[string, Field[][]]> = [
        ['qd', d.dns.questions.map(questionLines)],
        ['an', d.dns.answers.map(recordLines)],
      ];
      for (const [name, records] of sections) {
        out += `${lvl}  \\${name.padEnd(10)}\\\n`;
        const title = name === 'qd' ? 'DNS Question Record' : 'DNS Resource Record';
        for (const rec of records) {
          out += `${lvl}   |###[ ${title} ]###\n`;
          for (const f of rec) out += fieldLine(`${lvl}   |`, f);
        }
      }
    }
  });
  return out;
}
