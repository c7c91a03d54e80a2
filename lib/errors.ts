/**
 * The one error type pcapkit throws for capture, file and filter problems.
 *
 * `code` is stable and meant for programs; `message` carries libpcap's own words.
 */
export type PcapErrorCode =
  | 'ENOENT' // file or directory does not exist
  | 'EPERM' // no permission (file mode, or capture privileges)
  | 'EFORMAT' // not a capture file, or a corrupt / unsupported one
  | 'ETRUNCATED' // the file ends in the middle of a header or packet
  | 'EFILTER' // the BPF expression does not compile
  | 'ECLOSED' // the handle was closed
  | 'EINVAL' // a bad argument
  | 'ENODEV' // no such capture device
  | 'ENOTSUP' // the platform or device cannot do what was asked
  | 'ENETDOWN' // the interface is down or went away
  | 'EMSGSIZE' // a frame larger than the interface MTU
  | 'ENOSPC' // disk full / quota exceeded while writing
  | 'ENOMEM' // out of memory (or a file asking for more than the reader's bounds allow)
  | 'EIO' // another I/O error
  | 'EPCAP'; // another libpcap error

export interface PcapErrorDetails {
  /** libpcap's numeric status, when the error came from a pcap_* call. */
  status?: number;
  /** How many packets were read before the error (reads that stop part-way). */
  packetsRead?: number;
  /** Byte offset in the file where reading stopped, when known. */
  offset?: number;
  cause?: unknown;
}

/**
 * What pcapkit throws for capture, file and filter problems: a stable `code` (`ENOENT`, `EPERM`,
 * `EFORMAT`, `ETRUNCATED`, `EFILTER`, `ECLOSED`, `EINVAL`, ...) and libpcap's own message. On
 * damaged files `packetsRead` and `offset` say where reading stopped.
 */
export class PcapError extends Error {
  readonly code: PcapErrorCode;
  declare readonly status?: number;
  declare packetsRead?: number;
  declare offset?: number;

  constructor(code: PcapErrorCode, message: string, details: PcapErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'PcapError';
    this.code = code;
    if (details.status !== undefined) this.status = details.status;
    if (details.packetsRead !== undefined) this.packetsRead = details.packetsRead;
    if (details.offset !== undefined) this.offset = details.offset;
  }
}

/** True when `err` is a PcapError (optionally with the given code). */
export function isPcapError(err: unknown, code?: PcapErrorCode): err is PcapError {
  return err instanceof PcapError && (code === undefined || err.code === code);
}
