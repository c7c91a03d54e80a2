// Link-layer header types. Values are the DLT_* numbers libpcap reports (pcap_datalink()), in
// vocab/linktypes (no addon needed); names come from libpcap itself so they match tcpdump's
// "link-type EN10MB".
import { native } from './binding';
import { LINKTYPE } from './vocab/linktypes';
import { PcapError } from './errors';

export { LINKTYPE };

/** libpcap's name for a link type (`EN10MB`, `LINUX_SLL`, ...), or `DLT_<n>` when it has none. */
export function linktypeName(linktype: number): string {
  return native.linktypeName(linktype) ?? `DLT_${linktype}`;
}

/** A one-line description (`Ethernet`, `Linux cooked v1`, ...). */
export function linktypeDescription(linktype: number): string {
  return native.linktypeDescription(linktype) ?? `link type ${linktype}`;
}

/** Accepts a number or a name such as `'EN10MB'` or `'LINUX_SLL2'`. */
export function resolveLinktype(linktype: number | string): number {
  if (typeof linktype === 'number') {
    if (!Number.isInteger(linktype) || linktype < 0 || linktype > 0xffff) {
      throw new PcapError('EINVAL', `invalid link type ${linktype}`);
    }
    return linktype;
  }
  const v = native.linktypeFromName(linktype.replace(/^(DLT|LINKTYPE)_/i, ''));
  if (v === null) throw new PcapError('EINVAL', `unknown link type name '${linktype}'`);
  return v;
}
