/**
 * The target seam: where a run goes and how it starts (embedded broker, a Mosquitto the runner
 * starts, a URL, AWS IoT Core). A target resolves, per client, everything a transport needs.
 */

import type { PolicyRefusalResult } from '../results.js';
import type { ResolvedClient } from '../scenario/types.js';
import type { ConnectOptions } from '../transports/transport.js';

/**
 * Broker semantics the target is known to have; assertions can be limited to one with `on:`.
 * `generic` = unknown broker: only invariants hold.
 */
export type Behaviour = 'aws-iot' | 'mosquitto' | 'generic';

/** The connection part a target decides for a client (the engine adds id, session, will, ...). */
export type TargetConnection = Pick<ConnectOptions, 'url' | 'tls' | 'username' | 'password' | 'extra'> & {
  /** Transport registry name to use, e.g. `mqttjs`, `aws-iot-sdk`. */
  transport: string;
};

/** What the engine adapts to in a target, so it never checks a target by its kind. */
export interface TargetCapabilities {
  /**
   * The broker outlives the run (a URL, AWS IoT Core): sessions the run leaves behind are discarded
   * at its end, or the next run would resume them with stale messages.
   */
  readonly outlivesRun: boolean;
  /**
   * Least time between two CONNECTs with the same client id, ms; 0 = none. AWS IoT Core accepts
   * one per second per client id (C-4).
   */
  readonly connectPacingMs: number;
}

export interface StartedTarget {
  readonly name: string;
  readonly kind: 'embedded' | 'mosquitto' | 'url' | 'aws-iot';
  readonly behaviour: Behaviour;
  /** Default transport registry name. */
  readonly transport: string;
  /** Public URL for reports (never contains secrets). */
  readonly url: string;
  /**
   * Settings that turn verification off or send secrets in clear (insecurity.ts), one sentence
   * each; printed at run start and written into the reports. Absent or empty when there are none.
   */
  readonly insecure?: readonly string[];
  /** What the engine adapts to; absent = none of them (a broker the run owns, no pacing). */
  readonly capabilities?: TargetCapabilities;
  /** Connection settings for one client (a client's own `transport:` override is applied by the engine). */
  connectionFor(client: ResolvedClient): TargetConnection;
  /**
   * True when the target itself broke this client's connection on purpose (a fault proxy staging
   * a reset or a partition): such a loss is part of the scenario, not a failure of the broker.
   */
  causedLoss?(client: string): boolean;
  /**
   * Brings `stats()` and `policyRefusals(sinceMs)` up to date, for a target whose broker runs in
   * another process; the engine awaits it before it reads them.
   */
  refresh?(sinceMs: number): Promise<void>;
  /** Broker-side counters, when the target can read them (embedded broker). */
  stats?(): Record<string, unknown>;
  /**
   * Called before each scenario with its `policy:` file (or undefined): a target that enforces AWS
   * IoT policies (embedded, profile aws-iot) applies it unless the target attaches its own.
   */
  usePolicy?(file: string | undefined): Promise<void>;
  /** What the enforced policy refused since `sinceMs` (Date.now() time), one entry per distinct refusal. */
  policyRefusals?(sinceMs: number): PolicyRefusalResult[];
  /** Stops whatever the target started (embedded broker, mosquitto process). Idempotent. */
  close(): Promise<void>;
}

/** What the run will ask of the target, known before it starts (the embedded broker's process). */
export interface TargetNeeds {
  /** Clients of the run's largest scenario. */
  clients: number;
}

export interface TargetDefinition {
  readonly name: string;
  readonly kind: StartedTarget['kind'];
  /** Starts (or just resolves) the target. Rejects with EnvironmentError/TransportError (exit 3). */
  start(needs?: TargetNeeds): Promise<StartedTarget>;
}
