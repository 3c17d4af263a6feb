/**
 * The step resolvers, one per step kind (the YAML keyword), and the walk over the step tree that
 * applies them: parallel children first, so a block is labelled from its resolved children. A
 * step the schema refused is skipped (its problems are already reported).
 */
import type { ClientUse, ResolveContext, StepHead, StepResolver } from '../resolver.js';
import type { StepNode } from '../step-tree.js';
import { resolveTrigger } from '../trigger.js';
import type { ResolvedStep, StepKind } from '../types.js';
import { resolveConnect } from './connect.js';
import { resolveDisconnect } from './disconnect.js';
import { resolveFault } from './fault.js';
import { resolveHeal } from './heal.js';
import { resolveParallel } from './parallel.js';
import { resolvePartition } from './partition.js';
import { resolvePublish } from './publish.js';
import { resolveReconnect } from './reconnect.js';
import { resolveRepeat, resolveSequence } from './sequence.js';
import { resolveSettle } from './settle.js';
import { resolveSubscribe } from './subscribe.js';
import { resolveUnsubscribe } from './unsubscribe.js';
import { resolveWait } from './wait.js';

const RESOLVERS: { [K in Exclude<StepKind, 'parallel' | 'sequence' | 'repeat'>]: StepResolver<K> } = {
  connect: resolveConnect,
  subscribe: resolveSubscribe,
  unsubscribe: resolveUnsubscribe,
  publish: resolvePublish,
  disconnect: resolveDisconnect,
  reconnect: resolveReconnect,
  wait: resolveWait,
  settle: resolveSettle,
  fault: resolveFault,
  heal: resolveHeal,
  partition: resolvePartition,
};

/** The step keywords with a resolver (the blocks included). */
export const RESOLVED_STEP_KINDS: readonly StepKind[] = [
  ...Object.keys(RESOLVERS),
  'parallel',
  'sequence',
  'repeat',
] as StepKind[];

export interface ResolvedSteps {
  steps: ResolvedStep[];
  /** How each step uses its clients, for the cross-step checks (sequence.ts). */
  uses: Map<StepNode, ClientUse>;
}

/** Resolves the top-level steps; `broken` holds the top-level indexes the schema refused. */
export function resolveSteps(
  top: readonly StepNode[],
  broken: ReadonlySet<number>,
  cx: ResolveContext,
): ResolvedSteps {
  const uses = new Map<StepNode, ClientUse>();
  const resolveNode = (node: StepNode): ResolvedStep => {
    const head: StepHead = { ref: node.ref, source: cx.source(node.path) };
    if (node.id !== undefined) head.id = node.id;
    const trigger = resolveTrigger(node, cx);
    if (trigger !== undefined) head.after = trigger;
    const resolution =
      node.kind === 'parallel'
        ? resolveParallel(node.children.map(resolveNode))(node, head, cx)
        : node.kind === 'sequence'
          ? resolveSequence(node.children.map(resolveNode))(node, head, cx)
          : node.kind === 'repeat'
            ? resolveRepeat(node.children.map(resolveNode))(node, head, cx)
            : (RESOLVERS[node.kind] as StepResolver<StepKind>)(node, head, cx);
    if (resolution.clients !== undefined) uses.set(node, resolution.clients);
    cx.noteStep(resolution.step);
    return resolution.step;
  };
  const steps = top.filter((node) => !broken.has(node.path[1] as number)).map(resolveNode);
  return { steps, uses };
}
