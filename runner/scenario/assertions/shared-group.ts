/**
 * `shared-group: { group, filter, each-message, every-member-receives, balance }`: distribution
 * inside a `$share` group (SS-5). The group must be one some client subscribes to.
 */

import { closest } from '../../document/suggest.js';
import type { DocPath } from '../../document/yaml.js';
import { type AssertionResolver, labelled, type ResolveContext } from '../resolver.js';
import { parseShared } from '../topic-rules.js';

declare module '../types.js' {
  interface AssertionShapes {
    'shared-group': {
      group: string;
      /** Restrict to one `$share/{group}/{filter}` filter; undefined = every filter of that group. */
      filter?: string;
      eachMessage: 'once' | 'at-least-once';
      everyMemberReceives: boolean;
      /** Max relative deviation of any member's share from the mean, 0..1 (e.g. 0.5). */
      balanceTolerance?: number;
    };
  }
}

export const resolveSharedGroup: AssertionResolver<'shared-group'> = (raw, path, head, cx) => {
  const sg = raw['shared-group'] as NonNullable<(typeof raw)['shared-group']>;
  const p: DocPath = [...path, 'shared-group'];
  const groups = sharedGroups(cx);
  const filters = groups.get(sg.group);
  if (filters === undefined) {
    const known = [...groups.keys()];
    const guess = closest(sg.group, known);
    cx.error(
      [...p, 'group'],
      `unknown group "${sg.group}": no client subscribes to $share/${sg.group}/...; ${
        known.length === 0
          ? 'subscribe to a $share/{group}/{filter} filter first'
          : guess !== undefined
            ? `did you mean "${guess}"?`
            : `groups subscribed: ${known.join(', ')}`
      }`,
    );
  } else if (sg.filter !== undefined && !filters.has(sg.filter)) {
    cx.error(
      [...p, 'filter'],
      `group "${sg.group}" has no filter "${sg.filter}"; its filters: ${[...filters].join(', ')} (SS-4)`,
    );
  }
  const out: ReturnType<AssertionResolver<'shared-group'>> = {
    ...head,
    label: labelled(raw.name, `shared-group ${sg.group}`),
    kind: 'shared-group',
    group: sg.group,
    eachMessage: sg['each-message'] ?? 'once',
    everyMemberReceives: sg['every-member-receives'] ?? false,
  };
  if (sg.filter !== undefined) out.filter = sg.filter;
  if (typeof sg.balance === 'number') out.balanceTolerance = sg.balance;
  else if (typeof sg.balance === 'string') {
    const pct = Number(sg.balance.trim().replace(/%$/, ''));
    if (pct >= 0 && pct <= 100) out.balanceTolerance = pct / 100;
    else cx.error([...p, 'balance'], `must be a percentage between 0% and 100% (got "${sg.balance}")`);
  }
  return out;
};

// --- internal ---

/** Every `$share` group subscribed anywhere in the file (declarations and subscribe steps) → its filters. */
function sharedGroups(cx: ResolveContext): Map<string, Set<string>> {
  const groups = new Map<string, Set<string>>();
  const note = (filter: unknown) => {
    if (typeof filter !== 'string') return;
    const s = parseShared(filter);
    if (typeof s === 'string') return;
    const set = groups.get(s.group) ?? new Set<string>();
    set.add(s.filter);
    groups.set(s.group, set);
  };
  const noteSub = (sub: unknown) =>
    note(typeof sub === 'string' ? sub : (sub as { filter?: unknown } | null)?.filter);
  for (const client of Object.values(cx.doc.clients)) {
    const subs = (client as { subscriptions?: unknown } | null | undefined)?.subscriptions;
    if (Array.isArray(subs)) subs.forEach(noteSub);
  }
  for (const node of cx.tree.flat) {
    const sub = (node.raw as { subscribe?: { filter?: unknown; filters?: unknown } } | null)?.subscribe;
    if (sub === undefined || sub === null) continue;
    note(sub.filter);
    if (Array.isArray(sub.filters)) sub.filters.forEach(noteSub);
  }
  return groups;
}
