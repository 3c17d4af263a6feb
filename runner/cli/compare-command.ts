/**
 * `mqscen compare <files|globs> --targets a,b,c`: runs the same scenarios on each target, one
 * after the other, and writes where the brokers differ: a matrix (rows: scenario and assertion;
 * columns: targets; cells: verdict and observed value) on stdout as a Markdown table, in
 * compare.json, as JUnit (one suite per target) and as an HTML page with the matrix on top and
 * every run below. Exit code: the worst of the per-target runs (0 when every run passed).
 */
import { dirname, join } from 'node:path';
import createDebug from 'debug';
import { loadSuite, runSuite } from '../engine/run-suite.js';
import { EXIT_CODES, UsageError } from '../errors.js';
import {
  buildComparison,
  buildComparisonJUnit,
  comparisonSection,
  formatComparisonTable,
} from '../reporters/compare.js';
import { createReporterFanOut } from '../reporters/index.js';
import type { Reporter } from '../reporters/reporter.js';
import type { RunSummary } from '../results.js';
import { resolveTarget } from '../targets/index.js';
import { version } from '../version.js';
import { expandFileArguments, parseVarFlags, refuseSpecialFile } from './files.js';
import { armInterruptHandler, disarmInterruptHandler, interruptSignal } from './interrupt.js';
import { EXIT_INTERRUPTED, exitCodeFor } from './run-command.js';
import { printIssues } from './validate-command.js';

const debug = createDebug('mqscen:cli:compare');

export interface CompareCommandOptions {
  /** Comma-separated target names (at least two). */
  targets: string;
  /** Targets file for names that are not built in. @default mqscen.targets.yaml when present */
  targetsFile?: string;
  json: string | false;
  junit: string | false;
  html: string | false;
  var: string[];
}

export async function compareCommand(patterns: string[], opts: CompareCommandOptions): Promise<number> {
  armInterruptHandler();
  try {
    return await compare(patterns, opts, interruptSignal);
  } finally {
    disarmInterruptHandler();
  }
}

async function compare(
  patterns: string[],
  opts: CompareCommandOptions,
  signal: AbortSignal,
): Promise<number> {
  const names = opts.targets
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  if (names.length < 2 || new Set(names).size !== names.length) {
    throw new UsageError(`--targets "${opts.targets}" must name at least two different targets`, {
      hint: 'e.g. --targets embedded:aws-iot,embedded:mosquitto,mosquitto',
    });
  }
  const files = await expandFileArguments(patterns);
  const loaded = await loadSuite(files, { vars: parseVarFlags(opts.var), env: process.env });
  printIssues(loaded.warnings);
  if (!loaded.ok) {
    const problems = printIssues(loaded.issues);
    process.stderr.write(`${problems} problem(s) in ${loaded.badFiles} file(s); nothing was run\n`);
    return EXIT_CODES.invalidInput;
  }
  if (opts.targetsFile !== undefined) await refuseSpecialFile(opts.targetsFile, '--targets-file');
  // Every name is resolved before anything runs: a typo in the third is found before the first runs.
  const definitions = [];
  for (const name of names) {
    definitions.push(
      await resolveTarget(name, {
        ...(opts.targetsFile === undefined ? {} : { targetsFile: opts.targetsFile }),
        cwd: process.cwd(),
        env: process.env,
      }),
    );
  }

  const startedAt = new Date().toISOString();
  const runs: Array<{ target: string; summary: RunSummary }> = [];
  let code: number = EXIT_CODES.passed;
  for (const target of definitions) {
    if (signal.aborted) break;
    process.stderr.write(`mqscen: ${loaded.scenarios.length} scenario(s) on ${target.name}\n`);
    const outcome = await runSuite(loaded.scenarios, {
      target,
      reporter: createReporterFanOut([progressLines(target.name)]),
      signal,
      files,
    });
    runs.push({ target: target.name, summary: outcome.summary });
    if (outcome.targetError !== undefined) {
      process.stderr.write(`mqscen: target ${target.name} could not start: ${outcome.targetError.message}\n`);
    }
    code = worst(code, exitCodeFor(outcome.summary));
  }

  const doc = buildComparison(runs, { version, startedAt });
  process.stdout.write(formatComparisonTable(doc));
  const { writeReportFile } = await import('../reporters/_report-file.js');
  const written: string[] = [];
  if (opts.json !== false) {
    await writeReportFile(opts.json, `${JSON.stringify(doc, null, 2)}\n`);
    written.push(opts.json);
  }
  if (opts.junit !== false) {
    await writeReportFile(opts.junit, buildComparisonJUnit(doc));
    written.push(opts.junit);
  }
  const html = opts.html === false ? undefined : opts.html;
  if (html !== undefined) {
    const { renderHtmlReport } = await import('../reporters/html.js');
    const all = runs.flatMap((r) => r.summary.scenarios);
    const page = renderHtmlReport(
      {
        schemaVersion: 1,
        mqscen: { version },
        startedAt,
        durationMs: runs.reduce((n, r) => n + r.summary.durationMs, 0),
        scenarios: all,
        passed: all.filter((s) => s.status === 'passed').length,
        failed: all.filter((s) => s.status === 'failed').length,
        errored: all.filter((s) => s.status === 'errored' || s.status === 'interrupted').length,
        reason: signal.aborted ? 'interrupted' : code === EXIT_CODES.passed ? 'passed' : 'failed',
      },
      { title: `mqscen compare: ${names.join(' · ')}`, sections: [comparisonSection(doc)] },
    );
    await writeReportFile(html, page);
    written.push(html);
  }
  if (written.length > 0) process.stderr.write(`mqscen: wrote ${written.join(', ')}\n`);
  debug('compare done, exit %d', code);
  return signal.aborted ? EXIT_INTERRUPTED : code;
}

/** Default paths: reports/compare.json, reports/compare-junit.xml, reports/compare.html. */
export function compareDefaults(json: string | false): { junit: string; html: string } {
  const dir = json === false ? 'reports' : dirname(json);
  return { junit: join(dir, 'compare-junit.xml'), html: join(dir, 'compare.html') };
}

// --- internal ---

/** One line per scenario on stderr while the targets run (stdout is the matrix). */
function progressLines(target: string): Reporter {
  return {
    onScenarioEnd(result) {
      const icon = result.status === 'passed' ? '✔' : result.status === 'failed' ? '✖' : '■';
      process.stderr.write(`  ${icon} ${result.name} on ${target}: ${result.status}\n`);
    },
  };
}

/** The more serious of two exit codes: interrupted > internal > environment > failed > passed. */
function worst(a: number, b: number): number {
  const rank = (c: number) =>
    c === EXIT_INTERRUPTED
      ? 5
      : c === EXIT_CODES.internal
        ? 4
        : c === EXIT_CODES.environment
          ? 3
          : c === EXIT_CODES.failed
            ? 2
            : c === EXIT_CODES.passed
              ? 0
              : 1;
  return rank(b) > rank(a) ? b : a;
}
