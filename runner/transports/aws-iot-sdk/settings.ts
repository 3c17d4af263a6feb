/**
 * Settings of the aws-iot-sdk transport, resolved and checked before the SDK sees them: the URL
 * (mTLS or custom authorizer over mqtts://, SigV4 or custom authorizer over wss://), the settings in
 * ConnectOptions.extra, the PEM material (so every mistake names the file and the fix) and SigV4
 * credentials. No SDK object is built here except the credentials provider and the builders'
 * TLS overrides.
 */
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { auth, type iot } from 'aws-iot-device-sdk-v2';
import {
  type AwsConnectExtra,
  type AwsCredentials,
  awsExtraOf,
  resolveCredentials,
  resolveRegion,
} from '../../aws/credentials.js';
import { TransportError } from '../../errors.js';
import type { ConnectOptions } from '../transport.js';
import { parseConnectUrl, redactUrl, TLS_SCHEMES } from '../url.js';

/** Registry name of the transport; every error carries it. */
export const NAME = 'aws-iot-sdk';

/** How the SDK transport authenticates. */
export type AwsIotAuth = 'mtls' | 'sigv4' | 'custom-authorizer';

/** Custom authorizer settings; secrets come from files or the environment, never the scenario. */
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

export interface Target {
  host: string;
  port: number;
  websocket: boolean;
  /** URL for messages (no secrets). */
  shown: string;
}

export interface ResolvedExtra extends AwsIotSdkExtra {
  auth: AwsIotAuth;
}

export interface TlsMaterial {
  ca?: string;
  cert?: string;
  key?: string;
}

export interface SigV4Settings {
  region: string;
  provider: auth.AwsCredentialsProvider;
  credentials: AwsCredentials;
}

/** Everything one connect needs, resolved and checked before the SDK sees it. */
export interface ResolvedSettings {
  options: ConnectOptions;
  target: Target;
  extra: ResolvedExtra;
  material: TlsMaterial;
  /** Set for auth `sigv4`. */
  sigv4: SigV4Settings | undefined;
}

/** Resolves and checks the URL, the extra settings, the TLS files and the SigV4 credentials. */
export async function resolveSettings(options: ConnectOptions): Promise<ResolvedSettings> {
  const target = parseTarget(options);
  const extra = readExtra(options, target);
  const material = checkTlsMaterial(options, extra);
  const sigv4 =
    extra.auth === 'sigv4' ? await sigv4Settings(extra, target.host, options.connectTimeoutMs) : undefined;
  return { options, target, extra, material, sigv4 };
}

function parseTarget(options: ConnectOptions): Target {
  const { url, shown } = parseConnectUrl(
    options.url,
    NAME,
    'write the AWS IoT endpoint as mqtts://<endpoint>:8883 (mTLS) or wss://<endpoint>/mqtt (SigV4)',
  );
  const websocket = url.protocol === 'wss:';
  if (!websocket && !TLS_SCHEMES.includes(url.protocol)) {
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

export function customAuthConfig(s: CustomAuthorizerSettings): iot.MqttConnectCustomAuthConfig {
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
 * ALPN list and peer verification. The SDK sends SNI and checks the certificate against the URL
 * host; `tls.servername` cannot be set apart from it and is ignored. The builders keep their TLS
 * options private (tlsContextOptions on the MQTT 5 builder, tls_ctx_options on the 3.1.1 one);
 * A-1 lists the ALPN protocols.
 */
export function applyTlsOverrides(builder: object, tls: ConnectOptions['tls']): void {
  const holder = builder as {
    tlsContextOptions?: { alpn_list?: string[]; verify_peer?: boolean };
    tls_ctx_options?: { alpn_list?: string[]; verify_peer?: boolean };
  };
  const target = holder.tlsContextOptions ?? holder.tls_ctx_options;
  if (target === undefined || tls === undefined) return;
  if (tls.alpn !== undefined) target.alpn_list = [...tls.alpn];
  if (tls.rejectUnauthorized === false) target.verify_peer = false;
}
