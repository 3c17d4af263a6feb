/**
 * Profile `mosquitto`: Mosquitto 2.x defaults. Shared groups deliver round-robin over every member,
 * offline persistent members included (their share waits in their own session queue); each session
 * queues at most 1000 messages (max_queued_messages) and drops beyond; 20 messages in flight per
 * client (max_inflight_messages); MQTT 3.1.1 persistent sessions never expire
 * (persistent_client_expiration unset).
 *
 * Limits modelled: max_queued_messages (maxQueuedMessages, offline sessions and subscribers that
 * stopped reading), max_inflight_messages (maxInflightOut / receiveMaximum), max_packet_size.
 * A subscriber that reads is never dropped for a burst: Mosquitto's single event loop ties intake to
 * output, which the backpressure settings (backpressureHighWater*, slowSubscriberTimeout) stand for.
 */
import { BASE_SETTINGS, type BrokerSettings } from './settings.js';

export const MOSQUITTO_SETTINGS: Readonly<BrokerSettings> = Object.freeze({
  ...BASE_SETTINGS,
  // Mosquitto 2.0.11 closed a socket that sent no CONNECT (or only part of one) after ~90 s in a
  // side-by-side probe (1.5 x its 60 s default keep alive).
  connectTimeout: 90,
  // Mosquitto's topic hierarchy limit (TOPIC_HIERARCHY_LIMIT 200).
  maxTopicLevels: 200,
  receiveMaximum: 20,
  maxInflightOut: 20,
  // max_queued_messages 1000 (Mosquitto default).
  maxQueuedMessages: 1000,
  topicAliasMaximum: 10,
  sharedDistribution: 'round-robin',
  sharedGroupQueue: false,
  assignedClientIdPrefix: 'auto-',
  noMatchingSubscribersReason: true,
  // Checked side by side with Mosquitto 2.0.11: an MQTT 5 client with `a/#` and `a/b` gets two
  // copies of `a/b` (one per subscription, its QoS and identifier), an MQTT 3.1.1 client one;
  // server DISCONNECTs carry no Reason String.
  overlapDelivery: 'per-subscription',
  // Mosquitto 2 assigns no outbound topic aliases.
  outboundTopicAliases: false,
  disconnectReasonString: false,
  // Mosquitto 2.0.11 closes a taken-over connection without DISCONNECT 0x8E (checked side by side).
  takeoverDisconnect: false,
  reservedTopics: 'mosquitto',
});
