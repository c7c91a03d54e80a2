// RotatingWriter: a capture written into a series of files, as tcpdump -w FILE -C/-G/-W does:
// a new file once the current one exceeds `fileSize` bytes (-C, in bytes here; tcpdump's -C is
// in millions of bytes), or when a packet's time enters a new `seconds` interval (-G; the path
// is then a strftime pattern). With `files` (-W): with a size limit, a ring of that many files
// (the oldest overwritten, so disk use stays bounded); with only a time limit, the writer stops
// after that many files (`finished`). Every file is a whole capture on its own; a packet goes to
// exactly one file. Names as tcpdump makes them: FILE, FILE1, FILE2... (-C); FILE0..FILE9 with
// -W 10 (digits for W-1).
import { PcapError } from './errors';
import type { PacketBatch } from './packet';
import { PCAPWriter, type WriterOptions } from './writer';

export interface RotateOptions {
  /** Start a new file once the current one holds more than this many bytes. */
  fileSize?: number;
  /** Start a new file whenever a packet's time enters a new interval of this many seconds. */
  seconds?: number;
  /** Ring of this many files (with fileSize); or stop after this many (seconds only). */
  files?: number;
}

const RECORD_HEADER = 16;
const FILE_HEADER = 24;

/** strftime's common conversions, local time (tcpdump -G formats the -w name with strftime). */
export function strftime(pattern: string, epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  const p2 = (n: number) => String(n).padStart(2, '0');
  return pattern.replace(/%([YmdHMSjs%])/g, (_, c: string) => {
    switch (c) {
      case 'Y': return String(d.getFullYear());
      case 'm': return p2(d.getMonth() + 1);
      case 'd': return p2(d.getDate());
      case 'H': return p2(d.getHours());
      case 'M': return p2(d.getMinutes());
      case 'S': return p2(d.getSeconds());
      case 's': return String(Math.floor(epochSeconds));
      case 'j': return String(Math.floor((d.getTime() - new Date(d.getFullYear(), 0, 1).getTime()) / 86400000) + 1).padStart(3, '0');
      default: return '%';
    }
  });
}

export class RotatingWriter {
  readonly path: string;
  private readonly options: WriterOptions;
  private readonly rotate: RotateOptions;
  private readonly width: number;
  private writer: PCAPWriter | undefined;
  private count = 0; // files opened
  private bytes = 0; // in the current file
  private opened = 0; // seconds of the current file's first packet (-G counts from there)
  private written = 0;
  private readonly names: string[] = [];
  private done = false;

  constructor(path: string, options: WriterOptions & { rotate: RotateOptions }) {
    const { rotate, ...writerOptions } = options;
    const positive = (n: unknown) => n === undefined || (Number.isInteger(n) && (n as number) > 0);
    if (!rotate || (rotate.fileSize === undefined && rotate.seconds === undefined) || !positive(rotate.fileSize) || !positive(rotate.seconds) || !positive(rotate.files)) {
      throw new PcapError('EINVAL', 'RotatingWriter: rotate needs fileSize and/or seconds (whole numbers above 0), files optional');
    }
    if (writerOptions.append) throw new PcapError('EINVAL', 'RotatingWriter: append is not supported');
    this.path = path;
    this.options = writerOptions;
    this.rotate = rotate;
    this.width = rotate.files !== undefined && rotate.fileSize !== undefined ? String(rotate.files - 1).length : 0;
  }

  /** The files written so far, in order (in a ring, the names in use). */
  get files(): readonly string[] {
    return this.names;
  }
  get packetsWritten(): number {
    return this.written;
  }
  /** True once `files` time-limited files are full (tcpdump -G -W exits then). */
  get finished(): boolean {
    return this.done;
  }

  /** Writes packets [start, start + count) of a batch, starting new files where they must. */
  writeBatch(batch: PacketBatch, count = batch.count, start = 0): void {
    let from = start;
    const end = start + count;
    for (let i = start; i < end; i++) {
      const size = RECORD_HEADER + Math.min(batch.caplen(i), this.options.snaplen ?? 262144);
      if (this.mustRotate(batch.tsSec(i))) {
        this.put(batch, from, i);
        this.next(batch.tsSec(i));
        if (this.done) return;
        from = i;
      }
      this.bytes += size;
    }
    this.put(batch, from, end);
  }

  private put(batch: PacketBatch, from: number, to: number): void {
    if (to <= from || this.writer === undefined) return;
    this.writer.writeBatch(batch, to - from, from);
    this.written += to - from;
  }

  flush(): void {
    this.writer?.flush();
  }

  async close(): Promise<void> {
    const w = this.writer;
    this.writer = undefined;
    await w?.close();
  }

  private mustRotate(sec: number): boolean {
    if (this.writer === undefined) return true;
    const { fileSize, seconds } = this.rotate;
    // tcpdump -G: once `seconds` have passed since the file was started
    if (seconds !== undefined && sec - this.opened >= seconds) return true;
    // tcpdump: "whether the file is currently larger than file_size" before writing a packet
    return fileSize !== undefined && this.bytes > fileSize;
  }

  /** Closes the current file and opens the next one. */
  private next(sec: number): void {
    const { fileSize, seconds, files } = this.rotate;
    if (seconds !== undefined && fileSize === undefined && files !== undefined && this.count >= files) {
      this.done = true;
      this.writer?.closeSync();
      this.writer = undefined;
      return;
    }
    this.writer?.closeSync();
    this.writer = undefined;
    const base = seconds !== undefined ? strftime(this.path, sec) : this.path;
    let name = base;
    if (fileSize !== undefined) {
      const n = files !== undefined ? this.count % files : this.count;
      if (files !== undefined || n > 0) name = `${base}${String(n).padStart(this.width, '0')}`;
    }
    this.writer = new PCAPWriter(name, this.options);
    if (!this.names.includes(name)) this.names.push(name);
    this.count++;
    this.bytes = FILE_HEADER;
    this.opened = sec;
  }
}
