// The script a maintainer hands a user who reports a network problem: it runs the user's code
// while capturing, keeps going when that code fails (that failure is what we want to see),
// packs the capture and the TLS keys into one private .tar.gz, prints where it is, and deletes
// the raw capture.
//
//   node dist/examples/maintainer-template.js [URL] [-i DEVICE] [-f FILTER...] [-o BUNDLE]
//
//   node dist/examples/maintainer-template.js https://api.example.internal/health
//   your code failed (this is captured too): fetch failed
//   capture bundle: /home/me/pcapkit-bundle-20261123T103127.tar.gz (23 packets, 1 TLS connection(s) decryptable)
//   send it privately to the maintainer: it holds secrets (cookies, tokens, decrypted traffic)
//
// Replace userCode() with the code that misbehaves. DEVICE defaults to 'any'; capturing needs
// root or `sudo setcap cap_net_raw,cap_net_admin+eip $(readlink -f $(which node))`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { capturePackets } from 'pcapkit';

/** ---- the user's code goes here ---- */
async function userCode(url: string): Promise<string> {
  const res = await fetch(url);
  const body = await res.text();
  return `${res.status} ${res.statusText}, ${body.length} bytes`;
}

function stamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}T${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let url = 'https://example.com/';
  let device = 'any';
  let bundle = path.resolve(`pcapkit-bundle-${stamp()}.tar.gz`);
  const filter: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-i') device = argv[++i];
    else if (a === '-o') bundle = path.resolve(argv[++i]);
    else if (a === '-f') while (i + 1 < argv.length && !argv[i + 1].startsWith('-')) filter.push(argv[++i]);
    else if (!a.startsWith('-')) url = a;
    else throw new Error('usage: maintainer-template [URL] [-i DEVICE] [-f FILTER...] [-o BUNDLE]');
  }

  const cap = await capturePackets(() => userCode(url), {
    device,
    filter: filter.length ? filter.join(' ') : 'not port 22', // leave the user's SSH session out
    suppressErrors: true, // keep the capture when the code throws: that is the interesting case
  });
  if (cap.error !== undefined) {
    const e = cap.error as Error & { cause?: Error };
    console.log(`your code failed (this is captured too): ${e.message}${e.cause?.message ? ` (${e.cause.message})` : ''}`);
  } else {
    console.log(`your code finished: ${cap.result}`);
  }

  try {
    // capture.pcap + keylog.txt + README.txt, created 0600, outside the capture's private dir.
    await cap.tarball(bundle);
    const keys = fs.readFileSync(cap.keylogPath, 'utf8').split('\n').filter((l) => l.startsWith('CLIENT_RANDOM') || l.startsWith('CLIENT_TRAFFIC_SECRET_0')).length;
    console.log(`capture bundle: ${bundle} (${cap.packetCount} packets, ${keys} TLS connection(s) decryptable)`);
    console.log('send it privately to the maintainer: it holds secrets (cookies, tokens, decrypted traffic)');
  } finally {
    await cap.delete(); // the raw capture and key log; only the bundle is left
    console.log(`deleted the raw capture in ${cap.dir}`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
