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

// TCP header flag bits.
const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;

// 32-bit sequence-space comparisons (Wireshark's LT_SEQ and friends).
const lt = (a: number, b: number) => ((a - b) | 0) < 0;
const gt = (a: number, b: number) => ((b - a) | 0) < 0;
const le = (a: number, b: number) => ((a - b) | 0) <= 0;

/** One direction of a connection. Times are ns from the connection's first segment. */
export class TcpDirection {
  baseSeqSet = false;
  baseSeq = 0;
  /** Next expected sequence number (0: unknown, as in Wireshark). */
  nextseq = 0;
  nextseqTime = 0;
  lastack = 0;
  lastackTime = 0;
  /** Last raw window; starts out of the 16-bit range so the first segment never matches. */
  window = 0xffffffff;
  dupacknum = 0;
  maxseqtobeacked = 0;
  lastsegmentflags = 0;
}

/** Analysis state of one TCP connection (Wireshark: one tcp.stream). */
export class TcpConnection {
  /** Direction from the lower (address, port) to the higher, and back. */
  readonly up = new TcpDirection();
  readonly down = new TcpDirection();
  private haveSyn = false;
  private mruSyn = 0;
  /** SYN to the ACK completing the handshake, ns; 0 while unknown (Wireshark's convention). */
  firstRtt = 0;
  // Times are ns from the connection's first segment, so they stay exact.
  private baseSet = false;
  private baseSec = 0;
  private baseNsec = 0;

  /**
   * Would this segment start a new connection on the same ports? Wireshark does that for a SYN
   * (without ACK) whose sequence number differs from the one this direction started with.
   */
  isPortReuse(upward: boolean, seq: number, flags: number): boolean {
    if ((flags & (SYN | ACK)) !== SYN) return false;
    const fwd = upward ? this.up : this.down;
    return fwd.baseSeqSet && fwd.baseSeq !== seq;
  }

  /**
   * Analyses one segment: `upward` is its direction, `seglen` the TCP payload length on the
   * wire, `flags` the TCP flags, `window` the raw window field, `tsSec`/`tsNsec` its time.
   * Returns the TcpAnalysisFlag bits. `extraFlags` are flags already known (REUSED_PORTS).
   */
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
    if (!this.baseSet) {
      this.baseSet = true;
      this.baseSec = tsSec;
      this.baseNsec = tsNsec;
    }
    const t = (tsSec - this.baseSec) * 1e9 + (tsNsec - this.baseNsec);
    const fwd = upward ? this.up : this.down;
    const rev = upward ? this.down : this.up;
    let ta = extraFlags;

    if (!fwd.baseSeqSet) {
      fwd.baseSeq = flags & SYN ? seq : (seq - 1) >>> 0;
      fwd.baseSeqSet = true;
    }
    if (!rev.baseSeqSet && flags & ACK) {
      rev.baseSeq = (ack - 1) >>> 0;
      rev.baseSeqSet = true;
    }

    const noSfr = (flags & (SYN | FIN | RST)) === 0;
    analyseFwd: {
      // ZERO WINDOW PROBE: one byte at nextseq while the other side's window is 0.
      if (seglen === 1 && seq === fwd.nextseq && rev.window === 0) {
        ta |= F.ZERO_WINDOW_PROBE;
        break analyseFwd;
      }
      if (window === 0 && noSfr) ta |= F.ZERO_WINDOW;
      // LOST PACKET: beyond nextseq, so something before was not captured.
      if (fwd.nextseq !== 0 && gt(seq, fwd.nextseq) && (flags & RST) === 0) ta |= F.LOST_PACKET;
      // KEEP ALIVE: 0 or 1 byte, one byte before nextseq.
      if ((seglen === 0 || seglen === 1) && seq === ((fwd.nextseq - 1) >>> 0) && noSfr) ta |= F.KEEP_ALIVE;
      const sameSeqAck = seglen === 0 && seq === fwd.nextseq && ack === fwd.lastack && noSfr;
      // WINDOW UPDATE: nothing new but the window.
      if (sameSeqAck && window !== 0 && window !== fwd.window) ta |= F.WINDOW_UPDATE;
      // KEEP ALIVE ACK
      if (sameSeqAck && window !== 0 && window === fwd.window && rev.lastsegmentflags & F.KEEP_ALIVE) {
        ta |= F.KEEP_ALIVE_ACK;
        break analyseFwd;
      }
      // ZERO WINDOW PROBE ACK
      if (sameSeqAck && window === 0 && window === fwd.window && rev.lastsegmentflags & F.ZERO_WINDOW_PROBE) {
        ta |= F.ZERO_WINDOW_PROBE_ACK;
        break analyseFwd;
      }
      // DUPLICATE ACK: same seq, ack and window, no data.
      if (sameSeqAck && window !== 0 && window === fwd.window) {
        fwd.dupacknum++;
        ta |= F.DUPLICATE_ACK;
      }
    }
    if (ack !== fwd.lastack) fwd.dupacknum = 0;

    // ACKED LOST PACKET: acknowledges data of the other side that was never seen.
    if (rev.maxseqtobeacked !== 0 && gt(ack, rev.maxseqtobeacked) && flags & ACK) {
      ta |= F.ACK_LOST_PACKET;
      rev.maxseqtobeacked = rev.nextseq;
    }

    // RETRANSMISSION / FAST RETRANSMISSION / OUT-OF-ORDER / SPURIOUS
    if ((seglen > 0 || flags & (SYN | FIN)) && (ta & F.KEEP_ALIVE) === 0) {
      let notAdvanced = fwd.nextseq !== 0 && lt(seq, fwd.nextseq);
      // More than one byte starting one before nextseq adds new data (after a zero window probe).
      if (seglen > 1 && ((fwd.nextseq - 1) >>> 0) === seq) notAdvanced = false;
      classify: {
        // Wireshark computes these delays as unsigned 64-bit numbers: negative ones (time going
        // backwards) are huge and never below a threshold.
        let dt = t - rev.lastackTime;
        if (notAdvanced && rev.dupacknum >= 2 && rev.lastack === seq && dt >= 0 && dt < 20e6) {
          ta |= F.FAST_RETRANSMISSION;
          break classify;
        }
        dt = t - fwd.nextseqTime;
        const threshold = this.firstRtt === 0 ? 3e6 : this.firstRtt;
        const end = (seq + seglen + (flags & (SYN | FIN) ? 1 : 0)) >>> 0;
        if (notAdvanced && dt >= 0 && dt < threshold && fwd.nextseq !== end) {
          ta |= F.OUT_OF_ORDER;
          break classify;
        }
        if (seglen > 0 && rev.lastack !== 0 && le((seq + seglen) >>> 0, rev.lastack)) {
          ta |= F.SPURIOUS_RETRANSMISSION;
          break classify;
        }
        if (notAdvanced) ta |= F.RETRANSMISSION;
      }
    }

    let nextseq = (seq + seglen) >>> 0;
    if (flags & (SYN | FIN)) nextseq = (nextseq + 1) >>> 0;
    if ((ta & F.ZERO_WINDOW_PROBE) === 0) {
      if (gt(nextseq, fwd.nextseq) || fwd.nextseq === 0) {
        fwd.nextseq = nextseq;
        fwd.nextseqTime = t;
      }
      if (seq === fwd.maxseqtobeacked || fwd.maxseqtobeacked === 0) fwd.maxseqtobeacked = fwd.nextseq;
    }
    fwd.window = window;
    fwd.lastack = ack;
    fwd.lastackTime = t;
    fwd.lastsegmentflags = ta;

    // After the analysis (as in dissect_tcp): the most recent SYN, and the first RTT at the
    // first pure ACK after it.
    if (flags & SYN) {
      if ((flags & ACK) === 0) {
        this.haveSyn = true;
        this.mruSyn = t;
      }
    } else if (flags & ACK && this.haveSyn && this.firstRtt === 0) {
      this.firstRtt = t - this.mruSyn;
    }
    return ta;
  }
}
