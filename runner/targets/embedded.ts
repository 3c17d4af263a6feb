/**
 * The `embedded` target: the in-process broker of broker/ on free loopback ports, with a
 * behaviour profile (aws-iot by default, or mosquitto). It stops with the run.
 */
import createDebug from 'debug';
import { BrokerConfigError, BrokerListenError } from '../../broker/errors.js';
import type { BrokerSettings } from '../../broker/index.js';
import { BrokerError, MqscenError, UsageError } from '../errors.js';
import type { ResolvedClient } from '../scenario/types.js';
import { createEmbeddedPolicyEnforcer, type EmbeddedPolicyOptions } from './embedded-policy.js';
import type { StartedTarget, TargetConnection } from './target.js';

const debug = createDebug('mqscen:target:embedded');

export type EmbeddedProfile = 'aws-iot' | 'mosquitto';

export interface EmbeddedTargetOptions {
  /** Target name shown in reports. @default "embedded" */
  name?: string;
  /** Behaviour profile of the broker. @default "aws-iot" */
  profile?: EmbeddedProfile;
  /** Broker settings that override the profile's defaults (`settings:` of the targets file; benchmarks lift queue limits). */
  settings?: Partial<BrokerSettings>;
  /** AWS IoT policies to enforce (profile aws-iot only); the scenario's `policy:` otherwise. */
  policy?: EmbeddedPolicyOptions;
  /**
   * Where the broker runs: in the runner's process, in a child process (`embedded-child.ts`), or
   * `auto`: a child when the run's largest scenario has more than CHILD_PROCESS_ABOVE clients.
   * @default "auto"
   */
  process?: 'auto' | 'child' | 'in-process';
  /** Clients of the run's largest scenario (decides `auto`). */
  clients?: number;
}

/**
 * Above this many clients `auto` puts the broker in a child process. Each connection costs an open
 * file on both ends, and a process may hold 20,000 on the machines this runs on: in one process
 * ~9,900 clients is the ceiling; in two, each side holds one end. Below it a child only adds its
 * start-up (~0.3 s) to every run.
 */
export const CHILD_PROCESS_ABOVE = 2000;

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
  if (profile !== 'aws-iot' && (options.policy?.default?.length || options.policy?.attached?.length)) {
    throw new UsageError(`target ${name}: AWS IoT policies are enforced by the aws-iot profile only`, {
      hint: 'set profile: aws-iot, or remove policy:/policies: (the mosquitto profile takes --acl rules)',
    });
  }
  const where = options.process ?? 'auto';
  if (where === 'child' || (where === 'auto' && (options.clients ?? 0) > CHILD_PROCESS_ABOVE)) {
    const { startEmbeddedChildTarget } = await import('./embedded-child.js');
    return startEmbeddedChildTarget({ ...options, profile, name });
  }
  // Policy files are read before the broker listens: a broken one is exit 2 with file:line:col.
  const policy = profile === 'aws-iot' ? await createEmbeddedPolicyEnforcer(options.policy) : undefined;
  let broker: Awaited<ReturnType<typeof startBroker>>;
  try {
    broker = await startBroker({
      profile,
      listeners: { mqtt: {}, ws: {} },
      settings: options.settings ?? {},
      ...(policy === undefined ? {} : { authorize: policy.authorizer }),
    });
  } catch (err) {
    if (err instanceof MqscenError) throw err;
    if (err instanceof BrokerConfigError || err instanceof BrokerListenError) throw translateBrokerError(err);
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
  return {
    ...embeddedTargetBase(name, profile, mqttUrl, broker.urls.ws),
    stats: () => {
      const stats = broker.stats() as unknown as Record<string, unknown>;
      const policyStats = policy?.stats();
      return policyStats === undefined ? stats : { ...stats, policy: policyStats };
    },
    ...(policy === undefined
      ? {}
      : { usePolicy: (file: string | undefined) => policy.usePolicy(file), policyRefusals: policy.refusals }),
    close: () => broker.close(),
  };
}

/**
 * The broker's own errors in the runner's terms: bad settings or files are a UsageError (exit 2),
 * a listener that cannot open a BrokerError; anything else is returned as it is.
 */
export function translateBrokerError(error: unknown): unknown {
  if (error instanceof BrokerConfigError) {
    return new UsageError(error.message, {
      cause: error,
      ...(error.hint === undefined ? {} : { hint: error.hint }),
    });
  }
  if (error instanceof BrokerListenError) {
    return new BrokerError(error.message, {
      cause: error,
      ...(error.hint === undefined ? {} : { hint: error.hint }),
    });
  }
  return error;
}

/**
 * What an embedded target is wherever its broker runs (in this process or its own): its names,
 * URLs and capabilities, and clients connecting over MQTT.js with their own credentials.
 */
export function embeddedTargetBase(
  name: string,
  profile: EmbeddedProfile,
  mqttUrl: string,
  wsUrl: string | undefined,
) {
  return {
    name,
    kind: 'embedded' as const,
    behaviour: profile,
    transport: 'mqttjs' as const,
    url: mqttUrl,
    capabilities: { outlivesRun: false, connectPacingMs: 0 },
    urls: wsUrl !== undefined ? { mqtt: mqttUrl, ws: wsUrl } : { mqtt: mqttUrl },
    connectionFor(client: ResolvedClient): TargetConnection {
      const conn: TargetConnection = { url: mqttUrl, transport: 'mqttjs' };
      if (client.username !== undefined) conn.username = client.username;
      if (client.password !== undefined) conn.password = client.password;
      return conn;
    },
  };
}
