/**
 * `sequence: [steps]` runs its steps one after another (a branch of a `parallel` block);
 * `repeat: { times, steps }` is a sequence of `times` copies of its steps, `{i}` replaced in each
 * (step-tree.ts expands the copies).
 */
import { labelled, type StepResolver } from '../resolver.js';
import type { ResolvedStep } from '../types.js';

export function resolveSequence(children: ResolvedStep[]): StepResolver<'sequence'> {
  return (node, head) => ({
    step: {
      ...head,
      kind: 'sequence',
      label: labelled(node.raw.name, `sequence: ${children.map((c) => c.label).join(' → ')}`),
      steps: children,
    },
  });
}

export function resolveRepeat(children: ResolvedStep[]): StepResolver<'repeat'> {
  return (node, head) => {
    const times = Number(node.raw.repeat?.times ?? 1);
    const per = children.length / times;
    const one = children.slice(0, per).map((c) => c.label);
    return {
      step: {
        ...head,
        kind: 'repeat',
        label: labelled(node.raw.name, `repeat ${times} × (${one.join(' → ')})`),
        times,
        steps: children,
      },
    };
  };
}
