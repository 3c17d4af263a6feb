/**
 * Plain reporter: one line per event, for CI logs, pipes and NO_COLOR terminals. Lines go to
 * stdout (they are the run's report; diagnostics and errors go to stderr), are never redrawn, and
 * carry ANSI colour only on a TTY without NO_COLOR.
 */
import createDebug from 'debug';
import type { Counters, RunEndReason, RunSummary, ScenarioResult, StepResult } from '../results.js';
import {
  formatCounters,
  formatDuration,
  formatInsecurity,
  formatSummaryLine,
  publicTarget,
} from './_format.js';
import { assertionLines, createPainter, type Painter, stepLine } from './_paint.js';
import type { NamedReporter } from './index.js';
import type { RunStartInfo, ScenarioStartInfo } from './reporter.js';

const debug = createDebug('mqscen:reporters:plain');

/** Anything with `write`, like process.stdout or a test buffer. */
export interface TextSink {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface PlainReporterOptions {
  /** Where the lines go. @default process.stdout */
  stream?: TextSink;
  /** Environment read for NO_COLOR. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** `auto`: colour only when `stream` is a TTY and NO_COLOR is unset or empty. @default 'auto' */
  color?: 'auto' | boolean;
  /** Evidence lines printed under a failed assertion before "… N more". @default 10 */
  maxDetails?: number;
  /** A running step prints a counters line at most this often, ms; 0 = never. @default 5000 */
  progressIntervalMs?: number;
}

export interface ResolvedPlainReporterOptions {
  stream: TextSink;
  color: boolean;
  maxDetails: number;
  progressIntervalMs: number;
}

const DEFAULTS = { color: 'auto', maxDetails: 10, progressIntervalMs: 5000 } as const;

export function resolvePlainReporterOptions(
  input: PlainReporterOptions = {},
): Readonly<ResolvedPlainReporterOptions> {
  const stream = input.stream ?? process.stdout;
  const env = input.env ?? process.env;
  const color = input.color ?? DEFAULTS.color;
  const noColor = env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '';
  return Object.freeze({
    stream,
    color: color === 'auto' ? stream.isTTY === true && !noColor : color,
    maxDetails: input.maxDetails ?? DEFAULTS.maxDetails,
    progressIntervalMs: input.progressIntervalMs ?? DEFAULTS.progressIntervalMs,
  });
}

export function createPlainReporter(input?: PlainReporterOptions): NamedReporter {
  const options = resolvePlainReporterOptions(input);
  const paint = createPainter(options.color);
  const write = (line: string): void => {
    options.stream.write(`${line}\n`);
  };
  /** Per running step: when it started and when it last printed progress (Date.now ms). */
  const running = new Map<number, { startedAt: number; printedAt: number; label: string }>();
  /** Scenarios whose end was printed; the others (e.g. the target never started) get a line at run end. */
  const reported = new Set<ScenarioResult>();

  return {
    name: 'plain',

    onRunStart(info: RunStartInfo) {
      const t = publicTarget(info.target);
      const files = info.files.length === 1 ? '1 file' : `${info.files.length} files`;
      write(
        paint.dim(
          `mqscen: ${files} on target ${t.name} (${t.kind}, behaviour ${t.behaviour}, transport ${t.transport}) ${t.url}`,
        ),
      );
      for (const line of formatInsecurity(t)) write(paint.yellow(`⚠ ${line}`));
    },

    onScenarioStart(info: ScenarioStartInfo) {
      running.clear();
      write(`${paint.bold(`▶ ${info.name}`)} ${paint.dim(`(${info.file})`)}`);
    },

    onStepStart(_scenario, step) {
      const now = Date.now();
      running.set(step.ref, { startedAt: now, printedAt: now, label: step.label });
    },

    onStepProgress(_scenario, step, counters: Counters) {
      if (options.progressIntervalMs <= 0) return;
      const entry = running.get(step.ref);
      if (entry === undefined) return;
      const now = Date.now();
      if (now - entry.printedAt < options.progressIntervalMs) return;
      entry.printedAt = now;
      write(
        `  ${paint.dim('…')} [${step.ref}] ${entry.label}  ${paint.dim(formatDuration(now - entry.startedAt))}  ${formatCounters(counters)}`,
      );
    },

    onStepEnd(_scenario, result: StepResult) {
      running.delete(result.ref);
      write(`  ${stepLine(result, paint)}`);
    },

    onScenarioEnd(result: ScenarioResult) {
      reported.add(result);
      for (const a of result.assertions) {
        for (const line of assertionLines(a, paint, options.maxDetails)) write(`  ${line}`);
      }
      write(scenarioVerdict(result, paint));
    },

    onRunEnd(summary: RunSummary, reason: RunEndReason) {
      debug('run ended: %s', reason);
      for (const result of summary.scenarios) {
        const seen = [...reported].some(
          (r) => r === result || (r.file === result.file && r.name === result.name),
        );
        if (!seen) write(`${scenarioVerdict(result, paint)}  ${paint.dim(`(${result.file})`)}`);
      }
      const line = formatSummaryLine(summary);
      const failing = reason !== 'passed' || summary.scenarios.some((s) => s.status !== 'passed');
      write(failing ? paint.red(line) : paint.green(line));
    },
  };
}

// --- internal ---

function scenarioVerdict(result: ScenarioResult, paint: Painter): string {
  const time = formatDuration(result.durationMs);
  const failed = result.assertions.filter((a) => a.status === 'failed').length;
  const total = result.assertions.length;
  switch (result.status) {
    case 'passed':
      return paint.green(`✔ passed  ${result.name}  (${total} assertion${total === 1 ? '' : 's'}, ${time})`);
    case 'failed': {
      const failedSteps = result.steps.filter((s) => s.status === 'failed').map((s) => `[${s.ref}]`);
      const why =
        failed > 0 || failedSteps.length === 0
          ? `${failed} of ${total} assertion${total === 1 ? '' : 's'} failed`
          : `step ${failedSteps.join(', ')} failed`;
      return paint.red(`✖ failed  ${result.name}  (${why}, ${time})`);
    }
    case 'errored':
    case 'interrupted': {
      const why = result.error === undefined ? '' : `: ${result.error.message}`;
      const line = `■ ${result.status}  ${result.name}${why}  (${time})`;
      return result.status === 'errored' ? paint.red(line) : paint.yellow(line);
    }
  }
}
