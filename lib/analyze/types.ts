// The result schema of analyze(). Times are seconds since the epoch (floats, microsecond
// precision); durations and intervals are seconds; bytes are bytes on the wire (the packet's
// original length, not the captured length), as tshark counts them.
import type { PcapError } from '../errors';
import type { HierarchyEntry } from './hierarchy';
import type { IntervalStats } from './stats';
import type { DataSeries, DataSeriesOptions } from './series';

export type { HierarchyEntry } from './hierarchy';
export type { IntervalStats } from './stats';
export type { DataSeries, DataSeriesOptions, ApplicationSeries } from './series';

/** Packets and bytes one way. */
export interface TrafficCount {
  packets: number;
  bytes: number;
}

/** One side of a conversation. */
export interface Endpoint {
  /** IPv4 dotted quad or IPv6 in RFC 5952 form. */
  address: string;
  /** TCP/UDP port; absent for host pairs and for other IP protocols. */
  port?: number;
}

/** What every conversation (host pair or 5-tuple) reports. */
export interface ConversationBase {
  /** Sequence number in order of first appearance (0-based), like tshark's stream index. */
  id: number;
  /** 4 or 6. */
  ipVersion: 4 | 6;
  /** Side A: the source of the first packet seen. */
  a: Endpoint;
  /** Side B. */
  b: Endpoint;
  /** A to B. */
  aToB: TrafficCount;
  /** B to A. */
  bToA: TrafficCount;
  /** Both ways. */
  packets: number;
  bytes: number;
  /** First and last packet time (seconds since the epoch). */
  firstTime: number;
  lastTime: number;
  /** lastTime - firstTime. */
  duration: number;
  /** TCP retransmissions (all kinds tshark's tcp.analysis.retransmission matches). */
  retransmissions: number;
  /** TCP segments tshark would mark tcp.analysis.out_of_order. */
  outOfOrder: number;
  /**
   * Bad packets: headers cut short or malformed, plus TCP segments with a problem
   * (retransmission of any kind, out-of-order, previous segment not captured, ACK of unseen
   * data, duplicate ACK, zero window).
   */
  bad: number;
  /** Packets captured shorter than they were on the wire (snapshot length). */
  truncated: number;
  /** Packets whose headers were cut short or made no sense (part of `bad`). */
  malformed: number;
}

/** Per-application part of a host pair. */
export interface HostPairApplication {
  application: string;
  packets: number;
  bytes: number;
  /** 5-tuple conversations of this application between the two hosts. */
  conversations: number;
  /** Intervals between the starts of those conversations (the seed's repeat_mean/stdev). */
  repeat: IntervalStats;
}

/** All traffic between two IP addresses. */
export interface HostPairConversation extends ConversationBase {
  /** Applications seen, most bytes first. */
  applications: string[];
  /**
   * The same, with counts and repeat intervals. Packets of 5-tuples that overflowed the table
   * are counted here only for applications the pair already had (or while fewer than
   * maxConversations pair-application records exist), so these may sum to less than the pair.
   */
  applicationStats: HostPairApplication[];
  /** 5-tuple conversations (TCP connections, UDP and other flows) between the two hosts. */
  conversations: number;
  /** Intervals between the starts of those conversations. */
  repeat: IntervalStats;
}

/** TCP diagnoses of a 5-tuple conversation (tshark's tcp.analysis.* names). */
export interface TcpFlowAnalysis {
  retransmissions: number;
  fastRetransmissions: number;
  spuriousRetransmissions: number;
  outOfOrder: number;
  /** "Previous segment not captured". */
  lostSegments: number;
  /** "ACKed segment that wasn't captured". */
  ackedUnseen: number;
  duplicateAcks: number;
  keepAlives: number;
  zeroWindows: number;
  windowUpdates: number;
  /** SYN to the ACK completing the handshake, seconds (null when not seen). */
  firstRtt: number | null;
  /** The conversation started by reusing the ports of an earlier one (new SYN, new ISN). */
  reusedPorts: boolean;
}

/** One 5-tuple: a TCP connection (split on port reuse as tshark does), a UDP flow, or the
 * packets of another IP protocol between two hosts. */
export interface FlowConversation extends ConversationBase {
  /** 'tcp', 'udp', 'icmp', 'icmpv6', or 'ip-<number>'. */
  transport: string;
  /** IP protocol number. */
  protocol: number;
  /** The application (see ApplicationTable). */
  application: string;
  /** id of the host pair this belongs to. */
  hostPair: number;
  /** TCP only. */
  tcp?: TcpFlowAnalysis;
}

/** Traffic that could not be given a table entry because a table was full. */
export interface OverflowCount extends TrafficCount {
  /** Table size limit in effect. */
  limit: number;
}

export interface Conversations {
  /** Number of host pairs (hostPairs.length, without building the list). */
  hostPairCount: number;
  /** Number of 5-tuple conversations. */
  flowCount: number;
  /** Host pairs, most bytes first. */
  hostPairs: HostPairConversation[];
  /** 5-tuples, most bytes first. */
  flows: FlowConversation[];
  /**
   * Packets that were not counted in a conversation because the table was full (their hosts or
   * 5-tuple first appeared after `limit` others). They are still in the totals, hierarchy,
   * applications and series.
   */
  overflow: { hostPairs: OverflowCount; flows: OverflowCount };
}

/** One application over the whole capture. */
export interface ApplicationStats {
  application: string;
  packets: number;
  bytes: number;
  /** Share of all bytes (0..1). */
  share: number;
  /** 5-tuple conversations of this application. */
  conversations: number;
  /** Host pairs that used it. */
  hostPairs: number;
  /** Intervals between the starts of its conversations (how often it reconnects/repeats). */
  repeat: IntervalStats;
  /** Intervals between its packets. */
  packetInterval: IntervalStats;
}

/** TCP diagnoses over all connections. */
export interface TcpTotals {
  segments: number;
  retransmissions: number;
  fastRetransmissions: number;
  spuriousRetransmissions: number;
  outOfOrder: number;
  lostSegments: number;
  ackedUnseen: number;
  duplicateAcks: number;
  keepAlives: number;
  zeroWindows: number;
  windowUpdates: number;
}

/** What was analysed. */
export interface SourceInfo {
  /** File path, when the source was a file or a PCAPReader. */
  path?: string;
  /** Link type of the file (first interface), when known. */
  linktype?: number;
  linktypeName?: string;
  format?: string;
  /** BPF filter applied, if any. */
  filter?: string;
}

/** The JSON form of an analysis (AnalysisResult.toJSON()). */
export interface AnalysisJSON {
  source: SourceInfo;
  packets: number;
  bytes: number;
  capturedBytes: number;
  firstTime: number | null;
  lastTime: number | null;
  duration: number;
  truncated: number;
  malformed: number;
  /** Packets that are not IPv4/IPv6. */
  nonIp: number;
  hierarchy: HierarchyEntry[];
  applications: ApplicationStats[];
  conversations: Conversations;
  tcp: TcpTotals;
  /** The default data series (dataSeries() with no options). */
  dataSeries: DataSeries;
  /** Base resolution of the data series in seconds. */
  seriesResolution: number;
  /** The damage that ended reading early, if any. */
  error?: { code: string; message: string };
}

/** What analyze() resolves with. */
export interface AnalysisResult extends Omit<AnalysisJSON, 'dataSeries' | 'error'> {
  /**
   * The conversation lists. `hostPairs` and `flows` are built (and cached) when first read;
   * with a TrafficAnalyzer that goes on adding packets, read them before adding more.
   */
  conversations: Conversations;
  /** The `n` (default 10) host pairs and 5-tuples with the most bytes, without building the full lists. */
  topConversations(n?: number): { hostPairs: HostPairConversation[]; flows: FlowConversation[] };
  /**
   * Bytes and packets per application per time bucket. Buckets start at the first packet;
   * `bucket` must be a multiple of `seriesResolution` (it is rounded to one).
   */
  dataSeries(options?: DataSeriesOptions): DataSeries;
  /**
   * Set when the capture file is damaged (ETRUNCATED: cut short, EFORMAT: corrupt): every whole
   * packet before the damage was analysed and the result covers those.
   */
  error?: PcapError;
  toJSON(): AnalysisJSON;
}
