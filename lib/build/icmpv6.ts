// ICMPv6: checksum over the IPv6 pseudo-header and the message computed unless given.
import { networkBelow, type BuildLayer } from './layer';
import { icmpHeader, type IcmpOptions } from './icmp';
import { internetChecksum, lookup } from './util';
import { IPPROTO } from '../vocab/ip-protocols';

/** Names for the common ICMPv6 types. */
export const ICMPV6_TYPES: Record<string, number> = {
  'dest-unreach': 1,
  'packet-too-big': 2,
  'time-exceeded': 3,
  'parameter-problem': 4,
  'echo-request': 128,
  'echo-reply': 129,
  'router-solicitation': 133,
  'router-advertisement': 134,
  'neighbor-solicitation': 135,
  'neighbor-advertisement': 136,
  redirect: 137,
};

export type Icmpv6Options = IcmpOptions;

export function icmpv6(options: Icmpv6Options = {}): BuildLayer {
  const h = icmpHeader(lookup(options.type ?? 128, ICMPV6_TYPES, 8, 'ICMPv6 type'), options, 'ICMPv6');
  return {
    kind: 'icmpv6',
    ipProtocol: IPPROTO.ICMPV6,
    encode(payload, ctx) {
      const m = Buffer.concat([h, payload]);
      let sum = options.checksum;
      if (sum === undefined) {
        const ip = networkBelow(ctx);
        sum = internetChecksum(...(ip ? [ip.pseudoHeader(58, m.length)] : []), m);
      }
      m.writeUInt16BE(sum, 2);
      return m;
    },
  };
}
