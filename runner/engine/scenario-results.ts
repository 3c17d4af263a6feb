/**
 * The one place that builds results the engine did not get from running steps: scenarios that
 * never ran (target down, Ctrl+C before their turn), steps that never ran, the summary of a run,
 * and the error data of a scenario. runScenario and runSuite both use these; reporters only read
 * what comes out (style rule 19).
 */
import { EXIT_CODES, MqscenError } from '../errors.js';
import type {
  Counters,
  RunEndReason,
  RunSummary,
  ScenarioErrorInfo,
  ScenarioResult,
  StepResult,
} from '../results.js';
import type { ResolvedScenario } from '../scenario/types.js';

/** What reports show of a target (no secrets). A definition that never started has only name and kind. */
export interface TargetSummary {
  name: string;
  kind: string;
  behaviour?: string;
  transport?: string;
  url?: string;
  insecure?: readonly string[];
}

export const ZERO_COUNTERS: Readonly<Counters> = Object.freeze({
  published: 0,
  acked: 0,
  received: 0,
  duplicates: 0,
  pending: 0,
});

export function targetInfo(target: TargetSummary): ScenarioResult['target'] {
  return {
    name: target.name,
    kind: target.kind,
    behaviour: target.behaviour ?? 'unknown',
    transport: target.transport ?? 'unknown',
    url: target.url ?? '',
    ...(target.insecure !== undefined && target.insecure.length > 0
      ? { insecure: [...target.insecure] }
      : {}),
  };
}

/**
 * The error data of a scenario. An MqscenError keeps its stable code and exit code; anything else
 * is a bug in mqscen: E_INTERNAL with its stack, so the CLI can print it for a bug report.
 */
export function errorInfo(error: unknown, step?: { ref: number; label: string }): ScenarioErrorInfo {
  const info: ScenarioErrorInfo =
    error instanceof MqscenError
      ? { code: error.code, message: error.message, exitCode: error.exitCode }
      : {
          code: 'E_INTERNAL',
          message: error instanceof Error ? (error.stack ?? error.message) : String(error),
          exitCode: EXIT_CODES.internal,
        };
  if (step !== undefined) info.step = { ref: step.ref, label: step.label };
  return info;
}

/** A scenario that never started: the target could not start, or the run was interrupted first. */
export function notRunResult(
  scenario: ResolvedScenario,
  target: TargetSummary,
  status: 'errored' | 'interrupted',
  error: ScenarioErrorInfo,
): ScenarioResult {
  return {
    file: scenario.file,
    name: scenario.name,
    target: targetInfo(target),
    protocols: protocolsOf(scenario),
    startedAt: new Date().toISOString(),
    durationMs: 0,
    status,
    steps: scenario.steps.map((s) => skippedStep(s)),
    assertions: [],
    error,
    counters: { ...ZERO_COUNTERS },
  };
}

/** A step that did not run because the scenario ended before it. */
export function skippedStep(step: { ref: number; kind: string; label: string }): StepResult {
  return {
    ref: step.ref,
    kind: step.kind,
    label: step.label,
    status: 'skipped',
    startedAtMs: 0,
    durationMs: 0,
    notes: [],
    counters: { ...ZERO_COUNTERS },
  };
}

export function protocolsOf(scenario: ResolvedScenario): string[] {
  return [...new Set(scenario.clients.map((c) => c.protocol))].sort();
}

export function summarize(startedAt: Date, scenarios: ScenarioResult[], reason: RunEndReason): RunSummary {
  return {
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    scenarios,
    passed: scenarios.filter((s) => s.status === 'passed').length,
    failed: scenarios.filter((s) => s.status === 'failed').length,
    errored: scenarios.filter((s) => s.status === 'errored' || s.status === 'interrupted').length,
    reason,
  };
}
