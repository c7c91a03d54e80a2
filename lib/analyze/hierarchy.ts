// Protocol hierarchy: packets and bytes per layer path ('eth/ipv4/tcp'), like tshark's
// `-z io,phs`. A trie over the Decoder's layer types: counting a packet walks its layers and
// allocates only when a path is seen for the first time.
import { LAYER_PATH_NAMES, LAYER_TYPE_COUNT } from '../vocab/layers';

export { LAYER_PATH_NAMES };

/**
 * One row of the protocol hierarchy. Rows come depth first (a parent before its children,
 * children by packets, most first), so `depth` is enough to draw the tree.
 */
export interface HierarchyEntry {
  /** Layer names from the outermost, joined with '/': 'eth/ipv4/tcp'. */
  path: string;
  /** The last layer's name: 'tcp'. */
  name: string;
  /** 0 for the link layer. */
  depth: number;
  /** Packets that have this path as a prefix of their layers. */
  packets: number;
  /** Their bytes on the wire. */
  bytes: number;
  /** Packets whose layers end here (no layer above was decoded). */
  endPackets: number;
}

class Node {
  packets = 0;
  bytes = 0;
  endPackets = 0;
  children: Array<Node | undefined> | undefined;
}

export class HierarchyCounter {
  private readonly root = new Node();

  /** Counts a packet whose decoded layers are the first `count` entries of `types`. */
  add(types: Uint8Array, count: number, bytes: number): void {
    let node = this.root;
    node.packets++;
    node.bytes += bytes;
    for (let i = 0; i < count; i++) {
      const t = types[i];
      let kids = node.children;
      if (kids === undefined) kids = node.children = new Array<Node | undefined>(LAYER_TYPE_COUNT);
      let next = kids[t];
      if (next === undefined) next = kids[t] = new Node();
      next.packets++;
      next.bytes += bytes;
      node = next;
    }
    node.endPackets++;
  }

  /** The rows, depth first. Packets with no layer at all (empty) are not listed. */
  entries(): HierarchyEntry[] {
    const out: HierarchyEntry[] = [];
    const walk = (node: Node, prefix: string, depth: number) => {
      if (!node.children) return;
      const kids: Array<[number, Node]> = [];
      node.children.forEach((n, t) => {
        if (n) kids.push([t, n]);
      });
      kids.sort((a, b) => b[1].packets - a[1].packets || a[0] - b[0]);
      for (const [t, n] of kids) {
        const name = LAYER_PATH_NAMES[t] ?? `layer${t}`;
        const path = prefix ? `${prefix}/${name}` : name;
        out.push({ path, name, depth, packets: n.packets, bytes: n.bytes, endPackets: n.endPackets });
        walk(n, path, depth + 1);
      }
    };
    walk(this.root, '', 0);
    return out;
  }
}
