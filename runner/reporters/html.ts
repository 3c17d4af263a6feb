/**
 * HTML reporter: one self-contained file (no network at view time; uPlot and the data inlined)
 * that shows what the broker did, per scenario: the verdict and every assertion with expected and
 * got; message rates over time per declared client with offline and fault bands and step marks;
 * the latency histogram and percentiles; each `$share` group's per-member distribution; lost,
 * duplicate and out-of-order messages with ids and reasons; broker counters; target, transport,
 * protocols and versions. Large runs are aggregated (per declared client, capped tables), never
 * drawn line by line. Written in onRunEnd from the final summary; `mqscen report` renders the same
 * page from a results.json later.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import createDebug from 'debug';
import type {
  AssertionResult,
  LatencySummary,
  RunEndReason,
  RunSummary,
  ScenarioResult,
  ScenarioTimeline,
} from '../results.js';
import { countStatuses, formatDuration, publicTarget, readMqscenVersion } from './_format.js';
import { REPORT_CSS, REPORT_SCRIPT } from './_html-client.js';
import { writeReportFile } from './_report-file.js';
import type { NamedReporter } from './index.js';
import { RESULTS_SCHEMA_VERSION, type ResultsDocument } from './json.js';

const debug = createDebug('mqscen:reporters:html');

export interface HtmlReporterOptions {
  /** File to write; its folder is created when missing. @default 'reports/report.html' */
  outputFile?: string;
  /** Version shown in the page. @default the package version */
  mqscenVersion?: string;
}

export interface ResolvedHtmlReporterOptions {
  outputFile: string;
  mqscenVersion: string;
}

const DEFAULTS = { outputFile: 'reports/report.html' } as const;

/** Rows shown in a table before "… N more" (the JSON results keep everything). */
export const TABLE_ROWS_MAX = 50;

export function resolveHtmlReporterOptions(
  input: HtmlReporterOptions = {},
): Readonly<ResolvedHtmlReporterOptions> {
  return Object.freeze({
    outputFile: input.outputFile ?? DEFAULTS.outputFile,
    mqscenVersion: input.mqscenVersion ?? readMqscenVersion(),
  });
}

export function createHtmlReporter(input?: HtmlReporterOptions): NamedReporter {
  const options = resolveHtmlReporterOptions(input);
  return {
    name: 'html',
    outputFile: options.outputFile,
    async onRunEnd(summary: RunSummary, reason: RunEndReason) {
      const doc: ResultsDocument = {
        schemaVersion: RESULTS_SCHEMA_VERSION,
        mqscen: { version: options.mqscenVersion },
        ...summary,
        reason,
      };
      await writeReportFile(options.outputFile, renderHtmlReport(doc));
      debug('wrote %s', options.outputFile);
    },
  };
}

/** An extra section placed after the run summary (the `compare` matrix uses it). */
export interface HtmlSection {
  title: string;
  html: string;
}

/** The whole page for a results document. Pure apart from reading uPlot from node_modules. */
export function renderHtmlReport(
  doc: ResultsDocument,
  extra: { title?: string; sections?: readonly HtmlSection[] } = {},
): string {
  const charts: ChartSpec[] = [];
  const counts = countStatuses(doc.scenarios);
  const title = extra.title ?? 'mqscen report';
  const targets = uniqueTargets(doc.scenarios);
  const body: string[] = [];
  body.push(`<h1>${esc(title)}</h1>`);
  body.push(
    `<p class="meta">${esc(formatWhen(doc.startedAt))} · ${esc(formatDuration(doc.durationMs))} · run ${esc(doc.reason)} · mqscen ${esc(doc.mqscen.version)} · ${doc.scenarios.length} scenario${doc.scenarios.length === 1 ? '' : 's'}</p>`,
  );
  body.push(
    `<div class="totals">${(['passed', 'failed', 'errored', 'interrupted'] as const)
      .map((k) => `<div><b>${counts[k]}</b>${k}</div>`)
      .join('')}</div>`,
  );
  for (const t of targets) {
    for (const line of t.insecure ?? []) {
      body.push(`<div class="warn">⚠ target <b>${esc(t.name)}</b>: ${esc(line)}</div>`);
    }
  }
  if (targets.length > 0) {
    body.push('<h3>Targets</h3>');
    body.push(
      table(
        ['target', 'kind', 'behaviour', 'transport', 'url'],
        targets.map((t) => [esc(t.name), esc(t.kind), esc(t.behaviour), esc(t.transport), code(t.url)]),
      ),
    );
  }
  for (const section of extra.sections ?? []) {
    body.push(`<h3>${esc(section.title)}</h3>`, section.html);
  }
  if (doc.scenarios.length > 0) {
    body.push('<h3>Scenarios</h3>');
    body.push(
      `<ul>${doc.scenarios
        .map(
          (s, i) =>
            `<li>${badge(s.status)} <a href="#scenario-${i}">${esc(s.name)}</a> <span class="mono">${esc(s.file)}</span></li>`,
        )
        .join('')}</ul>`,
    );
  }
  doc.scenarios.forEach((s, i) => {
    body.push(renderScenario(s, i, charts));
  });

  const data = JSON.stringify({ charts }).replace(/</g, '\\u003c');
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // No favicon request: the file works offline and a viewer logs no failed load.
    '<link rel="icon" href="data:,">',
    `<title>${esc(title)}</title>`,
    `<style>${uplotAsset('uPlot.min.css')}</style>`,
    `<style>${REPORT_CSS}</style>`,
    '</head><body>',
    ...body,
    `<script type="application/json" id="mqscen-data">${data}</script>`,
    `<script>${uplotAsset('uPlot.iife.min.js').replace(/<\/script/gi, '<\\/script')}</script>`,
    `<script>${REPORT_SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}

// --- internal ---

type ChartSpec =
  | {
      kind: 'timeline';
      id: string;
      x: number[];
      series: Array<{ label: string; values: number[]; dash?: boolean; scale?: 'rate' | 'online' }>;
      bands: Array<{ from: number; to: number; label: string; kind: 'offline' | 'fault' }>;
      steps: Array<{ at: number; ref: number }>;
    }
  | { kind: 'latency'; id: string; edges: number[]; counts: number[] };

function renderScenario(s: ScenarioResult, index: number, charts: ChartSpec[]): string {
  const t = publicTarget(s.target);
  const out: string[] = [];
  out.push(`<section class="scenario" id="scenario-${index}">`);
  out.push(
    `<header>${badge(s.status)}<h2>${esc(s.name)}</h2><span class="file">${esc(s.file)}</span></header>`,
  );
  out.push(
    `<p class="meta">${esc(formatDuration(s.durationMs))} · target ${esc(t.name)} (${esc(t.kind)}, behaviour ${esc(t.behaviour)}) · transport ${esc(t.transport)} · MQTT ${esc(s.protocols.join(', ') || '?')} · <span class="mono">${esc(t.url)}</span></p>`,
  );
  if (s.error !== undefined) {
    out.push(`<div class="warn"><b>${esc(s.error.code)}</b> ${esc(s.error.message)}</div>`);
  }

  out.push('<h3>Assertions</h3>');
  out.push(
    s.assertions.length === 0
      ? '<p class="more">no assertions</p>'
      : table(
          ['', 'assertion', 'expected', 'got', 'rules · at'],
          s.assertions.map((a) => [
            badge(assertionStatus(a)),
            esc(a.label) + detailsList(a),
            esc(a.expected),
            esc(a.status === 'skipped' ? (a.skipReason ?? 'skipped') : a.actual),
            `${esc((a.rules ?? []).join(', '))}${a.source ? `<br><span class="mono">${esc(a.source)}</span>` : ''}`,
          ]),
        ),
  );

  const timeline = s.timeline === undefined ? undefined : timelineChart(`timeline-${index}`, s);
  if (timeline !== undefined && timeline.kind === 'timeline' && timeline.series.length > 0) {
    const id = timeline.id;
    charts.push(timeline);
    out.push('<h3>Timeline</h3>');
    out.push(
      `<div class="chart" id="${id}"></div><p class="meta">Rates per ${esc(formatDuration(s.timeline?.bucketMs ?? 0))}, per declared client (instances aggregated). Shaded: clients offline (amber) and faults (red); dashed lines: step starts, numbered as below.</p>`,
    );
  }

  if (s.steps.length > 0) {
    out.push('<details><summary>Steps</summary>');
    out.push(
      table(
        ['#', 'step', 'status', 'start', 'took', 'notes'],
        s.steps.map((st) => [
          String(st.ref),
          esc(st.label),
          badge(st.status),
          `+${(st.startedAtMs / 1000).toFixed(3)}s`,
          esc(formatDuration(st.durationMs)),
          esc([st.error, ...st.notes].filter((x) => x !== undefined && x !== '').join('; ')),
        ]),
      ),
    );
    out.push('</details>');
  }

  if (s.latency !== undefined) {
    const id = `latency-${index}`;
    charts.push(latencyChart(id, s.latency));
    out.push('<h3>Latency</h3>');
    out.push(
      `<div class="grid"><div>${latencyTable(s.latency)}</div><div class="chart" id="${id}"></div></div>`,
    );
    const cross = s.latency.crossShard;
    if (cross !== undefined && cross.pairs > 0) {
      // Two clocks: the publisher's shard stamped the send, the receiver's shard the receipt.
      out.push(
        `<p class="meta">${cross.pairs} of these deliveries crossed shards (publisher and receiver on different shards): their latency compares two clocks, aligned through the coordinator to within ±${esc(cross.clockUncertaintyMs.toFixed(2))} ms.</p>`,
      );
    }
  }

  const share = shareSection(s);
  if (share !== '') out.push('<h3>$share groups: deliveries per member</h3>', share);

  const problems = messageProblems(s);
  if (problems !== '') out.push('<h3>Lost, duplicate and out-of-order messages</h3>', problems);

  const broker = brokerSection(s);
  if (broker !== '') out.push('<h3>Broker counters</h3>', broker);

  out.push('</section>');
  return out.join('\n');
}

function assertionStatus(a: AssertionResult): string {
  return a.status === 'skipped' && /not evaluated/i.test(a.skipReason ?? '') ? 'not-evaluated' : a.status;
}

function detailsList(a: AssertionResult): string {
  if (a.status !== 'failed' || a.details.length === 0) return '';
  const shown = a.details.slice(0, TABLE_ROWS_MAX);
  const more = a.details.length - shown.length;
  return `<ul class="details">${shown.map((d) => `<li>${esc(d)}</li>`).join('')}${more > 0 ? `<li class="more">… ${more} more</li>` : ''}</ul>`;
}

function timelineChart(id: string, s: ScenarioResult): ChartSpec {
  const t = s.timeline as ScenarioTimeline;
  const perSecond = 1000 / t.bucketMs;
  const x = Array.from({ length: t.buckets }, (_, i) => round3((i * t.bucketMs) / 1000));
  const series: Array<{ label: string; values: number[]; dash?: boolean; scale?: 'rate' | 'online' }> = [];
  const bands: Array<{ from: number; to: number; label: string; kind: 'offline' | 'fault' }> = [];
  for (const c of t.series) {
    const name = c.instances > 1 ? `${c.client} ×${c.instances}` : c.client;
    if (sum(c.published) > 0) {
      series.push({ label: `published by ${name}`, values: c.published.map((v) => v * perSecond) });
      series.push({ label: `acked to ${name}`, values: c.acked.map((v) => v * perSecond), dash: true });
    }
    if (sum(c.received) > 0) {
      series.push({ label: `received by ${name}`, values: c.received.map((v) => v * perSecond) });
    }
    // Offline windows: between the first and the last bucket with anyone connected, where fewer
    // than all instances were (before the first connect and after teardown is not "offline").
    const first = c.online.findIndex((v) => v > 0);
    const last = c.online.length - 1 - [...c.online].reverse().findIndex((v) => v > 0);
    if (first < 0) continue;
    let varies = false;
    let start = -1;
    for (let b = first; b <= last + 1; b++) {
      const down = b <= last && (c.online[b] ?? 0) < c.instances;
      if (down && start < 0) start = b;
      if (!down && start >= 0) {
        varies = true;
        const low = Math.min(...c.online.slice(start, b));
        bands.push({
          from: round3((start * t.bucketMs) / 1000),
          to: round3((b * t.bucketMs) / 1000),
          label: c.instances > 1 ? `${c.client}: ${c.instances - low} offline` : `${c.client} offline`,
          kind: 'offline',
        });
        start = -1;
      }
    }
    if (varies && c.instances > 1) {
      series.push({ label: `${name} online`, values: c.online, scale: 'online' });
    }
  }
  for (const f of t.faults ?? []) {
    bands.push({
      from: round3(f.atMs / 1000),
      to: round3((f.untilMs ?? f.atMs + t.bucketMs) / 1000),
      label: f.client ? `${f.label} (${f.client})` : f.label,
      kind: 'fault',
    });
  }
  const steps = s.steps.map((st) => ({ at: round3(st.startedAtMs / 1000), ref: st.ref }));
  return {
    kind: 'timeline',
    id,
    x,
    series: series.map((v) => ({ ...v, values: v.values.map(round3) })),
    bands,
    steps,
  };
}

function latencyChart(id: string, l: LatencySummary): ChartSpec {
  return { kind: 'latency', id, edges: l.bins.map((b) => b.upToMs), counts: l.bins.map((b) => b.count) };
}

function latencyTable(l: LatencySummary): string {
  const ms = (v: number) => `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ms`;
  return table(
    ['deliveries', 'min', 'mean', 'p50', 'p90', 'p95', 'p99', 'p99.9', 'max'],
    [
      [
        String(l.count),
        ms(l.minMs),
        ms(l.meanMs),
        ms(l.p50Ms),
        ms(l.p90Ms),
        ms(l.p95Ms),
        ms(l.p99Ms),
        ms(l.p999Ms),
        ms(l.maxMs),
      ],
    ],
    true,
  );
}

interface AudienceRow {
  publisher?: string;
  step?: number;
  topic?: string;
  messages?: string;
  audience?: string;
  owed?: number;
  delivered?: number;
  reason?: string;
  perMember?: Record<string, number>;
  [key: string]: unknown;
}

const AUDIENCE_KEYS = new Set([
  'publisher',
  'step',
  'topic',
  'messages',
  'audience',
  'qos',
  'states',
  'owed',
  'delivered',
  'reason',
  'perMember',
]);

function audienceOf(s: ScenarioResult): AudienceRow[] {
  const a = (s.oracle as { audience?: unknown } | undefined)?.audience;
  return Array.isArray(a) ? (a as AudienceRow[]) : [];
}

function shareSection(s: ScenarioResult): string {
  const groups = audienceOf(s).filter(
    (r) => r.perMember !== undefined && String(r.audience).startsWith('group'),
  );
  if (groups.length === 0) return '';
  return groups
    .slice(0, TABLE_ROWS_MAX)
    .map((g) => {
      const members = Object.entries(g.perMember ?? {}).sort((a, b) => b[1] - a[1]);
      const max = Math.max(1, ...members.map(([, n]) => n));
      const head = `<p><b>${esc(String(g.audience))}</b> · ${esc(g.publisher ?? '')} ${esc(g.messages ?? '')} on <code>${esc(g.topic ?? '')}</code> (step ${esc(String(g.step ?? '?'))}) · owed ${esc(String(g.owed ?? '?'))}, delivered ${esc(String(g.delivered ?? '?'))}</p>`;
      if (members.length > 20) {
        const counts = members.map(([, n]) => n).sort((a, b) => a - b);
        const at = (q: number) => counts[Math.min(counts.length - 1, Math.floor(q * counts.length))] ?? 0;
        return `${head}${table(
          ['members that got any', 'min', 'median', 'p90', 'max'],
          [
            [
              String(members.length),
              String(counts[0] ?? 0),
              String(at(0.5)),
              String(at(0.9)),
              String(counts.at(-1) ?? 0),
            ],
          ],
          true,
        )}${memberRows(members.slice(0, 10), max)}<p class="more">top 10 of ${members.length} members</p>`;
      }
      return members.length === 0
        ? `${head}<p class="more">no member got any of these</p>`
        : `${head}${memberRows(members, max)}`;
    })
    .join('\n');
}

function memberRows(members: Array<[string, number]>, max: number): string {
  return table(
    ['member', 'deliveries', ''],
    members.map(([name, n]) => [
      esc(name),
      String(n),
      `<span class="bar" style="width:${Math.max(1, Math.round((n / max) * 240))}px"></span>`,
    ]),
  );
}

function messageProblems(s: ScenarioResult): string {
  const parts: string[] = [];
  const missing = audienceOf(s).filter((r) =>
    Object.entries(r).some(([k, v]) => !AUDIENCE_KEYS.has(k) && typeof v === 'number' && v > 0),
  );
  if (missing.length > 0) {
    parts.push(
      table(
        ['messages', 'topic', 'audience', 'owed', 'delivered', 'missing', 'reason'],
        missing.slice(0, TABLE_ROWS_MAX).map((r) => [
          esc(`${r.publisher ?? ''} ${r.messages ?? ''}`),
          code(r.topic ?? ''),
          esc(String(r.audience ?? '')),
          String(r.owed ?? ''),
          String(r.delivered ?? ''),
          esc(
            Object.entries(r)
              .filter(([k, v]) => !AUDIENCE_KEYS.has(k) && typeof v === 'number')
              .map(([k, v]) => `${v} ${k}`)
              .join(', '),
          ),
          esc(r.reason ?? ''),
        ]),
      ) + more(missing.length),
    );
  }
  const receivers = (s.oracle as { receivers?: unknown } | undefined)?.receivers;
  const noisy = Array.isArray(receivers)
    ? (receivers as Array<{ name: string; received: number; duplicates: number; outOfOrder: number }>).filter(
        (r) => r.duplicates > 0 || r.outOfOrder > 0,
      )
    : [];
  if (noisy.length > 0) {
    parts.push(
      table(
        ['receiver', 'received', 'duplicates', 'out of order'],
        noisy
          .slice(0, TABLE_ROWS_MAX)
          .map((r) => [esc(r.name), String(r.received), String(r.duplicates), String(r.outOfOrder)]),
        true,
      ) + more(noisy.length),
    );
  }
  const evidence = s.assertions.filter(
    (a) =>
      a.status === 'failed' &&
      /^(no-loss|duplicates|ordered|shared-group|received)/.test(a.kind) &&
      a.details.length > 0,
  );
  for (const a of evidence) {
    parts.push(`<p><b>${esc(a.label)}</b>: ${esc(a.actual)}</p>${detailsList(a)}`);
  }
  return parts.join('\n');
}

function brokerSection(s: ScenarioResult): string {
  const stats = s.brokerStats as
    | {
        totals?: Record<string, unknown>;
        groups?: Record<string, Record<string, unknown>>;
        clients?: Record<string, Record<string, unknown>>;
      }
    | undefined;
  if (stats === undefined) return '';
  const parts: string[] = [];
  const flat = (o: Record<string, unknown>): Array<[string, string]> =>
    Object.entries(o).flatMap(
      ([k, v]): Array<[string, string]> =>
        v !== null && typeof v === 'object'
          ? Object.entries(v as Record<string, unknown>).map(([k2, v2]) => [`${k}.${k2}`, String(v2)])
          : [[k, String(v)]],
    );
  if (stats.totals !== undefined) {
    const cells = flat(stats.totals);
    parts.push(
      table(
        cells.map(([k]) => esc(k)),
        [cells.map(([, v]) => esc(v))],
        true,
      ),
    );
  }
  for (const [label, map] of [
    ['group', stats.groups],
    ['client', stats.clients],
  ] as const) {
    const rows = Object.entries(map ?? {}).sort(
      (a, b) => Number(b[1]['delivered'] ?? 0) - Number(a[1]['delivered'] ?? 0),
    );
    if (rows.length === 0) continue;
    const keys = [...new Set(rows.slice(0, TABLE_ROWS_MAX).flatMap(([, v]) => flat(v).map(([k]) => k)))];
    parts.push(
      table(
        [label, ...keys.map(esc)],
        rows.slice(0, TABLE_ROWS_MAX).map(([name, v]) => {
          const cells = new Map(flat(v));
          return [code(name), ...keys.map((k) => esc(cells.get(k) ?? ''))];
        }),
        true,
      ) + more(rows.length),
    );
  }
  return parts.join('\n');
}

function uniqueTargets(scenarios: readonly ScenarioResult[]): Array<ScenarioResult['target']> {
  const seen = new Map<string, ScenarioResult['target']>();
  for (const s of scenarios) {
    const t = publicTarget(s.target);
    const key = `${t.name}\u0000${t.url}`;
    if (!seen.has(key)) seen.set(key, t);
  }
  return [...seen.values()];
}

function table(head: readonly string[], rows: ReadonlyArray<readonly string[]>, numeric = false): string {
  const cls = (i: number) => (numeric && i > 0 ? ' class="num"' : '');
  return `<table><thead><tr>${head.map((h, i) => `<th${cls(i)}>${h}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c, i) => `<td${cls(i)}>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function more(total: number): string {
  return total > TABLE_ROWS_MAX
    ? `<p class="more">… ${total - TABLE_ROWS_MAX} more (all in results.json)</p>`
    : '';
}

function badge(status: string): string {
  return `<span class="badge ${esc(status)}">${esc(status)}</span>`;
}

function code(text: string): string {
  return `<code>${esc(text)}</code>`;
}

function esc(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

function formatWhen(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

const require = createRequire(import.meta.url);
const assets = new Map<string, string>();

/** uPlot's own files, from the installed package (a dependency: present wherever mqscen runs). */
function uplotAsset(name: 'uPlot.min.css' | 'uPlot.iife.min.js'): string {
  let text = assets.get(name);
  if (text === undefined) {
    text = readFileSync(require.resolve(`uplot/dist/${name}`), 'utf8');
    assets.set(name, text);
  }
  return text;
}
