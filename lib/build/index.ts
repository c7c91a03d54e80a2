// Packet builders: one file per protocol; build() stacks them and fills in lengths,
// checksums, EtherTypes and protocol numbers.
export { build, payload, type BuildLayer, type BuildContext, type BuildPart, type PseudoHeaderSource } from './layer';
export { internetChecksum } from './util';
export { ether, type EtherOptions } from './ether';
export { dot1q, type Dot1QOptions } from './dot1q';
export { arp, type ArpOptions } from './arp';
export { ipv4, type IPv4Options, type IPv4Layer } from './ipv4';
export { ipv6, type IPv6Options, type IPv6Layer } from './ipv6';
export { tcp, tcpFlags, type TcpOptions, type TcpBuildOptions } from './tcp';
export { udp, type UdpOptions } from './udp';
export { icmp, ICMP_TYPES, type IcmpOptions } from './icmp';
export { icmpv6, ICMPV6_TYPES, type Icmpv6Options } from './icmpv6';
export { dnsQuery, encodeDnsName, DNS_TYPES, type DnsQueryOptions } from './dns';
