/**
 * The messages an assertion is about (`delivered`, `not-delivered`): those of one publish step,
 * from some publishers, on a topic filter; each part optional. Parsed once here for both.
 */
import type { DocPath } from '../../document/yaml.js';
import { type ResolveContext, refsText } from '../resolver.js';

export interface RawMessages {
  step?: string;
  from?: string | string[];
  topic?: string;
}

export interface ResolvedMessages {
  /** Ref of the publish step whose messages are meant. */
  step?: number;
  from?: string[];
  topic?: string;
}

/** ` of <step> from <clients> on <topic>`, each part only when given: for the generated label. */
export function messagesText(r: RawMessages): string {
  return `${r.step === undefined ? '' : ` of ${r.step}`}${r.from === undefined ? '' : ` from ${refsText(r.from)}`}${r.topic === undefined ? '' : ` on ${r.topic}`}`;
}

/** Resolves the parts given into `out`; a `step` that is not a publish step is an error at `p.step`. */
export function resolveMessages(cx: ResolveContext, r: RawMessages, p: DocPath, out: ResolvedMessages): void {
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
}
