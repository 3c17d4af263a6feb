/**
 * Remembers what the event stream said about each scenario, so the file reporters can still report
 * a scenario that started but never ended (Ctrl+C between onScenarioStart and onScenarioEnd) and
 * whose result the summary therefore may not contain. Internal to runner/reporters.
 */
import type { RunEndReason, RunSummary, ScenarioResult, StepResult } from '../results.js';
import type { RunStartInfo, ScenarioStartInfo } from './reporter.js';

interface Tracked {
  info: ScenarioStartInfo;
  startedAt: number;
  steps: StepResult[];
  /** The running top-level step and when it started (Date.now ms). */
  current?: { ref: number; kind: string; label: string; startedAt: number };
  result?: ScenarioResult;
}

export interface ScenarioTracker {
  onRunStart(info: RunStartInfo): void;
  onScenarioStart(info: ScenarioStartInfo): void;
  onStepStart(scenario: ScenarioStartInfo, step: { ref: number; kind: string; label: string }): void;
  onStepEnd(scenario: ScenarioStartInfo, step: StepResult): void;
  onScenarioEnd(result: ScenarioResult): void;
  /**
   * The summary's scenarios, in start order, plus an `interrupted` result for every scenario that
   * started and is missing from it. Counts are left as the engine computed them.
   */
  completeSummary(summary: RunSummary, reason: RunEndReason): RunSummary;
}

export function createScenarioTracker(now: () => number = Date.now): ScenarioTracker {
  let target: RunStartInfo['target'] | undefined;
  const tracked: Tracked[] = [];
  const find = (info: ScenarioStartInfo): Tracked | undefined =>
    tracked.findLast((t) => t.info === info || (t.info.file === info.file && t.info.name === info.name));

  return {
    onRunStart(info) {
      target = info.target;
    },
    onScenarioStart(info) {
      tracked.push({ info, startedAt: now(), steps: [] });
    },
    onStepStart(scenario, step) {
      const t = find(scenario);
      if (t !== undefined) t.current = { ...step, startedAt: now() };
    },
    onStepEnd(scenario, step) {
      const t = find(scenario);
      if (t === undefined) return;
      t.steps.push(step);
      if (t.current?.ref === step.ref) t.current = undefined;
    },
    onScenarioEnd(result) {
      const t = tracked.findLast((x) => x.result === undefined && x.info.file === result.file);
      if (t !== undefined) t.result = result;
    },
    completeSummary(summary, reason) {
      const remaining = [...summary.scenarios];
      const take = (file: string, name: string): ScenarioResult | undefined => {
        const i = remaining.findIndex((r) => r.file === file && r.name === name);
        return i < 0 ? undefined : remaining.splice(i, 1)[0];
      };
      const ordered: ScenarioResult[] = [];
      let added = false;
      for (const t of tracked) {
        const fromSummary =
          take(t.info.file, t.info.name) ?? (t.result ? take(t.result.file, t.result.name) : undefined);
        if (fromSummary !== undefined) ordered.push(fromSummary);
        else {
          ordered.push(t.result ?? interruptedResult(t, target, reason, now()));
          added = true;
        }
      }
      ordered.push(...remaining);
      return added || ordered.length !== summary.scenarios.length
        ? { ...summary, scenarios: ordered }
        : summary;
    },
  };
}

// --- internal ---

const ZERO = { published: 0, acked: 0, received: 0, duplicates: 0, pending: 0 } as const;

function interruptedResult(
  t: Tracked,
  target: RunStartInfo['target'] | undefined,
  reason: RunEndReason,
  at: number,
): ScenarioResult {
  const steps = [...t.steps];
  if (t.current !== undefined) {
    steps.push({
      ref: t.current.ref,
      kind: t.current.kind,
      label: t.current.label,
      status: 'interrupted',
      startedAtMs: Math.max(0, t.current.startedAt - t.startedAt),
      durationMs: Math.max(0, at - t.current.startedAt),
      notes: [],
      counters: { ...ZERO },
    });
  }
  return {
    file: t.info.file,
    name: t.info.name,
    target: target ?? {
      name: 'unknown',
      kind: 'unknown',
      behaviour: 'generic',
      transport: 'unknown',
      url: '',
    },
    protocols: [],
    startedAt: new Date(t.startedAt).toISOString(),
    durationMs: Math.max(0, at - t.startedAt),
    status: 'interrupted',
    steps,
    assertions: [],
    error: {
      code: 'E_INTERRUPTED',
      message:
        reason === 'interrupted'
          ? 'the run was interrupted before this scenario ended'
          : 'the scenario never reported its end',
    },
    counters: { ...ZERO },
  };
}
