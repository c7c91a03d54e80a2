// The builder contract and build(): layers are encoded from the top of the stack down, so that
// every layer knows its payload (for lengths and checksums) and the layer above it (to infer
// an EtherType or IP protocol number).
import { PcapError } from '../errors';

/** Where a layer sits in the stack being built. */
export interface BuildContext {
  /** Every layer of the stack, outermost first. */
  readonly layers: readonly BuildLayer[];
  /** This layer's position in `layers`. */
  readonly index: number;
}

/** One layer made by a builder function (ether(), ipv4(), tcp(), ...). */
export interface BuildLayer {
  /** 'ether', 'dot1q', 'arp', 'ipv4', 'ipv6', 'tcp', 'udp', 'icmp', 'icmpv6', 'dns', 'payload'. */
  readonly kind: string;
  /** The EtherType that announces this layer inside Ethernet or an 802.1Q tag, if any. */
  readonly etherType?: number;
  /** The IP protocol number that announces this layer inside IPv4/IPv6, if any. */
  readonly ipProtocol?: number;
  /** The port an upper layer suggests to UDP/TCP when the port is not given (DNS: 53). */
  readonly wellKnownPort?: number;
  /** Header (and trailer) bytes around `payload`, the already encoded layers above. */
  encode(payload: Buffer, ctx: BuildContext): Buffer;
}

/** A network layer that can give the pseudo-header for transport checksums. */
export interface PseudoHeaderSource extends BuildLayer {
  pseudoHeader(protocol: number, length: number): Buffer;
}

/** What build() accepts: layers, raw bytes or text (as a payload), and arrays of those. */
export type BuildPart = BuildLayer | Buffer | Uint8Array | string | readonly BuildPart[];

/**
 * Assembles a packet from layers, outermost first, scapy style:
 *
 *     build(ether({ src, dst }), ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }),
 *           tcp({ sport: 1234, dport: 443, flags: 'S', options: { mss: 1460 } }), payload(buf))
 *
 * Lengths, checksums, EtherTypes and protocol numbers that are not given are computed; values
 * given explicitly (even wrong ones) are written as given. Buffers and strings in the list are
 * payloads.
 */
export function build(...parts: BuildPart[]): Buffer {
  const layers: BuildLayer[] = [];
  flatten(parts, layers);
  let bytes: Buffer = Buffer.alloc(0);
  for (let i = layers.length - 1; i >= 0; i--) bytes = layers[i].encode(bytes, { layers, index: i });
  return bytes;
}

function flatten(parts: readonly BuildPart[], out: BuildLayer[]): void {
  for (const p of parts) {
    if (Array.isArray(p)) flatten(p, out);
    else if (typeof p === 'string' || p instanceof Uint8Array) out.push(rawLayer(p));
    else if (p && typeof (p as BuildLayer).encode === 'function') out.push(p as BuildLayer);
    else throw new PcapError('EINVAL', `build(): not a layer: ${String(p)}`);
  }
}

function rawLayer(data: string | Uint8Array): BuildLayer {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return { kind: 'payload', encode: (rest) => (rest.length === 0 ? Buffer.from(bytes) : Buffer.concat([bytes, rest])) };
}

/** Application bytes (or UTF-8 text) carried by the layer below. */
export function payload(data: string | Uint8Array): BuildLayer {
  return rawLayer(data);
}

/** The layer above `ctx.index`, if any. */
export function above(ctx: BuildContext): BuildLayer | undefined {
  return ctx.layers[ctx.index + 1];
}

/** The layer below `ctx.index`, if any. */
export function below(ctx: BuildContext): BuildLayer | undefined {
  return ctx.index > 0 ? ctx.layers[ctx.index - 1] : undefined;
}

/** The nearest IPv4/IPv6 layer under `ctx.index` (for pseudo-header checksums). */
export function networkBelow(ctx: BuildContext): PseudoHeaderSource | undefined {
  for (let i = ctx.index - 1; i >= 0; i--) {
    const l = ctx.layers[i];
    if (l.kind === 'ipv4' || l.kind === 'ipv6') return l as PseudoHeaderSource;
  }
  return undefined;
}
