/**
 * The AWS IoT Device SDK v2 transport (`aws-iot-sdk`): the SDK's MQTT 5 client (protocol '5') and
 * its MQTT 3.1.1 connection (protocol '3.1.1'), over
 * - mTLS (`mqtts://endpoint:8883`, or `:443`, where the SDK offers ALPN `x-amzn-mqtt-ca`, A-1),
 * - WebSocket with SigV4 (`wss://endpoint/mqtt`, A-4), credentials from `extra.credentials` or the
 *   standard AWS chain,
 * - a custom authorizer (`extra.customAuthorizer`, A-5), over mqtts (ALPN `mqtt`) or wss.
 * No SDK type leaves this file; only the lazy registry imports it.
 *
 * Facts about the SDK this file relies on (checked against a raw MQTT server, aws-crt 1.33):
 * - MQTT 5 `stop()` without a DISCONNECT packet closes the socket without sending DISCONNECT, so
 *   the broker publishes the will [MQTT-3.1.2-8]: that is `disconnect({ how: 'abrupt' })`.
 *   `stop({ reasonCode })` sends DISCONNECT first.
 * - The MQTT 5 client retries on its own after a refused CONNACK or a lost connection; mqscen
 *   stops it at the first failure/loss so the run record stays true (the engine reconnects).
 * - The MQTT 5 client refuses QoS 2 publishes (AWS IoT Core has no QoS 2, Q-1).
 * - The MQTT 3.1.1 connection reports a refused CONNACK as AWS_ERROR_MQTT_PROTOCOL_ERROR; the
 *   return code is taken from its connect callback. Its `close()` does not close a live socket,
 *   so an abrupt disconnect is done by cutting a loopback TCP relay the connection runs through.
 * - Builders append `?SDK=...` metrics to the MQTT username; mqscen disables the metrics so the
 *   username is exactly what the scenario set.
 * - The MQTT 5 client keeps AWS IoT Core's per-connection limits by default (100 publishes/s,
 *   512 KB/s), as a device would meet them on AWS; a 500-message burst takes about 5 s.
 * - The SDK sends SNI and checks the certificate against the URL host; `tls.servername` cannot
 *   be set apart from it and is ignored.
 */

import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import net from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { auth, iot, mqtt, mqtt5 } from 'aws-iot-device-sdk-v2';
import createDebug from 'debug';
import {
  type AwsConnectExtra,
  type AwsCredentials,
  awsExtraOf,
  resolveCredentials,
  resolveRegion,
} from '../aws/credentials.js';
import { TransportError } from '../errors.js';
import { redactUrl } from './_url.js';
import { formatReason, reasonText } from './reason-codes.js';
import { createPresignedUrl, probePresignedUrl } from './sigv4-url.js';
import type {
  ConnectionLoss,
  ConnectOptions,
  ConnectResult,
  DisconnectOptions,
  PublishProperties,
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

const debug = createDebug('mqscen:transport:aws-iot-sdk');

const NAME = 'aws-iot-sdk';
/** Upper bound for stop → stopped and for a 3.1.1 disconnect, ms. */
const STOP_BOUND_MS = 5000;

/** How the SDK transport authenticates. */
export type AwsIotAuth = 'mtls' | 'sigv4' | 'custom-authorizer';

/** Custom authorizer settings (A-5); secrets come from files or the environment, never the scenario. */
export interface CustomAuthorizerSettings {
  /** Authorizer name; omitted = the domain's default authorizer. */
  name?: string;
  /** MQTT username sent before the authorizer query string. */
  username?: string;
  password?: string;
  /** Token key name and value, when the authorizer uses token signing. */
  tokenKeyName?: string;
  tokenValue?: string;
  /** Base64 RSA-SHA256 signature of the token (URL-encoded by the SDK). */
  tokenSignature?: string;
}

/**
 * Settings only this transport reads from ConnectOptions.extra.
 * `auth` defaults to `custom-authorizer` when `customAuthorizer` is set, else `sigv4` for wss://,
 * else `mtls`. `certPath` / `keyPath` / `caPath` are only used to name files in messages.
 */
export interface AwsIotSdkExtra extends AwsConnectExtra {
  auth?: AwsIotAuth;
  customAuthorizer?: CustomAuthorizerSettings;
  certPath?: string;
  keyPath?: string;
  caPath?: string;
}

/** Creates the AWS IoT Device SDK v2 transport. */
export function createAwsIotSdkTransport(): Transport {
  return { name: NAME, connect: connectAwsIotSdk };
}

/** The registry's instance. */
export const awsIotSdkTransport: Transport = createAwsIotSdkTransport();

export default awsIotSdkTransport;

async function connectAwsIotSdk(options: ConnectOptions): Promise<TransportSession> {
  const target = parseTarget(options);
  const extra = readExtra(options, target);
  debug('connect %s as %s (MQTT %s, %s)', target.shown, options.clientId, options.protocol, extra.auth);
  const material = checkTlsMaterial(options, extra);
  const sigv4 =
    extra.auth === 'sigv4' ? await sigv4Settings(extra, target.host, options.connectTimeoutMs) : undefined;
  return options.protocol === '5'
    ? connectMqtt5(options, target, extra, material, sigv4)
    : connectMqtt311(options, target, extra, material, sigv4);
}

// --- MQTT 5 -----------------------------------------------------------------------------------

function connectMqtt5(
  options: ConnectOptions,
  target: Target,
  extra: ResolvedExtra,
  material: TlsMaterial,
  sigv4: SigV4Settings | undefined,
): Promise<TransportSession> {
  let builder: iot.AwsIotMqtt5ClientConfigBuilder;
  if (extra.auth === 'mtls') {
    builder = iot.AwsIotMqtt5ClientConfigBuilder.newDirectMqttBuilderWithMtlsFromMemory(
      target.host,
      material.cert as string,
      material.key as string,
    );
  } else if (extra.auth === 'sigv4') {
    const s = sigv4 as SigV4Settings;
    builder = iot.AwsIotMqtt5ClientConfigBuilder.newWebsocketMqttBuilderWithSigv4Auth(target.host, {
      region: s.region,
      credentialsProvider: s.provider,
    });
  } else {
    const config = customAuthConfig(extra.customAuthorizer ?? {});
    builder = target.websocket
      ? iot.AwsIotMqtt5ClientConfigBuilder.newWebsocketMqttBuilderWithCustomAuth(target.host, config)
      : iot.AwsIotMqtt5ClientConfigBuilder.newDirectMqttBuilderWithCustomAuth(target.host, config);
  }
  builder.withPort(target.port);
  if (material.ca !== undefined) builder.withCertificateAuthority(material.ca);
  applyTlsOverrides(builder, options.tls);
  const connect: mqtt5.ConnectPacket = {
    clientId: options.clientId,
    keepAliveIntervalSeconds: options.keepalive,
  };
  if (options.sessionExpiry !== undefined) connect.sessionExpiryIntervalSeconds = options.sessionExpiry;
  if (options.receiveMaximum !== undefined) connect.receiveMaximum = options.receiveMaximum;
  if (options.userProperties !== undefined) connect.userProperties = toUserProperties(options.userProperties);
  if (options.username !== undefined) connect.username = options.username;
  if (options.password !== undefined) connect.password = Buffer.from(options.password, 'utf8');
  if (options.will !== undefined) {
    const w = options.will;
    const will: mqtt5.PublishPacket = {
      topicName: w.topic,
      payload: toBuffer(w.payload),
      qos: w.qos as number as mqtt5.QoS,
      retain: w.retain,
    };
    if (w.properties !== undefined) {
      const { willDelayInterval, ...rest } = w.properties;
      applyPublishProperties(will, rest);
      delete will.topicAlias;
      if (willDelayInterval !== undefined) connect.willDelayIntervalSeconds = willDelayInterval;
    }
    connect.will = will;
  }
  builder.withConnectProperties(connect);
  // Clean Start on every connect, or always resume ([MQTT-3.1.2-4], [MQTT-3.1.2-5]).
  builder.withSessionBehavior(
    options.clean ? mqtt5.ClientSessionBehavior.Clean : mqtt5.ClientSessionBehavior.RejoinAlways,
  );
  // Nothing waits in an offline queue: an operation on a lost connection fails at once.
  builder.withOfflineQueueBehavior(mqtt5.ClientOperationQueueBehavior.FailAllOnDisconnect);
  builder.withConnackTimeoutMs(options.connectTimeoutMs);
  builder.withTopicAliasingOptions({
    outboundBehavior: mqtt5.OutboundTopicAliasBehaviorType.Manual,
    inboundBehavior: mqtt5.InboundTopicAliasBehaviorType.Enabled,
  });
  builder.withMinReconnectDelayMs(60_000);
  builder.withMaxReconnectDelayMs(60_000);
  const config = builder.build();
  config.disableMetrics = true;
  if (extra.auth !== 'custom-authorizer' && config.connectProperties !== undefined) {
    // build() put the metrics username ("?SDK=...", or "?") in; keep the scenario's own.
    if (options.username === undefined) delete config.connectProperties.username;
    else config.connectProperties.username = options.username;
  }

  let client: mqtt5.Mqtt5Client;
  try {
    client = new mqtt5.Mqtt5Client(config);
    liveClients += 1;
  } catch (cause) {
    throw new TransportError(
      `cannot create the AWS IoT SDK client for ${target.shown}: ${messageOf(cause)}`,
      {
        transport: NAME,
        cause,
        hint: tlsHint(extra),
      },
    );
  }

  return new Promise<TransportSession>((resolve, reject) => {
    let settled = false;
    const cleanup = () => {
      clearTimeout(timer);
      diagnosis.cancel();
      client.off('connectionSuccess', onSuccess);
      client.off('connectionFailure', onFailure);
    };
    const fail = (error: TransportError, diagnose = true) => {
      if (settled) return;
      settled = true;
      cleanup();
      void shutdown5(client);
      if (!diagnose) {
        debug('connect %s failed: %s', options.clientId, error.message);
        reject(error);
        return;
      }
      // The CRT says little ("socket is closed", or nothing until the timeout): ask Node's TLS.
      void diagnosis.result().then((better) => {
        const e = better ?? error;
        debug('connect %s failed: %s', options.clientId, e.message);
        reject(e);
      });
    };
    const diagnosis = startDiagnosis(
      (budget) => diagnoseTls(options, target, extra, material, sigv4, budget),
      options.connectTimeoutMs,
      (found) => fail(found, false),
    );
    const timer = setTimeout(() => {
      fail(
        new TransportError(
          `no CONNACK from ${target.shown} within ${options.connectTimeoutMs} ms (client "${options.clientId}")`,
          {
            transport: NAME,
            hint: 'is the endpoint reachable? check the endpoint, the port (8883 or 443) and firewalls',
          },
        ),
      );
    }, options.connectTimeoutMs);
    const onFailure = (event: mqtt5.ConnectionFailureEvent) => {
      const code = event.connack?.reasonCode;
      if (code !== undefined && code !== 0) {
        // A refused CONNACK [MQTT-3.2.2-6]: the broker answered, and said no.
        const text = reasonText(code, 'connack', '5');
        fail(
          new TransportError(
            `${target.shown} refused the connection of client "${options.clientId}": ${text} (${hex(code)})`,
            {
              transport: NAME,
              cause: event.error,
              reasonCode: code,
              reasonText: text,
              hint: refusalHint(code, extra),
            },
          ),
          false,
        );
        return;
      }
      fail(connectError(event.error, options, target, extra));
    };
    const onSuccess = (event: mqtt5.ConnectionSuccessEvent) => {
      if (settled) return;
      settled = true;
      cleanup();
      resolve(new Mqtt5Session(client, options.clientId, toConnectResult(event.connack), target.shown));
    };
    client.on('connectionSuccess', onSuccess);
    client.on('connectionFailure', onFailure);
    client.on('error', (err) => debug('%s: client error %s', options.clientId, messageOf(err)));
    try {
      client.start();
    } catch (cause) {
      fail(connectError(cause, options, target, extra));
    }
  });
}

class Mqtt5Session implements TransportSession {
  readonly clientId: string;
  readonly connack: ConnectResult;
  /** Dropped once shut down, so the native wrapper can be collected (see collectNativeClients). */
  #client: mqtt5.Mqtt5Client | undefined;
  readonly #url: string;
  readonly #messageHandlers: Array<TransportSessionEvents['message']> = [];
  readonly #lostHandlers: Array<TransportSessionEvents['lost']> = [];
  #closed = false;

  constructor(client: mqtt5.Mqtt5Client, clientId: string, connack: ConnectResult, url: string) {
    this.#client = client;
    this.clientId = clientId;
    this.connack = connack;
    this.#url = url;
    client.on('messageReceived', (event) => {
      const p = event.message;
      const msg: ReceivedMessage = {
        topic: p.topicName,
        payload: toUint8(p.payload),
        qos: p.qos as number as QoS,
        retain: p.retain === true,
        // The MQTT 5 client does not expose DUP (AWS IoT does not set it either, Q-5).
        dup: false,
        receivedAt: performance.timeOrigin + performance.now(),
      };
      const props = fromPublishPacket(p);
      if (props !== undefined) msg.properties = props;
      for (const h of this.#messageHandlers) h(msg);
    });
    client.on('disconnection', (event) => {
      if (this.#closed) return;
      this.#closed = true;
      const loss: ConnectionLoss = { message: '' };
      const code = event.disconnect?.reasonCode;
      if (code !== undefined) {
        // [MQTT-3.14.2-1] a server DISCONNECT carries a reason code on MQTT 5.
        loss.reasonCode = code;
        loss.message = `broker sent DISCONNECT ${formatReason(code, 'disconnect')}`;
      } else {
        loss.message = `connection to ${url} lost: ${messageOf(event.error)}`;
      }
      debug('%s: lost (%s)', clientId, loss.message);
      // No automatic reconnect: the engine decides (transport.ts).
      void this.#shutdown();
      for (const h of this.#lostHandlers) h(loss);
    });
  }

  on<E extends keyof TransportSessionEvents>(event: E, handler: TransportSessionEvents[E]): void {
    if (event === 'message') this.#messageHandlers.push(handler as TransportSessionEvents['message']);
    else if (event === 'lost') this.#lostHandlers.push(handler as TransportSessionEvents['lost']);
  }

  async subscribe(
    requests: readonly SubscriptionRequest[],
    properties?: { userProperties?: ReadonlyArray<readonly [string, string]> },
  ): Promise<SubscribeResult> {
    this.#assertOpen('subscribe');
    const packet: mqtt5.SubscribePacket = {
      subscriptions: requests.map((r) => {
        const s: mqtt5.Subscription = { topicFilter: r.filter, qos: r.qos as number as mqtt5.QoS };
        if (r.noLocal !== undefined) s.noLocal = r.noLocal;
        if (r.retainAsPublished !== undefined) s.retainAsPublished = r.retainAsPublished;
        if (r.retainHandling !== undefined)
          s.retainHandlingType = r.retainHandling as number as mqtt5.RetainHandlingType;
        return s;
      }),
    };
    if (properties?.userProperties !== undefined)
      packet.userProperties = toUserProperties(properties.userProperties);
    try {
      const suback = await this.#live().subscribe(packet);
      return { reasonCodes: suback.reasonCodes.map(Number) };
    } catch (err) {
      throw this.#operationError('subscribe', err);
    }
  }

  async unsubscribe(filters: readonly string[]): Promise<number[]> {
    this.#assertOpen('unsubscribe');
    try {
      const unsuback = await this.#live().unsubscribe({ topicFilters: [...filters] });
      return unsuback.reasonCodes.map(Number);
    } catch (err) {
      throw this.#operationError('unsubscribe', err);
    }
  }

  async publish(request: PublishRequest): Promise<PublishResult> {
    this.#assertOpen('publish');
    if (request.qos === 2) {
      throw new TransportError(
        `publish on client "${this.clientId}": the AWS IoT Device SDK MQTT 5 client has no QoS 2 (AWS IoT Core neither)`,
        { transport: NAME, hint: 'use qos: 0 or 1 with this transport, or the mqttjs transport for QoS 2' },
      );
    }
    const packet: mqtt5.PublishPacket = {
      topicName: request.topic,
      payload: toBuffer(request.payload),
      qos: request.qos as number as mqtt5.QoS,
      retain: request.retain,
    };
    if (request.properties !== undefined) applyPublishProperties(packet, request.properties);
    try {
      const ack = await this.#live().publish(packet);
      return { reasonCode: ack === undefined ? 0 : Number(ack.reasonCode) };
    } catch (err) {
      throw this.#operationError('publish', err);
    }
  }

  async disconnect(options: DisconnectOptions): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (options.how === 'abrupt') {
      // stop() without a packet closes the socket without DISCONNECT: the broker publishes the
      // will [MQTT-3.1.2-8]; a DISCONNECT would discard it [MQTT-3.1.2-10].
      debug('%s: abrupt disconnect', this.clientId);
      await this.#shutdown();
      return;
    }
    const packet: mqtt5.DisconnectPacket = {
      reasonCode: (options.reasonCode ?? 0) as mqtt5.DisconnectReasonCode,
    };
    if (options.sessionExpiry !== undefined) packet.sessionExpiryIntervalSeconds = options.sessionExpiry;
    debug('%s: graceful disconnect', this.clientId);
    await this.#shutdown(packet);
  }

  #assertOpen(op: string): void {
    if (!this.#closed) return;
    throw new TransportError(`${op} on client "${this.clientId}": the connection is closed`, {
      transport: NAME,
      hint: 'connect (or reconnect) the client before this step',
    });
  }

  #live(): mqtt5.Mqtt5Client {
    if (this.#client === undefined) this.#assertOpen('operation');
    return this.#client as mqtt5.Mqtt5Client;
  }

  async #shutdown(packet?: mqtt5.DisconnectPacket): Promise<void> {
    const client = this.#client;
    if (client === undefined) return;
    await shutdown5(client, packet);
    this.#client = undefined;
  }

  #operationError(op: string, err: unknown): TransportError {
    return new TransportError(`${op} on client "${this.clientId}" (${this.#url}) failed: ${messageOf(err)}`, {
      transport: NAME,
      cause: err,
    });
  }
}

/** MQTT 5 clients created and not yet closed. */
let liveClients = 0;
let gcFunction: (() => void) | null | undefined;

/**
 * The MQTT 5 client's native callbacks (thread-safe functions) are released only when its JS
 * wrapper is garbage-collected, not by close(), so they keep Node running after the last client
 * is closed (aws-crt-nodejs issue 600, open). When no client is left, a few collections run
 * (timers unref'd: they never hold the process themselves) so the process can exit.
 */
function collectNativeClients(): void {
  if (gcFunction === undefined) {
    try {
      const exposed = (globalThis as { gc?: () => void }).gc;
      if (typeof exposed === 'function') gcFunction = exposed;
      else {
        v8.setFlagsFromString('--expose_gc');
        gcFunction = runInNewContext('gc') as () => void;
      }
    } catch (err) {
      debug('no gc available: %s', messageOf(err));
      gcFunction = null;
    }
  }
  for (const delay of [20, 500, 2000]) {
    setTimeout(() => {
      if (liveClients === 0) gcFunction?.();
    }, delay).unref();
  }
}

/** Stops the client (with DISCONNECT when a packet is given), waits for 'stopped' (bounded), frees it. */
const shutdowns = new WeakMap<mqtt5.Mqtt5Client, Promise<void>>();
function shutdown5(client: mqtt5.Mqtt5Client, packet?: mqtt5.DisconnectPacket): Promise<void> {
  const running = shutdowns.get(client);
  if (running) return running;
  const p = new Promise<void>((resolve) => {
    const timer = setTimeout(done, STOP_BOUND_MS);
    function done() {
      clearTimeout(timer);
      client.off('stopped', done);
      // close() releases the native client; it must happen once, after stop.
      setImmediate(() => {
        try {
          client.close();
        } catch (err) {
          debug('close failed: %s', messageOf(err));
        }
        liveClients -= 1;
        if (liveClients === 0) collectNativeClients();
        resolve();
      });
    }
    client.on('stopped', done);
    try {
      if (packet === undefined) client.stop();
      else client.stop(packet);
    } catch (err) {
      debug('stop failed: %s', messageOf(err));
      done();
    }
  });
  shutdowns.set(client, p);
  return p;
}

// --- MQTT 3.1.1 -------------------------------------------------------------------------------

async function connectMqtt311(
  options: ConnectOptions,
  target: Target,
  extra: ResolvedExtra,
  material: TlsMaterial,
  sigv4: SigV4Settings | undefined,
): Promise<TransportSession> {
  if (options.will?.properties !== undefined || options.userProperties !== undefined) {
    debug('%s: MQTT 5 properties ignored on 3.1.1', options.clientId);
  }
  let builder: iot.AwsIotMqttConnectionConfigBuilder;
  if (extra.auth === 'mtls') {
    builder = iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder(
      material.cert as string,
      material.key as string,
    );
  } else if (extra.auth === 'sigv4') {
    const s = sigv4 as SigV4Settings;
    builder = iot.AwsIotMqttConnectionConfigBuilder.new_with_websockets({
      region: s.region,
      credentials_provider: s.provider,
    });
  } else {
    if (target.websocket) {
      builder = iot.AwsIotMqttConnectionConfigBuilder.new_builder_for_websocket();
    } else {
      builder = iot.AwsIotMqttConnectionConfigBuilder.new_default_builder();
    }
    const ca = extra.customAuthorizer ?? {};
    builder.with_custom_authorizer(
      ca.username ?? '',
      ca.name ?? '',
      ca.tokenSignature ?? '',
      ca.password ?? '',
      ca.tokenKeyName,
      ca.tokenValue,
    );
  }
  if (material.ca !== undefined) builder.with_certificate_authority(material.ca);
  // A loopback relay in front of the endpoint lets disconnect({ how: 'abrupt' }) cut the TCP
  // connection: the 3.1.1 connection has no way to drop its socket without DISCONNECT.
  const relay = await startRelay(target.host, target.port);
  builder
    .with_endpoint(target.host)
    .with_port(target.port)
    .with_client_id(options.clientId)
    .with_clean_session(options.clean)
    .with_keep_alive_seconds(options.keepalive)
    .with_timeout_ms(options.connectTimeoutMs);
  if (options.username !== undefined && extra.auth !== 'custom-authorizer')
    builder.with_username(options.username);
  if (options.password !== undefined && extra.auth !== 'custom-authorizer')
    builder.with_password(options.password);
  if (options.will !== undefined) {
    const w = options.will;
    builder.with_will(new mqtt.MqttWill(w.topic, w.qos as number as mqtt.QoS, toBuffer(w.payload), w.retain));
  }
  applyTlsOverrides(builder, options.tls);
  const config = builder.build();
  config.disable_metrics = true;
  if (extra.auth !== 'custom-authorizer' && options.username === undefined) delete config.username;
  // Route the TCP connection through the relay; TLS (SNI, host check) still names the endpoint.
  config.proxy_options = relay.proxyOptions;

  const client = new mqtt.MqttClient();
  let connection: mqtt.MqttClientConnection;
  try {
    connection = client.new_connection(config);
  } catch (cause) {
    relay.close();
    throw new TransportError(
      `cannot create the AWS IoT SDK connection for ${target.shown}: ${messageOf(cause)}`,
      {
        transport: NAME,
        cause,
        hint: tlsHint(extra),
      },
    );
  }
  connection.on('error', (err) => debug('%s: connection error %s', options.clientId, messageOf(err)));

  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new TransportError(
            `no CONNACK from ${target.shown} within ${options.connectTimeoutMs} ms (client "${options.clientId}")`,
            {
              transport: NAME,
              hint: 'is the endpoint reachable? check the endpoint, the port (8883 or 443) and firewalls',
            },
          ),
        ),
      options.connectTimeoutMs,
    );
  });
  let found: (error: TransportError) => void = () => {};
  const early = new Promise<never>((_, reject) => {
    found = reject;
  });
  // A diagnosis arriving after the connect settled is dropped, not an unhandled rejection.
  early.catch(() => {});
  const diagnosis = startDiagnosis(
    (budget) => diagnoseTls(options, target, extra, material, sigv4, budget),
    options.connectTimeoutMs,
    (error) => found(error),
  );
  let sessionPresent: boolean;
  try {
    sessionPresent = await Promise.race([connection.connect(), timeout, early]);
    diagnosis.cancel();
  } catch (err) {
    relay.close();
    // disconnect() also ends a connect still in progress; it frees the native connection.
    void connection.disconnect().catch(() => {});
    if (err instanceof TransportError) throw (await diagnosis.result()) ?? err;
    const text = messageOf(err);
    if (/MQTT_PROTOCOL_ERROR/.test(text)) {
      // The SDK's 3.1.1 connection reports a refused CONNACK as a protocol error and drops the
      // return code [MQTT-3.2.2-5] (checked: its connect callback gets return code 0).
      throw new TransportError(
        `${target.shown} refused or dropped the connection of client "${options.clientId}" (the SDK's MQTT 3.1.1 client does not report the CONNACK return code): ${text}`,
        {
          transport: NAME,
          cause: err,
          hint: `${refusalHint(5, extra, '3.1.1')}; protocol: "5" shows the reason code`,
        },
      );
    }
    throw (await diagnosis.result()) ?? connectError(err, options, target, extra);
  } finally {
    clearTimeout(timer);
  }
  return new Mqtt311Session(connection, relay, options.clientId, sessionPresent, target.shown);
}

class Mqtt311Session implements TransportSession {
  readonly clientId: string;
  readonly connack: ConnectResult;
  readonly #connection: mqtt.MqttClientConnection;
  readonly #relay: Relay;
  readonly #url: string;
  readonly #messageHandlers: Array<TransportSessionEvents['message']> = [];
  readonly #lostHandlers: Array<TransportSessionEvents['lost']> = [];
  #closed = false;

  constructor(
    connection: mqtt.MqttClientConnection,
    relay: Relay,
    clientId: string,
    sessionPresent: boolean,
    url: string,
  ) {
    this.#connection = connection;
    this.#relay = relay;
    this.clientId = clientId;
    this.connack = { sessionPresent, reasonCode: 0 };
    this.#url = url;
    connection.on('message', (topic, payload, dup, qos, retain) => {
      const msg: ReceivedMessage = {
        topic,
        payload: new Uint8Array(payload),
        qos: qos as number as QoS,
        retain,
        dup,
        receivedAt: performance.timeOrigin + performance.now(),
      };
      for (const h of this.#messageHandlers) h(msg);
    });
    connection.on('interrupt', (err) => {
      if (this.#closed) return;
      this.#closed = true;
      const loss: ConnectionLoss = { message: `connection to ${url} lost: ${messageOf(err)}` };
      debug('%s: lost (%s)', clientId, loss.message);
      // Stop the SDK's own reconnect loop: the engine reconnects explicitly.
      this.#teardown();
      for (const h of this.#lostHandlers) h(loss);
    });
  }

  on<E extends keyof TransportSessionEvents>(event: E, handler: TransportSessionEvents[E]): void {
    if (event === 'message') this.#messageHandlers.push(handler as TransportSessionEvents['message']);
    else if (event === 'lost') this.#lostHandlers.push(handler as TransportSessionEvents['lost']);
  }

  async subscribe(requests: readonly SubscriptionRequest[]): Promise<SubscribeResult> {
    this.#assertOpen('subscribe');
    // The 3.1.1 connection sends one SUBSCRIBE per filter; SUBACK 0x80 comes back as qos 128.
    const codes = await Promise.all(
      requests.map(async (r) => {
        try {
          const ack = await this.#connection.subscribe(r.filter, r.qos as number as mqtt.QoS);
          return Number(ack.qos);
        } catch (err) {
          throw this.#operationError('subscribe', err);
        }
      }),
    );
    return { reasonCodes: codes };
  }

  async unsubscribe(filters: readonly string[]): Promise<number[]> {
    this.#assertOpen('unsubscribe');
    try {
      await Promise.all(filters.map((f) => this.#connection.unsubscribe(f)));
    } catch (err) {
      throw this.#operationError('unsubscribe', err);
    }
    // MQTT 3.1.1 UNSUBACK has no reason codes [MQTT-3.11.3]: success for every filter.
    return filters.map(() => 0);
  }

  async publish(request: PublishRequest): Promise<PublishResult> {
    this.#assertOpen('publish');
    try {
      await this.#connection.publish(
        request.topic,
        toBuffer(request.payload),
        request.qos as number as mqtt.QoS,
        request.retain,
      );
    } catch (err) {
      throw this.#operationError('publish', err);
    }
    return { reasonCode: 0 };
  }

  async disconnect(options: DisconnectOptions): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (options.how === 'abrupt') {
      // Cut the TCP connection under the client: no DISCONNECT reaches the broker, so it
      // publishes the will [MQTT-3.1.2-8]. Then stop the client's reconnect attempts.
      debug('%s: abrupt disconnect', this.clientId);
      this.#relay.close();
      // Not awaited: the SDK's disconnect of a cut connection waits for its reconnect timer.
      void this.#teardown();
      return;
    }
    debug('%s: graceful disconnect', this.clientId);
    await bounded(this.#connection.disconnect(), STOP_BOUND_MS).catch((err) =>
      debug('disconnect: %s', messageOf(err)),
    );
    this.#relay.release();
  }

  async #teardown(): Promise<void> {
    await bounded(this.#connection.disconnect(), STOP_BOUND_MS).catch(() => {});
    this.#relay.release();
  }

  #assertOpen(op: string): void {
    if (!this.#closed) return;
    throw new TransportError(`${op} on client "${this.clientId}": the connection is closed`, {
      transport: NAME,
      hint: 'connect (or reconnect) the client before this step',
    });
  }

  #operationError(op: string, err: unknown): TransportError {
    return new TransportError(`${op} on client "${this.clientId}" (${this.#url}) failed: ${messageOf(err)}`, {
      transport: NAME,
      cause: err,
    });
  }
}

// --- internal ---------------------------------------------------------------------------------

interface Target {
  host: string;
  port: number;
  websocket: boolean;
  /** URL for messages (no secrets). */
  shown: string;
}

interface ResolvedExtra extends AwsIotSdkExtra {
  auth: AwsIotAuth;
}

interface TlsMaterial {
  ca?: string;
  cert?: string;
  key?: string;
}

interface SigV4Settings {
  region: string;
  provider: auth.AwsCredentialsProvider;
  credentials: AwsCredentials;
}

function parseTarget(options: ConnectOptions): Target {
  const shown = redactUrl(options.url);
  let url: URL;
  try {
    url = new URL(options.url);
  } catch (cause) {
    throw new TransportError(`"${shown}" is not a URL`, {
      transport: NAME,
      cause,
      hint: 'write the AWS IoT endpoint as mqtts://<endpoint>:8883 (mTLS) or wss://<endpoint>/mqtt (SigV4)',
    });
  }
  const websocket = url.protocol === 'wss:';
  if (!websocket && !['mqtts:', 'ssl:', 'tls:'].includes(url.protocol)) {
    throw new TransportError(`the ${NAME} transport speaks only TLS, not "${url.protocol}" (${shown})`, {
      transport: NAME,
      hint: 'use mqtts://<endpoint>:8883 or :443 (mTLS, custom authorizer) or wss://<endpoint>/mqtt (SigV4)',
    });
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port === '' ? (websocket ? 443 : 8883) : Number(url.port);
  return { host, port, websocket, shown };
}

function readExtra(options: ConnectOptions, target: Target): ResolvedExtra {
  const raw = options.extra ?? {};
  const base = awsExtraOf(raw, NAME);
  const out: ResolvedExtra = { ...base, auth: 'mtls' };
  for (const key of ['certPath', 'keyPath', 'caPath'] as const) {
    const v = raw[key];
    if (typeof v === 'string') out[key] = v;
  }
  if (raw.customAuthorizer !== undefined) {
    const c = raw.customAuthorizer;
    if (c === null || typeof c !== 'object') {
      throw new TransportError(
        `invalid "customAuthorizer" setting for transport ${NAME}: expected an object`,
        {
          transport: NAME,
          hint: 'set customAuthorizer: { name, tokenKeyName, tokenValue, tokenSignature, username, password }',
        },
      );
    }
    const settings: CustomAuthorizerSettings = {};
    for (const key of [
      'name',
      'username',
      'password',
      'tokenKeyName',
      'tokenValue',
      'tokenSignature',
    ] as const) {
      const v = (c as Record<string, unknown>)[key];
      if (v === undefined) continue;
      if (typeof v !== 'string') {
        throw new TransportError(
          `invalid "customAuthorizer.${key}" setting for transport ${NAME}: expected a string`,
          {
            transport: NAME,
            hint: `fix customAuthorizer.${key} in the targets file`,
          },
        );
      }
      settings[key] = v;
    }
    out.customAuthorizer = settings;
  }
  const requested = raw.auth;
  if (
    requested !== undefined &&
    requested !== 'mtls' &&
    requested !== 'sigv4' &&
    requested !== 'custom-authorizer'
  ) {
    throw new TransportError(`invalid "auth" setting "${String(requested)}" for transport ${NAME}`, {
      transport: NAME,
      hint: 'set auth: to mtls, sigv4 or custom-authorizer',
    });
  }
  out.auth =
    requested ??
    (out.customAuthorizer !== undefined ? 'custom-authorizer' : target.websocket ? 'sigv4' : 'mtls');
  if (out.auth === 'sigv4' && !target.websocket) {
    throw new TransportError(`SigV4 needs a wss:// URL, got ${target.shown}`, {
      transport: NAME,
      hint: 'write the endpoint as wss://<endpoint>/mqtt for SigV4, or use mqtts:// with a certificate (auth: mtls)',
    });
  }
  if (out.auth === 'mtls' && target.websocket) {
    throw new TransportError(`mTLS (client certificate) needs an mqtts:// URL, got ${target.shown}`, {
      transport: NAME,
      hint: 'write the endpoint as mqtts://<endpoint>:8883, or set auth: sigv4 for wss://',
    });
  }
  return out;
}

/**
 * Checks the PEM material before the SDK sees it, so every mistake gets a message naming the file
 * and the fix (the CRT only says "TLS negotiation failed"). Never prints key material.
 */
function checkTlsMaterial(options: ConnectOptions, extra: ResolvedExtra): TlsMaterial {
  const tls = options.tls ?? {};
  const out: TlsMaterial = {};
  const certName = extra.certPath ?? 'the client certificate (cert:)';
  const keyName = extra.keyPath ?? 'the private key (key:)';
  const caName = extra.caPath ?? 'the CA certificate (ca:)';
  if (tls.ca !== undefined) {
    try {
      new X509Certificate(tls.ca);
    } catch (cause) {
      throw new TransportError(`${caName} is not a PEM certificate`, {
        transport: NAME,
        cause,
        hint: 'point ca: at the CA that signed the broker certificate (AmazonRootCA1.pem for AWS IoT Core)',
      });
    }
    out.ca = tls.ca;
  }
  if (extra.auth !== 'mtls') return out;
  if (tls.cert === undefined || tls.key === undefined) {
    const missing = tls.cert === undefined ? 'client certificate (cert:)' : 'private key (key:)';
    throw new TransportError(`mTLS needs a ${missing} for ${redactUrl(options.url)}`, {
      transport: NAME,
      hint: 'set cert: and key: in the targets file (files from mqscen aws provision or mqscen certs --issue <thing>)',
    });
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(tls.cert);
  } catch (cause) {
    throw new TransportError(`${certName} is not a PEM certificate`, {
      transport: NAME,
      cause,
      hint: 'cert: must be the device certificate file (-----BEGIN CERTIFICATE-----)',
    });
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(tls.key);
  } catch (cause) {
    throw new TransportError(`${keyName} is not a PEM private key`, {
      transport: NAME,
      cause,
      hint: 'key: must be the private key file of the device certificate (-----BEGIN ... PRIVATE KEY-----)',
    });
  }
  if (!cert.checkPrivateKey(key)) {
    throw new TransportError(`${keyName} does not belong to ${certName}`, {
      transport: NAME,
      hint: 'use the private key that was created with this certificate',
    });
  }
  const now = Date.now();
  if (Date.parse(cert.validTo) < now) {
    throw new TransportError(`${certName} expired on ${new Date(cert.validTo).toISOString()}`, {
      transport: NAME,
      hint: 'issue a new device certificate (mqscen certs --issue <thing>, or mqscen aws provision)',
    });
  }
  if (Date.parse(cert.validFrom) > now) {
    throw new TransportError(`${certName} is not valid before ${new Date(cert.validFrom).toISOString()}`, {
      transport: NAME,
      hint: 'check the system clock, or issue a certificate valid from now',
    });
  }
  out.cert = tls.cert;
  out.key = tls.key;
  return out;
}

async function sigv4Settings(extra: ResolvedExtra, host: string, timeoutMs: number): Promise<SigV4Settings> {
  const region = resolveRegion(extra, host, NAME);
  // Resolved per connect, so temporary credentials from the chain are fresh on every reconnect.
  const c = await resolveCredentials(extra, NAME, timeoutMs);
  return {
    region,
    provider: auth.AwsCredentialsProvider.newStatic(c.accessKeyId, c.secretAccessKey, c.sessionToken),
    credentials: c,
  };
}

function customAuthConfig(s: CustomAuthorizerSettings): iot.MqttConnectCustomAuthConfig {
  const config: iot.MqttConnectCustomAuthConfig = {};
  if (s.name !== undefined) config.authorizerName = s.name;
  if (s.username !== undefined) config.username = s.username;
  if (s.password !== undefined) config.password = Buffer.from(s.password, 'utf8');
  if (s.tokenKeyName !== undefined) config.tokenKeyName = s.tokenKeyName;
  if (s.tokenValue !== undefined) config.tokenValue = s.tokenValue;
  if (s.tokenSignature !== undefined) config.tokenSignature = s.tokenSignature;
  return config;
}

/**
 * ALPN list and peer verification: the builders keep their TLS options private (tlsContextOptions
 * on the MQTT 5 builder, tls_ctx_options on the 3.1.1 one); A-1 lists the ALPN protocols.
 */
function applyTlsOverrides(builder: object, tls: ConnectOptions['tls']): void {
  const holder = builder as {
    tlsContextOptions?: { alpn_list?: string[]; verify_peer?: boolean };
    tls_ctx_options?: { alpn_list?: string[]; verify_peer?: boolean };
  };
  const target = holder.tlsContextOptions ?? holder.tls_ctx_options;
  if (target === undefined || tls === undefined) return;
  if (tls.alpn !== undefined) target.alpn_list = [...tls.alpn];
  if (tls.rejectUnauthorized === false) target.verify_peer = false;
}

/**
 * The diagnosis of a failed connect, within the connect bound: from 2 s (or half the bound) on it
 * runs alongside the SDK's attempt (the CRT may sit silent until the timeout on a bad endpoint
 * certificate), and reports a definite problem at once through `onFound`.
 */
function startDiagnosis(
  run: (budgetMs: number) => Promise<TransportError | undefined>,
  boundMs: number,
  onFound: (error: TransportError) => void,
): { result(): Promise<TransportError | undefined>; cancel(): void } {
  const started = Date.now();
  let pending: Promise<TransportError | undefined> | undefined;
  // A good connect takes well under 2 s even to a far region; past that, look in parallel.
  const earlyAt = Math.min(boundMs / 2, 2000);
  const early = setTimeout(() => {
    pending = run(Math.min(3000, boundMs - earlyAt - 100));
    void pending.then((found) => {
      if (found !== undefined) onFound(found);
    });
  }, earlyAt);
  return {
    cancel: () => clearTimeout(early),
    result: () => {
      clearTimeout(early);
      const left = Math.max(300, started + boundMs - Date.now());
      pending ??= run(left);
      return Promise.race([pending, new Promise<undefined>((r) => setTimeout(() => r(undefined), left))]);
    },
  };
}

/**
 * Repeats the TLS handshake with Node's TLS to say what went wrong, in terms of the user's files:
 * the endpoint certificate does not verify against `ca:`, it does not name the host, the endpoint
 * refused the device certificate, or nothing listens. Bounded; undefined when TLS looks fine.
 */
async function diagnoseTls(
  options: ConnectOptions,
  target: Target,
  extra: ResolvedExtra,
  material: TlsMaterial,
  sigv4: SigV4Settings | undefined,
  budgetMs: number,
): Promise<TransportError | undefined> {
  const started = Date.now();
  const alpn =
    options.tls?.alpn ??
    (extra.auth === 'mtls'
      ? ['x-amzn-mqtt-ca']
      : extra.auth === 'custom-authorizer' && !target.websocket
        ? ['mqtt']
        : undefined);
  const probe = await probeTls(
    target.host,
    target.port,
    {
      ...(material.ca !== undefined ? { ca: material.ca } : {}),
      ...(extra.auth === 'mtls' && material.cert !== undefined && material.key !== undefined
        ? { cert: material.cert, key: material.key }
        : {}),
      ...(alpn !== undefined ? { ALPNProtocols: alpn } : {}),
      ...(options.tls?.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
    },
    Math.min(1500, Math.max(200, budgetMs / 2)),
  );
  debug('TLS probe of %s: %o', target.shown, probe);
  const who = `client "${options.clientId}"`;
  const caName =
    extra.caPath ?? (material.ca !== undefined ? 'the CA certificate (ca:)' : "the system's trusted CAs");
  const certName = extra.certPath ?? 'the device certificate (cert:)';
  if (probe.kind === 'refused') {
    return new TransportError(`cannot connect ${who} to ${target.shown}: connection refused`, {
      transport: NAME,
      hint: 'nothing listens on that host and port: is the broker running? check the endpoint and port (--target)',
    });
  }
  if (probe.kind === 'unknown-host') {
    return new TransportError(
      `cannot connect ${who} to ${target.shown}: the host name "${target.host}" does not resolve`,
      {
        transport: NAME,
        hint: 'check the endpoint host (AWS IoT: aws iot describe-endpoint --endpoint-type iot:Data-ATS) in --target',
      },
    );
  }
  if (probe.kind === 'server-cert') {
    const altname = probe.code === 'ERR_TLS_CERT_ALTNAME_INVALID';
    return new TransportError(
      altname
        ? `cannot connect ${who} to ${target.shown}: the endpoint's certificate does not name "${target.host}"`
        : `cannot connect ${who} to ${target.shown}: the endpoint's certificate does not verify against ${caName} (${probe.code})`,
      {
        transport: NAME,
        hint: altname
          ? 'connect by a host name the endpoint certificate lists (e.g. localhost for the embedded broker, the ATS endpoint for AWS IoT)'
          : "point ca: at the CA that signed the endpoint's certificate (AmazonRootCA1.pem for AWS IoT Core, .mqscen/certs/ca.cert.pem for the embedded broker)",
      },
    );
  }
  if (probe.kind === 'ok' && sigv4 !== undefined) {
    // TLS is fine: ask the endpoint what it thinks of the signature.
    const presigned = await createPresignedUrl({
      url: `wss://${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}${new URL(options.url).pathname}`,
      region: sigv4.region,
      credentials: sigv4.credentials,
    });
    const answer = await probePresignedUrl(
      presigned,
      material.ca !== undefined ? { ca: material.ca } : {},
      Math.max(200, budgetMs - (Date.now() - started)),
    );
    if (answer !== undefined && answer.status !== 101) {
      return new TransportError(
        `cannot connect ${who} to ${target.shown}: the endpoint refused the SigV4-signed WebSocket upgrade (HTTP ${answer.status}${answer.body ? `: ${answer.body}` : ''})`,
        {
          transport: NAME,
          hint: `check region (now "${sigv4.region}"), the AWS credentials (access key id, secret, session token) and the system clock`,
        },
      );
    }
  }
  if (probe.kind === 'client-cert-refused' && extra.auth === 'mtls') {
    return new TransportError(
      `cannot connect ${who} to ${target.shown}: the endpoint refused ${certName} during the TLS handshake`,
      {
        transport: NAME,
        hint: 'the device certificate must be issued by a CA the endpoint trusts, and be registered and ACTIVE (AWS IoT: aws iot describe-certificate)',
      },
    );
  }
  return undefined;
}

type ProbeResult =
  | { kind: 'ok' }
  | { kind: 'refused' }
  | { kind: 'unknown-host' }
  | { kind: 'server-cert'; code: string }
  | { kind: 'client-cert-refused'; detail: string }
  | { kind: 'other'; detail: string };

const SERVER_CERT_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function probeTls(
  host: string,
  port: number,
  tlsOptions: ConnectionOptions,
  boundMs: number,
): Promise<ProbeResult> {
  return new Promise<ProbeResult>((resolve) => {
    let done = false;
    let handshaken = false;
    const finish = (r: ProbeResult) => {
      if (done) return;
      done = true;
      clearTimeout(bound);
      socket.destroy();
      resolve(r);
    };
    const socket = tlsConnect({
      host,
      port,
      ...(net.isIP(host) === 0 ? { servername: host } : {}),
      rejectUnauthorized: true,
      ...tlsOptions,
    });
    const bound = setTimeout(() => finish({ kind: 'other', detail: 'no answer' }), boundMs);
    socket.on('secureConnect', () => {
      handshaken = true;
      // TLS 1.3: the server checks the client certificate after the handshake; a refusal comes
      // as an alert right after.
      setTimeout(() => finish({ kind: 'ok' }), Math.min(300, boundMs / 2));
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      if (code === 'ECONNREFUSED') finish({ kind: 'refused' });
      else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') finish({ kind: 'unknown-host' });
      else if (SERVER_CERT_CODES.has(code)) finish({ kind: 'server-cert', code });
      else if (handshaken || /alert|certificate/i.test(err.message) || code === 'ECONNRESET') {
        finish({ kind: 'client-cert-refused', detail: err.message });
      } else finish({ kind: 'other', detail: err.message });
    });
    socket.on('close', () => {
      if (handshaken) finish({ kind: 'client-cert-refused', detail: 'closed after the handshake' });
      else finish({ kind: 'other', detail: 'closed' });
    });
  });
}

function connectError(
  err: unknown,
  options: ConnectOptions,
  target: Target,
  extra: ResolvedExtra,
): TransportError {
  const text = messageOf(err);
  const who = `client "${options.clientId}"`;
  let hint = 'is the endpoint reachable? check the endpoint and port (--target)';
  if (/TLS|SSL|CERT|X509|PEM/i.test(text)) hint = tlsHint(extra);
  else if (/DNS|ADDRESS|HOST/i.test(text))
    hint = 'the endpoint host name does not resolve; check the endpoint';
  else if (/CONNECTION_REFUSED|ECONNREFUSED/i.test(text))
    hint =
      'nothing listens on that host and port: is the broker running? check the endpoint and port (--target)';
  else if (/WEBSOCKET|UPGRADE|HTTP|403/i.test(text) && extra.auth === 'sigv4') {
    hint = 'the endpoint refused the SigV4 signature: check the region, the credentials and the system clock';
  }
  return new TransportError(`cannot connect ${who} to ${target.shown}: ${text}`, {
    transport: NAME,
    cause: err,
    hint,
  });
}

function tlsHint(extra: ResolvedExtra): string {
  return extra.auth === 'mtls'
    ? 'TLS failed: check that ca: is the CA of the broker certificate, that the endpoint name matches it, and that the device certificate is registered and active'
    : 'TLS failed: check that ca: is the CA of the broker certificate and that the endpoint name matches it';
}

function refusalHint(code: number, extra: ResolvedExtra, protocol: '5' | '3.1.1' = '5'): string {
  const notAuthorized = protocol === '5' ? code === 0x87 || code === 0x86 : code === 5 || code === 4;
  if (notAuthorized) {
    return extra.auth === 'custom-authorizer'
      ? 'the custom authorizer refused: check the authorizer name, token and signature'
      : 'not authorized: check the policy attached to the certificate or identity (iot:Connect on this client id)';
  }
  return 'see the broker log for why it refused the connection';
}

function toConnectResult(connack: mqtt5.ConnackPacket): ConnectResult {
  const r: ConnectResult = { sessionPresent: connack.sessionPresent, reasonCode: Number(connack.reasonCode) };
  if (connack.assignedClientIdentifier !== undefined) r.assignedClientId = connack.assignedClientIdentifier;
  if (connack.serverKeepAlive !== undefined) r.serverKeepAlive = connack.serverKeepAlive;
  if (connack.sessionExpiryInterval !== undefined) r.sessionExpiry = connack.sessionExpiryInterval;
  if (connack.receiveMaximum !== undefined) r.receiveMaximum = connack.receiveMaximum;
  if (connack.maximumQos !== undefined) r.maximumQoS = Number(connack.maximumQos);
  if (connack.topicAliasMaximum !== undefined) r.topicAliasMaximum = connack.topicAliasMaximum;
  if (connack.maximumPacketSize !== undefined) r.maximumPacketSize = connack.maximumPacketSize;
  return r;
}

function toUserProperties(pairs: ReadonlyArray<readonly [string, string]>): mqtt5.UserProperty[] {
  return pairs.map(([name, value]) => ({ name, value }));
}

function applyPublishProperties(packet: mqtt5.PublishPacket, p: PublishProperties): void {
  if (p.messageExpiryInterval !== undefined) packet.messageExpiryIntervalSeconds = p.messageExpiryInterval;
  if (p.userProperties !== undefined) packet.userProperties = toUserProperties(p.userProperties);
  if (p.contentType !== undefined) packet.contentType = p.contentType;
  if (p.responseTopic !== undefined) packet.responseTopic = p.responseTopic;
  if (p.correlationData !== undefined) packet.correlationData = toBuffer(p.correlationData);
  if (p.payloadFormatIndicator !== undefined) {
    packet.payloadFormat = p.payloadFormatIndicator
      ? mqtt5.PayloadFormatIndicator.Utf8
      : mqtt5.PayloadFormatIndicator.Bytes;
  }
  if (p.topicAlias !== undefined) packet.topicAlias = p.topicAlias;
}

function fromPublishPacket(p: mqtt5.PublishPacket): PublishProperties | undefined {
  const out: PublishProperties = {};
  let any = false;
  if (p.messageExpiryIntervalSeconds !== undefined) {
    out.messageExpiryInterval = p.messageExpiryIntervalSeconds;
    any = true;
  }
  if (p.userProperties !== undefined && p.userProperties.length > 0) {
    out.userProperties = p.userProperties.map((u) => [u.name, u.value] as const);
    any = true;
  }
  if (p.contentType !== undefined) {
    out.contentType = p.contentType;
    any = true;
  }
  if (p.responseTopic !== undefined) {
    out.responseTopic = p.responseTopic;
    any = true;
  }
  if (p.correlationData !== undefined) {
    out.correlationData = toUint8(p.correlationData);
    any = true;
  }
  if (p.payloadFormat !== undefined) {
    out.payloadFormatIndicator = p.payloadFormat === mqtt5.PayloadFormatIndicator.Utf8;
    any = true;
  }
  return any ? out : undefined;
}

function toBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function toUint8(data: unknown): Uint8Array {
  if (data === undefined || data === null) return new Uint8Array(0);
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  return Buffer.from(JSON.stringify(data), 'utf8');
}

function hex(code: number): string {
  return `0x${code.toString(16).padStart(2, '0')}`;
}

function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err !== null) {
    const e = err as { error_name?: unknown; message?: unknown };
    if (typeof e.message === 'string') return e.message;
    if (typeof e.error_name === 'string') return e.error_name;
  }
  return String(err);
}

function bounded<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise<T | undefined>((resolve, reject) => {
    const t = setTimeout(() => resolve(undefined), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

// --- loopback relay for the 3.1.1 connection ----------------------------------------------------

interface Relay {
  proxyOptions: mqtt.MqttConnectionConfig['proxy_options'];
  /** Cuts every tunnel at once (abrupt). */
  close(): void;
  /** Stops listening and lets the tunnels finish what they carry (graceful), bounded. */
  release(): void;
}

/**
 * A minimal HTTP CONNECT proxy on 127.0.0.1 that tunnels to host:port. The SDK connects through it
 * (tunneling mode, so TLS is end to end); closing it destroys the tunnel sockets.
 */
async function startRelay(host: string, port: number): Promise<Relay> {
  const { http } = await import('aws-iot-device-sdk-v2');
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > 8192) client.destroy();
        return;
      }
      client.off('data', onData);
      const rest = head.subarray(end + 4);
      // Always tunnel to the configured endpoint, whatever the request line says.
      const upstream = net.connect({ host, port });
      sockets.add(upstream);
      upstream.on('close', () => sockets.delete(upstream));
      upstream.on('error', () => {
        if (!client.destroyed) client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
        upstream.destroy();
      });
      // Half-closes pass through (pipe ends the other side), so a DISCONNECT written just before
      // the client closes still reaches the broker.
      client.on('error', () => upstream.destroy());
      upstream.on('connect', () => {
        client.write('HTTP/1.1 200 Connection established\r\n\r\n');
        if (rest.length > 0) upstream.write(rest);
        client.pipe(upstream);
        upstream.pipe(client);
      });
    };
    client.on('data', onData);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  server.unref();
  const relayPort = (server.address() as net.AddressInfo).port;
  return {
    proxyOptions: new http.HttpProxyOptions(
      '127.0.0.1',
      relayPort,
      undefined,
      undefined,
      undefined,
      undefined,
      http.HttpProxyConnectionType.Tunneling,
    ),
    close() {
      server.close();
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    release() {
      // The client closes its own socket after DISCONNECT; the pipes carry that end through.
      // Ending the sockets here could drop bytes not yet read (and with them the DISCONNECT).
      server.close();
      const open = [...sockets];
      setTimeout(() => {
        for (const s of open) s.destroy();
      }, 2000).unref();
    },
  };
}
