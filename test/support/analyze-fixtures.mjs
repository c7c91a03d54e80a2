// Captures for the analysis tests, made with pcapkit's own builders and writer: a designed
// TCP exchange with known retransmissions (RTO, fast, spurious, a retransmitted SYN), an
// out-of-order segment, a keep-alive and a port reuse, plus DNS every 2 s, NTP, ICMP, an IPv6
// TLS connection, ARP and a VLAN-tagged packet. `expected` says what went in.
import { arp, build, dnsQuery, dot1q, ether, icmp, ipv4, ipv6, payload, tcp, udp, PCAPWriter } from '../../dist/esm/index.mjs';

export const T0 = 1_700_000_000; // seconds since the epoch of the first packet

const MAC_C = '02:00:00:00:00:01';
const MAC_S = '02:00:00:00:00:02';
const C = '10.0.0.1';
const S = '10.0.0.2';

/** Frames in time order: [{ t (seconds from T0), frame }]. */
export function trafficFrames() {
  const frames = [];
  const at = (t, frame) => frames.push({ t, frame });
  const cs = (o) => build(ether({ src: MAC_C, dst: MAC_S }), ipv4({ src: C, dst: S }), tcp({ sport: 40000, dport: 80, window: 64000, ...o.tcp }), o.len ? payload(Buffer.alloc(o.len, 0x61)) : []);
  const sc = (o) => build(ether({ src: MAC_S, dst: MAC_C }), ipv4({ src: S, dst: C }), tcp({ sport: 80, dport: 40000, window: 64000, ...o.tcp }), o.len ? payload(Buffer.alloc(o.len, 0x62)) : []);

  // ---- TCP stream 0: 10.0.0.1:40000 -> 10.0.0.2:80 ----------------------------------------
  at(0.0, cs({ tcp: { seq: 1000, flags: 'S', options: { mss: 1460 } } }));
  at(0.01, sc({ tcp: { seq: 5000, ack: 1001, flags: 'SA', options: { mss: 1460 } } }));
  at(0.02, cs({ tcp: { seq: 1001, ack: 5001, flags: 'A' } })); // first RTT: 20 ms
  at(0.03, cs({ tcp: { seq: 1001, ack: 5001, flags: 'PA' }, len: 100 }));
  at(0.04, sc({ tcp: { seq: 5001, ack: 1101, flags: 'A' } }));
  at(0.05, cs({ tcp: { seq: 1101, ack: 5001, flags: 'A' }, len: 1000 })); // lost on the way
  at(0.051, cs({ tcp: { seq: 2101, ack: 5001, flags: 'A' }, len: 1000 }));
  at(0.06, sc({ tcp: { seq: 5001, ack: 1101, flags: 'A' } })); // duplicate ACKs
  at(0.061, sc({ tcp: { seq: 5001, ack: 1101, flags: 'A' } }));
  at(0.062, sc({ tcp: { seq: 5001, ack: 1101, flags: 'A' } }));
  at(0.065, cs({ tcp: { seq: 1101, ack: 5001, flags: 'A' }, len: 1000 })); // FAST RETRANSMISSION
  at(0.07, sc({ tcp: { seq: 5001, ack: 3101, flags: 'A' } }));
  at(0.08, cs({ tcp: { seq: 3101, ack: 5001, flags: 'PA' }, len: 1000 }));
  at(0.4, cs({ tcp: { seq: 3101, ack: 5001, flags: 'PA' }, len: 1000 })); // RETRANSMISSION (timeout)
  at(0.41, sc({ tcp: { seq: 5001, ack: 4101, flags: 'A' } }));
  at(0.42, cs({ tcp: { seq: 5101, ack: 5001, flags: 'A' }, len: 1000 })); // previous segment not captured
  at(0.425, cs({ tcp: { seq: 4101, ack: 5001, flags: 'A' }, len: 1000 })); // OUT-OF-ORDER
  at(0.43, sc({ tcp: { seq: 5001, ack: 6101, flags: 'A' } }));
  at(0.7, cs({ tcp: { seq: 5101, ack: 5001, flags: 'A' }, len: 1000 })); // SPURIOUS retransmission
  at(0.71, sc({ tcp: { seq: 5001, ack: 6101, flags: 'A', window: 63000 } })); // window update
  at(5.0, cs({ tcp: { seq: 6100, ack: 5001, flags: 'A' } })); // keep-alive
  at(5.01, sc({ tcp: { seq: 5001, ack: 6101, flags: 'A', window: 63000 } }));
  at(6.0, cs({ tcp: { seq: 6101, ack: 5001, flags: 'FA' } }));
  at(6.01, sc({ tcp: { seq: 5001, ack: 6102, flags: 'FA', window: 63000 } }));
  at(6.02, cs({ tcp: { seq: 6102, ack: 5002, flags: 'A' } }));

  // ---- TCP stream 1: the same ports again, new ISN (port reuse); its SYN is retransmitted --
  at(10.0, cs({ tcp: { seq: 90000, flags: 'S' } }));
  at(11.0, cs({ tcp: { seq: 90000, flags: 'S' } })); // RETRANSMISSION (SYN)
  at(11.01, sc({ tcp: { seq: 70000, ack: 90001, flags: 'SA' } }));
  at(11.02, cs({ tcp: { seq: 90001, ack: 70001, flags: 'A' } }));
  at(11.03, cs({ tcp: { seq: 90001, ack: 70001, flags: 'PA' }, len: 200 }));
  at(11.04, sc({ tcp: { seq: 70001, ack: 90201, flags: 'PA' }, len: 300 }));
  at(11.05, cs({ tcp: { seq: 90201, ack: 70301, flags: 'RA' } }));

  // ---- DNS every 2 s from a new source port (5 conversations), answered 5 ms later --------
  for (let i = 0; i < 5; i++) {
    const t = 0.5 + 2 * i;
    const sport = 50000 + i;
    at(t, build(ether({ src: MAC_C, dst: MAC_S }), ipv4({ src: C, dst: '10.0.0.53' }), udp({ sport, dport: 53 }), dnsQuery({ id: i + 1, name: `host${i}.example.com` })));
    at(t + 0.005, build(ether({ src: MAC_S, dst: MAC_C }), ipv4({ src: '10.0.0.53', dst: C }), udp({ sport: 53, dport: sport }), dnsQuery({ id: i + 1, name: `host${i}.example.com`, flags: 0x8180 })));
  }
  // ---- NTP every 4 s on one flow ------------------------------------------------------------
  for (const t of [1, 5, 9]) {
    at(t, build(ether({ src: MAC_C, dst: MAC_S }), ipv4({ src: C, dst: '10.0.0.123' }), udp({ sport: 123, dport: 123 }), payload(Buffer.alloc(48, 0x23))));
  }
  // ---- ICMP echo ----------------------------------------------------------------------------
  at(3.0, build(ether({ src: MAC_C, dst: MAC_S }), ipv4({ src: C, dst: '8.8.8.8' }), icmp({ type: 'echo-request', id: 7, seq: 1 }), payload(Buffer.alloc(56))));
  at(3.02, build(ether({ src: MAC_S, dst: MAC_C }), ipv4({ src: '8.8.8.8', dst: C }), icmp({ type: 'echo-reply', id: 7, seq: 1 }), payload(Buffer.alloc(56))));
  // ---- IPv6 TLS -----------------------------------------------------------------------------
  const c6 = (o) => build(ether({ src: MAC_C, dst: MAC_S }), ipv6({ src: '2001:db8::1', dst: '2001:db8::443' }), tcp({ sport: 41000, dport: 443, window: 5000, ...o.tcp }), o.len ? payload(Buffer.alloc(o.len, 0x16)) : []);
  const s6 = (o) => build(ether({ src: MAC_S, dst: MAC_C }), ipv6({ src: '2001:db8::443', dst: '2001:db8::1' }), tcp({ sport: 443, dport: 41000, window: 5000, ...o.tcp }), o.len ? payload(Buffer.alloc(o.len, 0x17)) : []);
  at(2.0, c6({ tcp: { seq: 1, flags: 'S' } }));
  at(2.03, s6({ tcp: { seq: 100, ack: 2, flags: 'SA' } }));
  at(2.06, c6({ tcp: { seq: 2, ack: 101, flags: 'A' } }));
  at(2.07, c6({ tcp: { seq: 2, ack: 101, flags: 'PA' }, len: 517 }));
  at(2.1, s6({ tcp: { seq: 101, ack: 519, flags: 'PA' }, len: 1400 }));
  at(2.13, c6({ tcp: { seq: 519, ack: 1501, flags: 'A' } }));
  // ---- ARP and a VLAN-tagged UDP packet (syslog) ------------------------------------------------
  at(0.2, build(ether({ src: MAC_C, dst: 'ff:ff:ff:ff:ff:ff' }), arp({ senderHw: MAC_C, senderProto: C, targetProto: S })));
  at(0.21, build(ether({ src: MAC_S, dst: MAC_C }), arp({ opcode: 'reply', senderHw: MAC_S, senderProto: S, targetHw: MAC_C, targetProto: C })));
  at(7.0, build(ether({ src: MAC_C, dst: MAC_S }), dot1q({ vlanId: 10 }), ipv4({ src: C, dst: '10.0.0.99' }), udp({ sport: 514, dport: 514 }), payload('<13>test')));

  frames.sort((a, b) => a.t - b.t);
  return frames;
}

/** What the capture holds, by construction. */
export const expected = {
  tcpStreams: [
    { retransmissions: 3, fastRetransmissions: 1, spuriousRetransmissions: 1, outOfOrder: 1, lostSegments: 1, keepAlives: 1, duplicateAcks: 3 },
    { retransmissions: 1, fastRetransmissions: 0, spuriousRetransmissions: 0, outOfOrder: 0, lostSegments: 0, keepAlives: 0, duplicateAcks: 0 },
  ],
  retransmissions: 4,
  outOfOrder: 1,
  topHostPair: ['10.0.0.1', '10.0.0.2'],
  dnsConversations: 5,
  dnsInterval: 2,
};

/** Writes the capture (microsecond timestamps from T0); returns the frames written. */
export async function writeTrafficCapture(path, { precision = 'micro', frames = trafficFrames() } = {}) {
  const w = new PCAPWriter(path, { linktype: 'EN10MB', precision });
  for (const { t, frame } of frames) {
    const us = Math.round(t * 1e6);
    w.write(frame, { tsSec: T0 + Math.floor(us / 1e6), tsNsec: (us % 1e6) * 1000 });
  }
  await w.close();
  return frames;
}
