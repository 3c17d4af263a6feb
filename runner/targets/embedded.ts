/**
 * The `embedded` target: the in-process broker of broker/ on free loopback ports, with a
 * behaviour profile (aws-iot by default, or mosquitto). It stops with the run.
 */
import createDebug from 'debug';
import type { BrokerSettings } from '../../broker/index.js';
import { BrokerError, MqscenError } from '../errors.js';
import type { ResolvedClient } from '../scenario/types.js';
import type { StartedTarget, TargetConnection } from './target.js';

const debug = createDebug('mqscen:target:embedded');

export type EmbeddedProfile = 'aws-iot' | 'mosquitto';

export interface EmbeddedTargetOptions {
  /** Target name shown in reports. @default "embedded" */
  name?: string;
  /** Behaviour profile of the broker. @default "aws-iot" */
  profile?: EmbeddedProfile;
  /** Broker settings that override the profile's defaults (benchmarks lift queue limits). */
  settings?: Partial<BrokerSettings>;
}

/** A started embedded broker: a StartedTarget plus the URL of each listener. */
export interface EmbeddedTarget extends StartedTarget {
  readonly urls: { readonly mqtt: string; readonly ws?: string };
}

/** Starts the embedded broker (mqtt and ws listeners on 127.0.0.1, free ports). */
export async function startEmbeddedTarget(options: EmbeddedTargetOptions = {}): Promise<EmbeddedTarget> {
  const profile = options.profile ?? 'aws-iot';
  const name = options.name ?? 'embedded';
  // Imported here so that only runs on this target load the broker.
  const { startBroker } = await import('../../broker/index.js');
  let broker: Awaited<ReturnType<typeof startBroker>>;
  try {
    broker = await startBroker({
      profile,
      listeners: { mqtt: {}, ws: {} },
      settings: options.settings ?? {},
    });
  } catch (err) {
    if (err instanceof MqscenError) throw err;
    throw new BrokerError(
      `the embedded broker (profile ${profile}) did not start: ${(err as Error).message}`,
      {
        cause: err,
        hint: 'run with DEBUG=mqscen:broker for details, or pick another target with --target',
      },
    );
  }
  const mqttUrl = broker.urls.mqtt;
  if (mqttUrl === undefined) {
    await broker.close();
    throw new BrokerError('the embedded broker opened no mqtt listener');
  }
  debug('target %s: embedded broker (profile %s) at %s', name, profile, mqttUrl);
  const urls = broker.urls.ws !== undefined ? { mqtt: mqttUrl, ws: broker.urls.ws } : { mqtt: mqttUrl };
  return {
    name,
    kind: 'embedded',
    behaviour: profile,
    transport: 'mqttjs',
    url: mqttUrl,
    urls,
    connectionFor(client: ResolvedClient): TargetConnection {
      const conn: TargetConnection = { url: mqttUrl, transport: 'mqttjs' };
      if (client.username !== undefined) conn.username = client.username;
      if (client.password !== undefined) conn.password = client.password;
      return conn;
    },
    stats: () => broker.stats() as unknown as Record<string, unknown>,
    close: () => broker.close(),
  };
}
