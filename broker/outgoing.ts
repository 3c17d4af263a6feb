/**
 * The writing of outgoing PUBLISH packets to one session's connection: the receive authorizer at the
 * moment of writing, packet ids and the in-flight window, the encoding (encode.ts for the common case,
 * mqtt-packet when there are properties, outbound topic aliases) and the client's Maximum Packet Size.
 */
import createDebug from 'debug';
import type { IPublishPacket } from 'mqtt-packet';
import mqttPacket from 'mqtt-packet';
import type { Authorizer, DeliveryRequest } from './authorizer.js';
import type { Connection } from './connection.js';
import { encodePublish } from './encode.js';
import type { Outgoing, Session } from './session-store.js';
import { type CounterBook, countDrop } from './stats.js';

const debug = createDebug('mqscen:broker');

export class OutgoingWriter {
  readonly #authorizer: Authorizer | undefined;
  readonly #counters: CounterBook;

  constructor(authorizer: Authorizer | undefined, counters: CounterBook) {
    this.#authorizer = authorizer;
    this.#counters = counters;
  }

  /** Sends queued messages while the outbound window has room [MQTT-4.9.0-2]. */
  pump(session: Session, limit = Number.POSITIVE_INFINITY, paced = false): void {
    const connection = session.connection;
    if (!connection || (session.resumeTimer !== undefined && !paced)) return;
    const counters = this.#counters.client(session.clientId);
    let sent = 0;
    while (
      session.queue.length > 0 &&
      session.inflight.size < connection.outWindow &&
      !connection.closed &&
      sent++ < limit
    ) {
      const out = session.queue.shift() as Outgoing;
      counters.dequeued++;
      if (out.message.expiresAt !== undefined && out.message.expiresAt <= Date.now()) {
        // [MQTT-3.3.2-5] an expired message is not forwarded; PS-8, MQ-8.
        countDrop(counters, 'expired');
        continue;
      }
      this.write(connection, session, out, false);
    }
  }

  /**
   * POL-2 / POL-10 Receive: the authorizer judges every first transmission at the moment it is
   * written (live, queued on resume, retained on subscribe, dealt by a shared group), with the
   * identity of the connection it leaves on. A refusal skips this delivery silently and counts it.
   */
  private mayReceive(connection: Connection, session: Session, out: Outgoing): boolean {
    const receive = this.#authorizer?.receive;
    if (!receive) return true;
    const info: DeliveryRequest = { filter: out.filter, qos: out.qos, retain: out.retain };
    if (out.shareName !== undefined) info.shareName = out.shareName;
    if (receive.call(this.#authorizer, connection.identity, out.message.topic, info)) return true;
    countDrop(this.#counters.client(session.clientId), 'not-authorized');
    return false;
  }

  /**
   * Writes one PUBLISH (or the PUBREL of a QoS 2 exchange on resend). A first transmission passes the
   * receive authorizer first; false when it refused.
   */
  write(connection: Connection, session: Session, out: Outgoing, resend: boolean): boolean {
    const counters = this.#counters.client(session.clientId);
    if (resend && out.state === 'pubrel' && out.packetId !== undefined) {
      connection.writePacket({ cmd: 'pubrel', messageId: out.packetId });
      return true;
    }
    if (!resend && !this.mayReceive(connection, session, out)) return false;
    if (out.qos > 0 && out.packetId === undefined) {
      const packetId = session.nextPacketId();
      if (packetId === undefined) {
        session.queue.unshift(out);
        return true;
      }
      out.packetId = packetId;
    }
    const v5 = connection.protocolVersion === 5;
    // [MQTT-3.3.1-1] DUP on a resend of a QoS > 0 PUBLISH; [MQTT-3.3.1-3] never on a new one.
    const dup = resend && out.qos > 0;
    let buffer: Buffer | undefined;
    if (
      !v5 ||
      (out.message.expiresAt === undefined &&
        out.subscriptionIds.length === 0 &&
        connection.clientTopicAliasMaximum === 0 &&
        isEmpty(out.message.properties))
    ) {
      // The common case has no properties to send: encoded directly (encode.ts).
      buffer = encodePublish(
        out.message.topic,
        out.message.payload,
        out.qos,
        out.retain,
        dup,
        out.packetId,
        v5,
      );
    } else {
      buffer = encodePublishWithProperties(connection, out, dup);
    }
    if (out.qos > 0) {
      out.state = 'publish';
      session.inflight.set(out.packetId as number, out);
    }
    if (buffer === undefined) {
      connection.dropAlias();
      debug('cannot encode PUBLISH to %s', session.clientId);
      if (out.packetId !== undefined) session.inflight.delete(out.packetId);
      countDrop(counters, 'too-large');
      return true;
    }
    if (buffer.length > connection.clientMaxPacketSize) {
      // [MQTT-3.1.2-24, MQTT-3.1.2-25] too large for the client: discarded as if delivered.
      connection.dropAlias();
      if (out.packetId !== undefined) session.inflight.delete(out.packetId);
      countDrop(counters, 'too-large');
      return true;
    }
    connection.writeBuffer(buffer);
    connection.commitAlias();
    if (!resend) {
      counters.delivered++;
      this.#counters.delivered++;
    }
    return true;
  }
}

// --- internal ---

/** A v5 PUBLISH with properties (forwarded ones, remaining expiry, subscription ids), through mqtt-packet. */
function encodePublishWithProperties(
  connection: Connection,
  out: Outgoing,
  dup: boolean,
): Buffer | undefined {
  const packet: IPublishPacket = {
    cmd: 'publish',
    topic: out.message.topic,
    payload: out.message.payload,
    qos: out.qos,
    retain: out.retain,
    // [MQTT-3.3.1-1] DUP on a resend of a QoS > 0 PUBLISH; [MQTT-3.3.1-3] never on a new one.
    dup,
  };
  const properties: NonNullable<IPublishPacket['properties']> = { ...out.message.properties };
  if (out.message.expiresAt !== undefined) {
    // [MQTT-3.3.2-6] the Message Expiry Interval is the remaining lifetime (M5-8).
    properties.messageExpiryInterval = Math.max(0, Math.ceil((out.message.expiresAt - Date.now()) / 1000));
  }
  if (out.subscriptionIds.length === 1) properties.subscriptionIdentifier = out.subscriptionIds[0] as number;
  else if (out.subscriptionIds.length > 1) properties.subscriptionIdentifier = out.subscriptionIds;
  if (connection.clientTopicAliasMaximum > 0) {
    // [MQTT-3.3.2-11] within the client's Topic Alias Maximum; a known alias goes without its topic.
    const alias = connection.outboundAlias(out.message.topic);
    if (alias !== undefined) {
      properties.topicAlias = alias.alias;
      if (alias.known) packet.topic = '';
    }
  }
  if (Object.keys(properties).length > 0) packet.properties = properties;
  if (out.packetId !== undefined) packet.messageId = out.packetId;
  try {
    return mqttPacket.generate(packet, { protocolVersion: connection.protocolVersion });
  } catch (error) {
    debug('cannot encode PUBLISH: %s', (error as Error).message);
    return undefined;
  }
}

function isEmpty(object: object): boolean {
  for (const _ in object) return false;
  return true;
}
