/**
 * `not-delivered: { client(s), step, from, topic }`: the chosen messages never reached these
 * clients (a message that must not cross a boundary: a filter it does not match, a session that
 * was discarded, a client that unsubscribed).
 */
import type { DocPath } from '../../document/yaml.js';
import { type AssertionResolver, labelled, refsText } from '../resolver.js';
import { messagesText, resolveMessages } from './_messages.js';

declare module '../types.js' {
  interface AssertionShapes {
    'not-delivered': {
      clients: string[];
      /** Ref of the publish step whose messages are meant. */
      step?: number;
      from?: string[];
      topic?: string;
    };
  }
}

export const resolveNotDelivered: AssertionResolver<'not-delivered'> = (raw, path, head, cx) => {
  const r = raw['not-delivered'] as NonNullable<(typeof raw)['not-delivered']>;
  const p: DocPath = [...path, 'not-delivered'];
  const who = cx.clientOrClients(r, p, true);
  const out: ReturnType<AssertionResolver<'not-delivered'>> = {
    ...head,
    label: labelled(raw.name, `not-delivered to ${refsText(who?.refs ?? [])}${messagesText(r)}`),
    kind: 'not-delivered',
    clients: who?.instances ?? [],
  };
  if (r.step === undefined && r.from === undefined && r.topic === undefined)
    cx.error(p, 'say which messages: `step` (a publish step), `from` (publishers) and/or `topic` (a filter)');
  resolveMessages(cx, r, p, out);
  return out;
};
