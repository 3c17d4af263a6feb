/**
 * The mqtt.js client options of one connect: the transport-neutral ConnectOptions (URL scheme,
 * MQTT 5 CONNECT properties, will, TLS) in the fields mqtt.js reads, with its quirks handled here.
 */
import type { IClientOptions } from 'mqtt';
import { TransportError } from '../errors.js';
import { toBuffer } from './_bytes.js';
import { toPacketProperties, toUserPropertiesObject } from './_mqttjs-packets.js';
import type { ConnectOptions } from './transport.js';
import { isBrokerScheme, parseConnectUrl } from './url.js';

/** ConnectOptions in mqtt.js terms; a URL scheme mqtt.js cannot connect with is a TransportError. */
export function toClientOptions(options: ConnectOptions, shownUrl: string, name: string): IClientOptions {
  const scheme = parseConnectUrl(
    options.url,
    name,
    'write the broker URL as mqtt://host:1883, mqtts://host:8883, ws://host:port/mqtt or wss://host/mqtt',
  ).url.protocol;
  if (!isBrokerScheme(scheme)) {
    throw new TransportError(`unsupported URL scheme "${scheme}" in ${shownUrl}`, {
      transport: name,
      hint: 'use mqtt://, mqtts://, ws:// or wss://',
    });
  }
  const v5 = options.protocol === '5';
  const opts: IClientOptions = {
    clientId: options.clientId,
    protocolVersion: v5 ? 5 : 4,
    clean: options.clean,
    keepalive: options.keepalive,
    reconnectPeriod: 0,
    resubscribe: false,
    queueQoSZero: false,
    // Our own timer reports first with a clear message; MQTT.js's is a backstop.
    connectTimeout: options.connectTimeoutMs + 1000,
  };
  if (options.username !== undefined) opts.username = options.username;
  if (options.password !== undefined) opts.password = options.password;
  if (v5) {
    const props: NonNullable<IClientOptions['properties']> = {};
    if (options.sessionExpiry !== undefined) props.sessionExpiryInterval = options.sessionExpiry;
    if (options.receiveMaximum !== undefined) props.receiveMaximum = options.receiveMaximum;
    if (options.userProperties !== undefined)
      props.userProperties = toUserPropertiesObject(options.userProperties);
    if (Object.keys(props).length > 0) opts.properties = props;
  }
  if (options.will !== undefined) {
    const w = options.will;
    const will: NonNullable<IClientOptions['will']> = {
      topic: w.topic,
      payload: toBuffer(w.payload),
      qos: w.qos,
      retain: w.retain,
    };
    if (v5 && w.properties !== undefined) {
      const { willDelayInterval, ...rest } = w.properties;
      const props: NonNullable<NonNullable<IClientOptions['will']>['properties']> = toPacketProperties(rest);
      delete (props as { topicAlias?: number }).topicAlias;
      if (willDelayInterval !== undefined) props.willDelayInterval = willDelayInterval;
      will.properties = props;
    }
    opts.will = will;
  }
  const tls = options.tls;
  if (tls !== undefined) {
    if (tls.ca !== undefined) opts.ca = tls.ca;
    if (tls.cert !== undefined) opts.cert = tls.cert;
    if (tls.key !== undefined) opts.key = tls.key;
    if (tls.servername !== undefined) opts.servername = tls.servername;
    if (tls.alpn !== undefined) opts.ALPNProtocols = tls.alpn;
    if (tls.rejectUnauthorized !== undefined) opts.rejectUnauthorized = tls.rejectUnauthorized;
    if (scheme === 'wss:') {
      // MQTT.js copies ca/cert/key/rejectUnauthorized to the WebSocket but not SNI or ALPN.
      const ws: Record<string, unknown> = {};
      if (tls.servername !== undefined) ws.servername = tls.servername;
      if (tls.alpn !== undefined) ws.ALPNProtocols = tls.alpn;
      opts.wsOptions = ws;
    }
  }
  return opts;
}
