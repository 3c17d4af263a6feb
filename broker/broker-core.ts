/**
 * The broker core: connections, sessions (attach, resume, expiry, wills), subscriptions and stats,
 * owning the parts the handlers reach through it: routing and delivery (delivery.ts), backpressure
 * (backpressure.ts), the writing of outgoing PUBLISH packets (outgoing.ts), retained messages
 * (retained.ts), shared groups (shared-groups.ts). Packet handlers (handlers/*.ts) call into it;
 * listeners (listeners.ts) feed it connections.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import createDebug from 'debug';
import type { Packet } from 'mqtt-packet';
import type { Authorizer } from './authorizer.js';
import { Backpressure } from './backpressure.js';
import { Connection, type ConnectionInfo, type PendingWill } from './connection.js';
import { Delivery, type DeliveryOptions, hasRoom } from './delivery.js';
import { OutgoingWriter } from './outgoing.js';
import type { ResolvedBrokerSettings } from './profiles/settings.js';
import { RetainedStore } from './retained.js';
import type { BrokerMessage, Outgoing, Session, Subscription } from './session-store.js';
import { SessionStore } from './session-store.js';
import { SharedGroups } from './shared-groups.js';
import { type BrokerStats, CounterBook, type Counters, countDrop, type DropReason } from './stats.js';
import { SubscriptionIndex } from './subscription-index.js';

const debug = createDebug('mqscen:broker');

/** Sessions that never expire [MQTT-3.1.2-11]. */
export const NEVER_EXPIRES = 0xffff_ffff;

/** Events for extensions (lifecycle events, logging). Listeners must not throw. */
export interface BrokerEvents {
  'client-connected': [connection: Connection, sessionPresent: boolean];
  /** The connection ended; `reason` says why in words, `connection.endedBy` / `endCode` in data. */
  'client-disconnected': [connection: Connection, reason: string];
  subscribed: [connection: Connection, filters: Subscription[]];
  unsubscribed: [connection: Connection, filters: string[]];
  /** The authorizer refused a CONNECT (LC-6 connect_failed); `reasonCode` is the refusal sent. */
  'connect-failed': [connection: Connection, reasonCode: number];
  /** A client broke the protocol or sent a malformed packet; it is being disconnected. */
  'client-error': [connection: Connection, error: Error];
}

/** Hands one packet of a connection to the handler of its type. */
export type PacketDispatch = (broker: BrokerCore, connection: Connection, packet: Packet) => void;

export class BrokerCore extends EventEmitter<BrokerEvents> {
  readonly settings: ResolvedBrokerSettings;
  readonly authorizer: Authorizer | undefined;
  readonly sessions = new SessionStore();
  readonly index: SubscriptionIndex;
  readonly groups: SharedGroups;
  readonly retained: RetainedStore;
  readonly connections = new Set<Connection>();
  /** Last CONNECT time per client id (C-4 when realistic). */
  readonly lastConnectAt = new Map<string, number>();
  readonly counters = new CounterBook();
  /** Writes PUBLISH packets (outgoing.ts). */
  readonly outgoing: OutgoingWriter;
  /** Owns the intake: the connection whose PUBLISH is being routed (backpressure.ts). */
  readonly backpressure: Backpressure;
  /** Routes messages to sessions and groups (delivery.ts). */
  readonly delivery: Delivery;
  closing = false;

  /** The handler table (handlers/index.ts), given by index.ts so the core does not import its handlers. */
  readonly #dispatch: PacketDispatch;

  constructor(settings: ResolvedBrokerSettings, dispatch: PacketDispatch, authorizer?: Authorizer) {
    super();
    this.settings = settings;
    this.#dispatch = dispatch;
    this.authorizer = authorizer;
    this.retained = new RetainedStore(settings);
    this.index = new SubscriptionIndex({
      parentMatchesMultiLevel: settings.parentMatchesMultiLevel,
      maxLevels: settings.maxTopicLevels,
    });
    this.groups = new SharedGroups({
      settings,
      session: (clientId) => this.sessions.get(clientId),
      deliver: (session, message, sub, groupKey) =>
        this.delivery.deliverToSession(session, message, sub, groupKey),
      hasRoom,
      groupCounters: (key) => this.groupCounters(key),
    });
    this.outgoing = new OutgoingWriter(authorizer, this.counters);
    this.backpressure = new Backpressure(settings);
    this.delivery = new Delivery({
      settings,
      sessions: this.sessions,
      index: this.index,
      groups: this.groups,
      retained: this.retained,
      counters: this.counters,
      outgoing: this.outgoing,
      backpressure: this.backpressure,
    });
  }

  // ---- connections -------------------------------------------------------------------------

  /** Starts serving one client stream. */
  accept(stream: Duplex, info: ConnectionInfo): Connection {
    const connection = new Connection(this, stream, info);
    this.connections.add(connection);
    if (this.closing) connection.destroy();
    return connection;
  }

  /** The socket is gone. */
  forget(connection: Connection): void {
    this.connections.delete(connection);
  }

  /**
   * Session-side end of a connection (socket close, server disconnect, takeover). Idempotent.
   * Publishes or schedules the will, returns shared messages to their group (MQ-12), ends a
   * session with expiry 0 and arms the expiry timer of the others [MQTT-3.1.2-23].
   */
  detach(connection: Connection): void {
    if (connection.detached) return;
    connection.detached = true;
    // An offline session holds nobody back: its queue limit applies instead.
    this.backpressure.release(connection);
    const session = connection.session;
    if (!session || session.connection !== connection) return;
    session.connection = null;
    debug('client %s disconnected (%s)', session.clientId, connection.endReason);
    try {
      this.emit('client-disconnected', connection, connection.endReason);
    } catch (error) {
      // A listener that throws must not leave the session half cleaned.
      debug('client-disconnected listener failed: %s', (error as Error).stack);
    }
    if (connection.will && !this.closing) this.scheduleWill(session, connection.will);
    if (this.settings.sharedInflightOnLeave === 'return-to-group') this.returnSharedMessages(session);
    if (session.expiryInterval === 0) {
      this.endSession(session);
    } else if (session.expiryInterval !== NEVER_EXPIRES) {
      clearTimeout(session.expiryTimer);
      longTimeout(
        session.expiryInterval * 1000,
        () => {
          debug('session %s expired', session.clientId);
          this.endSession(session);
        },
        (timer) => {
          session.expiryTimer = timer;
        },
      );
    }
  }

  /** MQ-12: unacked and queued group messages of a departing member go back to the group. */
  private returnSharedMessages(session: Session): void {
    const back: Array<[string, BrokerMessage]> = [];
    for (const [packetId, out] of session.inflight) {
      if (out.group && out.state === 'publish') {
        session.inflight.delete(packetId);
        back.push([out.group, out.message]);
      }
    }
    for (let i = session.queue.length - 1; i >= 0; i--) {
      const out = session.queue[i] as Outgoing;
      if (out.group) {
        session.queue.splice(i, 1);
        back.unshift([out.group, out.message]);
      }
    }
    for (const [key, message] of back) {
      const group = this.groups.get(key);
      if (group) this.groups.dispatch(group, message, session.clientId);
    }
  }

  /** One packet of `connection` to its handler (a handler that throws costs the connection only: connection.ts). */
  dispatch(connection: Connection, packet: Packet): void {
    this.#dispatch(this, connection, packet);
  }

  /** Ends a session: subscriptions and queued messages go, a delayed will is published now [MQTT-3.1.3-9]. */
  endSession(session: Session): void {
    clearTimeout(session.resumeTimer);
    clearTimeout(session.expiryTimer);
    clearTimeout(session.willTimer);
    try {
      for (const sub of session.subscriptions.values()) this.removeSubscription(session, sub);
    } finally {
      // A failing removal must not leave a half-ended session behind.
      session.subscriptions.clear();
      this.sessions.delete(session);
    }
    const lost = session.queue.length + session.inflight.size;
    if (lost > 0) countDrop(this.clientCounters_(session.clientId), 'session-ended', lost);
    session.queue.length = 0;
    session.inflight.clear();
    this.sessions.delete(session);
    if (!this.sessions.get(session.clientId)) this.counters.retire(session.clientId);
    const publishWill = session.pendingWill;
    session.pendingWill = undefined;
    if (publishWill && !this.closing) publishWill();
  }

  /** [MQTT-3.1.2-8] will on an unclean end; MQTT 5 Will Delay Interval [MQTT-3.1.3-9]. */
  private scheduleWill(session: Session, will: PendingWill): void {
    const message: BrokerMessage = { ...will.message };
    const publishWill = (): void => {
      session.pendingWill = undefined;
      // L-6: the will's Message Expiry counts from the moment it is published.
      if (will.expirySeconds !== undefined) message.expiresAt = Date.now() + will.expirySeconds * 1000;
      this.publish(message);
    };
    if (will.delay <= 0 || session.expiryInterval === 0) {
      publishWill();
      return;
    }
    session.pendingWill = publishWill;
    clearTimeout(session.willTimer);
    const delay = Math.min(will.delay, session.expiryInterval);
    longTimeout(delay * 1000, publishWill, (timer) => {
      session.willTimer = timer;
    });
  }

  /** A connection takes over a session (new or resumed): cancels expiry and a delayed will. */
  attachSession(session: Session, connection: Connection): void {
    clearTimeout(session.resumeTimer);
    session.resumeTimer = undefined;
    clearTimeout(session.expiryTimer);
    session.expiryTimer = undefined;
    // [MQTT-3.1.3-9] reconnecting before the will delay passed: the will is not sent.
    clearTimeout(session.willTimer);
    session.willTimer = undefined;
    session.pendingWill = undefined;
    session.connection = connection;
    connection.session = session;
  }

  /**
   * After CONNACK on a resumed session: resend unacked messages [MQTT-4.4.0-1], then the queue; MQ-6
   * drains the groups. This happens in a later write than the CONNACK, as on brokers that send
   * stored messages from their event loop, so a client that installs its message handler once
   * connected still sees them; meanwhile new messages wait in the queue to keep their order.
   */
  resumeSession(session: Session): void {
    const connection = session.connection;
    if (!connection) return;
    clearTimeout(session.resumeTimer);
    session.resumeTimer = setTimeout(() => {
      session.resumeTimer = undefined;
      if (session.connection !== connection || connection.closed) return;
      for (const out of session.inflight.values()) this.outgoing.write(connection, session, out, true);
      if (this.settings.realistic && this.settings.sessionResumeRate > 0 && session.queue.length > 0) {
        // PS-7: stored messages at most sessionResumeRate per second after the CONNACK.
        const tick = (): void => {
          session.resumeTimer = undefined;
          if (session.connection !== connection || session.queue.length === 0) return;
          this.outgoing.pump(session, 1, true);
          if (session.queue.length > 0) {
            session.resumeTimer = setTimeout(tick, 1000 / this.settings.sessionResumeRate);
            session.resumeTimer.unref();
          }
        };
        tick();
      } else {
        this.outgoing.pump(session);
      }
      for (const sub of session.subscriptions.values()) {
        if (sub.shareName === undefined) continue;
        const group = this.groups.get(`${sub.shareName}/${sub.topicFilter}`);
        if (group) this.groups.drain(group);
      }
    }, 0);
  }

  // ---- subscriptions -----------------------------------------------------------------------

  addSubscription(session: Session, sub: Subscription): void {
    session.subscriptions.set(sub.filter, sub);
    if (sub.shareName !== undefined) {
      const group = this.groups.join(sub.shareName, sub.topicFilter, session.clientId, sub);
      this.index.addGroup(sub.topicFilter, group.key);
    } else {
      this.index.addPlain(session.clientId, sub);
    }
  }

  removeSubscription(session: Session, sub: Subscription): void {
    if (sub.shareName !== undefined) {
      const key = `${sub.shareName}/${sub.topicFilter}`;
      if (this.groups.leave(key, session.clientId)) this.index.removeGroup(sub.topicFilter, key);
    } else {
      this.index.removePlain(session.clientId, sub.topicFilter);
    }
  }

  /** Retained messages a new subscription gets (retained.ts). */
  retainedFor(topicFilter: string): BrokerMessage[] {
    return this.retained.matching(topicFilter);
  }

  // ---- delivery (delivery.ts), backpressure (backpressure.ts) --------------------------------

  /** Routes a client's PUBLISH; sessions it overfills hold that client's intake back (backpressure). */
  publishFrom(connection: Connection, message: BrokerMessage): number {
    return this.backpressure.routing(connection, () => this.delivery.publish(message));
  }

  /** Routes a message of the broker itself (will, lifecycle event, `BrokerHandle.publish`); holds nobody back. */
  publish(message: BrokerMessage): number {
    return this.delivery.publish(message);
  }

  /** Hands a message to one session (retained on subscribe); false when the receive authorizer refused it. */
  deliver(session: Session, message: BrokerMessage, options: DeliveryOptions): boolean {
    return this.delivery.deliver(session, message, options);
  }

  /** Outbound acknowledgement (PUBACK, PUBREC, PUBCOMP): frees the window and sends what waits. */
  acknowledge(session: Session, packetId: number): boolean {
    return this.delivery.acknowledge(session, packetId);
  }

  /** The socket of `connection` flushed its buffer. */
  drained(connection: Connection): void {
    this.backpressure.drained(connection);
  }

  // ---- stats -------------------------------------------------------------------------------

  clientCounters_(clientId: string): Counters {
    return this.counters.client(clientId);
  }

  groupCounters(key: string): Counters {
    return this.counters.group(key);
  }

  countClientDrop(clientId: string, reason: DropReason): void {
    countDrop(this.counters.client(clientId), reason);
  }

  stats(): BrokerStats {
    this.retained.prune();
    return {
      clients: this.counters.clients(this.sessions),
      groups: this.counters.groups((key) => {
        const group = this.groups.get(key);
        return group ? this.groups.describe(group) : { members: 0, onlineMembers: 0, queueLength: 0 };
      }),
      totals: {
        ...this.counters.totals(),
        connections: [...this.connections].filter((c) => !c.closed).length,
        sessions: this.sessions.size,
        retained: this.retained.size,
        received: this.counters.received,
      },
    };
  }

  /** Disconnects everyone (MQTT 5: DISCONNECT 0x8B server shutting down) and stops all timers. */
  close(): void {
    this.closing = true;
    for (const connection of [...this.connections]) {
      connection.endReason = 'server shutting down';
      connection.disconnect(0x8b, 'server shutting down');
      connection.destroy();
    }
    for (const session of this.sessions.values()) {
      clearTimeout(session.resumeTimer);
      clearTimeout(session.expiryTimer);
      clearTimeout(session.willTimer);
    }
    this.groups.close();
  }
}

// --- internal ---

/** Node timers hold at most 2^31-1 ms (24.8 days); longer session expiries are re-armed until due. */
const MAX_TIMER_MS = 2_147_483_647;

function longTimeout(ms: number, fire: () => void, store: (timer: NodeJS.Timeout) => void): void {
  const deadline = Date.now() + ms;
  const arm = (): void => {
    const left = deadline - Date.now();
    const timer = setTimeout(left > MAX_TIMER_MS ? arm : fire, Math.min(Math.max(left, 0), MAX_TIMER_MS));
    timer.unref();
    store(timer);
  };
  arm();
}
