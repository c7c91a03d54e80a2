// Layer identities: the ids of the decoders' layers and every name a layer goes by. No imports,
// no side effects: decoders, builders and analysis load it without the native addon.

/** Layer ids: `LayerType.TCP` is 6. Its keys are the layers' names (LAYER_NAMES). */
export const LayerType = {
  None: 0,
  Ethernet: 1,
  Dot1Q: 2,
  ARP: 3,
  IPv4: 4,
  IPv6: 5,
  TCP: 6,
  UDP: 7,
  ICMPv4: 8,
  ICMPv6: 9,
  DNS: 10,
  LinuxSLL: 11,
  LinuxSLL2: 12,
  Loopback: 13,
  Payload: 14,
  IPv6Extension: 15,
} as const;
export type LayerType = (typeof LayerType)[keyof typeof LayerType];

/** Each layer's other names: `key` in toJSON() and the summary views, `path` in analysis hierarchy paths. */
const NAMES = {
  None: {},
  Ethernet: { key: 'ethernet', path: 'eth' },
  Dot1Q: { key: 'dot1q', path: 'vlan' },
  ARP: { key: 'arp', path: 'arp' },
  IPv4: { key: 'ipv4', path: 'ipv4' },
  IPv6: { key: 'ipv6', path: 'ipv6' },
  TCP: { key: 'tcp', path: 'tcp' },
  UDP: { key: 'udp', path: 'udp' },
  ICMPv4: { key: 'icmpv4', path: 'icmp' },
  ICMPv6: { key: 'icmpv6', path: 'icmpv6' },
  DNS: { key: 'dns', path: 'dns' },
  LinuxSLL: { key: 'linux_sll', path: 'sll' },
  LinuxSLL2: { key: 'linux_sll2', path: 'sll2' },
  Loopback: { key: 'loopback', path: 'null' },
  Payload: { key: 'payload', path: 'data' },
  IPv6Extension: { path: 'ipv6ext' },
} as const satisfies Record<keyof typeof LayerType, { key?: string; path?: string }>;

type Names = typeof NAMES;
type Keyed = { [K in keyof Names as Names[K] extends { key: string } ? K : never]: Names[K] extends { key: infer S } ? S : never };
type Keys = { readonly [K in keyof Keyed as (typeof LayerType)[K]]: Keyed[K] };

const rows = (Object.keys(LayerType) as Array<keyof typeof LayerType>).map((k) => [LayerType[k], k, NAMES[k] as { key?: string; path?: string }] as const);

/** How many layer ids there are (ids are 0 to LAYER_TYPE_COUNT - 1). */
export const LAYER_TYPE_COUNT = rows.length;

export const LAYER_NAMES: Record<LayerType, string> = Object.fromEntries(rows.map(([id, name]) => [id, name])) as Record<LayerType, string>;

/** A layer's lower-case key ('ethernet', 'ipv4', ...): LAYER_KEYS' values. */
export type LayerKey = Keys[keyof Keys];

/** The lower-case key of each layer, as toJSON() and the summary views name it. */
export const LAYER_KEYS: Keys = Object.fromEntries(rows.filter(([, , n]) => n.key !== undefined).map(([id, , n]) => [id, n.key])) as unknown as Keys;

/** Short layer names used in analysis hierarchy paths ('eth/ipv4/tcp'). */
export const LAYER_PATH_NAMES: Readonly<Record<number, string>> = Object.freeze(
  Object.fromEntries(rows.filter(([, , n]) => n.path !== undefined).map(([id, , n]) => [id, n.path as string])),
);
