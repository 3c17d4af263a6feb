/**
 * Delivery: a PUBLISH routed to every matching session and `$share` group, then handed to one
 * session at a time (written now when the window allows, queued or dropped otherwise), and the
 * outbound window freed again by an acknowledgement. Writing is outgoing.ts; holding publishers back
 * while a subscriber is over its high-water mark is backpressure.ts.
 */
import type { QoS } from 'mqtt-packet';
import type { Backpressure } from './backpressure.js';
import type { OutgoingWriter } from './outgoing.js';
import type { ResolvedBrokerSettings } from './profiles/settings.js';
import type { RetainedStore } from './retained.js';
import type { BrokerMessage, Outgoing, Session, SessionStore, Subscription } from './session-store.js';
import type { SharedGroups } from './shared-groups.js';
import { type CounterBook, countDrop } from './stats.js';
import type { SubscriptionIndex } from './subscription-index.js';

/** How a message reaches one session. */
export interface DeliveryOptions {
  qos: QoS;
  retain: boolean;
  subscriptionIds: number[];
  group?: string;
  /** Filter that matched, for the receive authorizer. */
  filter: string;
  shareName?: string;
}

/** The broker's parts that delivery works with (the core owns them). */
export interface DeliveryParts {
  readonly settings: ResolvedBrokerSettings;
  readonly sessions: SessionStore;
  readonly index: SubscriptionIndex;
  readonly groups: SharedGroups;
  readonly retained: RetainedStore;
  readonly counters: CounterBook;
  readonly outgoing: OutgoingWriter;
  readonly backpressure: Backpressure;
}

/** The member is online and would send a message now (GroupHost.hasRoom: window open, nothing queued). */
export function hasRoom(session: Session): boolean {
  const connection = session.connection;
  return (
    connection !== null &&
    !connection.closed &&
    session.queue.length === 0 &&
    session.inflight.size < connection.outWindow &&
    session.resumeTimer === undefined
  );
}

export class Delivery {
  readonly #parts: DeliveryParts;

  constructor(parts: DeliveryParts) {
    this.#parts = parts;
  }

  /**
   * Routes one message to every matching subscription and shared group; returns how many
   * sessions/groups it went to. One copy per client with the highest QoS and every subscription
   * identifier of the overlapping subscriptions [MQTT-3.3.4-2, MQTT-3.3.4-3, MQTT-3.3.4-5].
   */
  publish(message: BrokerMessage): number {
    const { settings, sessions, groups } = this.#parts;
    this.#parts.counters.received++;
    if (message.retain) this.#parts.retained.store(message);
    const perClient = new Map<string, DeliveryOptions>();
    /** Further copies for overlapping subscriptions (overlapDelivery 'per-subscription', MQTT 5 clients). */
    let extra: Array<[string, DeliveryOptions]> | undefined;
    const perSubscription = settings.overlapDelivery === 'per-subscription';
    let matched = 0;
    for (const entry of this.#parts.index.match(message.topic)) {
      for (const [clientId, sub] of entry.plain) {
        // [MQTT-3.8.3-3] No Local: not back to the publisher (AWS ignores it, SS-14).
        if (sub.noLocal && settings.honourNoLocal && message.origin === clientId) continue;
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
        } else if (perSubscription && sessions.get(clientId)?.protocolVersion === 5) {
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
        const group = groups.get(key);
        if (!group) continue;
        matched++;
        // SS-6: one copy per matching group; SS-16: delivered with the real topic name.
        groups.dispatch(group, message);
      }
    }
    for (const [clientId, options] of perClient) {
      const session = sessions.get(clientId);
      if (!session) continue;
      matched++;
      this.deliver(session, message, options);
    }
    if (extra !== undefined) {
      for (const [clientId, options] of extra) {
        const session = sessions.get(clientId);
        if (session) this.deliver(session, message, options);
      }
    }
    return matched;
  }

  /** Delivery through a shared group (GroupHost.deliver). */
  deliverToSession(session: Session, message: BrokerMessage, sub: Subscription, groupKey: string): boolean {
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
    const { settings, backpressure } = this.#parts;
    const counters = this.#parts.counters.client(session.clientId);
    const connection = session.connection;
    if (message.expiresAt !== undefined && message.expiresAt <= Date.now()) {
      countDrop(counters, 'expired');
      return true;
    }
    const limit = settings.realistic ? settings.publishRatePerConnection : 0;
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
    if (connection && out.qos === 0 && connection.stream.writableLength > settings.slowConsumerBytes) {
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
      const written = this.#parts.outgoing.write(connection, session, out, false);
      if (backpressure.routingIntake) backpressure.hold(connection, session);
      return written;
    }
    if (out.qos === 0 && !(settings.queueQos0Offline && !connection)) {
      countDrop(counters, 'offline');
      return true;
    }
    if (session.queue.length >= settings.maxQueuedMessages) {
      // Offline (Mosquitto max_queued_messages, PS-6 "storage obeys limits"), or online and marked slow.
      countDrop(counters, connection?.slow ? 'slow-consumer' : 'queue-full');
      return true;
    }
    session.queue.push(out);
    counters.queued++;
    if (connection && backpressure.routingIntake) backpressure.hold(connection, session);
    return true;
  }

  /** Outbound acknowledgement: frees the window and sends what waits [MQTT-4.9.0-3]. */
  acknowledge(session: Session, packetId: number): boolean {
    if (!session.inflight.delete(packetId)) return false;
    this.#parts.outgoing.pump(session);
    const connection = session.connection;
    if (connection) {
      if (connection.waiters !== undefined || connection.slow) {
        this.#parts.backpressure.maybeRelease(connection, session);
      }
      // MQ-6: a member with room again takes the next messages of its groups' queues.
      if (this.#parts.groups.queuedGroups > 0) this.#parts.groups.drainFor(session);
    }
    return true;
  }
}
