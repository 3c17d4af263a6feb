/**
 * Profile `aws-iot`: the AWS IoT Core rules of docs/aws-iot-semantics.md that change
 * delivery. Rules that would slow a test run (C-4, QUO-5, MQ-7, PS-7) only apply with `realistic`.
 *
 * Limits modelled: 100 unacknowledged QoS 1 each way (Q-6, QUO-7, QUO-8: a full window holds the
 * rest back, it never drops them), stored messages of an offline persistent session "obey limits"
 * (PS-6: maxQueuedMessages, no documented number), the group queue (MQ-9, QUO-24) drained as fast as
 * members take them (MQ-6; MQ-7 pacing only with `realistic`), payload and topic sizes (P-1, T-3).
 */
import { BASE_SETTINGS, type BrokerSettings } from './settings.js';

export const AWS_IOT_SETTINGS: Readonly<BrokerSettings> = Object.freeze({
  ...BASE_SETTINGS,
  // K-1: keep alive 30..1200 s; 0 or above 1200 means 1200.
  minKeepAlive: 30,
  maxKeepAlive: 1200,
  keepAliveZeroToMax: true,
  // P-1: payload at most 128 KB; the advertised Maximum Packet Size sits a little above it.
  maxPayloadSize: 131_072,
  maxPacketSize: 149_504,
  // Not documented by AWS: an unconnected socket gets 10 s to complete CONNECT (emulator bound).
  connectTimeout: 10,
  // 100 unacknowledged QoS 1 messages each way.
  receiveMaximum: 100,
  maxInflightOut: 100,
  // QUO-25 / M5-1: topic alias maximum 8.
  topicAliasMaximum: 8,
  // PS-3 / QUO-10: persistent sessions expire after 1 h by default, capped at 7 days for MQTT 5.
  v3SessionExpiry: 3600,
  maxSessionExpiry: 604_800,
  // M5-3: QoS 2 is not supported.
  maximumQos: 1,
  v3Qos2Silent: true,
  // T-2 / DIFF-8: `a/#` does not match `a`.
  parentMatchesMultiLevel: false,
  // R-3 / DIFF-11: retained messages only for an exact-match filter.
  retainedForWildcards: false,
  // SS-14 / M5-7: No Local ignored; on a shared filter only a protocol error in strict mode.
  honourNoLocal: false,
  rejectSharedNoLocal: false,
  // M5-2: no subscription identifiers (DISCONNECT 0xA1).
  subscriptionIdentifiersAvailable: false,
  // PS-5: no cross-version resume.
  crossVersionResume: false,
  // SS-5, MQ-3: random choice among online members; MQ-1..MQ-9 group queue; MQ-12 default.
  sharedDistribution: 'random-online',
  sharedGroupQueue: true,
  sharedGroupQueueMax: 10_000,
  sharedGroupQueueExpiry: 3600,
  sharedInflightOnLeave: 'return-to-group',
  sharedDequeueRate: 20,
  // SS-13, T-4: reserved `$` namespace.
  reservedTopics: 'aws',
  // M5-9: Message Expiry Interval clamped to 1..604800 s.
  clampMessageExpiry: true,
  // C-1, C-2: 128-byte client ids, `$GEN/` assigned ids.
  maxClientIdLength: 128,
  assignedClientIdPrefix: '$GEN/',
  // POL-10: an invalid filter gets SUBACK 0x8F on MQTT 5 and closes MQTT 3.1.1 connections.
  invalidFilter: 'suback',
  // M5-6: DISCONNECT 0x90 Topic Name invalid.
  invalidTopicReasonCode: 0x90,
  // C-4, QUO-5, PS-7, QUO-13, QUO-4.
  connectRatePerClientId: 1,
  publishRatePerConnection: 100,
  sessionResumeRate: 10,
  maxFiltersPerSubscribe: 8,
  maxSubscriptionsPerClient: 50,
  // T-3 / QUO-17: 256-byte topics with at most 7 slashes, prefixes excluded (SS-3).
  maxTopicBytes: 256,
  maxTopicSlashes: 7,
  // SS-2: ShareName at most 128 characters; SS-11 / QUO-23: members per group (believed 100).
  maxShareNameLength: 128,
  maxSharedSubscribersPerGroup: 100,
  // LC-1: lifecycle events are always on.
  lifecycleEvents: true,
});
