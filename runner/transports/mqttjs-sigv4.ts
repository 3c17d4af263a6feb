/**
 * MQTT.js over WebSocket with AWS SigV4 (`mqttjs-sigv4`): the URL is presigned with the AWS SDK's
 * signer (sigv4-url.ts, A-4: service `iotdevicegateway`, token appended after signing) on every
 * connect, so temporary credentials from the AWS chain are fresh on each reconnect, and the
 * WebSocket offers ALPN `http/1.1` (A-1). The session itself is the MQTT.js transport's.
 *
 * The presigned URL carries the session token, so it never leaves this file: MQTT.js is given the
 * unsigned URL (which it logs and reports) and this file opens the WebSocket to the signed one.
 *
 * ConnectOptions.extra: `region`, `credentials` ({ accessKeyId, secretAccessKey, sessionToken? })
 * or `profile` (runner/aws/credentials.ts); without credentials the standard AWS chain is used.
 */

import createDebug from 'debug';
import { awsExtraOf, resolveCredentials, resolveRegion } from '../aws/credentials.js';
import { TransportError } from '../errors.js';
import { createPresignedUrl, probePresignedUrl } from './sigv4-url.js';
import type { ConnectOptions, Transport, TransportSession } from './transport.js';
import { parseConnectUrl } from './url.js';

const debug = createDebug('mqscen:transport:mqttjs-sigv4');

const NAME = 'mqttjs-sigv4';

/** Creates the MQTT.js-over-SigV4-WebSocket transport. */
export function createMqttjsSigv4Transport(): Transport {
  return { name: NAME, connect: connectSigv4 };
}

/** The registry's instance. */
export const mqttjsSigv4Transport: Transport = createMqttjsSigv4Transport();

export default mqttjsSigv4Transport;

async function connectSigv4(options: ConnectOptions): Promise<TransportSession> {
  const { url, shown } = parseConnectUrl(
    options.url,
    NAME,
    'write the AWS IoT endpoint as wss://<endpoint>/mqtt',
  );
  if (url.protocol !== 'wss:') {
    throw new TransportError(`the ${NAME} transport needs a wss:// URL, got ${shown}`, {
      transport: NAME,
      hint: 'write the endpoint as wss://<endpoint>/mqtt (SigV4 works only over TLS WebSocket)',
    });
  }
  if (url.pathname === '' || url.pathname === '/') url.pathname = '/mqtt';
  const settings = awsExtraOf(options.extra, NAME);
  const region = resolveRegion(settings, url.hostname, NAME);
  const credentials = await resolveCredentials(settings, NAME, options.connectTimeoutMs);
  const unsigned = url.toString();
  const presigned = await createPresignedUrl({ url: unsigned, region, credentials });
  debug('connect %s as %s (region %s)', unsigned, options.clientId, region);

  const [{ connectMqttjs }, { WebSocket }] = await Promise.all([import('./mqttjs.js'), import('ws')]);
  const tls = { ...options.tls, alpn: options.tls?.alpn ?? ['http/1.1'] };
  const started = Date.now();
  try {
    return await connectMqttjs(
      { ...options, url: unsigned, tls },
      {
        transport: NAME,
        createWebsocket: (protocols, wsOptions) => new WebSocket(presigned, protocols, wsOptions),
      },
    );
  } catch (err) {
    if (!(err instanceof TransportError) || err.reasonCode === undefined) {
      // No CONNACK came (MQTT.js sees a refused upgrade as a close or "Unexpected server
      // response"): ask the endpoint once more, with a fresh signature, what it said.
      const again = await createPresignedUrl({ url: unsigned, region, credentials });
      // Within what is left of the connect bound.
      const left = Math.max(300, started + options.connectTimeoutMs - Date.now());
      const answer = await probePresignedUrl(again, tls.ca !== undefined ? { ca: tls.ca } : {}, left);
      if (answer !== undefined && answer.status !== 101) {
        throw new TransportError(
          `cannot connect client "${options.clientId}" to ${unsigned}: the endpoint refused the SigV4-signed WebSocket upgrade (HTTP ${answer.status}${answer.body ? `: ${answer.body}` : ''})`,
          {
            transport: NAME,
            hint: `check region (now "${region}"), the AWS credentials (access key id, secret, session token) and the system clock`,
          },
        );
      }
    }
    throw err;
  }
}
