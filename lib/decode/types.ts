// Layer identities and the contract every decoding layer follows.
//
// The model is gopacket's DecodingLayerParser: a Decoder owns one reusable object per layer
// kind; decoding a packet overwrites those objects in place (offsets and a few integers) and
// allocates nothing. Field getters read straight from the packet bytes when asked, and
// addresses become strings only when read.

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

export const LAYER_NAMES: Record<LayerType, string> = {
  0: 'None',
  1: 'Ethernet',
  2: 'Dot1Q',
  3: 'ARP',
  4: 'IPv4',
  5: 'IPv6',
  6: 'TCP',
  7: 'UDP',
  8: 'ICMPv4',
  9: 'ICMPv6',
  10: 'DNS',
  11: 'LinuxSLL',
  12: 'LinuxSLL2',
  13: 'Loopback',
  14: 'Payload',
  15: 'IPv6Extension',
};

/** The lower-case key of each layer, as toJSON() and the summary views name it. */
export const LAYER_KEYS = {
  [LayerType.Ethernet]: 'ethernet',
  [LayerType.Dot1Q]: 'dot1q',
  [LayerType.LinuxSLL]: 'linux_sll',
  [LayerType.LinuxSLL2]: 'linux_sll2',
  [LayerType.Loopback]: 'loopback',
  [LayerType.ARP]: 'arp',
  [LayerType.IPv4]: 'ipv4',
  [LayerType.IPv6]: 'ipv6',
  [LayerType.TCP]: 'tcp',
  [LayerType.UDP]: 'udp',
  [LayerType.ICMPv4]: 'icmpv4',
  [LayerType.ICMPv6]: 'icmpv6',
  [LayerType.DNS]: 'dns',
  [LayerType.Payload]: 'payload',
} as const;

/**
 * What a layer decoder does. `decode` reads the header at `offset` of `data` (captured bytes
 * end at `end`) and returns the next layer's type, or LayerType.None to stop. It never
 * throws and never reads past `end`: a short header sets `truncated`, nonsense sets
 * `malformed`, and decoding stops there.
 */
export interface DecodingLayer {
  readonly type: LayerType;
  /** Start of this layer's header in `data`. */
  offset: number;
  /** Header length in bytes (what this layer consumed). */
  headerLength: number;
  /** Bytes after the header that belong to this layer's payload (within the capture). */
  payloadLength: number;
  truncated: boolean;
  malformed: boolean;
  decode(data: Buffer, offset: number, end: number): LayerType;
}
