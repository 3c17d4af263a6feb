/**
 * The steps of a scenario as a tree with pre-order reference numbers (parallel blocks count,
 * then their children), and lookup of the step an assertion names (`after: reconnect`).
 */

import { closest } from '../document/suggest.js';
import type { DocPath } from '../document/yaml.js';
import type { Step } from './schema-types.js';
import type { StepKind } from './types.js';

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
];

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
      }
      return node;
    });
  const top = visit(steps, ['steps']);
  return { top, flat };
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
