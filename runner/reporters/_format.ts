/**
 * Formatting shared by the reporters, so the live view, the plain lines and the JUnit file say the
 * same thing in the same words ("expected … / got …", style rule 7). Internal to runner/reporters.
 */
import { isAbsolute, relative, sep } from 'node:path';
import type { AssertionResult, Counters, RunSummary, ScenarioResult, StepResult } from '../results.js';
import { redactUrl } from '../transports/url.js';
import { version } from '../version.js';

/** `250ms`, `4.2s`, `1m 04s`: short enough for a step line, precise enough to compare runs. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '0ms';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes}m ${String(seconds).padStart(2, '0')}s`;
}

/** Seconds with millisecond precision, as JUnit's `time` attribute wants (xs:decimal, SUREFIRE_TIME). */
export function formatSeconds(ms: number): string {
  return (Math.max(0, Number.isFinite(ms) ? ms : 0) / 1000).toFixed(3);
}

/**
 * `published 20 · acked 20 · received 14 · pending 6` (duplicates only when there are some);
 * while clients connect, `connected 3,200/10,000 · refused 0 · connecting 6,800` first.
 */
export function formatCounters(c: Counters): string {
  const n = (v: number) => v.toLocaleString('en-US');
  const fleet =
    c.connects === undefined
      ? []
      : [
          `connected ${n(c.connects.connected)}/${n(c.connects.total)}`,
          `refused ${n(c.connects.refused)}`,
          `connecting ${n(c.connects.pending)}`,
        ];
  const parts = [
    ...fleet,
    `published ${c.published}`,
    `acked ${c.acked}`,
    `received ${c.received}`,
    `pending ${c.pending}`,
  ];
  if (c.duplicates > 0) parts.push(`duplicates ${c.duplicates}`);
  return parts.join(' · ');
}

/** The one failure sentence every reporter prints: "expected … / got …". */
export function formatExpectation(a: Pick<AssertionResult, 'expected' | 'actual'>): string {
  return `expected ${a.expected} / got ${a.actual}`;
}

/** Why an assertion was skipped, in one phrase. */
export function formatSkipReason(a: AssertionResult): string {
  return a.skipReason ?? 'skipped';
}

/** What a step did, after its label: `passed in 12ms; sessionPresent=false`. */
export function formatStepOutcome(step: StepResult): string {
  const parts = [`${step.status} in ${formatDuration(step.durationMs)}`];
  if (step.error !== undefined) parts.push(step.error);
  parts.push(...step.notes);
  return parts.join('; ');
}

/** The step timeline of a scenario, one line per top-level step (JUnit system-out, JSON-free views). */
export function formatTimeline(result: ScenarioResult): string {
  const lines = result.steps.map(
    (s) => `+${formatSeconds(s.startedAtMs)}s  [${s.ref}] ${s.label}  ${formatStepOutcome(s)}`,
  );
  lines.push(`counters: ${formatCounters(result.counters)}`);
  // What the AWS IoT policy refused (POL-10), and why: a silent Receive denial shows only here.
  for (const r of result.policyRefusals ?? []) {
    lines.push(
      `refused by policy: ${r.action} on ${r.resource} for ${r.client}${r.count > 1 ? ` (${r.count} times)` : ''}: ${r.reason}`,
    );
  }
  if (result.error !== undefined)
    lines.push(`${result.status}: ${result.error.code} ${result.error.message}`);
  return lines.join('\n');
}

export interface StatusCounts {
  passed: number;
  failed: number;
  errored: number;
  interrupted: number;
}

/** Counts scenarios by status from the results themselves (the summary's totals may lump them). */
export function countStatuses(scenarios: readonly ScenarioResult[]): StatusCounts {
  const counts: StatusCounts = { passed: 0, failed: 0, errored: 0, interrupted: 0 };
  for (const s of scenarios) counts[s.status] += 1;
  return counts;
}

/** `2 passed, 1 failed (3 scenarios) in 4.2s`, plus errored/interrupted counts when non-zero. */
export function formatSummaryLine(summary: RunSummary): string {
  const c = countStatuses(summary.scenarios);
  const parts = [`${c.passed} passed`, `${c.failed} failed`];
  if (c.errored > 0) parts.push(`${c.errored} errored`);
  if (c.interrupted > 0) parts.push(`${c.interrupted} interrupted`);
  const n = summary.scenarios.length;
  const line = `${parts.join(', ')} (${n} scenario${n === 1 ? '' : 's'}) in ${formatDuration(summary.durationMs)}`;
  return summary.reason === 'interrupted' ? `${line}, run interrupted` : line;
}

/** Only the target fields a report may show (a target object may carry more, e.g. credentials). */
export function publicTarget(target: ScenarioResult['target']): ScenarioResult['target'] {
  const shown: ScenarioResult['target'] = {
    name: target.name,
    kind: target.kind,
    behaviour: target.behaviour,
    transport: target.transport,
    url: redactUrl(target.url),
  };
  if (target.insecure !== undefined && target.insecure.length > 0) shown.insecure = [...target.insecure];
  return shown;
}

/** `warning: target "x": …`, one line per insecure setting (empty when there are none). */
export function formatInsecurity(target: ScenarioResult['target']): string[] {
  return (target.insecure ?? []).map((s) => `warning: target "${target.name}": ${s}`);
}

/**
 * JUnit classname for a scenario file: its path relative to the nearest `scenarios/` folder (else
 * to the working directory), without extension, with `/` separators: `scenarios/qos/zero.yaml` →
 * `qos/zero`.
 */
export function classnameFor(file: string, cwd: string = process.cwd()): string {
  let rel = isAbsolute(file) ? relative(cwd, file) : file;
  // Outside the working directory: the path without its leading `../` (a classname is a name, not a path).
  rel = rel
    .split(sep)
    .join('/')
    .replace(/^(\.\.?\/)+/, '');
  const marker = rel.lastIndexOf('scenarios/');
  if (marker === 0 || (marker > 0 && rel[marker - 1] === '/')) rel = rel.slice(marker + 'scenarios/'.length);
  return rel.replace(/\.[^./]+$/, '') || file;
}

/** mqscen's version (runner/version.ts). */
export function readMqscenVersion(): string {
  return version;
}
