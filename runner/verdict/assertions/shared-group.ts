/**
 * `shared-group`: how a `$share/{group}/{filter}` group distributed its messages. Each message
 * goes to exactly one member of each matching group (MQTT 5 §4.8.2, AWS SS-5, SS-6); every
 * member receives some (SS-5 (b)); optionally the shares stay within a tolerance of the mean.
 * Messages whose fate depends on the broker (see the oracle) are not held against the group.
 */
import type { EntryOutcome } from '../oracle.js';
import { boundDetails, formatMessages, plural } from './_format.js';
import type { AssertionCheck } from './assertion.js';

export const checkSharedGroup: AssertionCheck<'shared-group'> = (a, ctx) => {
  const names = ctx.oracle.names;
  const outcomes = ctx.oracle.outcomes.filter(
    (o) =>
      o.entry.kind === 'group' &&
      o.entry.group === a.group &&
      (a.filter === undefined || o.entry.filter === a.filter),
  );
  const rules = ['MQTT-4.8.2-1', 'MQTT-4.8.2-5', 'SS-4', 'SS-5', 'SS-6', 'MQ-3'];
  const what = a.filter === undefined ? `group ${a.group}` : `group ${a.group}/${a.filter}`;
  const expectParts = [
    a.eachMessage === 'once'
      ? 'each message reaches exactly one member'
      : 'each message reaches at least one member',
  ];
  if (a.everyMemberReceives) expectParts.push('every member receives some');
  if (a.balanceTolerance !== undefined)
    expectParts.push(`shares within ±${Math.round(a.balanceTolerance * 100)}% of the mean`);
  const expected = `${what}: ${expectParts.join(', ')}`;
  if (outcomes.length === 0) {
    return {
      ok: false,
      expected,
      actual: '',
      nothingToCheck: `no message was published to ${what} while it had members`,
      details: [`check the group name; shared filters subscribed: ${sharedFilters(ctx)}`],
      rules,
    };
  }

  const members = new Map<number, number>();
  for (const o of outcomes)
    for (const c of o.entry.candidates) if (!members.has(c.client)) members.set(c.client, 0);
  for (const o of outcomes) for (const [c, n] of o.perMember ?? []) members.set(c, (members.get(c) ?? 0) + n);

  const details: string[] = [];
  const problems: string[] = [];
  const pubName = (o: EntryOutcome) => names[o.segment.publisher] ?? '?';
  let lost = 0;
  let multi = 0;
  let total = 0;
  for (const o of outcomes) {
    total += o.delivered;
    if (o.missing?.cls === 'lost') {
      lost += o.missing.count;
      details.push(`lost ${formatMessages(pubName(o), o.missing.ranges)} (${o.missing.reason})`);
    } else if (o.missing !== undefined) {
      details.push(`${o.missing.cls} ${formatMessages(pubName(o), o.missing.ranges)} (${o.missing.reason})`);
    }
    if (a.eachMessage === 'once' && o.multi !== undefined && o.multi.count > 0) {
      multi += o.multi.count;
      details.push(`more than once in the group: ${formatMessages(pubName(o), o.multi.ranges)}`);
    }
  }
  if (lost > 0) problems.push(`${lost} reached no member`);
  if (multi > 0) problems.push(`${plural(multi, 'message')} reached the group more than once`);
  const shares = [...members].map(([c, n]) => `${names[c]} ${n}`).join(', ');
  if (a.everyMemberReceives) {
    const idle = [...members].filter(([, n]) => n === 0).map(([c]) => names[c]);
    if (idle.length > 0) problems.push(`${idle.join(', ')} received none`);
  }
  if (a.balanceTolerance !== undefined && members.size > 0) {
    const mean = [...members.values()].reduce((s, n) => s + n, 0) / members.size;
    const worst = [...members].reduce<[number, number]>(
      (w, [c, n]) => {
        const dev = mean === 0 ? 0 : Math.abs(n - mean) / mean;
        return dev > w[1] ? [c, dev] : w;
      },
      [-1, 0],
    );
    if (worst[1] > a.balanceTolerance) {
      problems.push(
        `${names[worst[0]]} is ${Math.round(worst[1] * 100)}% off the mean of ${mean.toFixed(1)}`,
      );
    }
  }
  return {
    ok: problems.length === 0,
    expected,
    actual:
      problems.length === 0
        ? `${plural(total, 'message')} distributed: ${shares}`
        : `${problems.join('; ')} (${shares})`,
    details: boundDetails(details),
    rules,
  };
};

function sharedFilters(ctx: Parameters<AssertionCheck<'shared-group'>>[1]): string {
  const set = new Set<string>();
  for (const s of ctx.record.subscriptions)
    for (const f of s.filters) if (f.startsWith('$share/')) set.add(f);
  for (const c of ctx.scenario.clients)
    for (const s of c.subscriptions) if (s.filter.startsWith('$share/')) set.add(s.filter);
  return set.size === 0 ? 'none' : [...set].join(', ');
}
