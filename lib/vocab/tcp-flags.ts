// TCP header flag bits (NS is bit 8, from the data offset byte) and scapy's letters for them.
// No imports, no side effects.
export const TCP_FLAGS = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80, NS: 0x100 } as const;

/** scapy's flag letters, bit 0 (FIN) first: 'SA' is SYN+ACK. */
export const TCP_FLAG_LETTERS = 'FSRPAUECN';
