/**
 * The scenario pipeline: load (YAML with positions) → validate (JSON schema) → interpolate
 * (`${var}`, `${env:NAME}`) → resolve (one resolver per client, step and assertion kind, then
 * the checks across steps) → ResolvedScenario.
 * User mistakes come back as Issues, every one of a file at once, sorted by line; nothing
 * here throws for them.
 */
import { relative } from 'node:path';
import createDebug from 'debug';
import { interpolateDocument } from '../document/interpolate.js';
import { type Problem, sortIssues, toIssue } from '../document/problem.js';
import { isObject } from '../document/value.js';
import {
  type DocumentKind,
  type LoadedDocument,
  type LoadResult,
  loadDocument,
  locate,
  parseDocumentText,
} from '../document/yaml.js';
import type { Issue } from '../errors.js';
import { createRunId } from '../run-id.js';
import { buildCatalog } from './client-refs.js';
import { type BrokenParts, resolveScenario } from './resolve.js';
import { scenarioSchemaProblems } from './schema.js';
import type { RawScenario } from './schema-types.js';
import { buildStepTree } from './step-tree.js';
import type { ResolvedScenario } from './types.js';

export { getScenarioSchema } from './schema.js';

const debug = createDebug('mqscen:scenario');

/** Scenario files above 1 MiB are refused: a scenario is prose-sized, anything bigger is a mistake. */
const SCENARIO_FILE: DocumentKind = {
  noun: 'scenario file',
  maxBytes: 1024 * 1024,
  emptyHint: 'a scenario needs at least `name`, `clients` and `steps`',
  directoryHint: 'give a .yaml file (or a glob such as dir/*.yaml)',
};

export interface LoadScenarioOptions {
  /** `--var name=value` values; they override the file's `vars`. */
  vars?: Record<string, string>;
  /** Environment for `${env:NAME}` (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Value of `{run}` in client ids; default one random id per process, so files of one run share it. */
  runId?: string;
}

export type LoadScenarioResult =
  | { ok: true; scenario: ResolvedScenario; warnings: Issue[] }
  | { ok: false; issues: Issue[] };

let processRunId: string | undefined;

/** Reads, checks and resolves a scenario file. */
export async function loadScenario(
  file: string,
  options: LoadScenarioOptions = {},
): Promise<LoadScenarioResult> {
  const document = await loadDocument(file, SCENARIO_FILE);
  const result = resolveLoaded(document, options);
  if (!result.ok || !document.ok || result.scenario.policyFile === undefined) return result;
  // The scenario's `policy:` is read now, so a missing file or a broken document (file:line:col)
  // is invalid input before anything connects, for validate and run alike.
  const problems = await policyIssues(result.scenario.policyFile, document.loaded);
  return problems.length > 0 ? { ok: false, issues: problems } : result;
}

/** Same as loadScenario for text already in memory (`file` is only used in messages). */
export function loadScenarioText(
  file: string,
  text: string,
  options: LoadScenarioOptions = {},
): LoadScenarioResult {
  return resolveLoaded(parseDocumentText(file, text, SCENARIO_FILE), options);
}

// --- internal ---

async function policyIssues(policyFile: string, loaded: LoadedDocument): Promise<Issue[]> {
  const { loadPolicyFile } = await import('../document/policy-document.js');
  const { ScenarioError, UsageError } = await import('../errors.js');
  const at = locate(loaded, ['policy']);
  const shown = relative(process.cwd(), policyFile);
  try {
    await loadPolicyFile(policyFile, shown.startsWith('..') ? policyFile : shown);
    return [];
  } catch (error) {
    const here = (message: string): Issue => ({
      file: loaded.file,
      line: at?.line,
      column: at?.column,
      path: 'policy',
      message,
      severity: 'error',
    });
    if (error instanceof ScenarioError) return [here(error.message), ...error.issues];
    if (error instanceof UsageError)
      return [here(`${error.message} (the path is relative to the scenario file)`)];
    throw error;
  }
}

function resolveLoaded(result: LoadResult, options: LoadScenarioOptions): LoadScenarioResult {
  if (!result.ok) return { ok: false, issues: sortIssues(result.issues) };
  const loaded = result.loaded;
  const schema = scenarioSchemaProblems(loaded.value);
  const broken = brokenParts(schema, loaded.value);
  if (broken === 'all') {
    debug('%s: %d schema issues, structure unusable for the resolvers', loaded.file, schema.length);
    return { ok: false, issues: sortIssues(schema.map((p) => toIssue(loaded, p))) };
  }
  const interpolated = interpolateDocument(loaded.value, {
    vars: options.vars,
    env: options.env ?? process.env,
  });
  const problems = [...schema, ...interpolated.problems];
  // Resolving values that still hold an unresolved `${...}` would only repeat the same mistake.
  if (interpolated.problems.length > 0) {
    return { ok: false, issues: sortIssues(problems.map((p) => toIssue(loaded, p))) };
  }
  const doc = interpolated.value as RawScenario;
  processRunId ??= createRunId(6);
  const resolved = resolveScenario(doc, {
    file: loaded.file,
    catalog: buildCatalog(doc.clients),
    tree: buildStepTree(doc.steps),
    broken,
    vars: interpolated.vars,
    runId: options.runId ?? processRunId,
    locate: (path, atKey) => locate(loaded, path, { key: atKey }),
  });
  problems.push(...resolved.problems);
  const issues = problems.map((p) => toIssue(loaded, p));
  const scenario = resolved.scenario;
  if (scenario === undefined || schema.length > 0) return { ok: false, issues: sortIssues(issues) };
  debug(
    '%s: %d clients, %d steps, %d assertions',
    loaded.file,
    scenario.clients.length,
    scenario.steps.length,
    scenario.expect.length,
  );
  return { ok: true, scenario, warnings: sortIssues(issues) };
}

/**
 * Which parts the schema refused, so rules can still check the rest (every problem of a file is
 * reported at once). 'all' when the skeleton itself (clients map, steps list) is unusable.
 */
function brokenParts(problems: readonly Problem[], value: unknown): BrokenParts | 'all' {
  if (!isObject(value)) return 'all';
  const doc = value;
  if (!isObject(doc.clients) || !Array.isArray(doc.steps)) return 'all';
  if (doc.expect !== undefined && !Array.isArray(doc.expect)) return 'all';
  const broken: BrokenParts = { clients: new Set(), steps: new Set(), expect: new Set() };
  for (const { path } of problems) {
    const [top, unit] = path;
    if (unit === undefined) continue;
    if (top === 'clients') broken.clients.add(String(unit));
    else if (top === 'steps') broken.steps.add(Number(unit));
    else if (top === 'expect') broken.expect.add(Number(unit));
  }
  return broken;
}
