/**
 * ResolvedScenario: what the scenario pipeline (load → validate → resolve) hands to the
 * engine. Everything is explicit here: defaults applied, `count` expanded into instances,
 * `${var}` / `${env:NAME}` interpolated, durations in milliseconds, comparisons parsed, client
 * references resolved to instance names. The engine never re-reads the YAML.
 *
 * The YAML shape itself is defined by schemas/scenario.schema.json (single source of truth);
 * runner/scenario/schema-types.ts is generated from it (npm run gen:types) and checked in CI.
 */

import type {
  ProtocolVersion,
  PublishProperties,
  QoS,
  SubscriptionRequest,
} from '../transports/transport.js';
import type { ToxicSpec } from './toxics.js';

/** A parsed comparison such as ">= 3" or "< 250ms" (durations already in ms). */
export interface Comparison {
  op: '<' | '<=' | '>' | '>=' | '==' | '!=';
  value: number;
  /** The text as written, for messages ("expected >= 3"). */
  text: string;
}

/** What a publish (or will) carries besides mqscen's identity header. */
/** How a connect or reconnect of many clients is spread out: `rate` and `concurrency`. */
export interface ConnectPace {
  /** Connection attempts started per second. */
  ratePerSecond?: number;
  /** Clients between CONNECT and their last SUBACK at once. */
  concurrency?: number;
}

export type PayloadSpec =
  | { kind: 'text'; text: string }
  | { kind: 'json'; value: unknown }
  /** Exactly `bytes` bytes on the wire, identity header included (padding with '.' after it). */
  | { kind: 'size'; bytes: number };

/** Where in the YAML a thing was written, for messages. */
export interface SourceRef {
  /** Dotted path, e.g. `steps[3].disconnect`. */
  path: string;
  line?: number;
  column?: number;
}

/**
 * `header`: the payload starts with mqscen's identity header (a `size` counts it). `none`: the
 * payload bytes exactly as written, nothing added (an empty payload, e.g. a retained delete
 * [MQTT-3.3.1-6], is always `none`); the record cannot attribute such a message to its publish.
 */
export type PayloadIdentity = 'header' | 'none';

export interface ResolvedWill {
  topic: string;
  payload: PayloadSpec;
  identity: PayloadIdentity;
  qos: QoS;
  retain: boolean;
  properties?: PublishProperties & { willDelayInterval?: number };
}

/** One client instance (a declared client with `count: 3` yields three). */
export interface ResolvedClient {
  /** Instance name used everywhere in results: `subscriber[2]`, or `publisher` when no count. */
  name: string;
  /** The declared client name: `subscriber`. */
  declaredAs: string;
  /** 1-based instance number (1 when no count). */
  index: number;
  /** MQTT client id after template expansion (`message-queuing-test-subscriber-02`). */
  clientId: string;
  protocol: ProtocolVersion;
  /** MQTT 3.1.1 cleanSession / MQTT 5 Clean Start on the first connect. */
  clean: boolean;
  /** Session Expiry Interval in seconds (MQTT 5); for 3.1.1 informational only. undefined = 0. */
  sessionExpiry?: number;
  /** Keep alive, seconds. */
  keepalive: number;
  will?: ResolvedWill;
  username?: string;
  password?: string;
  /** Per-client transport override (registry name), else the target's default. */
  transport?: string;
  /** Subscriptions made after each connect (see `resubscribe`). */
  subscriptions: SubscriptionRequest[];
  /** `if-no-session` (default): subscribe only when the CONNACK says no session; `always`: every connect. */
  resubscribe: 'if-no-session' | 'always';
  /** `takeover: true`: the instance whose client id (and session) this one takes over. */
  takesOver?: string;
  /** `ack:` of QoS 1/2 deliveries; absent = at once. */
  acks?: 'never' | { delayMs: number };
  source: SourceRef;
}

/**
 * When a step starts (`after:`): once the watched publish step's messages were sent, acknowledged
 * or received by some clients `count` times, or `delayMs` after the watched step started.
 */
export type StepTrigger =
  | { step: number; stepName: string; on: 'published' | 'acked'; count: number }
  | { step: number; stepName: string; on: 'received'; count: number; clients: string[] }
  | { step: number; stepName: string; on: 'delay'; delayMs: number };

interface StepBase {
  /** Pre-order number of this step among all steps, parallel children included (1-based). */
  ref: number;
  /** Optional `id:` given in the YAML, usable in assertion windows. */
  id?: string;
  /** Short human label: `publish 20 × QoS1 publisher → test/shared/messages`. */
  label: string;
  source: SourceRef;
  /** Start only when this holds (`after:`); undefined = at once. */
  after?: StepTrigger;
}

export type ResolvedStep = StepBase &
  (
    | { kind: 'connect'; clients: string[]; pace?: ConnectPace }
    | { kind: 'subscribe'; clients: string[]; subscriptions: SubscriptionRequest[] }
    | { kind: 'unsubscribe'; clients: string[]; filters: string[] }
    | {
        kind: 'publish';
        /** Each of these instances publishes `count` messages. */
        from: string[];
        topic: string;
        count: number;
        qos: QoS;
        retain: boolean;
        /** Messages per second per publisher; undefined = as fast as flow control allows. */
        ratePerSecond?: number;
        payload: PayloadSpec;
        identity: PayloadIdentity;
        properties?: PublishProperties;
      }
    | {
        kind: 'disconnect';
        clients: string[];
        how: 'graceful' | 'abrupt';
        /** MQTT 5 DISCONNECT reason code (graceful only). */
        reasonCode?: number;
        /** MQTT 5 Session Expiry Interval sent with DISCONNECT, seconds. */
        sessionExpiry?: number;
      }
    | {
        kind: 'reconnect';
        clients: string[];
        /** Override the client's clean flag for this connect; default false (resume). */
        clean?: boolean;
        /** Connect with this protocol version from now on (the client's own until then). */
        protocol?: ProtocolVersion;
        pace?: ConnectPace;
      }
    | { kind: 'wait'; durationMs: number }
    | {
        kind: 'settle';
        /** Returns as soon as every currently deliverable expected message arrived, or at this bound. */
        timeoutMs: number;
        /** After all expected deliveries arrived, keep listening this long for duplicates (default 0). */
        quietMs: number;
      }
    | { kind: 'parallel'; steps: ResolvedStep[] }
    | { kind: 'sequence'; steps: ResolvedStep[] }
    | {
        kind: 'repeat';
        times: number;
        /** Every iteration's steps in order (`{i}` already replaced), run as one sequence. */
        steps: ResolvedStep[];
      }
    | {
        kind: 'fault';
        /** The proxied instances it applies to (open connections and later reconnects). */
        clients: string[];
        spec: ToxicSpec;
        stream: 'upstream' | 'downstream' | 'both';
        /** Heals by itself after this long; undefined = until a heal step or the scenario's end. */
        durationMs?: number;
      }
    | { kind: 'partition'; clients: string[]; durationMs?: number }
    | {
        kind: 'heal';
        /** Refs of the fault and partition steps to heal; `all`: every fault still active. */
        faults: number[] | 'all';
      }
  );

export type StepKind = ResolvedStep['kind'];

/**
 * A window over the run in step references: from step `after` on, before step `before` started.
 * When `after` is a connect, reconnect or subscribe step, what arrives during that step counts
 * (a resumed session's queue and retained messages arrive right after CONNACK/SUBACK); for other
 * steps the window opens when the step ended.
 */
export interface StepWindow {
  after?: number;
  before?: number;
}

interface AssertionBase {
  /** 1-based position in `expect`. */
  index: number;
  /** Human label, e.g. `no-loss` or `received subscriber[2] after reconnect`. Used as JUnit testcase name. */
  label: string;
  /**
   * Only evaluate against targets with one of these behaviours (`aws-iot`, `mosquitto`, `generic`);
   * skipped (reported as skipped) elsewhere. undefined = always.
   */
  onlyOn?: string[];
  source: SourceRef;
}

/**
 * The resolved fields of each assertion kind, by its YAML keyword. Each resolver file under
 * runner/scenario/assertions/ declares its own entry beside the code that fills it
 * (`declare module '../types.js' { interface AssertionShapes { ... } }`), so adding a kind
 * touches its schema entry, its resolver file and its verdict file, not this one.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging in assertions/<kind>.ts
export interface AssertionShapes {}

export type AssertionKind = keyof AssertionShapes;

export type ResolvedAssertion = {
  [K in AssertionKind]: AssertionBase & { kind: K } & AssertionShapes[K];
}[AssertionKind];

export interface ResolvedTimeouts {
  /** CONNACK wait of a connect or reconnect. */
  connectMs: number;
  /** SUBACK / UNSUBACK wait. */
  subscribeMs: number;
  /** PUBACK / PUBCOMP wait of a QoS 1 / 2 publish. */
  ackMs: number;
}

export interface ResolvedScenario {
  /** File path as the user gave it. */
  file: string;
  name: string;
  description?: string;
  /** `shard: clients`: a sharded run splits its clients (unless `--shard-by` says otherwise). */
  shardBy?: 'files' | 'clients';
  /** Overall deadline for the whole scenario, ms (default 120000). */
  timeoutMs: number;
  /**
   * Bounds of the waits for the broker's answers, ms (default 10000 each); the engine bounds each
   * wait by the smaller of this and the time left to the deadline.
   */
  timeouts: ResolvedTimeouts;
  /** Instances in declaration order. */
  clients: ResolvedClient[];
  /** Declared client name → its instance names (`subscriber` → `subscriber[1]`..). */
  clientGroups: Readonly<Record<string, string[]>>;
  steps: ResolvedStep[];
  expect: ResolvedAssertion[];
  /** Variables after interpolation (secrets from ${env:...} are not kept here). */
  vars: Readonly<Record<string, string>>;
  /** The scenario's `policy:` (AWS IoT policy file), resolved against the scenario's folder. */
  policyFile?: string;
  /**
   * Instances that connect through the run's fault proxy (those a fault or partition step names,
   * and those declared `proxy: true`), in declaration order; absent = no proxy.
   */
  proxied?: string[];
}
