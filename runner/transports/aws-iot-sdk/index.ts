/**
 * The AWS IoT Device SDK v2 transport (`aws-iot-sdk`): the SDK's MQTT 5 client (protocol '5',
 * mqtt5.ts) and its MQTT 3.1.1 connection (protocol '3.1.1', mqtt311.ts), over
 * - mTLS (`mqtts://endpoint:8883`, or `:443`, where the SDK offers ALPN `x-amzn-mqtt-ca`, A-1),
 * - WebSocket with SigV4 (`wss://endpoint/mqtt`, A-4), credentials from `extra.credentials` or the
 *   standard AWS chain,
 * - a custom authorizer (`extra.customAuthorizer`, A-5), over mqtts (ALPN `mqtt`) or wss.
 *
 * settings.ts resolves and checks everything before the SDK sees it; session.ts holds what both
 * clients share (the bounded connect, its TLS diagnosis in tls-diagnosis.ts, errors and events).
 * No SDK type leaves this folder; only the lazy registry imports it.
 */
import createDebug from 'debug';
import { TransportError } from '../../errors.js';
import type { ConnectOptions, Transport, TransportSession } from '../transport.js';
import { connectMqtt5 } from './mqtt5.js';
import { connectMqtt311 } from './mqtt311.js';
import { NAME, resolveSettings } from './settings.js';

const debug = createDebug('mqscen:transport:aws-iot-sdk');

/** Creates the AWS IoT Device SDK v2 transport. */
export function createAwsIotSdkTransport(): Transport {
  return { name: NAME, connect: connectAwsIotSdk };
}

/** The registry's instance. */
export const awsIotSdkTransport: Transport = createAwsIotSdkTransport();

export default awsIotSdkTransport;

async function connectAwsIotSdk(options: ConnectOptions): Promise<TransportSession> {
  if (options.acks !== undefined && options.acks !== 'auto') {
    // The Device SDK sends PUBACK itself when it hands a message over; it has no manual acks.
    throw new TransportError(
      `client "${options.clientId}": the aws-iot-sdk transport cannot withhold or delay acknowledgements`,
      {
        transport: NAME,
        hint: 'use transport: mqttjs (or mqttjs-sigv4) for a client with ack: never or ack: delay',
      },
    );
  }
  const settings = await resolveSettings(options);
  const { target, extra } = settings;
  debug('connect %s as %s (MQTT %s, %s)', target.shown, options.clientId, options.protocol, extra.auth);
  return options.protocol === '5' ? connectMqtt5(settings) : connectMqtt311(settings);
}
