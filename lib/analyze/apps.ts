// Application names from ports and protocols: the documented, overridable table that analyze()
// uses to say which application a conversation belongs to.
//
// How a conversation gets its name (decided once, from its first packet):
//   1. TCP or UDP: the ports are looked up in the table. Rules given by the user win over the
//      defaults. A TCP conversation that starts with a SYN uses the SYN's destination port (the
//      server) when that port is in the table. Otherwise, when both ports are in the table, the
//      lower port number wins (servers usually sit on the lower, well-known port); when only one
//      is, that one; when neither is, the name is 'TCP' or 'UDP'.
//   2. Other IP protocols: by protocol number (ICMP, ICMPv6, IGMP, GRE, ESP, SCTP, ...), else
//      `IP-<number>`.
//   3. Not IP: by EtherType (ARP, LLDP, EAPOL, ...), else 'OTHER'.
// Port-based names are a guess (anything can run on any port); they are what Wireshark's port
// tables and the fieldedge-pcap seed do too.

import { PcapError } from '../errors';

/** One rule of the application table. */
export interface ApplicationRule {
  /** Application name, e.g. 'MQTT'. Case is kept as given. */
  name: string;
  /** Transport for port rules: 'tcp', 'udp' or 'tcp/udp' (default 'tcp/udp'). */
  transport?: 'tcp' | 'udp' | 'tcp/udp';
  /** Ports: a number, a range string '6000-6063', or a list of those. */
  ports?: number | string | ReadonlyArray<number | string>;
  /** Instead of ports: an IP protocol number (e.g. 47 for GRE). */
  ipProtocol?: number;
  /** Instead of ports: EtherType(s), for packets that are not IP (e.g. 0x88cc for LLDP). */
  etherType?: number | readonly number[];
  /** What it is, for documentation. */
  description?: string;
}

/** Options of the application table (part of analyze()'s options). */
export interface ApplicationTableOptions {
  /** Extra rules; they win over the defaults (and later rules win over earlier ones). */
  applications?: readonly ApplicationRule[];
  /** Use only `applications`, none of DEFAULT_APPLICATIONS. */
  replaceDefaultApplications?: boolean;
}

/**
 * The default table. Names follow the usual protocol names; TCP 443 is 'TLS' (HTTPS and other
 * TLS), UDP 443 is 'QUIC'.
 */
export const DEFAULT_APPLICATIONS: readonly ApplicationRule[] = Object.freeze([
  // TCP
  { name: 'FTP-DATA', transport: 'tcp', ports: 20, description: 'FTP data' },
  { name: 'FTP', transport: 'tcp', ports: 21, description: 'FTP control' },
  { name: 'SSH', transport: 'tcp', ports: 22, description: 'Secure Shell' },
  { name: 'TELNET', transport: 'tcp', ports: 23 },
  { name: 'SMTP', transport: 'tcp', ports: [25, 587], description: 'mail submission and relay' },
  { name: 'HTTP', transport: 'tcp', ports: 80 },
  { name: 'POP3', transport: 'tcp', ports: 110 },
  { name: 'NNTP', transport: 'tcp', ports: 119 },
  { name: 'IMAP', transport: 'tcp', ports: 143 },
  { name: 'BGP', transport: 'tcp', ports: 179 },
  { name: 'LDAP', transport: 'tcp', ports: 389 },
  { name: 'TLS', transport: 'tcp', ports: 443, description: 'HTTPS and other TLS' },
  { name: 'SMB', transport: 'tcp', ports: 445 },
  { name: 'SMTPS', transport: 'tcp', ports: 465 },
  { name: 'MODBUS', transport: 'tcp', ports: 502, description: 'Modbus/TCP' },
  { name: 'LDAPS', transport: 'tcp', ports: 636 },
  { name: 'MODBUS-TLS', transport: 'tcp', ports: 802 },
  { name: 'DNS-TLS', transport: 'tcp', ports: 853, description: 'DNS over TLS' },
  { name: 'RSYNC', transport: 'tcp', ports: 873 },
  { name: 'IMAPS', transport: 'tcp', ports: 993 },
  { name: 'POP3S', transport: 'tcp', ports: 995 },
  { name: 'PPTP', transport: 'tcp', ports: 1723 },
  { name: 'MQTT', transport: 'tcp', ports: 1883 },
  { name: 'DOCKER', transport: 'tcp', ports: 2375, description: 'Docker API' },
  { name: 'DOCKER-TLS', transport: 'tcp', ports: 2376 },
  { name: 'IEC-104', transport: 'tcp', ports: 2404, description: 'IEC 60870-5-104' },
  { name: 'MYSQL', transport: 'tcp', ports: 3306 },
  { name: 'RDP', transport: 'tcp', ports: 3389 },
  { name: 'OPC-UA', transport: 'tcp', ports: 4840 },
  { name: 'OPC-UA-TLS', transport: 'tcp', ports: 4843 },
  { name: 'POSTGRES', transport: 'tcp', ports: 5432 },
  { name: 'AMQP', transport: 'tcp', ports: 5672 },
  { name: 'REDIS', transport: 'tcp', ports: 6379 },
  { name: 'HTTP-ALT', transport: 'tcp', ports: 8080 },
  { name: 'HTTPS-ALT', transport: 'tcp', ports: 8443 },
  { name: 'MQTT-TLS', transport: 'tcp', ports: 8883 },
  { name: 'MQTT-WS', transport: 'tcp', ports: 9001, description: 'MQTT over WebSocket' },
  { name: 'KAFKA', transport: 'tcp', ports: 9092 },
  { name: 'DOIP', transport: 'tcp/udp', ports: 13400, description: 'Diagnostics over IP (ISO 13400)' },
  { name: 'DNP3', transport: 'tcp/udp', ports: 20000 },
  // both
  { name: 'DNS', transport: 'tcp/udp', ports: 53 },
  { name: 'OPENVPN', transport: 'tcp/udp', ports: 1194 },
  { name: 'MDNS', transport: 'udp', ports: 5353, description: 'multicast DNS' },
  { name: 'LLMNR', transport: 'tcp/udp', ports: 5355 },
  // UDP
  { name: 'DHCP', transport: 'udp', ports: [67, 68] },
  { name: 'TFTP', transport: 'udp', ports: 69 },
  { name: 'NTP', transport: 'udp', ports: 123 },
  { name: 'NETBIOS', transport: 'udp', ports: [137, 138] },
  { name: 'SNMP', transport: 'udp', ports: [161, 162] },
  { name: 'QUIC', transport: 'udp', ports: 443, description: 'QUIC (HTTP/3)' },
  { name: 'IKE', transport: 'udp', ports: [500, 4500], description: 'IPsec key exchange and NAT traversal' },
  { name: 'SYSLOG', transport: 'udp', ports: 514 },
  { name: 'RIP', transport: 'udp', ports: 520 },
  { name: 'DHCPV6', transport: 'udp', ports: [546, 547] },
  { name: 'RADIUS', transport: 'udp', ports: [1812, 1813] },
  { name: 'SSDP', transport: 'udp', ports: 1900 },
  { name: 'GTP', transport: 'udp', ports: [2123, 2152] },
  { name: 'STUN', transport: 'udp', ports: 3478 },
  { name: 'VXLAN', transport: 'udp', ports: 4789 },
  { name: 'COAP', transport: 'udp', ports: 5683 },
  { name: 'COAP-DTLS', transport: 'udp', ports: 5684 },
  { name: 'GENEVE', transport: 'udp', ports: 6081 },
  { name: 'BACNET', transport: 'udp', ports: 47808 },
  // IP protocols
  { name: 'ICMP', ipProtocol: 1 },
  { name: 'IGMP', ipProtocol: 2 },
  { name: 'IPIP', ipProtocol: 4, description: 'IPv4 in IP' },
  { name: 'IPV6-IN-IP', ipProtocol: 41 },
  { name: 'GRE', ipProtocol: 47 },
  { name: 'ESP', ipProtocol: 50 },
  { name: 'AH', ipProtocol: 51 },
  { name: 'ICMPV6', ipProtocol: 58 },
  { name: 'OSPF', ipProtocol: 89 },
  { name: 'PIM', ipProtocol: 103 },
  { name: 'VRRP', ipProtocol: 112 },
  { name: 'SCTP', ipProtocol: 132 },
  // EtherTypes (not IP)
  { name: 'ARP', etherType: 0x0806 },
  { name: 'RARP', etherType: 0x8035 },
  { name: 'EAPOL', etherType: 0x888e },
  { name: 'LLDP', etherType: 0x88cc },
  { name: 'PPPOE', etherType: [0x8863, 0x8864] },
  { name: 'MPLS', etherType: 0x8847 },
  { name: 'PTP', etherType: 0x88f7, description: 'Precision Time Protocol' },
] as ApplicationRule[]).map((r) => Object.freeze(r));

/** Name for TCP/UDP conversations on ports that are not in the table. */
export const UNKNOWN_TCP = 'TCP';
export const UNKNOWN_UDP = 'UDP';
/** Name for packets that are neither IP nor a known EtherType. */
export const UNKNOWN_OTHER = 'OTHER';

const TCP = 6;
const UDP = 17;

function parsePorts(ports: ApplicationRule['ports'], name: string): number[] {
  const list = ports === undefined ? [] : Array.isArray(ports) ? ports : [ports as number | string];
  const out: number[] = [];
  for (const p of list) {
    if (typeof p === 'number') {
      if (!Number.isInteger(p) || p < 0 || p > 65535) throw new PcapError('EINVAL', `application ${name}: bad port ${p}`);
      out.push(p);
      continue;
    }
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(String(p));
    if (!m) throw new PcapError('EINVAL', `application ${name}: bad port '${p}' (a number or 'from-to')`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (from > to || to > 65535) throw new PcapError('EINVAL', `application ${name}: bad port range '${p}'`);
    for (let x = from; x <= to; x++) out.push(x);
  }
  return out;
}

/**
 * The lookup table: application names are interned to small integers (ids), ports map to ids
 * through one 64 K-entry array per transport, so a lookup allocates nothing.
 */
export class ApplicationTable {
  /** Names by id. */
  readonly names: string[] = [];
  private readonly ids = new Map<string, number>();
  // id + 1 per port (0 = none); priority 1 for user rules, 0 for defaults.
  private readonly tcp = new Uint16Array(65536);
  private readonly udp = new Uint16Array(65536);
  private readonly tcpUser = new Uint8Array(65536);
  private readonly udpUser = new Uint8Array(65536);
  private readonly ipProto = new Int32Array(256).fill(-1);
  private readonly etherTypes = new Map<number, number>();
  readonly unknownTcp: number;
  readonly unknownUdp: number;
  readonly unknownOther: number;
  /** The rules in effect (defaults first, then the user's). */
  readonly rules: readonly ApplicationRule[];

  constructor(options: ApplicationTableOptions = {}) {
    this.unknownTcp = this.intern(UNKNOWN_TCP);
    this.unknownUdp = this.intern(UNKNOWN_UDP);
    this.unknownOther = this.intern(UNKNOWN_OTHER);
    const user = options.applications ?? [];
    const base = options.replaceDefaultApplications ? [] : DEFAULT_APPLICATIONS;
    for (const r of base) this.addRule(r, false);
    for (const r of user) this.addRule(r, true);
    this.rules = [...base, ...user];
  }

  /** The id of a name (registered on first use). */
  intern(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.names.length;
      if (id >= 0xffff) throw new PcapError('EINVAL', 'too many application names');
      this.names.push(name);
      this.ids.set(name, id);
    }
    return id;
  }

  private addRule(rule: ApplicationRule, user: boolean): void {
    if (!rule || typeof rule.name !== 'string' || rule.name.length === 0) {
      throw new PcapError('EINVAL', 'an application rule needs a name');
    }
    const id = this.intern(rule.name);
    if (rule.ipProtocol !== undefined) {
      if (!Number.isInteger(rule.ipProtocol) || rule.ipProtocol < 0 || rule.ipProtocol > 255) {
        throw new PcapError('EINVAL', `application ${rule.name}: bad IP protocol ${rule.ipProtocol}`);
      }
      this.ipProto[rule.ipProtocol] = id;
    }
    if (rule.etherType !== undefined) {
      const list: readonly number[] = typeof rule.etherType === 'number' ? [rule.etherType] : rule.etherType;
      for (const t of list) this.etherTypes.set(t, id);
    }
    if (rule.ports !== undefined) {
      const transport = rule.transport ?? 'tcp/udp';
      if (transport !== 'tcp' && transport !== 'udp' && transport !== 'tcp/udp') {
        throw new PcapError('EINVAL', `application ${rule.name}: transport must be 'tcp', 'udp' or 'tcp/udp'`);
      }
      for (const p of parsePorts(rule.ports, rule.name)) {
        if (transport !== 'udp') {
          this.tcp[p] = id + 1;
          this.tcpUser[p] = user ? 1 : 0;
        }
        if (transport !== 'tcp') {
          this.udp[p] = id + 1;
          this.udpUser[p] = user ? 1 : 0;
        }
      }
    }
  }

  /**
   * The application of a TCP (6) or UDP (17) conversation. `serverPort` is the destination port
   * of an opening SYN, or -1 when unknown.
   */
  forPorts(protocol: number, srcPort: number, dstPort: number, serverPort = -1): number {
    const table = protocol === TCP ? this.tcp : this.udp;
    const user = protocol === TCP ? this.tcpUser : this.udpUser;
    if (serverPort >= 0 && table[serverPort] !== 0) return table[serverPort] - 1;
    const a = table[srcPort];
    const b = table[dstPort];
    if (a !== 0 && b !== 0) {
      const ua = user[srcPort];
      const ub = user[dstPort];
      if (ua !== ub) return (ua > ub ? a : b) - 1;
      return (srcPort <= dstPort ? a : b) - 1;
    }
    if (a !== 0) return a - 1;
    if (b !== 0) return b - 1;
    return protocol === TCP ? this.unknownTcp : protocol === UDP ? this.unknownUdp : this.forIpProtocol(protocol);
  }

  /** The application of an IP packet that is not TCP/UDP. */
  forIpProtocol(protocol: number): number {
    const id = this.ipProto[protocol & 0xff];
    if (id >= 0) return id;
    const name = `IP-${protocol}`;
    const got = this.intern(name);
    this.ipProto[protocol & 0xff] = got;
    return got;
  }

  /** The application of a packet that is not IP, by EtherType (0 or unknown: OTHER). */
  forEtherType(etherType: number): number {
    return this.etherTypes.get(etherType) ?? this.unknownOther;
  }

  /** Looks a name up by port, for documentation and tests: forPort('tcp', 443) === 'TLS'. */
  forPort(transport: 'tcp' | 'udp', port: number): string | undefined {
    const v = (transport === 'tcp' ? this.tcp : this.udp)[port];
    return v === 0 ? undefined : this.names[v - 1];
  }
}
