/** `wait: 2s` or `{ duration }`: a fixed sleep, only where absence must be shown. */
import { writeDuration } from '../duration.js';
import { labelled, type StepResolver, stepBody } from '../resolver.js';

export const resolveWait: StepResolver<'wait'> = (node, head, cx) => {
  const w = stepBody(node, 'wait');
  const durationMs =
    typeof w === 'string'
      ? cx.duration(w, [...node.path, 'wait'])
      : cx.duration(w.duration, [...node.path, 'wait', 'duration']);
  const ms = durationMs ?? 0;
  return {
    step: {
      ...head,
      kind: 'wait',
      label: labelled(node.raw.name, `wait ${writeDuration(ms)}`),
      durationMs: ms,
    },
  };
};
