/**
 * Broker URLs: the schemes mqscen accepts and the one redaction every message, report and debug
 * line goes through, so a password or a presigned query never reaches a user's screen or a CI log.
 */

import { TransportError } from '../errors.js';

/** Broker URL schemes (with `:`) and their default ports; MQTT.js accepts each of them. */
export const URL_SCHEMES: Readonly<Record<string, number>> = {
  'mqtt:': 1883,
  'tcp:': 1883,
  'mqtts:': 8883,
  'ssl:': 8883,
  'tls:': 8883,
  'ws:': 80,
  'wss:': 443,
};

/** Schemes of a TLS connection straight to the broker (no WebSocket). */
export const TLS_SCHEMES: readonly string[] = ['mqtts:', 'ssl:', 'tls:'];

/** True when `protocol` (as `URL.protocol`, with the colon) is a broker URL scheme. */
export function isBrokerScheme(protocol: string): boolean {
  return Object.hasOwn(URL_SCHEMES, protocol);
}

/** True when `text` starts with a broker URL scheme and `//` (a URL rather than a name). */
export function looksLikeBrokerUrl(text: string): boolean {
  const colon = text.indexOf('://');
  return colon > 0 && isBrokerScheme(text.slice(0, colon + 1));
}

/** Query parameters that carry credentials (SigV4 presigned URLs, custom authorizers, tokens). */
const SECRET_QUERY = /sign|token|secret|pass|credential|auth|key/i;

/**
 * The URL with its secrets replaced by `***`: the password of `user:password@` (the user name is
 * kept) and the value of every credential-like query parameter (`X-Amz-Signature`,
 * `X-Amz-Security-Token`, `token`, ...). Text that does not parse as a URL loses anything that looks
 * like credentials before the host, rather than risk showing it.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url.replace(/\/\/[^/@\s]*@/, '//***@');
  }
  if (parsed.password !== '') parsed.password = '***';
  for (const key of [...new Set(parsed.searchParams.keys())]) {
    if (SECRET_QUERY.test(key)) parsed.searchParams.set(key, '***');
  }
  return parsed.toString();
}

/**
 * The connect URL parsed, with its shown (redacted) form; a TransportError (exit 3) naming the
 * transport and the URL forms it accepts (`hint`) when it is not a URL.
 */
export function parseConnectUrl(raw: string, transport: string, hint: string): { url: URL; shown: string } {
  const shown = redactUrl(raw);
  try {
    return { url: new URL(raw), shown };
  } catch (cause) {
    throw new TransportError(`"${shown}" is not a URL`, { transport, cause, hint });
  }
}
