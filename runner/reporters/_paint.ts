/**
 * What the live view and the plain reporter draw alike: ANSI colours (off when the output is not a
 * colour terminal), the line of a finished step and of an assertion, and a finished scenario's block.
 */
import type { AssertionResult, ScenarioResult, StepResult } from '../results.js';
import { formatDuration, formatExpectation, formatSkipReason } from './_format.js';

export interface Painter {
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

export function createPainter(enabled: boolean): Painter {
  const wrap =
    (open: number, close: number) =>
    (s: string): string =>
      enabled ? `\u001b[${open}m${s}\u001b[${close}m` : s;
  return {
    green: wrap(32, 39),
    red: wrap(31, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
    dim: wrap(2, 22),
    bold: wrap(1, 22),
  };
}

const STEP_ICONS: Record<StepResult['status'], string> = {
  passed: '✔',
  warning: '⚠',
  failed: '✖',
  skipped: '↓',
  interrupted: '■',
};

/** `✔ [3] settle ≤ 5s  12ms  notes…`: symbol and colour follow the step's status. */
export function stepLine(step: StepResult, paint: Painter): string {
  const icon = STEP_ICONS[step.status];
  const colored =
    step.status === 'passed'
      ? paint.green(icon)
      : step.status === 'failed'
        ? paint.red(icon)
        : paint.yellow(icon);
  const parts = [`${colored} [${step.ref}] ${step.label}`, paint.dim(formatDuration(step.durationMs))];
  if (step.status !== 'passed') parts.push(step.status);
  if (step.error !== undefined) parts.push(paint.red(step.error));
  if (step.notes.length > 0) parts.push(step.notes.join(', '));
  return parts.join('  ');
}

/** An assertion the run could not judge (interrupted, cut short): never shown as passed. */
export function isNotEvaluated(a: AssertionResult): boolean {
  return a.status === 'skipped' && /not evaluated/i.test(a.skipReason ?? '');
}

/** An assertion's lines: ✔ passed, ■ not evaluated, ↓ skipped, ✖ failed with its evidence and `at file:line:col`. */
export function assertionLines(a: AssertionResult, paint: Painter, maxDetails: number): string[] {
  if (a.status === 'passed') return [`${paint.green('✔')} ${a.label}`];
  if (isNotEvaluated(a)) return [`${paint.yellow('■')} ${a.label} — ${formatSkipReason(a)}`];
  if (a.status === 'skipped') return [`${paint.yellow('↓')} ${a.label} — skipped: ${formatSkipReason(a)}`];
  const lines = [`${paint.red('✖')} ${a.label} — ${formatExpectation(a)}`];
  const shown = a.details.slice(0, maxDetails);
  for (const d of shown) lines.push(`    ${paint.dim(d)}`);
  if (a.details.length > shown.length)
    lines.push(`    ${paint.dim(`… ${a.details.length - shown.length} more`)}`);
  if (a.source !== undefined) lines.push(`    ${paint.dim(`at ${a.source}`)}`);
  return lines;
}

/** The block of a scenario whose result came (the non-terminal output). */
export function finalBlock(result: ScenarioResult, paint: Painter, maxDetails: number): string[] {
  const lines = [`${titleLine(result, paint)} ${paint.dim(`(${result.file})`)}`];
  for (const s of result.steps) lines.push(`  ${stepLine(s, paint)}`);
  for (const l of resultLines(result, paint)) lines.push(`  ${l}`);
  if (result.assertions.length > 0) {
    lines.push(`  ${assertionsHeader(result, paint)}`);
    for (const a of result.assertions) {
      for (const line of assertionLines(a, paint, maxDetails)) lines.push(`    ${line}`);
    }
  }
  return lines;
}

/** A result's lines between its steps and its assertions: the error of a scenario that did not pass. */
export function resultLines(result: ScenarioResult, paint: Painter): string[] {
  if (result.error === undefined || result.status === 'passed') return [];
  return [`${result.status === 'interrupted' ? paint.yellow('■') : paint.red('■')} ${result.error.message}`];
}

/** `✔ assertions: 3 passed`; never green when any failed or none was evaluated. */
export function assertionsHeader(result: ScenarioResult, paint: Painter): string {
  const n = (f: (a: AssertionResult) => boolean) => result.assertions.filter(f).length;
  const passed = n((a) => a.status === 'passed');
  const failed = n((a) => a.status === 'failed');
  const notEvaluated = n(isNotEvaluated);
  const skipped = n((a) => a.status === 'skipped') - notEvaluated;
  const parts = [`${passed} passed`];
  if (failed > 0) parts.push(`${failed} failed`);
  if (skipped > 0) parts.push(`${skipped} skipped`);
  if (notEvaluated > 0) parts.push(`${notEvaluated} not evaluated`);
  const text = `assertions: ${parts.join(', ')}`;
  if (failed > 0) return paint.red(`✖ ${text}`);
  if (notEvaluated > 0) return paint.yellow(`■ ${text}`);
  if (passed === 0) return paint.yellow(`↓ ${text}`);
  return `${paint.green('✔')} ${text}`;
}

/** The verdict title: symbol and colour follow the scenario's status. */
export function titleLine(result: ScenarioResult, paint: Painter): string {
  const time = formatDuration(result.durationMs);
  switch (result.status) {
    case 'passed':
      return paint.green(`✔ ${result.name} — passed in ${time}`);
    case 'failed': {
      const failed = result.assertions.filter((a) => a.status === 'failed').length;
      const failedSteps = result.steps.filter((s) => s.status === 'failed').map((s) => `[${s.ref}]`);
      const why =
        failed > 0 || failedSteps.length === 0
          ? `${failed} of ${result.assertions.length} assertions`
          : `step ${failedSteps.join(', ')}`;
      return paint.red(`✖ ${result.name} — failed (${why}) in ${time}`);
    }
    case 'errored':
      return paint.red(
        `■ ${result.name} — errored${result.error === undefined ? '' : `: ${result.error.message}`}`,
      );
    case 'interrupted':
      return paint.yellow(
        `■ ${result.name} — interrupted${result.error === undefined ? '' : `: ${result.error.message}`}`,
      );
  }
}
