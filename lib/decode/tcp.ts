// TCP: header, flags and options (MSS, window scale, SACK, timestamps).
import { BaseLayer } from './base';
import { LayerType } from '../vocab/layers';
import { isDnsPort } from '../vocab/ports';
import { TCP_FLAGS, TCP_FLAG_LETTERS } from '../vocab/tcp-flags';

export { TCP_FLAGS };

export interface TcpOption {
  kind: number;
  /** The option's data (a view), without kind and length. */
  data: Buffer;
}

/**
 * What tcpCheck() found when the header is not whole, in the order it checks. A whole header
 * gives its length instead, 20 (TcpHeader.Whole) or more.
 */
export const enum TcpHeader {
  /** The least a whole header's result can be: results from 20 up are header lengths. */
  Whole = 20,
  /** Fewer than 20 bytes captured (truncated; decode() leaves the ports and flags 0). */
  Short = 1,
  /** A data offset below 5 (malformed). */
  BadDataOffset = 2,
  /** The capture ends inside the options (truncated). */
  CutOptions = 3,
}

/** A TCP header at `offset` of `data`, captured bytes ending at `end`: its length when whole (at least TcpHeader.Whole), else why not. */
export function tcpCheck(data: Buffer, offset: number, end: number): number {
  if (end - offset < 20) return TcpHeader.Short;
  const hlen = (data[offset + 12] >> 4) * 4;
  if (hlen < 20) return TcpHeader.BadDataOffset;
  return end - offset < hlen ? TcpHeader.CutOptions : hlen;
}

export class TCP extends BaseLayer {
  readonly type = LayerType.TCP;
  srcPort = 0;
  dstPort = 0;
  dataOffset = 0;
  /** Flags including NS (bit 8). */
  flags = 0;

  decode(data: Buffer, offset: number, end: number, base = 0, limit = data.length): LayerType {
    if (this.buf !== data) this.buf = data;
    this.base = base; this.limit = limit; this.at = offset;
    this.headerLength = this.payloadLength = 0; this.truncated = this.malformed = false;
    this.srcPort = this.dstPort = this.dataOffset = this.flags = 0;
    const check = tcpCheck(data, offset, end);
    if (check === TcpHeader.Short) return this.cut();
    // Plain byte reads (bounds checked above): readUInt16BE is a call in the per-packet path.
    this.srcPort = (data[offset] << 8) | data[offset + 1];
    this.dstPort = (data[offset + 2] << 8) | data[offset + 3];
    this.dataOffset = data[offset + 12] >> 4;
    this.flags = ((data[offset + 12] & 1) << 8) | data[offset + 13];
    const hlen = this.dataOffset * 4;
    if (check === TcpHeader.BadDataOffset) return this.bad();
    if (check === TcpHeader.CutOptions) return this.cut();
    this.headerLength = hlen;
    this.payloadLength = end - offset - hlen;
    if (this.payloadLength > 0 && (isDnsPort(this.srcPort) || isDnsPort(this.dstPort))) return LayerType.DNS;
    return this.payloadLength > 0 ? LayerType.Payload : LayerType.None;
  }

  /** @internal A whole header, checked by the Decoder's straight path (b12, b13: bytes 12 and 13). */
  fill(data: Buffer, base: number, limit: number, at: number, srcPort: number, dstPort: number, b12: number, b13: number, payloadLength: number): void {
    if (this.buf !== data) this.buf = data;
    this.base = base; this.limit = limit; this.at = at;
    this.dataOffset = b12 >> 4;
    this.headerLength = this.dataOffset * 4; this.payloadLength = payloadLength; this.truncated = this.malformed = false;
    this.srcPort = srcPort; this.dstPort = dstPort;
    this.flags = ((b12 & 1) << 8) | b13;
  }

  /** The port fields as captured, also of a header cut short after them (srcPort and dstPort stay 0 then). */
  get srcPortField(): number {
    return this.u16(this.at);
  }
  get dstPortField(): number {
    return this.u16(this.at + 2);
  }
  /** The 3 reserved bits between the data offset and NS (tshark's tcp.flags.res; 0 on conforming segments). */
  get reserved(): number {
    return (this.u8(this.at + 12) >> 1) & 7;
  }
  get seq(): number {
    return this.u32(this.at + 4);
  }
  get ack(): number {
    return this.u32(this.at + 8);
  }
  get window(): number {
    return this.u16(this.at + 14);
  }
  get checksum(): number {
    return this.u16(this.at + 16);
  }
  get urgent(): number {
    return this.u16(this.at + 18);
  }
  get syn(): boolean {
    return (this.flags & TCP_FLAGS.SYN) !== 0;
  }
  get ackFlag(): boolean {
    return (this.flags & TCP_FLAGS.ACK) !== 0;
  }
  get fin(): boolean {
    return (this.flags & TCP_FLAGS.FIN) !== 0;
  }
  get rst(): boolean {
    return (this.flags & TCP_FLAGS.RST) !== 0;
  }
  get psh(): boolean {
    return (this.flags & TCP_FLAGS.PSH) !== 0;
  }

  /** Flags in scapy's letters, e.g. 'SA', 'PA', 'FA'. */
  get flagString(): string {
    let s = '';
    for (let i = 0; i < 9; i++) if (this.flags & (1 << i)) s += TCP_FLAG_LETTERS[i];
    return s;
  }

  /** Walks the options; calls fn(kind, dataOffset, dataLength) until it returns true. No allocation. */
  private scanOptions(fn: (kind: number, at: number, len: number) => boolean): void {
    const d = this.buf;
    let p = this.at + 20;
    const stop = this.at + this.headerLength;
    while (p < stop) {
      const kind = d[p];
      if (kind === 0) return; // end of options
      if (kind === 1) {
        p++; // NOP
        continue;
      }
      if (p + 1 >= stop) return;
      const len = d[p + 1];
      if (len < 2 || p + len > stop) return; // malformed option: stop reading options
      if (fn(kind, p + 2, len - 2)) return;
      p += len;
    }
  }

  /** Maximum segment size option, or undefined. */
  get mss(): number | undefined {
    let v: number | undefined;
    this.scanOptions((k, at, len) => (k === 2 && len === 2 ? ((v = this.buf.readUInt16BE(at)), true) : false));
    return v;
  }
  /** Window scale shift count, or undefined. */
  get windowScale(): number | undefined {
    let v: number | undefined;
    this.scanOptions((k, at, len) => (k === 3 && len === 1 ? ((v = this.buf[at]), true) : false));
    return v;
  }
  get sackPermitted(): boolean {
    let v = false;
    this.scanOptions((k) => (k === 4 ? (v = true) : false));
    return v;
  }
  /** SACK blocks as [left, right] pairs. */
  get sack(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    this.scanOptions((k, at, len) => {
      if (k === 5) for (let i = 0; i + 8 <= len; i += 8) out.push([this.buf.readUInt32BE(at + i), this.buf.readUInt32BE(at + i + 4)]);
      return false;
    });
    return out;
  }
  /** Timestamps option [TSval, TSecr], or undefined. */
  get timestamps(): [number, number] | undefined {
    let v: [number, number] | undefined;
    this.scanOptions((k, at, len) =>
      k === 8 && len === 8 ? ((v = [this.buf.readUInt32BE(at), this.buf.readUInt32BE(at + 4)]), true) : false,
    );
    return v;
  }
  /** Every option (allocates; for display). */
  get options(): TcpOption[] {
    const out: TcpOption[] = [];
    this.scanOptions((kind, at, len) => (out.push({ kind, data: this.buf.subarray(at, at + len) }), false));
    return out;
  }
}
