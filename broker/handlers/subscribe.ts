/**
 * SUBSCRIBE → SUBACK [MQTT-3.8], [MQTT-3.9]: per-filter validation and reason codes, shared
 * subscriptions (SS-1..SS-8), subscription replacement [MQTT-3.8.4-3], then retained messages by
 * Retain Handling [MQTT-3.3.1-9..11] (R-3 exact match on aws-iot, SS-8 none for shared filters).
 */
import type { ISubscribePacket, QoS } from 'mqtt-packet';
import { decisionAllows, refusalCode, refusalDisconnects, type SubscribeRequest } from '../authorizer.js';
import type { BrokerCore } from '../broker-core.js';
import type { Connection } from '../connection.js';
import type { Subscription } from '../session-store.js';
import { isValidTopicFilter, parseSharedFilter, topicLimitProblem } from '../topic.js';

export function handleSubscribe(broker: BrokerCore, connection: Connection, packet: ISubscribePacket): void {
  const session = connection.session;
  if (!session) return;
  const settings = broker.settings;
  const v5 = connection.protocolVersion === 5;
  const messageId = packet.messageId as number;
  if (!messageId) {
    // [MQTT-2.2.1-3] SUBSCRIBE needs a non-zero packet identifier.
    connection.protocolViolation(0x82, 'SUBSCRIBE without a packet identifier');
    return;
  }
  if (packet.subscriptions.length === 0) {
    // [MQTT-3.8.3-2] (MQTT 5) / [MQTT-3.8.3-3] (3.1.1): a SUBSCRIBE needs at least one filter.
    connection.protocolViolation(0x82, 'SUBSCRIBE without topic filters');
    return;
  }
  const subscriptionId = v5 ? packet.properties?.subscriptionIdentifier : undefined;
  if (subscriptionId === 0) {
    // MQTT 5 section 3.8.2.1.2: a Subscription Identifier of 0 is a protocol error.
    connection.protocolViolation(0x82, 'Subscription Identifier 0');
    return;
  }
  if (subscriptionId !== undefined && !settings.subscriptionIdentifiersAvailable) {
    // M5-2: Subscription Identifiers not supported: DISCONNECT 0xA1.
    connection.protocolViolation(0xa1, 'subscription identifiers are not supported');
    return;
  }
  if (
    !v5 &&
    settings.v3Qos2Silent &&
    settings.maximumQos < 2 &&
    packet.subscriptions.some((s) => s.qos === 2)
  ) {
    // a QoS 2 SUBSCRIBE gets no SUBACK on AWS IoT (MQTT 3.1.1).
    return;
  }
  if (settings.maxFiltersPerSubscribe > 0 && packet.subscriptions.length > settings.maxFiltersPerSubscribe) {
    // QUO-13 (I8): more filters than allowed in one SUBSCRIBE.
    if (v5) {
      connection.writePacket({ cmd: 'suback', messageId, granted: packet.subscriptions.map(() => 0x97) });
    } else {
      connection.protocolViolation(0x97, 'too many filters in one SUBSCRIBE');
    }
    return;
  }

  const granted: number[] = [];
  const added: Array<{ sub: Subscription; isNew: boolean }> = [];
  const failure = (v5code: number): void => {
    granted.push(v5 ? v5code : 0x80);
  };
  for (const wanted of packet.subscriptions) {
    const filter = wanted.topic;
    const shared = parseSharedFilter(filter, settings.maxTopicLevels);
    if (
      shared === 'invalid' ||
      (shared === null && !isValidTopicFilter(filter, settings.maxTopicLevels)) ||
      // SS-2: ShareName at most maxShareNameLength UTF-8 characters.
      (shared !== null &&
        settings.maxShareNameLength > 0 &&
        [...shared.shareName].length > settings.maxShareNameLength)
    ) {
      // [MQTT-4.7.1-1], [MQTT-4.7.1-2], [MQTT-4.7.3-1], [MQTT-4.8.2-1], [MQTT-4.8.2-2], SS-2, maxTopicLevels.
      if (settings.invalidFilter === 'disconnect' || !v5) {
        connection.protocolViolation(0x81, `malformed topic filter "${filter}"`);
        return;
      }
      failure(0x8f);
      continue;
    }
    if (settings.maxTopicBytes > 0 || settings.maxTopicSlashes > 0) {
      // T-3 / QUO-17 (SS-2 for the TopicFilter): counted without the `$share/{name}/` prefix (SS-3).
      const problem = topicLimitProblem(
        shared ? shared.topicFilter : filter,
        settings.maxTopicBytes,
        settings.maxTopicSlashes,
      );
      if (problem !== undefined) {
        // MQTT 5 SUBACK 0x8F Topic Filter invalid; MQTT 3.1.1 has no such code: disconnect (T-3).
        if (!v5) {
          connection.protocolViolation(0x8f, `topic filter "${filter}" is too long: ${problem}`);
          return;
        }
        failure(0x8f);
        continue;
      }
    }
    if (v5 && shared && wanted.nl && settings.rejectSharedNoLocal) {
      // [MQTT-3.8.3-4] No Local on a shared subscription is a protocol error.
      connection.protocolViolation(0x82, 'No Local on a shared subscription');
      return;
    }
    if (
      settings.reservedTopics === 'aws' &&
      !shared &&
      filter.startsWith('$') &&
      !filter.startsWith('$aws/')
    ) {
      // T-4: `$` filters other than the AWS-defined ones are refused.
      failure(0x8f);
      continue;
    }
    // The authorization seam: the filter as sent (POL-4) plus the filter inside `$share/{ShareName}/`,
    // so a rule on `secret/#` also governs `$share/g/secret/#`.
    const authRequest: SubscribeRequest = {
      qos: wanted.qos,
      topicFilter: shared ? shared.topicFilter : filter,
    };
    if (shared) authRequest.shareName = shared.shareName;
    const decision = broker.authorizer?.subscribe?.(connection.identity, filter, authRequest);
    if (!decisionAllows(decision)) {
      const code = refusalCode(decision);
      if (refusalDisconnects(decision)) {
        connection.protocolViolation(code, `not authorized to subscribe to "${filter}"`);
        return;
      }
      failure(code);
      continue;
    }
    const existing = session.subscriptions.get(filter);
    if (
      !existing &&
      settings.maxSubscriptionsPerClient > 0 &&
      session.subscriptions.size >= settings.maxSubscriptionsPerClient
    ) {
      // QUO-4: subscriptions per connection.
      failure(0x97);
      continue;
    }
    if (shared && settings.maxSharedSubscribersPerGroup > 0) {
      const group = broker.groups.get(`${shared.shareName}/${shared.topicFilter}`);
      if (
        group &&
        !group.members.has(session.clientId) &&
        group.members.size >= settings.maxSharedSubscribersPerGroup
      ) {
        // SS-11 / QUO-23: the group is full: SUBACK 0x97 Quota exceeded (MQTT 5), 0x80 (3.1.1).
        failure(0x97);
        continue;
      }
    }
    // [MQTT-3.2.2-10]/[MQTT-3.8.4-8]: granted QoS is capped at the Maximum QoS.
    const qos = Math.min(wanted.qos, settings.maximumQos) as QoS;
    const sub: Subscription = {
      filter,
      topicFilter: shared ? shared.topicFilter : filter,
      qos,
      noLocal: v5 ? wanted.nl === true : false,
      retainAsPublished: v5 ? wanted.rap === true : false,
      retainHandling: (v5 ? (wanted.rh ?? 0) : 0) as 0 | 1 | 2,
    };
    if (shared) sub.shareName = shared.shareName;
    if (subscriptionId !== undefined) sub.subscriptionId = subscriptionId;
    // [MQTT-3.8.4-3] an identical filter replaces the old subscription (PS-11: no second membership).
    if (existing && existing.shareName === undefined && sub.shareName === undefined) {
      broker.removeSubscription(session, existing);
    }
    broker.addSubscription(session, sub);
    granted.push(qos);
    added.push({ sub, isNew: !existing });
  }

  connection.writePacket({ cmd: 'suback', messageId, granted });
  broker.emit(
    'subscribed',
    connection,
    added.map((a) => a.sub),
  );

  for (const { sub, isNew } of added) {
    if (sub.shareName !== undefined) {
      // MQ-6: a new member (clean session too) drains the group queue, after its SUBACK.
      const group = broker.groups.get(`${sub.shareName}/${sub.topicFilter}`);
      if (group) broker.groups.drain(group);
      // SS-8: no retained messages for a shared subscription at subscribe time.
      continue;
    }
    // [MQTT-3.3.1-9] RH 0 always, [MQTT-3.3.1-10] RH 1 only for a new subscription, [MQTT-3.3.1-11] RH 2 never.
    if (sub.retainHandling === 2 || (sub.retainHandling === 1 && !isNew)) continue;
    for (const message of broker.retainedFor(sub.topicFilter)) {
      // [MQTT-3.3.1-8] / R-4: retained messages sent because of a new subscription carry RETAIN=1.
      broker.deliver(session, message, {
        qos: Math.min(message.qos, sub.qos) as QoS,
        retain: true,
        subscriptionIds: sub.subscriptionId ? [sub.subscriptionId] : [],
        filter: sub.filter,
      });
    }
  }
}
