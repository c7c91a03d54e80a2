// The `pcapkit` command line. bin/pcapkit.js calls main(process.argv).
//
// One subcommand per file in this directory; each exports register(program), which adds its
// command with program.command(...) (so it inherits the settings made here) and sets
// process.exitCode in its action. A new subcommand is one import and one line in COMMANDS.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError } from 'commander';
import { PcapError, libpcapVersion } from '../index';
import { EXIT, errorLine } from './common';
import * as capture from './capture';
import * as check from './check';
import * as devices from './devices';
import * as filter from './filter';
import * as merge from './merge';
import * as read from './read';
import * as repair from './repair';
import * as send from './send';
import * as slice from './slice';
import * as sniff from './sniff';
import * as split from './split';
import * as stats from './stats';

const COMMANDS: ReadonlyArray<(program: Command) => void> = [
  filter.register,
  slice.register,
  merge.register,
  split.register,
  check.register,
  repair.register,
  read.register,
  devices.register,
  sniff.register,
  send.register,
  capture.register,
  stats.register,
];

function packageVersion(): string {
  // dist/cjs/cli/main.js (and lib/cli/main.ts) -> the package root
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8'));
    return String(pkg.version);
  } catch {
    return 'unknown';
  }
}

function versionText(): string {
  let lib: string;
  try {
    lib = libpcapVersion();
  } catch {
    lib = 'libpcap version unknown';
  }
  return `pcapkit ${packageVersion()}\n${lib}`;
}

/** The commander program with every subcommand; parse it with parseAsync (it throws, never exits). */
export function buildProgram(): Command {
  const program = new Command('pcapkit');
  program
    .description('Capture, read, filter, check, repair and send packets (pcap, pcapng) with libpcap.')
    .version(versionText(), '-V, --version', 'print the pcapkit and libpcap versions')
    .helpOption('-h, --help', 'show this help')
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({
      writeOut: (s) => process.stdout.write(s),
      writeErr: (s) => process.stderr.write(s),
      outputError: (s, write) => write(`pcapkit: ${s}`),
    });
  for (const add of COMMANDS) add(program);
  program.addHelpText(
    'after',
    '\nExamples:\n' +
      "  $ pcapkit filter trace.pcap dns.pcap 'udp port 53'\n" +
      '  $ pcapkit check trace.pcap other.pcapng\n' +
      '  $ pcapkit repair crashed.pcap recovered.pcap\n' +
      "  $ pcapkit read trace.pcap -c 20\n" +
      '  $ pcapkit stats trace.pcap --html report.html\n' +
      "  $ sudo pcapkit sniff -i lo -f 'ip and icmp' -c 4\n" +
      '  $ sudo pcapkit capture -o bug.tar.gz -- node client.js\n' +
      '  $ pcapkit help filter\n' +
      '\nExit status:\n' +
      '    0  success\n' +
      '    1  error: a file is missing or unreadable, a bad filter expression, ...\n' +
      '    2  a capture file is damaged (cut short or corrupt)\n' +
      '   64  bad command line\n' +
      '   70  internal error: a bug in pcapkit (please report it with the stack trace)\n' +
      '  130  interrupted by Ctrl-C\n' +
      '  143  stopped by SIGTERM (filter)',
  );
  return program;
}

/**
 * Runs the command line `argv` (node, script, args...). Resolves with the exit status, which is
 * also set as process.exitCode; errors are reported on stderr, never thrown.
 */
export async function main(argv: readonly string[] = process.argv): Promise<number> {
  // `pcapkit check --json *.pcap | head` must not die of EPIPE.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  let code: number;
  try {
    await buildProgram().parseAsync([...argv]);
    code = typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK;
  } catch (err) {
    code = report(err);
  }
  process.exitCode = code;
  return code;
}

function report(err: unknown): number {
  if (err instanceof CommanderError) {
    // commander has already printed the help, the version or the usage error
    return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  }
  if (err instanceof PcapError) {
    process.stderr.write(`${errorLine(err)}\n`);
    return EXIT.ERROR;
  }
  const text = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
  process.stderr.write(`pcapkit: internal error (please report it):\n${text}\n`);
  return EXIT.SOFTWARE;
}
