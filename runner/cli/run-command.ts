/**
 * `mqscen run`: flag parsing and the exit code. The engine's suite runner loads and checks every
 * file first (nothing connects while any file has a problem), runs the scenarios and hands the
 * reporters the final summary; this file checks the flags, the target and the report paths before
 * that, and maps the summary to an exit code after. Ctrl+C is caught from the first moment
 * (runner/cli/interrupt.ts, armed by bin/mqscen.js before anything else loads).
 */
import { lstat, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { describePolicyRefusals } from '../engine/run-scenario.js';
import { loadSuite, runSuite } from '../engine/run-suite.js';
import {
  type PartitionItem,
  partitionByFiles,
  resolveShard,
  resolveShardRunId,
  type ShardBy,
  type ShardSpec,
  shardClientRunId,
  shardLabel,
  sortForPartition,
  suiteFingerprint,
} from '../engine/shard.js';
import { type ShardCoordinator, startShardCoordinator } from '../engine/shard-coordinator.js';
import { buildShardFile } from '../engine/shard-file.js';
import { encodeLatencyHistogram } from '../engine/shard-histograms.js';
import type { ScenarioJournal } from '../engine/shard-journal.js';
import { EnvironmentError, EXIT_CODES, type ScenarioError, UsageError } from '../errors.js';
import { chooseConsoleReporter, createReporter, createReporterFanOut } from '../reporters/index.js';
import type { Reporter } from '../reporters/reporter.js';
import type { RunSummary } from '../results.js';
import { parseDuration } from '../scenario/duration.js';
import { nestedSteps } from '../scenario/step-tree.js';
import type { ResolvedScenario, ResolvedStep } from '../scenario/types.js';
import { parseTargets, resolveTarget } from '../targets/index.js';
import type { StartedTarget } from '../targets/target.js';
import { isUnreachableMessage } from '../transports/connect-errors.js';
import { isBrokerScheme, looksLikeBrokerUrl, redactUrl } from '../transports/url.js';
import { version } from '../version.js';
import {
  createFolder,
  expandFileArguments,
  parseVarFlags,
  refuseSpecialFile,
  warnUnusedVars,
} from './files.js';
import { armInterruptHandler, disarmInterruptHandler, interruptSignal } from './interrupt.js';
import { printError } from './output.js';
import { printIssues } from './validate-command.js';

/** Exit code of a run interrupted with Ctrl+C (128 + SIGINT, what shells and CI expect). */
export const EXIT_INTERRUPTED = 130;

export interface RunCommandOptions {
  target?: string;
  targets?: string;
  junit: string | false;
  junitStrict?: boolean;
  /** A path, `-` for stdout, or false. */
  json: string | false;
  /** A path, false (`--no-html`), or undefined: report.html beside the JUnit file. */
  html?: string | false;
  var: string[];
  timeout?: string;
  bail?: boolean;
  grep?: string;
  reporter: 'auto' | 'live' | 'plain';
  /** `--shard i/n`. */
  shard?: string;
  /** `--shards n`, with JOB_COMPLETION_INDEX. */
  shards?: string;
  shardBy?: string;
  /** Where this shard's file goes (default shard-<i>-of-<n>.json beside the JUnit file). */
  shardFile?: string;
  runId?: string;
  /** Broker of the step barriers of client shards (default: the target broker). */
  coordinator?: string;
}

const REPORT_LABELS: Readonly<Record<string, string>> = {
  junit: 'JUnit report',
  json: 'JSON results',
  html: 'HTML report',
};

export async function runCommand(patterns: string[], rawOpts: Record<string, unknown>): Promise<number> {
  // Normally armed by bin/mqscen.js already; arming again is a no-op.
  armInterruptHandler();
  try {
    return await runWithSignal(patterns, rawOpts as unknown as RunCommandOptions, interruptSignal);
  } finally {
    disarmInterruptHandler();
  }
}

async function runWithSignal(
  patterns: string[],
  opts: RunCommandOptions,
  signal: AbortSignal,
): Promise<number> {
  const files = await expandFileArguments(patterns);
  const vars = parseVarFlags(opts.var);
  await warnUnusedVars(vars, files);
  const timeoutMs = opts.timeout === undefined ? undefined : parseTimeoutFlag(opts.timeout);
  const grep = opts.grep === undefined ? undefined : compileGrep(opts.grep);

  // 1. Every file is loaded, resolved and compiled before anything connects.
  const loaded = await loadSuite(files, { vars, env: process.env });
  printIssues(loaded.warnings);
  if (!loaded.ok) {
    const problems = printIssues(loaded.issues);
    process.stderr.write(
      `${problems} problem${problems === 1 ? '' : 's'} in ${loaded.badFiles} file${loaded.badFiles === 1 ? '' : 's'}; nothing was run\n`,
    );
    return EXIT_CODES.invalidInput;
  }
  const scenarios = loaded.scenarios;
  const selected = grep ? scenarios.filter((s) => grep.test(s.name) || grep.test(s.file)) : scenarios;
  if (selected.length === 0) {
    throw new UsageError(`--grep "${opts.grep}" matches none of the ${scenarios.length} scenario(s)`, {
      hint: 'the pattern is a regular expression tested against each scenario name and file path',
    });
  }

  // 1b. Sharding: this process keeps its part of the selection (every shard computes the same split).
  let sharding = await planShard(opts, selected, vars);
  if (sharding !== undefined && sharding.clientKeys.size > 0) {
    // Client ids with `{run}` must name the same clients on every shard: load again with the run's.
    const again = await loadSuite(files, { vars, env: process.env, runId: shardClientRunId(sharding.runId) });
    if (!again.ok) return EXIT_CODES.invalidInput;
    const keys = new Set(sharding.owned.map(scenarioKey));
    sharding = { ...sharding, owned: again.scenarios.filter((s) => keys.has(scenarioKey(s))) };
  }
  const toRun = sharding === undefined ? selected : sharding.owned;

  // 2. Target (a bad name or targets file is exit 2, before any reporter writes anything).
  if (opts.target !== undefined) checkTargetUrl(opts.target);
  if (opts.targets !== undefined) await refuseSpecialFile(opts.targets, '--targets');
  // A targets file named without --target: its one target, if it has exactly one. With several,
  // running on the embedded broker instead would pass quietly against the wrong broker.
  const targetName =
    opts.target ?? (opts.targets !== undefined ? await onlyTargetIn(opts.targets) : undefined);
  const targetDefinition = await resolveTarget(targetName, {
    targetsFile: opts.targets,
    cwd: process.cwd(),
    env: process.env,
  });
  // A broker the run starts (embedded, or a Mosquitto the runner launches) is one per shard: the
  // shards' clients would never meet, and the barriers would wait for shards on other brokers.
  if (
    sharding !== undefined &&
    sharding.clientKeys.size > 0 &&
    (targetDefinition.kind === 'embedded' || targetDefinition.kind === 'mosquitto')
  ) {
    throw new UsageError(
      `--shard-by clients needs one broker that every shard reaches; each shard would start its own ${targetDefinition.kind === 'embedded' ? 'embedded broker' : 'Mosquitto'}`,
      {
        hint: 'start one (mqscen broker, or the broker under test) and give it with -t mqtt://host:port',
      },
    );
  }
  // The target is the default coordinator only when it needs no TLS or credentials: said now, not
  // when the first scenario starts.
  if (
    sharding !== undefined &&
    sharding.clientKeys.size > 0 &&
    opts.coordinator === undefined &&
    opts.target !== undefined &&
    looksLikeBrokerUrl(opts.target) &&
    !carriesBarriers(opts.target)
  ) {
    throw new UsageError(
      `the target ${redactUrl(opts.target)} needs TLS, which the step barriers of client shards do not carry`,
      { hint: 'give a broker every shard reaches without it: --coordinator mqtt://host:1883' },
    );
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
  if (opts.junit !== false) await checkReportPath(opts.junit, 'junit', 'JUnit report');
  // `--json -`: the results are the run's stdout, so nothing else may be written there.
  const jsonToStdout = opts.json === '-';
  if (opts.json !== false && !jsonToStdout) await checkReportPath(opts.json, 'json', 'JSON results');
  const htmlFile = htmlPathFor(opts);
  if (htmlFile !== undefined) {
    for (const [flag, other] of [
      ['--junit', opts.junit],
      ['--json', opts.json],
    ] as const) {
      if (other !== false && resolve(other) === resolve(htmlFile)) {
        throw new UsageError(
          `--html and ${flag} both write ${htmlFile}; one report would overwrite the other`,
          {
            hint: 'give them different paths, or leave the HTML report out with --no-html',
          },
        );
      }
    }
    await checkReportPath(htmlFile, 'html', 'HTML report');
  }
  if (sharding !== undefined) await checkReportPath(sharding.file, 'shard-file', 'shard file');

  // 4. Reporters.
  const consoleStream = jsonToStdout ? process.stderr : process.stdout;
  const consoleName =
    opts.reporter === 'auto'
      ? chooseConsoleReporter({ isTTY: Boolean(consoleStream.isTTY), env: process.env })
      : opts.reporter;
  const reporters: Reporter[] = [await createReporter(consoleName, { stream: consoleStream })];
  if (opts.junit !== false)
    reporters.push(
      await createReporter('junit', { outputFile: opts.junit, strict: opts.junitStrict === true }),
    );
  if (opts.json !== false)
    reporters.push(
      await createReporter('json', jsonToStdout ? { stream: process.stdout } : { outputFile: opts.json }),
    );
  if (htmlFile !== undefined) reporters.push(await createReporter('html', { outputFile: htmlFile }));
  const reporter = createReporterFanOut(reporters);

  // 5. The suite.
  const histograms: NonNullable<Parameters<typeof buildShardFile>[0]['histograms']> = [];
  const journals: ScenarioJournal[] = [];
  const coordinator =
    sharding !== undefined && sharding.clientKeys.size > 0
      ? lazyCoordinator(sharding, opts.coordinator)
      : undefined;
  const outcome = await runSuite(toRun, {
    ...(sharding === undefined
      ? {}
      : {
          scenarioOptions: {
            onRecord: (record, result) => {
              if (sharding.clientKeys.has(scenarioKey(result))) return;
              const latencyUs = encodeLatencyHistogram(record);
              if (latencyUs !== undefined)
                histograms.push({ file: result.file, name: result.name, latencyUs });
            },
            ...(coordinator === undefined
              ? {}
              : {
                  shard: {
                    index: sharding.spec.index,
                    total: sharding.spec.total,
                    runId: sharding.runId,
                    coordinator: coordinator.get,
                    covers: (scenario) => sharding.clientKeys.has(scenarioKey(scenario)),
                    onJournal: (journal) => journals.push(journal),
                  },
                }),
          },
        }),
    target: targetDefinition,
    reporter,
    signal,
    files,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(opts.bail ? { bail: true } : {}),
  });

  await coordinator?.close();
  let shardFileError: string | undefined;
  if (sharding !== undefined)
    shardFileError = await writeShard(sharding, outcome.summary, histograms, journals, vars);

  let code: number;
  if (outcome.targetError !== undefined && !signal.aborted) {
    code = printError(outcome.targetError);
  } else {
    printScenarioErrors(outcome.summary);
    code = exitCodeFor(outcome.summary);
  }
  if (outcome.notRunAfterBail > 0) {
    const n = outcome.notRunAfterBail;
    process.stderr.write(
      `mqscen: --bail: ${n} scenario${n === 1 ? '' : 's'} not run after "${outcome.summary.scenarios.at(-1)?.name}" did not pass\n`,
    );
  }
  // A report that was asked for but not written (disk full, folder removed during the run) turns a
  // pass or a failure into exit 3: CI must not read "passed" when its JUnit file is missing.
  let missing = false;
  for (const failure of outcome.reportFailures) {
    if (failure.outputFile === undefined) continue;
    missing = true;
    const label = REPORT_LABELS[failure.reporter] ?? `${failure.reporter} report`;
    process.stderr.write(
      `mqscen: the ${label} was not written to ${failure.outputFile}: ${failure.message}\n`,
    );
  }
  if (shardFileError !== undefined) {
    missing = true;
    process.stderr.write(`mqscen: the shard file was not written: ${shardFileError}\n`);
  }
  if (missing && (code === EXIT_CODES.passed || code === EXIT_CODES.failed)) return EXIT_CODES.environment;
  return code;
}

interface ShardPlan {
  spec: ShardSpec;
  /** `--shard-by`, else files; a scenario's own `shard: clients` applies when no flag is given. */
  by: ShardBy;
  /** The scenarios split by clients (every shard runs them), by scenarioKey. */
  clientKeys: Set<string>;
  owned: ResolvedScenario[];
  selection: PartitionItem[];
  fingerprint: string;
  runId: string;
  file: string;
}

/** Which shard this is and what it owns; undefined for an unsharded run. */
async function planShard(
  opts: RunCommandOptions,
  selected: readonly ResolvedScenario[],
  vars: Readonly<Record<string, string>>,
): Promise<ShardPlan | undefined> {
  const spec = resolveShard({
    ...(opts.shard === undefined ? {} : { shard: opts.shard }),
    ...(opts.shards === undefined ? {} : { shards: opts.shards }),
    env: process.env,
  });
  const by = opts.shardBy ?? 'files';
  if (by !== 'files' && by !== 'clients') {
    throw new UsageError(`--shard-by ${by}: expected files or clients`);
  }
  if (spec === undefined) {
    if (opts.shardBy !== undefined || opts.shardFile !== undefined) {
      throw new UsageError(
        `--shard-by and --shard-file need a shard: --shard i/n, MQSCEN_SHARD, or --shards N in an Indexed Job`,
      );
    }
    return undefined;
  }
  // The flag decides for every scenario; without it each scenario's `shard:` (default files).
  const modeOf = (s: ResolvedScenario): ShardBy => (opts.shardBy === undefined ? (s.shardBy ?? 'files') : by);
  const clientScenarios = selected.filter((s) => modeOf(s) === 'clients');
  for (const s of clientScenarios) refuseUnshardable(s);
  const clientKeys = new Set(clientScenarios.map(scenarioKey));
  const withContent = await Promise.all(
    selected.map(async (s) => ({
      file: s.file,
      name: s.name,
      content: await readFile(s.file, 'utf8').catch(() => ''),
    })),
  );
  const fingerprint = suiteFingerprint({ scenarios: withContent, vars, total: spec.total, by });
  const runId = resolveShardRunId(opts.runId, process.env, fingerprint);
  if (runId.startsWith('suite-') && clientKeys.size > 0) {
    // Client shards stamp every message with an identity derived from the run id: a run that
    // reused an earlier run's id could take that run's retained or queued messages for its own.
    throw new UsageError('client shards need a run id unique to this run, shared by every shard', {
      hint: 'give --run-id ID (or MQSCEN_RUN_ID) to every shard; GitHub Actions (GITHUB_RUN_ID) and `mqscen k8s job` set one',
    });
  }
  if (runId.startsWith('suite-')) {
    // Two runs of one selection would then have one id: a stale shard file of an earlier run
    // could stand in for a shard of this one that never wrote its file.
    process.stderr.write(
      'mqscen: warning: no --run-id (or MQSCEN_RUN_ID, GITHUB_RUN_ID): the run id comes from the selection alone; remove shard files of earlier runs before merging\n',
    );
  }
  const file =
    opts.shardFile ??
    join(
      opts.junit === false ? 'reports' : dirname(opts.junit),
      `shard-${spec.index + 1}-of-${spec.total}.json`,
    );
  const wholeOwned = new Set(
    partitionByFiles(
      selected.filter((s) => !clientKeys.has(scenarioKey(s))),
      spec,
    ).map(scenarioKey),
  );
  const owned = selected.filter((s) => clientKeys.has(scenarioKey(s)) || wholeOwned.has(scenarioKey(s)));
  const wholeCount = selected.length - clientKeys.size;
  const parts: string[] = [];
  if (wholeCount > 0)
    parts.push(
      `${wholeOwned.size} of ${wholeCount}${clientKeys.size > 0 ? ' whole' : ''} scenario${wholeCount === 1 ? '' : 's'}`,
    );
  if (clientKeys.size > 0)
    parts.push(`its part of the clients of ${clientKeys.size} scenario${clientKeys.size === 1 ? '' : 's'}`);
  process.stderr.write(
    `mqscen: ${shardLabel(spec)} (${spec.source}): ${parts.join(' and ')}, run ${runId}\n`,
  );
  return {
    spec,
    by,
    clientKeys,
    owned,
    selection: sortForPartition(selected).map((s) => ({
      file: s.file,
      name: s.name,
      ...(clientKeys.has(scenarioKey(s)) ? { by: 'clients' as const } : {}),
    })),
    fingerprint,
    runId,
    file,
  };
}

/**
 * What a client shard cannot run: a step that waits for a count of messages (`after: { sent,
 * acked, received }`) counts only this shard's clients, so it would start at another moment on
 * each shard.
 */
function refuseUnshardable(scenario: ResolvedScenario): void {
  const visit = (steps: readonly ResolvedStep[]): void => {
    for (const step of steps) {
      if (step.after !== undefined && step.after.on !== 'delay') {
        throw new UsageError(
          `${scenario.file}: step "${step.label}" starts after a count of messages (after: ${step.after.on}), which a client shard sees only part of; --shard-by clients cannot run it`,
          {
            hint: 'start it after a delay (after: { step, delay }) instead, or shard whole files (--shard-by files)',
          },
        );
      }
      visit(nestedSteps(step));
    }
  };
  visit(scenario.steps);
}

/** Can the barriers run over this broker URL as the default coordinator (no TLS: plain mqtt or ws)? */
function carriesBarriers(url: string): boolean {
  return /^(mqtt|ws):\/\//i.test(url);
}

function scenarioKey(s: PartitionItem): string {
  return `${s.file}\0${s.name}`;
}

/** The coordinator of client shards, started at the first scenario (on its target unless --coordinator). */
function lazyCoordinator(
  plan: ShardPlan,
  url: string | undefined,
): { get: (target: StartedTarget) => Promise<ShardCoordinator>; close: () => Promise<void> } {
  let started: Promise<ShardCoordinator> | undefined;
  return {
    get(target) {
      started ??= (async () => {
        const at = url ?? target.url;
        if (url === undefined && !carriesBarriers(at)) {
          throw new UsageError(
            `the target ${redactUrl(at)} needs TLS or credentials the step barriers of client shards do not carry`,
            { hint: 'give a broker every shard reaches without them: --coordinator mqtt://host:1883' },
          );
        }
        return startShardCoordinator({
          url: at,
          runId: plan.runId,
          index: plan.spec.index,
          total: plan.spec.total,
        });
      })();
      return started;
    },
    async close() {
      const c = await started?.catch(() => undefined);
      await c?.close();
    },
  };
}

/** Writes this shard's file; the error message when it could not be written. */
async function writeShard(
  plan: ShardPlan,
  summary: RunSummary,
  histograms: NonNullable<Parameters<typeof buildShardFile>[0]['histograms']>,
  journals: ScenarioJournal[],
  vars: Record<string, string>,
): Promise<string | undefined> {
  const { writeReportFile } = await import('../reporters/_report-file.js');
  const doc = buildShardFile({
    version,
    runId: plan.runId,
    fingerprint: plan.fingerprint,
    by: plan.by,
    index: plan.spec.index,
    total: plan.spec.total,
    selection: plan.selection,
    summary,
    histograms,
    ...(plan.clientKeys.size > 0 ? { journals, vars } : {}),
  });
  try {
    await writeReportFile(plan.file, `${JSON.stringify(doc)}\n`);
    return undefined;
  } catch (error) {
    return `${plan.file}: ${(error as Error).message}`;
  }
}

/** `--html PATH`; without it, report.html beside the JUnit file (or in reports/); none with --no-html. */
export function htmlPathFor(opts: Pick<RunCommandOptions, 'html' | 'junit'>): string | undefined {
  if (opts.html === false) return undefined;
  if (typeof opts.html === 'string') return opts.html;
  return opts.junit === false ? join('reports', 'report.html') : join(dirname(opts.junit), 'report.html');
}

/**
 * The exit code table of the README, first that applies: interrupted 130, internal 4, the broker
 * went away or never answered 3, an assertion failed or the broker answered wrongly 1, else 0.
 */
export function exitCodeFor(summary: RunSummary): number {
  if (summary.reason === 'interrupted') return EXIT_INTERRUPTED;
  const errored = summary.scenarios.filter((s) => s.status === 'errored');
  const codes = errored.map((s) => s.error?.exitCode ?? EXIT_CODES.environment);
  if (codes.includes(EXIT_CODES.internal)) return EXIT_CODES.internal;
  if (codes.includes(EXIT_CODES.environment)) return EXIT_CODES.environment;
  if (summary.scenarios.some((s) => s.status !== 'passed')) return EXIT_CODES.failed;
  return EXIT_CODES.passed;
}

/** Says on stderr why a scenario stopped, so a CI log that keeps only errors still says why. */
function printScenarioErrors(summary: RunSummary): void {
  for (const r of summary.scenarios) {
    const error = r.error;
    if (error === undefined && r.status === 'failed' && r.policyRefusals !== undefined) {
      // A Receive denial is silent on the wire (POL-10): the verdict's cause is only known here.
      process.stderr.write(`mqscen: scenario "${r.name}": ${describePolicyRefusals(r.policyRefusals)}\n`);
    }
    if (error === undefined || r.status === 'interrupted') continue;
    const inStep = error.step === undefined ? '' : `\n  in step [${error.step.ref}] ${error.step.label}`;
    if (error.code === 'E_INTERNAL') {
      // Exit 4 must never look like an ordinary failure: say it is a bug and how to get details.
      process.stderr.write(
        `mqscen: internal error in scenario "${r.name}" (${r.file}): ${error.message}${inStep}\n` +
          '  this is a bug in mqscen; please report it with the output of the same run under DEBUG=mqscen:*\n',
      );
    } else if (r.status === 'failed') {
      // A deadline that cut the steps short: say so where errors go.
      process.stderr.write(`mqscen: scenario "${r.name}" stopped early: ${error.message}${inStep}\n`);
    } else if (r.status === 'errored') {
      process.stderr.write(`mqscen: scenario "${r.name}" could not run: ${error.message}${inStep}\n`);
      if (error.exitCode !== EXIT_CODES.failed && isUnreachableMessage(error.message)) {
        process.stderr.write(
          `  hint: check that the broker of target "${r.target.name}" (${r.target.url}) is running and reachable from here\n`,
        );
      }
    }
  }
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
  const shown = redactUrl(target);
  const fix = 'write it as mqtt://host:1883, mqtts://host:8883, ws://host:8080/mqtt or wss://host/mqtt';
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new UsageError(`--target ${shown} is not a valid broker URL`, { hint: fix });
  }
  if (!isBrokerScheme(url.protocol)) {
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
/**
 * The one target of a targets file given without --target; a usage error naming the choices when
 * it has several or none (a file that does not parse is exit 2 with its problems).
 */
async function onlyTargetIn(file: string): Promise<string | undefined> {
  const names = parseTargets(file, await readFile(file, 'utf8'));
  if (names.length === 1) return names[0];
  const listed = names.length === 0 ? 'it defines none' : names.map((n) => `"${n}"`).join(', ');
  throw new UsageError(`--targets ${file} was given without --target NAME`, {
    hint: `add --target with one of the names in ${file} (${listed}), or drop --targets to use the embedded broker`,
  });
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

export type { ScenarioError };
