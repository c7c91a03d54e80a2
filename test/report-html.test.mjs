// The HTML report: self-contained (nothing fetched), escaped, and rendered by a real browser —
// headless Chromium (Debian `chromium`, installed by .ci/run and `scripts/setup.sh
// --with-tools`) must draw the chart (non-empty SVG paths) and list the expected top
// conversation. A screenshot is kept in test-artifacts/report-html.png.
import { before, after } from 'node:test';
import { test, need } from './support/skips.mjs';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { analyze, renderHtmlReport } from '../dist/esm/index.mjs';
import { expected, writeTrafficCapture } from './support/analyze-fixtures.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(root, 'test-artifacts');

let dir;
let result;
let html;
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcapkit-report-'));
  const file = path.join(dir, 'traffic.pcap');
  await writeTrafficCapture(file);
  result = await analyze(file);
  html = renderHtmlReport(result, { bucket: 1, generatedAt: new Date(Date.UTC(2024, 0, 1)) });
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('the report is one self-contained document', () => {
  assert.match(html, /^<!DOCTYPE html>/);
  // nothing to fetch: no scripts, stylesheets, images, frames or fonts from anywhere
  assert.doesNotMatch(html, /<script|<link|<img|<iframe|<object|<embed|@import|url\(/i);
  const refs = [...html.matchAll(/\b(?:src|href)\s*=\s*"([^"]*)"/gi)].map((m) => m[1]);
  assert.deepEqual(refs, []);
  // the only URL is the SVG namespace, which is a name, not something fetched
  const urls = [...html.matchAll(/https?:\/\/[^\s"'<>]+/g)].map((m) => m[0]);
  assert.deepEqual([...new Set(urls)], ['http://www.w3.org/2000/svg']);
  assert.match(html, /<svg id="bytes-chart"/);
  assert.match(html, /<table id="top-conversations">/);
  assert.match(html, /<table id="top-flows">/);
  assert.match(html, /Generated 2024-01-01 00:00:00 UTC/);
});

test('the chart has one area per application and the tables the top conversation', () => {
  const series = result.dataSeries({ bucket: 1, top: 8 });
  const areas = [...html.matchAll(/<path class="area" data-application="([^"]+)"[^>]* d="([^"]+)"/g)];
  assert.deepEqual(
    areas.map((m) => m[1]),
    series.series.filter((s) => s.totalBytes > 0).map((s) => s.application),
  );
  for (const [, , d] of areas) assert.match(d, /^M[\d.]+,[\d.]+(L[\d.]+,[\d.]+)+Z$/);
  const firstRow = html.split('<table id="top-conversations">')[1].split('</tr>')[1];
  for (const addr of expected.topHostPair) assert.ok(firstRow.includes(`<td>${addr}</td>`), firstRow);
});

test('text from the capture is escaped', async () => {
  const r = await analyze(path.join(dir, 'traffic.pcap'), {
    applications: [{ name: '<img src=x onerror=alert(1)>', transport: 'tcp', ports: 80 }],
  });
  const out = renderHtmlReport(r, { title: 'a "quoted" <b>title</b> & more' });
  assert.ok(!out.includes('<img src=x'));
  assert.ok(out.includes('&lt;img src=x onerror=alert(1)&gt;'));
  assert.ok(out.includes('<title>a &quot;quoted&quot; &lt;b&gt;title&lt;/b&gt; &amp; more</title>'));
});

function chromium(args, userDir) {
  return spawnSync(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-extensions',
      '--disable-default-apps',
      '--no-default-browser-check',
      '--hide-scrollbars',
      `--user-data-dir=${userDir}`,
      ...args,
    ],
    { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 << 20 },
  );
}

test('headless Chromium renders the chart and the top conversation; screenshot kept', {
  skip: fs.existsSync(CHROMIUM) ? false : need(`${CHROMIUM} is not installed (apt-get install chromium; scripts/setup.sh --with-tools installs it)`),
}, async () => {
  const page = path.join(dir, 'report.html');
  fs.writeFileSync(page, html);
  const url = pathToFileURL(page).href;
  const userDir = fs.mkdtempSync(path.join(dir, 'chromium-'));
  const dom = chromium(['--dump-dom', url], userDir);
  assert.equal(dom.status, 0, dom.stderr);
  const text = dom.stdout;
  // the DOM Chromium built: the SVG with its drawn areas, and the table rows
  const paths = [...text.matchAll(/<path class="area"[^>]*\sd="([^"]*)"/g)].map((m) => m[1]);
  assert.ok(paths.length >= 5, `${paths.length} areas`);
  for (const d of paths) assert.ok(d.length > 10 && /L/.test(d), d);
  const table = text.split('<table id="top-conversations">')[1];
  assert.ok(table, 'the conversations table is in the DOM');
  const firstRow = table.split('<tbody>')[1].split('</tr>')[0];
  for (const addr of expected.topHostPair) assert.ok(firstRow.includes(`<td>${addr}</td>`), firstRow);

  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const shot = path.join(ARTIFACTS, 'report-html.png');
  fs.rmSync(shot, { force: true });
  const r = chromium([`--screenshot=${shot}`, '--window-size=1200,900', url], userDir);
  assert.equal(r.status, 0, r.stderr);
  const png = fs.readFileSync(shot);
  assert.equal(png.subarray(0, 8).toString('hex'), '89504e470d0a1a0a');
  assert.equal(png.readUInt32BE(16), 1200); // IHDR width
  assert.equal(png.readUInt32BE(20), 900);
  fs.copyFileSync(page, path.join(ARTIFACTS, 'report.html'));
});
