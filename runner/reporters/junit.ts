/**
 * JUnit XML reporter. The mapping is fixed and snapshot-tested (style rule 9):
 *
 * - `<testsuites>` without attributes (the strict Ant schema allows none; totals are per suite).
 * - One `<testsuite>` per scenario: `name` = scenario name, `package` = classname, `id` = index,
 *   `timestamp` (UTC, no zone: the Ant pattern), `hostname`, `time` in seconds; `<properties>`
 *   with file, target, behaviour, transport, url (redacted), protocols, status and mqscen version.
 * - One `<testcase>` per assertion: `name` = assertion label, `classname` = the scenario file
 *   relative to `scenarios/` without extension, `time` = the scenario's run time (every verdict
 *   rests on the whole run), `file` and `line` = where the assertion is written in the scenario
 *   (what GitHub annotators read; left out with `strict`, as neither schema declares them). A
 *   failed assertion has `<failure message="got …" type="<kind>">` (short: one line, at most
 *   MESSAGE_MAX characters) with "expected …", "got …", the offending message ids, rules and
 *   location in the body; a skipped one `<skipped message="…"/>`.
 * - A scenario that errored or was interrupted gets a testcase `scenario` with `<error>`; one that
 *   failed in a step while every assertion passed gets a testcase `scenario` with `<failure>`, so a
 *   CI never shows such a run as green.
 * - The step timeline goes to the suite's `<system-out>`; `<system-err>` is present and empty
 *   (the strict schema requires both).
 *
 * junit-report-builder builds suites and testcases; the root, the suite extras it cannot express
 * (system-out on a suite, skipped message, package/id/hostname) are added on the same xmlbuilder
 * tree. Its own `<testsuites>` root carries a `skipped` attribute that junit-10.xsd rejects, which is
 * why the root is ours.
 */
import { hostname as osHostname } from 'node:os';
import createDebug from 'debug';
import junitReportBuilder, { type Builder } from 'junit-report-builder';
import xmlbuilder from 'xmlbuilder';
import type { AssertionResult, RunEndReason, RunSummary, ScenarioResult, StepResult } from '../results.js';
import {
  classnameFor,
  formatSeconds,
  formatSkipReason,
  formatStepOutcome,
  formatTimeline,
  publicTarget,
  readMqscenVersion,
} from './_format.js';
import { writeReportFile } from './_report-file.js';
import type { NamedReporter } from './index.js';

const debug = createDebug('mqscen:reporters:junit');

/**
 * The package is CommonJS with `module.exports = builder`, while its typings declare a default
 * export; under `nodenext` TypeScript therefore types the default import as the module object.
 */
const rootBuilder: Builder =
  (junitReportBuilder as unknown as { default?: Builder }).default ??
  (junitReportBuilder as unknown as Builder);

export interface JUnitReporterOptions {
  /** File to write; its folder is created when missing. @default 'reports/junit.xml' */
  outputFile?: string;
  /** Version written in the `mqscen.version` property. @default the package version */
  mqscenVersion?: string;
  /** Written as each suite's `hostname`. @default os.hostname() */
  hostname?: string;
  /** Folder classnames are relative to when a file is not under `scenarios/`. @default process.cwd() */
  cwd?: string;
  /**
   * Leave out the testcase `file` and `line` attributes, so the file validates against the Jenkins
   * xUnit and strict Ant schemas (which declare neither). @default false
   */
  strict?: boolean;
}

export interface ResolvedJUnitReporterOptions {
  outputFile: string;
  mqscenVersion: string;
  hostname: string;
  cwd: string;
  strict: boolean;
}

const DEFAULTS = { outputFile: 'reports/junit.xml', strict: false } as const;

/** Longest failure `message` attribute; the whole story is in the body. */
export const MESSAGE_MAX = 120;

export function resolveJUnitReporterOptions(
  input: JUnitReporterOptions = {},
): Readonly<ResolvedJUnitReporterOptions> {
  return Object.freeze({
    outputFile: input.outputFile ?? DEFAULTS.outputFile,
    mqscenVersion: input.mqscenVersion ?? readMqscenVersion(),
    hostname: input.hostname ?? (osHostname() || 'localhost'),
    cwd: input.cwd ?? process.cwd(),
    strict: input.strict ?? DEFAULTS.strict,
  });
}

export function createJUnitReporter(input?: JUnitReporterOptions): NamedReporter {
  const options = resolveJUnitReporterOptions(input);
  return {
    name: 'junit',
    outputFile: options.outputFile,
    async onRunEnd(summary: RunSummary, reason: RunEndReason) {
      // The summary is final (the engine builds interrupted and not-run results itself).
      const xml = buildJUnitReport(summary, options);
      await writeReportFile(options.outputFile, xml);
      debug('wrote %s (%d suites, reason %s)', options.outputFile, summary.scenarios.length, reason);
    },
  };
}

/** The JUnit XML text for a run (pure apart from the clock-free inputs given). */
export function buildJUnitReport(
  summary: RunSummary,
  input: JUnitReporterOptions | Readonly<ResolvedJUnitReporterOptions> = {},
): string {
  const options = resolveJUnitReporterOptions(input);
  const root = xmlbuilder.create('testsuites', {
    version: '1.0',
    encoding: 'UTF-8',
    invalidCharReplacement: '',
  });
  summary.scenarios.forEach((result, index) => {
    addSuite(root, result, index, options);
  });
  return `${root.end({ pretty: true })}\n`;
}

// --- internal ---

function addSuite(
  root: xmlbuilder.XMLElement,
  result: ScenarioResult,
  index: number,
  options: Readonly<ResolvedJUnitReporterOptions>,
): void {
  const classname = classnameFor(result.file, options.cwd);
  const target = publicTarget(result.target);
  // A detached builder per suite: junit-report-builder's default export is a shared singleton.
  const suite = rootBuilder
    .newBuilder()
    .testSuite()
    .name(nonEmpty(result.name, classname))
    .timestamp(antTimestamp(result.startedAt))
    .time(Number(formatSeconds(result.durationMs)));
  suite
    .property('file', result.file)
    .property('status', result.status)
    .property('target', target.name)
    .property('target.kind', target.kind)
    .property('behaviour', target.behaviour)
    .property('transport', target.transport)
    .property('url', target.url)
    .property('protocols', result.protocols.join(','))
    .property('mqscen.version', options.mqscenVersion);
  // Verification off is part of what the verdict means: a CI reader sees it beside the results.
  if (target.insecure !== undefined && target.insecure.length > 0)
    suite.property('insecure', target.insecure.join('; '));

  /** Skip reason and source location per testcase, in testcase order. */
  const extras: Array<{ skip?: string; at?: SourceLocation }> = [];
  const seconds = Number(formatSeconds(result.durationMs));
  for (const a of result.assertions) {
    const tc = suite.testCase().className(classname).name(nonEmpty(a.label, a.kind)).time(seconds);
    if (a.status === 'failed') {
      tc.failure(shortFailureMessage(a), a.kind).stacktrace(cdataSafe(failureBody(a)));
    } else if (a.status === 'skipped') {
      tc.skipped();
    }
    const extra: { skip?: string; at?: SourceLocation } = {};
    if (a.status === 'skipped') extra.skip = formatSkipReason(a);
    const at = parseSource(a.source);
    if (at !== undefined) extra.at = at;
    extras.push(extra);
  }
  const scenarioCase = scenarioTestcase(result);
  if (scenarioCase !== undefined) {
    const tc = suite
      .testCase()
      .className(classname)
      .name('scenario')
      .time(Number(formatSeconds(result.durationMs)));
    if (scenarioCase.kind === 'error')
      tc.error(scenarioCase.message, scenarioCase.type, cdataSafe(scenarioCase.body));
    else tc.failure(scenarioCase.message, scenarioCase.type).stacktrace(cdataSafe(scenarioCase.body));
  }

  const element = suite.build(root);
  element.att('hostname', options.hostname);
  element.att('id', String(index));
  element.att('package', classname);
  const testcases = element.children.filter(
    (c): c is xmlbuilder.XMLElement => isElement(c) && c.name === 'testcase',
  );
  testcases.forEach((testcase, i) => {
    const extra = extras[i];
    if (extra === undefined) return;
    if (extra.at !== undefined && !options.strict) {
      testcase.att('file', extra.at.file);
      testcase.att('line', String(extra.at.line));
    }
    // junit-report-builder writes a bare <skipped/>; the reason belongs in its message attribute.
    if (extra.skip === undefined) return;
    for (const child of testcase.children) {
      if (isElement(child) && child.name === 'skipped') child.att('message', extra.skip);
    }
  });
  element.ele('system-out').text(formatTimeline(result));
  element.ele('system-err').text('');
}

interface ScenarioCase {
  kind: 'error' | 'failure';
  type: string;
  message: string;
  body: string;
}

/** The extra `scenario` testcase, when the assertions alone would not show what went wrong. */
function scenarioTestcase(result: ScenarioResult): ScenarioCase | undefined {
  const problemSteps = result.steps.filter((s) => s.status === 'failed' || s.status === 'interrupted');
  const body = problemSteps.map(stepLine).join('\n');
  if (result.status === 'errored' || result.status === 'interrupted') {
    return {
      kind: 'error',
      type: result.error?.code ?? result.status,
      message: `scenario ${result.status}: ${result.error?.message ?? 'it did not run to the end'}`,
      body,
    };
  }
  if (result.status === 'failed' && !result.assertions.some((a) => a.status === 'failed')) {
    const first = problemSteps[0];
    return {
      kind: 'failure',
      type: 'step',
      message:
        first === undefined
          ? `scenario failed: ${result.error?.message ?? 'no assertion failed; see system-out'}`
          : `step [${first.ref}] ${first.label} failed${first.error === undefined ? '' : `: ${first.error}`}`,
      body,
    };
  }
  return undefined;
}

function stepLine(s: StepResult): string {
  return `[${s.ref}] ${s.label}  ${formatStepOutcome(s)}`;
}

/** The failure `message`: what was observed, one line, short (annotations show it as the title line). */
export function shortFailureMessage(a: Pick<AssertionResult, 'actual' | 'expected'>): string {
  const firstLine = (a.actual.split('\n')[0] ?? '').trim();
  const text = firstLine === '' ? `expected ${a.expected}` : `got ${firstLine}`;
  return text.length <= MESSAGE_MAX ? text : `${text.slice(0, MESSAGE_MAX - 1)}…`;
}

function failureBody(a: AssertionResult): string {
  const lines = [`expected: ${a.expected}`, `got: ${a.actual}`];
  if (a.details.length > 0) lines.push('', ...a.details);
  if (a.rules !== undefined && a.rules.length > 0) lines.push(`rules: ${a.rules.join(', ')}`);
  if (a.source !== undefined) lines.push(`at ${a.source}`);
  return lines.join('\n');
}

interface SourceLocation {
  file: string;
  line: number;
}

/** `scenarios/queuing.yaml:40:5` → file and line (a Windows drive letter stays in the file). */
function parseSource(source: string | undefined): SourceLocation | undefined {
  if (source === undefined) return undefined;
  const m = /^(.*?):(\d+)(?::\d+)?$/.exec(source);
  if (m === null || m[1] === undefined || m[1] === '') return undefined;
  return { file: m[1].split('\\').join('/'), line: Number(m[2]) };
}

/** `2026-01-05T10:03:07`: the Ant schema's ISO8601 pattern (UTC, without zone or fraction). */
function antTimestamp(iso: string): string {
  const date = new Date(iso);
  return (Number.isNaN(date.getTime()) ? new Date() : date).toISOString().slice(0, 19);
}

function nonEmpty(value: string, fallback: string): string {
  return value.trim() === '' ? fallback : value;
}

/** `]]>` would end the CDATA section early; xmlbuilder splits only its first occurrence. */
function cdataSafe(text: string): string {
  return text.replaceAll(']]>', ']] >');
}

function isElement(node: xmlbuilder.XMLNode): node is xmlbuilder.XMLElement {
  return node.type === xmlbuilder.nodeType.Element;
}
