/**
 * Presigned WebSocket URL for AWS IoT Core's MQTT-over-WSS endpoint with SigV4, built with
 * the AWS SDK's own signer (@smithy/signature-v4 + @aws-crypto/sha256-js).
 *
 * `GET /mqtt`, service `iotdevicegateway`, signed headers `host`, payload hash = SHA-256 of
 * the empty string, and the session token is appended *after* signing: AWS IoT does not include
 * `X-Amz-Security-Token` in the canonical request (the AWS CRT signer uses omit_session_token).
 */

import { randomBytes } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import createDebug from 'debug';
import { UsageError } from '../errors.js';

const debug = createDebug('mqscen:transport:sigv4-url');

/** AWS credentials as the signer needs them. Never logged, never put in a message. */
export interface SigV4Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Static credentials or a provider (e.g. `fromNodeProviderChain()`), called on every signing. */
export type SigV4CredentialsSource = SigV4Credentials | (() => Promise<SigV4Credentials>);

export interface PresignOptions {
  /** `wss://host[:port]/mqtt` (a `wss://host` without path gets `/mqtt`). */
  url: string;
  /** Region of the endpoint, e.g. `eu-west-1`. */
  region: string;
  credentials: SigV4CredentialsSource;
  /** Service name in the credential scope. @default 'iotdevicegateway' */
  service?: string;
  /** X-Amz-Expires in seconds. @default 86400 (the longest AWS IoT takes for this URL form) */
  expiresInSeconds?: number;
  /** Signing time. @default now */
  signingDate?: Date;
  /**
   * Include the session token in the signed query, as some third-party signers do. AWS IoT
   * accepts only the unsigned form; this exists to test verifiers. @default false
   */
  signSessionToken?: boolean;
}

export const SIGV4_SERVICE = 'iotdevicegateway';
const DEFAULT_EXPIRES_S = 86_400;

/** Returns the presigned `wss://` URL (the session token, if any, appended after signing). */
export async function createPresignedUrl(options: PresignOptions): Promise<string> {
  const url = parseWssUrl(options.url);
  const credentials =
    typeof options.credentials === 'function' ? await options.credentials() : options.credentials;
  if (!credentials.accessKeyId || !credentials.secretAccessKey) {
    throw new UsageError(
      'SigV4 signing needs an access key id and a secret access key; one of them is empty',
      {
        hint: 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) for the target',
      },
    );
  }
  const signToken = options.signSessionToken === true;
  const signer = new SignatureV4({
    service: options.service ?? SIGV4_SERVICE,
    region: options.region,
    sha256: Sha256,
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      ...(signToken && credentials.sessionToken ? { sessionToken: credentials.sessionToken } : {}),
    },
  });
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  const request: Parameters<SignatureV4['presign']>[0] = {
    method: 'GET',
    protocol: 'https:',
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    path: url.pathname,
    query,
    // The Host header the WebSocket client will send: host plus port when not the default.
    headers: { host: url.host },
  };
  const signed = await signer.presign(request, {
    expiresIn: options.expiresInSeconds ?? DEFAULT_EXPIRES_S,
    ...(options.signingDate ? { signingDate: options.signingDate } : {}),
  });
  const parts: string[] = [];
  for (const [k, v] of Object.entries(signed.query ?? {})) {
    for (const one of Array.isArray(v) ? v : [v]) {
      if (one !== null && one !== undefined) parts.push(`${rfc3986(k)}=${rfc3986(String(one))}`);
    }
  }
  // appended after signing, not part of the canonical request.
  if (!signToken && credentials.sessionToken) {
    parts.push(`X-Amz-Security-Token=${rfc3986(credentials.sessionToken)}`);
  }
  debug(
    'presigned %s for region %s (token %s)',
    `${url.host}${url.pathname}`,
    options.region,
    credentials.sessionToken ? 'yes' : 'no',
  );
  return `wss://${url.host}${url.pathname}?${parts.join('&')}`;
}

// --- internal ---

function parseWssUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch (cause) {
    throw new UsageError(`invalid WebSocket URL "${text}"`, {
      cause,
      hint: 'write it as wss://<endpoint>/mqtt',
    });
  }
  if (url.protocol !== 'wss:') {
    throw new UsageError(`SigV4 needs a wss:// URL, got "${url.protocol}//${url.host}"`, {
      hint: 'write the endpoint as wss://<endpoint>/mqtt (AWS IoT takes SigV4 only over TLS)',
    });
  }
  if (url.pathname === '' || url.pathname === '/') url.pathname = '/mqtt';
  return url;
}

/** RFC 3986 percent-encoding, as SigV4 canonicalizes query strings. */
function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Sends the WebSocket upgrade for a presigned URL once and reports the HTTP answer, so a refused
 * signature can be explained (the embedded broker names the reason in the body; AWS IoT answers
 * 403). Bounded; undefined when no HTTP answer came. The URL itself is never returned.
 */
export function probePresignedUrl(
  presignedUrl: string,
  tls: { ca?: string } = {},
  timeoutMs = 2000,
): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const url = new URL(presignedUrl);
    let done = false;
    const finish = (r: { status: number; body: string } | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      resolve(r);
    };
    const req = httpsRequest({
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port === '' ? 443 : Number(url.port),
      path: `${url.pathname}${url.search}`,
      method: 'GET',
      ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
      ...(isIP(url.hostname) === 0 ? { servername: url.hostname } : {}),
      headers: {
        Host: url.host,
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        'Sec-WebSocket-Protocol': 'mqtt',
      },
    });
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      finish({ status: res.statusCode ?? 101, body: '' });
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 500) body += chunk;
      });
      res.on('end', () => finish({ status: res.statusCode ?? 0, body: body.trim().slice(0, 300) }));
      res.on('error', () => finish({ status: res.statusCode ?? 0, body: body.trim().slice(0, 300) }));
    });
    req.on('error', () => finish(undefined));
    req.end();
  });
}
