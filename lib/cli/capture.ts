// pcapkit capture [-i IFACE] [-f EXPR] [-o OUT.tar.gz] -- CMD ARGS...: run a command while
// capturing, with its TLS secrets logged, and leave one bundle to hand to a maintainer.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { constants as osConstants } from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import { capturePackets } from '../index';
import { EXIT, onStopSignals } from './common';
import { plural } from './humanize';

interface CaptureCliOptions {
  interface: string;
  filter?: string;
  output?: string;
  snaplen?: string;
}

function stamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}T${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

export function register(program: Command): void {
  program
    .command('capture')
    .summary('run a command while capturing, TLS decryptable, into one bundle')
    .description(
      'Runs CMD with SSLKEYLOGFILE set and pcapkit\'s key-log preload added to NODE_OPTIONS, captures the ' +
        'packets while it runs, and writes OUT.tar.gz holding the capture, the TLS key log and ' +
        'a README on opening it in Wireshark. Exits with the command\'s exit status.\n\n' +
        'The bundle contains secrets (credentials, cookies, decrypted traffic): share it only ' +
        'privately, never in a public issue, and delete it when done.',
    )
    .option('-i, --interface <iface>', 'device to capture on', 'any')
    .option('-f, --filter <expr>', 'BPF filter expression')
    .option('-o, --output <file>', 'bundle to write (default ./pcapkit-capture-<time>.tar.gz)')
    .option('-s, --snaplen <bytes>', 'bytes to capture per packet')
    .argument('<command...>', 'the command to run (after --)')
    .addHelpText('after', '\nExample:\n  $ sudo pcapkit capture -o bug.tar.gz -- node my-client.js --retry 3\n')
    .action(async (command: string[], opts: CaptureCliOptions) => {
      process.exitCode = await runCapture(command, opts);
    });
}

const PRELOAD = path.join(__dirname, '..', 'keylog-preload.js');

// NODE_OPTIONS splits on spaces unless quoted; inside double quotes \ escapes.
function nodeOptionsQuote(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

async function runCapture(command: string[], opts: CaptureCliOptions): Promise<number> {
  const output = path.resolve(opts.output ?? `pcapkit-capture-${stamp()}.tar.gz`);
  let exitCode = 0;
  const cap = await capturePackets(
    ({ keylogPath }) =>
      new Promise<void>((resolve, reject) => {
        // The child logs its own TLS secrets to the capture's key log: Node programs through
        // pcapkit's preload (synchronous writes: Node's --tls-keylog loses the last lines of
        // a program that calls process.exit()), OpenSSL/NSS-based ones (curl, browsers)
        // through SSLKEYLOGFILE.
        const nodeOptions = [process.env.NODE_OPTIONS, `--require ${nodeOptionsQuote(PRELOAD)}`].filter(Boolean).join(' ');
        const child = spawn(command[0], command.slice(1), {
          stdio: 'inherit',
          env: { ...process.env, SSLKEYLOGFILE: keylogPath, PCAPKIT_KEYLOG: keylogPath, NODE_OPTIONS: nodeOptions },
        });
        const stopForwarding = onStopSignals((sig) => child.kill(sig));
        child.on('error', reject);
        child.on('exit', (code, signal) => {
          stopForwarding();
          exitCode = code ?? 128 + (signal ? (osConstants.signals[signal] ?? 0) : 0);
          resolve();
        });
      }),
    {
      device: opts.interface,
      filter: opts.filter,
      snaplen: opts.snaplen === undefined ? undefined : Number(opts.snaplen),
      suppressErrors: true,
    },
  );
  try {
    if (cap.error !== undefined) {
      const msg = cap.error instanceof Error ? cap.error.message : String(cap.error);
      process.stderr.write(`pcapkit: cannot run ${command[0]}: ${msg}; no bundle written\n`);
      return EXIT.CANNOT_RUN;
    }
    const tmp = await cap.tarball();
    fs.copyFileSync(tmp, output);
    fs.chmodSync(output, 0o600);
    process.stderr.write(
      `capture: ${plural(cap.packetCount, 'packet')}, ${plural(countLines(cap.keylogPath), 'key log line')} -> ${output}\n` +
        'capture: this bundle contains secrets (TLS keys, decrypted traffic): share it only privately.\n',
    );
  } finally {
    await cap.delete();
  }
  return exitCode;
}

function countLines(file: string): number {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
}
