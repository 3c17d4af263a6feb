/**
 * DISCONNECT from a client [MQTT-3.14]: reason 0x00 discards the will [MQTT-3.14.4-3], any other keeps it;
 * MQTT 5 may update the Session Expiry Interval, but not from 0 [MQTT-3.14.2-2] (PS-4).
 */
import type { IDisconnectPacket } from 'mqtt-packet';
import type { BrokerCore } from '../broker-core.js';
import type { Connection } from '../connection.js';

export function handleDisconnect(
  broker: BrokerCore,
  connection: Connection,
  packet: IDisconnectPacket,
): void {
  const session = connection.session;
  const reasonCode = packet.reasonCode ?? 0;
  const expiry = packet.properties?.sessionExpiryInterval;
  if (session && connection.protocolVersion === 5 && expiry !== undefined) {
    if (session.connectExpiryInterval === 0 && expiry !== 0) {
      connection.protocolViolation(
        0x82,
        'session expiry cannot be set on DISCONNECT when it was 0 at CONNECT',
      );
      return;
    }
    session.expiryInterval = Math.min(expiry, broker.settings.maxSessionExpiry);
  }
  // [MQTT-3.14.4-3] only a normal disconnection (0x00) discards the will; 0x04 and error codes keep it.
  if (reasonCode === 0x00) connection.will = undefined;
  connection.endReason =
    reasonCode === 0 ? 'client disconnected' : `client disconnected (0x${reasonCode.toString(16)})`;
  connection.endedBy = 'client';
  connection.end();
}
