/**
 * `session-present`: the CONNACK Session Present flag of a connect. 0 after Clean Start
 * [MQTT-3.2.2-2]; 1 when the broker resumed a stored session [MQTT-3.2.2-3] (PS-7).
 */

import { receiversOf } from './_select.js';
import type { AssertionCheck } from './assertion.js';

export const checkSessionPresent: AssertionCheck<'session-present'> = (a, ctx) => {
  const names = ctx.oracle.names;
  const where = a.step === undefined ? 'on its last connect' : `at step ${a.step}`;
  const got: string[] = [];
  const wrong: string[] = [];
  for (const c of receiversOf(a.clients, ctx)) {
    const connects = ctx.record.connects.filter(
      (r) => r.client === c && (a.step === undefined || r.stepRef === a.step),
    );
    const last = connects[connects.length - 1];
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
    actual: wrong.length > 0 ? wrong.join('; ') : got.join(', ') || 'no client matched',
    details: [],
    rules: ['MQTT-3.2.2-2', 'MQTT-3.2.2-3', 'PS-7'],
  };
};
