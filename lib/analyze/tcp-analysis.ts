// TCP sequence analysis: retransmissions, out-of-order segments and the other per-segment
// diagnoses, following Wireshark's tcp_analyze_sequence_number() (epan/dissectors/packet-tcp.c,
// as in Wireshark 4.0) so that the counts agree with `tshark -Y tcp.analysis.retransmission`.
//
// Per direction Wireshark keeps: the next expected sequence number (`nextseq`, highest seq +
// length seen; 0 means unknown) and when it last advanced, the last ACK number and when it was
// sent, the window, a duplicate-ACK counter, and the flags of the last segment. A segment with
// data (or SYN/FIN) whose seq is below `nextseq` did not advance the sequence: it is
//   - a FAST RETRANSMISSION when the other side sent >= 2 duplicate ACKs for exactly this seq
//     and the last of them came < 20 ms ago;
//   - else OUT-OF-ORDER when it came less than the connection's first RTT (SYN to the ACK that
//     completes the handshake; 3 ms when unknown) after `nextseq` last advanced and it does not
//     end exactly at `nextseq` (SYN and FIN count as one byte);
//   - else a SPURIOUS RETRANSMISSION when the other side already acknowledged all of it;
//   - else a RETRANSMISSION.
// tshark's `tcp.analysis.retransmission` matches all three retransmission kinds, which is what
// `retransmissions` counts. Keep-alives (0/1 byte at nextseq - 1) are never retransmissions.
//
// Not modelled: the 1000-segment cap of Wireshark's unacknowledged-segment list (a SYN/FIN
// sent while over 1000 segments are unacknowledged does not advance its nextseq there), WINDOW
// FULL (needs window scaling), and the per-segment RTT/bytes-in-flight figures.
import { TCP_FLAGS } from '../vocab/tcp-flags';

/** Diagnosis bits for one segment (Wireshark's TCP_A_* names). */
export const TcpAnalysisFlag = {
  RETRANSMISSION: 0x0001,
  LOST_PACKET: 0x0002,
  ACK_LOST_PACKET: 0x0004,
  KEEP_ALIVE: 0x0008,
  DUPLICATE_ACK: 0x0010,
  ZERO_WINDOW: 0x0020,
  ZERO_WINDOW_PROBE: 0x0040,
  ZERO_WINDOW_PROBE_ACK: 0x0080,
  KEEP_ALIVE_ACK: 0x0100,
  OUT_OF_ORDER: 0x0200,
  FAST_RETRANSMISSION: 0x0400,
  WINDOW_UPDATE: 0x0800,
  REUSED_PORTS: 0x2000,
  SPURIOUS_RETRANSMISSION: 0x4000,
} as const;

const F = TcpAnalysisFlag;

/** Segments that tshark's `tcp.analysis.retransmission` matches. */
export const RETRANSMISSION_MASK = F.RETRANSMISSION | F.FAST_RETRANSMISSION | F.SPURIOUS_RETRANSMISSION;
/**
 * Segments counted as bad: any retransmission, out-of-order, a segment after a gap (previous
 * segment not captured), an ACK of unseen data, duplicate ACKs and zero windows.
 */
export const BAD_MASK =
  RETRANSMISSION_MASK | F.OUT_OF_ORDER | F.LOST_PACKET | F.ACK_LOST_PACKET | F.DUPLICATE_ACK | F.ZERO_WINDOW;

const { FIN, SYN, RST, ACK } = TCP_FLAGS;

// 32-bit sequence-space comparisons (Wireshark's LT_SEQ and friends).
const lt = (a: number, b: number) => ((a - b) | 0) < 0;
const gt = (a: number, b: number) => ((b - a) | 0) < 0;
const le = (a: number, b: number) => ((a - b) | 0) <= 0;

// State layout: one row of Float64 per connection in a growable pool (no object per
// connection). Per direction (up: from the lower (address, port) to the higher; down: back):
const BASE_SEQ_SET = 0; // 0/1
const BASE_SEQ = 1;
const NEXTSEQ = 2; // next expected sequence number (0: unknown, as in Wireshark)
const NEXTSEQ_TIME = 3;
const LASTACK = 4;
const LASTACK_TIME = 5;
const WINDOW = 6; // last raw window; starts out of the 16-bit range so the first segment never matches
const DUPACKS = 7;
const MAXSEQTOBEACKED = 8;
const LASTFLAGS = 9;
const DIR = 10; // fields per direction
// Per connection, after the two directions:
const HAVE_SYN = 2 * DIR;
const MRU_SYN = HAVE_SYN + 1;
const FIRST_RTT = HAVE_SYN + 2; // SYN to the ACK completing the handshake, ns; 0 while unknown
const BASE_SET = HAVE_SYN + 3; // times are ns from the connection's first segment (exact)
const BASE_SEC = HAVE_SYN + 4;
const BASE_NSEC = HAVE_SYN + 5;
const ROW = HAVE_SYN + 6;

/**
 * The analysis state of many TCP connections (Wireshark: tcp.streams), in one growable
 * Float64Array: a connection is an integer id, so tracking one allocates no object.
 */
export class TcpAnalysisTable {
  private s: Float64Array;
  /** Connections created. */
  size = 0;

  constructor(initialCapacity = 256) {
    this.s = new Float64Array(Math.max(1, initialCapacity) * ROW);
  }

  /** A new connection; returns its id. */
  create(): number {
    const id = this.size++;
    if (this.size * ROW > this.s.length) {
      const bigger = new Float64Array(this.s.length * 2);
      bigger.set(this.s);
      this.s = bigger;
    }
    const o = id * ROW;
    this.s.fill(0, o, o + ROW);
    this.s[o + WINDOW] = 0xffffffff;
    this.s[o + DIR + WINDOW] = 0xffffffff;
    return id;
  }

  /** SYN to the ACK completing the handshake, in ns (0 while unknown). */
  firstRtt(id: number): number {
    return this.s[id * ROW + FIRST_RTT];
  }

  /**
   * Would this segment start a new connection on the same ports? Wireshark does that for a SYN
   * (without ACK) whose sequence number differs from the one this direction started with.
   */
  isPortReuse(id: number, upward: boolean, seq: number, flags: number): boolean {
    if ((flags & (SYN | ACK)) !== SYN) return false;
    const f = id * ROW + (upward ? 0 : DIR);
    return this.s[f + BASE_SEQ_SET] !== 0 && this.s[f + BASE_SEQ] !== seq;
  }

  /**
   * Analyses one segment of connection `id`: `upward` is its direction, `seglen` the TCP
   * payload length on the wire, `flags` the TCP flags, `window` the raw window field,
   * `tsSec`/`tsNsec` its time. Returns the TcpAnalysisFlag bits. `extraFlags` are flags
   * already known (REUSED_PORTS).
   */
  analyze(
    id: number,
    upward: boolean,
    seq: number,
    ack: number,
    seglen: number,
    flags: number,
    window: number,
    tsSec: number,
    tsNsec: number,
    extraFlags = 0,
  ): number {
    const s = this.s;
    const c = id * ROW;
    const f = c + (upward ? 0 : DIR); // this direction
    const r = c + (upward ? DIR : 0); // the other
    if (s[c + BASE_SET] === 0) {
      s[c + BASE_SET] = 1;
      s[c + BASE_SEC] = tsSec;
      s[c + BASE_NSEC] = tsNsec;
    }
    const t = (tsSec - s[c + BASE_SEC]) * 1e9 + (tsNsec - s[c + BASE_NSEC]);
    let ta = extraFlags;

    if (s[f + BASE_SEQ_SET] === 0) {
      s[f + BASE_SEQ] = flags & SYN ? seq : (seq - 1) >>> 0;
      s[f + BASE_SEQ_SET] = 1;
    }
    if (s[r + BASE_SEQ_SET] === 0 && flags & ACK) {
      s[r + BASE_SEQ] = (ack - 1) >>> 0;
      s[r + BASE_SEQ_SET] = 1;
    }

    const fNext = s[f + NEXTSEQ];
    const fWindow = s[f + WINDOW];
    const fLastack = s[f + LASTACK];
    const noSfr = (flags & (SYN | FIN | RST)) === 0;
    analyseFwd: {
      // ZERO WINDOW PROBE: one byte at nextseq while the other side's window is 0.
      if (seglen === 1 && seq === fNext && s[r + WINDOW] === 0) {
        ta |= F.ZERO_WINDOW_PROBE;
        break analyseFwd;
      }
      if (window === 0 && noSfr) ta |= F.ZERO_WINDOW;
      // LOST PACKET: beyond nextseq, so something before was not captured.
      if (fNext !== 0 && gt(seq, fNext) && (flags & RST) === 0) ta |= F.LOST_PACKET;
      // KEEP ALIVE: 0 or 1 byte, one byte before nextseq.
      if ((seglen === 0 || seglen === 1) && seq === ((fNext - 1) >>> 0) && noSfr) ta |= F.KEEP_ALIVE;
      const sameSeqAck = seglen === 0 && seq === fNext && ack === fLastack && noSfr;
      // WINDOW UPDATE: nothing new but the window.
      if (sameSeqAck && window !== 0 && window !== fWindow) ta |= F.WINDOW_UPDATE;
      // KEEP ALIVE ACK
      if (sameSeqAck && window !== 0 && window === fWindow && s[r + LASTFLAGS] & F.KEEP_ALIVE) {
        ta |= F.KEEP_ALIVE_ACK;
        break analyseFwd;
      }
      // ZERO WINDOW PROBE ACK
      if (sameSeqAck && window === 0 && window === fWindow && s[r + LASTFLAGS] & F.ZERO_WINDOW_PROBE) {
        ta |= F.ZERO_WINDOW_PROBE_ACK;
        break analyseFwd;
      }
      // DUPLICATE ACK: same seq, ack and window, no data.
      if (sameSeqAck && window !== 0 && window === fWindow) {
        s[f + DUPACKS]++;
        ta |= F.DUPLICATE_ACK;
      }
    }
    if (ack !== fLastack) s[f + DUPACKS] = 0;

    // ACKED LOST PACKET: acknowledges data of the other side that was never seen.
    if (s[r + MAXSEQTOBEACKED] !== 0 && gt(ack, s[r + MAXSEQTOBEACKED]) && flags & ACK) {
      ta |= F.ACK_LOST_PACKET;
      s[r + MAXSEQTOBEACKED] = s[r + NEXTSEQ];
    }

    // RETRANSMISSION / FAST RETRANSMISSION / OUT-OF-ORDER / SPURIOUS
    if ((seglen > 0 || flags & (SYN | FIN)) && (ta & F.KEEP_ALIVE) === 0) {
      let notAdvanced = fNext !== 0 && lt(seq, fNext);
      // More than one byte starting one before nextseq adds new data (after a zero window probe).
      if (seglen > 1 && ((fNext - 1) >>> 0) === seq) notAdvanced = false;
      classify: {
        // Wireshark computes these delays as unsigned 64-bit numbers: negative ones (time going
        // backwards) are huge and never below a threshold.
        let dt = t - s[r + LASTACK_TIME];
        if (notAdvanced && s[r + DUPACKS] >= 2 && s[r + LASTACK] === seq && dt >= 0 && dt < 20e6) {
          ta |= F.FAST_RETRANSMISSION;
          break classify;
        }
        dt = t - s[f + NEXTSEQ_TIME];
        const rtt = s[c + FIRST_RTT];
        const threshold = rtt === 0 ? 3e6 : rtt;
        const end = (seq + seglen + (flags & (SYN | FIN) ? 1 : 0)) >>> 0;
        if (notAdvanced && dt >= 0 && dt < threshold && fNext !== end) {
          ta |= F.OUT_OF_ORDER;
          break classify;
        }
        const rLastack = s[r + LASTACK];
        if (seglen > 0 && rLastack !== 0 && le((seq + seglen) >>> 0, rLastack)) {
          ta |= F.SPURIOUS_RETRANSMISSION;
          break classify;
        }
        if (notAdvanced) ta |= F.RETRANSMISSION;
      }
    }

    let nextseq = (seq + seglen) >>> 0;
    if (flags & (SYN | FIN)) nextseq = (nextseq + 1) >>> 0;
    if ((ta & F.ZERO_WINDOW_PROBE) === 0) {
      if (gt(nextseq, fNext) || fNext === 0) {
        s[f + NEXTSEQ] = nextseq;
        s[f + NEXTSEQ_TIME] = t;
      }
      const m = s[f + MAXSEQTOBEACKED];
      if (seq === m || m === 0) s[f + MAXSEQTOBEACKED] = s[f + NEXTSEQ];
    }
    s[f + WINDOW] = window;
    s[f + LASTACK] = ack;
    s[f + LASTACK_TIME] = t;
    s[f + LASTFLAGS] = ta;

    // After the analysis (as in dissect_tcp): the most recent SYN, and the first RTT at the
    // first pure ACK after it.
    if (flags & SYN) {
      if ((flags & ACK) === 0) {
        s[c + HAVE_SYN] = 1;
        s[c + MRU_SYN] = t;
      }
    } else if (flags & ACK && s[c + HAVE_SYN] !== 0 && s[c + FIRST_RTT] === 0) {
      s[c + FIRST_RTT] = t - s[c + MRU_SYN];
    }
    return ta;
  }
}

/** One TCP connection on its own (a TcpAnalysisTable of one), for analysing segments by hand. */
export class TcpConnection {
  private readonly table = new TcpAnalysisTable(1);
  private readonly id = this.table.create();

  /** SYN to the ACK completing the handshake, ns; 0 while unknown (Wireshark's convention). */
  get firstRtt(): number {
    return this.table.firstRtt(this.id);
  }

  /** See TcpAnalysisTable.isPortReuse. */
  isPortReuse(upward: boolean, seq: number, flags: number): boolean {
    return this.table.isPortReuse(this.id, upward, seq, flags);
  }

  /** See TcpAnalysisTable.analyze. */
  analyze(
    upward: boolean,
    seq: number,
    ack: number,
    seglen: number,
    flags: number,
    window: number,
    tsSec: number,
    tsNsec: number,
    extraFlags = 0,
  ): number {
    return this.table.analyze(this.id, upward, seq, ack, seglen, flags, window, tsSec, tsNsec, extraFlags);
  }
}
