/**
 * AWS IoT custom authorizers for the embedded broker, as a connect hook (broker/authorizer.ts).
 *
 * The client names the authorizer and passes its token in the MQTT username's query string:
 * `user?x-amz-customauthorizer-name=<name>&<tokenKeyName>=<token>&x-amz-customauthorizer-signature=<sig>`.
 * When token signing is on, the RSA-SHA256 signature of the token is checked with the authorizer's
 * public key(s) first, and a failure refuses without calling the authorizer function. The function
 * (the Lambda's role) gets the event AWS IoT builds (password base64-encoded) and answers
 * `{ isAuthenticated, principalId, ... }`. A token table can stand in for the function.
 * Unknown query parameters (the SDK's `SDK=...&Version=...` metrics) are ignored, and `?` is never
 * part of the username handed to the authorizer.
 *
 * Clients authenticated otherwise (an mTLS certificate, a SigV4 WebSocket principal) pass.
 */

import { createPublicKey, createVerify, type KeyObject, randomUUID } from 'node:crypto';
import createDebug from 'debug';
import type { AuthDecision, Authorizer, ClientIdentity } from '../authorizer.js';
import { BrokerConfigError } from '../errors.js';

const debug = createDebug('mqscen:broker:custom-authorizer');

/** The event an authorizer function receives (the fields AWS IoT sends over MQTT, A-5). */
export interface CustomAuthorizerEvent {
  token?: string;
  signatureVerified: boolean;
  protocols: string[];
  protocolData: {
    mqtt: { username?: string; password?: string; clientId: string };
  };
  connectionMetadata: { id: string };
}

/** What an authorizer function answers. */
export interface CustomAuthorizerResponse {
  isAuthenticated: boolean;
  /** `[a-zA-Z0-9]{1,128}`. */
  principalId?: string;
  policyDocuments?: unknown[];
  disconnectAfterInSeconds?: number;
  refreshAfterInSeconds?: number;
}

export interface CustomAuthorizerDefinition {
  name: string;
  /** Query key that carries the token, e.g. `token`. Without it the token is not read. */
  tokenKeyName?: string;
  /** PEM public keys; when given, token signing is on and a valid signature is required. */
  tokenSigningPublicKeys?: readonly string[];
  /** Token → principal id: a stand-in for the function. */
  tokens?: Readonly<Record<string, string>>;
  /** The authorizer function (the Lambda's role). Takes precedence over `tokens`. */
  handler?: (event: CustomAuthorizerEvent) => CustomAuthorizerResponse;
}

export interface CustomAuthorizerOptions {
  authorizers: readonly CustomAuthorizerDefinition[];
  /** Used when the username names no authorizer (the domain's default authorizer). */
  defaultAuthorizer?: string;
}

/** A connect hook, plus the principal each authenticated client id got. */
export interface CustomAuthorizerHook extends Authorizer {
  principalOf(clientId: string): string | undefined;
}

/** Username split into the part before `?` and its query parameters (decoded, in order). */
export function parseAuthorizerUsername(raw: string): { username: string; params: Map<string, string> } {
  const q = raw.indexOf('?');
  const username = q < 0 ? raw : raw.slice(0, q);
  const params = new Map<string, string>();
  if (q >= 0) {
    for (const part of raw.slice(q + 1).split('&')) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      const key = safeDecode(eq < 0 ? part : part.slice(0, eq));
      const value = safeDecode(eq < 0 ? '' : part.slice(eq + 1));
      if (!params.has(key)) params.set(key, value);
    }
  }
  return { username, params };
}

/** Builds the connect hook; rejects a definition that cannot work (BrokerConfigError). */
export function createCustomAuthorizer(options: CustomAuthorizerOptions): CustomAuthorizerHook {
  const byName = new Map<string, { def: CustomAuthorizerDefinition; keys: KeyObject[] }>();
  for (const def of options.authorizers) {
    if (def.handler === undefined && def.tokens === undefined) {
      throw new BrokerConfigError(`custom authorizer "${def.name}" has neither a handler nor a token table`, {
        hint: 'give it tokens: { <token>: <principal id> } or a handler function',
      });
    }
    let keys: KeyObject[];
    try {
      keys = (def.tokenSigningPublicKeys ?? []).map((pem) => createPublicKey(pem));
    } catch (cause) {
      throw new BrokerConfigError(
        `custom authorizer "${def.name}": a token signing key is not a PEM public key`,
        {
          cause,
          hint: 'use the public key of the RSA key pair that signs the tokens (-----BEGIN PUBLIC KEY-----)',
        },
      );
    }
    byName.set(def.name, { def, keys });
  }
  if (options.defaultAuthorizer !== undefined && !byName.has(options.defaultAuthorizer)) {
    throw new BrokerConfigError(`default custom authorizer "${options.defaultAuthorizer}" is not defined`);
  }
  const principals = new Map<string, string>();

  const decide = (client: ClientIdentity): AuthDecision => {
    // Already authenticated by the transport: a device certificate or a SigV4 principal.
    if (client.certificateCN !== undefined || client.principal !== undefined) return true;
    const parsed = parseAuthorizerUsername(client.username ?? '');
    const name = parsed.params.get('x-amz-customauthorizer-name') ?? options.defaultAuthorizer;
    if (name === undefined) return refuse(client, 'no authorizer named and no default authorizer');
    const entry = byName.get(name);
    if (entry === undefined) return refuse(client, `unknown authorizer "${name}"`);
    const { def, keys } = entry;
    const token = def.tokenKeyName === undefined ? undefined : parsed.params.get(def.tokenKeyName);
    let signatureVerified = false;
    if (keys.length > 0) {
      // with token signing on, a bad signature is refused before the function runs.
      const signature = parsed.params.get('x-amz-customauthorizer-signature');
      if (token === undefined || signature === undefined) return refuse(client, 'token or signature missing');
      signatureVerified = keys.some((key) => verifyToken(token, signature, key));
      if (!signatureVerified) return refuse(client, 'token signature does not verify');
    }
    const event: CustomAuthorizerEvent = {
      signatureVerified,
      protocols: [client.listener === 'ws' || client.listener === 'wss' ? 'wss' : 'tls', 'mqtt'],
      protocolData: {
        mqtt: {
          clientId: client.clientId,
          ...(client.username !== undefined ? { username: parsed.username } : {}),
          // IoT Core hands the password to the authorizer base64-encoded.
          ...(client.password !== undefined ? { password: client.password.toString('base64') } : {}),
        },
      },
      connectionMetadata: { id: randomUUID() },
    };
    if (token !== undefined) event.token = token;
    let response: CustomAuthorizerResponse;
    if (def.handler !== undefined) {
      try {
        response = def.handler(event);
      } catch (err) {
        return refuse(client, `authorizer "${name}" failed: ${(err as Error).message}`);
      }
    } else {
      const principal = token === undefined ? undefined : def.tokens?.[token];
      response =
        principal === undefined
          ? { isAuthenticated: false }
          : { isAuthenticated: true, principalId: principal };
    }
    if (!response.isAuthenticated) return refuse(client, `authorizer "${name}" did not authenticate`);
    if (response.principalId === undefined || !/^[a-zA-Z0-9]{1,128}$/.test(response.principalId)) {
      return refuse(client, `authorizer "${name}" returned an invalid principalId`);
    }
    principals.set(client.clientId, response.principalId);
    debug('client %s authenticated by %s as %s', client.clientId, name, response.principalId);
    return true;
  };

  return {
    connect: (client) => decide(client),
    principalOf: (clientId) => principals.get(clientId),
  };
}

// --- internal ---

function refuse(client: ClientIdentity, why: string): AuthDecision {
  debug('client %s refused: %s', client.clientId, why);
  // Not authorized: CONNACK 5 (3.1.1) / 0x87 (5).
  return false;
}

function verifyToken(token: string, signatureBase64: string, key: KeyObject): boolean {
  try {
    return createVerify('RSA-SHA256')
      .update(token, 'utf8')
      .verify(key, Buffer.from(signatureBase64, 'base64'));
  } catch {
    return false;
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
