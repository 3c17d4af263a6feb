/**
 * `duplicates`: at most `max` repeated deliveries of the same message to the same client. QoS 1
 * allows them [MQTT-4.3.2-2] (and AWS IoT re-sends without DUP, Q-5); QoS 2 must not cause them
 * [MQTT-4.3.3-2]. Retained copies sent for a new subscription are not duplicates.
 */
import { boundDetails, formatMessages, plural } from './_format.js';
import { dupRanges, receiversOf } from './_select.js';
import type { AssertionCheck } from './assertion.js';

export const checkDuplicates: AssertionCheck<'duplicates'> = (a, ctx) => {
  const names = ctx.oracle.names;
  const receivers = receiversOf(a.clients, ctx);
  let total = 0;
  const details: string[] = [];
  for (const r of receivers) {
    for (let p = 0; p < names.length; p++) {
      const log = ctx.record.receiptLog(r, p);
      if (log === undefined || log.duplicates === 0) continue;
      total += log.duplicates;
      details.push(
        `${names[r]} got ${formatMessages(names[p] ?? '?', dupRanges(log))} more than once (${plural(log.duplicates, 'extra delivery', 'extra deliveries')})`,
      );
    }
  }
  const expected = `at most ${plural(a.max, 'duplicate delivery', 'duplicate deliveries')}`;
  return {
    ok: total <= a.max,
    expected,
    actual:
      total === 0 ? 'no duplicates' : `${plural(total, 'duplicate')}: ${details.slice(0, 2).join('; ')}`,
    details: boundDetails(details),
    rules: ['MQTT-4.3.2-2', 'MQTT-4.3.3-2', 'Q-5'],
  };
};
