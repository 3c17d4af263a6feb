/**
 * `after:` on a step: the condition it starts on. The watched step must be able to run before or
 * beside this one (an earlier step, or another branch of a parallel block): a condition on a step
 * that can only start after this one would wait forever, so it is refused here; so is a count the
 * watched burst can never reach.
 */
import type { DocPath } from '../document/yaml.js';
import { resolveClientRefs } from './client-refs.js';
import type { ResolveContext } from './resolver.js';
import type { Step } from './schema-types.js';
import type { StepNode } from './step-tree.js';
import type { StepTrigger } from './types.js';

type RawTrigger = NonNullable<Step['after']>;
const CONDITIONS = ['published', 'acked', 'received', 'delay'] as const;

export function resolveTrigger(node: StepNode, cx: ResolveContext): StepTrigger | undefined {
  const raw = node.raw.after as RawTrigger | undefined;
  if (raw === undefined) return undefined;
  const at: DocPath = [...node.path, 'after'];
  const given = CONDITIONS.filter((c) => raw[c] !== undefined);
  if (given.length !== 1) {
    cx.error(
      at,
      given.length === 0
        ? 'needs one condition: `published`, `acked` or `received` (a count), or `delay` (a duration)'
        : `give one condition, not ${given.map((g) => `\`${g}\``).join(' and ')}`,
    );
    return undefined;
  }
  if (raw.client !== undefined && raw.received === undefined)
    cx.error([...at, 'client'], '`client` belongs to `received`: whose receipts count');
  const target = cx.step(raw.step, [...at, 'step']);
  if (target === undefined) return undefined;
  const order = ordering(cx, target, node);
  if (order !== undefined) {
    cx.error([...at, 'step'], order);
    return undefined;
  }
  const base = { step: target.ref, stepName: raw.step };
  if (raw.delay !== undefined) {
    const delayMs = cx.duration(raw.delay, [...at, 'delay']);
    return delayMs === undefined ? undefined : { ...base, on: 'delay', delayMs };
  }
  const on = given[0] as 'published' | 'acked' | 'received';
  const count = raw[on] as number;
  if (target.kind !== 'publish') {
    cx.error(
      [...at, 'step'],
      `\`${on}\` counts the messages of a publish step; "${raw.step}" is a ${target.kind} step (use \`delay\` to start after a step began)`,
    );
    return undefined;
  }
  const pub = target.raw.publish as NonNullable<Step['publish']>;
  const total = (pub.count ?? 1) * resolveClientRefs(pub.from, cx.catalog).instances.length;
  if (count > total)
    cx.error(
      [...at, on],
      `"${raw.step}" publishes ${total} message(s) in all, so ${on}: ${count} is never reached`,
    );
  if (on !== 'received') return { ...base, on, count };
  if (raw.client === undefined) {
    cx.error(at, '`received` needs `client`: whose receipts count');
    return undefined;
  }
  const clients = cx.clients(raw.client, [...at, 'client']);
  return { ...base, on, count, clients };
}

// --- internal ---

/** Why `target` cannot run before or beside `node`, or undefined when it can. */
function ordering(cx: ResolveContext, target: StepNode, node: StepNode): string | undefined {
  if (target === node) return 'a step cannot wait for itself';
  const parents = new Map<StepNode, StepNode>();
  for (const n of cx.tree.flat) for (const c of n.children) parents.set(c, n);
  const chain = (n: StepNode): StepNode[] => {
    const out = [n];
    for (let p = parents.get(n); p !== undefined; p = parents.get(p)) out.push(p);
    return out;
  };
  const mine = chain(node);
  const theirs = chain(target);
  if (theirs.includes(node))
    return `"${target.id ?? target.kind}" is inside this step, which would wait for its own part`;
  if (mine.includes(target)) return undefined;
  // The lowest block holding both: in different branches of a parallel block they run side by side.
  const common = theirs.find((n) => mine.includes(n));
  if (common?.kind === 'parallel') {
    const branch = (c: StepNode[]) => c[c.indexOf(common) - 1];
    if (branch(mine) !== branch(theirs)) return undefined;
  }
  if (target.ref > node.ref)
    return `"${target.id ?? target.kind}" (step ${target.ref}) only starts after this step (step ${node.ref}) ended, so the condition would never hold`;
  return undefined;
}
