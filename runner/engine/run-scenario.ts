/**
 * Runs one ResolvedScenario against a started target: compiles the steps (before anything
 * connects), runs them in order with clients acting concurrently, records everything, closes
 * every client (bounded), evaluates the oracle and the assertions, and reports.
 *
 * Never throws for environment problems: an unreachable broker or a refused connect ends the
 * scenario with status `errored` and `error`, and what was recorded is still evaluated. Throws
 * ScenarioError (before any network activity) only when the scenario cannot be compiled.
 */

import { EXIT_CODES, formatIssue, MqscenError, ScenarioError } from '../errors.js';
import type { FaultEvent } from '../faults/fault.js';
import { proxyTarget, startFaultProxy } from '../faults/index.js';
import type { Reporter, ScenarioStartInfo } from '../reporters/reporter.js';
import type {
  Counters,
  PolicyRefusalResult,
  ScenarioErrorInfo,
  ScenarioResult,
  ScenarioStatus,
  StepResult,
} from '../results.js';
import { createRunId } from '../run-id.js';
import type { ResolvedScenario, ResolvedStep } from '../scenario/types.js';
import { brokerStatsSince } from '../targets/stats-delta.js';
import type { StartedTarget } from '../targets/target.js';
import type { Transport } from '../transports/transport.js';
import { brokerBehaviour } from '../verdict/broker-behaviours.js';
import { deliverableNow } from '../verdict/oracle.js';
import { summarizeOracle } from '../verdict/oracle-summary.js';
import { RunRecord } from '../verdict/record.js';
import { type ClientSnapshot, SessionModel } from '../verdict/session-model.js';
import { DEFAULT_TIMINGS, debug, EngineContext, type EngineTimings, now } from './context.js';
import { judgeScenario } from './judge.js';
import { buildReportData } from './report-data.js';
import { errorInfo, protocolsOf, skippedStep, targetInfo } from './scenario-results.js';
import { clientOwners, shardLabel, shardRecordRunId } from './shard.js';
import { StepBarriers } from './shard-barriers.js';
import type { ClockOffset, ShardCoordinator } from './shard-coordinator.js';
import {
  JournalingRunRecord,
  JournalingSessionModel,
  type ScenarioJournal,
  ShardJournal,
} from './shard-journal.js';
import { STEPS } from './steps/index.js';
import type { CompiledStep, CompilePlan, StepOutcome } from './steps/step.js';
import { teardown } from './teardown.js';
import { waitForTrigger } from './trigger.js';

export interface RunScenarioOptions {
  target: StartedTarget;
  /** A fan-out; its hooks are called in order and awaited (the run end is the suite's). */
  reporter: Omit<Reporter, 'onRunEnd'>;
  /** Ctrl+C: stop steps, close every client (bounded), evaluate what can be, status `interrupted`. */
  signal: AbortSignal;
  /** Overrides scenario.timeoutMs (CLI --timeout), ms. */
  timeoutMs?: number;
  /** @default the transport registry */
  getTransport?: (name: string) => Promise<Transport>;
  /** Bounds the scenario does not set (connect, ack, teardown, publish window). */
  timings?: Partial<EngineTimings>;
  /**
   * Also carry each message's identity in an MQTT 5 User Property (the payload header is always
   * there and is what the receiver reads). Off by default: it costs ~15% throughput on MQTT.js
   * and adds nothing the header does not carry. @default false
   */
  identityProperty?: boolean;
  /** End MQTT 5 persistent sessions when closing the clients at the end. @default true */
  cleanupSessions?: boolean;
  /** Called with the scenario's record once its result is built (shard files keep its histograms). */
  onRecord?: (record: RunRecord, result: ScenarioResult) => void;
  /** This process is one client shard of the run (`--shard-by clients`). */
  shard?: ClientShard;
}

/** One shard of a client-sharded run: which, its coordinator, and where its journal goes. */
export interface ClientShard {
  /** 0-based. */
  index: number;
  total: number;
  /** The run id every shard shares (the identity run id of each scenario derives from it). */
  runId: string;
  /** The coordinator of the step barriers (started once, at the first scenario, on its target). */
  coordinator(target: StartedTarget): Promise<ShardCoordinator>;
  /** Is this scenario split by clients (others of the run may be whole-file)? */
  covers(scenario: ResolvedScenario): boolean;
  /** Receives the journal of each scenario this shard ran (its part of the shard file). */
  onJournal: (journal: ScenarioJournal) => void;
}

/** Progress events at most this often (reporter contract). */
const PROGRESS_MS = 100;

export async function runScenario(
  scenario: ResolvedScenario,
  options: RunScenarioOptions,
): Promise<ScenarioResult> {
  const timings: EngineTimings = Object.freeze({
    ...DEFAULT_TIMINGS,
    connectTimeoutMs: scenario.timeouts.connectMs,
    subscribeTimeoutMs: scenario.timeouts.subscribeMs,
    ackTimeoutMs: scenario.timeouts.ackMs,
    ...options.timings,
  });
  const shard = options.shard?.covers(scenario) === true ? options.shard : undefined;
  const owners = shard === undefined ? undefined : clientOwners(scenario.clients, shard.total);
  const owns =
    owners === undefined || shard === undefined ? undefined : (i: number) => owners[i] === shard.index;
  const { steps, publishCounts } = compileSteps(scenario, owns);
  const getTransport =
    options.getTransport ??
    (async (name: string) => (await import('../transports/index.js')).getTransport(name));

  // Clients a fault or partition step names connect through a proxy this run owns; its listeners
  // stay for the whole scenario, so a fault also reaches the reconnects made while it lasts.
  const proxy = scenario.proxied === undefined ? undefined : await startFaultProxy();
  let target: StartedTarget;
  try {
    target =
      proxy === undefined
        ? options.target
        : await proxyTarget(options.target, proxy, scenario.clients, { only: scenario.proxied ?? [] });
  } catch (error) {
    await proxy?.close();
    throw error;
  }
  const runId = shard === undefined ? createRunId() : shardRecordRunId(shard.runId, scenario);
  const behaviour = brokerBehaviour(target.behaviour);
  const modelOptions = { hashMatchesParent: behaviour.hashMatchesParent, groupQueue: behaviour.groupQueue };
  // A client shard journals what its clients did and saw, for the merge to replay (shard-journal.ts).
  const journal = shard === undefined ? undefined : new ShardJournal();
  const model =
    journal === undefined
      ? new SessionModel(scenario.clients, modelOptions)
      : new JournalingSessionModel(scenario.clients, modelOptions, journal);
  // Receipts are attributed to the subscriptions of the model [MQTT-3.3.4-3].
  const record =
    journal === undefined || owns === undefined
      ? new RunRecord(runId, scenario.clients, publishCounts, model)
      : // Sized for every publisher: the other shards' messages join it at each step barrier.
        new JournalingRunRecord(
          [runId, scenario.clients, compileSteps(scenario).publishCounts, model],
          journal,
          owns,
        );
  if (scenario.expect.some((a) => a.kind === 'delivered')) {
    record.keepDeliveryProperties();
    if (journal !== undefined) journal.keepProperties = true;
  }
  const deadlineMs = options.timeoutMs ?? scenario.timeoutMs;
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new Error('deadline')), deadlineMs);
  const ctx = new EngineContext({
    scenario,
    target,
    record,
    model,
    interrupt: options.signal,
    deadline: deadline.signal,
    deadlineMs,
    timings,
    getTransport,
    identityProperty: options.identityProperty ?? false,
    cleanupSessions: options.cleanupSessions ?? true,
    ...(proxy === undefined ? {} : { proxy }),
    ...(shard === undefined ? {} : { shards: shard.total }),
  });
  const reporter = options.reporter;
  const startedAtIso = new Date().toISOString();
  const startedAtMs = Date.now();
  // The scenario's own `policy:` is enforced while it runs (a target with its own policy keeps it);
  // applied before the counters are read, so the policy's counts are this scenario's.
  const policyError = await applyScenarioPolicy(target, scenario);
  // One broker serves every scenario of a run: its counters are reported for this scenario only.
  await refreshTarget(target, startedAtMs);
  const statsAtStart = safe(() => target.stats?.());
  debug('scenario %s: run %s, %d steps, target %s', scenario.name, runId, steps.length, target.url);

  const info: ScenarioStartInfo = {
    file: scenario.file,
    name: scenario.name,
    steps: steps.map((s) => {
      const publishes = publishTotal(scenario.steps.find((r) => r.ref === s.ref));
      return { ref: s.ref, kind: s.kind, label: s.label, ...(publishes > 0 ? { publishes } : {}) };
    }),
  };
  await call(() => reporter.onScenarioStart?.(info));

  const stepResults: StepResult[] = [];
  let failedStep: CompiledStep | undefined;
  let end: ClientSnapshot[] | undefined;
  // The shards start together, and each top-level step ends on every shard before the next one
  // starts anywhere: a publish on one shard must not overtake the subscribe on another.
  const barriers = shard === undefined ? undefined : new StepBarriers(shard, scenario, ctx, options.target);
  let clock: ClockOffset = { offsetMs: 0, rttMs: 0 };
  let stepsEndedAt = 0;
  try {
    if (barriers !== undefined && policyError === undefined) {
      try {
        clock = await barriers.start();
      } catch (error) {
        ctx.fail(error instanceof Error ? error : new Error(String(error)));
      }
    }
    for (const step of steps) {
      if (ctx.signal.aborted || policyError !== undefined) break;
      const result = await runTopLevelStep(ctx, step, info, reporter, barriers);
      stepResults.push(result);
      if (ctx.failure !== undefined) {
        failedStep = step;
        break;
      }
    }
    barriers?.stop();
    // The other shards stop at once (they listen for failures) instead of waiting for this one until the deadline.
    if (ctx.failure !== undefined) await barriers?.failed(failedStep, ctx.failure);
    else if (options.signal.aborted)
      await barriers?.failed(
        undefined,
        new Error(`${shardLabel(shard as ClientShard)} was interrupted (Ctrl+C)`),
      );
  } finally {
    barriers?.stop();
    clearTimeout(timer);
    end = model.snapshot();
    stepsEndedAt = now();
    // Faults end with the steps: the clients then say goodbye over a healthy link.
    proxy?.heal();
    // A scenario cut short (the broker went silent, the deadline, Ctrl+C) closes its clients
    // quickly: a graceful DISCONNECT waits for acks a silent broker never sends.
    await teardown(ctx, ctx.signal.aborted);
    await proxy?.close();
  }
  const remaining = steps.slice(stepResults.length);
  for (const s of remaining) stepResults.push(skippedStep(s));

  // Why the scenario ended early, first that applies: Ctrl+C, a failed step, the deadline.
  let status: ScenarioStatus = 'passed';
  let error: ScenarioErrorInfo | undefined;
  let notEvaluated: string | undefined;
  if (options.signal.aborted) {
    status = 'interrupted';
    error = { code: 'E_INTERRUPTED', message: 'interrupted: the remaining steps did not run' };
    if (ctx.currentStep !== undefined) {
      error.message = `interrupted by Ctrl+C during step [${ctx.currentStep.ref}] ${ctx.currentStep.label}`;
      error.step = { ...ctx.currentStep };
    }
    notEvaluated = 'not evaluated: the run was interrupted (Ctrl+C) before the scenario ended';
  } else if (policyError !== undefined) {
    status = 'errored';
    error = policyError;
    notEvaluated = 'not evaluated: the scenario did not run (its policy could not be applied)';
  } else if (ctx.failure !== undefined) {
    status = 'errored';
    error = errorInfo(ctx.failure, failedStep);
    notEvaluated =
      failedStep === undefined
        ? `not evaluated: the scenario could not start (${error.code})`
        : `not evaluated: step [${failedStep.ref}] failed (${error.code})`;
  } else if (deadline.signal.aborted) {
    status = 'failed';
    error = {
      code: 'E_TIMEOUT',
      message: `scenario deadline of ${deadlineMs} ms reached; raise timeout: in the scenario or --timeout`,
      exitCode: EXIT_CODES.failed,
    };
    if (ctx.currentStep !== undefined) error.step = { ...ctx.currentStep };
    notEvaluated = `not evaluated: the scenario deadline (${deadlineMs} ms) cut the steps short`;
  }

  // The policy's refusals during this scenario (authorized/denied read them; the result names them).
  const refreshed = await refreshTarget(target, startedAtMs);
  const refusals = refreshed ? safe(() => target.policyRefusals?.(startedAtMs)) : undefined;
  // This scenario's broker counters (embedded broker only): `broker-stats` reads them, the result shows them.
  const statsAtEnd = safe(() => target.stats?.());
  const brokerStats = statsAtEnd === undefined ? undefined : brokerStatsSince(statsAtStart, statsAtEnd);
  // A client shard holds part of the record: its verdict is the merge's (mqscen merge).
  if (shard !== undefined && notEvaluated === undefined)
    notEvaluated = `not evaluated here: ${shardLabel(shard)} ran part of the clients; mqscen merge judges the whole run`;
  const judged = judgeScenario({
    scenario,
    record,
    end,
    behaviour: target.behaviour,
    status,
    ...(notEvaluated === undefined ? {} : { notEvaluated }),
    extra: {
      ...(refusals === undefined ? {} : { policyRefusals: refusals }),
      ...(brokerStats === undefined ? {} : { brokerStats }),
      targetKind: target.kind,
    },
  });
  const { oracle, assertions } = judged;
  status = judged.status;

  const result: ScenarioResult = {
    file: scenario.file,
    name: scenario.name,
    target: targetInfo(target),
    protocols: protocolsOf(scenario),
    startedAt: startedAtIso,
    durationMs: Math.round(now() - ctx.startedAt),
    status,
    steps: stepResults,
    assertions,
    counters: counters(ctx),
    oracle: summarizeOracle(record, oracle),
  };
  if (error !== undefined) result.error = error;
  const losses = record.disconnects.filter((d) => d.how === 'lost');
  if (losses.length > 0) {
    result.connectionLosses = losses.map((d) => {
      const name = scenario.clients[d.client]?.name ?? String(d.client);
      const loss: NonNullable<ScenarioResult['connectionLosses']>[number] = {
        client: name,
        step: d.stepRef,
        message: d.message ?? 'connection lost',
        declared: ctx.declared.brokerDisconnect(d.client, d.stepRef) || target.causedLoss?.(name) === true,
      };
      if (d.reasonCode !== undefined) loss.reasonCode = d.reasonCode;
      return loss;
    });
  }
  // What the HTML report draws.
  const { timeline, latency } = buildReportData(record, ctx.startedAt, now());
  if (timeline !== undefined) {
    if (proxy !== undefined) timeline.faults = faultBands(proxy.events, ctx.startedAt);
    result.timeline = timeline;
  }
  if (latency !== undefined) result.latency = latency;
  if (options.onRecord !== undefined) safe(() => options.onRecord?.(record, result));
  if (shard !== undefined && journal !== undefined && owners !== undefined) {
    const owned: number[] = [];
    owners.forEach((o, i) => {
      if (o === shard.index) owned.push(i);
    });
    shard.onJournal(
      journal.build({
        file: scenario.file,
        name: scenario.name,
        recordRunId: runId,
        clock,
        owned,
        record,
        stepsEndedAt,
      }),
    );
  }
  if (brokerStats !== undefined) result.brokerStats = brokerStats;
  if (refusals !== undefined && refusals.length > 0) {
    // Which action on which resource the policy refused, and why (POL-10): the cause a refused
    // step or a silent Receive denial would otherwise hide.
    result.policyRefusals = refusals;
    if (result.error !== undefined) {
      result.error.message += `; ${describePolicyRefusals(refusals)}`;
      // The broker answered, by policy (POL-10 closes MQTT 3.1.1 connections): not an unreachable
      // broker (exit 3) but a refusal, exit 1 like any failed expectation.
      const closing = refusals.some((r) => r.packet !== 'receive');
      if (closing && result.error.exitCode === EXIT_CODES.environment)
        result.error.exitCode = EXIT_CODES.failed;
    }
  }
  debug('scenario %s: %s', scenario.name, status);
  await call(() => reporter.onScenarioEnd?.(result));
  return result;
}

/** "refused by policy: iot:Receive on topic/x for sub-1 (×20): no statement of p.json allows it". */
/** Refusals (and clients per refusal) named in a message; the JSON report has them all. */
const LISTED_REFUSALS = 5;

export function describePolicyRefusals(refusals: readonly PolicyRefusalResult[]): string {
  // One line per action, resource and reason, with every client it hit.
  const groups = new Map<string, { head: string; clients: string[]; count: number }>();
  for (const r of refusals) {
    const key = `${r.action} on ${r.resource}\u0000${r.reason}`;
    const g = groups.get(key) ?? { head: `${r.action} on ${r.resource}`, clients: [], count: 0 };
    g.clients.push(r.client);
    g.count += r.count;
    groups.set(key, g);
  }
  const parts = [...groups.entries()].map(([key, g]) => {
    const reason = key.slice(key.indexOf('\u0000') + 1);
    const sorted = [...g.clients].sort();
    const clients =
      sorted.length > LISTED_REFUSALS
        ? `${sorted.slice(0, LISTED_REFUSALS).join(', ')} and ${sorted.length - LISTED_REFUSALS} more`
        : sorted.join(', ');
    return `${g.head} for ${clients}${g.count > 1 ? ` (${g.count} times)` : ''}: ${reason}`;
  });
  // A fleet refused client by client stays one readable line: the first few, then the count.
  const shown = parts.slice(0, LISTED_REFUSALS);
  if (parts.length > LISTED_REFUSALS)
    shown.push(`${parts.length - LISTED_REFUSALS} more refusals (all in the JSON report)`);
  return `refused by policy: ${shown.join('; ')}`;
}

/**
 * A broker in another process: its counters and policy refusals fetched before they are read.
 * False when that failed; the refusals then stay unread, and assertions that need them say so.
 */
async function refreshTarget(target: RunScenarioOptions['target'], sinceMs: number): Promise<boolean> {
  if (target.refresh === undefined) return true;
  try {
    await target.refresh(sinceMs);
    return true;
  } catch (error) {
    debug('target refresh failed: %O', error);
    return false;
  }
}

async function applyScenarioPolicy(
  target: RunScenarioOptions['target'],
  scenario: ResolvedScenario,
): Promise<ScenarioErrorInfo | undefined> {
  try {
    await target.usePolicy?.(scenario.policyFile);
    return undefined;
  } catch (err) {
    if (!(err instanceof MqscenError)) throw err;
    const issues =
      err instanceof ScenarioError ? err.issues.map((i) => `\n  ${formatIssue(i)}`).join('') : '';
    return { code: err.code, message: `${err.message}${issues}`, exitCode: err.exitCode };
  }
}

/**
 * Compiles every step into its handler; any problem is a ScenarioError, before any connect. On a
 * client shard (`owns`), each step acts only for the clients this shard runs.
 */
export function compileSteps(
  scenario: ResolvedScenario,
  owns?: (client: number) => boolean,
): {
  steps: CompiledStep[];
  publishCounts: Map<number, number>;
} {
  const publishCounts = new Map<number, number>();
  const problems: Array<{ path: string; message: string; line?: number; column?: number }> = [];
  const plan: CompilePlan = {
    scenario,
    clientIndex: new Map(scenario.clients.map((c, i) => [c.name, i])),
    publishCounts,
    compile: (step: ResolvedStep) => compileOne(step),
    ...(owns === undefined ? {} : { owns }),
  };
  const compileOne = (step: ResolvedStep): CompiledStep => {
    const compiler = STEPS[step.kind] as (s: ResolvedStep, p: CompilePlan) => CompiledStep;
    const compiled = compiler(step, plan);
    return step.after === undefined ? compiled : { ...compiled, after: step.after };
  };
  const steps: CompiledStep[] = [];
  for (const step of scenario.steps) {
    try {
      steps.push(compileOne(step));
    } catch (error) {
      const p: { path: string; message: string; line?: number; column?: number } = {
        path: step.source.path,
        message: (error as Error)?.message ?? String(error),
      };
      if (step.source.line !== undefined) p.line = step.source.line;
      if (step.source.column !== undefined) p.column = step.source.column;
      problems.push(p);
    }
  }
  if (problems.length > 0) {
    throw new ScenarioError(
      `scenario "${scenario.name}" cannot run: ${problems.map((p) => p.message).join('; ')}`,
      problems.map((p) => ({ file: scenario.file, ...p, severity: 'error' as const })),
    );
  }
  return { steps, publishCounts };
}

async function runTopLevelStep(
  ctx: EngineContext,
  step: CompiledStep,
  info: ScenarioStartInfo,
  reporter: Omit<Reporter, 'onRunEnd'>,
  barriers: StepBarriers | undefined,
): Promise<StepResult> {
  const desc = { ref: step.ref, kind: step.kind, label: step.label };
  // A top-level step waits for its `after:` before it counts as started.
  let triggerNote: string | undefined;
  if (step.after !== undefined) {
    try {
      triggerNote = await waitForTrigger(ctx, step.after);
    } catch (error) {
      ctx.fail(error instanceof Error ? error : new Error(String(error)));
    }
  }
  await call(() => reporter.onStepStart?.(info, desc));
  // Only the running totals: delta() takes `pending` from the later reading (counting what is
  // pending walks every publish segment's audience, a cost per step on a large fleet).
  const before = counters(ctx, false);
  const staleBefore = sum(ctx.record.stale);
  const foreignBefore = sum(ctx.record.foreign);
  const startedAt = ctx.now();
  ctx.pendingNotes.length = 0;
  ctx.currentStep = { ref: step.ref, label: step.label };
  ctx.record.stepStarted(step.ref, startedAt);
  const progress = reporter.onStepProgress
    ? setInterval(() => {
        safe(() => reporter.onStepProgress?.(info, { ref: step.ref }, delta(before, counters(ctx))));
      }, PROGRESS_MS)
    : undefined;
  let outcome: StepOutcome = { notes: [] };
  try {
    if (ctx.failure === undefined) outcome = await step.run(ctx);
    // A client shard's step ends when it ended on every shard.
    if (barriers !== undefined && ctx.failure === undefined && !ctx.signal.aborted)
      await barriers.after(step);
    if (triggerNote !== undefined) outcome = { ...outcome, notes: [triggerNote, ...outcome.notes] };
  } catch (error) {
    // A step throws only for what must end the scenario; the first failure is the one reported.
    ctx.fail(error instanceof Error ? error : new Error(String(error)));
  } finally {
    if (progress !== undefined) clearInterval(progress);
    ctx.record.stepEnded(step.ref, ctx.now());
  }
  const failure = ctx.failure;
  const result: StepResult = {
    ref: step.ref,
    kind: step.kind,
    label: step.label,
    status:
      failure !== undefined
        ? 'failed'
        : ctx.signal.aborted
          ? 'interrupted'
          : outcome.warning !== undefined
            ? 'warning'
            : 'passed',
    startedAtMs: Math.round(startedAt - ctx.startedAt),
    durationMs: Math.round(ctx.now() - startedAt),
    notes: [...outcome.notes, ...ctx.pendingNotes, ...strayNotes(ctx, staleBefore, foreignBefore)],
    counters: delta(before, counters(ctx)),
  };
  if (failure !== undefined) result.error = failure.message;
  else if (outcome.warning !== undefined && result.status === 'warning')
    result.notes.unshift(outcome.warning);
  debug('step %d %s: %s %o', step.ref, step.label, result.status, result.notes);
  await call(() => reporter.onStepEnd?.(info, result));
  return result;
}

function sum(xs: Iterable<number>): number {
  let n = 0;
  for (const x of xs) n += x;
  return n;
}

/** Messages that are not this run's: said once per step, never counted as deliveries. */
function strayNotes(ctx: EngineContext, staleBefore: number, foreignBefore: number): string[] {
  const stale = sum(ctx.record.stale) - staleBefore;
  const foreign = sum(ctx.record.foreign) - foreignBefore;
  const notes: string[] = [];
  if (stale > 0) notes.push(`ignored ${stale} message(s) left by an earlier run (stale)`);
  if (foreign > 0) notes.push(`ignored ${foreign} message(s) without an mqscen identity`);
  return notes;
}

function counters(ctx: EngineContext, withPending = true): Counters {
  const d = withPending ? deliverableNow(ctx.record, ctx.model) : { expected: 0, arrived: 0 };
  const out: Counters = {
    published: ctx.record.published,
    acked: ctx.record.acked,
    received: ctx.record.received,
    duplicates: ctx.record.duplicates,
    pending: Math.max(0, d.expected - d.arrived),
  };
  if (ctx.connectCounters !== undefined) out.connects = { ...ctx.connectCounters };
  return out;
}

function delta(a: Counters, b: Counters): Counters {
  return {
    published: b.published - a.published,
    acked: b.acked - a.acked,
    received: b.received - a.received,
    duplicates: b.duplicates - a.duplicates,
    pending: b.pending,
    ...(b.connects === undefined ? {} : { connects: b.connects }),
  };
}

/** The proxy's faults as bands of the timeline: applied → healed, ms since the scenario started. */
function faultBands(
  events: readonly FaultEvent[],
  startedAt: number,
): NonNullable<NonNullable<ScenarioResult['timeline']>['faults']> {
  const bands: NonNullable<NonNullable<ScenarioResult['timeline']>['faults']> = [];
  const open = new Map<string, (typeof bands)[number]>();
  for (const e of events) {
    if (e.type === 'applied') {
      const band: (typeof bands)[number] = {
        atMs: Math.max(0, Math.round(e.at - startedAt)),
        label: `${e.kind}${e.stream === undefined || e.stream === 'both' ? '' : ` ${e.stream}`}: ${e.name}`,
      };
      if (e.clients !== undefined) band.client = e.clients.join(', ');
      open.set(e.id, band);
      bands.push(band);
    } else if (e.type === 'healed') {
      const band = open.get(e.id);
      if (band !== undefined) band.untilMs = Math.max(band.atMs, Math.round(e.at - startedAt));
      open.delete(e.id);
    }
  }
  return bands;
}

async function call(fn: () => void | Promise<void> | undefined): Promise<void> {
  try {
    await fn();
  } catch (error) {
    debug('reporter hook failed: %O', error);
  }
}

/** Messages a step publishes in all (a burst, or the bursts inside a parallel step); 0 for others. */
function publishTotal(step: ResolvedStep | undefined): number {
  if (step === undefined) return 0;
  if (step.kind === 'publish') return step.count * step.from.length;
  if (step.kind === 'parallel' || step.kind === 'sequence' || step.kind === 'repeat')
    return step.steps.reduce((n, child) => n + publishTotal(child), 0);
  return 0;
}

function safe<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (error) {
    debug('failed: %O', error);
    return undefined;
  }
}
