/**
 * CONNECT → CONNACK [MQTT-3.1], [MQTT-3.2]: validation, authorization, client id assignment,
 * takeover, session start or resume, keep alive and the MQTT 5 CONNACK properties.
 */
import { randomUUID } from 'node:crypto';
import createDebug from 'debug';
import type { IConnackPacket, IConnectPacket } from 'mqtt-packet';
import { type ConnectRequest, decisionAllows, refusalCode, refusalDisconnects } from '../authorizer.js';
import type { BrokerCore } from '../broker-core.js';
import type { Connection, PendingWill } from '../connection.js';
import type { ResolvedBrokerSettings } from '../profiles/settings.js';
import type { Session } from '../session-store.js';
import { isValidTopicName, topicLimitProblem } from '../topic.js';

const debug = createDebug('mqscen:broker');

/** CONNACK return codes of MQTT 3.1.1 [MQTT-3.2.3] by the MQTT 5 reason that maps to them. */
function v3ReturnCode(reasonCode: number): number {
  switch (reasonCode) {
    case 0x84:
      return 1;
    case 0x85:
      return 2;
    case 0x88:
    case 0x89:
    case 0x97:
      return 3;
    case 0x86:
      return 4;
    default:
      return 5;
  }
}

function refuse(connection: Connection, reasonCode: number, reasonString: string, close = false): void {
  debug('connect of %s refused: %s (0x%s)', connection.clientId, reasonString, reasonCode.toString(16));
  connection.endReason = `connect refused: ${reasonString}`;
  connection.endedBy = 'server';
  connection.endCode = reasonCode;
  if (!close) {
    if (connection.protocolVersion === 5) {
      // [MQTT-3.2.2-6] a CONNACK with a reason code >= 0x80 has Session Present 0, then close [MQTT-3.2.2-7].
      connection.writePacket({
        cmd: 'connack',
        sessionPresent: false,
        reasonCode,
        properties: { reasonString },
      });
    } else {
      connection.writePacket({ cmd: 'connack', sessionPresent: false, returnCode: v3ReturnCode(reasonCode) });
    }
  }
  connection.end();
}

export function handleConnect(broker: BrokerCore, connection: Connection, packet: IConnectPacket): void {
  const settings = broker.settings;
  if (connection.state !== 'new') {
    // [MQTT-3.1.0-2] a second CONNECT is a protocol violation (C-6).
    connection.protocolViolation(0x82, 'second CONNECT');
    return;
  }
  connection.state = 'connecting';
  const version = (packet.protocolVersion ?? 4) as 3 | 4 | 5;
  connection.protocolVersion = version;
  connection.clientId = packet.clientId;
  if (packet.username !== undefined) connection.username = packet.username;
  if (packet.password !== undefined) connection.password = packet.password;
  const props = packet.properties ?? {};

  if (packet.will && (packet.will.qos ?? 0) > 2) {
    // [MQTT-3.1.2-14] Will QoS 3 is malformed.
    refuse(connection, 0x81, 'will QoS 3', version !== 5);
    return;
  }
  if (version !== 5 && packet.password !== undefined && packet.username === undefined) {
    // [MQTT-3.1.2-22] (3.1.1): a password without a username.
    refuse(connection, 0x81, 'password without username', true);
    return;
  }
  if (version === 5 && props.authenticationMethod !== undefined) {
    // Enhanced authentication (AUTH) is not offered (M5-2): 0x8C Bad authentication method.
    refuse(connection, 0x8c, 'enhanced authentication is not supported');
    return;
  }

  if (version === 5 && (props.receiveMaximum === 0 || props.maximumPacketSize === 0)) {
    // MQTT 5 section 3.1.2.11: Receive Maximum or Maximum Packet Size 0 is a protocol error.
    refuse(connection, 0x82, 'Receive Maximum and Maximum Packet Size must not be 0');
    return;
  }

  // ---- client identifier [MQTT-3.1.3-3 .. MQTT-3.1.3-9], C-1, C-2
  let assigned: string | undefined;
  if (packet.clientId === '') {
    if (version !== 5 && !packet.clean) {
      // [MQTT-3.1.3-8] empty id with CleanSession=0: return code 2.
      refuse(connection, 0x85, 'an empty client id needs a clean session');
      return;
    }
    assigned = `${settings.assignedClientIdPrefix}${randomUUID()}`;
    connection.clientId = assigned;
  } else {
    if (settings.maxClientIdLength > 0 && Buffer.byteLength(packet.clientId) > settings.maxClientIdLength) {
      refuse(connection, 0x85, `client id longer than ${settings.maxClientIdLength} bytes`);
      return;
    }
    if (settings.assignedClientIdPrefix.startsWith('$') && packet.clientId.startsWith('$')) {
      // C-1 / C-2: a leading `$` is reserved for assigned ids, which cannot be reused.
      refuse(connection, 0x85, 'client ids starting with $ are reserved');
      return;
    }
  }
  const clientId = connection.clientId;

  // ---- will [MQTT-3.1.2-8 .. MQTT-3.1.2-18]
  let will: PendingWill | undefined;
  if (packet.will) {
    const willQos = packet.will.qos ?? 0;
    if (willQos > settings.maximumQos) {
      // [MQTT-3.2.2-12] Will QoS above Maximum QoS: 0x9B; Q-2 / I6: MQTT 3.1.1 connection closed.
      refuse(connection, 0x9b, 'will QoS 2 is not supported', version !== 5 && settings.v3Qos2Silent);
      return;
    }
    if (
      !isValidTopicName(packet.will.topic, settings.maxTopicLevels) ||
      isReservedForPublish(settings.reservedTopics, packet.will.topic) ||
      // T-3: the will topic obeys the topic limits of a publish.
      topicLimitProblem(packet.will.topic, settings.maxTopicBytes, settings.maxTopicSlashes) !== undefined
    ) {
      refuse(connection, 0x90, `invalid will topic "${packet.will.topic}"`, version !== 5);
      return;
    }
    const willProps = packet.will.properties ?? {};
    const payload = Buffer.isBuffer(packet.will.payload)
      ? packet.will.payload
      : Buffer.from(packet.will.payload);
    const { willDelayInterval, messageExpiryInterval, ...forwarded } = willProps;
    will = {
      message: {
        topic: packet.will.topic,
        payload,
        qos: willQos,
        retain: packet.will.retain ?? false,
        properties: version === 5 ? forwarded : {},
        origin: clientId,
      },
      delay: version === 5 ? (willDelayInterval ?? 0) : 0,
    };
    if (messageExpiryInterval !== undefined) will.expirySeconds = clampExpiry(broker, messageExpiryInterval);
  }

  // ---- session expiry [MQTT-3.1.2-11], PS-2, PS-3
  let expiry: number;
  let expiryCapped = false;
  if (version === 5) {
    const asked = props.sessionExpiryInterval ?? 0;
    expiry = Math.min(asked, settings.maxSessionExpiry);
    expiryCapped = expiry !== asked;
  } else {
    expiry = packet.clean ? 0 : settings.v3SessionExpiry;
  }

  // ---- authorization
  const request: ConnectRequest = {
    clean: packet.clean ?? true,
    sessionExpiryInterval: expiry,
  };
  if (packet.will) {
    request.will = {
      topic: packet.will.topic,
      qos: packet.will.qos ?? 0,
      retain: packet.will.retain ?? false,
    };
  }
  const decision = broker.authorizer?.connect?.(connection.identity, request);
  if (!decisionAllows(decision)) {
    const code = refusalCode(decision);
    const close = refusalDisconnects(decision) && version !== 5;
    refuse(connection, code, 'not authorized', close);
    broker.emit('connect-failed', connection, code);
    return;
  }

  // ---- C-4 (realistic): 1 CONNECT per second per client id
  if (settings.realistic && settings.connectRatePerClientId > 0) {
    const now = Date.now();
    const interval = 1000 / settings.connectRatePerClientId;
    const last = broker.lastConnectAt.get(clientId) ?? 0;
    if (now - last < interval) {
      refuse(connection, 0x97, 'connect rate per client id exceeded', version !== 5);
      return;
    }
    // Only kept while it matters: a map of every client id ever seen would grow without bound.
    if (broker.lastConnectAt.size >= 10_000) {
      for (const [id, at] of broker.lastConnectAt) if (now - at >= interval) broker.lastConnectAt.delete(id);
    }
    broker.lastConnectAt.set(clientId, now);
  }

  // ---- takeover [MQTT-3.1.4-3], C-3
  let session: Session | undefined = broker.sessions.get(clientId);
  if (session?.connection) {
    const old = session.connection;
    debug('client %s taken over (connection %d → %d)', clientId, old.id, connection.id);
    old.endReason = 'session taken over';
    if (settings.takeoverDisconnect) old.disconnect(0x8e, 'session taken over');
    else old.closeBy('server', 0x8e);
    session = broker.sessions.get(clientId);
  }

  // ---- session start or resume [MQTT-3.1.2-4, MQTT-3.1.2-5], PS-5
  const cleanStart = packet.clean ?? true;
  if (
    session &&
    (cleanStart || (!settings.crossVersionResume && isV5(session.protocolVersion) !== isV5(version)))
  ) {
    // [MQTT-3.1.3-9] a new Network Connection before the Will Delay Interval passed: the will is not
    // sent, even when its Clean Start ends the old session (which would otherwise send it early, as
    // Mosquitto 2.0.11 does not: checked side by side).
    clearTimeout(session.willTimer);
    session.willTimer = undefined;
    session.pendingWill = undefined;
    broker.endSession(session);
    session = undefined;
  }
  const sessionPresent = session !== undefined;
  if (!session) session = broker.sessions.create(clientId, version, expiry);
  session.protocolVersion = version;
  session.expiryInterval = expiry;
  session.connectExpiryInterval = expiry;

  // ---- keep alive [MQTT-3.1.2-22..24], K-1
  let keepAlive = packet.keepalive ?? 0;
  const asked = keepAlive;
  if (keepAlive === 0 && settings.keepAliveZeroToMax && settings.maxKeepAlive > 0)
    keepAlive = settings.maxKeepAlive;
  if (settings.maxKeepAlive > 0 && keepAlive > settings.maxKeepAlive) keepAlive = settings.maxKeepAlive;
  if (settings.minKeepAlive > 0 && keepAlive > 0 && keepAlive < settings.minKeepAlive)
    keepAlive = settings.minKeepAlive;

  // ---- outbound limits the client set [MQTT-3.1.2-20], [MQTT-3.1.2-24]
  connection.outWindow = Math.min(props.receiveMaximum ?? 65_535, settings.maxInflightOut);
  if (props.maximumPacketSize !== undefined) connection.clientMaxPacketSize = props.maximumPacketSize;
  if (version === 5 && settings.outboundTopicAliases)
    connection.clientTopicAliasMaximum = props.topicAliasMaximum ?? 0;
  connection.will = will;

  // MQTT 3.1 (level 3) has no Session Present flag: the first CONNACK byte is reserved (0).
  const connack: IConnackPacket = { cmd: 'connack', sessionPresent: version === 3 ? false : sessionPresent };
  if (version === 5) {
    connack.reasonCode = 0;
    const p: NonNullable<IConnackPacket['properties']> = {};
    if (expiryCapped) p.sessionExpiryInterval = expiry;
    if (settings.receiveMaximum < 65_535) p.receiveMaximum = settings.receiveMaximum;
    // [MQTT-3.2.2-9] Maximum QoS is only sent when below 2 (M5-3).
    if (settings.maximumQos < 2) p.maximumQoS = settings.maximumQos;
    if (settings.maxPacketSize < 268_435_455) p.maximumPacketSize = settings.maxPacketSize;
    if (assigned !== undefined) p.assignedClientIdentifier = assigned;
    p.topicAliasMaximum = settings.topicAliasMaximum;
    if (!settings.subscriptionIdentifiersAvailable) p.subscriptionIdentifiersAvailable = false;
    // [MQTT-3.2.2-21] Server Keep Alive when the broker uses another value than asked (K-2).
    if (keepAlive !== asked) p.serverKeepAlive = keepAlive;
    connack.properties = p;
  } else {
    connack.returnCode = 0;
  }
  broker.attachSession(session, connection);
  connection.state = 'connected';
  connection.writePacket(connack);
  connection.startKeepAlive(keepAlive);
  debug(
    'client %s connected (v%d, session present %s, expiry %d)',
    clientId,
    version,
    sessionPresent,
    expiry,
  );
  if (sessionPresent) broker.resumeSession(session);
  broker.emit('client-connected', connection, sessionPresent);
}

/** M5-9 (aws-iot): Message Expiry Interval 0 becomes 1, above 604800 becomes 604800. */
export function clampExpiry(broker: BrokerCore, seconds: number): number {
  if (!broker.settings.clampMessageExpiry) return seconds;
  return Math.min(Math.max(seconds, 1), 604_800);
}

/**
 * SS-13, T-4 (aws-iot): `$share/...` and `$` topics outside `$aws/` cannot be published to; the
 * lifecycle event topics `$aws/events/...` are subscribe-only (LC-1, T-4).
 */
export function isReservedForPublish(mode: ResolvedBrokerSettings['reservedTopics'], topic: string): boolean {
  if (mode !== 'aws' || !topic.startsWith('$')) return false;
  return !topic.startsWith('$aws/') || topic.startsWith('$aws/events/');
}

function isV5(version: number): boolean {
  return version === 5;
}
