// listDevices() against what `ip` reports for the same machine.
import { test, skipFor } from './support/skips.mjs';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { listDevices, DEFAULT_DEVICE } from '../dist/esm/index.mjs';

function ipAddresses() {
  try {
    return JSON.parse(execFileSync('ip', ['-j', 'addr', 'show'], { encoding: 'utf8' }));
  } catch {
    return null;
  }
}

test('loopback and the any pseudo-device are listed with the right flags', () => {
  const devs = listDevices();
  const lo = devs.find((d) => d.name === 'lo');
  assert.ok(lo, 'lo is listed');
  assert.equal(lo.loopback, true);
  assert.equal(lo.up, true);
  const v4 = lo.addresses.find((a) => a.family === 'IPv4');
  assert.equal(v4?.addr, '127.0.0.1');
  assert.equal(v4?.netmask, '255.0.0.0');
  assert.ok(devs.some((d) => d.name === DEFAULT_DEVICE), "'any' is listed");
  for (const d of devs) if (d.name !== 'lo') assert.equal(d.loopback, false, d.name);
});

test('addresses match `ip -j addr show`', (t) => {
  const ip = ipAddresses();
  if (skipFor(t, !ip && 'ip is not installed (apt-get install iproute2; scripts/setup.sh --with-tools installs it)')) return;
  const byName = new Map(listDevices().map((d) => [d.name, d]));
  for (const itf of ip) {
    const dev = byName.get(itf.ifname);
    if (!dev) continue; // libpcap leaves out devices it cannot open
    const want = itf.addr_info.map((a) => a.local).sort();
    const got = dev.addresses.map((a) => a.addr).sort();
    assert.deepEqual(got, want, itf.ifname);
    assert.equal(dev.up, itf.flags.includes('UP'), `${itf.ifname} up flag`);
  }
});
