// Well-known TCP/UDP ports: the ones pcapkit itself follows, and the applications analyze()
// names conversations after. No imports, no side effects.
//
// Port is a const enum: the compiler writes its values where they are used, so isDnsPort(),
// which runs twice per TCP/UDP packet, compares with numbers instead of loading properties.
export const enum Port {
  DNS = 53,
  MDNS = 5353,
  LLMNR = 5355,
}

/** DNS, mDNS and LLMNR all carry DNS messages: the decoder follows these ports into DNS. */
export function isDnsPort(port: number): boolean {
  return port === Port.DNS || port === Port.MDNS || port === Port.LLMNR;
}

/** A port rule of the application table (ApplicationRule in analyze/apps). */
export interface PortApplication {
  readonly name: string;
  readonly transport: 'tcp' | 'udp' | 'tcp/udp';
  readonly ports: number | readonly number[];
  readonly description?: string;
}

/**
 * Applications by port, the first part of DEFAULT_APPLICATIONS. Names follow the usual protocol
 * names; TCP 443 is 'TLS' (HTTPS and other TLS), UDP 443 is 'QUIC'.
 */
export const PORT_APPLICATIONS: readonly PortApplication[] = [
  // TCP
  { name: 'FTP-DATA', transport: 'tcp', ports: 20, description: 'FTP data' },
  { name: 'FTP', transport: 'tcp', ports: 21, description: 'FTP control' },
  { name: 'SSH', transport: 'tcp', ports: 22, description: 'Secure Shell' },
  { name: 'TELNET', transport: 'tcp', ports: 23 },
  { name: 'SMTP', transport: 'tcp', ports: [25, 587], description: 'mail submission and relay' },
  { name: 'HTTP', transport: 'tcp', ports: 80 },
  { name: 'POP3', transport: 'tcp', ports: 110 },
  { name: 'NNTP', transport: 'tcp', ports: 119 },
  { name: 'IMAP', transport: 'tcp', ports: 143 },
  { name: 'BGP', transport: 'tcp', ports: 179 },
  { name: 'LDAP', transport: 'tcp', ports: 389 },
  { name: 'TLS', transport: 'tcp', ports: 443, description: 'HTTPS and other TLS' },
  { name: 'SMB', transport: 'tcp', ports: 445 },
  { name: 'SMTPS', transport: 'tcp', ports: 465 },
  { name: 'MODBUS', transport: 'tcp', ports: 502, description: 'Modbus/TCP' },
  { name: 'LDAPS', transport: 'tcp', ports: 636 },
  { name: 'MODBUS-TLS', transport: 'tcp', ports: 802 },
  { name: 'DNS-TLS', transport: 'tcp', ports: 853, description: 'DNS over TLS' },
  { name: 'RSYNC', transport: 'tcp', ports: 873 },
  { name: 'IMAPS', transport: 'tcp', ports: 993 },
  { name: 'POP3S', transport: 'tcp', ports: 995 },
  { name: 'PPTP', transport: 'tcp', ports: 1723 },
  { name: 'MQTT', transport: 'tcp', ports: 1883 },
  { name: 'DOCKER', transport: 'tcp', ports: 2375, description: 'Docker API' },
  { name: 'DOCKER-TLS', transport: 'tcp', ports: 2376 },
  { name: 'IEC-104', transport: 'tcp', ports: 2404, description: 'IEC 60870-5-104' },
  { name: 'MYSQL', transport: 'tcp', ports: 3306 },
  { name: 'RDP', transport: 'tcp', ports: 3389 },
  { name: 'OPC-UA', transport: 'tcp', ports: 4840 },
  { name: 'OPC-UA-TLS', transport: 'tcp', ports: 4843 },
  { name: 'POSTGRES', transport: 'tcp', ports: 5432 },
  { name: 'AMQP', transport: 'tcp', ports: 5672 },
  { name: 'REDIS', transport: 'tcp', ports: 6379 },
  { name: 'HTTP-ALT', transport: 'tcp', ports: 8080 },
  { name: 'HTTPS-ALT', transport: 'tcp', ports: 8443 },
  { name: 'MQTT-TLS', transport: 'tcp', ports: 8883 },
  { name: 'MQTT-WS', transport: 'tcp', ports: 9001, description: 'MQTT over WebSocket' },
  { name: 'KAFKA', transport: 'tcp', ports: 9092 },
  { name: 'DOIP', transport: 'tcp/udp', ports: 13400, description: 'Diagnostics over IP (ISO 13400)' },
  { name: 'DNP3', transport: 'tcp/udp', ports: 20000 },
  // both
  { name: 'DNS', transport: 'tcp/udp', ports: Port.DNS },
  { name: 'OPENVPN', transport: 'tcp/udp', ports: 1194 },
  { name: 'MDNS', transport: 'udp', ports: Port.MDNS, description: 'multicast DNS' },
  { name: 'LLMNR', transport: 'tcp/udp', ports: Port.LLMNR },
  // UDP
  { name: 'DHCP', transport: 'udp', ports: [67, 68] },
  { name: 'TFTP', transport: 'udp', ports: 69 },
  { name: 'NTP', transport: 'udp', ports: 123 },
  { name: 'NETBIOS', transport: 'udp', ports: [137, 138] },
  { name: 'SNMP', transport: 'udp', ports: [161, 162] },
  { name: 'QUIC', transport: 'udp', ports: 443, description: 'QUIC (HTTP/3)' },
  { name: 'IKE', transport: 'udp', ports: [500, 4500], description: 'IPsec key exchange and NAT traversal' },
  { name: 'SYSLOG', transport: 'udp', ports: 514 },
  { name: 'RIP', transport: 'udp', ports: 520 },
  { name: 'DHCPV6', transport: 'udp', ports: [546, 547] },
  { name: 'RADIUS', transport: 'udp', ports: [1812, 1813] },
  { name: 'SSDP', transport: 'udp', ports: 1900 },
  { name: 'GTP', transport: 'udp', ports: [2123, 2152] },
  { name: 'STUN', transport: 'udp', ports: 3478 },
  { name: 'VXLAN', transport: 'udp', ports: 4789 },
  { name: 'COAP', transport: 'udp', ports: 5683 },
  { name: 'COAP-DTLS', transport: 'udp', ports: 5684 },
  { name: 'GENEVE', transport: 'udp', ports: 6081 },
  { name: 'BACNET', transport: 'udp', ports: 47808 },
];
