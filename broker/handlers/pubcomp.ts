/** PUBCOMP from a client: outbound QoS 2 exchange complete; frees the window. */
import type { IPubcompPacket } from 'mqtt-packet';
import type { BrokerCore } from '../broker-core.js';
import type { Connection } from '../connection.js';

export function handlePubcomp(broker: BrokerCore, connection: Connection, packet: IPubcompPacket): void {
  const session = connection.session;
  if (!session || packet.messageId === undefined) return;
  const out = session.inflight.get(packet.messageId);
  if (out?.qos !== 2) return;
  broker.acknowledge(session, packet.messageId);
}
