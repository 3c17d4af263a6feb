/** `retained: { client(s), topic, present, payload }`: a retained message arrived (or not) on subscribing [MQTT-3.3.1-9]. */
import type { DocPath } from '../../document/yaml.js';
import { payloadSpec } from '../payload.js';
import { type AssertionResolver, labelled, refsText } from '../resolver.js';

declare module '../types.js' {
  interface AssertionShapes {
    retained: {
      clients: string[];
      topic: string;
      /** true: a retained message arrives after subscribing; false: none does. */
      present: boolean;
      payload?: PayloadSpec;
    };
  }
}

export const resolveRetained: AssertionResolver<'retained'> = (raw, path, head, cx) => {
  const r = raw.retained as NonNullable<(typeof raw)['retained']>;
  const p: DocPath = [...path, 'retained'];
  const who = cx.clientOrClients(r, p, true);
  cx.topicName(r.topic, [...p, 'topic']);
  const present = r.present ?? true;
  const out: ReturnType<AssertionResolver<'retained'>> = {
    ...head,
    label: labelled(
      raw.name,
      `retained ${r.topic} ${present ? 'delivered to' : 'not delivered to'} ${refsText(who?.refs ?? [])}`,
    ),
    kind: 'retained',
    clients: who?.instances ?? [],
    topic: r.topic,
    present,
  };
  if (r.payload !== undefined) out.payload = payloadSpec(r.payload, (t) => t);
  return out;
};
