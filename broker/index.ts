/**
 * The embedded MQTT 3.1.1 / 5.0 broker: mqscen's zero-setup default target.
 *
 *   const broker = await startBroker({ profile: 'aws-iot' });
 *   // broker.urls.mqtt === 'mqtt://127.0.0.1:40211'
 *   await broker.close();
 *
 * Behaviour profiles (`aws-iot`, `mosquitto`) supply every limit and rule switch as defaults of
 * `BrokerSettings`; `settings` overrides single fields. `authorize` is the hook for connect,
 * publish, subscribe and receive decisions.
 */
import createDebug from 'debug';
import type { Authorizer } from './authorizer.js';
import { BrokerCore, type BrokerEvents } from './broker-core.js';
import { BrokerConfigError } from './errors.js';
import { dispatchPacket } from './handlers/index.js';
import { attachLifecycleEvents } from './lifecycle.js';
import { type BrokerUrls, type ListenerOptions, startListeners } from './listeners.js';
import { AWS_IOT_SETTINGS } from './profiles/aws-iot.js';
import { MOSQUITTO_SETTINGS } from './profiles/mosquitto.js';
import type { BrokerSettings, ProfileName, ResolvedBrokerSettings } from './profiles/settings.js';
import type { BrokerMessage } from './session-store.js';
import type { BrokerStats } from './stats.js';

export { type AclAction, type AclDocument, type AclRule, createAclAuthorizer, loadAclFile } from './acl.js';
export type {
  AuthDecision,
  Authorizer,
  ClientIdentity,
  ConnectRequest,
  DeliveryRequest,
  PublishRequest,
  SubscribeRequest,
} from './authorizer.js';
export type { BrokerEvents } from './broker-core.js';
export type { Connection, ConnectionInfo } from './connection.js';
export { BrokerConfigError, BrokerListenError } from './errors.js';
export { type DisconnectReason, disconnectReasonOf } from './lifecycle.js';
export type { BrokerUrls, ListenerOptions, TlsListenerOptions, UpgradeDecision } from './listeners.js';
export type { BrokerSettings, ProfileName, ResolvedBrokerSettings } from './profiles/settings.js';
export type { BrokerStats, ClientCounters, Counters, DropReason, GroupCounters } from './stats.js';

const debug = createDebug('mqscen:broker');

export interface BrokerOptions {
  /** Behaviour profile whose rules give the settings defaults. @default 'mosquitto' */
  profile?: ProfileName;
  /** Address every listener binds to. @default '127.0.0.1' */
  host?: string;
  /** Listeners to open; port 0 (the default) picks a free port. @default { mqtt: {} } */
  listeners?: ListenerOptions;
  /** Overrides of single settings; the rest come from the profile. */
  settings?: Partial<BrokerSettings>;
  /** Connect / publish / subscribe / receive decisions per client and topic. */
  authorize?: Authorizer;
}

export interface BrokerHandle {
  /** One URL per open listener, e.g. `mqtt://127.0.0.1:40211`, `ws://127.0.0.1:40212/mqtt`. */
  readonly urls: BrokerUrls;
  readonly profile: ProfileName;
  readonly settings: ResolvedBrokerSettings;
  /** Counters per client and per shared group: delivered, queued, dequeued, dropped by reason. */
  stats(): BrokerStats;
  /** Publishes a message as the broker itself (lifecycle events, test fixtures); returns the number of receivers. */
  publish(
    topic: string,
    payload: string | Uint8Array,
    options?: { qos?: 0 | 1 | 2; retain?: boolean },
  ): number;
  /** Broker events for extensions (connect, disconnect, subscribe, client errors). */
  on<K extends keyof BrokerEvents>(event: K, listener: (...args: BrokerEvents[K]) => void): void;
  /** Closes listeners and every client connection (MQTT 5: DISCONNECT 0x8B). Idempotent, bounded in time. */
  close(): Promise<void>;
}

const PROFILES: Record<ProfileName, Readonly<BrokerSettings>> = {
  'aws-iot': AWS_IOT_SETTINGS,
  mosquitto: MOSQUITTO_SETTINGS,
};

/** Profile defaults plus overrides, as a new frozen object (the caller's object is not touched). */
export function resolveBrokerSettings(
  profile: ProfileName = 'mosquitto',
  overrides: Partial<BrokerSettings> = {},
): ResolvedBrokerSettings {
  const base = PROFILES[profile];
  if (!base) {
    throw new BrokerConfigError(`unknown broker profile "${String(profile)}"; use "aws-iot" or "mosquitto"`);
  }
  const unknown = Object.keys(overrides).filter((key) => !(key in base));
  if (unknown.length > 0) {
    throw new BrokerConfigError(
      `unknown broker setting${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}`,
      { hint: `known settings: ${Object.keys(base).join(', ')}` },
    );
  }
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
  return Object.freeze({ ...base, ...defined });
}

export async function startBroker(options: BrokerOptions = {}): Promise<BrokerHandle> {
  const profile = options.profile ?? 'mosquitto';
  const settings = resolveBrokerSettings(profile, options.settings);
  const core = new BrokerCore(settings, dispatchPacket, options.authorize);
  if (settings.lifecycleEvents) attachLifecycleEvents(core);
  const listeners = await startListeners(
    core,
    options.host ?? '127.0.0.1',
    options.listeners ?? { mqtt: {} },
  );
  debug('broker started (profile %s): %o', profile, listeners.urls);
  let closing: Promise<void> | undefined;
  return {
    urls: listeners.urls,
    profile,
    settings,
    stats: () => core.stats(),
    publish(topic, payload, publishOptions = {}) {
      const message: BrokerMessage = {
        topic,
        payload: typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload),
        qos: publishOptions.qos ?? 0,
        retain: publishOptions.retain ?? false,
        properties: {},
      };
      return core.publish(message);
    },
    on(event, listener) {
      core.on(event, listener as never);
    },
    close() {
      closing ??= (async () => {
        core.close();
        await listeners.close();
        debug('broker stopped');
      })();
      return closing;
    },
  };
}
