/** PUBREC from a client: first half of an outbound QoS 2 exchange; answer PUBREL [MQTT-4.3.3-4]. */
import type { IPubrecPacket } from 'mqtt-packet';
import type { BrokerCore } from '../broker-core.js';
import type { Connection } from '../connection.js';

export function handlePubrec(broker: BrokerCore, connection: Connection, packet: IPubrecPacket): void {
  const session = connection.session;
  if (!session || packet.messageId === undefined) return;
  const out = session.inflight.get(packet.messageId);
  if (out?.qos !== 2) {
    // MQTT 5: PUBREL 0x92 Packet Identifier not found.
    if (connection.protocolVersion === 5) {
      connection.writePacket({ cmd: 'pubrel', messageId: packet.messageId, reasonCode: 0x92 });
    } else {
      connection.writePacket({ cmd: 'pubrel', messageId: packet.messageId });
    }
    return;
  }
  if ((packet.reasonCode ?? 0) >= 0x80) {
    // MQTT 5 section 4.3.3: a PUBREC with a reason code >= 0x80 ends the exchange: the packet id is free again.
    broker.acknowledge(session, packet.messageId);
    return;
  }
  out.state = 'pubrel';
  connection.writePacket({ cmd: 'pubrel', messageId: packet.messageId });
}
