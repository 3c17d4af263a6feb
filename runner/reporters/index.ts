/**
 * Reporter registry (style rules 1 and 8): each `--reporter` name maps to its options type and a
 * lazy factory, so `mqscen validate` never loads the live view or the XML builder. The fan-out is how the
 * engine talks to several reporters at once without any of them being able to change the outcome.
 */
import createDebug from 'debug';
import { UsageError } from '../errors.js';
import type { RunEndReason, RunSummary } from '../results.js';
import type { HtmlReporterOptions } from './html.js';
import type { JsonReporterOptions } from './json.js';
import type { JUnitReporterOptions } from './junit.js';
import type { LiveReporterOptions } from './live.js';
import type { PlainReporterOptions } from './plain.js';
import type { Reporter } from './reporter.js';

const debug = createDebug('mqscen:reporters');

/** Each reporter name with the options its factory takes. */
export interface ReporterOptionsMap {
  /** listr2 view, redrawn in place; for a terminal. */
  live: LiveReporterOptions;
  /** One line per event; for CI logs, pipes, NO_COLOR. */
  plain: PlainReporterOptions;
  /** JUnit XML file (default `reports/junit.xml`). */
  junit: JUnitReporterOptions;
  /** The RunSummary as JSON (default `reports/results.json`). */
  json: JsonReporterOptions;
  /** Self-contained HTML report with charts (default `reports/report.html`). */
  html: HtmlReporterOptions;
}

export type ReporterName = keyof ReporterOptionsMap;

/**
 * A reporter that says its registry name, so a failure in the fan-out can name it, and the file it
 * writes at run end, if any, so a write failure can name that.
 */
export type NamedReporter = Reporter & { readonly name: ReporterName; readonly outputFile?: string };

type ReporterFactory<N extends ReporterName> = (options?: ReporterOptionsMap[N]) => Promise<NamedReporter>;

/** Name → lazy factory; the implementation module is imported on first use only. */
export const reporterFactories: { readonly [N in ReporterName]: ReporterFactory<N> } = {
  live: async (options) => (await import('./live.js')).createLiveReporter(options),
  plain: async (options) => (await import('./plain.js')).createPlainReporter(options),
  junit: async (options) => (await import('./junit.js')).createJUnitReporter(options),
  json: async (options) => (await import('./json.js')).createJsonReporter(options),
  html: async (options) => (await import('./html.js')).createHtmlReporter(options),
};

export const reporterNames: readonly ReporterName[] = Object.freeze(
  Object.keys(reporterFactories) as ReporterName[],
);

export function isReporterName(name: string): name is ReporterName {
  return Object.hasOwn(reporterFactories, name);
}

/** Creates a reporter by its user-facing name; an unknown name is a usage error (exit 2). */
export async function createReporter<N extends ReporterName>(
  name: N,
  options?: ReporterOptionsMap[N],
): Promise<Reporter>;
export async function createReporter(name: string, options?: unknown): Promise<Reporter>;
export async function createReporter(name: string, options?: unknown): Promise<Reporter> {
  if (!isReporterName(name)) {
    throw new UsageError(
      `unknown reporter "${name}"; available reporters are ${reporterNames.map((n) => `"${n}"`).join(', ')}`,
      {
        hint: 'use --reporter live or --reporter plain (junit, json and html are set with --junit, --json and --html)',
      },
    );
  }
  const factory = reporterFactories[name] as (options?: unknown) => Promise<Reporter>;
  return factory(options);
}

export interface ConsoleEnvironment {
  /** Whether the console stream (stdout) is a terminal. */
  isTTY: boolean | undefined;
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * The console reporter for this environment: `live` only on a real terminal; `plain` when output
 * is piped, in CI (`CI` set and not "false"/"0"), with `NO_COLOR` set (no-color.org: any non-empty
 * value), or on a dumb terminal, because a redrawn view makes unreadable logs there.
 */
export function chooseConsoleReporter({ isTTY, env }: ConsoleEnvironment): 'live' | 'plain' {
  if (isTTY !== true) return 'plain';
  const ci = env['CI'];
  if (ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0') return 'plain';
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return 'plain';
  if (env['TERM'] === 'dumb') return 'plain';
  return 'live';
}

export interface FanOutOptions {
  /** Where a failing reporter is reported. @default process.stderr */
  errorStream?: { write(text: string): unknown };
  /** Upper bound for one async hook of one reporter, ms; a hung reporter must not hang the run. @default 10000 */
  hookTimeoutMs?: number;
}

const FAN_OUT_DEFAULTS = { hookTimeoutMs: 10_000 } as const;

type AsyncHook = Exclude<keyof Reporter, 'onStepProgress'>;

/** A reporter whose `onRunEnd` failed: for the file reporters, a report that was not written. */
export interface ReporterFailure {
  /** Registry name, or `#N` (1-based position) for an unnamed reporter. */
  reporter: string;
  /** The file it was writing, when it writes one. */
  outputFile?: string;
  message: string;
}

/** The fan-out: a Reporter whose `onRunEnd` resolves to the reporters that failed in it. */
export interface ReporterFanOut extends Omit<Reporter, 'onRunEnd'> {
  onRunEnd(summary: RunSummary, reason: RunEndReason): Promise<ReporterFailure[]>;
}

/**
 * One Reporter that calls every given reporter's hooks in turn, awaiting async ones. A reporter
 * that throws, rejects or hangs past the bound during the run is reported once on stderr and
 * otherwise ignored: reporters observe, they never decide (style rule 8). A failure in `onRunEnd`
 * (where files are written) is returned to the caller, which decides what a missing report means.
 * The fan-out itself never throws.
 */
export function createReporterFanOut(
  reporters: readonly Reporter[],
  options: FanOutOptions = {},
): ReporterFanOut {
  const list = [...reporters];
  const errorStream = options.errorStream ?? process.stderr;
  const hookTimeoutMs = options.hookTimeoutMs ?? FAN_OUT_DEFAULTS.hookTimeoutMs;
  const reported = new Set<number>();

  const nameOf = (index: number): string => {
    const name = (list[index] as { name?: unknown } | undefined)?.name;
    return typeof name === 'string' ? name : `#${index + 1}`;
  };
  const report = (index: number, hook: string, err: unknown): void => {
    debug('reporter %d failed in %s: %O', index, hook, err);
    if (reported.has(index)) return;
    reported.add(index);
    const name = nameOf(index);
    const which = name.startsWith('#') ? name : `"${name}"`;
    const message = err instanceof Error ? err.message : String(err);
    try {
      errorStream.write(
        `mqscen: reporter ${which} failed in ${hook}: ${message} (results are not affected; further errors from it are not shown)\n`,
      );
    } catch {
      // Nowhere left to report to; the run goes on.
    }
  };

  const callAll = async (
    hook: AsyncHook,
    args: unknown[],
    onError: (index: number, err: unknown) => void = (index, err) => report(index, hook, err),
  ): Promise<void> => {
    for (const [index, reporter] of list.entries()) {
      const fn = reporter[hook] as ((...a: unknown[]) => unknown) | undefined;
      if (typeof fn !== 'function') continue;
      try {
        const value = fn.apply(reporter, args);
        if (
          value !== null &&
          typeof value === 'object' &&
          typeof (value as Promise<void>).then === 'function'
        ) {
          await withTimeout(value as Promise<unknown>, hookTimeoutMs, hook);
        }
      } catch (err) {
        onError(index, err);
      }
    }
  };

  return {
    onRunStart: (info) => callAll('onRunStart', [info]),
    onScenarioStart: (info) => callAll('onScenarioStart', [info]),
    onStepStart: (scenario, step) => callAll('onStepStart', [scenario, step]),
    onStepProgress: (scenario, step, counters) => {
      // Synchronous and frequent: no awaiting; a returned promise is only guarded against rejection.
      for (const [index, reporter] of list.entries()) {
        if (typeof reporter.onStepProgress !== 'function') continue;
        try {
          const value: unknown = reporter.onStepProgress(scenario, step, counters);
          if (value instanceof Promise) value.catch((err: unknown) => report(index, 'onStepProgress', err));
        } catch (err) {
          report(index, 'onStepProgress', err);
        }
      }
    },
    onStepEnd: (scenario, result) => callAll('onStepEnd', [scenario, result]),
    onScenarioEnd: (result) => callAll('onScenarioEnd', [result]),
    async onRunEnd(summary, reason) {
      const failures: ReporterFailure[] = [];
      await callAll('onRunEnd', [summary, reason], (index, err) => {
        debug('reporter %d failed in onRunEnd: %O', index, err);
        const failure: ReporterFailure = {
          reporter: nameOf(index),
          message: err instanceof Error ? err.message : String(err),
        };
        const file = (list[index] as { outputFile?: unknown } | undefined)?.outputFile;
        if (typeof file === 'string') failure.outputFile = file;
        failures.push(failure);
      });
      return failures;
    },
  };
}

// --- internal ---

function withTimeout<T>(promise: Promise<T>, ms: number, hook: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    // Not unref'd: while a hook is awaited, this bound is what keeps the run alive and finite.
    timer = setTimeout(() => reject(new Error(`${hook} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
