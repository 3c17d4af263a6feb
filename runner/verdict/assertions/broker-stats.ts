/**
 * `broker-stats`: the embedded broker's counters for this scenario (delivered, queued, dequeued,
 * dropped by reason; broker/stats.ts, made per scenario by runner/targets/stats-delta.ts), per
 * client, per `$share` group (summed over its filters when only the share name is given) or in
 * total. A target without broker counters cannot answer: not evaluated, with that reason.
 */
import { isObject } from '../../document/value.js';
import { compare } from './_format.js';
import { receiversOf } from './_select.js';
import type { AssertionCheck } from './assertion.js';

type Entry = Record<string, unknown>;

function read(entry: Entry | undefined, counter: string): number {
  if (entry === undefined) return 0;
  if (!counter.startsWith('dropped.'))
    return typeof entry[counter] === 'number' ? (entry[counter] as number) : 0;
  const dropped = isObject(entry.dropped) ? entry.dropped : {};
  const reason = counter.slice('dropped.'.length);
  if (reason !== 'total') return typeof dropped[reason] === 'number' ? (dropped[reason] as number) : 0;
  let n = 0;
  for (const v of Object.values(dropped)) if (typeof v === 'number') n += v;
  return n;
}

export const checkBrokerStats: AssertionCheck<'broker-stats'> = (a, ctx) => {
  const wanted = a.bounds.map((b) => `${b.counter} ${b.bound.text}`).join(', ');
  const scopeText =
    a.clients !== undefined ? a.clients.join(', ') : a.group !== undefined ? `group ${a.group}` : 'totals';
  const expected = `broker counters of ${scopeText}: ${wanted}`;
  const stats = ctx.brokerStats;
  if (stats === undefined)
    return {
      ok: false,
      notEvaluated: `the ${ctx.targetKind ?? 'target'} target keeps no broker counters (only the embedded broker does)`,
      expected,
      actual: '',
    };
  /** [what is read, its counters (summed when several)] */
  const scopes: Array<[string, Entry[]]> = [];
  if (a.clients !== undefined) {
    const clients = isObject(stats.clients) ? stats.clients : {};
    for (const i of receiversOf(a.clients, ctx)) {
      const def = ctx.scenario.clients[i];
      if (def === undefined) continue;
      const e = clients[def.clientId];
      scopes.push([`${def.name} (${def.clientId})`, isObject(e) ? [e] : []]);
    }
  } else if (a.group !== undefined) {
    const groups = isObject(stats.groups) ? stats.groups : {};
    const g = a.group;
    const matched = Object.entries(groups).filter(
      ([k, v]) => (k === g || k.startsWith(`${g}/`)) && isObject(v),
    );
    if (matched.length === 0)
      return {
        ok: false,
        nothingToCheck: `the broker counted no $share group ${g} in this scenario`,
        expected,
        actual: '',
      };
    scopes.push([`group ${g}`, matched.map(([, v]) => v as Entry)]);
  } else {
    scopes.push(['totals', isObject(stats.totals) ? [stats.totals] : []]);
  }
  const details: string[] = [];
  const bad: string[] = [];
  for (const [name, entries] of scopes) {
    const parts = a.bounds.map((b) => {
      const n = entries.reduce((sum, e) => sum + read(e, b.counter), 0);
      const ok = compare(b.bound, n);
      return { text: `${b.counter} ${n}${ok ? '' : ` (expected ${b.bound.text})`}`, ok };
    });
    const line = `${name}: ${parts.map((x) => x.text).join(', ')}`;
    details.push(line);
    if (parts.some((x) => !x.ok)) bad.push(line);
  }
  return {
    ok: scopes.length > 0 && bad.length === 0,
    ...(scopes.length === 0 ? { nothingToCheck: 'no client matched' } : {}),
    expected,
    actual: bad.length === 0 ? details.slice(0, 3).join('; ') : bad.slice(0, 3).join('; '),
    details,
  };
};
