/**
 * The broker core: sessions, subscriptions, shared groups, retained messages and message routing.
 * Packet handlers (handlers/*.ts) call into it; listeners (listeners.ts) feed it connections.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import createDebug from 'debug';
import type { IPublishPacket, Packet, QoS } from 'mqtt-packet';
import mqttPacket from 'mqtt-packet';
import type { Authorizer, DeliveryRequest } from './authorizer.js';
import { Connection, type ConnectionInfo, type PendingWill } from './connection.js';
import { encodePublish } from './encode.js';
import type { ResolvedBrokerSettings } from './profiles/settings.js';
import type { BrokerMessage, Outgoing, Session, Subscription } from './session-store.js';
import { SessionStore } from './session-store.js';
import { SharedGroups } from './shared-groups.js';
import { type BrokerStats, CounterBook, type Counters, countDrop, type DropReason } from './stats.js';
import { SubscriptionIndex } from './subscription-index.js';
import { isExactFilter, topicMatches } from './topic.js';

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

/** How a message reaches one session. */
interface DeliveryOptions {
  qos: QoS;
  retain: boolean;
  subscriptionIds: number[];
  group?: string;
  /** Filter that matched, for the receive authorizer. */
  filter: string;
  shareName?: string;
}

/** Hands one packet of a connection to the handler of its type. */
export type PacketDispatch = (broker: BrokerCore, connection: Connection, packet: Packet) => void;

export class BrokerCore extends EventEmitter<BrokerEvents> {
  readonly settings: ResolvedBrokerSettings;
  readonly authorizer: Authorizer | undefined;
  readonly sessions = new SessionStore();
  readonly index: SubscriptionIndex;
  readonly groups: SharedGroups;
  readonly retained = new Map<string, BrokerMessage>();
  readonly connections = new Set<Connection>();
  /** Last CONNECT time per client id (C-4 when realistic). */
  readonly lastConnectAt = new Map<string, number>();
  readonly counters = new CounterBook();
  /** The connection whose PUBLISH is being routed, so backpressure knows whom to hold back. */
  private intake: Connection | undefined;
  closing = false;

  /** The handler table (handlers/index.ts), given by index.ts so the core does not import its handlers. */
  readonly #dispatch: PacketDispatch;

  constructor(settings: ResolvedBrokerSettings, dispatch: PacketDispatch, authorizer?: Authorizer) {
    super();
    this.settings = settings;
    this.#dispatch = dispatch;
    this.authorizer = authorizer;
    this.index = new SubscriptionIndex({
      parentMatchesMultiLevel: settings.parentMatchesMultiLevel,
      maxLevels: settings.maxTopicLevels,
    });
    this.groups = new SharedGroups({
      settings,
      session: (clientId) => this.sessions.get(clientId),
      deliver: (session, message, sub, groupKey) => this.deliverToSession(session, message, sub, groupKey),
      hasRoom: (session) => {
        const connection = session.connection;
        return (
          connection !== null &&
          !connection.closed &&
          session.queue.length === 0 &&
          session.inflight.size < connection.outWindow &&
          session.resumeTimer === undefined
        );
      },
      groupCounters: (key) => this.groupCounters(key),
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
    this.releaseIntake(connection);
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
      for (const out of session.inflight.values()) this.writeOutgoing(connection, session, out, true);
      if (this.settings.realistic && this.settings.sessionResumeRate > 0 && session.queue.length > 0) {
        // PS-7: stored messages at most sessionResumeRate per second after the CONNACK.
        const tick = (): void => {
          session.resumeTimer = undefined;
          if (session.connection !== connection || session.queue.length === 0) return;
          this.pump(session, 1, true);
          if (session.queue.length > 0) {
            session.resumeTimer = setTimeout(tick, 1000 / this.settings.sessionResumeRate);
            session.resumeTimer.unref();
          }
        };
        tick();
      } else {
        this.pump(session);
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

  /** Retained messages a new subscription gets [MQTT-3.3.1-9..11]; R-3 exact match on aws-iot. */
  retainedFor(topicFilter: string): BrokerMessage[] {
    this.pruneRetained();
    const exact = isExactFilter(topicFilter);
    if (exact) {
      const message = this.retained.get(topicFilter);
      return message ? [message] : [];
    }
    if (!this.settings.retainedForWildcards) return [];
    const result: BrokerMessage[] = [];
    for (const [topic, message] of this.retained) {
      if (topicMatches(topicFilter, topic, this.settings.parentMatchesMultiLevel)) result.push(message);
    }
    return result;
  }

  /** Drops retained messages whose Message Expiry passed (R-7) [MQTT-3.3.2-5]. */
  private pruneRetained(): void {
    const now = Date.now();
    for (const [topic, message] of this.retained) {
      if (message.expiresAt !== undefined && message.expiresAt <= now) this.retained.delete(topic);
    }
  }

  /** Stores, replaces or clears a retained message [MQTT-3.3.1-5, MQTT-3.3.1-6, MQTT-3.3.1-7]. */
  storeRetained(message: BrokerMessage): void {
    if (message.payload.length === 0) this.retained.delete(message.topic);
    else this.retained.set(message.topic, { ...message, retain: true });
  }

  // ---- routing -----------------------------------------------------------------------------

  /** Routes a client's PUBLISH; sessions it overfills hold that client's intake back (backpressure). */
  publishFrom(connection: Connection, message: BrokerMessage): number {
    this.intake = connection;
    try {
      return this.publish(message);
    } finally {
      this.intake = undefined;
    }
  }

  /**
   * Routes one message to every matching subscription and shared group; returns how many
   * sessions/groups it went to. One copy per client with the highest QoS and every subscription
   * identifier of the overlapping subscriptions [MQTT-3.3.4-2, MQTT-3.3.4-3, MQTT-3.3.4-5].
   */
  publish(message: BrokerMessage): number {
    this.counters.received++;
    if (message.retain) this.storeRetained(message);
    const perClient = new Map<string, DeliveryOptions>();
    /** Further copies for overlapping subscriptions (overlapDelivery 'per-subscription', MQTT 5 clients). */
    let extra: Array<[string, DeliveryOptions]> | undefined;
    const perSubscription = this.settings.overlapDelivery === 'per-subscription';
    let matched = 0;
    for (const entry of this.index.match(message.topic)) {
      for (const [clientId, sub] of entry.plain) {
        // [MQTT-3.8.3-3] No Local: not back to the publisher (AWS ignores it, SS-14).
        if (sub.noLocal && this.settings.honourNoLocal && message.origin === clientId) continue;
        const current = perClient.get(clientId);
        // [MQTT-3.3.1-12, MQTT-3.3.1-13] Retain As Published keeps RETAIN; otherwise live deliveries carry 0.
        const retain = sub.retainAsPublished ? message.retain : false;
        if (!current) {
          perClient.set(clientId, {
            qos: Math.min(message.qos, sub.qos) as QoS,
            retain,
            subscriptionIds: sub.subscriptionId ? [sub.subscriptionId] : [],
            filter: sub.filter,
          });
        } else if (perSubscription && this.sessions.get(clientId)?.protocolVersion === 5) {
          // MQTT 5 section 3.3.4: a further copy per additional matching subscription, with its own QoS.
          extra ??= [];
          extra.push([
            clientId,
            {
              qos: Math.min(message.qos, sub.qos) as QoS,
              retain,
              subscriptionIds: sub.subscriptionId ? [sub.subscriptionId] : [],
              filter: sub.filter,
            },
          ]);
        } else {
          current.qos = Math.max(current.qos, Math.min(message.qos, sub.qos)) as QoS;
          current.retain ||= retain;
          if (sub.subscriptionId) current.subscriptionIds.push(sub.subscriptionId);
        }
      }
      for (const key of entry.groups) {
        const group = this.groups.get(key);
        if (!group) continue;
        matched++;
        // SS-6: one copy per matching group; SS-16: delivered with the real topic name.
        this.groups.dispatch(group, message);
      }
    }
    for (const [clientId, options] of perClient) {
      const session = this.sessions.get(clientId);
      if (!session) continue;
      matched++;
      this.deliver(session, message, options);
    }
    if (extra !== undefined) {
      for (const [clientId, options] of extra) {
        const session = this.sessions.get(clientId);
        if (session) this.deliver(session, message, options);
      }
    }
    return matched;
  }

  /** Delivery through a shared group (GroupHost.deliver). */
  private deliverToSession(
    session: Session,
    message: BrokerMessage,
    sub: Subscription,
    groupKey: string,
  ): boolean {
    const options: DeliveryOptions = {
      qos: Math.min(message.qos, sub.qos) as QoS,
      retain: sub.retainAsPublished ? message.retain : false,
      subscriptionIds: sub.subscriptionId ? [sub.subscriptionId] : [],
      group: groupKey,
      filter: sub.filter,
    };
    if (sub.shareName !== undefined) options.shareName = sub.shareName;
    return this.deliver(session, message, options);
  }

  /**
   * Hands a message to a session: sent now when online and the window allows, else queued
   * (QoS > 0, or QoS 0 with queueQos0Offline), else dropped. Returns false when the receive
   * authorizer refused it (sent now only: a queued message is judged when it leaves), or when a
   * shared delivery is over the member's publish rate (MQ-15).
   */
  deliver(session: Session, message: BrokerMessage, options: DeliveryOptions): boolean {
    const counters = this.clientCounters_(session.clientId);
    const connection = session.connection;
    if (message.expiresAt !== undefined && message.expiresAt <= Date.now()) {
      countDrop(counters, 'expired');
      return true;
    }
    const limit = this.settings.realistic ? this.settings.publishRatePerConnection : 0;
    if (connection && limit > 0 && !connection.takePublishToken(limit)) {
      // QUO-5: over the per-connection publish rate. A shared group tries another member or
      // queues it (MQ-4, MQ-15); a plain subscription loses it.
      if (options.group !== undefined) return false;
      countDrop(counters, 'rate-limited');
      return true;
    }
    const out: Outgoing = {
      message,
      qos: options.qos,
      retain: options.retain,
      subscriptionIds: options.subscriptionIds,
      filter: options.filter,
      state: 'queued',
    };
    if (options.group !== undefined) out.group = options.group;
    if (options.shareName !== undefined) out.shareName = options.shareName;
    if (connection && out.qos === 0 && connection.stream.writableLength > this.settings.slowConsumerBytes) {
      // A client that does not read cannot make the broker buffer without bound.
      countDrop(counters, 'slow-consumer');
      return true;
    }
    // While a resume is pending (resumeTimer), new messages queue behind the stored ones.
    const windowOpen =
      connection !== null &&
      session.queue.length === 0 &&
      session.inflight.size < connection.outWindow &&
      session.resumeTimer === undefined;
    if (connection && (out.qos === 0 || windowOpen)) {
      const written = this.writeOutgoing(connection, session, out, false);
      if (this.intake !== undefined) this.holdIntake(connection, session);
      return written;
    }
    if (out.qos === 0 && !(this.settings.queueQos0Offline && !connection)) {
      countDrop(counters, 'offline');
      return true;
    }
    if (session.queue.length >= this.settings.maxQueuedMessages) {
      // Offline (Mosquitto max_queued_messages, PS-6 "storage obeys limits"), or online and marked slow.
      countDrop(counters, connection?.slow ? 'slow-consumer' : 'queue-full');
      return true;
    }
    session.queue.push(out);
    counters.queued++;
    if (connection && this.intake !== undefined) this.holdIntake(connection, session);
    return true;
  }

  // ---- backpressure ------------------------------------------------------------------------

  private highWater(): number {
    return Math.max(
      1,
      Math.min(this.settings.backpressureHighWater, Math.floor(this.settings.maxQueuedMessages / 2)),
    );
  }

  /**
   * The subscriber `connection` just got a message from the publisher being routed: when it is over
   * its high-water mark (queue or socket buffer), that publisher's intake pauses until it drains.
   * A subscriber holding publishers back longer than slowSubscriberTimeout is marked slow instead.
   */
  private holdIntake(connection: Connection, session: Session): void {
    const publisher = this.intake;
    if (publisher === undefined || publisher === connection || connection.slow || publisher.closed) return;
    if (
      session.queue.length < this.highWater() &&
      connection.stream.writableLength < this.settings.backpressureHighWaterBytes
    ) {
      return;
    }
    connection.waiters ??= new Set();
    if (connection.waiters.has(publisher)) return;
    connection.waiters.add(publisher);
    publisher.blockers++;
    if (connection.slowTimer === undefined && this.settings.slowSubscriberTimeout > 0) {
      connection.slowTimer = setTimeout(() => {
        connection.slowTimer = undefined;
        debug('client %s is slow: publishers released, its excess is dropped', connection.clientId);
        connection.slow = true;
        this.releaseIntake(connection);
      }, this.settings.slowSubscriberTimeout * 1000);
      connection.slowTimer.unref();
    }
  }

  /** Below the low-water mark (half the high-water marks): publishers resume, a slow mark goes. */
  private maybeRelease(connection: Connection, session: Session): void {
    if (
      session.queue.length > this.highWater() / 2 ||
      connection.stream.writableLength > this.settings.backpressureHighWaterBytes / 2
    ) {
      return;
    }
    connection.slow = false;
    if (connection.waiters?.size) this.releaseIntake(connection);
  }

  /** Lets every publisher `connection` held back read again (on the next turn of the event loop). */
  private releaseIntake(connection: Connection): void {
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

  /** Sends queued messages while the outbound window has room [MQTT-4.9.0-2]. */
  pump(session: Session, limit = Number.POSITIVE_INFINITY, paced = false): void {
    const connection = session.connection;
    if (!connection || (session.resumeTimer !== undefined && !paced)) return;
    const counters = this.clientCounters_(session.clientId);
    let sent = 0;
    while (
      session.queue.length > 0 &&
      session.inflight.size < connection.outWindow &&
      !connection.closed &&
      sent++ < limit
    ) {
      const out = session.queue.shift() as Outgoing;
      counters.dequeued++;
      if (out.message.expiresAt !== undefined && out.message.expiresAt <= Date.now()) {
        // [MQTT-3.3.2-5] an expired message is not forwarded; PS-8, MQ-8.
        countDrop(counters, 'expired');
        continue;
      }
      this.writeOutgoing(connection, session, out, false);
    }
  }

  /**
   * POL-2 / POL-10 Receive: the authorizer judges every first transmission at the moment it is
   * written (live, queued on resume, retained on subscribe, dealt by a shared group), with the
   * identity of the connection it leaves on. A refusal skips this delivery silently and counts it.
   */
  private mayReceive(connection: Connection, session: Session, out: Outgoing): boolean {
    const receive = this.authorizer?.receive;
    if (!receive) return true;
    const info: DeliveryRequest = { filter: out.filter, qos: out.qos, retain: out.retain };
    if (out.shareName !== undefined) info.shareName = out.shareName;
    if (receive.call(this.authorizer, connection.identity, out.message.topic, info)) return true;
    countDrop(this.clientCounters_(session.clientId), 'not-authorized');
    return false;
  }

  /**
   * Writes one PUBLISH (or the PUBREL of a QoS 2 exchange on resend). A first transmission passes the
   * receive authorizer first; false when it refused.
   */
  writeOutgoing(connection: Connection, session: Session, out: Outgoing, resend: boolean): boolean {
    const counters = this.clientCounters_(session.clientId);
    if (resend && out.state === 'pubrel' && out.packetId !== undefined) {
      connection.writePacket({ cmd: 'pubrel', messageId: out.packetId });
      return true;
    }
    if (!resend && !this.mayReceive(connection, session, out)) return false;
    if (out.qos > 0 && out.packetId === undefined) {
      const packetId = session.nextPacketId();
      if (packetId === undefined) {
        session.queue.unshift(out);
        return true;
      }
      out.packetId = packetId;
    }
    const v5 = connection.protocolVersion === 5;
    // [MQTT-3.3.1-1] DUP on a resend of a QoS > 0 PUBLISH; [MQTT-3.3.1-3] never on a new one.
    const dup = resend && out.qos > 0;
    let buffer: Buffer | undefined;
    if (
      !v5 ||
      (out.message.expiresAt === undefined &&
        out.subscriptionIds.length === 0 &&
        connection.clientTopicAliasMaximum === 0 &&
        isEmpty(out.message.properties))
    ) {
      // The common case has no properties to send: encoded directly (encode.ts).
      buffer = encodePublish(
        out.message.topic,
        out.message.payload,
        out.qos,
        out.retain,
        dup,
        out.packetId,
        v5,
      );
    } else {
      buffer = this.encodePublishWithProperties(connection, out, dup);
    }
    if (out.qos > 0) {
      out.state = 'publish';
      session.inflight.set(out.packetId as number, out);
    }
    if (buffer === undefined) {
      connection.dropAlias();
      debug('cannot encode PUBLISH to %s', session.clientId);
      if (out.packetId !== undefined) session.inflight.delete(out.packetId);
      countDrop(counters, 'too-large');
      return true;
    }
    if (buffer.length > connection.clientMaxPacketSize) {
      // [MQTT-3.1.2-24, MQTT-3.1.2-25] too large for the client: discarded as if delivered.
      connection.dropAlias();
      if (out.packetId !== undefined) session.inflight.delete(out.packetId);
      countDrop(counters, 'too-large');
      return true;
    }
    connection.writeBuffer(buffer);
    connection.commitAlias();
    if (!resend) {
      counters.delivered++;
      this.counters.delivered++;
    }
    return true;
  }

  /** A v5 PUBLISH with properties (forwarded ones, remaining expiry, subscription ids), through mqtt-packet. */
  private encodePublishWithProperties(
    connection: Connection,
    out: Outgoing,
    dup: boolean,
  ): Buffer | undefined {
    const packet: IPublishPacket = {
      cmd: 'publish',
      topic: out.message.topic,
      payload: out.message.payload,
      qos: out.qos,
      retain: out.retain,
      // [MQTT-3.3.1-1] DUP on a resend of a QoS > 0 PUBLISH; [MQTT-3.3.1-3] never on a new one.
      dup,
    };
    const properties: NonNullable<IPublishPacket['properties']> = { ...out.message.properties };
    if (out.message.expiresAt !== undefined) {
      // [MQTT-3.3.2-6] the Message Expiry Interval is the remaining lifetime (M5-8).
      properties.messageExpiryInterval = Math.max(0, Math.ceil((out.message.expiresAt - Date.now()) / 1000));
    }
    if (out.subscriptionIds.length === 1)
      properties.subscriptionIdentifier = out.subscriptionIds[0] as number;
    else if (out.subscriptionIds.length > 1) properties.subscriptionIdentifier = out.subscriptionIds;
    if (connection.clientTopicAliasMaximum > 0) {
      // [MQTT-3.3.2-11] within the client's Topic Alias Maximum; a known alias goes without its topic.
      const alias = connection.outboundAlias(out.message.topic);
      if (alias !== undefined) {
        properties.topicAlias = alias.alias;
        if (alias.known) packet.topic = '';
      }
    }
    if (Object.keys(properties).length > 0) packet.properties = properties;
    if (out.packetId !== undefined) packet.messageId = out.packetId;
    try {
      return mqttPacket.generate(packet, { protocolVersion: connection.protocolVersion });
    } catch (error) {
      debug('cannot encode PUBLISH: %s', (error as Error).message);
      return undefined;
    }
  }

  /** Outbound acknowledgement: frees the window and sends what waits [MQTT-4.9.0-3]. */
  acknowledge(session: Session, packetId: number): boolean {
    if (!session.inflight.delete(packetId)) return false;
    this.pump(session);
    const connection = session.connection;
    if (connection) {
      if (connection.waiters !== undefined || connection.slow) this.maybeRelease(connection, session);
      // MQ-6: a member with room again takes the next messages of its groups' queues.
      if (this.groups.queuedGroups > 0) this.groups.drainFor(session);
    }
    return true;
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
    this.pruneRetained();
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

function isEmpty(object: object): boolean {
  for (const _ in object) return false;
  return true;
}
