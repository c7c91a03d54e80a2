// EtherTypes: the one table of EtherType numbers and their names, and the layer each leads to.
// No side effects: decoders, builders and analysis load it without the native addon.
import { LayerType } from './layers';

/** EtherTypes the decoders, builders and analysis use by name. */
export const ETHERTYPE = {
  IPv4: 0x0800,
  ARP: 0x0806,
  RARP: 0x8035,
  Dot1Q: 0x8100,
  QinQ: 0x88a8,
  QinQOld: 0x9100,
  IPv6: 0x86dd,
} as const;

/** Below this the Ethernet type field is an 802.3 length, not an EtherType. */
export const ETHERTYPE_MIN = 0x0600;

/** The EtherType builders write when the layer above announces none: scapy's (LOOP, 0x9000). */
export const ETHERTYPE_DEFAULT = 0x9000;

/**
 * Every EtherType pcapkit names: scapy's name (show(), summary(); '' when scapy has none) and,
 * for traffic that is not IP, the application analyze() reports it as. DEFAULT_APPLICATIONS
 * lists those applications in the order of this table.
 */
const ETHERTYPES: ReadonlyArray<readonly [type: number, scapy: string, application?: string, description?: string]> = [
  [ETHERTYPE.IPv4, 'IPv4'],
  [ETHERTYPE.IPv6, 'IPv6'],
  [ETHERTYPE.Dot1Q, '802_1Q'],
  [ETHERTYPE.QinQ, '802_1AD'],
  [ETHERTYPE.QinQOld, 'QINQ'],
  [ETHERTYPE.ARP, 'ARP', 'ARP'],
  [ETHERTYPE.RARP, 'RARP', 'RARP'],
  [0x888e, 'EAPOL', 'EAPOL'],
  [0x88cc, 'LLDP', 'LLDP'],
  [0x8863, 'PPP_DISC', 'PPPOE'],
  [0x8864, 'PPP_SES', 'PPPOE'],
  [0x8847, 'MPLS', 'MPLS'],
  [0x88f7, '', 'PTP', 'Precision Time Protocol'],
  [0x8848, 'MPLS_MCAST'],
  [0x88e5, 'MACSEC'],
  [0x8906, 'FCoE'],
  [ETHERTYPE_DEFAULT, 'LOOP'],
];

/** scapy's EtherType names. */
export const ETHERTYPE_NAMES: ReadonlyMap<number, string> = new Map(ETHERTYPES.filter((r) => r[1] !== '').map((r) => [r[0], r[1]]));

/** Applications of EtherTypes that are not IP, in table order: a name and its EtherType(s). */
export const ETHERTYPE_APPLICATIONS: ReadonlyArray<{ readonly name: string; readonly etherType: number | readonly number[]; readonly description?: string }> = (() => {
  const types = new Map<string, number[]>();
  const about = new Map<string, string>();
  for (const [t, , app, description] of ETHERTYPES) {
    if (app === undefined) continue;
    types.set(app, [...(types.get(app) ?? []), t]);
    if (description !== undefined) about.set(app, description);
  }
  return [...types].map(([name, list]) => {
    const d = about.get(name);
    return { name, etherType: list.length === 1 ? list[0] : list, ...(d !== undefined ? { description: d } : {}) };
  });
})();

/** The layer after a header announcing EtherType `t` (Ethernet, 802.1Q, Linux cooked). */
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
