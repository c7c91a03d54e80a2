// A self-contained HTML report of an analysis: one file with inline CSS and an inline SVG chart
// (bytes over time per application, stacked), the top conversations and flows, applications,
// the protocol hierarchy and TCP diagnoses. No scripts, fonts, images or anything else is
// fetched: it opens offline in any browser.
import type { AnalysisResult, DataSeries, FlowConversation, HostPairConversation } from '../analyze/types';

export interface HtmlReportOptions {
  /** Page title (default: 'pcapkit report: <file name>'). */
  title?: string;
  /** Rows of the conversation and flow tables (default 20). */
  top?: number;
  /** Chart bucket width in seconds (default: chosen for about 120 buckets). */
  bucket?: number;
  /** Applications drawn separately in the chart; the rest are summed as 'other' (default 8). */
  chartApplications?: number;
  /** Time shown as generated-at (default: now). */
  generatedAt?: Date;
}

const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const count = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
function fmtCount(n: number): string {
  return count.format(n);
}

function plural(n: number, noun: string): string {
  return `${fmtCount(n)} ${noun}${n === 1 ? '' : 's'}`;
}

function fmtBytes(n: number): string {
  if (!Number.isFinite(n)) return '?';
  if (n < 1000) return `${Math.round(n)} B`;
  const units = ['kB', 'MB', 'GB', 'TB', 'PB'];
  let v = n;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[u]}`;
}

function fmtSeconds(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return '–';
  if (s < 0.001) return `${(s * 1e6).toFixed(0)} µs`;
  if (s < 1) return `${(s * 1000).toFixed(1)} ms`;
  if (s < 120) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  if (s < 172800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86400).toFixed(1)} d`;
}

function fmtTime(epoch: number | null, withDate = true): string {
  if (epoch === null || !Number.isFinite(epoch)) return '–';
  const d = new Date(Math.floor(epoch) * 1000);
  if (Number.isNaN(d.getTime())) return String(epoch);
  const iso = d.toISOString();
  const frac = String(Math.min(999999, Math.round((epoch - Math.floor(epoch)) * 1e6))).padStart(6, '0');
  return withDate ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${frac} UTC` : iso.slice(11, 19);
}

function endpoint(e: { address: string; port?: number }): string {
  if (e.port === undefined) return e.address;
  return e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

/** Round axis maximum and step for `max`. */
function niceScale(max: number, ticks = 5): { top: number; step: number } {
  if (!(max > 0)) return { top: 1, step: 1 };
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  return { top: Math.ceil(max / step) * step, step };
}

const W = 1000;
const H = 360;
const M = { left: 72, right: 16, top: 16, bottom: 44 };

/** The stacked step-area chart of bytes per bucket per application, as an <svg> element. */
export function renderChart(series: DataSeries): string {
  const n = series.times.length;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const totals = new Array<number>(n).fill(0);
  for (const s of series.series) for (let i = 0; i < n; i++) totals[i] += s.bytes[i];
  const { top, step } = niceScale(Math.max(0, ...totals));
  const x = (i: number) => M.left + (n > 0 ? (i / n) * pw : 0);
  const y = (v: number) => M.top + ph - (v / top) * ph;
  const parts: string[] = [];
  parts.push(
    `<svg id="bytes-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="100%" role="img" ` +
      `aria-label="Bytes per ${escapeHtml(fmtSeconds(series.bucket))} per application">`,
  );
  // grid and y axis
  for (let v = 0; v <= top + step / 2; v += step) {
    const yy = y(v).toFixed(1);
    parts.push(`<line class="grid" x1="${M.left}" x2="${W - M.right}" y1="${yy}" y2="${yy}"/>`);
    parts.push(`<text class="ylab" x="${M.left - 6}" y="${yy}" dy="0.32em" text-anchor="end">${escapeHtml(fmtBytes(v))}</text>`);
  }
  // x axis labels: about 8
  if (n > 0) {
    const every = Math.max(1, Math.ceil(n / 8));
    const span = series.times[n - 1] - series.times[0];
    for (let i = 0; i < n; i += every) {
      const label = span < 86400 * 2 ? fmtTime(series.times[i], false) : fmtTime(series.times[i]).slice(0, 10);
      parts.push(`<line class="tick" x1="${x(i).toFixed(1)}" x2="${x(i).toFixed(1)}" y1="${M.top + ph}" y2="${M.top + ph + 5}"/>`);
      parts.push(`<text class="xlab" x="${x(i).toFixed(1)}" y="${M.top + ph + 18}" text-anchor="middle">${escapeHtml(label)}</text>`);
    }
  }
  parts.push(
    `<text class="axis" x="${M.left + pw / 2}" y="${H - 6}" text-anchor="middle">time (UTC), buckets of ${escapeHtml(fmtSeconds(series.bucket))}</text>`,
  );
  // stacked areas, bottom series first
  const base = new Array<number>(n).fill(0);
  series.series.forEach((s, k) => {
    if (n === 0 || s.totalBytes === 0) return;
    const upper: string[] = [];
    const lower: string[] = [];
    for (let i = 0; i < n; i++) {
      const y0 = y(base[i]).toFixed(1);
      const y1 = y(base[i] + s.bytes[i]).toFixed(1);
      upper.push(`L${x(i).toFixed(1)},${y1}L${x(i + 1).toFixed(1)},${y1}`);
      lower.push(`L${x(i + 1).toFixed(1)},${y0}L${x(i).toFixed(1)},${y0}`);
      base[i] += s.bytes[i];
    }
    const d = `M${x(0).toFixed(1)},${y(base[0] - s.bytes[0]).toFixed(1)}${upper.join('')}${lower.reverse().join('')}Z`;
    parts.push(
      `<path class="area" data-application="${escapeHtml(s.application)}" fill="${PALETTE[k % PALETTE.length]}" d="${d}">` +
        `<title>${escapeHtml(s.application)}: ${escapeHtml(fmtBytes(s.totalBytes))}</title></path>`,
    );
  });
  parts.push(`<line class="axisline" x1="${M.left}" x2="${W - M.right}" y1="${M.top + ph}" y2="${M.top + ph}"/>`);
  parts.push('</svg>');
  const legend = series.series
    .map(
      (s, k) =>
        `<li><span class="swatch" style="background:${PALETTE[k % PALETTE.length]}"></span>${escapeHtml(s.application)} ` +
        `<span class="muted">${escapeHtml(fmtBytes(s.totalBytes))}</span></li>`,
    )
    .join('');
  return `${parts.join('\n')}\n<ul class="legend">${legend}</ul>`;
}

function table(id: string, head: string[], rows: string[][], numeric: boolean[]): string {
  const th = head.map((h, i) => `<th${numeric[i] ? ' class="num"' : ''}>${escapeHtml(h)}</th>`).join('');
  const body = rows
    .map((r) => `<tr>${r.map((c, i) => `<td${numeric[i] ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table id="${id}"><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function hostRows(list: HostPairConversation[]): string[][] {
  return list.map((c, i) => [
    String(i + 1),
    escapeHtml(c.a.address),
    escapeHtml(c.b.address),
    escapeHtml(fmtCount(c.packets)),
    escapeHtml(fmtBytes(c.bytes)),
    `${escapeHtml(fmtBytes(c.aToB.bytes))} / ${escapeHtml(fmtBytes(c.bToA.bytes))}`,
    escapeHtml(fmtSeconds(c.duration)),
    escapeHtml(c.applications.join(', ')),
    escapeHtml(fmtCount(c.conversations)),
    c.repeat.mean === null ? '–' : `${escapeHtml(fmtSeconds(c.repeat.mean))}${c.repeat.stdev === null ? '' : ` ± ${escapeHtml(fmtSeconds(c.repeat.stdev))}`}`,
    escapeHtml(fmtCount(c.retransmissions)),
    escapeHtml(fmtCount(c.outOfOrder)),
    escapeHtml(fmtCount(c.bad)),
  ]);
}

function flowRows(list: FlowConversation[]): string[][] {
  return list.map((c, i) => [
    String(i + 1),
    escapeHtml(c.transport),
    escapeHtml(endpoint(c.a)),
    escapeHtml(endpoint(c.b)),
    escapeHtml(c.application),
    escapeHtml(fmtCount(c.packets)),
    escapeHtml(fmtBytes(c.bytes)),
    escapeHtml(fmtSeconds(c.duration)),
    escapeHtml(fmtCount(c.retransmissions)),
    escapeHtml(fmtCount(c.outOfOrder)),
    escapeHtml(fmtCount(c.bad)),
  ]);
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:24px auto;max-width:1100px;padding:0 16px;color:#222;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.muted{color:#777}.summary{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:12px 0}
.summary dt{color:#555}.summary dd{margin:0}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{padding:4px 8px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
th{background:#f5f5f5;font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tbody tr:nth-child(even){background:#fafafa}
svg text{font-size:11px;fill:#444}svg .grid{stroke:#e5e5e5}svg .tick,svg .axisline{stroke:#888}svg .area{stroke:#fff;stroke-width:0.4}
.legend{list-style:none;padding:0;margin:6px 0 0;display:flex;flex-wrap:wrap;gap:4px 18px}
.swatch{display:inline-block;width:11px;height:11px;margin-right:5px;vertical-align:-1px;border-radius:2px}
.indent{display:inline-block}
`;

/** The report as one HTML document. */
export function renderHtmlReport(result: AnalysisResult, options: HtmlReportOptions = {}): string {
  const topN = options.top ?? 20;
  const name = result.source.path ? result.source.path.split('/').pop()! : 'capture';
  const title = options.title ?? `pcapkit report: ${name}`;
  const series = result.dataSeries({
    ...(options.bucket !== undefined ? { bucket: options.bucket } : {}),
    top: options.chartApplications ?? 8,
  });
  const top = result.topConversations(topN);
  const generated = (options.generatedAt ?? new Date()).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  const summary: Array<[string, string]> = [
    ['File', result.source.path ?? '(packets)'],
    ['Packets', fmtCount(result.packets)],
    ['Bytes', `${fmtBytes(result.bytes)} (${fmtCount(result.bytes)} bytes on the wire)`],
    ['First packet', fmtTime(result.firstTime)],
    ['Last packet', fmtTime(result.lastTime)],
    ['Duration', fmtSeconds(result.duration)],
  ];
  if (result.source.linktypeName) summary.push(['Link type', `${result.source.linktypeName} (${result.source.linktype})`]);
  if (result.source.filter) summary.push(['Filter', result.source.filter]);
  summary.push([
    'Conversations',
    `${fmtCount(result.conversations.hostPairCount)} host pairs, ${fmtCount(result.conversations.flowCount)} 5-tuples`,
  ]);
  const tcp = result.tcp;
  summary.push([
    'TCP',
    `${plural(tcp.segments, 'segment')}, ${plural(tcp.retransmissions, 'retransmission')}, ` +
      `${fmtCount(tcp.outOfOrder)} out of order, ${plural(tcp.duplicateAcks, 'duplicate ACK')}, ` +
      `${plural(tcp.lostSegments, 'previous segment')} not captured`,
  ]);
  if (result.truncated || result.malformed) {
    summary.push(['Damaged packets', `${fmtCount(result.truncated)} cut by the snapshot length, ${fmtCount(result.malformed)} with cut or bad headers`]);
  }
  const ov = result.conversations.overflow;
  if (ov.hostPairs.packets || ov.flows.packets) {
    summary.push([
      'Not in tables',
      `${fmtCount(ov.hostPairs.packets)} packets beyond ${fmtCount(ov.hostPairs.limit)} host pairs, ` +
        `${fmtCount(ov.flows.packets)} beyond ${fmtCount(ov.flows.limit)} 5-tuples`,
    ]);
  }
  if (result.error) summary.push(['Damage', `${result.error.code}: ${result.error.message}`]);

  const apps = table(
    'applications',
    ['Application', 'Packets', 'Bytes', 'Share', 'Conversations', 'Host pairs', 'Repeat interval (mean ± stdev)'],
    result.applications.map((a) => [
      escapeHtml(a.application),
      escapeHtml(fmtCount(a.packets)),
      escapeHtml(fmtBytes(a.bytes)),
      escapeHtml(`${(a.share * 100).toFixed(1)}%`),
      escapeHtml(fmtCount(a.conversations)),
      escapeHtml(fmtCount(a.hostPairs)),
      a.repeat.mean === null
        ? '–'
        : `${escapeHtml(fmtSeconds(a.repeat.mean))}${a.repeat.stdev === null ? '' : ` ± ${escapeHtml(fmtSeconds(a.repeat.stdev))}`}`,
    ]),
    [false, true, true, true, true, true, true],
  );
  const hosts = table(
    'top-conversations',
    ['#', 'A', 'B', 'Packets', 'Bytes', 'A→B / B→A', 'Duration', 'Applications', 'Flows', 'Repeat', 'Retrans.', 'Out of order', 'Bad'],
    hostRows(top.hostPairs),
    [true, false, false, true, true, true, true, false, true, true, true, true, true],
  );
  const flows = table(
    'top-flows',
    ['#', 'Proto', 'A', 'B', 'Application', 'Packets', 'Bytes', 'Duration', 'Retrans.', 'Out of order', 'Bad'],
    flowRows(top.flows),
    [true, false, false, false, false, true, true, true, true, true, true],
  );
  const hier = table(
    'hierarchy',
    ['Protocol path', 'Packets', '% packets', 'Bytes'],
    result.hierarchy.map((h) => [
      `<span class="indent" style="width:${h.depth * 16}px"></span>${escapeHtml(h.name)} <span class="muted">${escapeHtml(h.path)}</span>`,
      escapeHtml(fmtCount(h.packets)),
      escapeHtml(result.packets ? `${((100 * h.packets) / result.packets).toFixed(1)}%` : '–'),
      escapeHtml(fmtBytes(h.bytes)),
    ]),
    [false, true, true, true],
  );
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="pcapkit">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<div class="muted">Generated ${escapeHtml(generated)} by pcapkit</div>
<dl class="summary">
${summary.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('\n')}
</dl>
<h2>Bytes over time per application</h2>
${renderChart(series)}
<h2>Top conversations (host pairs)</h2>
${hosts}
<h2>Top flows (5-tuples)</h2>
${flows}
<h2>Applications</h2>
${apps}
<h2>Protocol hierarchy</h2>
${hier}
</body>
</html>
`;
}
