/**
 * What a run produces. The engine builds these; reporters only read them; the CLI maps the
 * RunSummary to an exit code. Plain data (JSON-serialisable) so the JSON reporter writes them as is.
 */

/** Outcome of one assertion: data, never an exception (style rule 7). */
export interface AssertionResult {
  /** `no-loss`, `shared-group`, ... */
  kind: string;
  /** Testcase name: `no-loss`, `received subscriber[2] after reconnect`. */
  label: string;
  status: 'passed' | 'failed' | 'skipped';
  /** "every QoS≥1 message acknowledged by the broker reaches its audience" */
  expected: string;
  /** "3 lost: publisher#14..#16 (expected by group message-queuing-group)" */
  actual: string;
  /** Offending message ids and other evidence, one line each (bounded; first 50 then "… N more"). */
  details: string[];
  /** Why it was skipped (status `skipped`). */
  skipReason?: string;
  /** MQTT spec statement or AWS rule ids the check rests on, e.g. ["MQTT-4.3.3-1", "MQ-3"]. */
  rules?: string[];
  /** Where it was written, `scenarios/queuing.yaml:40:5`. */
  source?: string;
}

/** Live and final counters for a step or scenario. */
export interface Counters {
  published: number;
  acked: number;
  received: number;
  duplicates: number;
  /** Messages still expected but not yet received. */
  pending: number;
  /** While a connect or reconnect step runs: its clients so far (live progress only). */
  connects?: ConnectCounters;
}

/** Clients of a running connect or reconnect: connected, refused (or failed), not yet answered. */
export interface ConnectCounters {
  total: number;
  connected: number;
  refused: number;
  pending: number;
}

export interface StepResult {
  ref: number;
  kind: string;
  label: string;
  /**
   * `warning`: the step ended but not as hoped, without failing the scenario (a settle that timed
   * out with messages still pending: the count is in `notes`; assertions decide whether it matters).
   */
  status: 'passed' | 'warning' | 'failed' | 'skipped' | 'interrupted';
  /** ms since scenario start. */
  startedAtMs: number;
  durationMs: number;
  /** What went wrong (connect refused, settle timed out with N pending, ...). */
  error?: string;
  /** Short facts worth showing: "sessionPresent=true", "settled: 60/60 in 41 ms". */
  notes: string[];
  counters: Counters;
}

/** Where a scenario ran: target name and kind, behaviour profile, default transport, public URL. */
export interface ScenarioTarget {
  name: string;
  kind: string;
  behaviour: string;
  transport: string;
  url: string;
  /** Verification turned off or secrets sent in clear, one sentence each (absent when none). */
  insecure?: string[];
}

export type ScenarioStatus = 'passed' | 'failed' | 'errored' | 'interrupted';

export interface ScenarioResult {
  file: string;
  name: string;
  /** Target name and kind, behaviour profile, default transport: no secrets. */
  target: ScenarioTarget;
  /** Protocol versions used by the clients, e.g. ["5"] or ["3.1.1", "5"]. */
  protocols: string[];
  /** ISO time. */
  startedAt: string;
  durationMs: number;
  status: ScenarioStatus;
  steps: StepResult[];
  assertions: AssertionResult[];
  /** Set when the scenario could not run to the end (status errored/interrupted, or a deadline). */
  error?: ScenarioErrorInfo;
  counters: Counters;
  /** Everything else the oracle knows (per client, per publisher, per group), for the JSON report. */
  oracle?: Record<string, unknown>;
  /** Rates over time, per declared client (the HTML report's timeline). */
  timeline?: ScenarioTimeline;
  /** Latency percentiles and histogram of the scenario's deliveries. */
  latency?: LatencySummary;
  /**
   * Connections that ended without the scenario closing them (the broker sent DISCONNECT, closed
   * the socket, or went away), with the broker's reason code when it sent one, and whether the
   * scenario declared it (a `reason-code` on `disconnect`, or a staged fault).
   */
  connectionLosses?: Array<{
    client: string;
    /** Top-level step it happened in (0 = between steps). */
    step: number;
    reasonCode?: number;
    message: string;
    declared: boolean;
  }>;
  /** Broker-side counters when the target is the embedded broker. */
  brokerStats?: Record<string, unknown>;
  /** What the target's AWS IoT policy refused during the scenario (embedded broker, POL-10). */
  policyRefusals?: PolicyRefusalResult[];
}

/** One distinct refusal by policy: which client, which action on which resource, and why. */
export interface PolicyRefusalResult {
  client: string;
  /** The packet that asked: connect, publish, subscribe, or receive (a delivery the broker skipped). */
  packet: 'connect' | 'publish' | 'subscribe' | 'receive';
  action: string;
  /** Resource after the account, e.g. `topic/$share/group/test/shared/messages`. */
  resource: string;
  /** "no statement of policy.json allows it (implicit deny)" / "denied by statement 2 of policy.json (line 4)". */
  reason: string;
  /** How many times it happened. */
  count: number;
}

/** Why a scenario did not run to its end. */
export interface ScenarioErrorInfo {
  /** Stable code: `E_NO_ANSWER`, `E_CONNECTION_LOST`, `E_REFUSED`, `E_TRANSPORT`, `E_TIMEOUT`, `E_INTERRUPTED`, ... */
  code: string;
  message: string;
  /**
   * The exit code this error stands for (README "Exit codes"): 3 the broker went away or never
   * answered, 1 it answered wrongly, 4 a bug in mqscen. Absent for interruptions.
   */
  exitCode?: number;
  /** The top-level step that failed, when one did. */
  step?: { ref: number; label: string };
}

/**
 * Message rates over time for the HTML report, per declared client (`subscriber`, not
 * `subscriber[7]`): 10,000 instances are one series. Bucket i covers
 * [i * bucketMs, (i + 1) * bucketMs) ms since the scenario started.
 */
export interface ScenarioTimeline {
  bucketMs: number;
  buckets: number;
  series: TimelineSeries[];
  /** Connects and disconnects, for runs with few clients (at most TIMELINE_EVENTS_MAX). */
  events: TimelineEvent[];
  /** How many connect/disconnect events there were in all (more than `events` when capped). */
  eventCount: number;
  /** Fault windows (proxy toxics, packet faults), when the scenario injected any. */
  faults?: Array<{ atMs: number; untilMs?: number; label: string; client?: string }>;
}

export interface TimelineSeries {
  /** Declared client name. */
  client: string;
  instances: number;
  /** PUBLISH sent per bucket. */
  published: number[];
  /** PUBACK/PUBCOMP with a success code received per bucket. */
  acked: number[];
  /** Deliveries received per bucket (duplicates included). */
  received: number[];
  /** The fewest instances connected at any time during each bucket. */
  online: number[];
}

export interface TimelineEvent {
  atMs: number;
  client: string;
  kind: 'connect' | 'disconnect' | 'connect-failed';
  /** graceful / abrupt / lost / teardown, or the error of a failed connect. */
  detail?: string;
}

/** End-to-end latency of every first delivery in the scenario, from the merged HDR histograms. */
export interface LatencySummary {
  count: number;
  minMs: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p95Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  /** Log-spaced bins: deliveries with latency in (previous upToMs, upToMs]. */
  bins: Array<{ upToMs: number; count: number }>;
  /**
   * A client-sharded run (`mqscen merge`): first deliveries whose publisher and receiver ran on
   * different shards (their latency compares two clocks, corrected by the offset measured through
   * the coordinator), and how far that correction may be off (half its round trip), ms.
   */
  crossShard?: { pairs: number; clockUncertaintyMs: number };
}

export type RunEndReason = 'passed' | 'failed' | 'interrupted';

export interface RunSummary {
  startedAt: string;
  durationMs: number;
  scenarios: ScenarioResult[];
  passed: number;
  failed: number;
  errored: number;
  reason: RunEndReason;
}
