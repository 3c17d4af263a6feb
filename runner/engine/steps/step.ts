/**
 * The step handler contract. Each step kind has one file with a compiler that checks the step
 * against the scenario and returns a small named function; runScenario compiles every step before
 * anything connects (style rule 6), so configuration mistakes surface first.
 */
import type { ResolvedScenario, ResolvedStep, StepKind, StepTrigger } from '../../scenario/types.js';
import type { EngineClient, EngineContext } from '../context.js';
import { waitForTrigger } from '../trigger.js';

export type StepOf<K extends StepKind> = Extract<ResolvedStep, { kind: K }>;

export interface StepOutcome {
  /** Short facts: "sessionPresent=true", "settled 60/60 in 41 ms". */
  notes: string[];
  /**
   * The step ended, but not as hoped, without failing the scenario (a settle that timed out with
   * messages pending, with the count): status `warning`. What fails a step is thrown instead.
   */
  warning?: string;
}

export interface CompiledStep {
  readonly ref: number;
  readonly kind: StepKind;
  readonly label: string;
  /** Start only when this holds (the step's `after:`); runNested and the top level wait for it. */
  readonly after?: StepTrigger;
  /**
   * Runs the step. Throws (or calls `ctx.fail`) for what must end the scenario: a StepError for a
   * broker that went away, never answered or refused what the scenario did not declare; a
   * TransportError for a connect that failed. Returns quietly when `ctx.signal` aborted.
   */
  run(ctx: EngineContext): Promise<StepOutcome>;
}

/** What compilers may use: the scenario, and the planner that sizes each publisher's log. */
export interface CompilePlan {
  readonly scenario: ResolvedScenario;
  readonly clientIndex: ReadonlyMap<string, number>;
  /** Client index → messages it will publish (sizes the typed arrays of the record). */
  readonly publishCounts: Map<number, number>;
  /** Compiles a nested step (parallel blocks). */
  compile(step: ResolvedStep): CompiledStep;
  /** On a client shard: does this process run `client` (shard.ts, clientOwners)? Unsharded: all. */
  readonly owns?: (client: number) => boolean;
}

export type StepCompiler<K extends StepKind> = (step: StepOf<K>, plan: CompilePlan) => CompiledStep;

/**
 * Resolves instance names to indexes, or throws a message naming the step and the declared clients.
 * On a client shard, only the clients this shard owns: the others act on their own shards.
 */
export function resolveClients(names: readonly string[], step: ResolvedStep, plan: CompilePlan): number[] {
  const all = names.map((n) => {
    const i = plan.clientIndex.get(n);
    if (i === undefined) {
      throw new Error(
        `${step.source.path}: unknown client "${n}"; declared clients are ${[...plan.clientIndex.keys()].map((k) => `"${k}"`).join(', ')}`,
      );
    }
    return i;
  });
  const owns = plan.owns;
  return owns === undefined ? all : all.filter((i) => owns(i));
}

/**
 * Runs `fn` for each client at once. The first failure stops the others at once (`ctx.fail`
 * aborts their waits); all of them are awaited, so no client is left half-way, then that failure
 * is thrown.
 */
export async function forEachClient<T>(
  ctx: EngineContext,
  clients: readonly number[],
  fn: (client: EngineClient) => Promise<T>,
): Promise<T[]> {
  const results = await Promise.allSettled(
    clients.map((i) =>
      fn(ctx.clients[i] as EngineClient).catch((error: unknown) => {
        ctx.fail(error instanceof Error ? error : new Error(String(error)));
        throw error;
      }),
    ),
  );
  const values: T[] = [];
  for (const r of results) {
    if (r.status === 'rejected') throw ctx.failure ?? r.reason;
    values.push(r.value);
  }
  return values;
}

/**
 * Runs a step inside a block (parallel, sequence, repeat): waits for its `after:` condition,
 * marks its start and end in the record, and passes a failure on to `ctx.fail` (so the other
 * branches stop) before rethrowing it.
 */
export async function runNested(ctx: EngineContext, child: CompiledStep): Promise<StepOutcome> {
  const notes: string[] = [];
  try {
    if (child.after !== undefined) {
      const note = await waitForTrigger(ctx, child.after);
      if (note !== undefined) notes.push(note);
    }
  } catch (error) {
    ctx.fail(error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
  if (ctx.signal.aborted) return { notes };
  ctx.record.stepStarted(child.ref, ctx.now());
  try {
    const r = await child.run(ctx);
    return { ...r, notes: [...notes, ...r.notes] };
  } catch (error) {
    ctx.fail(error instanceof Error ? error : new Error(String(error)));
    throw error;
  } finally {
    ctx.record.stepEnded(child.ref, ctx.now());
  }
}
