/**
 * MQTT.js over WebSocket with AWS SigV4 (`mqttjs-sigv4`): the URL is presigned with the AWS SDK's
 * signer (sigv4-url.ts, A-4: service `iotdevicegateway`, token appended after signing) on every
 * connect, so temporary credentials from the AWS chain are fresh on each reconnect, and the
 * WebSocket offers ALPN `http/1.1` (A-1). The session itself is the MQTT.js transport's.
 *
 * The presigned URL carries the session token: it never leaves this file in a message. Every
 * error and `lost` message from the MQTT.js session is rewritten to show the unsigned URL.
 *
 * ConnectOptions.extra: `region`, `credentials` ({ accessKeyId, secretAccessKey, sessionToken? })
 * or `profile` (runner/aws/credentials.ts); without credentials the standard AWS chain is used.
 */

import createDebug from 'debug';
import { awsExtraOf, resolveCredentials, resolveRegion } from '../aws/credentials.js';
import { MqscenError, TransportError } from '../errors.js';
import { redactUrl } from './_url.js';
import { createPresignedUrl, probePresignedUrl } from './sigv4-url.js';
import type {
  ConnectOptions,
  DisconnectOptions,
  PublishRequest,
  PublishResult,
  SubscribeResult,
  SubscriptionRequest,
  Transport,
  TransportSession,
  TransportSessionEvents,
} from './transport.js';

const debug = createDebug('mqscen:transport:mqttjs-sigv4');

/**
 * The MQTT.js transport logs its URL (`DEBUG=mqscen:*`), which here is the presigned one. Every
 * debug line is written through createDebug.log, so the signed query parameters are masked there,
 * once, for all namespaces.
 */
const SIGNED_PARAM = /(X-Amz-(?:Security-Token|Signature|Credential))=[^&\s"')]*/g;
const masked = Symbol.for('mqscen.debug.signed-query-masked');
const debugGlobals = createDebug as unknown as { log: (...args: unknown[]) => unknown; [masked]?: true };
if (debugGlobals[masked] !== true) {
  const write = debugGlobals.log;
  debugGlobals.log = function (this: unknown, ...args: unknown[]) {
    return write.apply(
      this,
      args.map((a) => (typeof a === 'string' ? a.replace(SIGNED_PARAM, '$1=***') : a)),
    );
  };
  debugGlobals[masked] = true;
}

const NAME = 'mqttjs-sigv4';

/** Creates the MQTT.js-over-SigV4-WebSocket transport. */
export function createMqttjsSigv4Transport(): Transport {
  return { name: NAME, connect: connectSigv4 };
}

/** The registry's instance. */
export const mqttjsSigv4Transport: Transport = createMqttjsSigv4Transport();

export default mqttjsSigv4Transport;

async function connectSigv4(options: ConnectOptions): Promise<TransportSession> {
  const shown = redactUrl(options.url);
  let url: URL;
  try {
    url = new URL(options.url);
  } catch (cause) {
    throw new TransportError(`"${shown}" is not a URL`, {
      transport: NAME,
      cause,
      hint: 'write the AWS IoT endpoint as wss://<endpoint>/mqtt',
    });
  }
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

  const { mqttjsTransport } = await import('./mqttjs.js');
  const scrub = scrubberFor(presigned, unsigned);
  const tls = { ...options.tls, alpn: options.tls?.alpn ?? ['http/1.1'] };
  const started = Date.now();
  let inner: TransportSession;
  try {
    inner = await mqttjsTransport.connect({ ...options, url: presigned, tls });
  } catch (err) {
    const rewritten = rewrite(err, scrub);
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
    throw rewritten;
  }
  return new SigV4Session(inner, scrub);
}

/** The MQTT.js session with every message it reports rewritten to hide the signed query. */
class SigV4Session implements TransportSession {
  readonly #inner: TransportSession;
  readonly #scrub: (text: string) => string;

  constructor(inner: TransportSession, scrub: (text: string) => string) {
    this.#inner = inner;
    this.#scrub = scrub;
  }

  get clientId(): string {
    return this.#inner.clientId;
  }

  get connack() {
    return this.#inner.connack;
  }

  on<E extends keyof TransportSessionEvents>(event: E, handler: TransportSessionEvents[E]): void {
    if (event === 'lost') {
      const h = handler as TransportSessionEvents['lost'];
      this.#inner.on('lost', (loss) => h({ ...loss, message: this.#scrub(loss.message) }));
      return;
    }
    this.#inner.on(event, handler);
  }

  subscribe(
    requests: readonly SubscriptionRequest[],
    properties?: { userProperties?: ReadonlyArray<readonly [string, string]> },
  ): Promise<SubscribeResult> {
    return this.#inner.subscribe(requests, properties).catch((err) => {
      throw rewrite(err, this.#scrub);
    });
  }

  unsubscribe(filters: readonly string[]): Promise<number[]> {
    return this.#inner.unsubscribe(filters).catch((err) => {
      throw rewrite(err, this.#scrub);
    });
  }

  publish(request: PublishRequest): Promise<PublishResult> {
    return this.#inner.publish(request).catch((err) => {
      throw rewrite(err, this.#scrub);
    });
  }

  disconnect(options: DisconnectOptions): Promise<void> {
    return this.#inner.disconnect(options);
  }
}

// --- internal ---

/** Replaces the presigned URL (in any of the forms it may be printed in) by the unsigned one. */
function scrubberFor(presigned: string, unsigned: string): (text: string) => string {
  const forms = [presigned, redactUrl(presigned), new URL(presigned).toString()];
  return (text: string) => {
    let out = text;
    for (const f of forms) out = out.split(f).join(unsigned);
    // Anything left that looks like a signed query parameter is masked.
    return out.replace(SIGNED_PARAM, '$1=***');
  };
}

/** The same error kind with scrubbed message and hint; the original is not kept as cause (it holds the URL). */
function rewrite(err: unknown, scrub: (text: string) => string): unknown {
  if (err instanceof TransportError) {
    return new TransportError(scrub(err.message), {
      transport: NAME,
      ...(err.reasonCode !== undefined ? { reasonCode: err.reasonCode } : {}),
      ...(err.reasonText !== undefined ? { reasonText: err.reasonText } : {}),
      ...(err.hint !== undefined ? { hint: scrub(err.hint) } : {}),
      ...(err.cause instanceof Error && !(err.cause instanceof MqscenError)
        ? { cause: new Error(scrub(err.cause.message)) }
        : {}),
    });
  }
  if (err instanceof Error) return new Error(scrub(err.message));
  return new Error(scrub(String(err)));
}
