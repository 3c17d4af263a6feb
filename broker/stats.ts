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
