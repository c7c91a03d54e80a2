// TLS key logging for the connections a block of code makes: while active, every client TLS
// socket created through tls.connect (which https, the global fetch and user code all use)
// has its secrets appended, in NSS key-log format, to a file only the owner can read.
// Connections made before activation are never logged.
import * as fs from 'node:fs';
// The real module object (not an ES namespace copy): patching must reach every caller.
import tls = require('node:tls');

type Connect = typeof tls.connect;

const sinks = new Set<KeyLogSink>();
let original: Connect | undefined;

class KeyLogSink {
  private fd: number | undefined;
  lines = 0;

  constructor(readonly path: string) {
    // O_APPEND so concurrent writers never interleave inside a line; 0600: these are secrets.
    this.fd = fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_APPEND, 0o600);
  }

  write(line: Buffer): void {
    if (this.fd === undefined) return;
    fs.writeSync(this.fd, line.at(-1) === 0x0a ? line : Buffer.concat([line, Buffer.from('\n')]));
    this.lines++;
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

function patchedConnect(this: unknown, ...args: unknown[]): tls.TLSSocket {
  const socket = (original as (...a: unknown[]) => tls.TLSSocket).apply(this, args);
  // Sockets made while logging is on keep logging (TLS 1.3 sends secrets after the
  // handshake) to the sinks active when they were made.
  const targets = [...sinks];
  socket.on('keylog', (line: Buffer) => {
    for (const s of targets) s.write(line);
  });
  return socket;
}

export interface KeyLog {
  readonly path: string;
  /** Key-log lines written so far. */
  readonly lines: number;
  /** Stops logging new connections (ones already made keep logging until they close). */
  stop(): void;
  /** Appends a key-log line of a connection made elsewhere (a TLS server's). */
  append(line: Buffer): void;
}

/** Starts logging TLS secrets of connections made from now on to `path` (created 0600). */
export function startKeyLog(path: string): KeyLog {
  const sink = new KeyLogSink(path);
  if (sinks.size === 0) {
    original = tls.connect;
    (tls as { connect: Connect }).connect = patchedConnect as Connect;
  }
  sinks.add(sink);
  let stopped = false;
  return {
    path,
    get lines() {
      return sink.lines;
    },
    append(line: Buffer) {
      sink.write(line);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      sinks.delete(sink);
      if (sinks.size === 0 && original) {
        (tls as { connect: Connect }).connect = original;
        original = undefined;
      }
      // Keep the file open for late secrets of live sockets; close it at exit at the latest.
      setTimeout(() => sink.close(), 2000).unref();
    },
  };
}
