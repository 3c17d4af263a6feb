/**
 * Backpressure instead of drops: while a client's PUBLISH is routed (the intake), every online
 * session it reaches that is over its high-water mark (queue or socket buffer) pauses that
 * publisher until it drains below its low-water mark. A subscriber that holds publishers back
 * longer than slowSubscriberTimeout is marked slow: publishers resume and its excess is dropped
 * (`slow-consumer`, delivery.ts). The per-connection state (`blockers`, `waiters`, `slowTimer`,
 * `slow`) lives on the Connection (connection.ts), which holds its packets while `blockers` > 0.
 */
import createDebug from 'debug';
import type { Connection } from './connection.js';
import type { ResolvedBrokerSettings } from './profiles/settings.js';
import type { Session } from './session-store.js';

const debug = createDebug('mqscen:broker');

export class Backpressure {
  readonly #settings: ResolvedBrokerSettings;
  /** The connection whose PUBLISH is being routed, so backpressure knows whom to hold back. */
  #intake: Connection | undefined;

  constructor(settings: ResolvedBrokerSettings) {
    this.#settings = settings;
  }

  /** Runs `route` with `publisher` as the intake: sessions it overfills hold that client back. */
  routing<T>(publisher: Connection, route: () => T): T {
    this.#intake = publisher;
    try {
      return route();
    } finally {
      this.#intake = undefined;
    }
  }

  /** A client's PUBLISH is being routed (not a will or a message of the broker itself). */
  get routingIntake(): boolean {
    return this.#intake !== undefined;
  }

  private highWater(): number {
    return Math.max(
      1,
      Math.min(this.#settings.backpressureHighWater, Math.floor(this.#settings.maxQueuedMessages / 2)),
    );
  }

  /**
   * The subscriber `connection` just got a message from the publisher being routed: when it is over
   * its high-water mark (queue or socket buffer), that publisher's intake pauses until it drains.
   * A subscriber holding publishers back longer than slowSubscriberTimeout is marked slow instead.
   */
  hold(connection: Connection, session: Session): void {
    const publisher = this.#intake;
    if (publisher === undefined || publisher === connection || connection.slow || publisher.closed) return;
    if (
      session.queue.length < this.highWater() &&
      connection.stream.writableLength < this.#settings.backpressureHighWaterBytes
    ) {
      return;
    }
    connection.waiters ??= new Set();
    if (connection.waiters.has(publisher)) return;
    connection.waiters.add(publisher);
    publisher.blockers++;
    if (connection.slowTimer === undefined && this.#settings.slowSubscriberTimeout > 0) {
      connection.slowTimer = setTimeout(() => {
        connection.slowTimer = undefined;
        debug('client %s is slow: publishers released, its excess is dropped', connection.clientId);
        connection.slow = true;
        this.release(connection);
      }, this.#settings.slowSubscriberTimeout * 1000);
      connection.slowTimer.unref();
    }
  }

  /** Below the low-water mark (half the high-water marks): publishers resume, a slow mark goes. */
  maybeRelease(connection: Connection, session: Session): void {
    if (
      session.queue.length > this.highWater() / 2 ||
      connection.stream.writableLength > this.#settings.backpressureHighWaterBytes / 2
    ) {
      return;
    }
    connection.slow = false;
    if (connection.waiters?.size) this.release(connection);
  }

  /** Lets every publisher `connection` held back read again (on the next turn of the event loop). */
  release(connection: Connection): void {
    clearTimeout(connection.slowTimer);
    connection.slowTimer = undefined;
    const waiters = connection.waiters;
    if (!waiters || waiters.size === 0) return;
    connection.waiters = undefined;
    for (const publisher of waiters) {
      publisher.blockers--;
      if (publisher.blockers === 0) setImmediate(() => publisher.resumeIntake());
    }
  }

  /** The socket of `connection` flushed its buffer. */
  drained(connection: Connection): void {
    const session = connection.session;
    if (session && session.connection === connection && connection.waiters?.size) {
      this.maybeRelease(connection, session);
    }
  }
}
