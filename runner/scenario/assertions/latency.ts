/**
 * `latency: { p50, p95, p99, max, clients }`: publish-to-receipt percentiles, each bound with an
 * operator (`"< 250ms"`, `"<= 1s"`, `">"`, `">="`; see comparison.ts).
 */
import type { DocPath } from '../../document/yaml.js';
import { type AssertionResolver, labelled } from '../resolver.js';
import type { Comparison } from '../types.js';

declare module '../types.js' {
  interface AssertionShapes {
    latency: {
      /** Percentile (0..100] → bound, e.g. { p: 95, bound: "< 250ms" }; p = 100 is max. */
      percentiles: Array<{ p: number; bound: Comparison }>;
      clients?: string[];
    };
  }
}

const PERCENTILES = [
  ['p50', 50],
  ['p95', 95],
  ['p99', 99],
  ['max', 100],
] as const;

export const resolveLatency: AssertionResolver<'latency'> = (raw, path, head, cx) => {
  const l = raw.latency as NonNullable<(typeof raw)['latency']>;
  const p: DocPath = [...path, 'latency'];
  const percentiles: Array<{ p: number; bound: Comparison }> = [];
  for (const [key, percentile] of PERCENTILES) {
    const text = l[key];
    if (text === undefined) continue;
    const bound = cx.comparison(text, [...p, key], 'duration');
    if (bound !== undefined) percentiles.push({ p: percentile, bound });
  }
  if (PERCENTILES.every(([key]) => l[key] === undefined)) {
    cx.error(p, 'needs at least one bound: p50, p95, p99 or max, e.g. p95: "< 250ms"');
  }
  const out: ReturnType<AssertionResolver<'latency'>> = {
    ...head,
    label: labelled(
      raw.name,
      `latency ${percentiles.map((x) => `${x.p === 100 ? 'max' : `p${x.p}`} ${x.bound.text}`).join(', ')}`,
    ),
    kind: 'latency',
    percentiles,
  };
  if (l.clients !== undefined) out.clients = cx.clients(l.clients, [...p, 'clients']);
  return out;
};
