/**
 * The engine context: what step handlers share while a scenario runs — the clients and their
 * live transport sessions, the run record, the session model, the clock, the abort signal and
 * the settle wake-up. Created by runScenario; step handlers receive it.
 */
import debugFactory from 'debug';
import { now } from '../clock.js';
import type { StepError } from '../errors.js';
import type { FaultHandle } from '../faults/fault.js';
import type { FaultProxy } from '../faults/fault-proxy.js';
import type { ConnectCounters } from '../results.js';
import type { ResolvedClient, ResolvedScenario } from '../scenario/types.js';
import type { StartedTarget } from '../targets/target.js';
import type { ProtocolVersion, Transport, TransportSession } from '../transports/transport.js';
import type { RunRecord } from '../verdict/record.js';
import type { SessionModel } from '../verdict/session-model.js';
import { type DeclaredOutcomes, declaredOutcomes } from './declared-outcomes.js';

export const debug = debugFactory('mqscen:engine');
/** One line per received message: only for debugging small scenarios. */
export const debugReceipts = debugFactory('mqscen:engine:receipts');

export interface EngineClient {
  readonly idx: number;
  readonly def: ResolvedClient;
  /** The live session; undefined while offline. */
  session: TransportSession | undefined;
  /** Connection attempts so far (numbers each connect's will identity). */
  connects: number;
  /** The protocol of its (next) connection: the declared one until a reconnect changes it. */
  protocol: ProtocolVersion;
  /** The protocol of its last connection that got a CONNACK (undefined before the first). */
  connectedAs?: ProtocolVersion;
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
  /** PUBACK/PUBCOMP wait, ms: a publish not acknowledged by then fails its step. */
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
  /** Refusals and broker disconnects the scenario declares as expected (derived once). */
  readonly declared: DeclaredOutcomes;
  /** performance clock at scenario start, ms since epoch. */
  readonly startedAt: number;
  /** When the scenario deadline is reached, same clock. */
  readonly deadlineAt: number;
  /** Notes for the running top-level step (connection losses and the like). */
  readonly pendingNotes: string[] = [];
  /** The running top-level step. */
  currentStep: { ref: number; label: string } | undefined;
  /** The run's fault proxy, when the scenario has proxied clients (`ResolvedScenario.proxied`). */
  readonly proxy: FaultProxy | undefined;
  /** Faults and partitions still active, by the ref of the step that staged them (heal steps end them). */
  readonly faults = new Map<number, FaultHandle>();
  /** Clients left offline by a refusal or disconnect the scenario declared: acting for them is noted, not fatal. */
  readonly offlineAsDeclared = new Set<number>();
  /**
   * Shards the clients of this scenario are split over (`--shard-by clients`); 1 unsharded. A
   * connect pace is the whole fleet's: each shard connects at 1/shards of it.
   */
  readonly shards: number;
  /** Every PUBLISH received so far (any kind), for waits that end when deliveries stop. */
  receipts = 0;
  /** Counters of a running connect or reconnect of many clients, for live progress. */
  connectCounters: ConnectCounters | undefined;
  #receiptWaiters: Array<() => void> = [];
  /**
   * Waits that end when the scenario stops. One listener on the signal calls them all: one
   * listener per client wait (10,000 at a connect) would make each add and remove walk a list
   * of thousands and warn of a leak.
   */
  readonly #stopWaiters = new Set<() => void>();
  #failure: StepError | Error | undefined;
  readonly #failed = new AbortController();
  readonly #deadline: AbortSignal;
  readonly #interrupt: AbortSignal;

  constructor(init: {
    scenario: ResolvedScenario;
    target: StartedTarget;
    record: RunRecord;
    model: SessionModel;
    /** Ctrl+C. */
    interrupt: AbortSignal;
    /** Aborted when the scenario deadline is reached. */
    deadline: AbortSignal;
    /** The scenario deadline, ms from now. */
    deadlineMs: number;
    timings: EngineTimings;
    getTransport: (name: string) => Promise<Transport>;
    identityProperty?: boolean;
    cleanupSessions?: boolean;
    proxy?: FaultProxy;
    shards?: number;
  }) {
    this.proxy = init.proxy;
    this.shards = init.shards ?? 1;
    this.cleanupSessions = init.cleanupSessions ?? true;
    this.identityProperty = init.identityProperty ?? false;
    this.declared = declaredOutcomes(init.scenario, init.target.behaviour);
    this.scenario = init.scenario;
    this.target = init.target;
    this.record = init.record;
    this.model = init.model;
    this.#interrupt = init.interrupt;
    this.#deadline = init.deadline;
    this.signal = AbortSignal.any([init.interrupt, init.deadline, this.#failed.signal]);
    this.signal.addEventListener(
      'abort',
      () => {
        for (const w of [...this.#stopWaiters]) w();
        this.#stopWaiters.clear();
      },
      { once: true },
    );
    this.timings = init.timings;
    this.getTransport = init.getTransport;
    this.clients = init.scenario.clients.map((def, idx) => ({
      idx,
      def,
      session: undefined,
      connects: 0,
      protocol: def.protocol,
    }));
    this.clientIndex = new Map(init.scenario.clients.map((c, i) => [c.name, i]));
    this.startedAt = now();
    this.deadlineAt = this.startedAt + init.deadlineMs;
  }

  now(): number {
    return now();
  }

  /** The first step failure of the scenario, if any. */
  get failure(): StepError | Error | undefined {
    return this.#failure;
  }

  get interrupted(): boolean {
    return this.#interrupt.aborted;
  }

  get deadlineReached(): boolean {
    return this.#deadline.aborted;
  }

  /**
   * A step failed: the first failure is kept, and every running wait ends at once (the signal
   * aborts), so the scenario stops where it went wrong instead of running on a broken premise.
   */
  fail(error: StepError | Error): void {
    if (this.#failure !== undefined) return;
    this.#failure = error;
    debug('failure: %s', error.message);
    this.#failed.abort(error);
  }

  /** `ms`, shortened to what is left before the scenario deadline (at least 1 ms). */
  bound(ms: number): { ms: number; byDeadline: boolean } {
    const left = Math.max(1, Math.floor(this.deadlineAt - now()));
    return left < ms ? { ms: left, byDeadline: true } : { ms, byDeadline: false };
  }

  /**
   * Waits for an answer of the broker within `ms` (shortened to the deadline), ending early when the
   * scenario stops. `timedOut` covers both the bound and the deadline; `stopped` an interrupt or an
   * earlier failure, after which nothing more is to be said about this wait.
   */
  async awaitAnswer<T>(
    p: Promise<T>,
    ms: number,
  ): Promise<
    | { ok: true; value: T }
    | { ok: false; timedOut: true; afterMs: number; byDeadline: boolean }
    | { ok: false; timedOut: false }
  > {
    const b = this.bound(ms);
    const started = now();
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const bound = new Promise<'bound' | 'aborted'>((resolve) => {
      timer = setTimeout(() => resolve('bound'), b.ms);
      onAbort = () => resolve('aborted');
      if (this.signal.aborted) resolve('aborted');
      else this.#stopWaiters.add(onAbort);
    });
    try {
      const r = await Promise.race([p.then((value) => ({ value })), bound]);
      if (typeof r === 'object') return { ok: true, value: r.value };
      if (r === 'bound') return { ok: false, timedOut: true, afterMs: b.ms, byDeadline: b.byDeadline };
      const afterMs = Math.round(now() - started);
      // The deadline is a bound too: the broker did not answer in the time the scenario allows.
      if (this.deadlineReached && !this.interrupted && this.#failure === undefined)
        return { ok: false, timedOut: true, afterMs, byDeadline: true };
      return { ok: false, timedOut: false };
    } finally {
      clearTimeout(timer);
      if (onAbort !== undefined) this.#stopWaiters.delete(onAbort);
    }
  }

  /**
   * Calls `fn` once when the scenario stops (Ctrl+C, the deadline, a failure), at once if it has;
   * returns what undoes it. Every caller shares one listener on the signal.
   */
  onStop(fn: () => void): () => void {
    if (this.signal.aborted) {
      fn();
      return () => undefined;
    }
    this.#stopWaiters.add(fn);
    return () => {
      this.#stopWaiters.delete(fn);
    };
  }

  /** Sleeps `ms`, resolving early when the scenario stops (100 connect workers pacing at once). */
  sleep(ms: number): Promise<void> {
    if (this.signal.aborted || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const undo = this.onStop(() => {
        clearTimeout(timer);
        resolve();
      });
      const timer = setTimeout(() => {
        undo();
        resolve();
      }, ms);
    });
  }

  /** "within 10000 ms" or "before the scenario deadline (3000 ms)", for no-answer messages. */
  describeBound(afterMs: number, byDeadline: boolean): string {
    return byDeadline
      ? `before the scenario deadline (${Math.round(this.deadlineAt - this.startedAt)} ms)`
      : `within ${afterMs} ms`;
  }

  client(name: string): EngineClient {
    const idx = this.clientIndex.get(name);
    const c = idx === undefined ? undefined : this.clients[idx];
    if (c === undefined) throw new Error(`unknown client "${name}"`);
    return c;
  }

  /** Called on every receipt: wakes a waiting settle (at most once per turn of the event loop). */
  notifyReceipt(): void {
    this.receipts++;
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
        this.#stopWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      if (this.signal.aborted) {
        done();
        return;
      }
      this.#stopWaiters.add(done);
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
