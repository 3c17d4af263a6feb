/**
 * `session-present`: the CONNACK Session Present flag of a connect. 0 after Clean Start
 * [MQTT-3.2.2-2]; 1 when the broker resumed a stored session [MQTT-3.2.2-3] (PS-7).
 */

import { receiversOf } from './_select.js';
import type { AssertionCheck } from './assertion.js';

/** Up to this many clients are named one by one; a fleet is counted, its exceptions capped. */
const LISTED = 10;

function listed(items: readonly string[], sep: string): string {
  if (items.length <= LISTED) return items.join(sep);
  return `${items.slice(0, LISTED).join(sep)}${sep}and ${(items.length - LISTED).toLocaleString('en-US')} more`;
}

export const checkSessionPresent: AssertionCheck<'session-present'> = (a, ctx) => {
  const names = ctx.oracle.names;
  const where = a.step === undefined ? 'on its last connect' : `at step ${a.step}`;
  const got: string[] = [];
  const wrong: string[] = [];
  // The last connect of each client (at the step), in one pass: a fleet has 10,000 of them.
  const lastOf = new Map<number, (typeof ctx.record.connects)[number]>();
  for (const r of ctx.record.connects)
    if (a.step === undefined || r.stepRef === a.step) lastOf.set(r.client, r);
  for (const c of receiversOf(a.clients, ctx)) {
    const last = lastOf.get(c);
    if (last === undefined) {
      wrong.push(`${names[c]}: no connect ${where}`);
      continue;
    }
    if (last.connack === undefined) {
      wrong.push(`${names[c]}: connect failed (${last.error?.message ?? 'no CONNACK'})`);
      continue;
    }
    const sp = last.connack.sessionPresent;
    got.push(`${names[c]} sessionPresent=${sp}`);
    if (sp !== a.expected) wrong.push(`${names[c]} sessionPresent=${sp}`);
  }
  return {
    ok: wrong.length === 0 && got.length > 0,
    ...(wrong.length === 0 && got.length === 0 ? { nothingToCheck: 'no client matched' } : {}),
    expected: `${a.clients.join(', ')} sessionPresent=${a.expected} ${where}`,
    actual:
      wrong.length > 0
        ? listed(wrong, '; ')
        : got.length > LISTED
          ? `${got.length.toLocaleString('en-US')} clients sessionPresent=${a.expected}`
          : got.join(', ') || 'no client matched',
    details: [],
    rules: ['MQTT-3.2.2-2', 'MQTT-3.2.2-3', 'PS-7'],
  };
};
