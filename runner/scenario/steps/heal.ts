/**
 * `heal: <id>`, `heal: [ids]` or `heal: all`: ends faults and partitions staged by earlier steps.
 * A heal that names no earlier fault or partition step is refused: it would heal nothing.
 */
import type { DocPath } from '../../document/yaml.js';
import { labelled, type StepResolver, stepBody } from '../resolver.js';

const HEALABLE = new Set(['fault', 'partition']);

export const resolveHeal: StepResolver<'heal'> = (node, head, cx) => {
  const body = stepBody(node, 'heal');
  const at: DocPath = [...node.path, 'heal'];
  const earlier = cx.tree.flat.filter((n) => HEALABLE.has(n.kind) && n.ref < node.ref);
  const label = (text: string) => labelled(node.raw.name, `heal ${text}`);
  if (body === 'all') {
    if (earlier.length === 0)
      cx.error(at, 'heal without a fault: no `fault` or `partition` step comes before this one');
    return { step: { ...head, kind: 'heal', label: label('all'), faults: 'all' } };
  }
  const names = typeof body === 'string' ? [body] : [...body];
  const refs: number[] = [];
  names.forEach((name, i) => {
    const p: DocPath = typeof body === 'string' ? at : [...at, i];
    const target = cx.step(name, p);
    if (target === undefined) return;
    if (!HEALABLE.has(target.kind)) {
      cx.error(
        p,
        `heal without a fault: "${name}" is a ${target.kind} step; heal names the \`id\` of a fault or partition step, or \`all\``,
      );
    } else if (target.ref > node.ref) {
      cx.error(
        p,
        `heal without a fault: "${name}" (step ${target.ref}) comes after this heal (step ${node.ref})`,
      );
    } else refs.push(target.ref);
  });
  return { step: { ...head, kind: 'heal', label: label(names.join(', ')), faults: refs } };
};
