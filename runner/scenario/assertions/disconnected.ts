/**
 * `disconnected: { client(s), step, code | codes }`: the broker ended these clients' connections
 * (a DISCONNECT it sent, or a closed socket), each at least once.
 */
import type { DocPath } from '../../document/yaml.js';
import { type AssertionResolver, labelled, refsText } from '../resolver.js';

declare module '../types.js' {
  interface AssertionShapes {
    disconnected: {
      clients: string[];
      /** Top-level step the loss happened in; undefined = any time. */
      step?: number;
      /** Acceptable DISCONNECT reason codes; undefined = any loss, with or without a code. */
      codes?: number[];
    };
  }
}

export const resolveDisconnected: AssertionResolver<'disconnected'> = (raw, path, head, cx) => {
  const r = raw.disconnected as NonNullable<(typeof raw)['disconnected']>;
  const p: DocPath = [...path, 'disconnected'];
  const who = cx.clientOrClients(r, p, true);
  if (r.code !== undefined && r.codes !== undefined) cx.error(p, 'give either `code` or `codes`, not both');
  const written =
    r.code !== undefined
      ? [[r.code, [...p, 'code']] as const]
      : r.codes !== undefined
        ? r.codes.map((c, i) => [c, [...p, 'codes', i]] as const)
        : undefined;
  const step = cx.step(r.step, [...p, 'step']);
  const out: ReturnType<AssertionResolver<'disconnected'>> = {
    ...head,
    label: labelled(
      raw.name,
      `disconnected ${refsText(who?.refs ?? [])}${r.step === undefined ? '' : ` in ${r.step}`}${written === undefined ? '' : ` with ${written.map(([c]) => c).join(' or ')}`}`,
    ),
    kind: 'disconnected',
    clients: who?.instances ?? [],
  };
  if (written !== undefined)
    out.codes = written.flatMap(([c, at]) => {
      const n = cx.reasonCode(c, at);
      return n === undefined ? [] : [n];
    });
  if (step !== undefined) out.step = step.ref;
  return out;
};
