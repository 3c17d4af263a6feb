/**
 * Broker counters per client and per shared group (MQ-10), readable in-process so scenarios can
 * assert them. `delivered` = PUBLISH packets sent to a client (first transmission), `queued` = put in
 * a session or group queue, `dequeued` = taken out of a queue and sent, `dropped` = discarded, by reason.
 */

export type DropReason =
  /** Session queue at maxQueuedMessages (Mosquitto max_queued_messages). */
  | 'queue-full'
  /** Group queue at sharedGroupQueueMax (MQ-9 tail drop). */
  | 'group-queue-full'
  /** Message Expiry Interval ran out before delivery [MQTT-3.3.2-5], MQ-8, PS-8. */
  | 'expired'
  /** QoS 0 for an offline session, or a group with nobody to take it (SS-9). */
  | 'offline'
  /** Larger than the client's Maximum Packet Size [MQTT-3.1.2-25]. */
  | 'too-large'
  /** The authorizer refused the delivery (receive). */
  | 'not-authorized'
  /** The session ended (expiry, clean start) with messages still queued. */
  | 'session-ended'
  /** QoS 0 to a client whose socket is not draining (slow consumer). */
  | 'slow-consumer'
  /** Per-connection publish rate (QUO-5) when realistic. */
  | 'rate-limited'
  /** QoS 2 publish ignored where QoS 2 is not supported. */
  | 'qos-not-supported';

export interface Counters {
  delivered: number;
  queued: number;
  dequeued: number;
  dropped: Partial<Record<DropReason, number>>;
}

export type GroupCounters = Counters & {
  /** Messages currently waiting in the group queue (MQ-5). */
  queueLength: number;
  members: number;
  onlineMembers: number;
};

export type ClientCounters = Counters & {
  /** Messages waiting in the session queue (offline or window full). */
  queueLength: number;
  inflight: number;
  connected: boolean;
};

export type BrokerStats = {
  clients: Record<string, ClientCounters>;
  /** Keyed by `{ShareName}/{TopicFilter}` (SS-4). */
  groups: Record<string, GroupCounters>;
  totals: Counters & { connections: number; sessions: number; retained: number; received: number };
};

export function createCounters(): Counters {
  return { delivered: 0, queued: 0, dequeued: 0, dropped: {} };
}

export function countDrop(counters: Counters, reason: DropReason, n = 1): void {
  counters.dropped[reason] = (counters.dropped[reason] ?? 0) + n;
}

/** Ended sessions whose per-client counters a snapshot still lists. */
const RETIRED_CLIENTS_MAX = 1000;

/** What a snapshot needs to know of a live session. */
interface SessionShape {
  clientId: string;
  queue: { length: number };
  inflight: { size: number };
  connection: unknown;
}

/**
 * The broker's counters: per client id, per `$share` group and in total. Counters of ended
 * sessions are kept for the last RETIRED_CLIENTS_MAX client ids (a run's report still sees clients
 * that are gone); older ones only live on in a total, so memory per client id goes when its
 * session goes.
 */
export class CounterBook {
  private readonly live = new Map<string, Counters>();
  private readonly retired = new Map<string, Counters>();
  private readonly retiredTotals = createCounters();
  private readonly groupMap = new Map<string, Counters>();
  /** Deliveries in total (counted once per delivery, not per client). */
  delivered = 0;
  /** PUBLISH packets received from clients. */
  received = 0;

  client(clientId: string): Counters {
    let counters = this.live.get(clientId);
    if (!counters) {
      // A client id that comes back continues its counts.
      counters = this.retired.get(clientId) ?? createCounters();
      this.retired.delete(clientId);
      this.live.set(clientId, counters);
    }
    return counters;
  }

  /** The session of `clientId` ended: its counters move to the bounded list of ended ones. */
  retire(clientId: string): void {
    const counters = this.live.get(clientId);
    if (!counters) return;
    this.live.delete(clientId);
    this.retired.set(clientId, counters);
    if (this.retired.size > RETIRED_CLIENTS_MAX) {
      const [oldest, old] = this.retired.entries().next().value as [string, Counters];
      this.retired.delete(oldest);
      addCounters(this.retiredTotals, old);
    }
  }

  group(key: string): Counters {
    let counters = this.groupMap.get(key);
    if (!counters) {
      counters = createCounters();
      this.groupMap.set(key, counters);
    }
    return counters;
  }

  /** Per-client counters with each live session's queue, in-flight count and connection. */
  clients(sessions: { get(clientId: string): SessionShape | undefined; values(): Iterable<SessionShape> }) {
    const clients: Record<string, ClientCounters> = {};
    for (const [clientId, counters] of this.retired) {
      clients[clientId] = { ...structuredClone(counters), queueLength: 0, inflight: 0, connected: false };
    }
    for (const [clientId, counters] of this.live) {
      const session = sessions.get(clientId);
      clients[clientId] = {
        ...structuredClone(counters),
        queueLength: session?.queue.length ?? 0,
        inflight: session?.inflight.size ?? 0,
        connected: session?.connection != null,
      };
    }
    for (const session of sessions.values()) {
      if (clients[session.clientId]) continue;
      clients[session.clientId] = {
        ...createCounters(),
        queueLength: session.queue.length,
        inflight: session.inflight.size,
        connected: session.connection !== null,
      };
    }
    return clients;
  }

  /** Per-group counters with each group's shape (members, online members, queue). */
  groups(shapeOf: (key: string) => Pick<GroupCounters, 'members' | 'onlineMembers' | 'queueLength'>) {
    const groups: Record<string, GroupCounters> = {};
    for (const [key, counters] of this.groupMap)
      groups[key] = { ...structuredClone(counters), ...shapeOf(key) };
    return groups;
  }

  /** Every client's counters added up, ended ones included. */
  totals(): Counters {
    const totals = createCounters();
    addCounters(totals, this.retiredTotals);
    for (const counters of this.live.values()) addCounters(totals, counters);
    for (const counters of this.retired.values()) addCounters(totals, counters);
    totals.delivered = this.delivered;
    return totals;
  }
}

function addCounters(into: Counters, from: Counters): void {
  into.queued += from.queued;
  into.dequeued += from.dequeued;
  for (const [reason, n] of Object.entries(from.dropped)) {
    countDrop(into, reason as DropReason, n);
  }
}
