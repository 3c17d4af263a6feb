/**
 * The cross-broker matrix of `mqscen compare`: the same scenarios run on several targets, one row
 * per scenario and per assertion, one column per target, each cell the verdict and the observed
 * value ("✔ 10 messages distributed: member[1] 3, member[2] 7"). An assertion limited with `on:`
 * to another behaviour is "n/a" there, so a row whose applicable cells disagree, or that applies
 * on some targets only, is marked as a difference. Written as a Markdown table (terminal and
 * README alike), compare.json, JUnit (one suite per target) and a section of the HTML report.
 */
import { hostname as osHostname } from 'node:os';
import xmlbuilder from 'xmlbuilder';
import type { AssertionResult, RunSummary, ScenarioResult } from '../results.js';
import { classnameFor, formatSeconds, publicTarget } from './_format.js';
import type { HtmlSection } from './html.js';
import { shortFailureMessage } from './junit.js';

export const COMPARE_SCHEMA_VERSION = 1;

export type CellStatus = 'passed' | 'failed' | 'n/a' | 'skipped' | 'not evaluated' | 'errored' | 'not run';

export interface CompareCell {
  status: CellStatus;
  /** What was observed (the assertion's "got"), or why there is nothing. */
  observed: string;
}

export interface CompareRow {
  file: string;
  scenario: string;
  /** The assertion label, or undefined for the scenario's own row. */
  assertion?: string;
  /** Target name → cell, in the targets' order. */
  cells: Record<string, CompareCell>;
  /** The targets do not agree on this row. */
  differs: boolean;
}

export interface CompareDocument {
  schemaVersion: number;
  kind: 'compare';
  mqscen: { version: string };
  startedAt: string;
  targets: Array<ScenarioResult['target']>;
  rows: CompareRow[];
  /** Each target's full run summary, as `run --json` writes it. */
  runs: Record<string, RunSummary>;
}

/** Builds the matrix from one summary per target (keys in column order). */
export function buildComparison(
  runs: ReadonlyArray<{ target: string; summary: RunSummary }>,
  meta: { version: string; startedAt: string },
): CompareDocument {
  const names = runs.map((r) => r.target);
  const rows: CompareRow[] = [];
  // Scenario order: as the first target ran them, then any only another target has.
  const keys: Array<{ file: string; name: string }> = [];
  const seen = new Set<string>();
  for (const { summary } of runs) {
    for (const s of summary.scenarios) {
      const k = `${s.file}\u0000${s.name}`;
      if (!seen.has(k)) {
        seen.add(k);
        keys.push({ file: s.file, name: s.name });
      }
    }
  }
  for (const key of keys) {
    const results = runs.map((r) =>
      r.summary.scenarios.find((s) => s.file === key.file && s.name === key.name),
    );
    const scenarioCells: Record<string, CompareCell> = {};
    results.forEach((s, i) => {
      scenarioCells[names[i] as string] =
        s === undefined
          ? { status: 'not run', observed: 'not run' }
          : {
              status: s.status === 'passed' || s.status === 'failed' ? s.status : 'errored',
              observed: s.error?.message ?? s.status,
            };
    });
    rows.push({ file: key.file, scenario: key.name, cells: scenarioCells, differs: differs(scenarioCells) });
    const labels: string[] = [];
    for (const s of results)
      for (const a of s?.assertions ?? []) if (!labels.includes(a.label)) labels.push(a.label);
    for (const label of labels) {
      const cells: Record<string, CompareCell> = {};
      results.forEach((s, i) => {
        const a = s?.assertions.find((x) => x.label === label);
        cells[names[i] as string] = a === undefined ? { status: 'not run', observed: '' } : cellOf(a);
      });
      rows.push({ file: key.file, scenario: key.name, assertion: label, cells, differs: differs(cells) });
    }
  }
  const targets = runs.map((r) => {
    const first = r.summary.scenarios[0];
    return first === undefined
      ? { name: r.target, kind: '?', behaviour: '?', transport: '?', url: '' }
      : publicTarget(first.target);
  });
  return {
    schemaVersion: COMPARE_SCHEMA_VERSION,
    kind: 'compare',
    mqscen: { version: meta.version },
    startedAt: meta.startedAt,
    targets,
    rows,
    runs: Object.fromEntries(runs.map((r) => [r.target, r.summary])),
  };
}

/** A Markdown table: readable in a terminal, pasted as is into a README. */
export function formatComparisonTable(doc: CompareDocument, cellWidth = 56): string {
  const names = doc.targets.map((t) => t.name);
  const header = ['scenario / assertion', ...names, ''];
  const lines = [row(header), row(header.map(() => '---'))];
  for (const r of doc.rows) {
    const first = r.assertion === undefined ? `**${r.scenario}**` : `  ${r.assertion}`;
    const cells = names.map((n) => cellText(r.cells[n], r.assertion === undefined ? 0 : cellWidth));
    lines.push(row([first, ...cells, r.differs ? '≠' : '']));
  }
  return `${lines.join('\n')}\n`;
}

/** JUnit with one `<testsuite>` per target; testcases `scenario › assertion`. */
export function buildComparisonJUnit(
  doc: CompareDocument,
  cwd = process.cwd(),
  hostname = osHostname(),
): string {
  const root = xmlbuilder.create('testsuites', {
    version: '1.0',
    encoding: 'UTF-8',
    invalidCharReplacement: '',
  });
  doc.targets.forEach((target, index) => {
    const summary = doc.runs[target.name];
    const scenarios = summary?.scenarios ?? [];
    const cases: Array<{ s: ScenarioResult; a: AssertionResult | undefined }> = scenarios.flatMap((s) =>
      s.assertions.length > 0
        ? s.assertions.map((a) => ({ s, a: a as AssertionResult | undefined }))
        : [{ s, a: undefined }],
    );
    const failures = cases.filter((c) => c.a?.status === 'failed').length;
    const errors = cases.filter((c) => c.a === undefined && c.s.status !== 'passed').length;
    const skipped = cases.filter((c) => c.a?.status === 'skipped').length;
    const suite = root.ele('testsuite', {
      name: target.name,
      tests: cases.length,
      failures,
      errors,
      skipped,
      time: formatSeconds(summary?.durationMs ?? 0),
      timestamp: (summary?.startedAt ?? doc.startedAt).slice(0, 19),
      hostname,
      id: index,
      package: target.name,
    });
    const props = suite.ele('properties');
    for (const [k, v] of Object.entries({
      'target.kind': target.kind,
      behaviour: target.behaviour,
      transport: target.transport,
      url: target.url,
      'mqscen.version': doc.mqscen.version,
    }))
      props.ele('property', { name: k, value: v });
    if (target.insecure !== undefined && target.insecure.length > 0)
      props.ele('property', { name: 'insecure', value: target.insecure.join('; ') });
    for (const { s, a } of cases) {
      const tc = suite.ele('testcase', {
        classname: classnameFor(s.file, cwd),
        name: a === undefined ? s.name : `${s.name} › ${a.label}`,
        time: formatSeconds(s.durationMs),
      });
      if (a === undefined) {
        if (s.status !== 'passed')
          tc.ele('error', { message: s.error?.message ?? s.status, type: s.error?.code ?? s.status });
      } else if (a.status === 'failed') {
        tc.ele(
          'failure',
          { message: shortFailureMessage(a), type: a.kind },
          `expected: ${a.expected}\ngot: ${a.actual}`,
        );
      } else if (a.status === 'skipped') {
        tc.ele('skipped', { message: a.skipReason ?? 'skipped' });
      }
    }
    suite.ele('system-out', {}, '');
    suite.ele('system-err', {}, '');
  });
  return `${root.end({ pretty: true })}\n`;
}

/** The matrix as an HTML section for the report page. */
export function comparisonSection(doc: CompareDocument): HtmlSection {
  const names = doc.targets.map((t) => t.name);
  const head = `<tr><th>scenario / assertion</th>${names.map((n) => `<th>${esc(n)}</th>`).join('')}</tr>`;
  const body = doc.rows
    .map((r) => {
      const first =
        r.assertion === undefined ? `<b>${esc(r.scenario)}</b>` : `&nbsp;&nbsp;${esc(r.assertion)}`;
      const cells = names
        .map((n) => {
          const c = r.cells[n];
          const cls = `cell-${(c?.status ?? 'na').replace(/[^a-z]+/g, '-').replace(/^n-a$/, 'na')}${r.differs ? ' differs' : ''}`;
          return `<td class="${cls}">${esc(cellText(c, 0))}</td>`;
        })
        .join('');
      return `<tr><td>${first}</td>${cells}</tr>`;
    })
    .join('');
  return {
    title: `Comparison across ${names.length} targets (outlined: the targets differ)`,
    html: `<table class="matrix"><thead>${head}</thead><tbody>${body}</tbody></table>`,
  };
}

// --- internal ---

function cellOf(a: AssertionResult): CompareCell {
  if (a.status === 'passed' || a.status === 'failed') return { status: a.status, observed: a.actual };
  const reason = a.skipReason ?? '';
  if (/not evaluated/i.test(reason)) return { status: 'not evaluated', observed: reason };
  // `on:` limited it to another behaviour: the assertion does not apply to this broker.
  if (/\bonly\b/i.test(reason)) return { status: 'n/a', observed: reason };
  return { status: 'skipped', observed: reason };
}

function differs(cells: Record<string, CompareCell>): boolean {
  const statuses = new Set(Object.values(cells).map((c) => c.status));
  return statuses.size > 1;
}

const ICONS: Record<CellStatus, string> = {
  passed: '✔',
  failed: '✖',
  'n/a': '',
  skipped: '↓',
  'not evaluated': '■',
  errored: '■',
  'not run': '',
};

function cellText(c: CompareCell | undefined, width: number): string {
  if (c === undefined || c.status === 'not run') return 'not run';
  if (c.status === 'n/a') return 'n/a';
  if (width === 0)
    return c.status === 'errored' ? `■ ${c.observed}` : `${ICONS[c.status]} ${c.status}`.trim();
  const text = `${ICONS[c.status]} ${c.observed || c.status}`.trim();
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

function row(cells: readonly string[]): string {
  return `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
