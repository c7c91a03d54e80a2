// The layout of a batch's header table, shared with native/batch.h: HDR_STRIDE numbers per
// packet. A module of its own with no imports, so decoders and analysis load without the addon
// (binding.ts checks the addon agrees when it loads).
export const HDR_STRIDE = 8;
export const H_TS_SEC = 0;
export const H_TS_NSEC = 1;
export const H_CAPLEN = 2;
export const H_LEN = 3;
export const H_OFFSET = 4;
export const H_LINKTYPE = 5;
/** Index in the reader's `interfaces` (0 for pcap files and live captures). */
export const H_IFINDEX = 6;
/** pcapng epb_flags (direction in bits 0-1), 0 elsewhere. */
export const H_FLAGS = 7;
