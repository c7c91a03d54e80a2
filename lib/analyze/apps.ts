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
import { ETHERTYPE_APPLICATIONS } from '../vocab/ethertypes';
import { IPPROTO, IP_PROTOCOL_APPLICATIONS } from '../vocab/ip-protocols';
import { PORT_APPLICATIONS } from '../vocab/ports';

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
 * The default table: applications by port (vocab/ports), then other IP protocols
 * (vocab/ip-protocols) and EtherTypes that are not IP (vocab/ethertypes), each from its table.
 */
export const DEFAULT_APPLICATIONS: readonly ApplicationRule[] = Object.freeze(
  ([...PORT_APPLICATIONS, ...IP_PROTOCOL_APPLICATIONS, ...ETHERTYPE_APPLICATIONS] as ApplicationRule[]).map((r) => Object.freeze({ ...r })),
);

/** Name for TCP/UDP conversations on ports that are not in the table. */
export const UNKNOWN_TCP = 'TCP';
export const UNKNOWN_UDP = 'UDP';
/** Name for packets that are neither IP nor a known EtherType. */
export const UNKNOWN_OTHER = 'OTHER';

const TCP = IPPROTO.TCP;
const UDP = IPPROTO.UDP;

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
