/**
 * The MQTT.js transport: mqtt://, mqtts://, ws://, wss:// with MQTT 3.1.1 or 5, translated to
 * the words of transport.ts. No MQTT.js type leaves this file.
 *
 * Choices that keep the run record true:
 * - reconnectPeriod 0: MQTT.js never reconnects on its own; the engine reconnects explicitly.
 * - resubscribe false: MQTT.js would otherwise replay subscriptions and hide what the broker kept.
 * - every wait is bounded: connect by connectTimeoutMs, graceful disconnect by DISCONNECT_BOUND_MS.
 *
 * Hot path (publish / message): no per-message work beyond what MQTT.js itself does, one promise
 * per publish and one ReceivedMessage per receipt; payloads are wrapped, never copied.
 */
import createDebug from 'debug';
import {
  type IClientPublishOptions,
  type IConnackPacket,
  type IPublishPacket,
  type MqttClient,
  connect as mqttConnect,
} from 'mqtt';
import { now } from '../clock.js';
import { TransportError } from '../errors.js';
import { toBuffer } from './_bytes.js';
import { toClientOptions } from './_mqttjs-options.js';
import {
  fromPacketProperties,
  toConnectResult,
  toPacketProperties,
  toUserPropertiesObject,
  type UserPropertiesObject,
  type UserPropertyPairs,
} from './_mqttjs-packets.js';
import { SessionEvents } from './_session-events.js';
import {
  classifyConnectError,
  connackHint,
  isTlsCode,
  messageOf,
  NO_CONNACK_HINT,
  noConnackMessage,
} from './connect-errors.js';
import { formatHex, formatReason, reasonText } from './reason-codes.js';
import type {
  ConnectionLoss,
  ConnectOptions,
  ConnectResult,
  DisconnectOptions,
  ProtocolVersion,
  PublishRequest,
  PublishResult,
  QoS,
  ReceivedMessage,
  SubscribeResult,
  SubscriptionRequest,
  Transport,
  TransportSession,
  TransportSessionEvents,
} from './transport.js';
import { redactUrl } from './url.js';

const debug = createDebug('mqscen:transport:mqttjs');

const NAME = 'mqttjs';

/** Upper bound for a graceful disconnect (in-flight acks, DISCONNECT write), ms. */
const DISCONNECT_BOUND_MS = 5000;

/** Creates the MQTT.js transport. */
export function createMqttjsTransport(): Transport {
  return { name: NAME, connect: (options) => connectMqttjs(options) };
}

/** The registry's instance. */
export const mqttjsTransport: Transport = createMqttjsTransport();

export default mqttjsTransport;

/**
 * How a transport built on this one (mqttjs-sigv4) changes the connection. Internal to
 * runner/transports.
 */
export interface MqttjsConnectHooks {
  /** Transport name the errors carry. */
  transport: string;
  /**
   * Opens the WebSocket itself (for example to a presigned URL), so the URL MQTT.js knows, logs
   * and reports carries no secret. Gets MQTT.js's subprotocols and `wsOptions`.
   */
  createWebsocket?: (protocols: string[], wsOptions: Record<string, unknown>) => unknown;
}

/** Opens one MQTT.js session (the `mqttjs` transport, or another one through `hooks`). */
export async function connectMqttjs(
  options: ConnectOptions,
  hooks: MqttjsConnectHooks = { transport: NAME },
): Promise<TransportSession> {
  const name = hooks.transport;
  const shownUrl = redactUrl(options.url);
  const clientOptions = toClientOptions(options, shownUrl, name);
  const open = hooks.createWebsocket;
  if (open !== undefined) {
    clientOptions.createWebsocket = (_url, protocols, opts) =>
      open(protocols, (opts.wsOptions ?? {}) as Record<string, unknown>);
  }
  debug('connect %s as %s (MQTT %s, clean %s)', shownUrl, options.clientId, options.protocol, options.clean);

  let client: MqttClient;
  try {
    client = mqttConnect(options.url, clientOptions);
    if (options.acks !== undefined && options.acks !== 'auto')
      holdAcks(client, options.acks, options.clientId);
  } catch (err) {
    // TLS material is checked synchronously (e.g. a key that does not match its certificate).
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && isTlsCode(code)) {
      throw translateConnectError(err as Error & { code: string }, options, shownUrl, name);
    }
    throw new TransportError(`cannot connect to ${shownUrl}: ${messageOf(err)}`, {
      transport: name,
      cause: err,
      hint: 'check the target URL (mqtt://host:port, mqtts://, ws://host:port/path, wss://) with --target',
    });
  }

  return new Promise<TransportSession>((resolve, reject) => {
    let settled = false;
    const fail = (error: TransportError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      debug('connect %s failed: %s', options.clientId, error.message);
      // Only our own listeners go (MQTT.js has internal ones); keep a no-op error listener:
      // MQTT.js may still emit (TLS errors come twice) and an unhandled 'error' would crash.
      client.off('error', onError);
      client.off('close', onClose);
      client.off('connect', onConnect);
      client.on('error', noop);
      client.end(true);
      reject(error);
    };
    const timer = setTimeout(() => {
      fail(
        new TransportError(noConnackMessage(shownUrl, options.connectTimeoutMs, options.clientId), {
          transport: name,
          hint: NO_CONNACK_HINT,
        }),
      );
    }, options.connectTimeoutMs);

    const onError = (err: Error & { code?: string | number }): void => {
      fail(translateConnectError(err, options, shownUrl, name));
    };
    const onClose = (): void => {
      fail(
        new TransportError(
          `${shownUrl} closed the connection before CONNACK (client "${options.clientId}")`,
          {
            transport: name,
            hint: 'is this an MQTT endpoint speaking this protocol? check the URL scheme (mqtt/mqtts/ws/wss), the TLS settings and the protocol version',
          },
        ),
      );
    };
    const onConnect = (connack: IConnackPacket): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.off('error', onError);
      client.off('close', onClose);
      client.off('connect', onConnect);
      resolve(
        new MqttjsSession(
          client,
          options.clientId,
          options.protocol,
          toConnectResult(connack),
          shownUrl,
          name,
        ),
      );
    };
    client.on('error', onError);
    client.on('close', onClose);
    client.on('connect', onConnect);
  });
}

class MqttjsSession implements TransportSession {
  readonly clientId: string;
  readonly connack: ConnectResult;
  readonly #client: MqttClient;
  readonly #protocol: ProtocolVersion;
  readonly #url: string;
  /** Transport name for errors. */
  readonly #transport: string;
  /** Message and lost handlers; early messages kept for the first handler (_session-events.ts). */
  readonly #events = new SessionEvents();
  /** Set once the connection is gone (asked for or not); no operation may wait after that. */
  #closed = false;
  #disconnecting = false;
  /** DISCONNECT reason code the broker sent (MQTT 5), reported with `lost`. */
  #brokerDisconnect: number | undefined;
  #lastError: Error | undefined;
  /**
   * Non-zero PUBACK/PUBREC reason codes by packet id. MQTT.js calls the publish callback with the
   * stored PUBLISH, not the ack, so the code is taken from the ack as it arrives. Only non-zero
   * codes are stored, so the common path never touches the map.
   */
  readonly #ackCodes = new Map<number, number>();
  /** Set once the ack listener is attached (at the first QoS 1/2 publish). */
  #readsAcks = false;

  constructor(
    client: MqttClient,
    clientId: string,
    protocol: ProtocolVersion,
    connack: ConnectResult,
    url: string,
    transport: string,
  ) {
    this.#client = client;
    this.#transport = transport;
    this.clientId = clientId;
    this.#protocol = protocol;
    this.connack = connack;
    this.#url = url;

    client.on('message', (topic: string, payload: Buffer, packet: IPublishPacket) => {
      const msg: ReceivedMessage = {
        topic,
        payload,
        qos: packet.qos as QoS,
        retain: packet.retain,
        dup: packet.dup,
        receivedAt: now(),
      };
      if (packet.properties !== undefined) {
        msg.properties = fromPacketProperties(packet.properties);
        const ids = packet.properties.subscriptionIdentifier;
        if (ids !== undefined) msg.subscriptionIdentifiers = Array.isArray(ids) ? ids : [ids];
      }
      this.#events.message(msg);
    });
    client.on('disconnect', (packet) => {
      // [MQTT-3.14.2-1] a server DISCONNECT carries a reason code on MQTT 5.
      this.#brokerDisconnect = packet.reasonCode ?? 0;
      debug('%s: broker sent DISCONNECT %s', clientId, formatReason(this.#brokerDisconnect, 'disconnect'));
    });
    client.on('error', (err) => {
      // After CONNACK MQTT.js reports socket errors here; they end in 'close', reported as `lost`.
      this.#lastError = err;
      debug('%s: error %s', clientId, err.message);
    });
    client.on('close', () => this.#onClose());
  }

  on<E extends keyof TransportSessionEvents>(event: E, handler: TransportSessionEvents[E]): void {
    this.#events.on(event, handler);
  }

  async subscribe(
    requests: readonly SubscriptionRequest[],
    properties?: { userProperties?: UserPropertyPairs },
  ): Promise<SubscribeResult> {
    const v5 = this.#protocol === '5';
    // One SUBSCRIBE carries one Subscription Identifier for all its filters (MQTT 5 3.8.2.1.2):
    // requests with different identifiers go out as separate packets, concurrently.
    const batches = new Map<number | undefined, SubscriptionRequest[]>();
    for (const r of requests) {
      const id = v5 ? r.subscriptionIdentifier : undefined;
      const batch = batches.get(id);
      if (batch === undefined) batches.set(id, [r]);
      else batch.push(r);
    }
    const byFilter = new Map<string, number>();
    await Promise.all(
      [...batches].map(async ([id, batch]) => {
        const codes = await this.#subscribeOnce(batch, id, properties);
        for (const [f, code] of codes) byFilter.set(f, code);
      }),
    );
    return { reasonCodes: requests.map((r) => byFilter.get(r.filter) ?? 0x80) };
  }

  #subscribeOnce(
    requests: readonly SubscriptionRequest[],
    subscriptionIdentifier: number | undefined,
    properties?: { userProperties?: UserPropertyPairs },
  ): Promise<Map<string, number>> {
    const v5 = this.#protocol === '5';
    const topics: Record<string, { qos: QoS; nl?: boolean; rap?: boolean; rh?: number }> = {};
    for (const r of requests) {
      topics[r.filter] = v5
        ? { qos: r.qos, nl: r.noLocal ?? false, rap: r.retainAsPublished ?? false, rh: r.retainHandling ?? 0 }
        : { qos: r.qos };
    }
    const opts: {
      qos: QoS;
      properties?: { userProperties?: UserPropertiesObject; subscriptionIdentifier?: number };
    } = { qos: 0 };
    if (v5 && properties?.userProperties !== undefined) {
      opts.properties = { userProperties: toUserPropertiesObject(properties.userProperties) };
    }
    if (v5 && subscriptionIdentifier !== undefined) {
      opts.properties = { ...opts.properties, subscriptionIdentifier };
    }
    return new Promise<Map<string, number>>((resolve, reject) => {
      if (this.#rejectIfClosed(reject, 'subscribe')) return;
      this.#client.subscribe(topics, opts, (err, _granted, packet) => {
        // A SUBACK with failure codes arrives as an error carrying the packet: still an answer.
        const suback = (packet ?? (err as { packet?: { granted?: unknown } } | undefined)?.packet) as
          | { granted?: Array<number | { qos: number }> }
          | undefined;
        if (suback?.granted === undefined) {
          reject(this.#operationError('subscribe', err));
          return;
        }
        const codes = suback.granted.map((g) => (typeof g === 'number' ? g : g.qos));
        // Map back per requested filter (a filter repeated in one request is sent once).
        const byFilter = new Map<string, number>();
        const sent = Object.keys(topics);
        for (let i = 0; i < sent.length; i++) byFilter.set(sent[i] as string, codes[i] ?? 0x80);
        resolve(byFilter);
      });
    });
  }

  unsubscribe(filters: readonly string[]): Promise<number[]> {
    return new Promise<number[]>((resolve, reject) => {
      if (this.#rejectIfClosed(reject, 'unsubscribe')) return;
      this.#client.unsubscribe([...filters], {}, (err, packet) => {
        if (err) {
          reject(this.#operationError('unsubscribe', err));
          return;
        }
        // MQTT 3.1.1 UNSUBACK has no reason codes [MQTT-3.11.3]: success for every filter.
        const granted = (packet as { granted?: number[] } | undefined)?.granted;
        resolve(granted !== undefined && granted.length === filters.length ? granted : filters.map(() => 0));
      });
    });
  }

  publish(request: PublishRequest): Promise<PublishResult> {
    return new Promise<PublishResult>((resolve, reject) => {
      if (this.#rejectIfClosed(reject, 'publish')) return;
      // MQTT.js copies the options it is given, so the common case shares one frozen object.
      const opts: IClientPublishOptions =
        request.properties !== undefined && this.#protocol === '5'
          ? { qos: request.qos, retain: request.retain, properties: toPacketProperties(request.properties) }
          : (PLAIN_PUBLISH[request.qos * 2 + (request.retain ? 1 : 0)] as IClientPublishOptions);
      const payload = toBuffer(request.payload);
      if (request.qos === 0) {
        this.#client.publish(request.topic, payload, opts, (err) => {
          if (err) reject(this.#operationError('publish', err));
          else resolve(OK);
        });
        return;
      }
      // Only a session that publishes at QoS 1/2 reads acks: a subscriber's every PUBLISH would
      // otherwise pass through this listener for nothing.
      if (!this.#readsAcks) {
        this.#readsAcks = true;
        this.#client.on('packetreceive', (packet) => {
          if ((packet.cmd === 'puback' || packet.cmd === 'pubrec') && packet.reasonCode) {
            if (packet.messageId !== undefined) this.#ackCodes.set(packet.messageId, packet.reasonCode);
          }
        });
      }
      this.#client.publish(request.topic, payload, opts, (err, packet) => {
        const id = packet?.messageId;
        let code = 0;
        if (id !== undefined && this.#ackCodes.size !== 0) {
          const stored = this.#ackCodes.get(id);
          if (stored !== undefined) {
            code = stored;
            this.#ackCodes.delete(id);
          }
        }
        if (err) {
          const rc = (err as { code?: unknown }).code;
          // A failure PUBACK/PUBREC (>= 0x80) is an answer from the broker, not a transport failure.
          if (typeof rc === 'number') resolve({ reasonCode: rc });
          else reject(this.#operationError('publish', err));
          return;
        }
        resolve(code === 0 ? OK : { reasonCode: code });
      });
    });
  }

  disconnect(options: DisconnectOptions): Promise<void> {
    if (this.#closed || this.#disconnecting) return Promise.resolve();
    this.#disconnecting = true;
    const client = this.#client;
    return new Promise<void>((resolve) => {
      if (options.how === 'abrupt') {
        // end(true) destroys the stream without DISCONNECT, so the broker publishes the will
        // [MQTT-3.1.2-8]; a DISCONNECT would discard it [MQTT-3.1.2-10].
        debug('%s: abrupt disconnect', this.clientId);
        client.end(true, {}, () => resolve());
        return;
      }
      const packet: { reasonCode?: number; properties?: { sessionExpiryInterval: number } } = {};
      if (this.#protocol === '5') {
        if (options.reasonCode !== undefined) packet.reasonCode = options.reasonCode;
        if (options.sessionExpiry !== undefined)
          packet.properties = { sessionExpiryInterval: options.sessionExpiry };
      }
      debug('%s: graceful disconnect', this.clientId);
      // MQTT.js waits for in-flight acks before sending DISCONNECT; bound that wait.
      const bound = setTimeout(() => {
        debug(
          '%s: graceful disconnect took over %d ms, closing the socket',
          this.clientId,
          DISCONNECT_BOUND_MS,
        );
        // end() is a no-op once disconnecting, so close the stream itself.
        client.stream?.destroy();
        resolve();
      }, DISCONNECT_BOUND_MS);
      client.end(false, packet, () => {
        clearTimeout(bound);
        resolve();
      });
    });
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#failInFlight();
    if (this.#disconnecting) return;
    const loss: ConnectionLoss = { message: '' };
    if (this.#brokerDisconnect !== undefined) {
      loss.reasonCode = this.#brokerDisconnect;
      loss.message = `broker sent DISCONNECT ${formatReason(this.#brokerDisconnect, 'disconnect')}`;
    } else if (this.#lastError !== undefined) {
      loss.message = `connection to ${this.#url} lost: ${this.#lastError.message}`;
    } else {
      loss.message = `broker at ${this.#url} closed the connection`;
    }
    debug('%s: lost (%s)', this.clientId, loss.message);
    // Stop MQTT.js from queueing anything further on a dead client.
    this.#client.end(true);
    this.#events.lost(loss);
  }

  /**
   * MQTT.js keeps in-flight QoS 1/2 callbacks of a persistent session for a reconnect that will
   * never come (reconnectPeriod 0); fail them so no publish promise waits forever.
   */
  #failInFlight(): void {
    const outgoing = this.#client.outgoing as Record<number, { cb?: (err?: Error) => void } | undefined>;
    const error = new Error('connection closed before the broker acknowledged');
    for (const id of Object.keys(outgoing)) {
      const entry = outgoing[Number(id)];
      delete outgoing[Number(id)];
      entry?.cb?.(error);
    }
  }

  #rejectIfClosed(reject: (e: Error) => void, op: string): boolean {
    if (!this.#closed && !this.#disconnecting) return false;
    reject(
      new TransportError(`${op} on client "${this.clientId}": the connection is closed`, {
        transport: this.#transport,
        hint: 'connect (or reconnect) the client before this step',
      }),
    );
    return true;
  }

  #operationError(op: string, err: unknown): TransportError {
    return new TransportError(`${op} on client "${this.clientId}" (${this.#url}) failed: ${messageOf(err)}`, {
      transport: this.#transport,
      cause: err,
    });
  }
}

// --- internal ---

const OK: PublishResult = Object.freeze({ reasonCode: 0 });

/** Publish options without properties, by qos * 2 + retain. */
const PLAIN_PUBLISH: readonly IClientPublishOptions[] = [0, 1, 2].flatMap((qos) =>
  [false, true].map((retain) => Object.freeze({ qos: qos as QoS, retain })),
);

function noop(): void {}

type SendPacket = (
  packet: { cmd: string; messageId?: number },
  cb?: (err?: Error) => void,
  ...rest: unknown[]
) => void;

/**
 * `ack: never` / `ack: delay`: MQTT.js acknowledges a QoS 1/2 PUBLISH as it handles it, and
 * handles packets one at a time (a custom ack handler that never answers would stall every later
 * packet), so the PUBACK/PUBREC is taken out at the socket write instead: the message is still
 * delivered to the handler, and the next packet is handled at once. `never` drops it, so the
 * broker keeps the message in flight and must resend it with DUP on a resumed session
 * [MQTT-4.4.0-1]; `delayMs` sends it that late (unless the connection is gone by then).
 */
function holdAcks(client: MqttClient, acks: 'never' | { delayMs: number }, clientId: string): void {
  const target = client as unknown as { _sendPacket: SendPacket };
  const send = target._sendPacket.bind(client);
  target._sendPacket = (packet, cb, ...rest) => {
    if (packet.cmd !== 'puback' && packet.cmd !== 'pubrec') return send(packet, cb, ...rest);
    if (acks === 'never') {
      debug('%s: %s %d withheld (ack: never)', clientId, packet.cmd, packet.messageId);
    } else {
      setTimeout(() => {
        if (client.connected) send(packet, undefined, ...rest);
      }, acks.delayMs).unref();
    }
    cb?.();
  };
}

/** Connect failures in the user's terms: what happened, at which URL, how to fix it. */
function translateConnectError(
  err: Error & { code?: string | number },
  options: ConnectOptions,
  shownUrl: string,
  name: string,
): TransportError {
  const who = `client "${options.clientId}"`;
  if (typeof err.code === 'number') {
    // A refused CONNACK [MQTT-3.2.2-5]: the broker answered, and said no.
    const code = err.code;
    const text = reasonText(code, 'connack', options.protocol);
    return new TransportError(`${shownUrl} refused the connection of ${who}: ${text} (${formatHex(code)})`, {
      transport: name,
      cause: err,
      reasonCode: code,
      reasonText: text,
      hint: connackHint(code, options.protocol),
    });
  }
  const code = err.code ?? '';
  const problem = classifyConnectError(code, err.message);
  if (problem.kind === 'tls' && code !== '') {
    return new TransportError(`TLS connection of ${who} to ${shownUrl} failed: ${problem.what} (${code})`, {
      transport: name,
      cause: err,
      hint: problem.hint,
    });
  }
  if (problem.kind === 'not-mqtt') {
    // mqtt-packet could not parse the first bytes: whatever answered is not an MQTT broker
    // (an HTTP server, a TLS port reached with mqtt://, ...). Its parser text helps nobody.
    return new TransportError(`${shownUrl} answered ${who}, but not in MQTT (${err.message})`, {
      transport: name,
      cause: err,
      hint: problem.hint,
    });
  }
  return new TransportError(`cannot connect ${who} to ${shownUrl}: ${err.message}`, {
    transport: name,
    cause: err,
    hint: problem.hint,
  });
}
