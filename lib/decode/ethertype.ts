// EtherType -> next layer, shared by Ethernet, 802.1Q and Linux cooked headers.
import { LayerType } from './types';

export const ETHERTYPE = {
  IPv4: 0x0800,
  ARP: 0x0806,
  RARP: 0x8035,
  Dot1Q: 0x8100,
  QinQ: 0x88a8,
  QinQOld: 0x9100,
  IPv6: 0x86dd,
} as const;

export function nextForEtherType(t: number): LayerType {
  switch (t) {
    case ETHERTYPE.IPv4:
      return LayerType.IPv4;
    case ETHERTYPE.IPv6:
      return LayerType.IPv6;
    case ETHERTYPE.ARP:
    case ETHERTYPE.RARP:
      return LayerType.ARP;
    case ETHERTYPE.Dot1Q:
    case ETHERTYPE.QinQ:
    case ETHERTYPE.QinQOld:
      return LayerType.Dot1Q;
    default:
      return LayerType.Payload;
  }
}
