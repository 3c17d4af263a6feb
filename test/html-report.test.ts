/**
 * The HTML report as a person sees it: `mqscen run "scenarios/*.yaml"` (built CLI, embedded
 * broker) writes reports/report.html beside the JUnit file; headless Chromium opens it from disk
 * with no network, logs no error, and every chart drew its data (coloured pixels in its canvas).
 * `mqscen report results.json` renders the same page later. MQSCEN_SCREENSHOT=PATH also saves a
 * screenshot (docs/report.png is made that way).
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { mqscen as runCli } from './_cli.js';
import { findChromium, openPage } from './browser.js';

const root = resolve(import.meta.dirname, '..');
const _bin = join(root, 'bin', 'mqscen.js');
const chromium = findChromium();
const skip =
  chromium === undefined ? 'chromium not installed (apt-get install chromium); CI installs it' : false;

/** The CLI run to its end in `cwd` (test/_cli.ts), bounded. */
const mqscen = (args: string[], cwd: string) => runCli(args, { cwd, timeoutMs: 90_000 });

/** Per chart: whether it was drawn, and how many canvas pixels carry a series colour. */
const CHART_PROBE = `(async () => {
  for (let i = 0; i < 100 && !document.body.dataset.charts; i++) await new Promise((r) => setTimeout(r, 50));
  return [...document.querySelectorAll('.chart')].map((el) => {
    const canvas = el.querySelector('canvas');
    let painted = 0, coloured = 0;
    if (canvas) {
      const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 0; i < px.length; i += 4) {
        if (px[i + 3] > 0) painted++;
        // Series are drawn in saturated colours; axes, grid and labels are grey.
        const hi = Math.max(px[i], px[i + 1], px[i + 2]), lo = Math.min(px[i], px[i + 1], px[i + 2]);
        if (px[i + 3] > 128 && hi - lo > 80) coloured++;
      }
    }
    return { id: el.id, drawn: el.dataset.drawn === '1', width: canvas ? canvas.width : 0, painted, coloured };
  });
})()`;

interface ChartProbe {
  id: string;
  drawn: boolean;
  width: number;
  painted: number;
  coloured: number;
}

test('run writes reports/report.html; Chromium shows it with no console error and every chart drawn', {
  skip,
  timeout: 180_000,
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mqscen-html-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(root, 'scenarios'), join(dir, 'scenarios'), { recursive: true });
  const r = await mqscen(['run', 'scenarios/*.yaml', '--reporter', 'plain'], dir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const file = join(dir, 'reports', 'report.html');
  assert.ok(existsSync(file), 'report.html is written beside junit.xml by default');
  const html = readFileSync(file, 'utf8');
  // Self-contained: nothing is fetched when it is opened.
  assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href="(?!data:)/);

  const page = await openPage(chromium as string, pathToFileURL(file).href, t);
  const charts = await page.evaluate<ChartProbe[]>(CHART_PROBE);
  assert.deepEqual(page.errors, [], 'no console errors, exceptions or failed loads');
  const timelines = charts.filter((c) => c.id.startsWith('timeline-'));
  const latencies = charts.filter((c) => c.id.startsWith('latency-'));
  assert.ok(timelines.length >= 5, `a timeline per scenario with traffic: ${JSON.stringify(charts)}`);
  assert.ok(latencies.length >= 5, `a latency chart per scenario with deliveries: ${JSON.stringify(charts)}`);
  for (const c of charts) {
    assert.ok(c.drawn && c.width > 0, `${c.id} was drawn`);
    assert.ok(c.coloured >= 10, `${c.id} shows its data, not only axes: ${JSON.stringify(c)}`);
  }
  // The page shows the verdict and what was asserted.
  const text = await page.evaluate<string>('document.body.innerText');
  assert.match(text, /shared-subscription message queuing/);
  assert.match(text, /\$SHARE GROUPS: DELIVERIES PER MEMBER/i);
  assert.match(text, /p99/);
  const shot = process.env['MQSCEN_SCREENSHOT'];
  if (shot !== undefined && shot !== '')
    writeFileSync(shot, await page.screenshot({ width: 1280, height: 1700 }));
  await page.close();

  // mqscen report renders the same page from the results, later.
  const later = join(dir, 'later.html');
  const rep = await mqscen(['report', 'reports/results.json', '--html', later], dir);
  assert.equal(rep.code, 0, rep.stderr);
  assert.equal(rep.stdout.trim(), later);
  const again = readFileSync(later, 'utf8');
  assert.match(again, /id="timeline-0"/);
  assert.equal(again.match(/class="chart"/g)?.length, charts.length);
});

test('mqscen report: a file that is not results is a usage error (exit 2)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mqscen-html-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'x.json'), '{"hello": 1}');
  const r = await mqscen(['report', 'x.json'], dir);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /x.json is not an mqscen results file/);
  const missing = await mqscen(['report', 'nope.json'], dir);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read nope.json \(ENOENT\)/);
});
