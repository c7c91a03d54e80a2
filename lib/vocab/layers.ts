// Layer identities: the one table of layer ids and their names. No imports, no side effects:
// decoders, builders and analysis load it without the native addon.

/** Each layer: its id, and its name in each place a layer is named. */
const LAYERS = {
  // name: LAYER_NAMES; key: toJSON() and the summary views; path: analysis hierarchy paths.
  None: { id: 0, name: 'None', key: undefined, path: undefined },
  Ethernet: { id: 1, name: 'Ethernet', key: 'ethernet', path: 'eth' },
  Dot1Q: { id: 2, name: 'Dot1Q', key: 'dot1q', path: 'vlan' },
  ARP: { id: 3, name: 'ARP', key: 'arp', path: 'arp' },
  IPv4: { id: 4, name: 'IPv4', key: 'ipv4', path: 'ipv4' },
  IPv6: { id: 5, name: 'IPv6', key: 'ipv6', path: 'ipv6' },
  TCP: { id: 6, name: 'TCP', key: 'tcp', path: 'tcp' },
  UDP: { id: 7, name: 'UDP', key: 'udp', path: 'udp' },
  ICMPv4: { id: 8, name: 'ICMPv4', key: 'icmpv4', path: 'icmp' },
  ICMPv6: { id: 9, name: 'ICMPv6', key: 'icmpv6', path: 'icmpv6' },
  DNS: { id: 10, name: 'DNS', key: 'dns', path: 'dns' },
  LinuxSLL: { id: 11, name: 'LinuxSLL', key: 'linux_sll', path: 'sll' },
  LinuxSLL2: { id: 12, name: 'LinuxSLL2', key: 'linux_sll2', path: 'sll2' },
  Loopback: { id: 13, name: 'Loopback', key: 'loopback', path: 'null' },
  Payload: { id: 14, name: 'Payload', key: 'payload', path: 'data' },
  IPv6Extension: { id: 15, name: 'IPv6Extension', key: undefined, path: 'ipv6ext' },
} as const;

type Layers = typeof LAYERS;
type Ids = { readonly [K in keyof Layers]: Layers[K]['id'] };
type WithKey = { [K in keyof Layers as Layers[K]['key'] extends string ? K : never]: Layers[K] };
type Keys = { readonly [K in keyof WithKey as WithKey[K]['id']]: WithKey[K]['key'] };

const rows = Object.entries(LAYERS) as Array<[keyof Layers, Layers[keyof Layers]]>;

/** Layer ids: `LayerType.TCP` is 6. */
export const LayerType: Ids = Object.fromEntries(rows.map(([k, r]) => [k, r.id])) as unknown as Ids;
export type LayerType = Ids[keyof Ids];

/** How many layer ids there are (ids are 0 to LAYER_TYPE_COUNT - 1). */
export const LAYER_TYPE_COUNT = rows.length;

export const LAYER_NAMES: Record<LayerType, string> = Object.fromEntries(rows.map(([, r]) => [r.id, r.name])) as Record<LayerType, string>;

/** The lower-case key of each layer, as toJSON() and the summary views name it. */
export const LAYER_KEYS: Keys = Object.fromEntries(
  rows.filter(([, r]) => r.key !== undefined).map(([, r]) => [r.id, r.key]),
) as unknown as Keys;

/** Short layer names used in analysis hierarchy paths ('eth/ipv4/tcp'). */
export const LAYER_PATH_NAMES: Readonly<Record<number, string>> = Object.freeze(
  Object.fromEntries(rows.filter(([, r]) => r.path !== undefined).map(([, r]) => [r.id, r.path as string])),
);
