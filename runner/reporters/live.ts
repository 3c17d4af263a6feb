/**
 * Live reporter: listr2's default renderer on a terminal, one Listr for the whole run.
 *
 * - Each scenario is a task whose subtasks are its top-level steps and its assertions. Tasks are
 *   updated in place (title, state) as the engine's events arrive: the view is never torn down
 *   and drawn anew at a scenario boundary. A scenario the engine starts later is appended by a
 *   titleless link task that waits for it (listr2 runs the tasks a list had when it started, so
 *   a run whose scenarios are announced one by one is a chain of such links, drawn flat).
 * - While a scenario runs, its title is neutral (`▶ name`), a running step shows listr2's
 *   spinner with live counters (and percentage and ETA for a burst of known size), pending steps
 *   are dim, and one line says the assertions come after the steps. No verdict is shown before
 *   the verdict.
 * - When the scenario ends, every step and assertion gets its final line, then, last, the title
 *   takes the verdict: its colour and symbol follow the status (✔ green passed, ✖ red failed,
 *   ■ red errored, ■ yellow interrupted). An assertion that was not evaluated is never a ✔; a
 *   failed one shows "expected … / got …", its evidence and `at file:line:col`.
 * - Symbols come from the verdict, not from listr2's task states: listr2 has no state for
 *   "interrupted", "not evaluated" or "warning", so its state icons are left empty and each
 *   title carries mqscen's symbol (the same vocabulary as the plain reporter). listr2 draws the
 *   tree, the spinner and the frames.
 * - Frames: listr2 redraws through log-update, which rewrites only the lines that changed. What
 *   listr2 writes within one turn of the event loop (several task updates, or the erase and
 *   reprint of the whole view when it ends) reaches the terminal as one write inside one
 *   synchronized update (DEC mode 2026), so no frame shows the view emptied or half redrawn.
 *
 * On a stream that is not a terminal listr2 is not used: only the final blocks are written.
 */
import createDebug from 'debug';
import {
  DefaultRenderer,
  Listr,
  ListrLogger,
  type ListrTask,
  type ListrTaskWrapper,
  ProcessOutput,
} from 'listr2';
import type { Counters, RunEndReason, RunSummary, ScenarioResult, StepResult } from '../results.js';
import {
  formatCounters,
  formatDuration,
  formatExpectation,
  formatInsecurity,
  formatSummaryLine,
  publicTarget,
} from './_format.js';
import {
  assertionLines,
  assertionsHeader,
  createPainter,
  finalBlock,
  type Painter,
  resultLines,
  stepLine,
  titleLine,
} from './_paint.js';
import {
  CURSOR_SHOW,
  createDeferred,
  createFrameStream,
  createSigintGuard,
  type Deferred,
  fit,
  settleWithin,
} from './_terminal.js';
import type { NamedReporter } from './index.js';
import type { RunStartInfo, ScenarioStartInfo } from './reporter.js';

const debug = createDebug('mqscen:reporters:live');

export interface LiveReporterOptions {
  /** Where the view is drawn. @default process.stdout */
  stream?: NodeJS.WriteStream;
  /**
   * Other output that may arrive while the view is drawn (warnings on stderr): listr2 holds it
   * while it draws and writes it after the view, so the two never overwrite each other.
   * @default process.stderr
   */
  errorStream?: NodeJS.WriteStream;
  /** Evidence lines shown under a failed assertion before "… N more". @default 5 */
  maxDetails?: number;
  /** How often a running step's elapsed time, counters and ETA are refreshed, ms. @default 100 */
  refreshMs?: number;
  /** Longest wait for listr2 to finish drawing at run end, ms (every wait is bounded). @default 5000 */
  drainTimeoutMs?: number;
  /** Environment read for NO_COLOR. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface ResolvedLiveReporterOptions {
  stream: NodeJS.WriteStream;
  errorStream: NodeJS.WriteStream;
  maxDetails: number;
  refreshMs: number;
  drainTimeoutMs: number;
  color: boolean;
}

const DEFAULTS = { maxDetails: 5, refreshMs: 100, drainTimeoutMs: 5000 } as const;

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
    drainTimeoutMs: input.drainTimeoutMs ?? DEFAULTS.drainTimeoutMs,
    color: stream.isTTY === true && (env['NO_COLOR'] === undefined || env['NO_COLOR'] === ''),
  });
}

type AnyWrapper = ListrTaskWrapper<unknown, typeof DefaultRenderer, typeof DefaultRenderer>;
type LiveTask = ListrTask<unknown, typeof DefaultRenderer, typeof DefaultRenderer>;

/** How a step's task ends: its result, or cut short by the scenario's end. */
type StepOutcome = StepResult | 'interrupted' | 'not-run';

interface StepView {
  ref: number;
  label: string;
  /** Messages the step publishes in all, when known (publish bursts). */
  publishes?: number;
  startedAt?: number;
  counters?: Counters;
  done: Deferred<StepOutcome>;
  task?: AnyWrapper;
}

/** How a scenario's task ends: its result, or closed unfinished (with the reason). */
type ScenarioOutcome = ScenarioResult | { unfinished: string };

interface ScenarioView {
  info: ScenarioStartInfo;
  steps: StepView[];
  end: Deferred<ScenarioOutcome>;
  /** Resolved once the title shows the verdict (every result is drawn by then). */
  drawn: Deferred<void>;
  task?: AnyWrapper;
}

export function createLiveReporter(input?: LiveReporterOptions): NamedReporter {
  const options = resolveLiveReporterOptions(input);
  const paint = createPainter(options.color);
  const tty = options.stream.isTTY === true;
  /** Scenarios whose final block was drawn; the others get a line at run end. */
  const written = new Set<string>();
  const key = (s: { file: string; name: string }): string => `${s.file}\u0000${s.name}`;
  const write = (lines: readonly string[]): void => {
    options.stream.write(lines.map((l) => `${l}\n`).join(''));
  };

  if (!tty) {
    // No terminal: nothing is redrawn, only the final blocks are written.
    let current: ScenarioView | undefined;
    return {
      name: 'live',
      onRunStart(info: RunStartInfo) {
        write(headerLines(info, paint));
      },
      onScenarioStart(info: ScenarioStartInfo) {
        if (current !== undefined) {
          written.add(key(current.info));
          write(unfinishedBlock(current, 'never reported its end', paint));
        }
        current = createScenarioView(info);
      },
      onStepStart(_scenario, step) {
        const s = current?.steps.find((x) => x.ref === step.ref);
        if (s !== undefined) s.startedAt = Date.now();
      },
      onStepEnd(_scenario, result: StepResult) {
        current?.steps.find((x) => x.ref === result.ref)?.done.resolve(result);
      },
      onScenarioEnd(result: ScenarioResult) {
        current = undefined;
        written.add(key(result));
        write(finalBlock(result, paint, options.maxDetails));
      },
      onRunEnd(summary: RunSummary, reason: RunEndReason) {
        if (current !== undefined) {
          written.add(key(current.info));
          write(
            unfinishedBlock(
              current,
              reason === 'interrupted' ? 'interrupted' : 'never reported its end',
              paint,
            ),
          );
          current = undefined;
        }
        write(closingLines(summary, reason, written, key, paint));
      },
    };
  }

  const frames = createFrameStream(options.stream);
  /**
   * Room for a step's line: listr2 wraps a subtask's line at the terminal's width less its
   * indentation (2), two columns and the spinner with its space (2); one more column of margin.
   */
  const stepWidth = (): number => Math.max(20, frames.stream.columns - 7);
  const sigint = createSigintGuard(() => frames.writeNow(CURSOR_SHOW));
  const onExit = (): void => frames.writeNow(CURSOR_SHOW);
  /** The link tasks' waits: link i is given the i-th scenario, or undefined at run end. */
  const links: Array<Deferred<ScenarioView | undefined>> = [];
  const link = (i: number): Deferred<ScenarioView | undefined> => {
    let d = links[i];
    if (d === undefined) {
      d = createDeferred<ScenarioView | undefined>();
      links[i] = d;
    }
    return d;
  };
  let announced = 0;
  let current: ScenarioView | undefined;
  let running: Promise<unknown> | undefined;
  let ended = false;
  let timer: NodeJS.Timeout | undefined;

  const linkTask = (i: number): LiveTask => ({
    task: async (_ctx: unknown, task: AnyWrapper) => {
      const view = await link(i).promise;
      if (view === undefined) return;
      return task.newListr([scenarioTask(view, paint, options.maxDetails, stepWidth), linkTask(i + 1)], {
        concurrent: false,
        exitOnError: false,
      });
    },
  });

  /**
   * Other writers on the error stream (a warning, the CLI's Ctrl+C notice) would land inside the
   * view: while it is drawn their output goes to listr2, which holds it and writes it after the
   * view. That write goes out after the view's last frame, which may still be gathered.
   */
  const err = options.errorStream;
  const errWrite = err.write;
  const holdErrors = (): NodeJS.WriteStream => {
    const raw = errWrite.bind(err) as (...a: unknown[]) => boolean;
    const held = {
      isTTY: err.isTTY,
      write: (...a: unknown[]): boolean => {
        frames.flush();
        return raw(...a);
      },
    };
    // `held.write` is looked up at each call: listr2 replaces it while it draws.
    err.write = ((...a: unknown[]) => held.write(...a)) as typeof err.write;
    return held as unknown as NodeJS.WriteStream;
  };
  const releaseErrors = (): void => {
    err.write = errWrite;
  };

  const start = (header: readonly string[]): void => {
    if (running !== undefined || ended) return;
    frames.write(header.map((l) => `${l}\n`).join(''));
    const processOutput = new ProcessOutput(frames.stream, holdErrors(), { leaveEmptyLine: false });
    const logger = new ListrLogger({ processOutput, useIcons: true });
    const rendererOptions = {
      logger,
      icon: EMPTY_ICONS,
      color: { PENDING: (s?: string) => paint.cyan(s ?? '') },
      collapseSubtasks: false,
      collapseSkips: true,
      collapseErrors: true,
      showSkipMessage: false,
      showErrorMessage: false,
      removeEmptyLines: true,
      // Wrap rather than cut: the end of an "expected … / got …" line is the part that matters.
      formatOutput: 'wrap' as const,
    };
    const listr = new Listr([linkTask(0)], {
      concurrent: false,
      exitOnError: false,
      // The CLI owns SIGINT: it stops the engine, which then reports `interrupted` here.
      registerSignalListeners: false,
      renderer: DefaultRenderer,
      rendererOptions,
      // This reporter decides the terminal from its own stream, not from process.stdout (which
      // is a pipe under `--json -`): the in-place renderer is the fallback too.
      fallbackRenderer: DefaultRenderer,
      fallbackRendererOptions: rendererOptions,
    });
    running = listr.run().catch((err: unknown) => debug('listr2 failed: %O', err));
    timer = setInterval(() => {
      const s = current?.steps.find((x) => x.task !== undefined && x.startedAt !== undefined);
      if (s?.task !== undefined) s.task.title = runningStepTitle(s, paint, Date.now(), stepWidth());
    }, options.refreshMs);
    timer.unref();
    process.once('exit', onExit);
    sigint.arm();
  };

  const announce = (info: ScenarioStartInfo): ScenarioView => {
    start(headerLines(undefined, paint));
    const view = createScenarioView(info);
    current = view;
    link(announced++).resolve(view);
    return view;
  };

  const closeUnfinished = (view: ScenarioView, why: string): void => {
    written.add(key(view.info));
    for (const s of view.steps) s.done.resolve(s.startedAt === undefined ? 'not-run' : 'interrupted');
    view.end.resolve({ unfinished: why });
  };

  return {
    name: 'live',

    onRunStart(info: RunStartInfo) {
      start(headerLines(info, paint));
    },

    onScenarioStart(info: ScenarioStartInfo) {
      // A scenario that never reported its end is closed as it stands before the next is drawn.
      if (current !== undefined) closeUnfinished(current, 'never reported its end');
      if (ended) return;
      announce(info);
    },

    onStepStart(_scenario, step) {
      const s = current?.steps.find((x) => x.ref === step.ref);
      if (s === undefined) return;
      s.startedAt = Date.now();
      if (s.task !== undefined) s.task.title = runningStepTitle(s, paint, s.startedAt, stepWidth());
    },

    onStepProgress(_scenario, step, counters: Counters) {
      const s = current?.steps.find((x) => x.ref === step.ref);
      if (s !== undefined) s.counters = counters;
    },

    onStepEnd(_scenario, result: StepResult) {
      current?.steps.find((x) => x.ref === result.ref)?.done.resolve(result);
    },

    async onScenarioEnd(result: ScenarioResult) {
      if (ended) return;
      let view = current;
      if (view === undefined || key(view.info) !== key(result)) {
        // An end without its start: drawn from the result alone.
        if (view !== undefined) closeUnfinished(view, 'never reported its end');
        view = announce({ file: result.file, name: result.name, steps: result.steps });
      }
      current = undefined;
      written.add(key(result));
      for (const s of view.steps) s.done.resolve(result.steps.find((r) => r.ref === s.ref) ?? 'not-run');
      view.end.resolve(result);
      // Back to the engine once the final block is on the terminal.
      if (!(await settleWithin(view.drawn.promise, options.drainTimeoutMs)))
        debug('listr2 did not draw the end of "%s" within %d ms', result.name, options.drainTimeoutMs);
      frames.flush();
    },

    async onRunEnd(summary: RunSummary, reason: RunEndReason) {
      if (ended) return;
      ended = true;
      if (timer !== undefined) clearInterval(timer);
      if (current !== undefined) {
        closeUnfinished(current, reason === 'interrupted' ? 'interrupted' : 'never reported its end');
        current = undefined;
      }
      link(announced).resolve(undefined);
      if (running !== undefined && !(await settleWithin(running, options.drainTimeoutMs)))
        debug('listr2 did not finish drawing within %d ms', options.drainTimeoutMs);
      frames.write(
        closingLines(summary, reason, written, key, paint)
          .map((l) => `${l}\n`)
          .join(''),
      );
      frames.flush();
      frames.writeNow(CURSOR_SHOW);
      releaseErrors();
      process.removeListener('exit', onExit);
      sigint.disarm();
      debug('run ended: %s', reason);
    },
  };
}

// --- internal ---

/** listr2's state icons, left empty: each title carries the symbol its verdict calls for. */
const EMPTY_ICONS = {
  SKIPPED_WITH_COLLAPSE: '',
  SKIPPED_WITHOUT_COLLAPSE: '',
  OUTPUT: '',
  OUTPUT_WITH_BOTTOMBAR: '',
  PENDING: '',
  COMPLETED: '',
  COMPLETED_WITH_FAILED_SUBTASKS: '',
  COMPLETED_WITH_SISTER_TASKS_FAILED: '',
  RETRY: '',
  ROLLING_BACK: '',
  ROLLED_BACK: '',
  FAILED: '',
  FAILED_WITH_SUBTASKS: '',
  WAITING: '',
  PAUSED: '',
  CANCELLED: '',
};

function createScenarioView(info: ScenarioStartInfo): ScenarioView {
  return {
    info,
    steps: info.steps.map((s) => ({
      ref: s.ref,
      label: s.label,
      ...(s.publishes === undefined ? {} : { publishes: s.publishes }),
      done: createDeferred<StepOutcome>(),
    })),
    end: createDeferred<ScenarioOutcome>(),
    drawn: createDeferred<void>(),
  };
}

/**
 * One scenario's task: its steps, then its assertions, then (last, so that no frame shows a
 * verdict beside a pending result) a titleless task that gives the title its verdict.
 */
function scenarioTask(
  view: ScenarioView,
  paint: Painter,
  maxDetails: number,
  stepWidth: () => number,
): LiveTask {
  const stepTasks = view.steps.map((s) => ({
    title: paint.dim(`◌ [${s.ref}] ${s.label}`),
    task: async (_ctx: unknown, task: AnyWrapper) => {
      s.task = task;
      task.title = runningStepTitle(s, paint, Date.now(), stepWidth());
      const outcome = await s.done.promise;
      s.task = undefined;
      if (outcome === 'not-run') {
        task.title = paint.dim(`↓ [${s.ref}] ${s.label} (not run)`);
        task.skip();
        return;
      }
      if (outcome === 'interrupted') {
        task.title = `${paint.yellow('■')} [${s.ref}] ${s.label}  interrupted`;
        throw new Error('interrupted');
      }
      task.title = stepLine(outcome, paint);
      if (outcome.status === 'skipped') task.skip();
      else if (outcome.status === 'failed' || outcome.status === 'interrupted')
        throw new Error(outcome.error ?? outcome.status);
    },
  }));
  // Without a title until the end: then the error of a scenario that did not pass, if any.
  const errorTask = {
    task: async (_ctx: unknown, task: AnyWrapper) => {
      const end = await view.end.promise;
      const lines = 'unfinished' in end ? [] : resultLines(end, paint);
      if (lines.length > 0) task.title = lines.join('\n');
    },
  };
  const assertionsTask = {
    title: paint.dim('… assertions are evaluated after the steps'),
    task: async (_ctx: unknown, task: AnyWrapper) => {
      const end = await view.end.promise;
      if ('unfinished' in end) {
        task.title = `${paint.yellow('■')} assertions not evaluated: the scenario did not finish`;
        task.skip();
        return;
      }
      if (end.assertions.length === 0) {
        task.title = null;
        return;
      }
      task.title = assertionsHeader(end, paint);
      return task.newListr(
        end.assertions.map((a) => ({
          // listr2 indents a title's further lines by 2: evidence sits 4 under its assertion.
          title: assertionLines(a, paint, maxDetails)
            .map((l, i) => (i === 0 ? l : l.replace(/^ {4}/, '  ')))
            .join('\n'),
          task: (_c: unknown, t: AnyWrapper) => {
            if (a.status === 'failed') throw new Error(formatExpectation(a));
            if (a.status === 'skipped') t.skip();
          },
        })),
        { concurrent: false, exitOnError: false },
      );
    },
  };
  const verdictTask = {
    task: async () => {
      const end = await view.end.promise;
      if (view.task !== undefined)
        view.task.title =
          'unfinished' in end
            ? `${paint.yellow(`■ ${view.info.name} — ${end.unfinished}`)} ${paint.dim(`(${view.info.file})`)}`
            : `${titleLine(end, paint)} ${paint.dim(`(${end.file})`)}`;
      view.drawn.resolve();
    },
  };
  return {
    title: `${paint.bold(`▶ ${view.info.name}`)} ${paint.dim(`(${view.info.file})`)}`,
    task: (_ctx: unknown, task: AnyWrapper) => {
      view.task = task;
      return task.newListr([...stepTasks, errorTask, assertionsTask, verdictTask], {
        concurrent: false,
        exitOnError: false,
      });
    },
  };
}

/**
 * `[2] publish 20 × …  1.2s  45% (9/20) · ETA 1.2s · acked 8`, cut to the line beside the spinner
 * (`width`): a running line that wrapped would change the view's height as its counters grow.
 */
function runningStepTitle(s: StepView, paint: Painter, now: number, width: number): string {
  if (s.startedAt === undefined) return fit(`[${s.ref}] ${s.label}`, width);
  return fit(
    `[${s.ref}] ${s.label}  ${paint.dim(formatDuration(now - s.startedAt))}${progress(s, now)}`,
    width,
  );
}

function headerLines(info: RunStartInfo | undefined, paint: Painter): string[] {
  if (info === undefined) return [];
  const t = publicTarget(info.target);
  return [
    paint.dim(`mqscen → ${t.name} (${t.kind}, behaviour ${t.behaviour}, transport ${t.transport}) ${t.url}`),
    ...formatInsecurity(t).map((line) => paint.yellow(`⚠ ${line}`)),
  ];
}

/** After the view: a line for each scenario never drawn, then the summary. */
function closingLines(
  summary: RunSummary,
  reason: RunEndReason,
  written: ReadonlySet<string>,
  key: (s: { file: string; name: string }) => string,
  paint: Painter,
): string[] {
  const lines: string[] = [];
  for (const result of summary.scenarios) {
    if (written.has(key(result))) continue;
    lines.push(`${titleLine(result, paint)} ${paint.dim(`(${result.file})`)}`);
  }
  const line = formatSummaryLine(summary);
  const ok = reason === 'passed' && summary.scenarios.every((s) => s.status === 'passed');
  lines.push('', ok ? paint.green(line) : paint.red(line));
  return lines;
}

/** `  45% (9/20) · ETA 1.2s · acked 8 · received 7`, or just the counters without a known count. */
function progress(s: StepView, now: number): string {
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

function unfinishedBlock(c: ScenarioView, why: string, paint: Painter): string[] {
  const lines = [`${paint.yellow(`■ ${c.info.name} — ${why}`)} ${paint.dim(`(${c.info.file})`)}`];
  for (const s of c.steps) {
    const r = s.done.settledValue;
    if (r !== undefined && typeof r === 'object') lines.push(`  ${stepLine(r, paint)}`);
    else if (s.startedAt !== undefined)
      lines.push(`  ${paint.yellow('■')} [${s.ref}] ${s.label}  interrupted`);
    else lines.push(`  ${paint.dim(`↓ [${s.ref}] ${s.label} (not run)`)}`);
  }
  lines.push(`  ${paint.yellow('■')} assertions not evaluated: the scenario did not finish`);
  return lines;
}
