/**
 * The verdict of one scenario over what was recorded: the oracle over the record, then each
 * assertion, or "not evaluated" with the reason when the scenario did not run to its end. Used by
 * runScenario and by `mqscen merge` (over the record replayed from every client shard), so a
 * sharded scenario is judged by exactly the rules of an unsharded one.
 */
import type { AssertionResult, ScenarioStatus } from '../results.js';
import { nestedSteps } from '../scenario/step-tree.js';
import type { ResolvedScenario, ResolvedStep } from '../scenario/types.js';
import type { AssertionContext } from '../verdict/assertions/assertion.js';
import { evaluateAssertion, notEvaluatedAssertion } from '../verdict/assertions/index.js';
import { type BrokerBehaviour, brokerBehaviour } from '../verdict/broker-behaviours.js';
import { evaluateDeliveries, type OracleReport } from '../verdict/oracle.js';
import type { RunRecord } from '../verdict/record.js';
import type { ClientSnapshot } from '../verdict/session-model.js';

/** Assertion kinds still read after Ctrl+C, over the messages whose fate was settled. */
const OVER_SETTLED: ReadonlySet<string> = new Set(['no-loss', 'duplicates', 'ordered']);

export interface JudgeInput {
  scenario: ResolvedScenario;
  record: RunRecord;
  end: readonly ClientSnapshot[];
  /** The target's behaviour profile (`aws-iot`, `mosquitto`, `generic`). */
  behaviour: AssertionContext['behaviour'];
  /** Status so far: `passed` unless the steps were cut short. */
  status: ScenarioStatus;
  /** Why the assertions are not evaluated (the scenario did not run to its end). */
  notEvaluated?: string;
  extra?: Pick<AssertionContext, 'policyRefusals' | 'brokerStats' | 'targetKind'>;
}

export interface Judged {
  oracle: OracleReport;
  assertions: AssertionResult[];
  status: ScenarioStatus;
}

export function judgeScenario(input: JudgeInput): Judged {
  const { scenario, record, end, status, notEvaluated } = input;
  const behaviour: BrokerBehaviour = brokerBehaviour(input.behaviour);
  const settledOnly = status === 'interrupted';
  // An interrupted run is judged only over messages whose fate is settled (no "lost").
  const oracle = evaluateDeliveries(record, end, {
    groupQueue: behaviour.groupQueue,
    settledOnly,
    settles: settleWindows(scenario, record),
  });
  const actx: AssertionContext = {
    scenario,
    record,
    oracle,
    end,
    behaviour: input.behaviour,
    clientIndex: new Map(scenario.clients.map((c, i) => [c.name, i])),
    ...input.extra,
    settledOnly,
  };
  // A scenario that did not run to its end (Ctrl+C, a failed step, the deadline) has no verdict:
  // its assertions are reported as not evaluated, with the reason, so the cause is not buried under
  // failures computed from a partial record, and an interruption never reads as a broker failure.
  // After Ctrl+C the checks that stay meaningful over part of a run (loss, duplicates, order) are
  // read over the messages whose fate was settled, and say so; what they find never fails the run.
  const notEvaluatedResult = (a: (typeof scenario.expect)[number], reason: string) => ({
    ...notEvaluatedAssertion(a, scenario.file),
    skipReason: reason,
  });
  const assertions =
    notEvaluated === undefined
      ? scenario.expect.map((a) => evaluateAssertion(a, actx))
      : status === 'interrupted'
        ? scenario.expect.map((a) => {
            if (!OVER_SETTLED.has(a.kind)) return notEvaluatedResult(a, notEvaluated);
            const r = evaluateAssertion(a, actx);
            if (r.status === 'passed')
              return { ...r, actual: `over the messages settled before Ctrl+C: ${r.actual}` };
            if (r.status === 'skipped') return r;
            return notEvaluatedResult(
              a,
              `${notEvaluated}; over the messages settled so far it reads: ${r.actual}`,
            );
          })
        : scenario.expect.map((a) => notEvaluatedResult(a, notEvaluated));
  const judged: ScenarioStatus =
    status === 'passed' && assertions.some((a) => a.status === 'failed') ? 'failed' : status;
  return { oracle, assertions, status: judged };
}

/** When each `settle` step of the scenario ran (those that ran to their end). */
function settleWindows(
  scenario: ResolvedScenario,
  record: RunRecord,
): Array<{ ref: number; startAt: number; endAt: number }> {
  const out: Array<{ ref: number; startAt: number; endAt: number }> = [];
  const visit = (steps: readonly ResolvedStep[]): void => {
    for (const step of steps) {
      const mark = step.kind === 'settle' ? record.steps.get(step.ref) : undefined;
      if (mark !== undefined && mark.endAt > 0)
        out.push({ ref: step.ref, startAt: mark.startAt, endAt: mark.endAt });
      visit(nestedSteps(step));
    }
  };
  visit(scenario.steps);
  return out;
}
