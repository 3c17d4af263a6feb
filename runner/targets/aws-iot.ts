/**
 * The `aws-iot` target: an AWS IoT Core endpoint (or the embedded broker standing in for it),
 * over mTLS, WebSocket with SigV4, or a custom authorizer. This module decides URL, TLS and the
 * `extra.aws` settings; the AWS transports (aws-iot-sdk, mqttjs-sigv4) do the signing.
 *
 * Secrets (keys, tokens, passwords) reach the transport only through TargetConnection; the
 * target's public `url` holds host and port only.
 */
import createDebug from 'debug';
import { EnvironmentError } from '../errors.js';
import type { ResolvedClient } from '../scenario/types.js';
import { describeInsecurity } from './insecurity.js';
import type { AwsIotTarget } from './schema-types.js';
import type { Behaviour, StartedTarget, TargetConnection } from './target.js';
import { readTlsFiles } from './url.js';

const debug = createDebug('mqscen:target:aws-iot');

export type AwsIotAuth = AwsIotTarget['auth'];

/**
 * Custom authorizer settings as the targets file writes them (secrets substituted); the same names
 * as the aws-iot-sdk transport's `extra.customAuthorizer`.
 */
export type AwsCustomAuthorizer = NonNullable<AwsIotTarget['customAuthorizer']>;

export interface AwsIotTargetOptions {
  /** Target name shown in reports. */
  name: string;
  auth: AwsIotAuth;
  /** Device data endpoint (host, optionally host:port). @default AWS_IOT_ENDPOINT, else DescribeEndpoint */
  endpoint?: string;
  /** AWS region. @default from the endpoint host, else AWS_REGION / AWS_DEFAULT_REGION */
  region?: string;
  /** @default "aws-iot-sdk" */
  transport?: 'aws-iot-sdk' | 'mqttjs-sigv4' | 'mqttjs';
  /** @default 8883 for mtls, 443 otherwise */
  port?: number;
  /** @default ["x-amzn-mqtt-ca"] for mtls on 443, ["mqtt"] for a custom authorizer on 443 */
  alpn?: string[];
  cert?: string;
  key?: string;
  ca?: string;
  servername?: string;
  awsProfile?: string;
  customAuthorizer?: AwsCustomAuthorizer;
  /** @default "aws-iot" */
  behaviour?: Behaviour;
  /** Environment for AWS_IOT_ENDPOINT / AWS_REGION. @default process.env */
  env?: NodeJS.ProcessEnv;
}

/**
 * What the AWS transports read from ConnectOptions.extra (flat keys, as transports/aws-iot-sdk/settings.ts and
 * runner/aws/credentials.ts `awsExtraOf` expect).
 */
export interface AwsIotExtra {
  auth: AwsIotAuth;
  region?: string;
  /** Shared-config profile for the credential chain. */
  profile?: string;
  customAuthorizer?: AwsCustomAuthorizer;
  /** File paths, only to name files in messages. */
  certPath?: string;
  keyPath?: string;
  caPath?: string;
}

/** Bound for the DescribeEndpoint lookup, ms. */
const DESCRIBE_TIMEOUT_MS = 10_000;

export async function startAwsIotTarget(options: AwsIotTargetOptions): Promise<StartedTarget> {
  const env = options.env ?? process.env;
  const endpointSetting =
    options.endpoint ?? nonEmpty(env.AWS_IOT_ENDPOINT) ?? (await describeEndpoint(options, env));
  const { host, port: endpointPort } = splitHostPort(endpointSetting);
  const region =
    options.region ?? regionFromHost(host) ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION);
  const transport = options.transport ?? 'aws-iot-sdk';
  const port = options.port ?? endpointPort ?? (options.auth === 'mtls' ? 8883 : 443);

  if (options.auth === 'sigv4' && region === undefined) {
    throw new EnvironmentError(`target "${options.name}": no AWS region for SigV4`, {
      hint: 'set region: in the targets file, or AWS_REGION in the environment',
    });
  }
  if (options.auth === 'sigv4' && transport === 'mqttjs') {
    throw new EnvironmentError(`target "${options.name}": transport mqttjs cannot sign with SigV4`, {
      hint: 'use transport: mqttjs-sigv4 or aws-iot-sdk for auth: sigv4',
    });
  }
  let alpn = options.alpn;
  if (alpn === undefined && port === 443 && options.auth === 'mtls') alpn = ['x-amzn-mqtt-ca'];
  if (alpn === undefined && port === 443 && options.auth === 'custom-authorizer') alpn = ['mqtt'];

  const tlsInput: Parameters<typeof readTlsFiles>[0] = {};
  if (options.ca !== undefined) tlsInput.ca = options.ca;
  if (options.auth === 'mtls') {
    if (options.cert !== undefined) tlsInput.cert = options.cert;
    if (options.key !== undefined) tlsInput.key = options.key;
  }
  if (options.servername !== undefined) tlsInput.servername = options.servername;
  if (alpn !== undefined && options.auth !== 'sigv4') tlsInput.alpn = alpn;
  const tls = await readTlsFiles(tlsInput, options.name);

  const scheme = options.auth === 'sigv4' ? 'wss' : 'mqtts';
  const path = options.auth === 'sigv4' ? '/mqtt' : '';
  const url = `${scheme}://${host}:${port}${path}`;
  const extra: AwsIotExtra = { auth: options.auth };
  if (region !== undefined) extra.region = region;
  if (options.awsProfile !== undefined) extra.profile = options.awsProfile;
  if (options.auth === 'mtls') {
    if (options.cert !== undefined) extra.certPath = options.cert;
    if (options.key !== undefined) extra.keyPath = options.key;
  }
  if (options.ca !== undefined) extra.caPath = options.ca;
  const baseExtra = Object.freeze({ ...extra });
  debug('target %s: %s (%s over %s)', options.name, url, options.auth, transport);

  // AWS IoT Core is always TLS; only a process-wide verification switch can turn it off.
  const insecure = describeInsecurity({ url, tls: true });
  return {
    name: options.name,
    kind: 'aws-iot',
    behaviour: options.behaviour ?? 'aws-iot',
    transport,
    url,
    ...(insecure.length > 0 ? { insecure } : {}),
    // AWS IoT Core accepts one CONNECT per second per client id (C-4).
    capabilities: { outlivesRun: true, connectPacingMs: 1100 },
    connectionFor(client: ResolvedClient): TargetConnection {
      const conn: TargetConnection = { url, transport, extra: baseExtra };
      if (tls !== undefined) conn.tls = tls;
      const authorizer = options.customAuthorizer;
      if (options.auth === 'custom-authorizer' && authorizer !== undefined) {
        const username = client.username ?? authorizer.username;
        const password = client.password ?? authorizer.password;
        if (client.transport === 'mqttjs' || (client.transport === undefined && transport === 'mqttjs')) {
          // AWS reads the authorizer from the MQTT user name's query part over mqtts/443 (ALPN mqtt).
          conn.username = customAuthorizerUsername(authorizer, username);
          if (password !== undefined) conn.password = password;
        } else {
          // The SDK builds that user name itself from these settings.
          const settings: AwsCustomAuthorizer = { ...authorizer };
          if (username !== undefined) settings.username = username;
          if (password !== undefined) settings.password = password;
          conn.extra = Object.freeze({ ...extra, customAuthorizer: settings });
        }
      } else {
        if (client.username !== undefined) conn.username = client.username;
        if (client.password !== undefined) conn.password = client.password;
      }
      return conn;
    },
    close: () => Promise.resolve(),
  };
}

/** `user?x-amz-customauthorizer-name=NAME&TOKENKEY=TOKEN&x-amz-customauthorizer-signature=SIG`. */
export function customAuthorizerUsername(a: AwsCustomAuthorizer, clientUsername?: string): string {
  const q = new URLSearchParams();
  q.set('x-amz-customauthorizer-name', a.name);
  if (a.tokenValue !== undefined && a.tokenKeyName !== undefined) q.set(a.tokenKeyName, a.tokenValue);
  if (a.tokenSignature !== undefined) q.set('x-amz-customauthorizer-signature', a.tokenSignature);
  return `${clientUsername ?? a.username ?? ''}?${q.toString()}`;
}

// --- internal ---

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

function splitHostPort(endpoint: string): { host: string; port?: number } {
  const cleaned = endpoint.replace(/^[a-z]+:\/\//, '').replace(/\/.*$/, '');
  const m = /^(.*):(\d+)$/.exec(cleaned);
  return m?.[1] !== undefined ? { host: m[1], port: Number(m[2]) } : { host: cleaned };
}

function regionFromHost(host: string): string | undefined {
  return /\.iot\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(host)?.[1];
}

/** iot:Data-ATS endpoint of the account, looked up with the standard credential chain. */
async function describeEndpoint(options: AwsIotTargetOptions, env: NodeJS.ProcessEnv): Promise<string> {
  const region = options.region ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION);
  const fail = (why: string, cause?: unknown): never => {
    throw new EnvironmentError(`target "${options.name}": no AWS IoT endpoint (${why})`, {
      cause,
      hint: 'set endpoint: in the targets file or AWS_IOT_ENDPOINT (see `aws iot describe-endpoint --endpoint-type iot:Data-ATS`)',
    });
  };
  if (region === undefined)
    return fail('endpoint, AWS_IOT_ENDPOINT and a region to look it up are all missing');
  try {
    const { IoTClient, DescribeEndpointCommand } = await import('@aws-sdk/client-iot');
    const client = new IoTClient({ region, ...(options.awsProfile ? { profile: options.awsProfile } : {}) });
    try {
      const out = await client.send(new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }), {
        abortSignal: AbortSignal.timeout(DESCRIBE_TIMEOUT_MS),
      });
      if (out.endpointAddress === undefined) return fail('DescribeEndpoint returned no address');
      return out.endpointAddress;
    } finally {
      client.destroy();
    }
  } catch (err) {
    if (err instanceof EnvironmentError) throw err;
    return fail(`DescribeEndpoint failed: ${(err as Error).message}`, err);
  }
}
