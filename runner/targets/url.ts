/**
 * The `url` target: any broker at a URL, with optional TLS files and credentials. Nothing is
 * started; start() reads the TLS files so a bad path fails before any client connects.
 */
import { readFile } from 'node:fs/promises';
import createDebug from 'debug';
import { EnvironmentError } from '../errors.js';
import type { ResolvedClient } from '../scenario/types.js';
import type { TlsSettings } from '../transports/transport.js';
import { redactUrl } from '../transports/url.js';
import { describeInsecurity } from './insecurity.js';
import type { Behaviour, StartedTarget, TargetConnection } from './target.js';

const debug = createDebug('mqscen:target:url');

export interface UrlTargetOptions {
  /** Target name shown in reports. @default "url" */
  name?: string;
  /** Broker URL: mqtt://, mqtts://, ws://, wss://. */
  url: string;
  /** CA certificate file (PEM), absolute or relative to the process cwd. */
  ca?: string;
  /** Client certificate file (PEM), for mTLS. */
  cert?: string;
  /** Client private key file (PEM), for mTLS. */
  key?: string;
  /** TLS server name (SNI). @default the URL host */
  servername?: string;
  /** ALPN protocols to offer, e.g. ["x-amzn-mqtt-ca"]. */
  alpn?: readonly string[];
  /** Verify the server certificate. @default true */
  rejectUnauthorized?: boolean;
  /** User name for every client that does not set its own. */
  username?: string;
  /** Password for every client that does not set its own. Never shown. */
  password?: string;
  /** Which `on:` assertions apply. @default "generic" */
  behaviour?: Behaviour;
  /** Transport registry name. @default "mqttjs" */
  transport?: string;
  /** Extra settings passed to the transport (ConnectOptions.extra). */
  extra?: Readonly<Record<string, unknown>>;
}

/** Resolves a URL target; EnvironmentError (exit 3) when a TLS file cannot be read. */
export async function startUrlTarget(options: UrlTargetOptions): Promise<StartedTarget> {
  const name = options.name ?? 'url';
  const tls = await readTlsFiles(options, name);
  const publicUrl = redactUrl(options.url);
  const transport = options.transport ?? 'mqttjs';
  debug('target %s: %s over %s', name, publicUrl, transport);
  const insecure = describeInsecurity({
    url: options.url,
    ...(options.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: options.rejectUnauthorized }),
    hasPassword: options.password !== undefined,
  });
  return {
    name,
    kind: 'url',
    behaviour: options.behaviour ?? 'generic',
    transport,
    url: publicUrl,
    ...(insecure.length > 0 ? { insecure } : {}),
    capabilities: { outlivesRun: true, connectPacingMs: 0 },
    connectionFor(client: ResolvedClient): TargetConnection {
      const conn: TargetConnection = { url: options.url, transport };
      if (tls !== undefined) conn.tls = tls;
      const username = client.username ?? options.username;
      const password = client.password ?? options.password;
      if (username !== undefined) conn.username = username;
      if (password !== undefined) conn.password = password;
      if (options.extra !== undefined) conn.extra = options.extra;
      return conn;
    },
    close: () => Promise.resolve(),
  };
}

/** Reads ca/cert/key as PEM text and checks they look like PEM, naming the setting on failure. */
export async function readTlsFiles(
  options: Pick<UrlTargetOptions, 'ca' | 'cert' | 'key' | 'servername' | 'alpn' | 'rejectUnauthorized'>,
  targetName: string,
): Promise<TlsSettings | undefined> {
  const tls: TlsSettings = {};
  let any = false;
  for (const setting of ['ca', 'cert', 'key'] as const) {
    const file = options[setting];
    if (file === undefined) continue;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read';
      throw new EnvironmentError(`target "${targetName}": ${setting} file ${file} ${why}`, {
        cause: err,
        hint: `fix the ${setting}: path in the targets file (relative paths are relative to the targets file)`,
      });
    }
    if (!text.includes('-----BEGIN ')) {
      throw new EnvironmentError(`target "${targetName}": ${setting} file ${file} is not PEM`, {
        hint: `${setting}: must name a PEM file (text starting with -----BEGIN ...)`,
      });
    }
    tls[setting] = text;
    any = true;
  }
  if (options.cert !== undefined && options.key === undefined) {
    throw new EnvironmentError(`target "${targetName}": cert is set but key is not`, {
      hint: 'mTLS needs both cert: and key: in the targets file',
    });
  }
  if (options.servername !== undefined) {
    tls.servername = options.servername;
    any = true;
  }
  if (options.alpn !== undefined) {
    tls.alpn = [...options.alpn];
    any = true;
  }
  if (options.rejectUnauthorized !== undefined) {
    tls.rejectUnauthorized = options.rejectUnauthorized;
    any = true;
  }
  return any ? tls : undefined;
}
