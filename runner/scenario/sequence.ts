/**
 * Checks across steps, which no single step resolver can make: step ids are unique, and each step
 * uses its clients in a state they are in at that point (connect only what is offline, publish
 * only from what is online, reconnect only what connected before), parallel children each
 * judged against the state before their block. Declared clients that never connect are a warning.
 */
import type { ClientUse, ResolveContext } from './resolver.js';
import type { StepNode } from './step-tree.js';

interface ClientState {
  connected: boolean;
  since: number;
  /** A fault or partition may have ended the connection since (keep-alive, reset): a reconnect is fine. */
  mayBeCut?: boolean;
}

export function checkSequence(
  cx: ResolveContext,
  uses: ReadonlyMap<StepNode, ClientUse>,
  broken: { steps: ReadonlySet<number>; clients: ReadonlySet<string> },
): void {
  const isBroken = (node: StepNode) => broken.steps.has(node.path[1] as number);
  checkIds(cx, isBroken);
  const state = new Map<string, ClientState>();
  // After a step the schema refused, who is connected is unknown: stop judging it.
  let known = true;
  const visit = (node: StepNode, st: Map<string, ClientState>): void => {
    if (node.kind === 'parallel') {
      const before = new Map(st);
      const after = new Map(st);
      for (const child of node.children) {
        const local = new Map(before);
        visit(child, local);
        for (const [i, e] of local) if (before.get(i) !== e) after.set(i, e);
      }
      st.clear();
      for (const [i, e] of after) st.set(i, e);
      return;
    }
    if (node.kind === 'sequence' || node.kind === 'repeat') {
      for (const child of node.children) visit(child, st);
      return;
    }
    const use = uses.get(node);
    if (use === undefined) return;
    if (known) judge(cx, use, st);
    if (use.effect === 'fault') {
      for (const i of use.instances) {
        const e = st.get(i);
        if (e?.connected === true) st.set(i, { ...e, mayBeCut: true });
      }
      return;
    }
    const connected = use.effect !== 'disconnect';
    if (use.effect !== 'use') for (const i of use.instances) st.set(i, { connected, since: node.ref });
  };
  for (const node of cx.tree.top) {
    if (isBroken(node)) known = false;
    else visit(node, state);
  }
  if (!known || broken.clients.size > 0) return;
  for (const instance of cx.catalog.all) {
    if (!state.has(instance))
      cx.warn(['clients', instance.replace(/\[\d+\]$/, '')], `${instance} is declared but never connected`);
  }
}

// --- internal ---

function checkIds(cx: ResolveContext, isBroken: (node: StepNode) => boolean): void {
  const ids = new Map<string, StepNode>();
  for (const node of cx.tree.flat) {
    if (node.id === undefined || isBroken(node)) continue;
    const first = ids.get(node.id);
    if (first !== undefined) {
      cx.error(
        [...node.path, 'id'],
        `duplicate step id "${node.id}" (also step ${first.ref}); ids must be unique`,
      );
    } else ids.set(node.id, node);
  }
}

function judge(cx: ResolveContext, use: ClientUse, st: ReadonlyMap<string, ClientState>): void {
  const describe = (i: string) => {
    const e = st.get(i);
    if (e === undefined) return `${i} (never connected)`;
    return `${i} (${e.connected ? 'connected' : 'disconnected'} at step ${e.since})`;
  };
  const online = (i: string) => st.get(i)?.connected === true;
  const { instances, path } = use;
  switch (use.effect) {
    case 'connect': {
      const already = instances.filter(online);
      if (already.length > 0) {
        cx.error(
          path,
          `${already.map(describe).join(', ')} already connected; disconnect first, or leave them out of this step`,
        );
      }
      return;
    }
    case 'reconnect': {
      const on = instances.filter((i) => online(i) && st.get(i)?.mayBeCut !== true);
      const never = instances.filter((i) => st.get(i) === undefined);
      if (on.length > 0)
        cx.error(path, `${on.map(describe).join(', ')} still connected; disconnect before reconnecting`);
      if (never.length > 0)
        cx.error(path, `${never.join(', ')} never connected before; use connect for a first connection`);
      return;
    }
    case 'disconnect': {
      const off = instances.filter((i) => !online(i));
      if (off.length > 0)
        cx.error(path, `${off.map(describe).join(', ')} not connected at this point; nothing to disconnect`);
      return;
    }
    case 'fault':
      return;
    case 'use': {
      const off = instances.filter((i) => !online(i));
      if (off.length === 0) return;
      const one = off.length === 1;
      cx.error(
        path,
        `${off.map(describe).join(', ')} ${one ? 'is' : 'are'} not connected at this point, so ${one ? 'it' : 'they'} cannot ${use.verb ?? 'do this'}; add a connect (or reconnect) step before this one`,
      );
    }
  }
}
