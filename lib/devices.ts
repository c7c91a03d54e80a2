// Capture devices as libpcap lists them (pcap_findalldevs).
import { native } from './binding';

export interface DeviceAddress {
  family: 'IPv4' | 'IPv6';
  addr: string;
  netmask: string | null;
  broadaddr: string | null;
  dstaddr: string | null;
}

export type ConnectionStatus = 'unknown' | 'connected' | 'disconnected' | 'not-applicable';

export interface Device {
  name: string;
  description: string | null;
  addresses: DeviceAddress[];
  loopback: boolean;
  up: boolean;
  running: boolean;
  wireless: boolean;
  connectionStatus: ConnectionStatus;
  /** libpcap's PCAP_IF_* flag word. */
  flags: number;
}

/** The device capture tools use when none is named: all interfaces (Linux). */
export const DEFAULT_DEVICE = 'any';

const PCAP_IF_LOOPBACK = 0x1;
const PCAP_IF_UP = 0x2;
const PCAP_IF_RUNNING = 0x4;
const PCAP_IF_WIRELESS = 0x8;
const STATUS: ConnectionStatus[] = ['unknown', 'connected', 'disconnected', 'not-applicable'];

interface RawDevice {
  name: string;
  description: string | null;
  flags: number;
  addresses: DeviceAddress[];
}

/** Every device libpcap can capture on (some may need privileges to open). */
export function listDevices(): Device[] {
  return (native.listDevices() as RawDevice[]).map((d) => ({
    name: d.name,
    description: d.description,
    addresses: d.addresses,
    loopback: (d.flags & PCAP_IF_LOOPBACK) !== 0,
    up: (d.flags & PCAP_IF_UP) !== 0,
    running: (d.flags & PCAP_IF_RUNNING) !== 0,
    wireless: (d.flags & PCAP_IF_WIRELESS) !== 0,
    connectionStatus: STATUS[(d.flags >> 4) & 0x3],
    flags: d.flags,
  }));
}
