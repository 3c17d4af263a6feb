/**
 * `will`: whether a client's will message reached the receivers. The will is published when the
 * network connection closes without DISCONNECT [MQTT-3.1.2-8] and discarded on a normal
 * DISCONNECT [MQTT-3.1.2-10] (AWS L-1). Wills carry an identity, so another client's will or an
 * earlier run's retained will is never mistaken for this one.
 */

import { receiversOf } from './_select.js';
import type { AssertionCheck } from './assertion.js';

export const checkWill: AssertionCheck<'will'> = (a, ctx) => {
  const names = ctx.oracle.names;
  const of = ctx.clientIndex.get(a.of);
  const got: string[] = [];
  const missing: string[] = [];
  for (const r of receiversOf(a.receivers, ctx)) {
    const wills = ctx.record.wills.filter((w) => w.receiver === r && w.of === of);
    if (wills.length > 0)
      got.push(`${names[r]} got it${wills.length > 1 ? ` ${wills.length}×` : ''} on ${wills[0]?.topic}`);
    else missing.push(`${names[r]} did not`);
  }
  const ok = a.received ? missing.length === 0 && got.length > 0 : got.length === 0;
  const how = ctx.record.disconnects
    .filter((d) => d.client === of)
    .map((d) => `${d.how}${d.reasonCode === undefined ? '' : ` (0x${d.reasonCode.toString(16)})`}`);
  return {
    ok,
    ...(got.length === 0 && missing.length === 0 ? { nothingToCheck: 'no receiver matched' } : {}),
    expected: `${a.receivers.join(', ')} ${a.received ? 'receive' : 'do not receive'} the will of ${a.of}`,
    actual: [...got, ...missing].join(', ') || 'no receiver matched',
    details: [`${a.of} disconnects: ${how.join(', ') || 'none recorded'}`],
    rules: ['MQTT-3.1.2-8', 'MQTT-3.1.2-10', 'L-1'],
  };
};
