/**
 * `received: { client(s), count, after, before, topic, from }`: how many messages clients got,
 * optionally in a window between steps.
 */
import type { DocPath } from '../../document/yaml.js';
import { type AssertionResolver, labelled, refsText } from '../resolver.js';
import type { StepWindow } from '../types.js';

declare module '../types.js' {
  interface AssertionShapes {
    received: {
      clients: string[];
      count: Comparison;
      window: StepWindow;
      /** Only count messages whose topic matches this filter. */
      topic?: string;
      /** Only count messages published by these instances. */
      from?: string[];
      /** Only count messages published by this publish step (its ref). */
      step?: number;
      /** `count` is for the clients together, not for each. */
      sum?: boolean;
    };
  }
}

export const resolveReceived: AssertionResolver<'received'> = (raw, path, head, cx) => {
  const r = raw.received as NonNullable<(typeof raw)['received']>;
  const p: DocPath = [...path, 'received'];
  const who = cx.clientOrClients(r, p, false);
  const refs = who?.refs ?? 'all';
  const clients = who?.instances ?? cx.clients('all', p);
  const count = cx.comparison(r.count, [...p, 'count'], 'count') ?? { op: '>=', value: 0, text: '>= 0' };
  const after = cx.step(r.after, [...p, 'after']);
  const before = cx.step(r.before, [...p, 'before']);
  if (after !== undefined && before !== undefined && after.ref >= before.ref) {
    cx.error(
      [...p, 'before'],
      `the window is empty: step ${before.ref} (${r.before}) does not come after step ${after.ref} (${r.after})`,
    );
  }
  const window: StepWindow = {};
  if (after !== undefined) window.after = after.ref;
  if (before !== undefined) window.before = before.ref;
  const out: ReturnType<AssertionResolver<'received'>> = {
    ...head,
    label: labelled(
      raw.name,
      `received ${r.sum === true ? 'in all by ' : ''}${refsText(refs)}${r.step === undefined ? '' : ` of ${r.step}`} ${count.text}${r.after !== undefined ? ` after ${r.after}` : ''}${
        r.before !== undefined ? ` before ${r.before}` : ''
      }`,
    ),
    kind: 'received',
    clients,
    count,
    window,
  };
  if (r.topic !== undefined) {
    cx.topicFilter(r.topic, [...p, 'topic']);
    out.topic = r.topic;
  }
  if (r.from !== undefined) out.from = cx.clients(r.from, [...p, 'from']);
  if (r.step !== undefined) {
    const s = cx.step(r.step, [...p, 'step']);
    if (s !== undefined && s.kind !== 'publish')
      cx.error(
        [...p, 'step'],
        `"${r.step}" is a ${s.kind} step; \`step\` names the publish step whose messages count`,
      );
    else if (s !== undefined) out.step = s.ref;
  }
  if (r.sum === true) out.sum = true;
  return out;
};
