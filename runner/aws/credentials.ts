/**
 * AWS credentials and region for the SigV4 transports, from the transport `extra` settings or the
 * standard AWS chain (environment, shared config/credentials files, SSO, web identity, IMDS) via
 * @aws-sdk/credential-providers. Secrets are never put in a message or a debug line: errors name
 * the setting or variable to fix, not its value.
 */

import createDebug from 'debug';
import { TransportError } from '../errors.js';

const debug = createDebug('mqscen:aws:credentials');

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** The AWS part of a transport's `extra` settings (ConnectOptions.extra). */
export interface AwsConnectExtra {
  /** Region of the endpoint; else AWS_REGION / AWS_DEFAULT_REGION, else read from the endpoint host. */
  region?: string;
  /** Static credentials (tests, or a targets file that reads them from the environment). */
  credentials?: AwsCredentials;
  /** Shared-config profile for the default chain. */
  profile?: string;
}

/** Reads the AWS settings out of ConnectOptions.extra, checking their types. */
export function awsExtraOf(
  extra: Readonly<Record<string, unknown>> | undefined,
  transport: string,
): AwsConnectExtra {
  const out: AwsConnectExtra = {};
  if (extra === undefined) return out;
  if (extra.region !== undefined) {
    if (typeof extra.region !== 'string' || extra.region === '')
      throw badSetting(transport, 'region', 'a region name like eu-west-1');
    out.region = extra.region;
  }
  if (extra.profile !== undefined) {
    if (typeof extra.profile !== 'string') throw badSetting(transport, 'profile', 'a profile name');
    out.profile = extra.profile;
  }
  if (extra.credentials !== undefined) {
    const c = extra.credentials as Partial<AwsCredentials> | null;
    if (
      c === null ||
      typeof c !== 'object' ||
      typeof c.accessKeyId !== 'string' ||
      typeof c.secretAccessKey !== 'string' ||
      c.accessKeyId === '' ||
      c.secretAccessKey === '' ||
      (c.sessionToken !== undefined && typeof c.sessionToken !== 'string')
    ) {
      throw badSetting(
        transport,
        'credentials',
        '{ accessKeyId, secretAccessKey, sessionToken? }, all non-empty strings',
      );
    }
    out.credentials = {
      accessKeyId: c.accessKeyId,
      secretAccessKey: c.secretAccessKey,
      ...(c.sessionToken ? { sessionToken: c.sessionToken } : {}),
    };
  }
  return out;
}

/** Region from the settings, the environment, or the AWS IoT endpoint name (`...iot.<region>.amazonaws.com`). */
export function resolveRegion(settings: AwsConnectExtra, host: string, transport: string): string {
  const fromHost = /\.iot\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(host)?.[1];
  const region = settings.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? fromHost;
  if (region === undefined || region === '') {
    throw new TransportError(`no AWS region for the SigV4 connection to ${host}`, {
      transport,
      hint: 'set region: in the targets file, or AWS_REGION in the environment',
    });
  }
  return region;
}

/**
 * Credentials for one signing: the static ones when given, else the default provider chain
 * (resolved on every call, so expiring temporary credentials are refreshed on reconnect).
 */
export async function resolveCredentials(
  settings: AwsConnectExtra,
  transport: string,
  timeoutMs = 10_000,
): Promise<AwsCredentials> {
  if (settings.credentials !== undefined) return settings.credentials;
  const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
  let timer: NodeJS.Timeout | undefined;
  // The chain may end at the EC2/ECS metadata endpoints, which can take long to give up.
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the AWS credential chain gave no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    const c = await Promise.race([
      fromNodeProviderChain(settings.profile === undefined ? {} : { profile: settings.profile })(),
      bound,
    ]);
    debug('credentials from the default chain (temporary: %s)', c.sessionToken ? 'yes' : 'no');
    return {
      accessKeyId: c.accessKeyId,
      secretAccessKey: c.secretAccessKey,
      ...(c.sessionToken ? { sessionToken: c.sessionToken } : {}),
    };
  } catch (cause) {
    // The chain's own message lists the sources it tried; it holds no secret.
    const detail = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    throw new TransportError(`no AWS credentials found for the SigV4 connection: ${detail}`, {
      transport,
      cause,
      hint:
        settings.profile === undefined
          ? 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary ones), or AWS_PROFILE, or run aws sso login'
          : `check profile "${settings.profile}" in ~/.aws/config and ~/.aws/credentials (or run aws sso login --profile ${settings.profile})`,
    });
  } finally {
    clearTimeout(timer);
  }
}

function badSetting(transport: string, name: string, expected: string): TransportError {
  return new TransportError(`invalid "${name}" setting for transport ${transport}: expected ${expected}`, {
    transport,
    hint: `fix "${name}" in the targets file`,
  });
}
