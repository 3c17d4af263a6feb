/**
 * The reporter seam. Reporters observe a typed event stream and never change the outcome:
 * pass/fail and the exit code come from the RunSummary the engine builds (style rule 8).
 * Every hook is optional and may be async; the fan-out awaits each in turn and a throwing
 * reporter is logged, not fatal.
 */
import type {
  Counters,
  RunEndReason,
  RunSummary,
  ScenarioResult,
  ScenarioTarget,
  StepResult,
} from '../results.js';

export interface RunStartInfo {
  files: string[];
  target: ScenarioTarget;
}

export interface ScenarioStartInfo {
  file: string;
  name: string;
  /** Top-level steps, in order: ref and label (parallel children are nested in labels). */
  steps: Array<{
    ref: number;
    kind: string;
    label: string;
    /** Messages the step publishes in all, when known in advance (publish bursts): for progress. */
    publishes?: number;
  }>;
}

export interface Reporter {
  /** Once, before the first scenario (after the target started). */
  onRunStart?(info: RunStartInfo): void | Promise<void>;
  /** Before a scenario's first step (after validation). */
  onScenarioStart?(info: ScenarioStartInfo): void | Promise<void>;
  /** When a top-level step starts. */
  onStepStart?(
    scenario: ScenarioStartInfo,
    step: { ref: number; kind: string; label: string },
  ): void | Promise<void>;
  /** Live counters of the running step, at most every 100 ms. Must be cheap. */
  onStepProgress?(scenario: ScenarioStartInfo, step: { ref: number }, counters: Counters): void;
  /** When a top-level step ends. */
  onStepEnd?(scenario: ScenarioStartInfo, result: StepResult): void | Promise<void>;
  /** After a scenario's assertions are evaluated (also for errored/interrupted scenarios). */
  onScenarioEnd?(result: ScenarioResult): void | Promise<void>;
  /** Once, last: write files here. Called on Ctrl+C too, with reason `interrupted`. */
  onRunEnd?(summary: RunSummary, reason: RunEndReason): void | Promise<void>;
}
