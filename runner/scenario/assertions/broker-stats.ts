/**
 * `broker-stats: { client(s) | group, delivered, queued, dequeued, dropped: { reason: n } }`: the
 * embedded broker's own counters for this scenario (broker/stats.ts), each bound a comparison.
 */
import type { DocPath } from '../../document/yaml.js';
import { type AssertionResolver, labelled, refsText } from '../resolver.js';
import type { Comparison } from '../types.js';

declare module '../types.js' {
  interface AssertionShapes {
    'broker-stats': {
      /** Instances checked one by one (by client id); undefined with `group` or for the totals. */
      clients?: string[];
      /** A share name or `{ShareName}/{TopicFilter}`. */
      group?: string;
      /** `delivered`, `queued`, `dequeued`, `dropped.<reason>` or `dropped.total` → bound. */
      bounds: Array<{ counter: string; bound: Comparison }>;
    };
  }
}

export const resolveBrokerStats: AssertionResolver<'broker-stats'> = (raw, path, head, cx) => {
  const r = raw['broker-stats'] as NonNullable<(typeof raw)['broker-stats']>;
  const p: DocPath = [...path, 'broker-stats'];
  const who = cx.clientOrClients(r, p, false);
  if (who !== undefined && r.group !== undefined) cx.error(p, 'give either clients or a `group`, not both');
  const bounds: Array<{ counter: string; bound: Comparison }> = [];
  for (const key of ['delivered', 'queued', 'dequeued'] as const) {
    const v = r[key];
    if (v === undefined) continue;
    const bound = cx.comparison(v, [...p, key], 'count');
    if (bound !== undefined) bounds.push({ counter: key, bound });
  }
  for (const [reason, v] of Object.entries(r.dropped ?? {})) {
    if (v === undefined) continue;
    const bound = cx.comparison(v, [...p, 'dropped', reason], 'count');
    if (bound !== undefined) bounds.push({ counter: `dropped.${reason}`, bound });
  }
  if (bounds.length === 0 && (r.delivered ?? r.queued ?? r.dequeued ?? r.dropped) === undefined)
    cx.error(p, 'needs at least one counter: delivered, queued, dequeued or dropped: { reason: bound }');
  const scope =
    who !== undefined ? refsText(who.refs) : r.group !== undefined ? `group ${r.group}` : 'totals';
  const out: ReturnType<AssertionResolver<'broker-stats'>> = {
    ...head,
    label: labelled(
      raw.name,
      `broker-stats ${scope}: ${bounds.map((b) => `${b.counter} ${b.bound.text}`).join(', ')}`,
    ),
    kind: 'broker-stats',
    bounds,
  };
  if (who !== undefined) out.clients = who.instances;
  if (r.group !== undefined) out.group = r.group;
  return out;
};
