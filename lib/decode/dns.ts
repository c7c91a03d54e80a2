// DNS messages over UDP (also mDNS, LLMNR) and TCP (2-byte length prefix). The header is
// decoded eagerly; names and records only when read, with compression pointers followed
// under bounds and loop protection.
import { BaseLayer, ipv4String, ipv6String } from './base';
import { LayerType } from '../vocab/layers';

const MAX_JUMPS = 64;
const MAX_NAME = 255;
const MAX_RECORDS = 512; // per section, when listing records

export interface DnsQuestion {
  name: string;
  type: number;
  class: number;
}

export interface DnsRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  /** Text form for A, AAAA, CNAME, NS, PTR; hex otherwise. */
  data: string;
}

/** Reads a (possibly compressed) name; returns [name, offset after it] or undefined when broken. */
export function readDnsName(msg: Buffer, start: number, end: number, pos: number): [string, number] | undefined {
  const labels: string[] = [];
  let next = -1;
  let jumps = 0;
  let total = 0;
  for (;;) {
    if (pos >= end) return undefined;
    const len = msg[pos];
    if (len === 0) {
      if (next < 0) next = pos + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= end) return undefined;
      const target = start + (((len & 0x3f) << 8) | msg[pos + 1]);
      if (next < 0) next = pos + 2;
      if (++jumps > MAX_JUMPS || target >= end) return undefined;
      pos = target;
      continue;
    }
    if ((len & 0xc0) !== 0) return undefined; // extended label types: not supported
    if (pos + 1 + len > end) return undefined;
    total += len + 1;
    if (total > MAX_NAME) return undefined;
    labels.push(msg.toString('latin1', pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  return [labels.length === 0 ? '<Root>' : labels.join('.'), next];
}

export class DNS extends BaseLayer {
  readonly type = LayerType.DNS;
  /** True when carried over TCP (the message follows a 2-byte length). */
  overTcp = false;
  id = 0;
  flags = 0;
  qdCount = 0;
  anCount = 0;
  nsCount = 0;
  arCount = 0;
  /** @internal Start and end of the DNS message in `buf`. */
  msgStart = 0;
  /** @internal */
  msgEnd = 0;

  /** Start of the DNS message in the packet's `data`. */
  get messageStart(): number {
    return this.msgStart - this.base;
  }
  /** End of the DNS message in the packet's `data`. */
  get messageEnd(): number {
    return this.msgEnd - this.base;
  }

  decodeTcp(data: Buffer, offset: number, end: number, base = 0, limit = data.length): LayerType {
    if (this.buf !== data) this.buf = data;
    this.base = base; this.limit = limit; this.at = offset;
    this.headerLength = this.payloadLength = 0; this.truncated = this.malformed = false;
    this.reset(offset);
    this.overTcp = true;
    if (end - offset < 2) return this.cut();
    const len = data.readUInt16BE(offset);
    return this.decodeMessage(data, offset + 2, Math.min(end, offset + 2 + len), 2);
  }

  decode(data: Buffer, offset: number, end: number, base = 0, limit = data.length): LayerType {
    if (this.buf !== data) this.buf = data;
    this.base = base; this.limit = limit; this.at = offset;
    this.headerLength = this.payloadLength = 0; this.truncated = this.malformed = false;
    this.reset(offset);
    this.overTcp = false;
    return this.decodeMessage(data, offset, end, 0);
  }

  // Header fields of a message cut before them read 0 (not the previous packet's values).
  private reset(offset: number): void {
    this.id = this.flags = this.qdCount = this.anCount = this.nsCount = this.arCount = 0;
    this.msgStart = this.msgEnd = offset;
  }

  private decodeMessage(data: Buffer, start: number, end: number, prefix: number): LayerType {
    this.msgStart = start;
    this.msgEnd = end;
    if (end - start < 12) return this.cut();
    // Plain byte reads (bounds checked above): readUInt16BE is a call in the per-packet path.
    this.id = (data[start] << 8) | data[start + 1];
    this.flags = (data[start + 2] << 8) | data[start + 3];
    this.qdCount = (data[start + 4] << 8) | data[start + 5];
    this.anCount = (data[start + 6] << 8) | data[start + 7];
    this.nsCount = (data[start + 8] << 8) | data[start + 9];
    this.arCount = (data[start + 10] << 8) | data[start + 11];
    this.headerLength = prefix + (end - start);
    this.payloadLength = 0;
    return LayerType.None;
  }

  get response(): boolean {
    return (this.flags & 0x8000) !== 0;
  }
  get opcode(): number {
    return (this.flags >> 11) & 0xf;
  }
  get rcode(): number {
    return this.flags & 0xf;
  }
  get authoritative(): boolean {
    return (this.flags & 0x0400) !== 0;
  }
  get truncatedFlag(): boolean {
    return (this.flags & 0x0200) !== 0;
  }
  get recursionDesired(): boolean {
    return (this.flags & 0x0100) !== 0;
  }
  get recursionAvailable(): boolean {
    return (this.flags & 0x0080) !== 0;
  }

  /** The first question's name, or undefined (no question, or a broken name). */
  get questionName(): string | undefined {
    if (this.qdCount === 0) return undefined;
    return readDnsName(this.buf, this.msgStart, this.msgEnd, this.msgStart + 12)?.[0];
  }

  get questions(): DnsQuestion[] {
    return this.walk().questions;
  }

  get answers(): DnsRecord[] {
    return this.walk().answers;
  }

  // Reads the question and answer sections (allocates; for display and JSON).
  private walk(): { questions: DnsQuestion[]; answers: DnsRecord[] } {
    const d = this.buf;
    const s = this.msgStart;
    const e = this.msgEnd;
    const questions: DnsQuestion[] = [];
    const answers: DnsRecord[] = [];
    let p = s + 12;
    for (let i = 0; i < Math.min(this.qdCount, MAX_RECORDS); i++) {
      const n = readDnsName(d, s, e, p);
      if (!n || n[1] + 4 > e) return { questions, answers };
      questions.push({ name: n[0], type: d.readUInt16BE(n[1]), class: d.readUInt16BE(n[1] + 2) });
      p = n[1] + 4;
    }
    for (let i = 0; i < Math.min(this.anCount, MAX_RECORDS); i++) {
      const n = readDnsName(d, s, e, p);
      if (!n || n[1] + 10 > e) break;
      const at = n[1];
      const type = d.readUInt16BE(at);
      const rdlen = d.readUInt16BE(at + 8);
      const rd = at + 10;
      if (rd + rdlen > e) break;
      answers.push({
        name: n[0],
        type,
        class: d.readUInt16BE(at + 2),
        ttl: d.readUInt32BE(at + 4),
        data: this.rdata(type, rd, rdlen),
      });
      p = rd + rdlen;
    }
    return { questions, answers };
  }

  private rdata(type: number, at: number, len: number): string {
    const d = this.buf;
    if (type === 1 && len === 4) return ipv4String(d, at);
    if (type === 28 && len === 16) return ipv6String(d, at);
    if (type === 5 || type === 2 || type === 12) {
      const n = readDnsName(d, this.msgStart, this.msgEnd, at);
      if (n) return n[0];
    }
    return d.toString('hex', at, at + len);
  }
}
