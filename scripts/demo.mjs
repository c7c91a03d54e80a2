// The quick-start job: make a sample capture, cut it down to HTTPS with the native filter,
// read the result back, and check it. Run with `npm run demo` (which sets up first).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PCAPReader, checkFile, filterFile, libpcapVersion } from '../dist/esm/index.mjs';
import { writeSampleCapture } from './sample.mjs';

const dir = mkdtempSync(join(tmpdir(), 'pcapkit-demo-'));
try {
  const input = await writeSampleCapture(join(dir, 'sample.pcap'), 200_000);
  const output = join(dir, 'https.pcap');
  console.log(`pcapkit demo (${libpcapVersion()})`);
  console.log(`sample: ${input} (${(statSync(input).size / 1e6).toFixed(1)} MB, 200,000 packets)`);

  const t0 = performance.now();
  const r = await filterFile(input, output, 'tcp port 443');
  const ms = performance.now() - t0;
  console.log(`filterFile 'tcp port 443': ${r.packetsRead} read, ${r.packetsWritten} written in ${ms.toFixed(0)} ms`);

  let shown = 0;
  for await (const pkt of new PCAPReader(output)) {
    console.log(`  ${new Date(pkt.timestamp * 1000).toISOString()}  ${pkt.caplen} bytes  ${pkt.data.subarray(0, 16).toString('hex')}...`);
    if (++shown === 3) break;
  }
  const report = await checkFile(output);
  console.log(`check: ${report.status}, ${report.packets} packets, mode ${(statSync(output).mode & 0o777).toString(8)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
