/**
 * Live reporter: a listr2 view on a terminal. One task per scenario, one subtask per top-level
 * step with live counters, then the assertions (✔/✖ label, "expected … / got …").
 *
 * listr2 wants to own the work it shows; here the engine owns it. Each step's subtask is a
 * promise resolved from onStepEnd, so listr2 only draws what the event stream says. When listr2
 * cannot draw in place (not a TTY) it falls back to its line renderer; the CLI normally picks the
 * `plain` reporter there instead (chooseConsoleReporter).
 */
import createDebug from 'debug';
import { color, Listr, ListrLogger, type ListrTaskWrapper, ProcessOutput } from 'listr2';
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

/** DECTCEM "show cursor": listr2 hides the cursor while it redraws. */
const CURSOR_SHOW = '\u001b[?25h';

export interface LiveReporterOptions {
  /** Where the view is drawn. @default process.stdout */
  stream?: NodeJS.WriteStream;
  /** Captured while the view is drawn and replayed after it. @default process.stderr */
  errorStream?: NodeJS.WriteStream;
  /** Evidence lines shown under a failed assertion before "… N more". @default 5 */
  maxDetails?: number;
  /** Longest wait for listr2 to finish drawing a scenario, ms (every wait is bounded). @default 5000 */
  drainTimeoutMs?: number;
}

export interface ResolvedLiveReporterOptions {
  stream: NodeJS.WriteStream;
  errorStream: NodeJS.WriteStream;
  maxDetails: number;
  drainTimeoutMs: number;
}

const DEFAULTS = { maxDetails: 5, drainTimeoutMs: 5000 } as const;

export function resolveLiveReporterOptions(
  input: LiveReporterOptions = {},
): Readonly<ResolvedLiveReporterOptions> {
  return Object.freeze({
    stream: input.stream ?? process.stdout,
    errorStream: input.errorStream ?? process.stderr,
    maxDetails: input.maxDetails ?? DEFAULTS.maxDetails,
    drainTimeoutMs: input.drainTimeoutMs ?? DEFAULTS.drainTimeoutMs,
  });
}

export function createLiveReporter(input?: LiveReporterOptions): NamedReporter {
  const options = resolveLiveReporterOptions(input);
  const processOutput = new ProcessOutput(options.stream, options.errorStream, { leaveEmptyLine: false });
  const logger = new ListrLogger({ processOutput, useIcons: true });
  let view: ScenarioView | undefined;
  /** Scenarios drawn to their end; the others (e.g. the target never started) get a line at run end. */
  const drawn = new Set<string>();
  const key = (s: { file: string; name: string }): string => `${s.file}\u0000${s.name}`;

  // listr2 replaces the streams' write while it draws (and buffers what others write, such as
  // restore-cursor's exit handler); the cursor must come back even then, so keep the real one.
  const rawWrite = options.stream.write.bind(options.stream);
  const showCursor = (): void => {
    if (options.stream.isTTY === true) rawWrite(CURSOR_SHOW);
  };
  const sigint = createSigintGuard(showCursor);
  /** A second Ctrl+C or an exit while drawing must not leave the terminal without a cursor. */
  const onExit = (): void => showCursor();

  const finish = async (v: ScenarioView): Promise<void> => {
    const done = await settleWithin(v.running, options.drainTimeoutMs);
    if (!done) debug('listr2 did not finish drawing "%s" within %d ms', v.info.name, options.drainTimeoutMs);
  };

  return {
    name: 'live',

    onRunStart(info: RunStartInfo) {
      const t = publicTarget(info.target);
      options.stream.write(
        `${color.dim(`mqscen → ${t.name} (${t.kind}, behaviour ${t.behaviour}, transport ${t.transport}) ${t.url}`)}\n`,
      );
      for (const line of formatInsecurity(t)) options.stream.write(`${color.yellow(`⚠ ${line}`)}\n`);
      process.once('exit', onExit);
      sigint.arm();
    },

    async onScenarioStart(info: ScenarioStartInfo) {
      const previous = view;
      if (previous !== undefined) {
        // The previous scenario never reported its end; close its view before drawing the next
        // (listr2 can only draw one list at a time on the same output).
        drawn.add(key(previous.info));
        closeUnfinished(previous, 'never reported its end');
        await finish(previous);
      }
      sigint.arm();
      view = startScenarioView(info, logger, options);
    },

    onStepProgress(_scenario, step, counters: Counters) {
      const s = view?.steps.get(step.ref);
      if (s === undefined) return;
      s.counters = counters;
      if (s.wrapper !== undefined) s.wrapper.output = formatCounters(counters);
    },

    onStepEnd(_scenario, result: StepResult) {
      view?.steps.get(result.ref)?.done.resolve(result);
    },

    async onScenarioEnd(result: ScenarioResult) {
      const v = view;
      if (v === undefined) return;
      drawn.add(key(result));
      view = undefined;
      for (const s of v.steps.values())
        s.done.resolve(result.steps.find((r) => r.ref === s.ref) ?? 'not-run');
      v.end.resolve(result);
      setScenarioTitle(v, scenarioTitle(result));
      await finish(v);
    },

    async onRunEnd(summary: RunSummary, reason: RunEndReason) {
      const v = view;
      view = undefined;
      if (v !== undefined) {
        // Interrupted between onScenarioStart and onScenarioEnd: close the view as it stands.
        drawn.add(key(v.info));
        closeUnfinished(v, 'interrupted');
        await finish(v);
      }
      for (const result of summary.scenarios) {
        if (drawn.has(key(result))) continue;
        options.stream.write(`${color.red('■')} ${scenarioTitle(result)} ${color.dim(`(${result.file})`)}\n`);
      }
      const line = formatSummaryLine(summary);
      const ok = reason === 'passed' && summary.scenarios.every((s) => s.status === 'passed');
      options.stream.write(`\n${ok ? color.green(line) : color.red(line)}\n`);
      if (reason === 'interrupted') showCursor();
      process.removeListener('exit', onExit);
      sigint.disarm();
    },
  };
}

// --- internal ---

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}

function createDeferred<T>(): Deferred<T> {
  let settled = false;
  let resolveFn: (value: T) => void = () => {};
  const promise = new Promise<T>((resolve) => {
    resolveFn = resolve;
  });
  return {
    promise,
    resolve(value) {
      // First word wins: a late onStepEnd after an interrupt must not redraw the step.
      if (settled) return;
      settled = true;
      resolveFn(value);
    },
  };
}

type StepOutcome = StepResult | 'not-run' | 'interrupted';

interface StepView {
  ref: number;
  label: string;
  done: Deferred<StepOutcome>;
  counters?: Counters;
  wrapper?: ListrTaskWrapper<unknown, never, never>;
}

interface ScenarioView {
  info: ScenarioStartInfo;
  steps: Map<number, StepView>;
  end: Deferred<ScenarioResult | undefined>;
  scenarioTask?: ListrTaskWrapper<unknown, never, never>;
  /** The verdict title, applied as soon as the scenario's task exists (events can outrun listr2). */
  finalTitle?: string;
  running: Promise<unknown>;
}

type AnyWrapper = ListrTaskWrapper<unknown, never, never>;

function startScenarioView(
  info: ScenarioStartInfo,
  logger: ListrLogger,
  options: Readonly<ResolvedLiveReporterOptions>,
): ScenarioView {
  const steps = new Map<number, StepView>(
    info.steps.map((s) => [s.ref, { ref: s.ref, label: s.label, done: createDeferred<StepOutcome>() }]),
  );
  const view: Omit<ScenarioView, 'running'> & { running?: Promise<unknown> } = {
    info,
    steps,
    end: createDeferred<ScenarioResult | undefined>(),
  };

  const stepTasks = [...steps.values()].map((s) => ({
    title: `[${s.ref}] ${s.label}`,
    rendererOptions: { persistentOutput: true },
    task: async (_ctx: unknown, task: AnyWrapper) => {
      s.wrapper = task;
      if (s.counters !== undefined) task.output = formatCounters(s.counters);
      const outcome = await s.done.promise;
      s.wrapper = undefined;
      showStepOutcome(task, s, outcome);
    },
  }));

  const assertionsTask = {
    title: 'assertions',
    task: async (_ctx: unknown, task: AnyWrapper) => {
      const result = await view.end.promise;
      // This is the last subtask: the verdict is known now, whatever order events came in.
      if (view.finalTitle !== undefined && view.scenarioTask !== undefined)
        view.scenarioTask.title = view.finalTitle;
      // Thrown, not skipped: the scenario must not be drawn as a success.
      if (result === undefined) throw new Error('not evaluated: the scenario did not finish');
      if (result.assertions.length === 0) return task.skip('no assertions');
      task.title = `assertions: ${countAssertions(result.assertions)}`;
      return task.newListr(
        result.assertions.map((a) => ({
          title: a.label,
          task: (_c: unknown, t: AnyWrapper) => showAssertion(t, a, options.maxDetails),
        })),
        { concurrent: false, exitOnError: false },
      );
    },
  };

  const listr = new Listr(
    [
      {
        title: `${info.name} ${color.dim(`(${info.file})`)}`,
        task: (_ctx: unknown, task: AnyWrapper) => {
          view.scenarioTask = task;
          if (view.finalTitle !== undefined) task.title = view.finalTitle;
          return task.newListr([...stepTasks, assertionsTask], { concurrent: false, exitOnError: false });
        },
      },
    ],
    {
      concurrent: false,
      exitOnError: false,
      // The CLI owns SIGINT: it stops the engine, which then reports `interrupted` to us.
      registerSignalListeners: false,
      renderer: 'default',
      rendererOptions: {
        logger,
        collapseSubtasks: false,
        collapseErrors: false,
        showErrorMessage: true,
        // Wrap rather than cut: the end of an "expected … / got …" line is the part that matters.
        formatOutput: 'wrap',
      },
      fallbackRenderer: 'simple',
      fallbackRendererOptions: { logger },
    },
  );
  view.running = listr.run().catch((err: unknown) => debug('listr2 failed: %O', err));
  return view as ScenarioView;
}

/**
 * listr2's in-place renderer loads log-update → cli-cursor → restore-cursor → signal-exit. On
 * SIGINT, signal-exit re-raises the signal (killing the process) when its own handler is the only
 * listener left, and Node removes a `once` listener before calling it: so the CLI's Ctrl+C handler
 * would start a clean stop and signal-exit would kill the process right after, before any report
 * is written. While the view is in use this guard is one more listener: the first Ctrl+C is left
 * to its owner (the CLI stops the run and the reports are written); a second one re-raises the
 * signal with the guard removed, which is the "Ctrl+C again to force" the CLI promises. When
 * nobody else listened when the guard was armed, Ctrl+C keeps Node's default at once.
 */
function createSigintGuard(beforeForcedExit: () => void): { arm(): void; disarm(): void } {
  let armed = false;
  let owned = false;
  let presses = 0;
  const reraise = (): void => {
    disarm();
    beforeForcedExit();
    process.kill(process.pid, 'SIGINT');
  };
  const onSigint = (): void => {
    presses += 1;
    debug('SIGINT %d while drawing (owned by another listener: %s)', presses, owned);
    if (!owned || presses > 1) reraise();
  };
  const disarm = (): void => {
    if (!armed) return;
    armed = false;
    process.removeListener('SIGINT', onSigint);
  };
  return {
    arm() {
      if (armed) return;
      armed = true;
      owned = process.listenerCount('SIGINT') > 0;
      presses = 0;
      process.on('SIGINT', onSigint);
    },
    disarm,
  };
}

/** Ends a view whose scenario did not report its end: running and pending steps shown as interrupted. */
function closeUnfinished(v: ScenarioView, why: string): void {
  for (const s of v.steps.values()) s.done.resolve('interrupted');
  v.end.resolve(undefined);
  setScenarioTitle(v, `${v.info.name} ${color.yellow(`— ${why}`)}`);
}

function setScenarioTitle(v: Omit<ScenarioView, 'running'>, title: string): void {
  v.finalTitle = title;
  if (v.scenarioTask !== undefined) v.scenarioTask.title = title;
}

function showStepOutcome(task: AnyWrapper, s: StepView, outcome: StepOutcome): void {
  if (outcome === 'not-run') {
    task.skip(`[${s.ref}] ${s.label} (not run)`);
    return;
  }
  // Thrown, not skipped: an unfinished step is drawn ✖ so the scenario is not drawn as a success.
  if (outcome === 'interrupted') throw new Error('interrupted');
  task.title = `[${s.ref}] ${s.label} ${color.dim(formatDuration(outcome.durationMs))}`;
  const c = outcome.counters;
  const busy = c.published + c.received + c.pending > 0;
  const facts = outcome.notes.length > 0 ? outcome.notes.join(', ') : busy ? formatCounters(c) : '';
  task.output = facts;
  switch (outcome.status) {
    case 'passed':
      return;
    case 'warning':
      // Not a failure of the scenario, but never shown as a plain ✔ either.
      task.output = `warning: ${facts}`;
      return;
    case 'failed':
      throw new Error(outcome.error ?? 'step failed');
    case 'interrupted':
      throw new Error(outcome.error ?? 'interrupted');
    case 'skipped':
      task.skip(`[${s.ref}] ${s.label} (skipped${outcome.error === undefined ? '' : `: ${outcome.error}`})`);
      return;
  }
}

function showAssertion(task: AnyWrapper, a: AssertionResult, maxDetails: number): void {
  if (a.status === 'passed') return;
  if (a.status === 'skipped') {
    task.skip(`${a.label} — skipped: ${formatSkipReason(a)}`);
    return;
  }
  const lines = [formatExpectation(a), ...a.details.slice(0, maxDetails).map((d) => `  ${d}`)];
  if (a.details.length > maxDetails) lines.push(`  … ${a.details.length - maxDetails} more`);
  throw new Error(lines.join('\n'));
}

/** `2 passed, 1 failed, 1 skipped` (zero counts left out, passed always shown). */
function countAssertions(assertions: readonly AssertionResult[]): string {
  const n = (status: AssertionResult['status']) => assertions.filter((a) => a.status === status).length;
  const parts = [`${n('passed')} passed`];
  if (n('failed') > 0) parts.push(`${n('failed')} failed`);
  if (n('skipped') > 0) parts.push(`${n('skipped')} skipped`);
  return parts.join(', ');
}

function scenarioTitle(result: ScenarioResult): string {
  const time = formatDuration(result.durationMs);
  switch (result.status) {
    case 'passed':
      return `${result.name} ${color.green(`— passed in ${time}`)}`;
    case 'failed': {
      const failed = result.assertions.filter((a) => a.status === 'failed').length;
      return `${result.name} ${color.red(`— failed (${failed} of ${result.assertions.length} assertions) in ${time}`)}`;
    }
    case 'errored':
    case 'interrupted':
      return `${result.name} ${color.red(`— ${result.status}${result.error === undefined ? '' : `: ${result.error.message}`}`)}`;
  }
}

/** Resolves true when `promise` settled within `ms`, false otherwise; never rejects. */
async function settleWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
