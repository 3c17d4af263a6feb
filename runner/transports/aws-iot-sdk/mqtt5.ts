/**
 * The SDK's MQTT 5 client (protocol '5') behind the transport.ts session.
 *
 * Facts about the client this file relies on (checked against a raw MQTT server, aws-crt 1.33):
 * - `stop()` without a DISCONNECT packet closes the socket without sending DISCONNECT, so the
 *   broker publishes the will [MQTT-3.1.2-8]: that is `disconnect({ how: 'abrupt' })`.
 *   `stop({ reasonCode })` sends DISCONNECT first.
 * - It retries on its own after a refused CONNACK or a lost connection; mqscen stops it at the
 *   first failure/loss so the run record stays true (the engine reconnects).
 * - It refuses QoS 2 publishes (AWS IoT Core has no QoS 2, Q-1), and does not expose DUP.
 * - Builders append `?SDK=...` metrics to the MQTT username; mqscen disables the metrics so the
 *   username is exactly what the scenario set.
 * - It keeps AWS IoT Core's per-connection limits by default (100 publishes/s, 512 KB/s), as a
 *   device would meet them on AWS; a 500-message burst takes about 5 s.
 * - Its native callbacks are released only when the JS wrapper is garbage-collected (see
 *   collectNativeClients).
 */
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { iot, mqtt5 } from 'aws-iot-device-sdk-v2';
import createDebug from 'debug';
import { now } from '../../clock.js';
import { TransportError } from '../../errors.js';
import { toBuffer, toUint8 } from '../_bytes.js';
import { messageOf } from '../connect-errors.js';
import { formatReason } from '../reason-codes.js';
import type {
  ConnectionLoss,
  ConnectResult,
  DisconnectOptions,
  PublishProperties,
  PublishRequest,
  PublishResult,
  QoS,
  ReceivedMessage,
  SubscribeResult,
  SubscriptionRequest,
  TransportSession,
} from '../transport.js';
import { attemptConnect, creationError, refusedError, SdkSession, STOP_BOUND_MS } from './session.js';
import {
  applyTlsOverrides,
  customAuthConfig,
  NAME,
  type ResolvedSettings,
  type SigV4Settings,
} from './settings.js';
import { diagnoseTls } from './tls-diagnosis.js';

const debug = createDebug('mqscen:transport:aws-iot-sdk');

export function connectMqtt5(settings: ResolvedSettings): Promise<TransportSession> {
  const { options, target, extra, material, sigv4 } = settings;
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
    throw creationError(settings, 'client', cause);
  }
  client.on('error', (err) => debug('%s: client error %s', options.clientId, messageOf(err)));
  return attemptConnect<TransportSession>(
    {
      connect: () =>
        new Promise<TransportSession>((resolve, reject) => {
          const done = () => {
            client.off('connectionSuccess', onSuccess);
            client.off('connectionFailure', onFailure);
          };
          const onSuccess = (event: mqtt5.ConnectionSuccessEvent) => {
            done();
            resolve(new Mqtt5Session(client, options.clientId, toConnectResult(event.connack), target.shown));
          };
          const onFailure = (event: mqtt5.ConnectionFailureEvent) => {
            done();
            const code = event.connack?.reasonCode;
            if (code !== undefined && code !== 0) reject(refusedError(code, settings, event.error));
            else reject(event.error);
          };
          client.on('connectionSuccess', onSuccess);
          client.on('connectionFailure', onFailure);
          client.start();
        }),
      // The client retries on its own after a failure: stop it at the first one.
      abort: () => void shutdown5(client),
      diagnose: (budget) => diagnoseTls(settings, budget),
    },
    settings,
  );
}

class Mqtt5Session extends SdkSession implements TransportSession {
  /** Dropped once shut down, so the native wrapper can be collected (see collectNativeClients). */
  #client: mqtt5.Mqtt5Client | undefined;

  constructor(client: mqtt5.Mqtt5Client, clientId: string, connack: ConnectResult, url: string) {
    super(clientId, connack, url);
    this.#client = client;
    client.on('messageReceived', (event) => {
      const p = event.message;
      const msg: ReceivedMessage = {
        topic: p.topicName,
        payload: toUint8(p.payload),
        qos: p.qos as number as QoS,
        retain: p.retain === true,
        // The MQTT 5 client does not expose DUP (AWS IoT does not set it either, Q-5).
        dup: false,
        receivedAt: now(),
      };
      const props = fromPublishPacket(p);
      if (props !== undefined) msg.properties = props;
      // [MQTT-3.3.4-3] one identifier per matching subscription that has one.
      if (p.subscriptionIdentifiers !== undefined && p.subscriptionIdentifiers.length > 0)
        msg.subscriptionIdentifiers = [...p.subscriptionIdentifiers];
      this.emitMessage(msg);
    });
    client.on('disconnection', (event) => {
      if (this.closed) return;
      this.closed = true;
      const loss: ConnectionLoss = { message: '' };
      const code = event.disconnect?.reasonCode;
      if (code !== undefined) {
        // [MQTT-3.14.2-1] a server DISCONNECT carries a reason code on MQTT 5.
        loss.reasonCode = code;
        loss.message = `broker sent DISCONNECT ${formatReason(code, 'disconnect')}`;
      } else {
        loss.message = this.lostMessage(event.error);
      }
      // No automatic reconnect: the engine decides (transport.ts).
      void this.#shutdown();
      this.emitLost(loss);
    });
  }

  async subscribe(
    requests: readonly SubscriptionRequest[],
    properties?: { userProperties?: ReadonlyArray<readonly [string, string]> },
  ): Promise<SubscribeResult> {
    this.assertOpen('subscribe');
    // One SUBSCRIBE carries one Subscription Identifier for all its filters (MQTT 5 3.8.2.1.2):
    // requests with different identifiers go out as separate packets, concurrently.
    const batches = new Map<number | undefined, SubscriptionRequest[]>();
    for (const r of requests) {
      const batch = batches.get(r.subscriptionIdentifier);
      if (batch === undefined) batches.set(r.subscriptionIdentifier, [r]);
      else batch.push(r);
    }
    const byFilter = new Map<string, number>();
    await Promise.all(
      [...batches].map(async ([id, batch]) => {
        const codes = await this.#subscribeOnce(batch, id, properties);
        for (let i = 0; i < batch.length; i++)
          byFilter.set((batch[i] as SubscriptionRequest).filter, codes[i] ?? 0x80);
      }),
    );
    return { reasonCodes: requests.map((r) => byFilter.get(r.filter) ?? 0x80) };
  }

  async #subscribeOnce(
    requests: readonly SubscriptionRequest[],
    subscriptionIdentifier: number | undefined,
    properties?: { userProperties?: ReadonlyArray<readonly [string, string]> },
  ): Promise<number[]> {
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
    if (subscriptionIdentifier !== undefined) packet.subscriptionIdentifier = subscriptionIdentifier;
    if (properties?.userProperties !== undefined)
      packet.userProperties = toUserProperties(properties.userProperties);
    try {
      const suback = await this.#live().subscribe(packet);
      return suback.reasonCodes.map(Number);
    } catch (err) {
      throw this.operationError('subscribe', err);
    }
  }

  async unsubscribe(filters: readonly string[]): Promise<number[]> {
    this.assertOpen('unsubscribe');
    try {
      const unsuback = await this.#live().unsubscribe({ topicFilters: [...filters] });
      return unsuback.reasonCodes.map(Number);
    } catch (err) {
      throw this.operationError('unsubscribe', err);
    }
  }

  async publish(request: PublishRequest): Promise<PublishResult> {
    this.assertOpen('publish');
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
      throw this.operationError('publish', err);
    }
  }

  async disconnect(options: DisconnectOptions): Promise<void> {
    if (this.closed) return;
    this.closed = true;
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

  #live(): mqtt5.Mqtt5Client {
    if (this.#client === undefined) this.assertOpen('operation');
    return this.#client as mqtt5.Mqtt5Client;
  }

  async #shutdown(packet?: mqtt5.DisconnectPacket): Promise<void> {
    const client = this.#client;
    if (client === undefined) return;
    await shutdown5(client, packet);
    this.#client = undefined;
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

// --- packets ---

function toConnectResult(connack: mqtt5.ConnackPacket): ConnectResult {
  const r: ConnectResult = { sessionPresent: connack.sessionPresent, reasonCode: Number(connack.reasonCode) };
  if (connack.assignedClientIdentifier !== undefined) r.assignedClientId = connack.assignedClientIdentifier;
  if (connack.serverKeepAlive !== undefined) r.serverKeepAlive = connack.serverKeepAlive;
  if (connack.sessionExpiryInterval !== undefined) r.sessionExpiry = connack.sessionExpiryInterval;
  if (connack.receiveMaximum !== undefined) r.receiveMaximum = connack.receiveMaximum;
  if (connack.maximumQos !== undefined) r.maximumQoS = Number(connack.maximumQos);
  if (connack.topicAliasMaximum !== undefined) r.topicAliasMaximum = connack.topicAliasMaximum;
  if (connack.maximumPacketSize !== undefined) r.maximumPacketSize = connack.maximumPacketSize;
  if (connack.subscriptionIdentifiersAvailable === false) r.subscriptionIdentifiersAvailable = false;
  return r;
}

export function toUserProperties(pairs: ReadonlyArray<readonly [string, string]>): mqtt5.UserProperty[] {
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
