/**
 * `duplicates`: at most `max` repeated copies that count. Every repeated copy has a class
 * (docs/verdict-model.md):
 * - `redelivery`: a QoS 1 copy again after the recipient's connection broke, which QoS 1 allows
 *   [MQTT-4.3.2-2] [MQTT-4.4.0-1] (AWS IoT re-sends without DUP, Q-5), or a second delivery inside
 *   a `$share` group after the first recipient's connection broke (MQTT 5 §4.8.2);
 * - `extra-copy`: one more copy for another matching subscription of the same client
 *   [MQTT-3.3.4-2], or a group member's copy beside its own subscription's (SS-7);
 * - `unexplained`: anything else (QoS 2 must never cause one, [MQTT-4.3.3-2]).
 * The classes in `allow` (default redelivery and extra-copy) do not count. Retained copies sent
 * for a new subscription are never duplicates. An upper bound holds over an empty run: with nothing
 * received it passes and says so.
 */
import type { DuplicateClass } from '../message-logs.js';
import { boundDetails, formatMessages, plural } from './_format.js';
import { receiversOf } from './_select.js';
import type { AssertionCheck } from './assertion.js';

const CLASS_TEXT: Record<DuplicateClass, string> = {
  unexplained: 'unexplained',
  redelivery: 'redelivered after its connection broke',
  'extra-copy': 'extra copy for another matching subscription',
};

export const checkDuplicates: AssertionCheck<'duplicates'> = (a, ctx) => {
  const names = ctx.oracle.names;
  const receivers = receiversOf(a.clients, ctx);
  const allowed = new Set<DuplicateClass>(a.allow);
  const counted: string[] = [];
  const tolerated: string[] = [];
  const totals: Record<DuplicateClass, number> = { unexplained: 0, redelivery: 0, 'extra-copy': 0 };
  let received = 0;
  for (const r of receivers) {
    for (let p = 0; p < names.length; p++) {
      received += ctx.record.receiptLog(r, p)?.received ?? 0;
      for (const cls of ['unexplained', 'redelivery', 'extra-copy'] as const) {
        const n = ctx.record.repeatCount(r, p, cls);
        if (n === 0) continue;
        totals[cls] += n;
        const line = `${names[r]} got ${formatMessages(names[p] ?? '?', ctx.record.repeatRanges(r, p, cls))} more than once (${plural(n, 'copy', 'copies')}, ${CLASS_TEXT[cls]})`;
        (allowed.has(cls) ? tolerated : counted).push(line);
      }
    }
  }
  // Second deliveries inside a `$share` group: the group is owed one delivery (MQTT 5 §4.8.2).
  const picked = new Set(receivers);
  for (const key of ctx.record.groupKeys()) {
    const members = ctx.record.subscriptions$?.groupMembers(key) ?? [];
    if (a.clients !== undefined && !members.some((m) => picked.has(m.client))) continue;
    for (let p = 0; p < names.length; p++) {
      const g = ctx.record.groupLog(key, p);
      if (g === undefined) continue;
      for (const [cls, n, bits] of [
        ['unexplained', g.multi, g.multiBits],
        ['redelivery', g.redelivered, g.redeliveredBits],
      ] as const) {
        if (n === 0 || bits === undefined) continue;
        totals[cls] += n;
        const line = `group ${key} got ${formatMessages(names[p] ?? '?', ctx.record.rangesOf(bits))} more than once (${plural(n, 'second delivery', 'second deliveries')}, ${cls === 'redelivery' ? 'after the first recipient’s connection broke' : 'unexplained'})`;
        (allowed.has(cls) ? tolerated : counted).push(line);
      }
    }
  }
  const total = [...(['unexplained', 'redelivery', 'extra-copy'] as const)]
    .filter((c) => !allowed.has(c))
    .reduce((n, c) => n + totals[c], 0);
  const allowedTotal = [...allowed].reduce((n, c) => n + totals[c], 0);
  const allowedText =
    allowedTotal === 0
      ? ''
      : ` (allowed: ${[...allowed]
          .filter((c) => totals[c] > 0)
          .map((c) => `${totals[c]} ${c}`)
          .join(', ')})`;
  const expected = `at most ${plural(a.max, 'duplicate')}${allowed.size > 0 ? ` (${[...allowed].join(' and ')} allowed)` : ''}`;
  return {
    ok: total <= a.max,

    expected,
    actual:
      total === 0
        ? `no duplicates${received === 0 ? ' (no message of this run was received)' : allowedText}`
        : `${plural(total, 'duplicate')}: ${counted.slice(0, 2).join('; ')}${allowedText}`,
    details: boundDetails([...counted, ...tolerated.map((l) => `allowed: ${l}`)]),
    rules: ['MQTT-4.3.2-2', 'MQTT-4.3.3-2', 'MQTT-3.3.4-2', 'Q-5'],
  };
};
