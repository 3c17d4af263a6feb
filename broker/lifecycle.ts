/**
 * AWS IoT lifecycle events (LC-1..LC-8), built on the broker core's events and published by the
 * broker itself (settings.lifecycleEvents, on in the aws-iot profile):
 *
 *   $aws/events/presence/connected/{clientId}        LC-2
 *   $aws/events/presence/disconnected/{clientId}     LC-3, LC-4
 *   $aws/events/presence/connect_failed/{clientId}   LC-6 (connect refused by the authorizer)
 *   $aws/events/subscriptions/subscribed/{clientId}  LC-7 (not on a session resume, LC-8)
 *   $aws/events/subscriptions/unsubscribed/{clientId} LC-7
 *
 * The topics are subscribe-only (T-4: handlers/connect.ts isReservedForPublish). Events are sent
 * with QoS 1 (the delivery QoS is the lower of that and the subscription's); AWS does not document
 * theirs. versionNumber starts again at 1 for a client id unseen for an hour (LC-5,
 * settings.lifecycleVersionResetSeconds; AWS ties
 * persistent sessions to their expiry instead). `thingName` (LC-2, LC-7) is set when the client id
 * is the thing name of its mTLS certificate (the "exclusive thing" case); a WebSocket Close from
 * the client is CLIENT_INITIATED_DISCONNECT (LC-4). Not emulated: out-of-order or duplicate delivery.
 */
import { randomUUID } from 'node:crypto';
import createDebug from 'debug';
import type { BrokerCore } from './broker-core.js';
import type { Connection } from './connection.js';
import type { Session } from './session-store.js';

const debug = createDebug('mqscen:broker:lifecycle');

/** LC-4 disconnectReason values the emulator produces. */
export type DisconnectReason =
  | 'AUTH_ERROR'
  | 'CLIENT_INITIATED_DISCONNECT'
  | 'CLIENT_ERROR'
  | 'CONNECTION_LOST'
  | 'DUPLICATE_CLIENTID'
  | 'MQTT_KEEP_ALIVE_TIMEOUT'
  | 'SERVER_ERROR'
  | 'SERVER_INITIATED_DISCONNECT'
  | 'THROTTLED';

/** LC-4: how the connection ended, from who ended it and the reason code the server sent. */
export function disconnectReasonOf(connection: Connection): DisconnectReason {
  if (connection.endedBy === 'client') return 'CLIENT_INITIATED_DISCONNECT';
  if (connection.endedBy === 'network') return 'CONNECTION_LOST';
  switch (connection.endCode) {
    case 0x8e:
      // The *old* connection of a client id taken over (C-3).
      return 'DUPLICATE_CLIENTID';
    case 0x8d:
      return 'MQTT_KEEP_ALIVE_TIMEOUT';
    case 0x8b:
      return 'SERVER_INITIATED_DISCONNECT';
    case 0x87:
    case 0x86:
    case 0x8c:
      return 'AUTH_ERROR';
    case 0x97:
    case 0x96:
      return 'THROTTLED';
    case 0x80:
    case 0x83:
      return 'SERVER_ERROR';
    default:
      // Malformed packets, protocol errors, oversize payloads, second CONNECT (0x81, 0x82, 0x90, 0x95, ...).
      return 'CLIENT_ERROR';
  }
}

/** Starts publishing lifecycle events for everything the core reports from now on. */
export function attachLifecycleEvents(core: BrokerCore): void {
  const resetMs = core.settings.lifecycleVersionResetSeconds * 1000;
  /**
   * LC-5: versionNumber per client id, raised on every new connection; `offSince` is when its last
   * connection ended. Entries unseen for resetMs are dropped (swept as connections come), so a
   * long-running broker does not keep every client id it ever saw.
   */
  const versions = new Map<string, { version: number; offSince?: number }>();
  let connectsSinceSweep = 0;
  const sweep = (now: number): void => {
    for (const [clientId, entry] of versions) {
      if (entry.offSince !== undefined && now - entry.offSince >= resetMs) versions.delete(clientId);
    }
  };
  const connectionVersions = new WeakMap<Connection, number>();
  /** LC-2: sessionIdentifier, one per session for as long as it lives. */
  const sessionIds = new WeakMap<Session, string>();

  const sessionIdOf = (session: Session | null): string => {
    if (!session) return randomUUID();
    let id = sessionIds.get(session);
    if (id === undefined) {
      id = randomUUID();
      sessionIds.set(session, id);
    }
    return id;
  };
  const principalOf = (connection: Connection): string => {
    const identity = connection.identity;
    return identity.principal ?? identity.certificateCN ?? identity.username ?? 'anonymous';
  };
  const ipOf = (connection: Connection): string | undefined => {
    const address = connection.info.remoteAddress;
    return address?.startsWith('::ffff:') ? address.slice(7) : address;
  };
  const emit = (topic: string, body: Record<string, unknown>, connection?: Connection): void => {
    if (core.closing) return;
    // LC-2, LC-7: thingName right after clientId, when the connection is for a thing.
    const thingName = connection?.identity.thingName;
    if (thingName !== undefined) body = { clientId: body['clientId'], thingName, ...body };
    debug('%s %o', topic, body);
    core.publish({
      topic,
      payload: Buffer.from(JSON.stringify(body)),
      qos: 1,
      retain: false,
      properties: {},
    });
  };
  // LC-1: clients whose id contains `#` or `+` produce no events (they could not be a topic level).
  const silent = (clientId: string): boolean => clientId.includes('#') || clientId.includes('+');

  core.on('client-connected', (connection) => {
    const clientId = connection.clientId;
    if (silent(clientId)) return;
    const now = Date.now();
    if (++connectsSinceSweep >= 1000) {
      connectsSinceSweep = 0;
      sweep(now);
    }
    const known = versions.get(clientId);
    const stale = known?.offSince !== undefined && now - known.offSince >= resetMs;
    const versionNumber = known === undefined || stale ? 1 : known.version + 1;
    versions.set(clientId, { version: versionNumber });
    connectionVersions.set(connection, versionNumber);
    const body: Record<string, unknown> = {
      clientId,
      timestamp: Date.now(),
      eventType: 'connected',
      sessionIdentifier: sessionIdOf(connection.session),
      principalIdentifier: principalOf(connection),
      versionNumber,
    };
    const ipAddress = ipOf(connection);
    if (ipAddress !== undefined) body['ipAddress'] = ipAddress;
    emit(`$aws/events/presence/connected/${clientId}`, body, connection);
  });

  core.on('client-disconnected', (connection) => {
    const clientId = connection.clientId;
    if (silent(clientId)) return;
    const reason = disconnectReasonOf(connection);
    const version = connectionVersions.get(connection) ?? 0;
    const entry = versions.get(clientId);
    // Only the latest connection of the id marks it offline (a taken-over one does not).
    if (entry && entry.version === version) entry.offSince = Date.now();
    // LC-3: same identity fields, no ipAddress; LC-5: the version of the matching connect.
    emit(
      `$aws/events/presence/disconnected/${clientId}`,
      {
        clientId,
        timestamp: Date.now(),
        eventType: 'disconnected',
        clientInitiatedDisconnect: reason === 'CLIENT_INITIATED_DISCONNECT',
        sessionIdentifier: sessionIdOf(connection.session),
        principalIdentifier: principalOf(connection),
        disconnectReason: reason,
        versionNumber: version,
      },
      connection,
    );
  });

  core.on('connect-failed', (connection) => {
    const clientId = connection.clientId;
    if (silent(clientId)) return;
    const body: Record<string, unknown> = {
      clientId,
      timestamp: Date.now(),
      eventType: 'connect_failed',
      connectFailureReason: 'AUTHORIZATION_FAILED',
      principalIdentifier: principalOf(connection),
      sessionIdentifier: randomUUID(),
    };
    const ipAddress = ipOf(connection);
    if (ipAddress !== undefined) body['ipAddress'] = ipAddress;
    emit(`$aws/events/presence/connect_failed/${clientId}`, body, connection);
  });

  const subscriptionEvent = (connection: Connection, eventType: string, topics: string[]): void => {
    const clientId = connection.clientId;
    if (silent(clientId) || topics.length === 0) return;
    // LC-7, SS-17: `topics` lists the filters as sent, `$share/...` included.
    emit(
      `$aws/events/subscriptions/${eventType}/${clientId}`,
      {
        clientId,
        timestamp: Date.now(),
        eventType,
        sessionIdentifier: sessionIdOf(connection.session),
        principalIdentifier: principalOf(connection),
        topics,
      },
      connection,
    );
  };
  core.on('subscribed', (connection, subscriptions) =>
    subscriptionEvent(
      connection,
      'subscribed',
      subscriptions.map((s) => s.filter),
    ),
  );
  core.on('unsubscribed', (connection, filters) => subscriptionEvent(connection, 'unsubscribed', filters));
}
