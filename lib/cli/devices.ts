// pcapkit devices: the capture devices libpcap can see, with their flags and addresses.
import { Command } from 'commander';
import { listDevices, type Device, type DeviceAddress } from '../index';
import { EXIT } from './common';

interface DevicesOptions {
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('devices')
    .summary('list the capture devices with their flags and addresses')
    .description(
      'Lists every device libpcap can capture on (pcap_findalldevs): name, flags (up, running, ' +
        'loopback, wireless), IPv4 and IPv6 addresses with their prefix lengths, and description. ' +
        'Some devices may still need root or cap_net_raw to open.',
    )
    .option('--json', 'print the device list as a JSON array')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ pcapkit devices\n' +
        "  $ pcapkit devices --json | jq -r '.[] | select(.up) | .name'",
    )
    .action((options: DevicesOptions) => {
      const devices = listDevices();
      process.stdout.write(options.json ? `${JSON.stringify(devices, null, 2)}\n` : table(devices));
      process.exitCode = EXIT.OK;
    });
}

/** `up,running,loopback`, or `-` when no flag is set. */
export function flagsText(d: Device): string {
  const flags = [d.up && 'up', d.running && 'running', d.loopback && 'loopback', d.wireless && 'wireless'].filter(Boolean);
  return flags.length > 0 ? flags.join(',') : '-';
}

/** Number of leading one bits of a dotted IPv4 or colon IPv6 netmask; undefined if it is not one. */
export function prefixLength(netmask: string | null, family: DeviceAddress['family']): number | undefined {
  if (!netmask) return undefined;
  let bytes: number[];
  if (family === 'IPv4') {
    bytes = netmask.split('.').map(Number);
    if (bytes.length !== 4) return undefined;
  } else {
    const [head, tail, ...more] = netmask.split('::');
    if (more.length > 0) return undefined;
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
    if (groups.length !== 8) return undefined;
    bytes = groups.flatMap((g) => {
      const v = parseInt(g, 16);
      return [v >> 8, v & 0xff];
    });
  }
  let bits = 0;
  let ended = false;
  for (const byte of bytes) {
    if (!Number.isInteger(byte) || byte < 0 || byte > 255) return undefined;
    for (let bit = 7; bit >= 0; bit--) {
      const one = (byte >> bit) & 1;
      if (one && ended) return undefined; // not contiguous: not a prefix
      if (one) bits++;
      else ended = true;
    }
  }
  return bits;
}

/** `127.0.0.1/8`, `::1/128`, or the bare address when the netmask is unknown. */
export function addressText(a: DeviceAddress): string {
  const bits = prefixLength(a.netmask, a.family);
  return bits === undefined ? a.addr : `${a.addr}/${bits}`;
}

/**
 * One row per device, with further addresses on the lines below:
 *
 *   NAME  FLAGS                ADDRESSES      DESCRIPTION
 *   lo    up,running,loopback  127.0.0.1/8
 *                              ::1/128
 */
export function table(devices: readonly Device[]): string {
  const rows: string[][] = [['NAME', 'FLAGS', 'ADDRESSES', 'DESCRIPTION']];
  for (const d of devices) {
    const addrs = d.addresses.map(addressText);
    rows.push([d.name, flagsText(d), addrs[0] ?? '-', d.description ?? '']);
    for (const a of addrs.slice(1)) rows.push(['', '', a, '']);
  }
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c].length)));
  const lines = rows.map((r) =>
    r
      .map((cell, c) => (c < 3 ? cell.padEnd(widths[c]) : cell))
      .join('  ')
      .trimEnd(),
  );
  return `${lines.join('\n')}\n`;
}
