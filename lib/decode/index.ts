// Zero-copy decoders: one file per protocol, a reusable Decoder over them.
export { Decoder, firstLayerFor, MAX_VLAN_TAGS, type DecodablePacket } from './decoder';
export { LayerType, LAYER_NAMES } from '../vocab/layers';
export type { DecodingLayer } from './types';
export { BaseLayer, macString, ipv4String, ipv6String } from './base';
export { Ethernet } from './ethernet';
export { Dot1Q } from './dot1q';
export { ARP } from './arp';
export { IPv4 } from './ipv4';
export { IPv6 } from './ipv6';
export { TCP, TCP_FLAGS, type TcpOption } from './tcp';
export { UDP } from './udp';
export { ICMPv4, ICMPv6 } from './icmp';
export { DNS, readDnsName, type DnsQuestion, type DnsRecord } from './dns';
export { LinuxSLL, LinuxSLL2, Loopback } from './link';
export { Payload } from './payload';
export { ETHERTYPE, nextForEtherType } from '../vocab/ethertypes';
export { IPPROTO, nextForIpProtocol } from '../vocab/ip-protocols';
export { summary } from './summary';
export { show } from './show';
export { toJSON as decodedToJSON } from './json';
export type {
  DecodedJSON,
  JSONOptions as DecodedJSONOptions,
  LayerJSON,
  LayerJSONBase,
  LayerJSONType,
  IncompleteLayerJSON,
  EthernetJSON,
  Dot1QJSON,
  LinuxSLLJSON,
  LinuxSLL2JSON,
  LoopbackJSON,
  ArpJSON,
  IPv4JSON,
  IPv6JSON,
  TcpJSON,
  UdpJSON,
  IcmpJSON,
  DnsJSON,
  PayloadJSON,
} from './json';
export { hexdump, type HexdumpOptions } from './hexdump';
export { decode, DecodedPacket } from './decoded';
