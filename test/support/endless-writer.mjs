// A process that writes packetFor(0), packetFor(1), ... to a pcap file with PCAPWriter until it
// is killed (test/faults.test.mjs kills it with SIGKILL part-way). Bounded all the same: it
// stops after MAX_PACKETS packets or MAX_MS, so a test that fails to kill it leaves nothing
// running. Usage: node endless-writer.mjs OUT.pcap
import { PCAPWriter } from '../../dist/esm/index.mjs';
import { packetFor } from './fault-packets.mjs';

const MAX_PACKETS = 2_000_000;
const MAX_MS = 15_000;

const out = process.argv[2];
if (!out) throw new Error('usage: endless-writer.mjs OUT.pcap');
const w = new PCAPWriter(out); // nanosecond precision, as the test expects
const deadline = Date.now() + MAX_MS;
for (let i = 0; i < MAX_PACKETS && Date.now() < deadline; i++) {
  const p = packetFor(i);
  w.write(p.frame, { tsSec: p.tsSec, tsNsec: p.tsNsec });
}
await w.close();
