/**
 * Builders of ResolvedScenario objects for the engine and assertion tests (what the scenario
 * pipeline would produce), so tests state only what matters to them.
 *
 * Glossary: `client(name, over)` one instance with defaults (MQTT 5, clean, keepalive 30);
 * `scenario({ clients, steps, expect })` numbers steps in pre-order and fills labels and sources;
 * `cmp(">= 3")` a parsed comparison.
 */
import type {
  Comparison,
  ResolvedAssertion,
  ResolvedClient,
  ResolvedScenario,
  ResolvedStep,
  ResolvedTimeouts,
} from '../scenario/types.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** Publish steps default to `identity: 'header'` (what the pipeline resolves when none is written). */
export type StepInput = DistributiveOmit<ResolvedStep, 'ref' | 'label' | 'source' | 'steps' | 'identity'> & {
  id?: string;
  steps?: StepInput[];
  identity?: 'header' | 'none';
};
export type AssertionInput = DistributiveOmit<ResolvedAssertion, 'index' | 'label' | 'source'> & {
  label?: string;
};

export function client(name: string, over: Partial<ResolvedClient> = {}): ResolvedClient {
  const m = /^(.*)\[(\d+)\]$/.exec(name);
  return {
    name,
    declaredAs: m?.[1] ?? name,
    index: m === null ? 1 : Number(m[2]),
    clientId: `mqscen-test-${name.replace(/\W/g, '-')}-${process.pid}`,
    protocol: '5',
    clean: true,
    keepalive: 30,
    subscriptions: [],
    resubscribe: 'if-no-session',
    source: { path: `clients.${name}` },
    ...over,
  };
}

export function cmp(text: string): Comparison {
  const m = /^\s*(<=|>=|==|!=|<|>)?\s*([\d.]+)\s*(ms|s)?\s*$/.exec(text);
  if (m === null) throw new Error(`bad comparison ${text}`);
  const value = Number(m[2]) * (m[3] === 's' ? 1000 : 1);
  return { op: (m[1] ?? '==') as Comparison['op'], value, text };
}

export function scenario(parts: {
  name?: string;
  clients: ResolvedClient[];
  steps: StepInput[];
  expect?: AssertionInput[];
  timeoutMs?: number;
  timeouts?: Partial<ResolvedTimeouts>;
}): ResolvedScenario {
  let ref = 0;
  const build = (s: StepInput, path: string): ResolvedStep => {
    ref++;
    const mine = ref;
    const base = { ref: mine, label: `${s.kind} #${mine}`, source: { path } };
    if (s.kind === 'parallel') {
      const children = (s.steps ?? []).map((c, i) => build(c, `${path}.parallel[${i}]`));
      return { ...(s as object), ...base, kind: 'parallel', steps: children } as ResolvedStep;
    }
    const defaults = s.kind === 'publish' ? { identity: 'header' } : {};
    return { ...defaults, ...(s as object), ...base } as ResolvedStep;
  };
  const steps = parts.steps.map((s, i) => build(s, `steps[${i}]`));
  const groups: Record<string, string[]> = {};
  for (const c of parts.clients) {
    const list = groups[c.declaredAs] ?? [];
    list.push(c.name);
    groups[c.declaredAs] = list;
  }
  return {
    file: 'test.yaml',
    name: parts.name ?? 'test scenario',
    timeoutMs: parts.timeoutMs ?? 60_000,
    timeouts: { connectMs: 10_000, subscribeMs: 10_000, ackMs: 10_000, ...parts.timeouts },
    clients: parts.clients,
    clientGroups: groups,
    steps,
    expect: (parts.expect ?? []).map(
      (a, i) =>
        ({
          label: a.kind,
          ...(a as object),
          index: i + 1,
          source: { path: `expect[${i}]` },
        }) as ResolvedAssertion,
    ),
    vars: {},
  };
}
