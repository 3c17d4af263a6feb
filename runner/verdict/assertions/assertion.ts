/**
 * The assertion seam: one pure function per assertion kind, from the run record and the oracle's
 * verdicts to data (style rule 7). An assertion never throws to signal failure; the registry
 * (index.ts) turns its verdict into an AssertionResult, handles `on:` (skipped) and turns a bug
 * into a failed result that says so.
 */

import type { PolicyRefusalResult } from '../../results.js';
import type { AssertionKind, ResolvedAssertion, ResolvedScenario } from '../../scenario/types.js';
import type { Behaviour } from '../../targets/target.js';
import type { OracleReport } from '../oracle.js';
import type { RunRecord } from '../record.js';
import type { ClientSnapshot } from '../session-model.js';

/** Everything an assertion may read. Nothing in it changes while assertions run. */
export interface AssertionContext {
  readonly scenario: ResolvedScenario;
  readonly record: RunRecord;
  readonly oracle: OracleReport;
  /** Each client's state when the steps ended (before the teardown closed them). */
  readonly end: readonly ClientSnapshot[];
  readonly behaviour: Behaviour;
  /**
   * The run was cut short (interrupted): the oracle judged only settled messages, and an
   * assertion left with nothing to check is not evaluated rather than failed.
   */
  readonly settledOnly?: boolean;
  /** Instance name → index in scenario.clients / record.clients. */
  readonly clientIndex: ReadonlyMap<string, number>;
  /** The target's policy refusals during the scenario; undefined when the target keeps no log (authorized/denied). */
  readonly policyRefusals?: readonly PolicyRefusalResult[];
  /** The broker's counters for this scenario (runner/targets/stats-delta.ts); undefined when the target keeps none. */
  readonly brokerStats?: Readonly<Record<string, unknown>>;
  /** The target's kind (`embedded`, `mosquitto`, ...), for a reason when a check cannot be made there. */
  readonly targetKind?: string;
}

/** What an assertion function returns; the registry adds kind, label, source and status. */
export interface AssertionVerdict {
  ok: boolean;
  /**
   * Set when the assertion had nothing to check (no audience, no message, no client): the
   * result fails and its text starts with "nothing to check:" and this reason, whatever the
   * kind, so a vacuous assertion never passes silently (docs/verdict-model.md).
   */
  nothingToCheck?: string;
  /**
   * Set when this target cannot answer the assertion at all (e.g. no broker counters): the result
   * is skipped with this reason, never passed.
   */
  notEvaluated?: string;
  /** Reads after "expected": "at most 0 duplicate deliveries". */
  expected: string;
  /** Reads after "got": "3 duplicates: subscriber[1] got publisher#4 twice". */
  actual: string;
  /** Evidence, one line each (the registry bounds the list). */
  details?: string[];
  rules?: string[];
}

export type AssertionOf<K extends AssertionKind> = Extract<ResolvedAssertion, { kind: K }>;

export type AssertionCheck<K extends AssertionKind> = (
  assertion: AssertionOf<K>,
  ctx: AssertionContext,
) => AssertionVerdict;
