/** PUBACK from a client: QoS 1 delivery complete [MQTT-4.3.2-5]; frees the outbound window [MQTT-4.9.0-3]. */
import type { IPubackPacket } from 'mqtt-packet';
import type { BrokerCore } from '../broker-core.js';
import type { Connection } from '../connection.js';

export function handlePuback(broker: BrokerCore, connection: Connection, packet: IPubackPacket): void {
  const session = connection.session;
  if (!session || packet.messageId === undefined) return;
  const out = session.inflight.get(packet.messageId);
  // An ack for an unknown id is ignored (it may belong to a message given back to its group, MQ-12).
  if (out?.qos !== 1) return;
  broker.acknowledge(session, packet.messageId);
}
