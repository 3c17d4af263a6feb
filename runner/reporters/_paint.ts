/**
 * What the live view and the plain reporter draw alike: ANSI colours (off when the output is not a
 * colour terminal) and the one line a finished step gets.
 */
import type { AssertionResult, StepResult } from '../results.js';
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
