// Link layers other than Ethernet: Linux cooked v1/v2, BSD loopback (NULL, LOOP).
import { BaseLayer, Header, macString } from './base';
import { LayerType } from '../vocab/layers';
import { nextForEtherType } from '../vocab/ethertypes';
import { AF_INET, isLoopbackInet6 } from '../vocab/linktypes';

/** A Linux cooked v1 header at `offset`: 16 bytes (Header.Whole or Header.Cut). */
export function sllCheck(offset: number, end: number): number {
  return end - offset < 16 ? Header.Cut : Header.Whole;
}

/** A Linux cooked v2 header at `offset`: 20 bytes (Header.Whole or Header.Cut). */
export function sll2Check(offset: number, end: number): number {
  return end - offset < 20 ? Header.Cut : Header.Whole;
}

/** LINUX_SLL (113): 16-byte header, protocol (EtherType) at 14. */
export class LinuxSLL extends BaseLayer {
  readonly type = LayerType.LinuxSLL;
  packetType = 0;
  protocol = 0;

  decode(data: Buffer, offset: number, end: number, base = 0, limit = data.length): LayerType {
    if (this.buf !== data) this.buf = data;
    this.base = base; this.limit = limit; this.at = offset;
    this.headerLength = this.payloadLength = 0; this.truncated = this.malformed = false;
    this.packetType = this.protocol = 0;
    if (sllCheck(offset, end) !== Header.Whole) return this.cut();
    this.packetType = data.readUInt16BE(offset);
    this.protocol = data.readUInt16BE(offset + 14);
    this.headerLength = 16;
    this.payloadLength = end - offset - 16;
    return nextForEtherType(this.protocol);
  }
  /** @internal A whole header at the packet's start, checked by the Decoder's straight path. */
  fill(data: Buffer, base: number, limit: number, packetType: number, protocol: number): void {
    if (this.buf !== data) this.buf = data;
    this.base = base; this.limit = limit; this.at = base;
    this.headerLength = 16; this.payloadLength = limit - base - 16; this.truncated = this.malformed = false;
    this.packetType = packetType; this.protocol = protocol;
  }
  get addressType(): number {
    return this.u16(this.at + 2);
  }
  get addressLength(): number {
    return this.u16(this.at + 4);
  }
  /** Link-layer source address (MAC when 6 bytes long). */
  get src(): string {
    const n = Math.min(this.addressLength, 8);
    if (!this.captured(this.at + 6, n)) return '';
    return n === 6 ? macString(this.buf, this.at + 6) : this.buf.subarray(this.at + 6, this.at + 6 + n).toString('hex');
  }
}

/** LINUX_SLL2 (276): 20-byte header, protocol first, interface index included. */
export class LinuxSLL2 extends BaseLayer {
  readonly type = LayerType.LinuxSLL2;
  protocol = 0;
  interfaceIndex = 0;
  packetType = 0;

  decode(data: Buffer, offset: number, end: number, base = 0, limit = data.length): LayerType {
    if (this.buf !== data) this.buf = data;
    this.base = base; this.limit = limit; this.at = offset;
    this.headerLength = this.payloadLength = 0; this.truncated = this.malformed = false;
    this.protocol = this.interfaceIndex = this.packetType = 0;
    if (sll2Check(offset, end) !== Header.Whole) return this.cut();
    this.protocol = data.readUInt16BE(offset);
    this.interfaceIndex = data.readUInt32BE(offset + 4);
    this.packetType = data[offset + 10];
    this.headerLength = 20;
    this.payloadLength = end - offset - 20;
    return nextForEtherType(this.protocol);
  }
  /** @internal A whole header at the packet's start, checked by the Decoder's straight path. */
  fill(data: Buffer, base: number, limit: number, protocol: number, interfaceIndex: number, packetType: number): void {
    if (this.buf !== data) this.buf = data;
    this.base = base; this.limit = limit; this.at = base;
    this.headerLength = 20; this.payloadLength = limit - base - 20; this.truncated = this.malformed = false;
    this.protocol = protocol; this.interfaceIndex = interfaceIndex; this.packetType = packetType;
  }
  get addressType(): number {
    return this.u16(this.at + 8);
  }
  get addressLength(): number {
    return this.u8(this.at + 11);
  }
  get src(): string {
    const n = Math.min(this.addressLength, 8);
    if (!this.captured(this.at + 12, n)) return '';
    return n === 6 ? macString(this.buf, this.at + 12) : this.buf.subarray(this.at + 12, this.at + 12 + n).toString('hex');
  }
}

/**
 * NULL (0) and LOOP (108): a 4-byte address family, in the capturing host's byte order for
 * NULL and in network order for LOOP. Both orders are tried, as tcpdump does.
 */
export class Loopback extends BaseLayer {
  readonly type = LayerType.Loopback;
  family = 0;

  decodeFamily(data: Buffer, offset: number, end: number, networkOrder: boolean, base = 0, limit = data.length): LayerType {
    if (this.buf !== data) this.buf = data;
    this.base = base; this.limit = limit; this.at = offset;
    this.headerLength = this.payloadLength = 0; this.truncated = this.malformed = false;
    this.family = 0;
    if (end - offset < 4) return this.cut();
    const be = data.readUInt32BE(offset);
    const le = data.readUInt32LE(offset);
    // A small value is the family; the other reading is a large number.
    this.family = networkOrder ? be : le < 0x10000 ? le : be;
    this.headerLength = 4;
    this.payloadLength = end - offset - 4;
    if (this.family === AF_INET) return LayerType.IPv4;
    if (isLoopbackInet6(this.family)) return LayerType.IPv6;
    return LayerType.Payload;
  }

  decode(data: Buffer, offset: number, end: number, base = 0, limit = data.length): LayerType {
    return this.decodeFamily(data, offset, end, false, base, limit);
  }
}
