// BPF programs usable on any bytes: test a packet against a filter without a capture handle.
import { native, type NativeBpfProgram } from './binding';
import { PcapError } from './errors';
import { LINKTYPE, resolveLinktype } from './linktype';
import type { Packet } from './packet';

/** A compiled BPF filter (tcpdump syntax) that tests packets or raw bytes without a capture handle. */
export class BpfFilter {
  readonly expression: string;
  readonly linktype: number;
  private readonly program: NativeBpfProgram;

  /** Compiles `expression` for `linktype` (default EN10MB); EFILTER with libpcap's message if invalid. */
  constructor(expression: string, linktype: number | string = LINKTYPE.EN10MB, snaplen = 262144) {
    if (typeof expression !== 'string') throw new PcapError('EINVAL', 'BpfFilter(expression: string)');
    this.expression = expression;
    this.linktype = resolveLinktype(linktype);
    this.program = new native.BpfProgram(this.linktype, snaplen, expression);
  }

  /** True when the packet (or raw bytes with an optional wire length) passes. */
  matches(packet: Packet | Uint8Array, wireLength?: number): boolean {
    if (packet instanceof Uint8Array) return this.program.matches(packet, wireLength);
    return this.program.matches(packet.data, packet.length);
  }

  /** The compiled program, one instruction per line, as `tcpdump -d` prints it. */
  instructions(): string[] {
    return this.program.instructions();
  }
}
