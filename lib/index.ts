// pcapkit: packet capture for Node.js over libpcap.
export { PcapError, isPcapError, type PcapErrorCode, type PcapErrorDetails } from './errors';
export { Packet, PacketBatch, type Direction, type PacketInterface } from './packet';
export { PCAPReader, type ReaderOptions, type ReaderStats } from './reader';
export { PCAPWriter, type WriterOptions, type WriteInfo } from './writer';
export { RotatingWriter, strftime, type RotateOptions } from './rotating-writer';
export { filterFile, type FilterFileOptions, type FilterFileResult, type FilterProgress, type OutputFormat } from './filter-file';
export { mergeFiles, type MergeOptions, type MergeResult } from './merge';
export { splitFile, type SplitOptions, type SplitResult } from './split';
export { sliceFile, parseTime, type SliceOptions, type TimeSpec } from './slice';
export { filterFiles, type FilterJobSpec, type FilterFilesOptions, type FilterFilesOutcome } from './filter-files';
export { BpfFilter } from './bpf';
export { PCAPSocket, type SocketOptions, type CaptureStats } from './socket';
export { capture, defaultCaptureName, type CaptureOptions, type CaptureResult } from './capture';
export { capturePackets, CapturedPackets, BUNDLE_README, type CapturePacketsOptions } from './capture-packets';
export { startKeyLog, type KeyLog } from './keylog';
export { listDevices, DEFAULT_DEVICE, type Device, type DeviceAddress, type ConnectionStatus } from './devices';
export { LINKTYPE, linktypeName, linktypeDescription, resolveLinktype } from './linktype';
export { sniffFile, type FileFormat, type Precision, type SniffResult } from './format';
export { checkFile, repairFile, type CheckReport, type CheckStatus, type RepairResult } from './check';
export type { CaptureInterface, PcapngInterface } from './reader';
export * from './decode/index';
export * from './build/index';
export * from './analyze/index';

import { native } from './binding';
/** The libpcap version string, e.g. `libpcap version 1.10.3 (with TPACKET_V3)`. */
export function libpcapVersion(): string {
  return native.libVersion();
}
