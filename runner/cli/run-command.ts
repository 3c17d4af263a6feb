/**
 * `mqscen run`: validate every file first (nothing connects while any file has a problem), start
 * the target, run the scenarios one after another, let the reporters observe, and compute the
 * exit code from the summary. Ctrl+C stops the run cleanly: clients are closed, reports are
 * written with the run marked interrupted; a second Ctrl+C kills the process at once.
 */
import { lstat, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import debugFactory from 'debug';
import { runScenario } from '../engine/run-scenario.js';
import { EnvironmentError, EXIT_CODES, MqscenError, type ScenarioError, UsageError } from '../errors.js';
import { chooseConsoleReporter, createReporter, createReporterFanOut } from '../reporters/index.js';
import type { Reporter } from '../reporters/reporter.js';
import type { RunEndReason, RunSummary, ScenarioResult } from '../results.js';
import { parseDuration } from '../scenario/duration.js';
import { loadScenario } from '../scenario/index.js';
import type { ResolvedScenario } from '../scenario/types.js';
import { parseTargets, resolveTarget } from '../targets/index.js';
import type { StartedTarget } from '../targets/target.js';
import {
  createFolder,
  expandFileArguments,
  parseVarFlags,
  refuseSpecialFile,
  warnUnusedVars,
} from './files.js';
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
  // Ctrl+C is handled from the first moment, not only once scenarios run: a press while files load
  // or the target starts still ends with 130 and reports. The first press aborts cleanly; the
  // handler is not re-armed, so a second press gets Node's default (immediate exit).
  const controller = new AbortController();
  const onSigint = () => {
    process.stderr.write(
      '\nmqscen: interrupted; closing clients and writing reports (Ctrl+C again to force)\n',
    );
    controller.abort(new Error('interrupted by Ctrl+C'));
  };
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigint);
  try {
    return await runWithSignal(patterns, rawOpts as unknown as RunCommandOptions, controller.signal);
  } finally {
    process.removeListener('SIGINT', onSigint);
    process.removeListener('SIGTERM', onSigint);
  }
}

async function runWithSignal(
  patterns: string[],
  opts: RunCommandOptions,
  signal: AbortSignal,
): Promise<number> {
  const startedAt = new Date();
  const files = await expandFileArguments(patterns);
  const vars = parseVarFlags(opts.var);
  await warnUnusedVars(vars, files);
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
  if (opts.target !== undefined) checkTargetUrl(opts.target);
  if (opts.targets !== undefined) await refuseSpecialFile(opts.targets, '--targets');
  const targetDefinition = await resolveTarget(opts.target, {
    targetsFile: opts.targets,
    cwd: process.cwd(),
    env: process.env,
  });
  if (opts.targets !== undefined && opts.target === undefined) {
    // The file was named for a reason: running on the embedded broker instead would pass quietly
    // against the wrong broker.
    throw new UsageError(`--targets ${opts.targets} was given without --target NAME`, {
      hint: `add --target with one of the names in ${opts.targets} (${await targetNamesIn(opts.targets)}), or drop --targets to use the embedded broker`,
    });
  }

  // 3. Report files: a path that cannot be written is found now, before anything runs, not after
  // a long run whose report then goes missing in CI.
  if (opts.junit !== false && opts.json !== false && resolve(opts.junit) === resolve(opts.json)) {
    throw new UsageError(
      `--junit and --json both write ${opts.junit}; one report would overwrite the other`,
      {
        hint: 'give them different paths, or leave one out with --no-junit / --no-json',
      },
    );
  }
  const reportFiles: Array<{ label: string; path: string }> = [];
  if (opts.junit !== false) {
    await checkReportPath(opts.junit, 'junit', 'JUnit report');
    reportFiles.push({ label: 'JUnit report', path: opts.junit });
  }
  if (opts.json !== false) {
    await checkReportPath(opts.json, 'json', 'JSON results');
    reportFiles.push({ label: 'JSON results', path: opts.json });
  }

  // 4. Reporters.
  const consoleName =
    opts.reporter === 'auto'
      ? chooseConsoleReporter({ isTTY: Boolean(process.stdout.isTTY), env: process.env })
      : opts.reporter;
  const reporters: Reporter[] = [await createReporter(consoleName, {})];
  if (opts.junit !== false) reporters.push(await createReporter('junit', { outputFile: opts.junit }));
  if (opts.json !== false) reporters.push(await createReporter('json', { outputFile: opts.json }));
  const reporter = createReporterFanOut(reporters);

  const results: ScenarioResult[] = [];
  let target: StartedTarget | undefined;
  try {
    if (!signal.aborted) {
      try {
        target = await targetDefinition.start();
      } catch (error) {
        if (!signal.aborted) {
          // Nothing could run, but the reports still say so, scenario by scenario.
          const err = toMqscenError(error);
          for (const s of selected) results.push(notRunResult(s, targetDefinition, 'errored', err));
          const summary = summarize(startedAt, results, 'failed');
          await reporter.onRunEnd?.(summary, 'failed');
          printError(err);
          return withReportCheck(err.exitCode, reportFiles, startedAt);
        }
      }
    }
    if (target !== undefined && !signal.aborted) {
      const targetInfo = {
        name: target.name,
        kind: target.kind,
        behaviour: target.behaviour,
        transport: target.transport,
        url: target.url,
      };
      await reporter.onRunStart?.({ files, target: targetInfo });
      for (const scenario of selected) {
        if (signal.aborted) break;
        debug('running %s', scenario.file);
        const result = await runScenario(scenario, { target, reporter, signal, timeoutMs });
        results.push(result);
        if (opts.bail && result.status !== 'passed') break;
      }
    }
  } finally {
    await target?.close().catch((error: unknown) => debug('target close failed: %O', error));
  }

  if (signal.aborted) {
    // Scenarios the interrupt kept from running are in the reports as interrupted, so a CI report
    // shows the whole selection rather than silently fewer tests.
    const ran = new Set(results.map((r) => r.file));
    const interrupted = new MqscenError(
      'E_INTERRUPTED',
      EXIT_CODES.failed,
      'interrupted by Ctrl+C before it ran',
    );
    for (const s of selected) {
      if (!ran.has(s.file))
        results.push(notRunResult(s, target ?? targetDefinition, 'interrupted', interrupted));
    }
  }
  const reason: RunEndReason = signal.aborted
    ? 'interrupted'
    : results.every((r) => r.status === 'passed')
      ? 'passed'
      : 'failed';
  const summary = summarize(startedAt, results, reason);
  await reporter.onRunEnd?.(summary, reason);
  const notRun = selected.length - results.length;
  if (opts.bail && notRun > 0 && !signal.aborted) {
    process.stderr.write(
      `mqscen: --bail: ${notRun} scenario${notRun === 1 ? '' : 's'} not run after "${results.at(-1)?.name}" did not pass\n`,
    );
  }
  for (const r of results) {
    if (r.status === 'failed' && r.error !== undefined) {
      // A deadline that cut the steps short is why the assertions failed: say so where errors go.
      process.stderr.write(`mqscen: scenario "${r.name}" stopped early: ${r.error.message}\n`);
    }
    if (r.status === 'errored' && r.error !== undefined && r.error.code !== 'E_INTERNAL') {
      // The console view shows it among the steps; stderr gets it too, with where to look, so a
      // CI log that keeps only errors still says why nothing was checked.
      process.stderr.write(`mqscen: scenario "${r.name}" could not run: ${r.error.message}\n`);
      if (
        /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|no CONNACK/.test(r.error.message)
      ) {
        process.stderr.write(
          `  hint: check that the broker of target "${r.target.name}" (${r.target.url}) is running and reachable from here\n`,
        );
      }
    }
    // Exit 4 must never look like an ordinary failure: say it is a bug and how to get details.
    if (r.error?.code === 'E_INTERNAL') {
      process.stderr.write(
        `mqscen: internal error in scenario "${r.name}" (${r.file}): ${r.error.message}\n` +
          '  this is a bug in mqscen; please report it with the output of the same run under DEBUG=mqscen:*\n',
      );
    }
  }
  return withReportCheck(exitCodeFor(summary), reportFiles, startedAt);
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

function notRunResult(
  scenario: ResolvedScenario,
  target: { name: string; kind: string; behaviour?: string; transport?: string; url?: string },
  status: 'errored' | 'interrupted',
  error: MqscenError,
): ScenarioResult {
  return {
    file: scenario.file,
    name: scenario.name,
    target: {
      name: target.name,
      kind: target.kind,
      behaviour: target.behaviour ?? 'unknown',
      transport: target.transport ?? 'unknown',
      url: target.url ?? '',
    },
    protocols: [...new Set(scenario.clients.map((c) => c.protocol))],
    startedAt: new Date().toISOString(),
    durationMs: 0,
    status,
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

/**
 * A URL given as --target is checked here, so a typo is a usage error (exit 2) before anything
 * starts rather than a connect failure (exit 3) per client. A password inside it would reach
 * reports, CI logs, shell history and the process list: secrets go through the targets file as
 * `${env:NAME}` instead.
 */
function checkTargetUrl(target: string): void {
  if (!target.includes('://')) return; // a target name
  const shown = target.replace(/\/\/([^/:@]*):[^/@]*@/, '//$1:***@');
  const fix = 'write it as mqtt://host:1883, mqtts://host:8883, ws://host:8080/mqtt or wss://host/mqtt';
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new UsageError(`--target ${shown} is not a valid broker URL`, { hint: fix });
  }
  if (!/^(mqtt|mqtts|tcp|ssl|tls|ws|wss):$/.test(url.protocol)) {
    throw new UsageError(`--target ${shown}: "${url.protocol.slice(0, -1)}" is not a broker URL scheme`, {
      hint: fix,
    });
  }
  if (url.hostname === '') throw new UsageError(`--target ${shown} names no host`, { hint: fix });
  if (url.password !== '') {
    throw new UsageError(`--target ${shown} carries a password in the URL`, {
      hint: 'define the target in mqscen.targets.yaml with password: ${env:NAME} and set NAME in the environment or .env',
    });
  }
}

/** Target names in a targets file, for messages (the file was already validated). */
async function targetNamesIn(file: string): Promise<string> {
  try {
    const names = parseTargets(file, await readFile(file, 'utf8'));
    return names.length === 0 ? 'it defines none' : names.map((n) => `"${n}"`).join(', ');
  } catch {
    return 'see the file';
  }
}

/**
 * Makes sure a report can be written at `file`: creates its folder (one level at a time: Node's
 * recursive mkdir never returns under /proc) and writes then removes a probe file beside it.
 */
async function checkReportPath(file: string, flag: string, label: string): Promise<void> {
  const path = resolve(file);
  const fix = `choose a writable path with --${flag} PATH, or leave the report out with --no-${flag}`;
  const info = await stat(path).catch(() => undefined);
  if (info?.isDirectory()) {
    throw new UsageError(`--${flag} ${file} is a folder; the ${label} needs a file path`, {
      hint: `for example --${flag} ${join(file, flag === 'junit' ? 'junit.xml' : 'results.json')}`,
    });
  }
  if ((await lstat(path).catch(() => undefined))?.isSymbolicLink()) {
    // The report is written beside its path and renamed over it, which replaces a link (such as
    // /dev/stdout, a link to the process's output) instead of writing through it.
    throw new UsageError(`--${flag} ${file} is a symbolic link; the ${label} would replace the link`, {
      hint: `give a file path such as reports/${flag === 'junit' ? 'junit.xml' : 'results.json'}, or --no-${flag} to write none`,
    });
  }
  if (info !== undefined && !info.isFile()) {
    // The report is written beside its path and renamed over it (never half-written), which
    // would replace a device or pipe such as /dev/stdout rather than write into it.
    throw new UsageError(`--${flag} ${file} is not a regular file; the ${label} is written to a file`, {
      hint: `give a file path such as reports/${flag === 'junit' ? 'junit.xml' : 'results.json'}, or --no-${flag} to write none`,
    });
  }
  try {
    await createFolder(dirname(path));
    const probe = join(dirname(path), `.mqscen-write-check-${process.pid}`);
    await writeFile(probe, '');
    await rm(probe, { force: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new EnvironmentError(
      `cannot write the ${label} to ${file}${code ? ` (${code})` : ''}; nothing was run`,
      { cause: error, hint: fix },
    );
  }
}

/**
 * A report that was asked for but not written (disk full, folder removed during the run) turns a
 * pass or a failure into exit 3: CI must not read "passed" when its JUnit file is missing.
 */
async function withReportCheck(
  code: number,
  reports: ReadonlyArray<{ label: string; path: string }>,
  startedAt: Date,
): Promise<number> {
  let missing = false;
  for (const report of reports) {
    const info = await stat(report.path).catch(() => undefined);
    // Whole-second file systems round mtime down: allow one second of slack.
    if (info === undefined || info.mtimeMs < startedAt.getTime() - 1000) {
      process.stderr.write(
        `mqscen: the ${report.label} was not written to ${report.path} (see the error above)\n`,
      );
      missing = true;
    }
  }
  if (missing && (code === EXIT_CODES.passed || code === EXIT_CODES.failed)) return EXIT_CODES.environment;
  return code;
}

export type { ScenarioError };
