/**
 * `delivered`: every copy these clients received of the chosen messages (of a publish step, from
 * some publishers, on a topic filter; all of ours when none is given) carried the expected QoS,
 * RETAIN, DUP, User Properties and Message Expiry Interval. Reads the properties the record keeps
 * for scenarios with this assertion; a failure names the messages per property and what it was.
 */
import type { DeliveredCopy } from '../delivery-properties.js';
import { NO_EXPIRY } from '../delivery-properties.js';
import { matchTopic } from '../topic-filter.js';
import { boundDetails, compare, formatMessages, plural, toRanges } from './_format.js';
import { receiversOf } from './_select.js';
import type { AssertionCheck, AssertionOf } from './assertion.js';

/** What differs in one copy, e.g. "qos 0 (expected 1)"; undefined when it is as expected. */
function differences(a: AssertionOf<'delivered'>, c: DeliveredCopy): string[] {
  const out: string[] = [];
  if (a.qos !== undefined && c.qos !== a.qos) out.push(`qos ${c.qos} (expected ${a.qos})`);
  if (a.retain !== undefined && c.retain !== a.retain) out.push(`retain ${c.retain} (expected ${a.retain})`);
  if (a.dup !== undefined && c.dup !== a.dup) out.push(`dup ${c.dup} (expected ${a.dup})`);
  for (const [k, v] of a.userProperties ?? []) {
    if (c.userProperties.some(([ck, cv]) => ck === k && cv === v)) continue;
    const had = c.userProperties.filter(([ck]) => ck === k).map(([, cv]) => JSON.stringify(cv));
    out.push(
      `user property ${k}=${had.length === 0 ? 'absent' : had.join(', ')} (expected ${JSON.stringify(v)})`,
    );
  }
  if (a.messageExpiry !== undefined) {
    if (c.expiry === NO_EXPIRY) out.push(`no message expiry (expected ${a.messageExpiry.text})`);
    else if (!compare(a.messageExpiry, c.expiry * 1000))
      out.push(`message expiry ${c.expiry}s (expected ${a.messageExpiry.text})`);
  }
  return out;
}

export const checkDelivered: AssertionCheck<'delivered'> = (a, ctx) => {
  const names = ctx.oracle.names;
  const props = ctx.record.deliveryProperties;
  const expected = `every copy ${a.clients.join(', ')} received is as declared`;
  if (props === undefined)
    return { ok: false, nothingToCheck: 'the run kept no delivery properties', expected, actual: '' };
  const from = a.from === undefined ? undefined : new Set(receiversOf(a.from, ctx));
  /** "receiver\0publisher\0difference" → sequence numbers. */
  const wrong = new Map<string, number[]>();
  let checked = 0;
  let bad = 0;
  for (const r of receiversOf(a.clients, ctx)) {
    for (const c of props.copiesOf(r)) {
      if (from !== undefined && !from.has(c.publisher)) continue;
      if (a.step !== undefined || a.topic !== undefined) {
        const seg = ctx.record.publishers[c.publisher]?.segmentOf(c.seq);
        if (seg === undefined) continue;
        if (a.step !== undefined && seg.stepRef !== a.step) continue;
        if (a.topic !== undefined && !matchTopic(a.topic, seg.topic)) continue;
      }
      checked++;
      const diff = differences(a, c);
      if (diff.length > 0) bad++;
      for (const d of diff) {
        const key = `${r}\0${c.publisher}\0${d}`;
        const seqs = wrong.get(key);
        if (seqs === undefined) wrong.set(key, [c.seq]);
        else seqs.push(c.seq);
      }
    }
  }
  const details = [...wrong].map(([key, seqs]) => {
    const [r, p, d] = key.split('\0') as [string, string, string];
    return `${names[Number(r)]} got ${formatMessages(names[Number(p)] ?? '?', toRanges(seqs))} with ${d}`;
  });
  return {
    ok: checked > 0 && bad === 0,
    ...(checked === 0 ? { nothingToCheck: 'no copy of the chosen messages was received' } : {}),
    expected,
    actual:
      bad === 0
        ? `all ${plural(checked, 'copy', 'copies')} were`
        : `${plural(bad, 'copy', 'copies')} of ${checked} differ: ${details.slice(0, 2).join('; ')}`,
    details: boundDetails(details),
  };
};
