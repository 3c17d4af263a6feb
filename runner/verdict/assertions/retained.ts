/**
 * `retained`: a retained message on `topic` is (or is not) delivered to the clients after they
 * subscribe. A new subscription gets the last retained message of each matching topic
 * [MQTT-3.3.1-6] with RETAIN=1 [MQTT-3.3.1-8]; AWS IoT only for a filter equal to the topic
 * (R-3) and never for shared filters (SS-8). `present: true` needs a retained message published
 * in this run (and the given payload); `present: false` accepts none at all, from any run.
 */
import { isDeepStrictEqual } from 'node:util';
import type { PayloadSpec } from '../../scenario/types.js';
import { brokerBehaviour } from '../broker-behaviours.js';
import { receiversOf } from './_select.js';
import type { AssertionCheck } from './assertion.js';

export function payloadMatches(spec: PayloadSpec, user: Uint8Array): boolean {
  const text = Buffer.from(user).toString('utf8');
  switch (spec.kind) {
    case 'text':
      return text === spec.text;
    case 'json':
      try {
        return isDeepStrictEqual(JSON.parse(text), spec.value);
      } catch {
        return false;
      }
    case 'size':
      return true;
  }
}

function specText(spec: PayloadSpec): string {
  return spec.kind === 'text'
    ? JSON.stringify(spec.text)
    : spec.kind === 'json'
      ? JSON.stringify(spec.value)
      : `${spec.bytes} bytes`;
}

export const checkRetained: AssertionCheck<'retained'> = (a, ctx) => {
  const names = ctx.oracle.names;
  const ok: string[] = [];
  const bad: string[] = [];
  for (const c of receiversOf(a.clients, ctx)) {
    const got = ctx.record.retained.filter((r) => r.receiver === c && r.topic === a.topic);
    const ours = got.filter((r) => r.ours);
    if (a.present) {
      const match =
        a.payload === undefined
          ? ours
          : ours.filter((r) => a.payload !== undefined && payloadMatches(a.payload, r.payload));
      if (match.length > 0) ok.push(`${names[c]} got it`);
      else if (ours.length > 0) {
        const shown = Buffer.from(ours[0]?.payload ?? [])
          .toString('utf8')
          .slice(0, 80);
        bad.push(`${names[c]} got a retained message with payload ${JSON.stringify(shown)}`);
      } else
        bad.push(
          `${names[c]} got no retained message on ${a.topic}${got.length > 0 ? ` (only ${got.length} from other runs)` : ''}`,
        );
    } else if (got.length > 0) {
      bad.push(
        `${names[c]} got ${got.length} retained on ${a.topic}${ours.length < got.length ? ` (${got.length - ours.length} from other runs)` : ''}`,
      );
    } else ok.push(`${names[c]} got none`);
  }
  const payload = a.payload === undefined ? '' : ` with payload ${specText(a.payload)}`;
  return {
    ok: bad.length === 0 && ok.length > 0,
    ...(bad.length === 0 && ok.length === 0 ? { nothingToCheck: 'no client matched' } : {}),
    expected: a.present
      ? `${a.clients.join(', ')} receive the retained message on ${a.topic}${payload} after subscribing`
      : `${a.clients.join(', ')} receive no retained message on ${a.topic}`,
    actual: bad.length > 0 ? bad.join('; ') : ok.join(', ') || 'no client matched',
    details: [],
    rules: [...brokerBehaviour(ctx.behaviour).retainedRules],
  };
};
