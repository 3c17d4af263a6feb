/**
 * The suite runner: every file is loaded, resolved and compiled before any target starts
 * (`loadSuite`), then the target starts, the scenarios run one after another, and the reporters get
 * the final RunSummary (`runSuite`). This is the one place that decides which scenarios ran, which
 * were interrupted and which never ran, so reporters never reconstruct state (style rule 19).
 *
 * Never throws once the scenarios are loaded: a target that does not start, a scenario that throws,
 * Ctrl+C at any moment all end in a summary that reporters write.
 */
import debugFactory from 'debug';
import { EnvironmentError, type Issue, MqscenError, ScenarioError } from '../errors.js';
import type { ReporterFailure, ReporterFanOut } from '../reporters/index.js';
import type { RunEndReason, RunSummary, ScenarioResult } from '../results.js';
import { loadScenario } from '../scenario/index.js';
import type { ResolvedScenario } from '../scenario/types.js';
import type { StartedTarget, TargetDefinition } from '../targets/target.js';
import { compileSteps, type RunScenarioOptions, runScenario } from './run-scenario.js';
import { errorInfo, notRunResult, summarize, targetInfo } from './scenario-results.js';

const debug = debugFactory('mqscen:engine:suite');

export interface LoadSuiteOptions {
  /** `--var` values. */
  vars: Readonly<Record<string, string>>;
  /** Environment for `${env:NAME}`. */
  env: Readonly<Record<string, string | undefined>>;
  /** The `{run}` of client ids (every client shard of a run uses the same). @default one per process */
  runId?: string;
}

export type LoadSuiteResult =
  | { ok: true; scenarios: ResolvedScenario[]; warnings: Issue[] }
  | { ok: false; issues: Issue[]; badFiles: number; warnings: Issue[] };

/**
 * Loads and checks every file the way `mqscen validate` does, then compiles each scenario's steps,
 * so whatever would stop a scenario before it connects stops the whole run before anything does.
 */
export async function loadSuite(
  files: readonly string[],
  options: LoadSuiteOptions,
): Promise<LoadSuiteResult> {
  const scenarios: ResolvedScenario[] = [];
  const issues: Issue[] = [];
  const warnings: Issue[] = [];
  let badFiles = 0;
  for (const file of files) {
    const loaded = await loadScenario(file, {
      vars: options.vars,
      env: options.env,
      ...(options.runId === undefined ? {} : { runId: options.runId }),
    });
    if (!loaded.ok) {
      badFiles++;
      issues.push(...loaded.issues);
      continue;
    }
    warnings.push(...loaded.warnings);
    try {
      compileSteps(loaded.scenario);
      scenarios.push(loaded.scenario);
    } catch (error) {
      if (!(error instanceof ScenarioError)) throw error;
      badFiles++;
      issues.push(...error.issues);
    }
  }
  return badFiles > 0 ? { ok: false, issues, badFiles, warnings } : { ok: true, scenarios, warnings };
}

export interface RunSuiteOptions {
  /** Where the scenarios run; started here, closed at the end. */
  target: TargetDefinition;
  reporter: ReporterFanOut;
  /** Ctrl+C: the running scenario stops, the rest are reported as interrupted. */
  signal: AbortSignal;
  /** Files as given, for the reporters' run start. */
  files: readonly string[];
  /** Overrides every scenario's deadline (CLI --timeout), ms. */
  timeoutMs?: number;
  /** Stop after the first scenario that does not pass; the rest are left out of the summary. */
  bail?: boolean;
  /** Passed on to runScenario (tests). */
  scenarioOptions?: Pick<
    RunScenarioOptions,
    'getTransport' | 'timings' | 'cleanupSessions' | 'onRecord' | 'shard'
  >;
}

export interface SuiteOutcome {
  summary: RunSummary;
  /** Reporters that failed to finish (for the file reporters: a report that was not written). */
  reportFailures: ReporterFailure[];
  /** Set when the target could not start (every scenario is then errored with this cause). */
  targetError?: MqscenError;
  /** Scenarios left out after --bail stopped the run. */
  notRunAfterBail: number;
}

export async function runSuite(
  scenarios: readonly ResolvedScenario[],
  options: RunSuiteOptions,
): Promise<SuiteOutcome> {
  const startedAt = new Date();
  const { reporter, signal } = options;
  const results: ScenarioResult[] = [];
  let target: StartedTarget | undefined;
  let targetError: MqscenError | undefined;
  let bailed = false;
  try {
    if (!signal.aborted) {
      try {
        // The largest fleet decides where an embedded broker runs (its own process above ~2,000).
        const clients = Math.max(0, ...scenarios.map((sc) => sc.clients.length));
        target = await options.target.start({ clients });
      } catch (error) {
        if (!signal.aborted) targetError = toTargetError(error);
      }
    }
    if (target !== undefined && !signal.aborted) {
      await reporter.onRunStart?.({ files: [...options.files], target: targetInfo(target) });
      for (const scenario of scenarios) {
        if (signal.aborted) break;
        debug('running %s', scenario.file);
        const result = await runOne(scenario, target, options);
        results.push(result);
        if (options.bail && result.status !== 'passed') {
          bailed = true;
          break;
        }
      }
    }
  } finally {
    await target?.close().catch((error: unknown) => debug('target close failed: %O', error));
  }

  // Scenarios that never got their turn are in the reports all the same, so a CI report shows the
  // whole selection (a --bail run leaves them out on purpose and says how many).
  const ranCount = results.length;
  const notRun = scenarios.slice(results.length);
  if (targetError !== undefined && !signal.aborted) {
    const info = errorInfo(targetError);
    for (const s of notRun) results.push(notRunResult(s, options.target, 'errored', info));
  } else if (signal.aborted) {
    const info = { code: 'E_INTERRUPTED', message: 'interrupted by Ctrl+C before it ran' };
    for (const s of notRun) results.push(notRunResult(s, target ?? options.target, 'interrupted', info));
  }
  const reason: RunEndReason = signal.aborted
    ? 'interrupted'
    : results.every((r) => r.status === 'passed')
      ? 'passed'
      : 'failed';
  const summary = summarize(startedAt, results, reason);
  const reportFailures = await reporter.onRunEnd(summary, reason);
  const outcome: SuiteOutcome = {
    summary,
    reportFailures,
    notRunAfterBail: bailed ? scenarios.length - ranCount : 0,
  };
  if (targetError !== undefined) outcome.targetError = targetError;
  return outcome;
}

// --- internal ---

/** Runs one scenario; whatever it throws becomes its errored result, so the run goes on to its reports. */
async function runOne(
  scenario: ResolvedScenario,
  target: StartedTarget,
  options: RunSuiteOptions,
): Promise<ScenarioResult> {
  const scenarioOptions: RunScenarioOptions = {
    ...options.scenarioOptions,
    target,
    reporter: options.reporter,
    signal: options.signal,
  };
  if (options.timeoutMs !== undefined) scenarioOptions.timeoutMs = options.timeoutMs;
  try {
    return await runScenario(scenario, scenarioOptions);
  } catch (error) {
    debug('scenario %s threw: %O', scenario.file, error);
    const result = notRunResult(scenario, target, 'errored', errorInfo(error));
    await options.reporter.onScenarioEnd?.(result);
    return result;
  }
}

function toTargetError(error: unknown): MqscenError {
  if (error instanceof MqscenError) return error;
  return new EnvironmentError(
    `the target could not be started: ${(error as Error)?.message ?? String(error)}`,
    { cause: error },
  );
}
