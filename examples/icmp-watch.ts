// steelscript's live capture example: a PCAPSocket with a 100 ms timeout and an `icmp` filter,
// printing (ts, src_mac, dst_mac, src_ip, dst_ip, icmp type, icmp code) for 16 packets.
//
//   node dist/examples/icmp-watch.js [IFACE] [-c COUNT] [-w FILE]
//
//   node dist/examples/icmp-watch.js eth0
//   (1763890287.410352361, 52:54:00:12:34:56, 52:54:00:65:43:21, 10.0.2.15, 10.0.2.2, 8, 0)
//   (1763890287.410561020, 52:54:00:65:43:21, 52:54:00:12:34:56, 10.0.2.2, 10.0.2.15, 0, 0)
//   ...
//
// IFACE defaults to 'any' (Linux cooked capture: only the sender's MAC is known, the destination
// prints as '-'). -c changes the number of packets (16), -w also saves them to a pcap file.
import { Decoder, LayerType, PCAPSocket, PCAPWriter, type Packet } from 'pcapkit';

function timestamp(pkt: Packet, precision: 'micro' | 'nano'): string {
  const frac = precision === 'nano' ? String(pkt.tsNsec).padStart(9, '0') : String(Math.floor(pkt.tsNsec / 1000)).padStart(6, '0');
  return `${pkt.tsSec}.${frac}`;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let iface = 'any';
  let count = 16;
  let save: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '-c') count = Number(argv[++i]);
    else if (argv[i] === '-w') save = argv[++i];
    else if (!argv[i].startsWith('-')) iface = argv[i];
    else throw new Error('usage: icmp-watch [IFACE] [-c COUNT] [-w FILE]');
  }
  if (!(Number.isInteger(count) && count > 0)) throw new Error('COUNT must be a positive integer');

  // timeout: a quiet link still hands over what it has every 100 ms.
  const sock = new PCAPSocket(iface, { timeout: 100, filter: 'icmp' });
  console.error(`listening on ${sock.device}, link-type ${sock.linktypeName}`);
  const writer = save ? new PCAPWriter(save, { linktype: sock.linktype, precision: sock.precision }) : undefined;
  process.once('SIGINT', () => void sock.close());

  const d = new Decoder(); // one decoder, reused for every packet
  let seen = 0;
  for await (const pkt of sock) {
    d.decodePacket(pkt);
    if (!d.has(LayerType.IPv4) || !d.has(LayerType.ICMPv4)) continue;
    const { ipv4, icmpv4 } = d;
    let srcMac = '-';
    let dstMac = '-';
    if (d.has(LayerType.Ethernet)) {
      srcMac = d.ethernet.src;
      dstMac = d.ethernet.dst;
    } else if (d.has(LayerType.LinuxSLL)) {
      srcMac = d.sll.src;
    }
    console.log(`(${timestamp(pkt, sock.precision)}, ${srcMac}, ${dstMac}, ${ipv4.src}, ${ipv4.dst}, ${icmpv4.icmpType}, ${icmpv4.code})`);
    writer?.write(pkt);
    if (++seen === count) break; // ends the loop and closes the capture
  }
  await writer?.close();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
