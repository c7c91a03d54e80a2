// ARP and RARP (any hardware/protocol address sizes; Ethernet/IPv4 addresses as text).
import { BaseLayer, ipv4String, linkAddrString, macString } from './base';
import { LayerType } from '../vocab/layers';

export class ARP extends BaseLayer {
  readonly type = LayerType.ARP;
  hardwareType = 0;
  protocolType = 0;
  hwSize = 0;
  protoSize = 0;
  opcode = 0;

  decode(data: Buffer, offset: number, end: number, base = 0, limit = data.length): LayerType {
    if (this.buf !== data) this.buf = data;
    this.base = base; this.limit = limit; this.at = offset;
    this.headerLength = this.payloadLength = 0; this.truncated = this.malformed = false;
    this.hardwareType = this.protocolType = this.hwSize = this.protoSize = this.opcode = 0;
    if (end - offset < 8) return this.cut();
    this.hardwareType = data.readUInt16BE(offset);
    this.protocolType = data.readUInt16BE(offset + 2);
    this.hwSize = data[offset + 4];
    this.protoSize = data[offset + 5];
    this.opcode = data.readUInt16BE(offset + 6);
    const hlen = 8 + 2 * this.hwSize + 2 * this.protoSize;
    if (end - offset < hlen) return this.cut();
    this.headerLength = hlen;
    this.payloadLength = 0; // what follows is Ethernet padding
    return LayerType.None;
  }

  private addr(at: number, size: number, kind: 'hw' | 'proto'): string {
    const p = this.at + 8 + at;
    if (!this.captured(p, size)) return '';
    if (kind === 'hw' && size === 6) return macString(this.buf, p);
    if (kind === 'proto' && size === 4) return ipv4String(this.buf, p);
    return this.buf.subarray(p, p + size).toString('hex');
  }
  get senderHw(): string {
    return this.addr(0, this.hwSize, 'hw');
  }
  get senderProto(): string {
    return this.addr(this.hwSize, this.protoSize, 'proto');
  }
  get targetHw(): string {
    return this.addr(this.hwSize + this.protoSize, this.hwSize, 'hw');
  }
  get targetProto(): string {
    return this.addr(2 * this.hwSize + this.protoSize, this.protoSize, 'proto');
  }
  /** The sender's or target's hardware address as colon-separated hex whatever its size (tcpdump's form), '' when not captured. */
  linkAddr(which: 'sender' | 'target'): string {
    const p = this.at + 8 + (which === 'sender' ? 0 : this.hwSize + this.protoSize);
    return this.captured(p, this.hwSize) ? linkAddrString(this.buf, p, this.hwSize) : '';
  }
}
