/**
 * `delivered: { client(s), step, from, topic, qos, retain, dup, userProperties, messageExpiry }`:
 * properties of every copy these clients received of the chosen messages.
 */
import type { DocPath } from '../../document/yaml.js';
import { type AssertionResolver, labelled, refsText } from '../resolver.js';
import type { Comparison } from '../types.js';
import { messagesText, resolveMessages } from './_messages.js';

declare module '../types.js' {
  interface AssertionShapes {
    delivered: {
      clients: string[];
      /** Ref of the publish step whose messages are meant. */
      step?: number;
      from?: string[];
      topic?: string;
      qos?: 0 | 1 | 2;
      retain?: boolean;
      dup?: boolean;
      /** Pairs each copy must carry, values as text. */
      userProperties?: Array<[string, string]>;
      /** Bound on the Message Expiry Interval received, ms. */
      messageExpiry?: Comparison;
    };
  }
}

export const resolveDelivered: AssertionResolver<'delivered'> = (raw, path, head, cx) => {
  const r = raw.delivered as NonNullable<(typeof raw)['delivered']>;
  const p: DocPath = [...path, 'delivered'];
  const who = cx.clientOrClients(r, p, true);
  const checks: string[] = [];
  if (r.qos !== undefined) checks.push(`qos ${r.qos}`);
  if (r.retain !== undefined) checks.push(`retain ${r.retain}`);
  if (r.dup !== undefined) checks.push(`dup ${r.dup}`);
  const pairs =
    r.userProperties === undefined
      ? undefined
      : Object.entries(r.userProperties).flatMap(([k, v]) =>
          v === undefined ? [] : [[k, String(v)] as [string, string]],
        );
  if (pairs !== undefined) checks.push(`userProperties ${pairs.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  if (r.messageExpiry !== undefined) checks.push(`messageExpiry ${r.messageExpiry}`);
  if (checks.length === 0)
    cx.error(p, 'say which property to check: qos, retain, dup, userProperties and/or messageExpiry');
  const out: ReturnType<AssertionResolver<'delivered'>> = {
    ...head,
    label: labelled(
      raw.name,
      `delivered to ${refsText(who?.refs ?? [])}${messagesText(r)}: ${checks.join(', ')}`,
    ),
    kind: 'delivered',
    clients: who?.instances ?? [],
  };
  resolveMessages(cx, r, p, out);
  if (r.qos !== undefined) out.qos = r.qos;
  if (r.retain !== undefined) out.retain = r.retain;
  if (r.dup !== undefined) out.dup = r.dup;
  if (pairs !== undefined) out.userProperties = pairs;
  if (r.messageExpiry !== undefined) {
    const c = cx.comparison(r.messageExpiry, [...p, 'messageExpiry'], 'duration');
    if (c !== undefined) out.messageExpiry = c;
  }
  return out;
};
