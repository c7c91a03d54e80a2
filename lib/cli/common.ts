// What the subcommands share: exit statuses, error lines, and the guard against writing over
// the file being read.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PcapError } from '../index';

/** Exit statuses of every pcapkit command (documented in `pcapkit --help`). */
export const EXIT = {
  OK: 0,
  /** A file could not be read or written at all, a bad filter, another PcapError. */
  ERROR: 1,
  /** A capture file is damaged (cut short or corrupt); whatever was readable was handled. */
  DAMAGED: 2,
  /** Bad command line (sysexits EX_USAGE). */
  USAGE: 64,
  /** The command given to `pcapkit capture` could not be started (as shells say). */
  CANNOT_RUN: 127,
  /** A bug in pcapkit: an unexpected exception (sysexits EX_SOFTWARE). */
  SOFTWARE: 70,
  /** Stopped by Ctrl-C (128 + SIGINT). */
  INTERRUPTED: 130,
  /** Stopped by SIGTERM (128 + SIGTERM), where a command stops cleanly on it. */
  TERMINATED: 143,
} as const;

/** The one-line form of a PcapError: `pcapkit: EFILTER: syntax error`. */
export function errorLine(err: PcapError): string {
  return `pcapkit: ${err.code}: ${err.message}`;
}

/** True for a PcapError that says the capture file is damaged (not missing or unreadable). */
export function isDamage(err: unknown): err is PcapError {
  return err instanceof PcapError && (err.code === 'ETRUNCATED' || err.code === 'EFORMAT');
}

/**
 * Refuses an output path that names the input file (directly, or through a link): opening the
 * output truncates it before a single packet has been read.
 */
export function refuseOverwrite(input: string, output: string): void {
  if (input === '-' || output === '-') return;
  let same = path.resolve(input) === path.resolve(output);
  if (!same) {
    try {
      const a = fs.statSync(input);
      const b = fs.statSync(output);
      same = a.dev === b.dev && a.ino === b.ino;
    } catch {
      // one of them does not exist: they cannot be the same file
    }
  }
  if (same) {
    throw new PcapError('EINVAL', `${output}: the output file is the input file; write to another path`);
  }
}

/**
 * Calls `handler` on SIGINT and SIGTERM (instead of Node's default of dying at once) until the
 * returned function removes it. Both stop a command the same way: Ctrl-C or `kill`.
 */
export function onStopSignals(handler: (signal: NodeJS.Signals) => void): () => void {
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.removeListener('SIGINT', handler);
    process.removeListener('SIGTERM', handler);
  };
}
