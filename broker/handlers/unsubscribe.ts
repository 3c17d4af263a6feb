/** UNSUBSCRIBE → UNSUBACK [MQTT-3.10], [MQTT-3.11]: MQTT 5 reason 0x11 when nothing was subscribed. */
import type { IUnsubscribePacket } from 'mqtt-packet';
import type { BrokerCore } from '../broker-core.js';
import type { Connection } from '../connection.js';

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
  const codes: number[] = [];
  for (const filter of packet.unsubscriptions) {
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
  if (connection.protocolVersion === 5) {
    connection.writePacket({ cmd: 'unsuback', messageId: packet.messageId as number, granted: codes });
  } else {
    connection.writePacket({ cmd: 'unsuback', messageId: packet.messageId as number, granted: [] });
  }
  broker.emit('unsubscribed', connection, packet.unsubscriptions);
}
