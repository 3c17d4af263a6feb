/** AUTH: enhanced authentication is not offered (M5-2); without an Authentication Method it is a protocol error. */
import type { IAuthPacket } from 'mqtt-packet';
import type { BrokerCore } from '../broker-core.js';
import type { Connection } from '../connection.js';

export function handleAuth(_broker: BrokerCore, connection: Connection, _packet: IAuthPacket): void {
  connection.protocolViolation(0x82, 'AUTH without an authentication method');
}
