/**
 * The engine context: what step handlers share while a scenario runs — the clients and their
 * live transport sessions, the run record, the session model, the clock, the abort signal and
 * the settle wake-up. Created by runScenario; step handlers receive it.
 */
import debugFactory from 'debug';
import { now } from '../clock.js';
import type { ResolvedClient, ResolvedScenario } from '../scenario/types.js';
import type { StartedTarget } from '../targets/target.js';
import type { Transport, TransportSession } from '../transports/transport.js';
import type { RunRecord } from '../verdict/record.js';
import type { SessionModel } from '../verdict/session-model.js';

export const debug = debugFactory('mqscen:engine');
/** One line per received message: only for debugging small scenarios. */
export const debugReceipts = debugFactory('mqscen:engine:receipts');

export interface EngineClient {
  readonly idx: number;
  readonly def: ResolvedClient;
  /** The live session; undefined while offline. */
  session: TransportSession | undefined;
}

/**
 * Bounds of the waits. The connect, subscribe and ack bounds come from the scenario's `timeouts`
 * (ResolvedScenario.timeouts); RunScenarioOptions.timings overrides them (tests).
 */
export interface EngineTimings {
  /** CONNACK wait, ms. */
  connectTimeoutMs: number;
  /** SUBACK, UNSUBACK wait, ms. */
  subscribeTimeoutMs: number;
  /** PUBACK/PUBCOMP wait, ms: after it the packet is recorded unacknowledged. */
  ackTimeoutMs: number;
  /** Graceful close of each client at the end, ms; then the socket is destroyed. */
  teardownMs: number;
  /** Most QoS 1/2 publishes a publisher keeps unacknowledged at once (flow control). */
  publishWindow: number;
}

export const DEFAULT_TIMINGS: Readonly<EngineTimings> = Object.freeze({
  connectTimeoutMs: 10_000,
  subscribeTimeoutMs: 10_000,
  ackTimeoutMs: 10_000,
  teardownMs: 3_000,
  publishWindow: 100,
});

export class EngineContext {
  readonly scenario: ResolvedScenario;
  readonly target: StartedTarget;
  readonly record: RunRecord;
  readonly model: SessionModel;
  readonly clients: EngineClient[];
  readonly clientIndex: ReadonlyMap<string, number>;
  readonly signal: AbortSignal;
  readonly timings: EngineTimings;
  readonly getTransport: (name: string) => Promise<Transport>;
  /** Also send the identity as an MQTT 5 User Property on every publish. */
  readonly identityProperty: boolean;
  /** End MQTT 5 persistent sessions at teardown. */
  readonly cleanupSessions: boolean;
  /**
   * CONNACK refusal codes a `reason-code` assertion expects, per client index: such a refusal is
   * the behaviour under test, so the client stays offline and the scenario goes on.
   */
  readonly expectedRefusals: ReadonlyMap<number, ReadonlySet<number>>;
  /** performance clock at scenario start, ms since epoch. */
  readonly startedAt: number;
  /** Notes for the running top-level step (connection losses and the like). */
  readonly pendingNotes: string[] = [];
  #receiptWaiters: Array<() => void> = [];

  constructor(init: {
    scenario: ResolvedScenario;
    target: StartedTarget;
    record: RunRecord;
    model: SessionModel;
    signal: AbortSignal;
    timings: EngineTimings;
    getTransport: (name: string) => Promise<Transport>;
    identityProperty?: boolean;
    cleanupSessions?: boolean;
  }) {
    this.cleanupSessions = init.cleanupSessions ?? true;
    this.identityProperty = init.identityProperty ?? false;
    const refusals = new Map<number, Set<number>>();
    for (const a of init.scenario.expect) {
      if (a.kind !== 'reason-code' || a.packet !== 'connack') continue;
      const names = a.clients ?? init.scenario.clients.map((c) => c.name);
      for (const n of names) {
        const idx = init.scenario.clients.findIndex((c) => c.name === n);
        if (idx < 0) continue;
        const set = refusals.get(idx) ?? new Set<number>();
        for (const code of a.codes) if (code !== 0) set.add(code);
        refusals.set(idx, set);
      }
    }
    this.expectedRefusals = refusals;
    this.scenario = init.scenario;
    this.target = init.target;
    this.record = init.record;
    this.model = init.model;
    this.signal = init.signal;
    this.timings = init.timings;
    this.getTransport = init.getTransport;
    this.clients = init.scenario.clients.map((def, idx) => ({ idx, def, session: undefined }));
    this.clientIndex = new Map(init.scenario.clients.map((c, i) => [c.name, i]));
    this.startedAt = now();
  }

  now(): number {
    return now();
  }

  client(name: string): EngineClient {
    const idx = this.clientIndex.get(name);
    const c = idx === undefined ? undefined : this.clients[idx];
    if (c === undefined) throw new Error(`unknown client "${name}"`);
    return c;
  }

  /** Called on every receipt: wakes a waiting settle (at most once per turn of the event loop). */
  notifyReceipt(): void {
    if (this.#receiptWaiters.length === 0) return;
    const waiters = this.#receiptWaiters;
    this.#receiptWaiters = [];
    for (const w of waiters) w();
  }

  /** Resolves at the next receipt or after `ms`, whichever is first; early on abort. */
  waitForReceipt(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.signal.addEventListener('abort', done, { once: true });
      this.#receiptWaiters.push(done);
    });
  }
}

export { now };

/** Sleeps `ms`, resolving early (never rejecting) when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Races `p` against `ms`; resolves `{ timedOut: true }` on the bound, never leaves a timer. */
export async function withBound<T>(
  p: Promise<T>,
  ms: number,
): Promise<{ timedOut: false; value: T } | { timedOut: true }> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<{ timedOut: true }>((resolve) => {
    timer = setTimeout(() => resolve({ timedOut: true }), ms);
  });
  try {
    return await Promise.race([p.then((value) => ({ timedOut: false as const, value })), bound]);
  } finally {
    clearTimeout(timer);
  }
}
