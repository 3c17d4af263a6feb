/** PUBREL from a client: release an inbound QoS 2 packet id and answer PUBCOMP [MQTT-4.3.3-11]. */
import type { IPubrelPacket } from 'mqtt-packet';
import type { BrokerCore } from '../broker-core.js';
import type { Connection } from '../connection.js';

export function handlePubrel(_broker: BrokerCore, connection: Connection, packet: IPubrelPacket): void {
  const session = connection.session;
  if (!session || packet.messageId === undefined) return;
  const known = session.inboundQos2?.delete(packet.messageId) ?? false;
  if (connection.protocolVersion === 5) {
    // 0x92 Packet Identifier not found when the id is unknown (already released).
    connection.writePacket({ cmd: 'pubcomp', messageId: packet.messageId, reasonCode: known ? 0 : 0x92 });
  } else {
    connection.writePacket({ cmd: 'pubcomp', messageId: packet.messageId });
  }
}
