// IP protocol numbers -> next layer, shared by IPv4 and IPv6.
import { LayerType } from './types';

export const IPPROTO = {
  HOPOPTS: 0,
  ICMP: 1,
  TCP: 6,
  UDP: 17,
  ROUTING: 43,
  FRAGMENT: 44,
  ICMPV6: 58,
  NONE: 59,
  DSTOPTS: 60,
  AH: 51,
} as const;

export function nextForIpProtocol(p: number): LayerType {
  switch (p) {
    case IPPROTO.TCP:
      return LayerType.TCP;
    case IPPROTO.UDP:
      return LayerType.UDP;
    case IPPROTO.ICMP:
      return LayerType.ICMPv4;
    case IPPROTO.ICMPV6:
      return LayerType.ICMPv6;
    case IPPROTO.NONE:
      return LayerType.None;
    default:
      return LayerType.Payload;
  }
}
