// Conversation records: per host pair and per 5-tuple, with the counters analyze() reports.
// Records are created when a pair or 5-tuple first appears (the only allocation per flow) and
// updated in place for every packet. Addresses are kept as 32-bit words and become strings
// only when the result is built.
import { ipv4String, ipv6String } from '../decode/base';
import { IPPROTO, IP_TRANSPORT_NAMES } from '../vocab/ip-protocols';
import { IntervalAccumulator } from './stats';
import type {
  ConversationBase,
  FlowConversation,
  HostPairApplication,
  HostPairConversation,
  TcpFlowAnalysis,
} from './types';

/**
 * Counters shared by host pairs and 5-tuples. Times are kept relative to the record's own first
 * packet (seconds and nanoseconds), so durations stay exact whatever else is in the capture.
 */
export class RecordBase {
  /** A (the first packet's source) is the key's low side. */
  aIsLow: boolean;
  abPackets = 0;
  abBytes = 0;
  baPackets = 0;
  baBytes = 0;
  readonly baseSec: number;
  readonly baseNsec: number;
  /** First and last packet, ns from the base. */
  first = 0;
  last = 0;
  retransmissions = 0;
  outOfOrder = 0;
  bad = 0;
  truncated = 0;
  malformed = 0;

  constructor(
    readonly id: number,
    readonly version: 4 | 6,
    /** Entry of the key in its FlowTable (the addresses live there). */
    readonly entry: number,
    aIsLow: boolean,
    tsSec: number,
    tsNsec: number,
  ) {
    this.aIsLow = aIsLow;
    this.baseSec = tsSec;
    this.baseNsec = tsNsec;
  }

  /** Counts a packet; `fromLow`: sent by the low side. */
  count(fromLow: boolean, bytes: number, tsSec: number, tsNsec: number): void {
    if (fromLow === this.aIsLow) {
      this.abPackets++;
      this.abBytes += bytes;
    } else {
      this.baPackets++;
      this.baBytes += bytes;
    }
    const t = (tsSec - this.baseSec) * 1e9 + (tsNsec - this.baseNsec);
    if (t < this.first) this.first = t;
    if (t > this.last) this.last = t;
  }

  /** Seconds since the epoch of `t` (ns from the base). */
  epoch(t: number): number {
    return this.baseSec + (this.baseNsec + t) / 1e9;
  }
}

/**
 * An application within a host pair; it is its own IntervalAccumulator (the starts of its
 * conversations), so each costs one object: there can be as many as host pairs x applications.
 */
export class HostAppRecord extends IntervalAccumulator {
  packets = 0;
  bytes = 0;
  flows = 0;
  constructor(readonly app: number) {
    super();
  }
}

export class HostRecord extends RecordBase {
  flows = 0;
  readonly repeat = new IntervalAccumulator();
  /** Applications seen (a short list: linear search beats a Map here). */
  readonly apps: HostAppRecord[] = [];

  /** The record of application `app`, or undefined. */
  findApp(app: number): HostAppRecord | undefined {
    const a = this.apps;
    for (let i = 0; i < a.length; i++) if (a[i].app === app) return a[i];
    return undefined;
  }
}

export class FlowRecord extends RecordBase {
  host: HostRecord | undefined;
  hostApp: HostAppRecord | undefined;
  /** Connection id in the analyzer's TcpAnalysisTable; -1 when not TCP (or analysis is off). */
  tcp = -1;
  /** SYN to handshake ACK, ns (copied from the TCP table when the result is built). */
  firstRtt = 0;
  fastRetransmissions = 0;
  spuriousRetransmissions = 0;
  lostSegments = 0;
  ackedUnseen = 0;
  duplicateAcks = 0;
  keepAlives = 0;
  zeroWindows = 0;
  windowUpdates = 0;
  reusedPorts = false;

  constructor(
    id: number,
    version: 4 | 6,
    entry: number,
    aIsLow: boolean,
    tsSec: number,
    tsNsec: number,
    readonly protocol: number,
    readonly lowPort: number,
    readonly highPort: number,
    readonly app: number,
  ) {
    super(id, version, entry, aIsLow, tsSec, tsNsec);
  }
}

/** Global per-application counters. */
export class AppRecord {
  packets = 0;
  bytes = 0;
  flows = 0;
  hostPairs = 0;
  readonly repeat = new IntervalAccumulator();
  readonly packetInterval = new IntervalAccumulator();
}

const scratch = Buffer.alloc(16);

/** Text form of the address at word `w` of `addr`. */
export function addressString(version: 4 | 6, addr: Uint32Array, w: number): string {
  if (version === 4) {
    scratch.writeUInt32BE(addr[w], 0);
    return ipv4String(scratch, 0);
  }
  for (let i = 0; i < 4; i++) scratch.writeUInt32BE(addr[w + i], i * 4);
  const v4mapped =
    addr[w] === 0 && addr[w + 1] === 0 && addr[w + 2] === 0xffff;
  if (v4mapped) return `::ffff:${ipv4String(scratch, 12)}`;
  return ipv6String(scratch, 0);
}

export function transportName(protocol: number): string {
  return IP_TRANSPORT_NAMES.get(protocol) ?? `ip-${protocol}`;
}

/** Gives the key words of a record (the FlowTable's keys; addresses at words 1..9). */
export type KeyReader = (entry: number) => Uint32Array;

function base(r: RecordBase, keyOf: KeyReader, lowPort?: number, highPort?: number): ConversationBase {
  const key = keyOf(r.entry);
  const lowAddr = addressString(r.version, key, 1);
  const highAddr = addressString(r.version, key, 5);
  const low = lowPort === undefined ? { address: lowAddr } : { address: lowAddr, port: lowPort };
  const high = highPort === undefined ? { address: highAddr } : { address: highAddr, port: highPort };
  const firstTime = r.epoch(r.first);
  const lastTime = r.epoch(r.last);
  return {
    id: r.id,
    ipVersion: r.version,
    a: r.aIsLow ? low : high,
    b: r.aIsLow ? high : low,
    aToB: { packets: r.abPackets, bytes: r.abBytes },
    bToA: { packets: r.baPackets, bytes: r.baBytes },
    packets: r.abPackets + r.baPackets,
    bytes: r.abBytes + r.baBytes,
    firstTime,
    lastTime,
    duration: (r.last - r.first) / 1e9,
    retransmissions: r.retransmissions,
    outOfOrder: r.outOfOrder,
    bad: r.bad,
    truncated: r.truncated,
    malformed: r.malformed,
  };
}

export function hostPairResult(r: HostRecord, keyOf: KeyReader, names: readonly string[]): HostPairConversation {
  const stats: HostPairApplication[] = [...r.apps]
    .sort((x, y) => y.bytes - x.bytes || x.app - y.app)
    .map((x) => ({
      application: names[x.app],
      packets: x.packets,
      bytes: x.bytes,
      conversations: x.flows,
      repeat: x.result(),
    }));
  return {
    ...base(r, keyOf),
    applications: stats.map((s) => s.application),
    applicationStats: stats,
    conversations: r.flows,
    repeat: r.repeat.result(),
  };
}

export function flowResult(r: FlowRecord, keyOf: KeyReader, names: readonly string[]): FlowConversation {
  const ports = r.protocol === IPPROTO.TCP || r.protocol === IPPROTO.UDP;
  const out: FlowConversation = {
    ...base(r, keyOf, ports ? r.lowPort : undefined, ports ? r.highPort : undefined),
    transport: transportName(r.protocol),
    protocol: r.protocol,
    application: names[r.app],
    hostPair: r.host ? r.host.id : -1,
  };
  if (r.tcp >= 0) {
    const tcp: TcpFlowAnalysis = {
      retransmissions: r.retransmissions,
      fastRetransmissions: r.fastRetransmissions,
      spuriousRetransmissions: r.spuriousRetransmissions,
      outOfOrder: r.outOfOrder,
      lostSegments: r.lostSegments,
      ackedUnseen: r.ackedUnseen,
      duplicateAcks: r.duplicateAcks,
      keepAlives: r.keepAlives,
      zeroWindows: r.zeroWindows,
      windowUpdates: r.windowUpdates,
      firstRtt: r.firstRtt === 0 ? null : r.firstRtt / 1e9,
      reusedPorts: r.reusedPorts,
    };
    out.tcp = tcp;
  }
  return out;
}
