/**
 * The step handler contract. Each step kind has one file with a compiler that checks the step
 * against the scenario and returns a small named function; runScenario compiles every step before
 * anything connects (style rule 6), so configuration mistakes surface first.
 */
import type { ResolvedScenario, ResolvedStep, StepKind } from '../../scenario/types.js';
import type { EngineContext } from '../context.js';

export type StepOf<K extends StepKind> = Extract<ResolvedStep, { kind: K }>;

export interface StepOutcome {
  /** Short facts: "sessionPresent=true", "settled 60/60 in 41 ms". */
  notes: string[];
  /** Something went wrong that does not stop the scenario (the step is marked failed). */
  error?: string;
}

export interface CompiledStep {
  readonly ref: number;
  readonly kind: StepKind;
  readonly label: string;
  /** Runs the step. Throws only for what must end the scenario (unreachable broker, ...). */
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
}

export type StepCompiler<K extends StepKind> = (step: StepOf<K>, plan: CompilePlan) => CompiledStep;

/** Resolves instance names to indexes, or throws a message naming the step and the declared clients. */
export function resolveClients(names: readonly string[], step: ResolvedStep, plan: CompilePlan): number[] {
  return names.map((n) => {
    const i = plan.clientIndex.get(n);
    if (i === undefined) {
      throw new Error(
        `${step.source.path}: unknown client "${n}"; declared clients are ${[...plan.clientIndex.keys()].map((k) => `"${k}"`).join(', ')}`,
      );
    }
    return i;
  });
}
