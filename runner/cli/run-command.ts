/**
 * `mqscen run`: validate every file first (nothing connects while any file has a problem), start
 * the target, run the scenarios one after another, let the reporters observe, and compute the
 * exit code from the summary. Ctrl+C stops the run cleanly: clients are closed, reports are
 * written with the run marked interrupted; a second Ctrl+C kills the process at once.
 */
import debugFactory from 'debug';
import { runScenario } from '../engine/run-scenario.js';
import { EnvironmentError, EXIT_CODES, MqscenError, type ScenarioError, UsageError } from '../errors.js';
import { chooseConsoleReporter, createReporter, createReporterFanOut } from '../reporters/index.js';
import type { Reporter } from '../reporters/reporter.js';
import type { RunEndReason, RunSummary, ScenarioResult } from '../results.js';
import { parseDuration } from '../scenario/duration.js';
import { loadScenario } from '../scenario/index.js';
import type { ResolvedScenario } from '../scenario/types.js';
import { resolveTarget } from '../targets/index.js';
import type { StartedTarget } from '../targets/target.js';
import { expandFileArguments, parseVarFlags } from './files.js';
import { printError } from './output.js';
import { printIssues } from './validate-command.js';

const debug = debugFactory('mqscen:cli');

/** Exit code of a run interrupted with Ctrl+C (128 + SIGINT, what shells and CI expect). */
export const EXIT_INTERRUPTED = 130;

export interface RunCommandOptions {
  target?: string;
  targets?: string;
  junit: string | false;
  json: string | false;
  var: string[];
  timeout?: string;
  bail?: boolean;
  grep?: string;
  reporter: 'auto' | 'live' | 'plain';
}

export async function runCommand(patterns: string[], rawOpts: Record<string, unknown>): Promise<number> {
  const opts = rawOpts as unknown as RunCommandOptions;
  const startedAt = new Date();
  const files = await expandFileArguments(patterns);
  const vars = parseVarFlags(opts.var);
  const timeoutMs = opts.timeout === undefined ? undefined : parseTimeoutFlag(opts.timeout);
  const grep = opts.grep === undefined ? undefined : compileGrep(opts.grep);

  // 1. Every file is loaded and checked before anything connects.
  const scenarios: ResolvedScenario[] = [];
  let problems = 0;
  let badFiles = 0;
  for (const file of files) {
    const loaded = await loadScenario(file, { vars, env: process.env });
    if (loaded.ok) {
      printIssues(loaded.warnings);
      scenarios.push(loaded.scenario);
    } else {
      badFiles++;
      problems += printIssues(loaded.issues);
    }
  }
  if (badFiles > 0) {
    process.stderr.write(
      `${problems} problem${problems === 1 ? '' : 's'} in ${badFiles} file${badFiles === 1 ? '' : 's'}; nothing was run\n`,
    );
    return EXIT_CODES.invalidInput;
  }
  const selected = grep ? scenarios.filter((s) => grep.test(s.name) || grep.test(s.file)) : scenarios;
  if (selected.length === 0) {
    throw new UsageError(`--grep "${opts.grep}" matches none of the ${scenarios.length} scenario(s)`, {
      hint: 'the pattern is a regular expression tested against each scenario name and file path',
    });
  }

  // 2. Target (a bad name or targets file is exit 2, before any reporter writes anything).
  const targetDefinition = await resolveTarget(opts.target, {
    targetsFile: opts.targets,
    cwd: process.cwd(),
    env: process.env,
  });

  // 3. Reporters.
  const consoleName =
    opts.reporter === 'auto'
      ? chooseConsoleReporter({ isTTY: Boolean(process.stdout.isTTY), env: process.env })
      : opts.reporter;
  const reporters: Reporter[] = [await createReporter(consoleName, {})];
  if (opts.junit !== false) reporters.push(await createReporter('junit', { outputFile: opts.junit }));
  if (opts.json !== false) reporters.push(await createReporter('json', { outputFile: opts.json }));
  const reporter = createReporterFanOut(reporters);

  // 4. Ctrl+C: first press aborts the run cleanly; the handler is not re-armed, so a second press
  // gets Node's default (immediate exit).
  const controller = new AbortController();
  const onSigint = () => {
    process.stderr.write(
      '\nmqscen: interrupted; closing clients and writing reports (Ctrl+C again to force)\n',
    );
    controller.abort(new Error('interrupted by Ctrl+C'));
  };
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigint);

  const results: ScenarioResult[] = [];
  let target: StartedTarget | undefined;
  try {
    try {
      target = await targetDefinition.start();
    } catch (error) {
      // Nothing could run, but the reports still say so, scenario by scenario.
      const err = toMqscenError(error);
      for (const s of selected) results.push(erroredResult(s, targetDefinition, err));
      const summary = summarize(startedAt, results, 'failed');
      await reporter.onRunEnd?.(summary, 'failed');
      printError(err);
      return err.exitCode;
    }
    const targetInfo = {
      name: target.name,
      kind: target.kind,
      behaviour: target.behaviour,
      transport: target.transport,
      url: target.url,
    };
    await reporter.onRunStart?.({ files, target: targetInfo });
    for (const scenario of selected) {
      if (controller.signal.aborted) break;
      debug('running %s', scenario.file);
      const result = await runScenario(scenario, { target, reporter, signal: controller.signal, timeoutMs });
      results.push(result);
      if (opts.bail && result.status !== 'passed') break;
    }
  } finally {
    await target?.close().catch((error: unknown) => debug('target close failed: %O', error));
    process.removeListener('SIGINT', onSigint);
    process.removeListener('SIGTERM', onSigint);
  }

  const reason: RunEndReason = controller.signal.aborted
    ? 'interrupted'
    : results.every((r) => r.status === 'passed')
      ? 'passed'
      : 'failed';
  const summary = summarize(startedAt, results, reason);
  await reporter.onRunEnd?.(summary, reason);
  return exitCodeFor(summary);
}

/** The exit code table of the README: interrupted 130, environment 3, internal 4, failed 1, else 0. */
export function exitCodeFor(summary: RunSummary): number {
  if (summary.reason === 'interrupted') return EXIT_INTERRUPTED;
  const errored = summary.scenarios.filter((s) => s.status === 'errored');
  if (errored.some((s) => s.error?.code === 'E_INTERNAL')) return EXIT_CODES.internal;
  if (errored.length > 0) return EXIT_CODES.environment;
  if (summary.scenarios.some((s) => s.status !== 'passed')) return EXIT_CODES.failed;
  return EXIT_CODES.passed;
}

function summarize(startedAt: Date, scenarios: ScenarioResult[], reason: RunEndReason): RunSummary {
  return {
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    scenarios,
    passed: scenarios.filter((s) => s.status === 'passed').length,
    failed: scenarios.filter((s) => s.status === 'failed').length,
    errored: scenarios.filter((s) => s.status === 'errored' || s.status === 'interrupted').length,
    reason,
  };
}

function erroredResult(
  scenario: ResolvedScenario,
  target: { name: string; kind: string },
  error: MqscenError,
): ScenarioResult {
  return {
    file: scenario.file,
    name: scenario.name,
    target: { name: target.name, kind: target.kind, behaviour: 'unknown', transport: 'unknown', url: '' },
    protocols: [...new Set(scenario.clients.map((c) => c.protocol))],
    startedAt: new Date().toISOString(),
    durationMs: 0,
    status: 'errored',
    steps: [],
    assertions: [],
    error: { code: error.code, message: error.message },
    counters: { published: 0, acked: 0, received: 0, duplicates: 0, pending: 0 },
  };
}

function toMqscenError(error: unknown): MqscenError {
  if (error instanceof MqscenError) return error;
  return new EnvironmentError(
    `the target could not be started: ${(error as Error)?.message ?? String(error)}`,
    {
      cause: error,
    },
  );
}

function parseTimeoutFlag(text: string): number {
  const parsed = parseDuration(text);
  if (typeof parsed !== 'number') {
    throw new UsageError(`--timeout "${text}" is not a duration`, {
      hint: 'write it with a unit, e.g. 30s or 2m',
    });
  }
  return parsed;
}

function compileGrep(pattern: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch (error) {
    throw new UsageError(`--grep "${pattern}" is not a valid regular expression`, { cause: error });
  }
}

export type { ScenarioError };
