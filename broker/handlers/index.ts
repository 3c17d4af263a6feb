/**
 * The packet handler table: one handler per packet type a server receives. Anything else, and any
 * packet before CONNECT [MQTT-3.1.0-1], is a protocol violation.
 */
import type { Packet } from 'mqtt-packet';
import type { BrokerCore } from '../broker-core.js';
import type { Connection } from '../connection.js';
import { handleAuth } from './auth.js';
import { handleConnect } from './connect.js';
import { handleDisconnect } from './disconnect.js';
import { handlePingreq } from './pingreq.js';
import { handlePuback } from './puback.js';
import { handlePubcomp } from './pubcomp.js';
import { handlePublish } from './publish.js';
import { handlePubrec } from './pubrec.js';
import { handlePubrel } from './pubrel.js';
import { handleSubscribe } from './subscribe.js';
import { handleUnsubscribe } from './unsubscribe.js';

type Handler<P extends Packet> = (broker: BrokerCore, connection: Connection, packet: P) => void;

/** Packet type → handler; CONNECT is handled before the table (it changes the connection state). */
const HANDLERS: { [C in Packet['cmd']]?: Handler<Extract<Packet, { cmd: C }>> } = {
  publish: handlePublish,
  puback: handlePuback,
  pubrec: handlePubrec,
  pubrel: handlePubrel,
  pubcomp: handlePubcomp,
  subscribe: handleSubscribe,
  unsubscribe: handleUnsubscribe,
  pingreq: handlePingreq,
  disconnect: handleDisconnect,
  auth: handleAuth,
};

export function dispatchPacket(broker: BrokerCore, connection: Connection, packet: Packet): void {
  if (packet.cmd === 'connect') {
    handleConnect(broker, connection, packet);
    return;
  }
  if (connection.state !== 'connected') {
    // [MQTT-3.1.0-1] the first packet must be CONNECT; C-5: nothing before CONNACK.
    connection.endReason = `${packet.cmd} before CONNECT`;
    connection.destroy();
    return;
  }
  const handler = HANDLERS[packet.cmd] as Handler<Packet> | undefined;
  if (!handler) {
    // CONNACK, SUBACK, UNSUBACK, PINGRESP only travel from server to client.
    connection.protocolViolation(0x82, `unexpected ${packet.cmd} from a client`);
    return;
  }
  handler(broker, connection, packet);
}
