/**
 * Live reporter: the running scenario drawn in place on a terminal, then its final result written
 * once, where the live block stood.
 *
 * - While a scenario runs, its block is a neutral title (`▶ name`), one line per top-level step
 *   (✔/✖/⚠/↓ when done, a spinner with live counters while running, ◌ pending) and one line saying
 *   the assertions come after the steps. No verdict colour or symbol is shown before the verdict.
 * - When the scenario ends, the block is replaced, line by line in place, by the final result:
 *   a title whose colour and symbol follow the verdict (✔ green passed, ✖ red failed, ■ red
 *   errored, ■ yellow interrupted), the steps, and every assertion with "expected … / got …",
 *   evidence and `at file:line:col`. An assertion that was not evaluated is never a ✔.
 * - Redrawing moves the cursor up over the live block and rewrites each line (ESC[K clears only
 *   the rest of a line): nothing is erased first, so the screen never flickers, also at scenario
 *   boundaries. Live lines are cut to the terminal width so the cursor arithmetic holds.
 * - A publish step with a known message count shows its percentage and an ETA.
 *
 * On a stream that is not a terminal, nothing is redrawn: only the final blocks are written.
 */
import createDebug from 'debug';
import type {
  AssertionResult,
  Counters,
  RunEndReason,
  RunSummary,
  ScenarioResult,
  StepResult,
} from '../results.js';
import {
  formatCounters,
  formatDuration,
  formatExpectation,
  formatInsecurity,
  formatSkipReason,
  formatSummaryLine,
  publicTarget,
} from './_format.js';
import type { NamedReporter } from './index.js';
import type { RunStartInfo, ScenarioStartInfo } from './reporter.js';

const debug = createDebug('mqscen:reporters:live');

const ESC = '\u001b[';
/** DECTCEM: the cursor is hidden while the live block is redrawn, and always shown again. */
const CURSOR_HIDE = `${ESC}?25l`;
const CURSOR_SHOW = `${ESC}?25h`;
/** Erase from the cursor to the end of the line (never the whole screen or block). */
const ERASE_LINE_END = `${ESC}K`;
const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface LiveReporterOptions {
  /** Where the view is drawn. @default process.stdout */
  stream?: NodeJS.WriteStream;
  /**
   * Other output that may arrive while the view is drawn (warnings on stderr): the live block is
   * cleared before it and drawn again after it, so the two never overwrite each other.
   * @default process.stderr
   */
  errorStream?: NodeJS.WriteStream;
  /** Evidence lines shown under a failed assertion before "… N more". @default 5 */
  maxDetails?: number;
  /** How often the running block is redrawn (spinner, counters, ETA), ms. @default 100 */
  refreshMs?: number;
  /** Environment read for NO_COLOR. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface ResolvedLiveReporterOptions {
  stream: NodeJS.WriteStream;
  errorStream: NodeJS.WriteStream;
  maxDetails: number;
  refreshMs: number;
  color: boolean;
}

const DEFAULTS = { maxDetails: 5, refreshMs: 100 } as const;

export function resolveLiveReporterOptions(
  input: LiveReporterOptions = {},
): Readonly<ResolvedLiveReporterOptions> {
  const env = input.env ?? process.env;
  const stream = input.stream ?? process.stdout;
  return Object.freeze({
    stream,
    errorStream: input.errorStream ?? process.stderr,
    maxDetails: input.maxDetails ?? DEFAULTS.maxDetails,
    refreshMs: input.refreshMs ?? DEFAULTS.refreshMs,
    color: stream.isTTY === true && (env['NO_COLOR'] === undefined || env['NO_COLOR'] === ''),
  });
}

interface RunningStep {
  ref: number;
  kind: string;
  label: string;
  /** Messages the step publishes in all, when known (publish bursts). */
  publishes?: number;
  startedAt?: number;
  counters?: Counters;
  result?: StepResult;
}

interface RunningScenario {
  info: ScenarioStartInfo;
  steps: RunningStep[];
}

export function createLiveReporter(input?: LiveReporterOptions): NamedReporter {
  const options = resolveLiveReporterOptions(input);
  const paint = createPainter(options.color);
  const tty = options.stream.isTTY === true;
  const screen = createScreen(options, tty);
  let current: RunningScenario | undefined;
  let frame = 0;
  let timer: NodeJS.Timeout | undefined;
  /** Scenarios whose final block was written; the others get a line at run end. */
  const written = new Set<string>();
  const key = (s: { file: string; name: string }): string => `${s.file}\u0000${s.name}`;

  const redraw = (): void => {
    if (current === undefined || !tty) return;
    frame++;
    screen.draw(liveBlock(current, paint, SPINNER[frame % SPINNER.length] as string, Date.now()));
  };
  const startTimer = (): void => {
    if (!tty || timer !== undefined) return;
    timer = setInterval(redraw, options.refreshMs);
    timer.unref();
  };
  const stopTimer = (): void => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };
  const onExit = (): void => screen.showCursor();

  const closeCurrent = (why: string): void => {
    const c = current;
    if (c === undefined) return;
    current = undefined;
    written.add(key(c.info));
    screen.commit(unfinishedBlock(c, why, paint));
  };

  return {
    name: 'live',

    onRunStart(info: RunStartInfo) {
      const t = publicTarget(info.target);
      screen.commit([
        paint.dim(
          `mqscen → ${t.name} (${t.kind}, behaviour ${t.behaviour}, transport ${t.transport}) ${t.url}`,
        ),
        ...formatInsecurity(t).map((line) => paint.yellow(`⚠ ${line}`)),
      ]);
      process.once('exit', onExit);
    },

    onScenarioStart(info: ScenarioStartInfo) {
      // A scenario that never reported its end is closed as it stands before the next is drawn.
      closeCurrent('never reported its end');
      current = {
        info,
        steps: info.steps.map((s) => ({ ...s })),
      };
      redraw();
      startTimer();
    },

    onStepStart(_scenario, step) {
      const s = current?.steps.find((x) => x.ref === step.ref);
      if (s !== undefined) s.startedAt = Date.now();
      redraw();
    },

    onStepProgress(_scenario, step, counters: Counters) {
      const s = current?.steps.find((x) => x.ref === step.ref);
      if (s !== undefined) s.counters = counters;
    },

    onStepEnd(_scenario, result: StepResult) {
      const s = current?.steps.find((x) => x.ref === result.ref);
      if (s !== undefined) s.result = result;
      redraw();
    },

    onScenarioEnd(result: ScenarioResult) {
      stopTimer();
      current = undefined;
      written.add(key(result));
      // The final block replaces the live one in place: the verdict appears with every result.
      screen.commit(finalBlock(result, paint, options.maxDetails));
    },

    onRunEnd(summary: RunSummary, reason: RunEndReason) {
      stopTimer();
      closeCurrent(reason === 'interrupted' ? 'interrupted' : 'never reported its end');
      const lines: string[] = [];
      for (const result of summary.scenarios) {
        if (written.has(key(result))) continue;
        lines.push(`${titleLine(result, paint)} ${paint.dim(`(${result.file})`)}`);
      }
      const line = formatSummaryLine(summary);
      const ok = reason === 'passed' && summary.scenarios.every((s) => s.status === 'passed');
      lines.push('', ok ? paint.green(line) : paint.red(line));
      screen.commit(lines);
      screen.showCursor();
      screen.release();
      process.removeListener('exit', onExit);
      debug('run ended: %s', reason);
    },
  };
}

// --- internal ---

interface Screen {
  /** Replaces the live block with `lines` (cut to the terminal width). */
  draw(lines: readonly string[]): void;
  /** Replaces the live block with `lines` for good: they scroll up with the output. */
  commit(lines: readonly string[]): void;
  showCursor(): void;
  /** Stops watching the error stream. */
  release(): void;
}

/**
 * The in-place writer. `drawn` is the height of the live block below the static output; a redraw
 * goes up that many lines and rewrites each, clearing only what is left of a longer old line and
 * the old block's extra lines, so the block is never blank in between.
 */
function createScreen(options: Readonly<ResolvedLiveReporterOptions>, tty: boolean): Screen {
  const out = options.stream;
  const write = out.write.bind(out) as (text: string) => boolean;
  let drawn = 0;
  let hidden = false;
  let lastLive: readonly string[] = [];
  const width = (): number => Math.max(20, (out.columns || 80) - 1);

  const render = (lines: readonly string[], cut: boolean): string => {
    let text = drawn > 0 ? `${ESC}${drawn}F` : '';
    for (const line of lines) text += `${cut ? fit(line, width()) : line}${ERASE_LINE_END}\n`;
    const extra = drawn - lines.length;
    if (extra > 0) text += `${`${ERASE_LINE_END}\n`.repeat(extra)}${ESC}${extra}F`;
    return text;
  };

  // Another writer on the terminal (a warning on stderr) would land inside the live block: the
  // block is taken down before it and put back after it.
  const err = options.errorStream;
  const errWrite = err.write;
  let watching = false;
  if (tty && err.isTTY === true && (err as unknown) !== (out as unknown)) {
    watching = true;
    err.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (drawn > 0) {
        write(render([], false));
        drawn = 0;
      }
      const r = (errWrite as (...a: unknown[]) => boolean).call(err, chunk, ...rest);
      if (lastLive.length > 0) {
        write(render(lastLive, true));
        drawn = lastLive.length;
      }
      return r;
    }) as typeof err.write;
  }

  return {
    draw(lines) {
      if (!tty) return;
      if (!hidden) {
        write(CURSOR_HIDE);
        hidden = true;
      }
      write(render(lines, true));
      drawn = lines.length;
      lastLive = lines;
    },
    commit(lines) {
      write(tty ? render(lines, false) : lines.map((l) => `${l}\n`).join(''));
      drawn = 0;
      lastLive = [];
    },
    showCursor() {
      if (tty && hidden) {
        write(CURSOR_SHOW);
        hidden = false;
      }
    },
    release() {
      if (watching) err.write = errWrite;
      watching = false;
    },
  };
}

function liveBlock(c: RunningScenario, paint: Painter, spinner: string, now: number): string[] {
  const lines = [`${paint.bold(`▶ ${c.info.name}`)} ${paint.dim(`(${c.info.file})`)}`];
  for (const s of c.steps) {
    if (s.result !== undefined) lines.push(`  ${stepLine(s.result, paint)}`);
    else if (s.startedAt !== undefined)
      lines.push(
        `  ${paint.cyan(spinner)} [${s.ref}] ${s.label}  ${paint.dim(formatDuration(now - s.startedAt))}${progress(s, now)}`,
      );
    else lines.push(`  ${paint.dim(`◌ [${s.ref}] ${s.label}`)}`);
  }
  lines.push(`  ${paint.dim('… assertions are evaluated after the steps')}`);
  return lines;
}

/** `  45% (9/20) · ETA 1.2s · acked 8 · received 7`, or just the counters without a known count. */
function progress(s: RunningStep, now: number): string {
  const c = s.counters;
  if (c === undefined) return '';
  const parts: string[] = [];
  if (s.publishes !== undefined && s.publishes > 0) {
    const done = Math.min(c.published, s.publishes);
    parts.push(`${Math.floor((done / s.publishes) * 100)}% (${done}/${s.publishes})`);
    if (done > 0 && done < s.publishes && s.startedAt !== undefined) {
      const eta = ((now - s.startedAt) / done) * (s.publishes - done);
      parts.push(`ETA ${formatDuration(eta)}`);
    }
  }
  parts.push(formatCounters(c));
  return `  ${parts.join(' · ')}`;
}

function finalBlock(result: ScenarioResult, paint: Painter, maxDetails: number): string[] {
  const lines = [`${titleLine(result, paint)} ${paint.dim(`(${result.file})`)}`];
  for (const s of result.steps) lines.push(`  ${stepLine(s, paint)}`);
  if (result.error !== undefined && result.status !== 'passed') {
    lines.push(
      `  ${result.status === 'interrupted' ? paint.yellow('■') : paint.red('■')} ${result.error.message}`,
    );
  }
  if (result.assertions.length > 0) {
    lines.push(`  ${assertionsHeader(result, paint)}`);
    for (const a of result.assertions) {
      for (const line of assertionLines(a, paint, maxDetails)) lines.push(`    ${line}`);
    }
  }
  return lines;
}

function unfinishedBlock(c: RunningScenario, why: string, paint: Painter): string[] {
  const lines = [`${paint.yellow(`■ ${c.info.name} — ${why}`)} ${paint.dim(`(${c.info.file})`)}`];
  for (const s of c.steps) {
    if (s.result !== undefined) lines.push(`  ${stepLine(s.result, paint)}`);
    else if (s.startedAt !== undefined)
      lines.push(`  ${paint.yellow('■')} [${s.ref}] ${s.label}  interrupted`);
    else lines.push(`  ${paint.dim(`↓ [${s.ref}] ${s.label} (not run)`)}`);
  }
  lines.push(`  ${paint.yellow('■')} assertions not evaluated: the scenario did not finish`);
  return lines;
}

const STEP_ICONS: Record<StepResult['status'], string> = {
  passed: '✔',
  warning: '⚠',
  failed: '✖',
  skipped: '↓',
  interrupted: '■',
};

function stepLine(step: StepResult, paint: Painter): string {
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

function isNotEvaluated(a: AssertionResult): boolean {
  return a.status === 'skipped' && /not evaluated/i.test(a.skipReason ?? '');
}

/** `✔ assertions: 3 passed`; never green when any failed or none was evaluated. */
function assertionsHeader(result: ScenarioResult, paint: Painter): string {
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

function assertionLines(a: AssertionResult, paint: Painter, maxDetails: number): string[] {
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

/** The verdict title: symbol and colour follow the scenario's status. */
function titleLine(result: ScenarioResult, paint: Painter): string {
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

interface Painter {
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

function createPainter(enabled: boolean): Painter {
  const wrap =
    (open: number, close: number) =>
    (s: string): string =>
      enabled ? `${ESC}${open}m${s}${ESC}${close}m` : s;
  return {
    green: wrap(32, 39),
    red: wrap(31, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
    dim: wrap(2, 22),
    bold: wrap(1, 22),
  };
}

/**
 * `line` cut to `width` visible characters (ANSI colour codes kept and not counted), so a live
 * line never wraps and the block's height is its line count.
 */
function fit(line: string, width: number): string {
  let visible = 0;
  let out = '';
  for (let i = 0; i < line.length; ) {
    if (line.startsWith(ESC, i)) {
      const end = line.indexOf('m', i);
      if (end < 0) break;
      out += line.slice(i, end + 1);
      i = end + 1;
      continue;
    }
    const cp = line.codePointAt(i) ?? 0;
    const ch = String.fromCodePoint(cp);
    if (visible >= width - 1 && i + ch.length < line.length) {
      out += '…';
      // Close any colour left open by the cut.
      return `${out}${ESC}0m`;
    }
    out += ch;
    visible++;
    i += ch.length;
  }
  return out;
}
