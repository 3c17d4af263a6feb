/**
 * The folders of runner/ and broker/ import each other one way only (CONTRIBUTING.md, Layout):
 * no two folders import each other (type-only imports count: they are design dependencies too),
 * broker/ imports nothing from runner/, and shipped transports import no broker (test support
 * may). The source is read as text, so the check needs no build.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const root = resolve(import.meta.dirname, '..');

/** Test support: checked by typecheck, never built (the excludes of tsconfig.build.json), free to import anything. */
const TEST_SUPPORT = new Set(['_fixtures.ts', '_test-helpers.ts', '_aws-test-broker.ts']);
function isTestSupport(file: string): boolean {
  const name = file.split('/').pop() ?? '';
  return (
    name.endsWith('.test.ts') ||
    name.endsWith('.contract.ts') ||
    name.endsWith('.d.ts') ||
    TEST_SUPPORT.has(name)
  );
}

/** `runner/engine/steps/x.ts` → `runner/engine`; `broker/handlers/x.ts` → `broker/handlers`; `broker/x.ts` → `broker`. */
function folderOf(file: string): string {
  const parts = file.split('/');
  if (parts[0] === 'broker') return parts.length > 2 ? `broker/${parts[1]}` : 'broker';
  return parts.slice(0, 2).join('/').replace(/\.ts$/, '');
}

interface Edge {
  from: string;
  to: string;
}

function importEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const top of ['runner', 'broker']) {
    for (const entry of readdirSync(join(root, top), { recursive: true })) {
      const file = join(top, String(entry));
      if (!file.endsWith('.ts') || isTestSupport(file)) continue;
      const source = readFileSync(join(root, file), 'utf8');
      for (const m of source.matchAll(/\bfrom\s+'(\.[^']+)'|\bimport\(\s*'(\.[^']+)'\s*\)/g)) {
        const spec = (m[1] ?? m[2]) as string;
        const target = relative(root, resolve(root, dirname(file), spec)).replace(/\.js$/, '.ts');
        edges.push({ from: file, to: target });
      }
    }
  }
  return edges;
}

/**
 * Known bends still to straighten, each with why it is not yet: the list may only shrink (an
 * entry that no longer occurs fails too, so it is removed when fixed).
 */
const KNOWN: Record<string, string> = {
  // The broker's root holds both its entry (index.ts wires the handler table into the core) and
  // the leaf modules the handlers use (topic.ts, session-store.ts, the core's types); no cycle
  // of files runs through handlers/ (the next test).
  'broker/handlers <-> broker': 'the root is entry and leaves at once; files are acyclic across folders',
};

/** Every pair of folders importing each other, every broker import of runner/, every broker import of a shipped transport. */
function bends(edges: readonly Edge[]): Set<string> {
  const folders = new Map<string, Set<string>>();
  for (const { from, to } of edges) {
    const a = folderOf(from);
    const b = folderOf(to);
    if (a === b) continue;
    if (!folders.has(a)) folders.set(a, new Set());
    folders.get(a)?.add(b);
  }
  const found = new Set<string>();
  for (const [a, targets] of folders) {
    for (const b of targets) {
      if (folders.get(b)?.has(a)) found.add(a < b ? `${b} <-> ${a}` : `${a} <-> ${b}`);
      if (a.startsWith('broker') && b.startsWith('runner')) found.add(`${a} -> ${b}`);
      if (a === 'runner/transports' && b.startsWith('broker')) found.add(`${a} -> ${b}`);
    }
  }
  return found;
}

test('no two folders of runner/ and broker/ import each other', () => {
  const found = bends(importEdges());
  const unexpected = [...found].filter((f) => !(f in KNOWN));
  assert.deepEqual(unexpected, [], `import bends between folders:\n${unexpected.join('\n')}`);
  const fixed = Object.keys(KNOWN).filter((k) => !found.has(k));
  assert.deepEqual(fixed, [], `no longer occurs, remove it from KNOWN:\n${fixed.join('\n')}`);
});

/** Groups of files that import each other round (strongly connected, Tarjan), with two or more files. */
function fileCycles(edges: readonly Edge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) {
    if (!next.has(from)) next.set(from, []);
    if (!next.has(to)) next.set(to, []);
    next.get(from)?.push(to);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v) as number);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string | undefined;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) groups.push(group.sort());
    }
  };
  for (const v of next.keys()) if (!index.has(v)) visit(v);
  return groups;
}

test('no cycle of files spans two folders (type-only imports included)', () => {
  const spanning = fileCycles(importEdges()).filter((g) => new Set(g.map((f) => dirname(f))).size > 1);
  assert.deepEqual(
    spanning,
    [],
    `files importing each other across folders:\n${spanning.map((g) => g.join(' ')).join('\n')}`,
  );
});

test('the folder check sees a cycle and a broker import of the runner', () => {
  // The check itself, on made-up paths: a test that cannot fail is a defect.
  assert.equal(folderOf('runner/engine/steps/publish.ts'), 'runner/engine');
  assert.equal(folderOf('runner/errors.ts'), 'runner/errors');
  assert.equal(folderOf('broker/handlers/publish.ts'), 'broker/handlers');
  assert.equal(folderOf('broker/broker-core.ts'), 'broker');
  assert.ok(isTestSupport('runner/transports/_aws-test-broker.ts'));
  assert.ok(isTestSupport('runner/transports/transport.contract.ts'));
  assert.ok(!isTestSupport('runner/transports/mqttjs.ts'));
  assert.ok(!isTestSupport('runner/faults/_link.ts'), 'an internal module is shipped code');
  const edges = importEdges();
  assert.ok(edges.length > 100, 'the import scan finds the imports');
  assert.ok(
    edges.some((e) => e.from === 'runner/engine/run-scenario.ts' && e.to.startsWith('runner/verdict/')),
  );
  const made = bends([
    { from: 'runner/engine/a.ts', to: 'runner/verdict/b.ts' },
    { from: 'runner/verdict/b.ts', to: 'runner/engine/steps/c.ts' },
    { from: 'broker/policy/d.ts', to: 'runner/errors.ts' },
    { from: 'runner/transports/e.ts', to: 'broker/index.ts' },
    { from: 'runner/cli/f.ts', to: 'broker/index.ts' },
  ]);
  assert.deepEqual([...made].sort(), [
    'broker/policy -> runner/errors',
    'runner/transports -> broker',
    'runner/verdict <-> runner/engine',
  ]);
});
