/** PINGREQ → PINGRESP [MQTT-3.12.4-1]; the keep-alive timer was already reset on receipt. */
import type { IPingreqPacket } from 'mqtt-packet';
import type { BrokerCore } from '../broker-core.js';
import type { Connection } from '../connection.js';

export function handlePingreq(_broker: BrokerCore, connection: Connection, _packet: IPingreqPacket): void {
  connection.writePacket({ cmd: 'pingresp' });
}
