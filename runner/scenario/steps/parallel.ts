/** `parallel: [steps]`: the children run at the same time; the block ends when all have ended. */
import { labelled, type StepResolver } from '../resolver.js';
import type { ResolvedStep } from '../types.js';

/** Parallel is resolved from its already resolved children (see steps/index.ts). */
export function resolveParallel(children: ResolvedStep[]): StepResolver<'parallel'> {
  return (node, head) => ({
    step: {
      ...head,
      kind: 'parallel',
      label: labelled(node.raw.name, `parallel: ${children.map((c) => c.label).join(' ‖ ')}`),
      steps: children,
    },
  });
}
