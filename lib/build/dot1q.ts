// IEEE 802.1Q VLAN tag (or an 802.1ad service tag with tpid 0x88a8).
import { above, type BuildLayer } from './layer';
import { uint } from './util';
import { ETHERTYPE, ETHERTYPE_DEFAULT } from '../vocab/ethertypes';

export interface Dot1QOptions {
  /** VLAN identifier, 0-4095 (default 1). */
  vlanId?: number;
  /** Priority code point, 0-7 (default 0). */
  priority?: number;
  /** Drop eligible indicator (default false). */
  dropEligible?: boolean;
  /** EtherType of what follows the tag; default: the layer above's. */
  etherType?: number;
  /** The TPID the layer below announces this tag with: 0x8100 (default), 0x88a8 for 802.1ad. */
  tpid?: number;
}

export function dot1q(options: Dot1QOptions = {}): BuildLayer {
  const vlan = uint(options.vlanId ?? 1, 12, 'VLAN id');
  const prio = uint(options.priority ?? 0, 3, 'VLAN priority');
  const tpid = uint(options.tpid ?? ETHERTYPE.Dot1Q, 16, 'TPID');
  if (options.etherType !== undefined) uint(options.etherType, 16, 'EtherType');
  return {
    kind: 'dot1q',
    etherType: tpid,
    encode(payload, ctx) {
      const h = Buffer.alloc(4);
      h.writeUInt16BE((prio << 13) | (options.dropEligible ? 0x1000 : 0) | vlan, 0);
      h.writeUInt16BE(options.etherType ?? above(ctx)?.etherType ?? ETHERTYPE_DEFAULT, 2);
      return Buffer.concat([h, payload]);
    },
  };
}
