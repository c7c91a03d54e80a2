// `hexdump -C` output for a buffer.

export interface HexdumpOptions {
  /**
   * Replace a run of lines identical to the line before with a single `*`, as hexdump does by
   * default (true). false prints every line, as `hexdump -C -v`.
   */
  squeeze?: boolean;
}

const HEX = Array.from({ length: 256 }, (_, i) => `${i.toString(16).padStart(2, '0')} `);
const ASCII = Array.from({ length: 256 }, (_, i) => (i >= 0x20 && i < 0x7f ? String.fromCharCode(i) : '.'));

function offset(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/**
 * The canonical hex+ASCII display, byte for byte what `hexdump -C` prints:
 *
 *     00000000  45 00 00 3c 1c 46 40 00  40 06 b1 e6 ac 10 00 01  |E..<.F@.@.......|
 *     00000010  ...
 *     *
 *     0000003c
 *
 * Offset in hex, 16 bytes in two groups of 8, printable ASCII (0x20-0x7e) between bars, `*`
 * for repeated lines (unless `squeeze: false`), and a last line with the length. An empty
 * buffer gives '' (hexdump prints nothing either). Ends with a newline.
 */
export function hexdump(buf: Uint8Array, options: HexdumpOptions = {}): string {
  const squeeze = options.squeeze ?? true;
  const n = buf.length;
  if (n === 0) return '';
  const lines: string[] = [];
  let starred = false;
  for (let at = 0; at < n; at += 16) {
    const stop = Math.min(n, at + 16);
    if (squeeze && at > 0 && stop - at === 16 && sameLine(buf, at)) {
      if (!starred) lines.push('*');
      starred = true;
      continue;
    }
    starred = false;
    let hexPart = '';
    let text = '';
    for (let i = at; i < at + 16; i++) {
      if (i === at + 8) hexPart += ' ';
      if (i < stop) {
        hexPart += HEX[buf[i]];
        text += ASCII[buf[i]];
      } else {
        hexPart += '   ';
      }
    }
    lines.push(`${offset(at)}  ${hexPart} |${text}|`);
  }
  lines.push(offset(n));
  return `${lines.join('\n')}\n`;
}

// The 16 bytes at `at` equal the 16 before them.
function sameLine(buf: Uint8Array, at: number): boolean {
  for (let i = 0; i < 16; i++) if (buf[at + i] !== buf[at - 16 + i]) return false;
  return true;
}
