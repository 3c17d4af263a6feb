/**
 * `ordered`: each receiver gets each publisher's messages on a topic in publish order. A broker
 * must forward messages of one topic and QoS from one client in the order received
 * [MQTT-4.6.0-6]; AWS IoT does not promise it (Q-8, MQ-11), hence `on:` in such scenarios.
 */
import { boundDetails, plural } from './_format.js';
import { receiversOf } from './_select.js';
import type { AssertionCheck } from './assertion.js';

export const checkOrdered: AssertionCheck<'ordered'> = (a, ctx) => {
  const names = ctx.oracle.names;
  let total = 0;
  let checked = 0;
  const details: string[] = [];
  for (const r of receiversOf(a.clients, ctx)) {
    for (let p = 0; p < names.length; p++) {
      const log = ctx.record.receiptLog(r, p);
      if (log === undefined) continue;
      checked += log.received;
      if (log.orderViolations === 0) continue;
      total += log.orderViolations;
      for (const v of log.orderSamples) {
        details.push(`${names[r]} got ${names[p]}#${v.seq + 1} after #${v.after + 1} on ${v.topic}`);
      }
      if (log.orderViolations > log.orderSamples.length) {
        details.push(`${names[r]}: ${log.orderViolations - log.orderSamples.length} more from ${names[p]}`);
      }
    }
  }
  return {
    ok: total === 0 && checked > 0,
    ...(checked === 0 ? { nothingToCheck: 'no message was received, so order could not be checked' } : {}),
    expected: 'every receiver gets each publisher’s messages per topic in publish order',
    actual:
      checked === 0
        ? 'no message was received: order could not be checked'
        : total === 0
          ? `in order (${plural(checked, 'message')} checked)`
          : `${plural(total, 'message')} out of order: ${details.slice(0, 2).join('; ')}`,
    details: boundDetails(details),
    rules: ['MQTT-4.6.0-6'],
  };
};
