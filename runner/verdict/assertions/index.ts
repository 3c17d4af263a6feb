/**
 * The assertion registry: kind → pure check. `evaluateAssertion` adds what every result carries
 * (kind, label, source), skips assertions limited to other broker behaviours (`on:`), and turns
 * an unexpected exception into a failed result naming the bug instead of losing the report.
 */
import type { AssertionResult } from '../../results.js';
import type { AssertionKind, ResolvedAssertion } from '../../scenario/types.js';
import { boundDetails } from './_format.js';
import type { AssertionCheck, AssertionContext, AssertionOf } from './assertion.js';
import { checkAuthorized } from './authorized.js';
import { checkBrokerStats } from './broker-stats.js';
import { checkDelivered } from './delivered.js';
import { checkDenied } from './denied.js';
import { checkDisconnected } from './disconnected.js';
import { checkDuplicates } from './duplicates.js';
import { checkLatency } from './latency.js';
import { checkNoLoss } from './no-loss.js';
import { checkNotDelivered } from './not-delivered.js';
import { checkOrdered } from './ordered.js';
import { checkReasonCode } from './reason-code.js';
import { checkReceived } from './received.js';
import { checkRetained } from './retained.js';
import { checkSessionPresent } from './session-present.js';
import { checkSharedGroup } from './shared-group.js';
import { checkWill } from './will.js';

type Registry = { [K in AssertionKind]: AssertionCheck<K> };

export const ASSERTIONS: Readonly<Registry> = {
  'no-loss': checkNoLoss,
  duplicates: checkDuplicates,
  ordered: checkOrdered,
  'shared-group': checkSharedGroup,
  received: checkReceived,
  'session-present': checkSessionPresent,
  retained: checkRetained,
  will: checkWill,
  'reason-code': checkReasonCode,
  latency: checkLatency,
  authorized: checkAuthorized,
  denied: checkDenied,
  'not-delivered': checkNotDelivered,
  disconnected: checkDisconnected,
  delivered: checkDelivered,
  'broker-stats': checkBrokerStats,
};

function sourceText(file: string, a: ResolvedAssertion): string {
  return a.source.line === undefined ? file : `${file}:${a.source.line}:${a.source.column ?? 1}`;
}

export function evaluateAssertion(a: ResolvedAssertion, ctx: AssertionContext): AssertionResult {
  const base = { kind: a.kind, label: a.label, source: sourceText(ctx.scenario.file, a) };
  if (a.onlyOn !== undefined && !a.onlyOn.includes(ctx.behaviour)) {
    return {
      ...base,
      status: 'skipped',
      expected: '',
      actual: '',
      details: [],
      skipReason: `only on ${a.onlyOn.join(', ')}; this target behaves like ${ctx.behaviour}`,
    };
  }
  try {
    const check = ASSERTIONS[a.kind] as AssertionCheck<typeof a.kind>;
    const v = check(a as AssertionOf<typeof a.kind>, ctx);
    if (v.notEvaluated !== undefined) {
      return {
        ...base,
        status: 'skipped',
        expected: v.expected,
        actual: '',
        details: [],
        skipReason: `not evaluated: ${v.notEvaluated}`,
      };
    }
    const nothing = v.nothingToCheck;
    if (nothing !== undefined && ctx.settledOnly === true) {
      return {
        ...base,
        status: 'skipped',
        expected: v.expected,
        actual: '',
        details: [],
        skipReason: `not evaluated: the run was cut short with nothing settled to check (${nothing})`,
      };
    }
    const result: AssertionResult = {
      ...base,
      status: v.ok && nothing === undefined ? 'passed' : 'failed',
      expected: v.expected,
      actual: nothing === undefined ? v.actual : `nothing to check: ${nothing}`,
      details: boundDetails(v.details ?? []),
    };
    if (v.rules !== undefined && v.rules.length > 0) result.rules = v.rules;
    return result;
  } catch (error) {
    return {
      ...base,
      status: 'failed',
      expected: 'the assertion to be evaluated',
      actual: `internal error while evaluating ${a.kind}: ${(error as Error)?.message ?? String(error)}`,
      details: String((error as Error)?.stack ?? '')
        .split('\n')
        .slice(0, 10),
    };
  }
}

/**
 * The result of an assertion of a scenario that did not run to its end: no verdict. The cause is
 * the scenario's error, shown once with the scenario rather than under every assertion.
 */
export function notEvaluatedAssertion(a: ResolvedAssertion, file: string): AssertionResult {
  return {
    kind: a.kind,
    label: a.label,
    source: sourceText(file, a),
    status: 'skipped',
    expected: '',
    actual: '',
    details: [],
    skipReason: 'not evaluated: the scenario did not run to its end',
  };
}

export type { AssertionCheck, AssertionContext, AssertionVerdict } from './assertion.js';
