// fieldedge-pcap's workflow: capture for N seconds in the background to a file with the default
// name, then analyse it: the conversation summary as JSON, and bytes per application over time.
//
//   node dist/examples/timed-capture.js [-i IFACE] [-d SECONDS] [-f FILTER...] [--dir DIR] [--bucket S]
//
//   node dist/examples/timed-capture.js -i eth0 -d 60 -f not port 22
//   capturing on eth0 for 60 s to capture_20261123T103127_60_eth0.pcap ...
//   captured 5312 packets in 60.0 s to capture_20261123T103127_60_eth0.pcap
//   {
//     "file": "capture_20261123T103127_60_eth0.pcap",
//     "packets": 5312,
//     ...
//     "conversations": { "hostPairs": [...], "flows": [...], "overflow": {...} }
//   }
//   data series: bytes per 5 s
//   time                      TLS     DNS  MQTT
//   2026-11-23T10:31:27.104Z  48213   312  1022
//   ...
//
// IFACE defaults to 'any', SECONDS to 10, DIR to the current directory; the file is named
// capture_YYYYmmddTHHMMSS_<seconds>_<iface>.pcap (local time) as fieldedge-pcap names it.
// --bucket sets the data series' bucket width in seconds (default: a round width, <= 120 buckets).
import * as path from 'node:path';
import { analyze, capture, defaultCaptureName } from 'pcapkit';

function parseArgs(argv: string[]) {
  const usage = 'usage: timed-capture [-i IFACE] [-d SECONDS] [-f FILTER...] [--dir DIR] [--bucket S]';
  const o = { device: 'any', duration: 10, directory: '.', filter: undefined as string | undefined, bucket: undefined as number | undefined };
  const filter: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-i') o.device = argv[++i];
    else if (a === '-d') o.duration = Number(argv[++i]);
    else if (a === '--dir') o.directory = argv[++i];
    else if (a === '--bucket') o.bucket = Number(argv[++i]);
    else if (a === '-f') while (i + 1 < argv.length && !argv[i + 1].startsWith('-')) filter.push(argv[++i]);
    else throw new Error(`unexpected argument '${a}'\n${usage}`);
  }
  if (!(o.duration > 0) || (o.bucket !== undefined && !(o.bucket > 0))) throw new Error(usage);
  if (filter.length) o.filter = filter.join(' ');
  return o;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort()); // Ctrl-C ends the capture early; the file is kept

  // The default name (what capture() picks without `file`), made here so that it is known even
  // when Ctrl-C cuts the capture short.
  const file = path.join(args.directory, defaultCaptureName(args.device, args.duration));
  // The capture runs in the background (a C++ thread writes the file); the event loop stays free.
  const running = capture({ device: args.device, duration: args.duration, filter: args.filter, file, signal: stop.signal });
  console.error(`capturing on ${args.device} for ${args.duration} s to ${file} ...`);
  const ticker = setInterval(() => process.stderr.write('.'), 1000);
  try {
    const r = await running;
    console.log(`captured ${r.packets} packets in ${r.elapsed.toFixed(1)} s to ${r.path}`);
  } catch (err) {
    if (!stop.signal.aborted) throw err;
    console.log(`capture stopped early; analysing what is in ${file}`);
  } finally {
    clearInterval(ticker);
    process.stderr.write('\n');
  }

  const result = await analyze(file);
  // The conversation summary: per host pair (with applications and how often they repeat) and
  // per 5-tuple (with TCP retransmissions and out-of-order segments).
  const summary = {
    file,
    packets: result.packets,
    bytes: result.bytes,
    firstTime: result.firstTime,
    lastTime: result.lastTime,
    duration: result.duration,
    applications: result.applications.map((a) => ({ application: a.application, packets: a.packets, bytes: a.bytes, conversations: a.conversations })),
    conversations: result.conversations,
  };
  console.log(JSON.stringify(summary, null, 2));

  // The application data series: bytes per application per time bucket.
  const ds = result.dataSeries(args.bucket !== undefined ? { bucket: args.bucket } : {});
  console.log(`data series: bytes per ${ds.bucket} s`);
  const names = ds.series.map((s) => s.application);
  const width = names.map((n, j) => Math.max(n.length, ...ds.series[j].bytes.map((b) => String(b).length)));
  console.log(['time'.padEnd(24), ...names.map((n, j) => n.padStart(width[j]))].join('  '));
  ds.times.forEach((t, i) => {
    const cells = ds.series.map((s, j) => String(s.bytes[i]).padStart(width[j]));
    console.log([new Date(t * 1000).toISOString(), ...cells].join('  '));
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
