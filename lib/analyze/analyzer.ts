// TrafficAnalyzer: the per-packet work of analyze(). One Decoder, reused for every packet;
// host pairs and 5-tuples in typed-array hash tables (no key strings); a record per new
// conversation is the only allocation, and the tables are capped, so memory is bounded by the
// number of conversations kept, not by the number of packets.
import { Decoder } from '../decode/decoder';
import { LayerType } from '../vocab/layers';
import { PcapError } from '../errors';
import { Packet, type PacketBatch } from '../packet';
import { HDR_STRIDE, H_CAPLEN, H_LEN, H_LINKTYPE, H_OFFSET, H_TS_NSEC, H_TS_SEC } from '../batch-layout';
import { ETHERTYPE } from '../vocab/ethertypes';
import { IPPROTO } from '../vocab/ip-protocols';
import { TCP_FLAGS } from '../vocab/tcp-flags';
import { ApplicationTable, type ApplicationTableOptions } from './apps';
import { AppRecord, FlowRecord, HostAppRecord, HostRecord, type RecordBase, flowResult, hostPairResult } from './conversations';
import { FlowTable } from './flow-table';
import { HierarchyCounter } from './hierarchy';
import { SeriesAccumulator, type DataSeriesOptions } from './series';
import { BAD_MASK, RETRANSMISSION_MASK, TcpAnalysisFlag as F, TcpAnalysisTable } from './tcp-analysis';
import type {
  AnalysisJSON,
  AnalysisResult,
  ApplicationStats,
  FlowConversation,
  HostPairConversation,
  SourceInfo,
  TcpTotals,
} from './types';

/** Options of analyze() and TrafficAnalyzer. */
export interface AnalyzeOptions extends ApplicationTableOptions {
  /** BPF filter expression (tcpdump syntax): only matching packets are analysed. */
  filter?: string;
  /**
   * Most 5-tuple conversations kept (default 100,000). Packets of conversations that appear
   * after the table is full are counted in `conversations.overflow` (and everywhere else).
   */
  maxConversations?: number;
  /** Most host pairs kept (default 100,000). */
  maxHostPairs?: number;
  /** Base bucket width of the data series, seconds (default 1). */
  seriesResolution?: number;
  /**
   * Most (application, base bucket) cells kept for the data series (default 100,000); past it
   * the resolution doubles and cells merge.
   */
  maxSeriesBuckets?: number;
  /** TCP sequence analysis (retransmissions, out-of-order...); default true. */
  tcpAnalysis?: boolean;
  /** Stops the analysis; analyze() then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called about every `progressInterval` ms while analysing. */
  onProgress?: (progress: AnalyzeProgress) => void;
  /** Milliseconds between onProgress calls (default 200). */
  progressInterval?: number;
}

/** Progress of a running analysis. */
export interface AnalyzeProgress {
  packets: number;
  /** Bytes on the wire so far. */
  bytes: number;
  /** Captured bytes so far. */
  capturedBytes: number;
  /** Size of the file being read (files only). */
  fileBytes?: number;
  /** Estimated position in the file (files only; from the record sizes read). */
  fileOffset?: number;
}

export const DEFAULT_MAX_CONVERSATIONS = 100_000;
export const DEFAULT_MAX_HOST_PAIRS = 100_000;

// Key layout (32-bit words): [0] IP version << 8 | protocol (0 for host pairs), [1..5) the
// low side address, [5..9) the high side address, [9] ports (low side's << 16 | high side's).
const HOST_WORDS = 9;
const FLOW_WORDS = 10;
const FRAGMENT_MEMORY = 4096;

const { SYN, ACK } = TCP_FLAGS;
const TCP = IPPROTO.TCP;
const UDP = IPPROTO.UDP;

/** The first `k` of `list` in `order`, without sorting all of it when k is small. */
function topRecords<T>(list: readonly T[], k: number, order: (a: T, b: T) => number): T[] {
  if (k <= 0) return [];
  if (k > 64 || k * 8 >= list.length) return list.slice().sort(order).slice(0, k);
  const best: T[] = [];
  for (const x of list) {
    if (best.length === k && order(x, best[k - 1]) >= 0) continue;
    let i = best.length === k ? k - 1 : best.length;
    while (i > 0 && order(x, best[i - 1]) < 0) i--;
    best.splice(i, 0, x);
    if (best.length > k) best.pop();
  }
  return best;
}

function positiveInt(v: number | undefined, def: number, name: string): number {
  if (v === undefined) return def;
  if (!Number.isInteger(v) || v < 1) throw new PcapError('EINVAL', `${name} must be a positive integer`);
  return v;
}

/**
 * The streaming engine behind analyze(): feed it packets (`add`, `addBatch`, `addRaw`) from
 * anywhere, then `result()` gives the AnalysisResult. One reused Decoder; memory bounded by the
 * conversation tables.
 */
/**
 * The analysis engine behind analyze(), for feeding packets yourself — e.g. from a live loop:
 *
 *     const analyzer = new TrafficAnalyzer();
 *     for await (const pkt of socket) analyzer.add(pkt);   // or addBatch(batch)
 *     const result = analyzer.result();                     // any time, as often as needed
 *
 * Packets should come in capture order (TCP analysis and intervals assume it, as tshark does).
 */
export class TrafficAnalyzer {
  readonly apps: ApplicationTable;
  /** Set when reading stopped at a damaged file (see AnalysisResult.error). */
  error: PcapError | undefined;
  source: SourceInfo = {};

  private readonly decoder = new Decoder();
  private readonly hierarchy = new HierarchyCounter();
  private readonly series: SeriesAccumulator;
  private readonly hosts: FlowTable<HostRecord>;
  private readonly flowTable: FlowTable<FlowRecord>;
  private readonly hostList: HostRecord[] = [];
  private readonly flowList: FlowRecord[] = [];
  private readonly maxFlows: number;
  private readonly appRecords: Array<AppRecord | undefined> = [];
  private readonly analyseTcp: boolean;
  private readonly tcpTable = new TcpAnalysisTable();
  private hostAppCount = 0;
  private readonly fragments = new Map<string, number>();
  private readonly key = new Uint32Array(FLOW_WORDS);
  private readonly src = new Uint32Array(4);
  private readonly dst = new Uint32Array(4);

  private t0Sec = 0;
  private t0Nsec = 0;
  private tMin = Infinity;
  private tMax = -Infinity;
  packets = 0;
  bytes = 0;
  capturedBytes = 0;
  private truncated = 0;
  private malformed = 0;
  private nonIp = 0;
  private overflowHosts = { packets: 0, bytes: 0 };
  private overflowFlows = { packets: 0, bytes: 0 };
  private readonly tcpTotals: TcpTotals = {
    segments: 0,
    retransmissions: 0,
    fastRetransmissions: 0,
    spuriousRetransmissions: 0,
    outOfOrder: 0,
    lostSegments: 0,
    ackedUnseen: 0,
    duplicateAcks: 0,
    keepAlives: 0,
    zeroWindows: 0,
    windowUpdates: 0,
  };

  constructor(options: AnalyzeOptions = {}) {
    this.apps = new ApplicationTable(options);
    this.maxFlows = positiveInt(options.maxConversations, DEFAULT_MAX_CONVERSATIONS, 'maxConversations');
    const maxHosts = positiveInt(options.maxHostPairs, DEFAULT_MAX_HOST_PAIRS, 'maxHostPairs');
    this.hosts = new FlowTable(HOST_WORDS, maxHosts);
    this.flowTable = new FlowTable(FLOW_WORDS, this.maxFlows);
    this.series = new SeriesAccumulator(options.seriesResolution ?? 1, options.maxSeriesBuckets ?? 100_000);
    this.analyseTcp = options.tcpAnalysis !== false;
  }

  /** Adds a packet (a Packet, or anything with data, linktype, length, tsSec and tsNsec). */
  add(pkt: Pick<Packet, 'data' | 'linktype' | 'length' | 'tsSec' | 'tsNsec'>): void {
    if (pkt instanceof Packet) {
      // Where it lies in its batch: no view made per packet.
      this.addAt(pkt.arena_, pkt.offset_, pkt.caplen, pkt.linktype, pkt.length, pkt.tsSec, pkt.tsNsec);
    } else {
      this.addRaw(pkt.data, pkt.linktype, pkt.length, pkt.tsSec, pkt.tsNsec);
    }
  }

  /** Adds every packet of a batch. */
  addBatch(batch: PacketBatch): void {
    // arena_/headers_: without pinning the batch (nothing here outlives the call)
    const arena = batch.arena_;
    const h = batch.headers_;
    for (let i = 0, o = 0; i < batch.count; i++, o += HDR_STRIDE) {
      this.addAt(arena, h[o + H_OFFSET], h[o + H_CAPLEN], h[o + H_LINKTYPE], h[o + H_LEN], h[o + H_TS_SEC], h[o + H_TS_NSEC]);
    }
  }

  private appRecord(app: number): AppRecord {
    let r = this.appRecords[app];
    if (r === undefined) {
      while (this.appRecords.length < app) this.appRecords.push(undefined);
      r = this.appRecords[app] = new AppRecord();
    }
    return r;
  }

  /**
   * The record of `app` within `host`, created when missing — always for a new conversation,
   * otherwise (packets of conversations that overflowed, later fragments) only while fewer than
   * maxConversations such records exist, so that they too stay bounded.
   */
  private hostApp(host: HostRecord, app: number, forNewFlow: boolean): HostAppRecord | undefined {
    let r = host.findApp(app);
    if (r === undefined) {
      if (!forNewFlow && this.hostAppCount >= this.maxFlows) return undefined;
      r = new HostAppRecord(app);
      host.apps.push(r);
      this.hostAppCount++;
      this.appRecord(app).hostPairs++;
    }
    return r;
  }

  /** Adds one packet: its captured bytes, link type, wire length and timestamp. */
  addRaw(data: Buffer, linktype: number, wireLength: number, tsSec: number, tsNsec: number): void {
    this.addAt(data, 0, data.length, linktype, wireLength, tsSec, tsNsec);
  }

  /** Adds the packet at `buf[start, start + caplen)` (a packet in its batch's arena). */
  private addAt(buf: Buffer, start: number, caplen: number, linktype: number, wireLength: number, tsSec: number, tsNsec: number): void {
    if (this.packets === 0) {
      this.t0Sec = tsSec;
      this.t0Nsec = tsNsec;
    }
    // ns from the first packet: exact in a double for 104 days either way
    const t = (tsSec - this.t0Sec) * 1e9 + (tsNsec - this.t0Nsec);
    if (t < this.tMin) this.tMin = t;
    if (t > this.tMax) this.tMax = t;
    const wire = wireLength >= caplen ? wireLength : caplen;
    this.packets++;
    this.bytes += wire;
    this.capturedBytes += caplen;

    const d = this.decoder.decodeAt(buf, start, caplen, linktype, wire);
    this.hierarchy.add(d.layerTypes, d.layerCount, wire);
    const cut = caplen < wire;
    const broken = d.truncated || d.malformed;
    if (cut) this.truncated++;
    if (broken) this.malformed++;

    // ---- the network layer -------------------------------------------------------------
    let version: 4 | 6 = 4;
    let proto = 0;
    let fragmented = false;
    let laterFragment = false;
    let ipPayload = 0; // IP payload length on the wire
    let fragKey: string | undefined;
    const src = this.src;
    const dst = this.dst;
    // ip.at: where the header lies in `buf`; ip.offset: where it lies in the packet.
    if (d.has(LayerType.IPv4) && !d.ipv4.malformed && caplen - d.ipv4.offset >= 20) {
      const ip = d.ipv4;
      const o = ip.offset;
      proto = ip.protocol;
      src[0] = buf.readUInt32BE(ip.at + 12);
      dst[0] = buf.readUInt32BE(ip.at + 16);
      src[1] = src[2] = src[3] = dst[1] = dst[2] = dst[3] = 0;
      laterFragment = ip.fragmentOffset !== 0;
      fragmented = laterFragment || (ip.flags & 1) !== 0;
      const hlen = ip.ihl * 4;
      ipPayload = ip.totalLength === 0 ? wire - o - hlen : ip.totalLength - hlen;
      if (fragmented) fragKey = `4/${src[0]}/${dst[0]}/${ip.id}/${proto}`;
    } else if (d.has(LayerType.IPv6) && !d.ipv6.malformed && caplen - d.ipv6.offset >= 40) {
      const ip = d.ipv6;
      const o = ip.offset;
      version = 6;
      proto = ip.protocol;
      for (let i = 0; i < 4; i++) {
        src[i] = buf.readUInt32BE(ip.at + 8 + i * 4);
        dst[i] = buf.readUInt32BE(ip.at + 24 + i * 4);
      }
      fragmented = ip.hasFragment && (ip.fragmentOffset !== 0 || ip.moreFragments);
      laterFragment = ip.hasFragment && ip.fragmentOffset !== 0;
      ipPayload = ip.payloadLengthField === 0 ? wire - o - ip.headerLength : ip.payloadLengthField + 40 - ip.headerLength;
      if (fragmented) fragKey = `6/${src.join('.')}/${dst.join('.')}/${ip.fragmentId}/${proto}`;
    } else {
      // ---- not IP ----------------------------------------------------------------------
      this.nonIp++;
      const app = this.apps.forEtherType(d.has(LayerType.ARP) ? ETHERTYPE.ARP : this.etherTypeOf());
      this.countApp(app, t, wire);
      return;
    }

    // ---- host pair -----------------------------------------------------------------------
    let cmp = 0;
    for (let i = 0; i < 4 && cmp === 0; i++) cmp = src[i] < dst[i] ? -1 : src[i] > dst[i] ? 1 : 0;
    const key = this.key;
    const fromLow = cmp <= 0;
    const lo = fromLow ? src : dst;
    const hi = fromLow ? dst : src;
    key[0] = version << 8;
    for (let i = 0; i < 4; i++) {
      key[1 + i] = lo[i];
      key[5 + i] = hi[i];
    }
    let host: HostRecord | undefined;
    const hh = FlowTable.hash(key, HOST_WORDS);
    const he = this.hosts.find(key, hh);
    if (he < 0) {
      if (this.hosts.size < this.hosts.limit) {
        host = new HostRecord(this.hostList.length, version, this.hosts.size, fromLow, tsSec, tsNsec);
        this.hosts.insert(key, hh, host);
        this.hostList.push(host);
      }
    } else host = this.hosts.value(he);
    if (host === undefined) {
      this.overflowHosts.packets++;
      this.overflowHosts.bytes += wire;
    }

    // ---- transport and 5-tuple -------------------------------------------------------------
    let portsKnown = false;
    let sport = 0;
    let dport = 0;
    let tcpOk = false;
    if (!laterFragment) {
      if (proto === TCP && d.has(LayerType.TCP)) {
        const tcp = d.tcp;
        portsKnown = tcp.dataOffset !== 0; // the fixed header was captured
        sport = tcp.srcPort;
        dport = tcp.dstPort;
        tcpOk = !tcp.truncated && !tcp.malformed;
      } else if (proto === UDP && d.has(LayerType.UDP)) {
        portsKnown = d.udp.headerLength === 8;
        sport = d.udp.srcPort;
        dport = d.udp.dstPort;
      } else if (proto !== TCP && proto !== UDP) {
        portsKnown = true; // other protocols: one flow per host pair and protocol
      }
    }

    // A TCP segment whose header is cut short or bogus belongs to no connection (tshark's TCP
    // conversation table skips it too); it still counts for the host pair.
    const flowable = proto === TCP ? tcpOk : portsKnown;
    let flow: FlowRecord | undefined;
    let flowFromLow = fromLow;
    let reused = false;
    let seq = 0;
    let ackNo = 0;
    let flags = 0;
    if (flowable) {
      if (cmp === 0) flowFromLow = sport <= dport;
      key[0] = (version << 8) | proto;
      key[9] = flowFromLow ? ((sport << 16) | dport) >>> 0 : ((dport << 16) | sport) >>> 0;
      const fh = FlowTable.hash(key, FLOW_WORDS);
      const fe = this.flowTable.find(key, fh);
      if (tcpOk) {
        seq = d.tcp.seq;
        ackNo = d.tcp.ack;
        flags = d.tcp.flags;
      }
      if (fe >= 0) {
        flow = this.flowTable.value(fe);
        // tshark starts a new TCP stream for a SYN with a new initial sequence number
        if (tcpOk && flow.tcp >= 0 && this.tcpTable.isPortReuse(flow.tcp, flowFromLow, seq, flags)) {
          reused = true;
          flow = this.newFlow(host, version, fe, flowFromLow, t, tsSec, tsNsec, proto, sport, dport, flags, tcpOk);
          if (flow !== undefined) {
            flow.reusedPorts = true;
            this.flowTable.setValue(fe, flow);
          }
        }
      } else if (this.flowTable.size < this.flowTable.limit) {
        flow = this.newFlow(host, version, this.flowTable.size, flowFromLow, t, tsSec, tsNsec, proto, sport, dport, flags, tcpOk);
        if (flow !== undefined) this.flowTable.insert(key, fh, flow);
      }
      if (flow === undefined) {
        this.overflowFlows.packets++;
        this.overflowFlows.bytes += wire;
      }
    }

    // ---- application -----------------------------------------------------------------------
    let app: number;
    if (flow !== undefined) app = flow.app;
    else if (laterFragment && fragKey !== undefined && this.fragments.has(fragKey)) app = this.fragments.get(fragKey)!;
    else if (proto === TCP && portsKnown) app = this.apps.forPorts(TCP, sport, dport);
    else if (proto === UDP && portsKnown) app = this.apps.forPorts(UDP, sport, dport);
    else if (proto === TCP) app = this.apps.unknownTcp;
    else if (proto === UDP) app = this.apps.unknownUdp;
    else app = this.apps.forIpProtocol(proto);
    if (fragKey !== undefined && !laterFragment) {
      if (this.fragments.size >= FRAGMENT_MEMORY) this.fragments.delete(this.fragments.keys().next().value!);
      this.fragments.set(fragKey, app);
    }

    // ---- TCP analysis ----------------------------------------------------------------------
    let ta = 0;
    if (flow !== undefined && flow.tcp >= 0 && tcpOk && !fragmented) {
      const seglen = ipPayload - d.tcp.headerLength;
      if (seglen >= 0) {
        ta = this.tcpTable.analyze(flow.tcp, flowFromLow, seq, ackNo, seglen, flags, d.tcp.window, tsSec, tsNsec, reused ? F.REUSED_PORTS : 0);
        this.countTcp(flow, ta);
      }
    }
    const bad = broken || (ta & BAD_MASK) !== 0;
    const retrans = (ta & RETRANSMISSION_MASK) !== 0;
    const ooo = (ta & F.OUT_OF_ORDER) !== 0;

    if (flow !== undefined) {
      flow.count(flowFromLow, wire, tsSec, tsNsec);
      if (bad) flow.bad++;
      if (cut) flow.truncated++;
      if (broken) flow.malformed++;
      if (retrans) flow.retransmissions++;
      if (ooo) flow.outOfOrder++;
    }
    if (host !== undefined) {
      host.count(fromLow, wire, tsSec, tsNsec);
      if (bad) host.bad++;
      if (cut) host.truncated++;
      if (broken) host.malformed++;
      if (retrans) host.retransmissions++;
      if (ooo) host.outOfOrder++;
      const ha = flow !== undefined && flow.hostApp !== undefined ? flow.hostApp : this.hostApp(host, app, false);
      if (ha !== undefined) {
        ha.packets++;
        ha.bytes += wire;
      }
    }
    this.countApp(app, t, wire);
  }

  private newFlow(
    host: HostRecord | undefined,
    version: 4 | 6,
    entry: number,
    fromLow: boolean,
    t: number,
    tsSec: number,
    tsNsec: number,
    proto: number,
    sport: number,
    dport: number,
    flags: number,
    tcpOk: boolean,
  ): FlowRecord | undefined {
    if (this.flowList.length >= this.maxFlows) return undefined;
    let app: number;
    if (proto === TCP || proto === UDP) {
      const server = proto === TCP && tcpOk && (flags & (SYN | ACK)) === SYN ? dport : -1;
      app = this.apps.forPorts(proto, sport, dport, server);
    } else app = this.apps.forIpProtocol(proto);
    const rec = new FlowRecord(
      this.flowList.length,
      version,
      entry,
      fromLow,
      tsSec,
      tsNsec,
      proto,
      fromLow ? sport : dport,
      fromLow ? dport : sport,
      app,
    );
    this.flowList.push(rec);
    if (proto === TCP && this.analyseTcp) rec.tcp = this.tcpTable.create();
    const ar = this.appRecord(app);
    ar.flows++;
    ar.repeat.add(t);
    if (host !== undefined) {
      rec.host = host;
      host.flows++;
      host.repeat.add(t);
      const ha = this.hostApp(host, app, true)!;
      ha.flows++;
      ha.add(t);
      rec.hostApp = ha;
    }
    return rec;
  }

  private countTcp(flow: FlowRecord, ta: number): void {
    const s = this.tcpTotals;
    s.segments++;
    if (ta === 0) return;
    if (ta & RETRANSMISSION_MASK) s.retransmissions++;
    if (ta & F.FAST_RETRANSMISSION) {
      s.fastRetransmissions++;
      flow.fastRetransmissions++;
    }
    if (ta & F.SPURIOUS_RETRANSMISSION) {
      s.spuriousRetransmissions++;
      flow.spuriousRetransmissions++;
    }
    if (ta & F.OUT_OF_ORDER) s.outOfOrder++;
    if (ta & F.LOST_PACKET) {
      s.lostSegments++;
      flow.lostSegments++;
    }
    if (ta & F.ACK_LOST_PACKET) {
      s.ackedUnseen++;
      flow.ackedUnseen++;
    }
    if (ta & F.DUPLICATE_ACK) {
      s.duplicateAcks++;
      flow.duplicateAcks++;
    }
    if (ta & F.KEEP_ALIVE) {
      s.keepAlives++;
      flow.keepAlives++;
    }
    if (ta & F.ZERO_WINDOW) {
      s.zeroWindows++;
      flow.zeroWindows++;
    }
    if (ta & F.WINDOW_UPDATE) {
      s.windowUpdates++;
      flow.windowUpdates++;
    }
  }

  private countApp(app: number, t: number, wire: number): void {
    const ar = this.appRecord(app);
    ar.packets++;
    ar.bytes += wire;
    ar.packetInterval.add(t);
    this.series.add(app, t, wire);
  }

  // EtherType of a packet that is not IP (the innermost VLAN tag's, or the link header's).
  private etherTypeOf(): number {
    const d = this.decoder;
    if (d.vlanCount > 0) return d.vlans[d.vlanCount - 1].etherType;
    if (d.has(LayerType.Ethernet)) return d.ethernet.etherType;
    if (d.has(LayerType.LinuxSLL)) return d.sll.protocol;
    if (d.has(LayerType.LinuxSLL2)) return d.sll2.protocol;
    return 0;
  }

  /** Seconds since the epoch of analysis time `t` (ns from the first packet). */
  private epoch(t: number): number {
    return this.t0Sec + (this.t0Nsec + t) / 1e9;
  }

  /** The analysis so far. Can be called more than once (e.g. during a live capture). */
  result(): AnalysisResult {
    const names = this.apps.names;
    const empty = this.packets === 0;
    const hostKey = (e: number) => this.hosts.keyOf(e);
    const flowKey = (e: number) => this.flowTable.keyOf(e);
    // Conversation lists are built when first read (there may be 100,000s of them and callers
    // often want only the top ones: topConversations()).
    const byBytes = (a: RecordBase, b: RecordBase) => b.abBytes + b.baBytes - (a.abBytes + a.baBytes) || a.id - b.id;
    const hostRecords = this.hostList.slice();
    const flowRecords = this.flowList.slice();
    for (const f of flowRecords) if (f.tcp >= 0) f.firstRtt = this.tcpTable.firstRtt(f.tcp);
    let sortedHosts: HostRecord[] | undefined;
    let sortedFlows: FlowRecord[] | undefined;
    const hostsSorted = () => (sortedHosts ??= hostRecords.sort(byBytes));
    const flowsSorted = () => (sortedFlows ??= flowRecords.sort(byBytes));
    let hostPairs: HostPairConversation[] | undefined;
    let flows: FlowConversation[] | undefined;
    const applications: ApplicationStats[] = [];
    this.appRecords.forEach((r, id) => {
      if (!r || r.packets === 0) return;
      applications.push({
        application: names[id],
        packets: r.packets,
        bytes: r.bytes,
        share: this.bytes > 0 ? r.bytes / this.bytes : 0,
        conversations: r.flows,
        hostPairs: r.hostPairs,
        repeat: r.repeat.result(),
        packetInterval: r.packetInterval.result(),
      });
    });
    applications.sort((a, b) => b.bytes - a.bytes || a.application.localeCompare(b.application));
    const series = this.series;
    const t0 = this.epoch(0);
    const names0 = names.slice();
    const dataSeries = (options?: DataSeriesOptions) => series.build(names0, t0, options);
    const error = this.error;
    const result: AnalysisResult = {
      source: { ...this.source },
      packets: this.packets,
      bytes: this.bytes,
      capturedBytes: this.capturedBytes,
      firstTime: empty ? null : this.epoch(this.tMin),
      lastTime: empty ? null : this.epoch(this.tMax),
      duration: empty ? 0 : (this.tMax - this.tMin) / 1e9,
      truncated: this.truncated,
      malformed: this.malformed,
      nonIp: this.nonIp,
      hierarchy: this.hierarchy.entries(),
      applications,
      conversations: {
        hostPairCount: hostRecords.length,
        flowCount: flowRecords.length,
        get hostPairs(): HostPairConversation[] {
          return (hostPairs ??= hostsSorted().map((r) => hostPairResult(r, hostKey, names)));
        },
        get flows(): FlowConversation[] {
          return (flows ??= flowsSorted().map((r) => flowResult(r, flowKey, names)));
        },
        overflow: {
          hostPairs: { ...this.overflowHosts, limit: this.hosts.limit },
          flows: { ...this.overflowFlows, limit: this.maxFlows },
        },
      },
      tcp: { ...this.tcpTotals },
      seriesResolution: series.resolution,
      dataSeries,
      topConversations(n = 10) {
        const k = Math.max(0, Math.floor(n));
        return {
          hostPairs: hostPairs
            ? hostPairs.slice(0, k)
            : (sortedHosts ? sortedHosts.slice(0, k) : topRecords(hostRecords, k, byBytes)).map((r) => hostPairResult(r, hostKey, names)),
          flows: flows
            ? flows.slice(0, k)
            : (sortedFlows ? sortedFlows.slice(0, k) : topRecords(flowRecords, k, byBytes)).map((r) => flowResult(r, flowKey, names)),
        };
      },
      ...(error ? { error } : {}),
      toJSON(): AnalysisJSON {
        const { dataSeries: ds, toJSON: _t, topConversations: _c, error: err, conversations, ...rest } = this;
        void _t;
        void _c;
        return {
          ...rest,
          conversations: {
            hostPairCount: conversations.hostPairCount,
            flowCount: conversations.flowCount,
            hostPairs: conversations.hostPairs,
            flows: conversations.flows,
            overflow: conversations.overflow,
          },
          dataSeries: ds(),
          ...(err ? { error: { code: err.code, message: err.message } } : {}),
        };
      },
    };
    return result;
  }
}
