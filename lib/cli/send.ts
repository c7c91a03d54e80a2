// pcapkit send: injects raw frames on a device, either one frame given in hex or every packet of
// a capture file (in order), optionally repeated and paced.
import { setTimeout as sleep } from 'node:timers/promises';
import { Command } from 'commander';
import { PCAPReader, PCAPSocket, PcapError } from '../index';
import { EXIT, errorLine } from './common';
import { formatBytes, formatCount, plural } from './humanize';
import { integerOption } from './sniff';

interface SendOptions {
  interface: string;
  file?: string;
  count: number;
  interval: number;
}

export function register(program: Command): void {
  program
    .command('send')
    .summary('send raw frames (hex, or the packets of a capture file) on a device')
    .description(
      'Sends raw frames, link-layer header included, on a device (pcap_inject): either one ' +
        'frame written in hex (spaces and colons between the digits are allowed, and it may be ' +
        'split over several arguments), or every packet of a capture file, in order. The file ' +
        "must have the device's link type. --count repeats the whole sequence; --interval waits " +
        'between frames. Needs root or cap_net_raw; the "any" device cannot send.',
    )
    .argument('[hex...]', 'the frame as hex digits, e.g. 00:00:00:00:00:00 00:00:00:00:00:00 08 00 45 ...')
    .requiredOption('-i, --interface <name>', 'device to send on (not "any")')
    .option('--file <capture>', 'send the packets of this pcap/pcapng file instead')
    .option('--count <n>', 'send everything this many times', integerOption('count'), 1)
    .option('--interval <ms>', 'wait this long between frames', integerOption('interval', 0), 0)
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ pcapkit send -i eth0 ffffffffffff 020000000001 0806 0001080006040001...\n' +
        '  $ pcapkit send -i eth0 --file replay.pcap --interval 10\n' +
        '  $ pcapkit send -i lo --count 100 "$(cat frame.hex)"\n' +
        '\nExit status: 0 sent, 1 error (ENODEV no such device, ENOTSUP the device cannot send,\n' +
        'EMSGSIZE frame larger than the MTU, EPERM no permission), 64 bad hex or arguments,\n' +
        '130 interrupted by Ctrl-C.',
    )
    .action(async (hex: string[], options: SendOptions, command: Command) => {
      if (hex.length > 0 && options.file !== undefined) command.error('error: give either a hex frame or --file, not both');
      if (hex.length === 0 && options.file === undefined) command.error('error: give a hex frame or --file <capture>');
      let frame: Buffer | undefined;
      if (hex.length > 0) {
        try {
          frame = parseHex(hex);
        } catch (err) {
          command.error(`error: ${(err as Error).message}`);
        }
      }
      process.exitCode = await runSend(frame, options);
    });
}

/**
 * Hex digits to bytes: the arguments are joined; spaces, tabs, newlines, colons, dashes and
 * dots between digits and a leading 0x on each argument are ignored.
 */
export function parseHex(parts: readonly string[]): Buffer {
  const digits = parts.map((p) => p.trim().replace(/^0x/i, '').replace(/[\s:.-]/g, '')).join('');
  const bad = /[^0-9a-fA-F]/.exec(digits);
  if (bad) throw new Error(`'${bad[0]}' is not a hex digit`);
  if (digits.length === 0) throw new Error('the frame is empty');
  if (digits.length % 2 !== 0) throw new Error(`odd number of hex digits (${digits.length})`);
  return Buffer.from(digits, 'hex');
}

function sentText(packets: number, bytes: number): string {
  return `${plural(packets, 'packet')} (${bytes < 1000 ? plural(bytes, 'byte') : `${formatBytes(bytes)}, ${formatCount(bytes)} bytes`})`;
}

async function runSend(frame: Buffer | undefined, options: SendOptions): Promise<number> {
  const device = options.interface;
  const file = options.file;
  if (file !== undefined) {
    // Check the file (exists, is a capture) before touching the device.
    const probe = await PCAPReader.open(file);
    await probe.close();
  }
  const sock = new PCAPSocket(device, { promisc: false });
  const controller = new AbortController();
  const onSigint = () => {
    if (!controller.signal.aborted) return controller.abort();
    process.removeListener('SIGINT', onSigint);
    process.kill(process.pid, 'SIGINT');
  };
  process.on('SIGINT', onSigint);
  let packets = 0;
  let bytes = 0;
  let cut = 0;
  const sendOne = async (data: Uint8Array) => {
    if (packets > 0 && options.interval > 0) await sleep(options.interval, undefined, { signal: controller.signal });
    controller.signal.throwIfAborted();
    bytes += sock.send(data);
    packets++;
  };
  try {
    for (let round = 0; round < options.count; round++) {
      if (frame) {
        await sendOne(frame);
        continue;
      }
      const reader = await PCAPReader.open(file as string, { signal: controller.signal });
      try {
        if (reader.linktype !== sock.linktype) {
          throw new PcapError(
            'EINVAL',
            `${file} has link type ${reader.linktypeName}, but ${device} sends ${sock.linktypeName} frames`,
          );
        }
        for await (const pkt of reader) {
          if (pkt.linktype !== sock.linktype) {
            throw new PcapError('EINVAL', `${file}: a packet has link type ${pkt.linktype}, ${device} sends ${sock.linktypeName}`);
          }
          if (pkt.truncated && round === 0) cut++;
          await sendOne(pkt.data);
        }
      } finally {
        await reader.close();
      }
    }
  } catch (err) {
    if (controller.signal.aborted) {
      process.stderr.write(`send: interrupted after ${sentText(packets, bytes)} on ${device}\n`);
      return EXIT.INTERRUPTED;
    }
    if (err instanceof PcapError && packets > 0) {
      process.stderr.write(`${errorLine(err)}\nsend: ${sentText(packets, bytes)} sent on ${device} before the error\n`);
      return EXIT.ERROR;
    }
    throw err;
  } finally {
    process.removeListener('SIGINT', onSigint);
    await sock.close();
  }
  if (cut > 0) {
    process.stderr.write(`send: ${plural(cut, 'packet')} of ${file} had been cut by the snapshot length; sent as captured\n`);
  }
  process.stdout.write(`sent ${sentText(packets, bytes)} on ${device}\n`);
  return EXIT.OK;
}
