// A one-line progress bar on stderr, drawn only when stderr is a terminal: piped or redirected
// output (scripts, CI logs, tests) gets no control characters at all.
import { SingleBar } from 'cli-progress';

export interface ProgressOptions {
  /** Word shown before the bar, usually the command name. */
  label: string;
  /** Force the bar on or off; default: on when the stream is a TTY. */
  enabled?: boolean;
  stream?: NodeJS.WriteStream;
}

export class Progress {
  readonly enabled: boolean;
  private readonly label: string;
  private readonly stream: NodeJS.WriteStream;
  private bar: SingleBar | undefined;
  private withTotal = false;

  constructor(options: ProgressOptions) {
    this.stream = options.stream ?? process.stderr;
    this.label = options.label;
    this.enabled = options.enabled ?? this.stream.isTTY === true;
  }

  /**
   * Shows `value` of `total` (a bar and a percentage) and `text` after it. With a total of 0
   * or less (unknown, e.g. reading a pipe) only the text is shown.
   */
  update(value: number, total: number, text: string): void {
    if (!this.enabled) return;
    const known = total > 0;
    if (this.bar && known !== this.withTotal) this.stop();
    if (!this.bar) {
      this.withTotal = known;
      this.bar = new SingleBar({
        stream: this.stream,
        format: known
          ? `${this.label} {bar} {percentage}% | {text}`
          : `${this.label} | {text}`,
        barsize: 30,
        barCompleteChar: '█',
        barIncompleteChar: '░',
        clearOnComplete: true,
        hideCursor: false,
        gracefulExit: false,
        etaBuffer: 20,
        fps: 10,
      });
      this.bar.start(known ? total : 1, known ? Math.min(value, total) : 0, { text });
      return;
    }
    if (known) this.bar.setTotal(total);
    this.bar.update(known ? Math.min(value, total) : 0, { text });
  }

  /** Removes the bar from the screen (idempotent); call before printing anything else. */
  stop(): void {
    if (!this.bar) return;
    const bar = this.bar;
    this.bar = undefined;
    bar.stop();
  }
}
