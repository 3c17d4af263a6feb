/** `session-present: { client(s), expected, step }`: the CONNACK Session Present flag [MQTT-3.2.2-2]. */
import type { DocPath } from '../../document/yaml.js';
import { type AssertionResolver, labelled, refsText } from '../resolver.js';

declare module '../types.js' {
  interface AssertionShapes {
    'session-present': {
      clients: string[];
      expected: boolean;
      /** The connect/reconnect step whose CONNACK is checked; undefined = the last connect of each client. */
      step?: number;
    };
  }
}

export const resolveSessionPresent: AssertionResolver<'session-present'> = (raw, path, head, cx) => {
  const s = raw['session-present'] as NonNullable<(typeof raw)['session-present']>;
  const p: DocPath = [...path, 'session-present'];
  const who = cx.clientOrClients(s, p, true);
  const step = cx.step(s.step, [...p, 'step']);
  if (step !== undefined && step.kind !== 'connect' && step.kind !== 'reconnect') {
    cx.error(
      [...p, 'step'],
      `step ${step.ref} is a ${step.kind} step; session-present checks the CONNACK of a connect or reconnect step`,
    );
  }
  const out: ReturnType<AssertionResolver<'session-present'>> = {
    ...head,
    label: labelled(
      raw.name,
      `session-present ${refsText(who?.refs ?? [])} = ${s.expected}${s.step !== undefined ? ` at ${s.step}` : ''}`,
    ),
    kind: 'session-present',
    clients: who?.instances ?? [],
    expected: s.expected,
  };
  if (step !== undefined) out.step = step.ref;
  return out;
};
