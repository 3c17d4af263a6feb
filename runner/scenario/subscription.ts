/**
 * Subscriptions as declared on a client (`subscriptions:`) or in a subscribe step: the filter's
 * syntax, the MQTT 5 options, and the SubscriptionRequest the engine sends.
 */
import type { DocPath } from '../document/yaml.js';
import type { QoS, SubscriptionRequest } from '../transports/transport.js';
import type { ResolveContext } from './resolver.js';
import type { Subscription } from './schema-types.js';
import { isShared } from './topic-rules.js';

/** Options a subscribe step gives to its string filters. */
export interface SubscriptionDefaults {
  qos?: number;
  noLocal?: boolean;
  retainAsPublished?: boolean;
  retainHandling?: number;
}

/**
 * One subscription. `path` is where the entry is written; `optionsPath`, when given, is where
 * its options are (a subscribe step with a single `filter` carries them beside it).
 */
export function resolveSubscription(
  sub: Subscription,
  defaults: SubscriptionDefaults | undefined,
  path: DocPath,
  v311Clients: readonly string[],
  cx: ResolveContext,
  optionsPath?: DocPath,
): SubscriptionRequest {
  const o = typeof sub === 'string' ? { ...defaults, filter: sub } : { ...defaults, ...sub };
  const filterPath = typeof sub === 'string' || optionsPath !== undefined ? path : [...path, 'filter'];
  cx.topicFilter(o.filter, filterPath);
  const where = optionsPath ?? path;
  if (o.noLocal === true && isShared(o.filter)) {
    cx.error(
      where,
      `noLocal cannot be set on a shared subscription ("${o.filter}"): it is a protocol error [MQTT-3.8.3-4]`,
    );
  }
  const mqtt5Only = (['noLocal', 'retainAsPublished', 'retainHandling'] as const).filter(
    (k) => o[k] !== undefined,
  );
  if (mqtt5Only.length > 0 && v311Clients.length > 0) {
    cx.error(
      where,
      `${mqtt5Only.join(', ')} ${mqtt5Only.length === 1 ? 'is' : 'are'} MQTT 5 only (${v311Clients.join(', ')} use 3.1.1); remove or set protocol: 5`,
    );
  }
  const req: SubscriptionRequest = { filter: o.filter, qos: (o.qos ?? 0) as QoS };
  if (o.noLocal !== undefined) req.noLocal = o.noLocal;
  if (o.retainAsPublished !== undefined) req.retainAsPublished = o.retainAsPublished;
  if (o.retainHandling !== undefined) req.retainHandling = o.retainHandling as 0 | 1 | 2;
  return req;
}
