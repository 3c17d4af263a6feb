/**
 * Inbound PUBLISH [MQTT-3.3]: topic aliases, validation, authorization, retained storage, routing
 * and the QoS 1 / QoS 2 receiver side (PUBACK, PUBREC) [MQTT-4.3.2], [MQTT-4.3.3].
 */
import type { IPublishPacket } from 'mqtt-packet';
import { decisionAllows, refusalCode, refusalDisconnects } from '../authorizer.js';
import type { BrokerCore } from '../broker-core.js';
import type { Connection } from '../connection.js';
import type { BrokerMessage, ForwardedProperties } from '../session-store.js';
import { isValidTopicName, topicLimitProblem } from '../topic.js';
import { clampExpiry, isReservedForPublish } from './connect.js';

export function handlePublish(broker: BrokerCore, connection: Connection, packet: IPublishPacket): void {
  const session = connection.session;
  if (!session) return;
  const settings = broker.settings;
  const v5 = connection.protocolVersion === 5;
  const qos = packet.qos;

  if (qos > 0 && !packet.messageId) {
    // [MQTT-2.2.1-3] QoS > 0 needs a non-zero packet identifier.
    connection.protocolViolation(0x82, 'QoS > 0 PUBLISH without a packet identifier');
    return;
  }
  if (qos === 0 && packet.dup) {
    // [MQTT-3.3.1-2] DUP must be 0 on a QoS 0 PUBLISH.
    connection.protocolViolation(0x81, 'DUP set on a QoS 0 PUBLISH');
    return;
  }
  if (qos > settings.maximumQos) {
    // [MQTT-3.2.2-11] QoS above Maximum QoS: DISCONNECT 0x9B; MQTT 3.1.1 on aws-iot: ignored, no PUBACK.
    if (v5 || !settings.v3Qos2Silent) {
      connection.protocolViolation(0x9b, 'QoS 2 is not supported');
    } else {
      broker.countClientDrop(session.clientId, 'qos-not-supported');
    }
    return;
  }

  if (v5 && packet.properties?.subscriptionIdentifier !== undefined) {
    // [MQTT-3.3.4-6] a client PUBLISH must not carry a Subscription Identifier.
    connection.protocolViolation(0x82, 'Subscription Identifier in a client PUBLISH');
    return;
  }
  let topic = packet.topic;
  const alias = v5 ? packet.properties?.topicAlias : undefined;
  if (alias !== undefined) {
    // [MQTT-3.3.2-8] alias 0 and [MQTT-3.3.2-9] above Topic Alias Maximum: DISCONNECT 0x94 (M5-4).
    if (alias === 0 || alias > settings.topicAliasMaximum) {
      connection.protocolViolation(0x94, `topic alias ${alias} is invalid`);
      return;
    }
    if (topic.length > 0) {
      connection.topicAliases ??= new Map();
      connection.topicAliases.set(alias, topic);
    } else {
      const known = connection.topicAliases?.get(alias);
      if (known === undefined) {
        // MQTT 5 section 3.3.2.3.4: an empty topic with an alias that has no mapping is a protocol error.
        connection.protocolViolation(0x82, `topic alias ${alias} has no mapping`);
        return;
      }
      topic = known;
    }
  }
  if (!isValidTopicName(topic, settings.maxTopicLevels)) {
    // [MQTT-3.3.2-2] wildcards in a topic name; [MQTT-4.7.3-1] empty topic; more levels than maxTopicLevels.
    connection.protocolViolation(settings.invalidTopicReasonCode, `invalid topic name "${topic}"`);
    return;
  }
  if (isReservedForPublish(settings.reservedTopics, topic)) {
    // SS-13 (I4), T-4: publishing to `$share/...` or another reserved `$` topic disconnects.
    connection.protocolViolation(0x90, `publishing to reserved topic "${topic}" is not allowed`);
    return;
  }
  const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
  if (settings.maxPayloadSize > 0 && payload.length > settings.maxPayloadSize) {
    // P-1: payload over 128 KB: CLIENT_ERROR disconnect.
    connection.protocolViolation(
      0x95,
      `payload of ${payload.length} bytes exceeds ${settings.maxPayloadSize}`,
    );
    return;
  }
  if (qos === 2 && !session.inboundQos2?.has(packet.messageId ?? 0)) {
    // [MQTT-3.3.4-9] more unacknowledged QoS 2 PUBLISHes than Receive Maximum: DISCONNECT 0x93.
    if ((session.inboundQos2?.size ?? 0) >= settings.receiveMaximum) {
      connection.protocolViolation(0x93, 'receive maximum exceeded');
      return;
    }
  }

  const ack = (reasonCode: number): void => {
    if (qos === 0) return;
    const cmd = qos === 1 ? 'puback' : 'pubrec';
    if (v5) connection.writePacket({ cmd, messageId: packet.messageId as number, reasonCode });
    else connection.writePacket({ cmd, messageId: packet.messageId as number });
  };

  if (settings.maxTopicBytes > 0 || settings.maxTopicSlashes > 0) {
    const problem = topicLimitProblem(topic, settings.maxTopicBytes, settings.maxTopicSlashes);
    if (problem !== undefined) {
      // T-3 / QUO-17: MQTT 5 PUBACK/PUBREC 0x90 Topic Name invalid and the message is dropped; MQTT 3.1.1 is disconnected.
      if (!v5) {
        connection.protocolViolation(0x90, `topic "${topic}" is too long: ${problem}`);
        return;
      }
      broker.countClientDrop(session.clientId, 'too-large');
      ack(0x90);
      return;
    }
  }

  const decision = broker.authorizer?.publish?.(connection.identity, topic, { qos, retain: packet.retain });
  if (!decisionAllows(decision)) {
    const code = refusalCode(decision);
    if (refusalDisconnects(decision)) {
      connection.protocolViolation(code, `not authorized to publish to "${topic}"`);
      return;
    }
    // MQTT 5: PUBACK/PUBREC 0x87 (Q-7, POL-10); MQTT 3.1.1 has no negative ack: acked and dropped.
    ack(v5 ? code : 0);
    return;
  }

  if (settings.reservedTopics === 'mosquitto' && (topic.startsWith('$SYS') || topic.startsWith('$share/'))) {
    // Mosquitto 2 refuses client publishes to its `$SYS` tree and to `$share/...` (PUBACK 0x87).
    broker.countClientDrop(session.clientId, 'not-authorized');
    ack(v5 ? 0x87 : 0);
    return;
  }

  if (settings.realistic && settings.publishRatePerConnection > 0) {
    // QUO-5: publishes per second per connection; the excess is discarded.
    if (!connection.takePublishToken(settings.publishRatePerConnection)) {
      broker.countClientDrop(session.clientId, 'rate-limited');
      ack(v5 ? 0x97 : 0);
      return;
    }
  }

  if (qos === 2) {
    const packetId = packet.messageId as number;
    if (session.inboundQos2?.has(packetId)) {
      // [MQTT-4.3.3-9] a resent QoS 2 PUBLISH before PUBREL is not delivered again.
      ack(0);
      return;
    }
    session.inboundQos2 ??= new Set();
    session.inboundQos2.add(packetId);
  }

  const message: BrokerMessage = {
    topic,
    payload,
    qos,
    retain: packet.retain,
    properties: v5 ? forwardedProperties(packet.properties) : {},
    origin: session.clientId,
  };
  const expiry = v5 ? packet.properties?.messageExpiryInterval : undefined;
  if (expiry !== undefined) message.expiresAt = Date.now() + clampExpiry(broker, expiry) * 1000;
  const matched = broker.publishFrom(connection, message);
  // Mosquitto answers a QoS 1 PUBLISH nobody receives with PUBACK 0x10 (its PUBREC stays 0x00).
  ack(qos === 1 && matched === 0 && settings.noMatchingSubscribersReason ? 0x10 : 0);
}

/** Properties forwarded to subscribers; Topic Alias is per connection and never forwarded. */
function forwardedProperties(properties: IPublishPacket['properties']): ForwardedProperties {
  if (!properties) return {};
  const result: ForwardedProperties = {};
  if (properties.payloadFormatIndicator !== undefined)
    result.payloadFormatIndicator = properties.payloadFormatIndicator;
  if (properties.contentType !== undefined) result.contentType = properties.contentType;
  if (properties.responseTopic !== undefined) result.responseTopic = properties.responseTopic;
  if (properties.correlationData !== undefined) result.correlationData = properties.correlationData;
  if (properties.userProperties !== undefined) result.userProperties = properties.userProperties;
  return result;
}
