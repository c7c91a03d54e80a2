// Human-readable numbers for the CLI's messages. Fixed English formatting (not the user's
// locale), so that output is the same everywhere and scripts can rely on it.

const counter = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** 4709 -> "4,709". */
export function formatCount(n: number): string {
  return counter.format(n);
}

/** `count` followed by the noun, plural unless count is 1: (1, 'packet') -> "1 packet". */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${formatCount(count)} ${count === 1 ? noun : nouns}`;
}

const UNITS = ['kB', 'MB', 'GB', 'TB', 'PB'];

/**
 * Byte counts in decimal (SI) units, as capinfos and disk vendors use them:
 * 812 -> "812 bytes", 2931377 -> "2.9 MB", 45_600_000 -> "45.6 MB", 123_000_000 -> "123 MB".
 */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '? bytes';
  if (n < 1000) return n === 1 ? '1 byte' : `${Math.round(n)} bytes`;
  let v = n;
  let unit = -1;
  while (v >= 1000 && unit < UNITS.length - 1) {
    v /= 1000;
    unit++;
  }
  // 999.96 kB would print as "1000.0 kB": carry to the next unit instead.
  if (Number(v.toFixed(1)) >= 1000 && unit < UNITS.length - 1) {
    v /= 1000;
    unit++;
  }
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${UNITS[unit]}`;
}

/**
 * A duration in seconds: "0.12 s", "12.3 s", "4 min 05 s", "2 h 03 min", "3 d 04 h".
 * Sub-second values keep two decimals so that fast runs do not all read "0 s".
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '? s';
  if (seconds < 0) return `-${formatDuration(-seconds)}`;
  if (seconds < 10) return `${seconds.toFixed(2)} s`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const pad = (x: number) => String(x).padStart(2, '0');
  const s = Math.floor(seconds);
  if (s < 3600) return `${Math.floor(s / 60)} min ${pad(s % 60)} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${pad(Math.floor(s / 60) % 60)} min`;
  return `${formatCount(Math.floor(s / 86400))} d ${pad(Math.floor(s / 3600) % 24)} h`;
}

/** part / whole as a percentage with one decimal ("91.8%"); undefined when whole is 0. */
export function formatPercent(part: number, whole: number): string | undefined {
  if (!(whole > 0)) return undefined;
  return `${((100 * part) / whole).toFixed(1)}%`;
}

/**
 * A capture timestamp (float seconds since the epoch) in UTC, to the microsecond:
 * "2014-03-07 11:04:42.123456 UTC". Falls back to the raw number for dates JS cannot show.
 */
export function formatTimestamp(seconds: number): string {
  const whole = Math.floor(seconds);
  const date = new Date(whole * 1000);
  if (!Number.isFinite(seconds) || Number.isNaN(date.getTime())) return String(seconds);
  const micros = Math.min(999999, Math.round((seconds - whole) * 1e6));
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.000Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${String(micros).padStart(6, '0')} UTC`;
}
