/**
 * The merge of client shards (`--shard-by clients`): every shard ran every scenario for its part
 * of the clients, so each scenario's result is rebuilt from all of them. Its record and session
 * model are replayed from the shards' journals (shard-replay.ts) and judged by the same code as an
 * unsharded run (judge.ts); its steps are the shards' steps side by side: a step that failed on
 * one shard failed, and a scenario that errored or was interrupted on one shard did so for the run.
 */
import type { ScenarioResult, ScenarioStatus, StepResult } from '../results.js';
import type { ResolvedScenario } from '../scenario/types.js';
import type { Behaviour } from '../targets/target.js';
import { notEvaluatedAssertion } from '../verdict/assertions/index.js';
import { brokerBehaviour } from '../verdict/broker-behaviours.js';
import { summarizeOracle } from '../verdict/oracle-summary.js';
import { judgeScenario } from './judge.js';
import { buildReportData } from './report-data.js';
import { shardLabel } from './shard.js';
import type { ScenarioJournal } from './shard-journal.js';
import { replayJournals } from './shard-replay.js';

/** What one shard holds of the run: its scenario results and its journals. */
export interface ShardPart {
  results: readonly ScenarioResult[];
  journals: readonly ScenarioJournal[];
}

/**
 * One scenario split by clients, from every shard's part (`shards[k]` is shard index k); undefined
 * when no shard ran it (a --bail run stopped before it).
 */
export function mergeClientScenario(
  scenario: ResolvedScenario,
  shards: readonly ShardPart[],
): ScenarioResult | undefined {
  const parts = shards.map((p) => ({
    result: p.results.find((r) => r.file === scenario.file && r.name === scenario.name),
    journal: p.journals.find((j) => j.file === scenario.file && j.name === scenario.name),
  }));
  if (parts.every((p) => p.result === undefined)) return undefined;
  return mergeScenario(scenario, parts, shards.length);
}

/** How bad a shard's status is for the run: the worst one wins. */
const SEVERITY: Record<ScenarioStatus, number> = { passed: 0, failed: 1, errored: 2, interrupted: 3 };

function mergeScenario(
  scenario: ResolvedScenario,
  parts: ReadonlyArray<{ result: ScenarioResult | undefined; journal: ScenarioJournal | undefined }>,
  total: number,
): ScenarioResult {
  const label = (k: number) => shardLabel({ index: k, total });
  const base = parts.find((p) => p.result !== undefined)?.result as ScenarioResult;
  // The worst status of the shards' steps: errored or interrupted anywhere is the run's.
  let status = 'passed' as ScenarioStatus;
  let error: ScenarioResult['error'];
  for (let k = 0; k < parts.length; k++) {
    const r = parts[k]?.result;
    if (r === undefined) {
      if (SEVERITY.errored > SEVERITY[status]) {
        status = 'errored';
        error = { code: 'E_SHARD', message: `${label(k)} has no result for this scenario`, exitCode: 3 };
      }
      continue;
    }
    // A shard's own `failed` is its deadline (its assertions are the merge's to evaluate).
    if (SEVERITY[r.status] > SEVERITY[status]) {
      status = r.status;
      if (r.error !== undefined) error = { ...r.error, message: `${label(k)}: ${r.error.message}` };
    }
  }
  const journals = parts.map((p) => p.journal);
  const complete = journals.every((j) => j !== undefined);
  let notEvaluated: string | undefined;
  if (!complete) notEvaluated = 'not evaluated: a shard wrote no journal for this scenario';
  else if (status === 'interrupted')
    notEvaluated = 'not evaluated: the run was interrupted (Ctrl+C) before the scenario ended';
  else if (status === 'errored')
    notEvaluated = `not evaluated: ${error?.step === undefined ? 'a shard failed' : `step [${error.step.ref}] failed on a shard`} (${error?.code ?? 'E_SHARD'})`;
  else if (status === 'failed')
    notEvaluated = `not evaluated: ${error?.message ?? 'a shard did not finish its steps'}`;

  const losses = parts.flatMap((p) => p.result?.connectionLosses ?? []);
  const merged: ScenarioResult = {
    file: base.file,
    name: base.name,
    target: base.target,
    protocols: base.protocols,
    startedAt: earliest(parts.map((p) => p.result?.startedAt)),
    durationMs: Math.max(...parts.map((p) => p.result?.durationMs ?? 0)),
    status,
    steps: mergeSteps(
      parts.map((p) => p.result?.steps ?? []),
      total,
    ),
    assertions: [],
    counters: sumCounters(parts.map((p) => p.result?.counters)),
    ...(error === undefined ? {} : { error }),
    ...(losses.length === 0 ? {} : { connectionLosses: losses }),
  };

  if (!complete) {
    merged.assertions = scenario.expect.map((a) => ({
      ...notEvaluatedAssertion(a, scenario.file),
      skipReason: notEvaluated as string,
    }));
    return merged;
  }
  const profile = base.target.behaviour as Behaviour;
  const behaviour = brokerBehaviour(profile);
  const replayed = replayJournals(
    scenario,
    { hashMatchesParent: behaviour.hashMatchesParent, groupQueue: behaviour.groupQueue },
    journals as ScenarioJournal[],
  );
  const judged = judgeScenario({
    scenario,
    record: replayed.record,
    end: replayed.end,
    behaviour: profile,
    status,
    ...(notEvaluated === undefined ? {} : { notEvaluated }),
    extra: { targetKind: base.target.kind },
  });
  merged.status = judged.status;
  merged.assertions = judged.assertions;
  merged.oracle = summarizeOracle(replayed.record, judged.oracle);
  const r = replayed.record;
  merged.counters = {
    published: r.published,
    acked: r.acked,
    received: r.received,
    duplicates: r.duplicates,
    pending: 0,
  };
  const { timeline, latency } = buildReportData(r, replayed.startedAt, replayed.endedAt);
  if (timeline !== undefined) merged.timeline = timeline;
  if (latency !== undefined) {
    // Latency pairs whose publisher and receiver ran on different shards compare two clocks: the
    // offset measured through the coordinator is applied, and known to ± half its round trip.
    latency.crossShard = replayed.crossShard;
    merged.latency = latency;
  }
  return merged;
}

/** The shards' results of each step side by side. */
function mergeSteps(perShard: ReadonlyArray<readonly StepResult[]>, total: number): StepResult[] {
  const rank: Record<StepResult['status'], number> = {
    skipped: 0,
    passed: 1,
    warning: 2,
    interrupted: 3,
    failed: 4,
  };
  const steps: StepResult[] = [];
  const longest = Math.max(0, ...perShard.map((s) => s.length));
  for (let i = 0; i < longest; i++) {
    const mine = perShard.map((s) => s[i]);
    const present = mine.filter((s): s is StepResult => s !== undefined);
    const head = present[0] as StepResult;
    const worst = present.reduce((a, b) => (rank[b.status] > rank[a.status] ? b : a), head);
    // A note every shard made is said once; one only some made names them.
    const notes: string[] = [];
    const counts = new Map<string, number[]>();
    mine.forEach((s, k) => {
      for (const n of s?.notes ?? []) counts.set(n, [...(counts.get(n) ?? []), k]);
    });
    for (const [note, ks] of counts) {
      if (ks.length === total) notes.push(note);
      else for (const k of ks) notes.push(`${shardLabel({ index: k, total })}: ${note}`);
    }
    const step: StepResult = {
      ref: head.ref,
      kind: head.kind,
      label: head.label,
      status: worst.status,
      startedAtMs: Math.min(...present.map((s) => s.startedAtMs)),
      durationMs: Math.max(...present.map((s) => s.durationMs)),
      notes,
      counters: sumCounters(present.map((s) => s.counters)),
    };
    const failed = mine.flatMap((s, k) =>
      s?.error === undefined ? [] : [`${shardLabel({ index: k, total })}: ${s.error}`],
    );
    if (failed.length > 0) step.error = failed.join('; ');
    steps.push(step);
  }
  return steps;
}

function sumCounters(list: ReadonlyArray<StepResult['counters'] | undefined>): StepResult['counters'] {
  const out = { published: 0, acked: 0, received: 0, duplicates: 0, pending: 0 };
  for (const c of list) {
    if (c === undefined) continue;
    out.published += c.published;
    out.acked += c.acked;
    out.received += c.received;
    out.duplicates += c.duplicates;
    out.pending += c.pending;
  }
  return out;
}

function earliest(times: ReadonlyArray<string | undefined>): string {
  const ms = times.flatMap((t) => (t === undefined ? [] : [Date.parse(t)]));
  return new Date(ms.length === 0 ? Date.now() : Math.min(...ms)).toISOString();
}
