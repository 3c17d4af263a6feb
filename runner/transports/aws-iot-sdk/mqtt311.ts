/**
 * The SDK's MQTT 3.1.1 connection (protocol '3.1.1') behind the transport.ts session.
 *
 * Facts about the connection this file relies on (checked against a raw MQTT server, aws-crt 1.33):
 * - It reports a refused CONNACK as AWS_ERROR_MQTT_PROTOCOL_ERROR and drops the return code.
 * - Its `close()` does not close a live socket, so an abrupt disconnect cuts the loopback TCP relay
 *   it runs through (relay.ts).
 * - It sends one SUBSCRIBE per filter; a SUBACK failure (0x80) comes back as qos 128.
 * - Builders append `?SDK=...` metrics to the MQTT username; mqscen disables the metrics so the
 *   username is exactly what the scenario set. MQTT 5 properties have no place here and are ignored.
 */
import { iot, mqtt } from 'aws-iot-device-sdk-v2';
import createDebug from 'debug';
import { now } from '../../clock.js';
import { TransportError } from '../../errors.js';
import { toBuffer } from '../_bytes.js';
import { messageOf } from '../connect-errors.js';
import type {
  DisconnectOptions,
  PublishRequest,
  PublishResult,
  QoS,
  ReceivedMessage,
  SubscribeResult,
  SubscriptionRequest,
  TransportSession,
} from '../transport.js';
import { type Relay, startRelay } from './relay.js';
import {
  attemptConnect,
  creationError,
  Refusal,
  refusalHint,
  SdkSession,
  STOP_BOUND_MS,
  settleWithin,
} from './session.js';
import { applyTlsOverrides, NAME, type ResolvedSettings, type SigV4Settings } from './settings.js';
import { diagnoseTls } from './tls-diagnosis.js';

const debug = createDebug('mqscen:transport:aws-iot-sdk');

export async function connectMqtt311(settings: ResolvedSettings): Promise<TransportSession> {
  const { options, target, extra, material, sigv4 } = settings;
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
  // The loopback relay in front of the endpoint lets disconnect({ how: 'abrupt' }) cut the TCP
  // connection (relay.ts).
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
    throw creationError(settings, 'connection', cause);
  }
  connection.on('error', (err) => debug('%s: connection error %s', options.clientId, messageOf(err)));
  const sessionPresent = await attemptConnect<boolean>(
    {
      connect: () =>
        connection.connect().catch((err: unknown) => {
          const text = messageOf(err);
          if (!/MQTT_PROTOCOL_ERROR/.test(text)) throw err;
          // The 3.1.1 connection reports a refused CONNACK as a protocol error and drops the
          // return code [MQTT-3.2.2-5] (checked: its connect callback gets return code 0).
          throw new Refusal(
            new TransportError(
              `${target.shown} refused or dropped the connection of client "${options.clientId}" (the SDK's MQTT 3.1.1 client does not report the CONNACK return code): ${text}`,
              {
                transport: NAME,
                cause: err,
                hint: `${refusalHint(5, extra, '3.1.1')}; protocol: "5" shows the reason code`,
              },
            ),
          );
        }),
      abort: () => {
        relay.close();
        // disconnect() also ends a connect still in progress; it frees the native connection.
        void connection.disconnect().catch(() => {});
      },
      diagnose: (budget) => diagnoseTls(settings, budget),
    },
    settings,
  );
  return new Mqtt311Session(connection, relay, options.clientId, sessionPresent, target.shown);
}

class Mqtt311Session extends SdkSession implements TransportSession {
  readonly #connection: mqtt.MqttClientConnection;
  readonly #relay: Relay;

  constructor(
    connection: mqtt.MqttClientConnection,
    relay: Relay,
    clientId: string,
    sessionPresent: boolean,
    url: string,
  ) {
    super(clientId, { sessionPresent, reasonCode: 0 }, url);
    this.#connection = connection;
    this.#relay = relay;
    connection.on('message', (topic, payload, dup, qos, retain) => {
      const msg: ReceivedMessage = {
        topic,
        payload: new Uint8Array(payload),
        qos: qos as number as QoS,
        retain,
        dup,
        receivedAt: now(),
      };
      this.emitMessage(msg);
    });
    connection.on('interrupt', (err) => {
      if (this.closed) return;
      this.closed = true;
      // Stop the SDK's own reconnect loop: the engine reconnects explicitly.
      void this.#teardown();
      this.emitLost({ message: this.lostMessage(err) });
    });
  }

  async subscribe(requests: readonly SubscriptionRequest[]): Promise<SubscribeResult> {
    this.assertOpen('subscribe');
    // The 3.1.1 connection sends one SUBSCRIBE per filter; SUBACK 0x80 comes back as qos 128.
    const codes = await Promise.all(
      requests.map(async (r) => {
        try {
          const ack = await this.#connection.subscribe(r.filter, r.qos as number as mqtt.QoS);
          return Number(ack.qos);
        } catch (err) {
          throw this.operationError('subscribe', err);
        }
      }),
    );
    return { reasonCodes: codes };
  }

  async unsubscribe(filters: readonly string[]): Promise<number[]> {
    this.assertOpen('unsubscribe');
    try {
      await Promise.all(filters.map((f) => this.#connection.unsubscribe(f)));
    } catch (err) {
      throw this.operationError('unsubscribe', err);
    }
    // MQTT 3.1.1 UNSUBACK has no reason codes [MQTT-3.11.3]: success for every filter.
    return filters.map(() => 0);
  }

  async publish(request: PublishRequest): Promise<PublishResult> {
    this.assertOpen('publish');
    try {
      await this.#connection.publish(
        request.topic,
        toBuffer(request.payload),
        request.qos as number as mqtt.QoS,
        request.retain,
      );
    } catch (err) {
      throw this.operationError('publish', err);
    }
    return { reasonCode: 0 };
  }

  async disconnect(options: DisconnectOptions): Promise<void> {
    if (this.closed) return;
    this.closed = true;
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
    await settleWithin(this.#connection.disconnect(), STOP_BOUND_MS).catch((err) =>
      debug('disconnect: %s', messageOf(err)),
    );
    this.#relay.release();
  }

  async #teardown(): Promise<void> {
    await settleWithin(this.#connection.disconnect(), STOP_BOUND_MS).catch(() => {});
    this.#relay.release();
  }
}
