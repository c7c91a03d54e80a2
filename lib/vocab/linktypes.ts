// Link-layer header types: the DLT_* numbers libpcap reports (pcap_datalink()). No imports, no
// side effects: the constants load without the native addon (lib/linktype.ts asks libpcap for
// names and descriptions).
export const LINKTYPE = {
  NULL: 0,
  EN10MB: 1,
  RAW: 12,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
  IEEE802_11: 105,
  IEEE802_11_RADIO: 127,
  PPP: 9,
} as const;

/** Raw IP under its other numbers: DLT_RAW on OpenBSD (14) and LINKTYPE_RAW as files store it (101). */
export const LINKTYPE_RAW_OPENBSD = 14;
export const LINKTYPE_RAW_FILE = 101;

/** tcpdump's short names of link headers, as it marks a packet cut inside one (`[|ether]`). */
export const LINKTYPE_TCPDUMP_MARKS: ReadonlyMap<number, string> = new Map([
  [LINKTYPE.EN10MB, 'ether'],
  [LINKTYPE.LINUX_SLL, 'sll'],
  [LINKTYPE.LINUX_SLL2, 'sll2'],
  [LINKTYPE.NULL, 'null'],
  [LINKTYPE.LOOP, 'loop'],
]);

/**
 * Address families in NULL and LOOP headers: AF_INET (2 everywhere) and AF_INET6 of the systems
 * that write such captures (Linux 10, OpenBSD 24, FreeBSD 28, macOS 30); the other names are
 * scapy's (show()).
 */
export const AF_INET = 2;
export const LOOPBACK_FAMILIES: ReadonlyMap<number, string> = new Map([
  [AF_INET, 'IPv4'],
  [7, 'OSI'],
  [16, 'Appletalk'],
  [23, 'Netware IPX/SPX'],
  [10, 'IPv6'],
  [24, 'IPv6'],
  [28, 'IPv6'],
  [30, 'IPv6'],
]);

/** True for an AF_INET6 value of a NULL or LOOP header. */
export function isLoopbackInet6(family: number): boolean {
  return LOOPBACK_FAMILIES.get(family) === 'IPv6';
}
