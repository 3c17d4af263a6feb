/** `reason-code: { packet, client(s), step, code | codes }`: the reason codes the broker returned. */
import type { DocPath } from '../../document/yaml.js';
import { type AssertionResolver, labelled, refsText } from '../resolver.js';

declare module '../types.js' {
  interface AssertionShapes {
    'reason-code': {
      packet: 'connack' | 'suback' | 'puback' | 'unsuback' | 'disconnect';
      clients?: string[];
      step?: number;
      /** Acceptable codes (numbers, e.g. 0x87 = 135). */
      codes: number[];
    };
  }
}

export const resolveReasonCode: AssertionResolver<'reason-code'> = (raw, path, head, cx) => {
  const r = raw['reason-code'] as NonNullable<(typeof raw)['reason-code']>;
  const p: DocPath = [...path, 'reason-code'];
  const who = cx.clientOrClients(r, p, false);
  if ((r.code === undefined) === (r.codes === undefined)) {
    cx.error(
      p,
      r.code === undefined
        ? 'needs `code` (one) or `codes` (a list of acceptable codes)'
        : 'give either `code` or `codes`, not both',
    );
  }
  const written =
    r.code !== undefined
      ? [[r.code, [...p, 'code']] as const]
      : (r.codes ?? []).map((c, i) => [c, [...p, 'codes', i]] as const);
  const codes = written.flatMap(([c, at]) => {
    const n = cx.reasonCode(c, at);
    return n === undefined ? [] : [n];
  });
  const step = cx.step(r.step, [...p, 'step']);
  const out: ReturnType<AssertionResolver<'reason-code'>> = {
    ...head,
    label: labelled(
      raw.name,
      `reason-code ${r.packet}${who !== undefined ? ` ${refsText(who.refs)}` : ''} ∈ ${written.map(([c]) => c).join(', ')}`,
    ),
    kind: 'reason-code',
    packet: r.packet,
    codes,
  };
  if (who !== undefined) out.clients = who.instances;
  if (step !== undefined) out.step = step.ref;
  return out;
};
