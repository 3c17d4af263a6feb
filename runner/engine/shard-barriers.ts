/**
 * The step barriers of one client-sharded scenario: the shards start together (after each measured
 * its clock offset to shard 1), and every top-level step ends on every shard before the next one
 * starts on any. So a publish on one shard never overtakes the connect, subscribe or disconnect of
 * an earlier step on another, which is what makes the merged audience the unsharded one.
 *
 * A barrier waits at most until the scenario deadline; a shard that fails (or dies: its will on
 * the coordinator says so) tells the others at once, and their scenario fails naming it in
 * whatever step it is, rather than running a long step on to its barrier; one that never arrives
 * is named when the deadline comes. Either way the scenario errors on every shard: there is no
 * partial verdict.
 */
import { createHash } from 'node:crypto';
import type { ResolvedScenario } from '../scenario/types.js';
import type { StartedTarget } from '../targets/target.js';
import type { EngineContext } from './context.js';
import type { ClientShard } from './run-scenario.js';
import { shardLabel } from './shard.js';
import { type ClockOffset, ShardBarrierError, type ShardCoordinator } from './shard-coordinator.js';
import { JournalingRunRecord, type PublishedRuns } from './shard-journal.js';
import type { CompiledStep } from './steps/step.js';

const HINT =
  'every shard of a run must run the same scenarios against the same broker; a shard that fails or is killed fails the run';

export class StepBarriers {
  readonly #shard: ClientShard;
  readonly #ctx: EngineContext;
  /** Barrier names of this scenario: a run may hold several scenarios. */
  readonly #tag: string;

  readonly #target: StartedTarget;
  #coordinator: ShardCoordinator | undefined;
  #stopListening: (() => void) | undefined;

  constructor(shard: ClientShard, scenario: ResolvedScenario, ctx: EngineContext, target: StartedTarget) {
    this.#shard = shard;
    this.#target = target;
    this.#ctx = ctx;
    this.#tag = createHash('sha256').update(`${scenario.file}\0${scenario.name}`).digest('hex').slice(0, 12);
  }

  /** The clock offset to shard 1, then every shard ready to run the first step. */
  async start(): Promise<ClockOffset> {
    this.#coordinator = await this.#shard.coordinator(this.#target);
    this.#stopListening = this.#coordinator.onFailure((text) =>
      this.#ctx.fail(
        new ShardBarrierError(`${shardLabel(this.#shard)}: ${text}; the run fails`, { hint: HINT }),
      ),
    );
    // Every shard listening first (shard 1 answers the clock pings), then the clocks, then go.
    await this.#wait(`${this.#tag}-ready`, 'every shard to connect to the coordinator');
    // Stopped (Ctrl+C, the deadline, another shard's failure): no clock pings to a shard that may be gone.
    if (this.#ctx.signal.aborted) return { offsetMs: 0, rttMs: 0 };
    const offset = await this.#coordinator.measureClockOffset();
    await this.#wait(`${this.#tag}-start`, 'the start');
    return offset;
  }

  /**
   * Every shard ended `step`. Each brings what its publishers sent in it, which the others add to
   * their record: a shard's `settle` then knows what its subscribers are owed.
   */
  async after(step: CompiledStep): Promise<void> {
    const record = this.#ctx.record;
    const journaling = record instanceof JournalingRunRecord ? record : undefined;
    const brought = await this.#wait(
      `${this.#tag}-s${step.ref}`,
      `step [${step.ref}] ${step.label}`,
      journaling?.exportRuns(),
    );
    if (journaling === undefined || brought === undefined) return;
    for (const [index, runs] of brought) {
      if (index !== this.#shard.index && isPublishedRuns(runs)) journaling.importRuns(this.#ctx.model, runs);
    }
  }

  /** The steps are over: another shard's failure no longer ends this scenario. */
  stop(): void {
    this.#stopListening?.();
    this.#stopListening = undefined;
  }

  /** Tells the other shards this one failed (their barriers fail at once, naming it). */
  async failed(step: CompiledStep | undefined, error: Error): Promise<void> {
    const where = step === undefined ? '' : ` in step [${step.ref}] ${step.label}`;
    await this.#coordinator?.fail(`${error.message}${where}`).catch(() => undefined);
  }

  async #wait(name: string, what: string, payload?: unknown): Promise<Map<number, unknown> | undefined> {
    const ctx = this.#ctx;
    // A little before the scenario deadline, so the error names the shards that did not arrive.
    const left = Math.max(1, Math.floor(ctx.deadlineAt - ctx.now()) - 100);
    let undo: (() => void) | undefined;
    const stopped = new Promise<'stopped'>((resolve) => {
      undo = ctx.onStop(() => resolve('stopped'));
    });
    try {
      const coordinator = this.#coordinator;
      if (coordinator === undefined)
        throw new ShardBarrierError(`${shardLabel(this.#shard)}: no coordinator`);
      const r = await Promise.race([coordinator.barrier(name, left, payload), stopped]);
      return r === 'stopped' ? undefined : r;
    } catch (error) {
      if (!(error instanceof ShardBarrierError)) throw error;
      throw new ShardBarrierError(`${shardLabel(this.#shard)} waiting for ${what}: ${error.message}`, {
        hint: HINT,
      });
    } finally {
      undo?.();
    }
  }
}

function isPublishedRuns(value: unknown): value is PublishedRuns {
  const v = value as PublishedRuns | null;
  return v !== null && typeof v === 'object' && Array.isArray(v.topics) && Array.isArray(v.runs);
}
