/**
 * The last stage of the scenario pipeline: the schema-valid, interpolated document → the
 * ResolvedScenario the engine runs, or the problems that stop it. Clients, steps and assertions
 * each go through their resolver (clients.ts, steps/, assertions/), then the checks across steps
 * (sequence.ts). Defaults are applied, `count` expanded, references resolved, values parsed once,
 * and the result deeply frozen. Parts the schema already refused are skipped, so every other
 * problem of the file is still reported.
 */
import { dirname, resolve } from 'node:path';
import { dedupeProblems, type Problem } from '../document/problem.js';
import type { DocPath } from '../document/yaml.js';
import { resolveAssertions } from './assertions/index.js';
import type { ClientCatalog } from './client-refs.js';
import { resolveClients } from './clients.js';
import { ResolveContext } from './resolver.js';
import type { RawScenario } from './schema-types.js';
import { checkSequence } from './sequence.js';
import { nestedSteps, type StepTree } from './step-tree.js';
import { resolveSteps } from './steps/index.js';
import type { ResolvedClient, ResolvedScenario, ResolvedStep } from './types.js';

/** Defaults of the scenario level (documented in the schema descriptions). */
const DEFAULTS = { timeoutMs: 120_000, waitMs: 10_000 } as const;

/** Parts of the document the schema refused: client names, top-level step indexes, expect indexes. */
export interface BrokenParts {
  clients: Set<string>;
  steps: Set<number>;
  expect: Set<number>;
}

export interface ResolveOptions {
  file: string;
  catalog: ClientCatalog;
  tree: StepTree;
  broken: BrokenParts;
  /** Substituted variables without secrets. */
  vars: Record<string, string>;
  /** Replaces `{run}` in client ids and will topics. */
  runId: string;
  locate: (path: DocPath, atKey: boolean) => { line: number; column: number } | undefined;
}

export function resolveScenario(
  doc: RawScenario,
  options: ResolveOptions,
): { problems: Problem[]; scenario?: ResolvedScenario } {
  const cx = new ResolveContext(doc, options.catalog, options.tree, options.locate);
  const timeoutMs = waitBound(cx, doc.timeout, ['timeout'], 'a scenario timeout') ?? DEFAULTS.timeoutMs;
  const timeouts = {
    connectMs:
      waitBound(cx, doc.timeouts?.connect, ['timeouts', 'connect'], 'the connect timeout') ?? DEFAULTS.waitMs,
    subscribeMs:
      waitBound(cx, doc.timeouts?.subscribe, ['timeouts', 'subscribe'], 'the subscribe timeout') ??
      DEFAULTS.waitMs,
    ackMs: waitBound(cx, doc.timeouts?.ack, ['timeouts', 'ack'], 'the ack timeout') ?? DEFAULTS.waitMs,
  };
  const clients = resolveClients(cx, options.broken.clients, options.runId);
  const { steps, uses } = resolveSteps(options.tree.top, options.broken.steps, cx);
  checkSequence(cx, uses, options.broken);
  const expect = resolveAssertions(doc.expect ?? [], options.broken.expect, cx);
  const problems = dedupeProblems(cx.problems);
  if (cx.hasErrors) return { problems };

  const clientGroups: Record<string, string[]> = {};
  for (const [name, list] of options.catalog.groups) clientGroups[name] = [...list];
  const scenario: ResolvedScenario = {
    file: options.file,
    name: doc.name,
    timeoutMs,
    timeouts,
    clients,
    clientGroups,
    steps,
    expect,
    vars: { ...options.vars },
  };
  const proxied = proxiedClients(doc, clients, steps);
  if (proxied.length > 0) scenario.proxied = proxied;
  if (doc.description !== undefined) scenario.description = doc.description.trim();
  if (doc.shard !== undefined) scenario.shardBy = doc.shard;
  if (doc.policy !== undefined) scenario.policyFile = resolve(dirname(options.file), doc.policy);
  return { problems, scenario: deepFreeze(scenario) };
}

// --- internal ---

/** The instances a fault or partition step names, and those declared `proxy: true`. */
function proxiedClients(
  doc: RawScenario,
  clients: readonly ResolvedClient[],
  steps: readonly ResolvedStep[],
): string[] {
  const named = new Set<string>();
  const visit = (s: ResolvedStep): void => {
    if (s.kind === 'fault' || s.kind === 'partition') for (const c of s.clients) named.add(c);
    nestedSteps(s).forEach(visit);
  };
  steps.forEach(visit);
  return clients
    .filter((c) => named.has(c.name) || doc.clients[c.declaredAs]?.proxy === true)
    .map((c) => c.name);
}

/** A scenario-level wait bound: a duration, more than 0. A value of the wrong type was refused by the schema. */
function waitBound(cx: ResolveContext, value: unknown, path: DocPath, what: string): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = cx.duration(value, path);
  if (ms === 0)
    cx.error(path, `${what} of 0 ends every wait before it starts; give a duration such as "10s"`);
  return ms;
}

function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value) || Object.isFrozen(value))
    return value;
  for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
  return Object.freeze(value);
}
