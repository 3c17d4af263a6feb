/**
 * The steps of a scenario as a tree with pre-order reference numbers (parallel blocks count,
 * then their children), and lookup of the step an assertion names (`after: reconnect`).
 */

import { closest } from '../document/suggest.js';
import type { DocPath } from '../document/yaml.js';
import type { Step } from './schema-types.js';
import type { ResolvedStep, StepKind } from './types.js';

export const STEP_KINDS: readonly StepKind[] = [
  'connect',
  'subscribe',
  'unsubscribe',
  'publish',
  'disconnect',
  'reconnect',
  'wait',
  'settle',
  'parallel',
  'fault',
  'heal',
  'partition',
  'sequence',
  'repeat',
];

/** Step kinds that hold steps: their children are in `StepNode.children` (and `steps` when resolved). */
export const BLOCK_KINDS: ReadonlySet<StepKind> = new Set(['parallel', 'sequence', 'repeat']);

export interface StepNode {
  /** Pre-order number, 1-based. */
  ref: number;
  kind: StepKind;
  id?: string;
  raw: Step;
  path: DocPath;
  children: StepNode[];
}

export interface StepTree {
  top: StepNode[];
  /** Every step in pre-order (ref order). */
  flat: StepNode[];
}

export function buildStepTree(steps: readonly Step[]): StepTree {
  const flat: StepNode[] = [];
  const visit = (list: readonly Step[], base: DocPath): StepNode[] =>
    list.map((raw, i) => {
      const path = [...base, i];
      const kind = stepKind(raw);
      const node: StepNode = { ref: flat.length + 1, kind, raw, path, children: [] };
      if (typeof raw?.id === 'string') node.id = raw.id;
      flat.push(node);
      if (kind === 'parallel' && Array.isArray(raw?.parallel)) {
        node.children = visit(raw.parallel, [...path, 'parallel']);
      } else if (kind === 'sequence' && Array.isArray(raw?.sequence)) {
        node.children = visit(raw.sequence, [...path, 'sequence']);
      } else if (kind === 'repeat' && Array.isArray(raw?.repeat?.steps)) {
        // Each iteration is its own copy of the steps, `{i}` replaced; positions stay those written.
        const times = Math.max(1, Math.min(1000, Number(raw.repeat.times) || 1));
        const body = raw.repeat.steps;
        for (let i = 1; i <= times; i++) {
          node.children.push(...visit(withIteration(body, i) as Step[], [...path, 'repeat', 'steps']));
        }
      }
      return node;
    });
  const top = visit(steps, ['steps']);
  return { top, flat };
}

/** `{i}` replaced by the iteration number in every string of a repeat's steps. */
function withIteration(value: unknown, i: number): unknown {
  if (typeof value === 'string') return value.replaceAll('{i}', String(i));
  if (Array.isArray(value)) return value.map((v) => withIteration(v, i));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withIteration(v, i)]));
  return value;
}

/** The steps a resolved block (parallel, sequence, repeat) holds; none for other steps. */
export function nestedSteps(step: ResolvedStep): readonly ResolvedStep[] {
  return step.kind === 'parallel' || step.kind === 'sequence' || step.kind === 'repeat' ? step.steps : [];
}

/** The step keyword of a (schema-valid) step item. */
function stepKind(raw: Step): StepKind {
  // A step the schema refused may be anything; it is skipped by the rules but still numbered.
  if (raw === null || typeof raw !== 'object') return 'wait';
  for (const kind of STEP_KINDS) if (kind in raw) return kind;
  return 'wait';
}

/**
 * Finds the step named by an assertion: an `id` first, else a step kind used exactly once.
 * Returns the node or a message that says how to fix the reference.
 */
export function findStep(tree: StepTree, name: string): StepNode | string {
  const byId = tree.flat.find((n) => n.id === name);
  if (byId !== undefined) return byId;
  const byKind = tree.flat.filter((n) => n.kind === name);
  if (byKind.length === 1) return byKind[0] as StepNode;
  if (byKind.length > 1) {
    return `"${name}" is ambiguous: ${byKind.length} ${name} steps (${byKind
      .map((n) => `step ${n.ref}`)
      .join(', ')}); give the one you mean an \`id:\` and refer to that`;
  }
  const ids = tree.flat.flatMap((n) => (n.id === undefined ? [] : [n.id]));
  const kinds = [...new Set(tree.flat.map((n) => n.kind))];
  const guess = closest(name, [...ids, ...kinds]);
  return `unknown step "${name}"; refer to a step \`id\`${ids.length > 0 ? ` (${ids.join(', ')})` : ''} or a kind used once (${kinds.join(', ')})${
    guess !== undefined ? `; did you mean "${guess}"?` : ''
  }`;
}
