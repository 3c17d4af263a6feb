/**
 * UNSUBSCRIBE → UNSUBACK [MQTT-3.10], [MQTT-3.11]: MQTT 5 reason 0x11 when nothing was subscribed;
 * no filters is a Protocol Error; an empty or malformed filter is treated like one in SUBSCRIBE
 * (settings.invalidFilter: Malformed Packet as Mosquitto 2 does, or MQTT 5 UNSUBACK 0x8F, POL-10).
 */
import type { IUnsubscribePacket } from 'mqtt-packet';
import type { BrokerCore } from '../broker-core.js';
import type { Connection } from '../connection.js';
import { isValidTopicFilter, parseSharedFilter } from '../topic.js';

export function handleUnsubscribe(
  broker: BrokerCore,
  connection: Connection,
  packet: IUnsubscribePacket,
): void {
  const session = connection.session;
  if (!session) return;
  if (!packet.messageId) {
    // [MQTT-2.2.1-3] UNSUBSCRIBE needs a non-zero packet identifier.
    connection.protocolViolation(0x82, 'UNSUBSCRIBE without a packet identifier');
    return;
  }
  if (packet.unsubscriptions.length === 0) {
    // [MQTT-3.10.3-2]: an UNSUBSCRIBE needs at least one filter.
    connection.protocolViolation(0x82, 'UNSUBSCRIBE without topic filters');
    return;
  }
  const settings = broker.settings;
  const v5 = connection.protocolVersion === 5;
  const codes: number[] = [];
  for (const filter of packet.unsubscriptions) {
    const shared = parseSharedFilter(filter, settings.maxTopicLevels);
    if (shared === 'invalid' || (shared === null && !isValidTopicFilter(filter, settings.maxTopicLevels))) {
      // [MQTT-4.7.3-1], [MQTT-4.7.1-1], [MQTT-4.7.1-2]: not a topic filter.
      if (settings.invalidFilter === 'disconnect' || !v5) {
        connection.protocolViolation(0x81, `malformed topic filter "${filter}" in UNSUBSCRIBE`);
        return;
      }
      codes.push(0x8f);
      continue;
    }
    const sub = session.subscriptions.get(filter);
    if (sub) {
      // [MQTT-3.10.4-2] deliveries for this filter stop; MQ-2: a member leaves its group.
      broker.removeSubscription(session, sub);
      session.subscriptions.delete(filter);
      codes.push(0);
    } else {
      codes.push(0x11);
    }
  }
  // [MQTT-3.10.4-4] UNSUBACK even when nothing matched; [MQTT-3.10.4-5] same packet id.
  if (v5) {
    connection.writePacket({ cmd: 'unsuback', messageId: packet.messageId as number, granted: codes });
  } else {
    connection.writePacket({ cmd: 'unsuback', messageId: packet.messageId as number, granted: [] });
  }
  broker.emit('unsubscribed', connection, packet.unsubscriptions);
}
