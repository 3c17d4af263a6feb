/**
 * `not-delivered`: none of the chosen messages (of a publish step, from some publishers, on a
 * topic filter) reached these clients; a failure names each one that did.
 */
import { hasBit } from '../bitset.js';
import { matchTopic } from '../topic-filter.js';
import { boundDetails, formatMessages, plural, toRanges } from './_format.js';
import { receiversOf } from './_select.js';
import type { AssertionCheck } from './assertion.js';

export const checkNotDelivered: AssertionCheck<'not-delivered'> = (a, ctx) => {
  const names = ctx.oracle.names;
  const from = a.from === undefined ? undefined : new Set(receiversOf(a.from, ctx));
  const details: string[] = [];
  let arrived = 0;
  let chosen = 0;
  for (const r of receiversOf(a.clients, ctx)) {
    for (const log of ctx.record.publishers) {
      if (log === undefined || (from !== undefined && !from.has(log.client))) continue;
      const rl = ctx.record.receiptLog(r, log.client);
      const seqs: number[] = [];
      for (const seg of log.segments) {
        if (a.step !== undefined && seg.stepRef !== a.step) continue;
        if (a.topic !== undefined && !matchTopic(a.topic, seg.topic)) continue;
        const end = Math.min(seg.end, log.next);
        chosen += end - seg.first;
        if (rl === undefined) continue;
        for (let s = seg.first; s < end; s++) if (hasBit(rl.bits, s)) seqs.push(s);
      }
      if (seqs.length === 0) continue;
      arrived += seqs.length;
      details.push(`${names[r]} got ${formatMessages(names[log.client] ?? '?', toRanges(seqs))}`);
    }
  }
  return {
    ok: arrived === 0,
    ...(chosen === 0
      ? { nothingToCheck: 'no message matched: nothing was published by that step, publisher or topic' }
      : {}),
    expected: `none of these messages reaches ${a.clients.join(', ')}`,
    actual:
      arrived === 0
        ? `none did (${plural(chosen, 'message')} checked)`
        : `${plural(arrived, 'message')} did: ${details.slice(0, 2).join('; ')}`,
    details: boundDetails(details),
  };
};
