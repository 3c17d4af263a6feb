/**
 * `not-delivered: { client(s), step, from, topic }`: the chosen messages never reached these
 * clients (a message that must not cross a boundary: a filter it does not match, a session that
 * was discarded, a client that unsubscribed).
 */
import type { DocPath } from '../../document/yaml.js';
import { type AssertionResolver, labelled, refsText } from '../resolver.js';

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
    label: labelled(
      raw.name,
      `not-delivered to ${refsText(who?.refs ?? [])}${r.step === undefined ? '' : ` of ${r.step}`}${r.from === undefined ? '' : ` from ${refsText(r.from)}`}${r.topic === undefined ? '' : ` on ${r.topic}`}`,
    ),
    kind: 'not-delivered',
    clients: who?.instances ?? [],
  };
  if (r.step === undefined && r.from === undefined && r.topic === undefined)
    cx.error(p, 'say which messages: `step` (a publish step), `from` (publishers) and/or `topic` (a filter)');
  if (r.step !== undefined) {
    const s = cx.step(r.step, [...p, 'step']);
    if (s !== undefined && s.kind !== 'publish')
      cx.error(
        [...p, 'step'],
        `"${r.step}" is a ${s.kind} step; \`step\` names the publish step whose messages are meant`,
      );
    else if (s !== undefined) out.step = s.ref;
  }
  if (r.from !== undefined) out.from = cx.clients(r.from, [...p, 'from']);
  if (r.topic !== undefined) {
    cx.topicFilter(r.topic, [...p, 'topic']);
    out.topic = r.topic;
  }
  return out;
};
