/**
 * Client references as scenario files write them: `all`, a declared name (every instance),
 * an instance `subscriber[2]`, a range `subscriber[1..2]`, or a list of these.
 */

import { closest } from '../document/suggest.js';
import type { Client } from './schema-types.js';

export interface ClientCatalog {
  /** Declared name → instance names, in declaration order. */
  groups: Map<string, string[]>;
  /** Declared name → count (undefined when not set: one instance named after the client). */
  counts: Map<string, number | undefined>;
  /** Every instance, declaration order. */
  all: string[];
  /** Clients whose `count` is itself invalid (already reported): any index is accepted for them. */
  loose: Set<string>;
}

export function buildCatalog(clients: Readonly<Record<string, Client | undefined>>): ClientCatalog {
  const groups = new Map<string, string[]>();
  const counts = new Map<string, number | undefined>();
  const all: string[] = [];
  const loose = new Set<string>();
  for (const [name, client] of Object.entries(clients)) {
    let count = (client as { count?: unknown } | null | undefined)?.count as number | undefined;
    if (count !== undefined && !(Number.isInteger(count) && count >= 1 && count <= 100_000)) {
      loose.add(name);
      count = undefined;
    }
    const instances =
      count === undefined ? [name] : Array.from({ length: count }, (_, i) => instanceName(name, i + 1));
    groups.set(name, instances);
    counts.set(name, count);
    all.push(...instances);
  }
  return { groups, counts, all, loose };
}

function instanceName(declared: string, index: number): string {
  return `${declared}[${index}]`;
}

/** "subscriber[1..3], publisher" for messages. */
function describeDeclared(catalog: ClientCatalog): string {
  const parts: string[] = [];
  for (const [name, count] of catalog.counts) parts.push(count === undefined ? name : `${name}[1..${count}]`);
  return parts.length === 0 ? '(none)' : parts.join(', ');
}

export interface RefResolution {
  /** Instances named, de-duplicated, in the order written. */
  instances: string[];
  errors: string[];
}

const REF_RE = /^\s*([A-Za-z][A-Za-z0-9_-]*)\s*(?:\[\s*(\d+)\s*(?:\.\.\s*(\d+)\s*)?\])?\s*$/;

export function resolveClientRefs(refs: string | readonly string[], catalog: ClientCatalog): RefResolution {
  const list = typeof refs === 'string' ? [refs] : refs;
  const instances: string[] = [];
  const errors: string[] = [];
  const add = (name: string) => {
    if (!instances.includes(name)) instances.push(name);
  };
  for (const ref of list) {
    const m = REF_RE.exec(ref);
    if (m === null) {
      errors.push(
        `"${ref}" is not a client reference; write "all", a declared name, "name[2]" or "name[1..3]" (declared: ${describeDeclared(catalog)})`,
      );
      continue;
    }
    const name = m[1] as string;
    const from = m[2] === undefined ? undefined : Number(m[2]);
    const to = m[3] === undefined ? from : Number(m[3]);
    if (name === 'all' && from === undefined && !catalog.groups.has('all')) {
      for (const i of catalog.all) add(i);
      continue;
    }
    const group = catalog.groups.get(name);
    if (group === undefined) {
      const guess = closest(name, catalog.groups.keys());
      errors.push(
        `unknown client "${ref.trim()}"; declared: ${describeDeclared(catalog)}${
          guess !== undefined ? ` (did you mean "${ref.trim().replace(name, guess)}"?)` : ''
        }`,
      );
      continue;
    }
    if (from === undefined || to === undefined) {
      for (const i of group) add(i);
      continue;
    }
    if (catalog.loose.has(name)) continue;
    const count = catalog.counts.get(name);
    if (count === undefined) {
      // `publisher[1]` for a client without count is the one instance; anything else is out of range.
      if (from === 1 && to === 1) add(name);
      else
        errors.push(
          `"${ref.trim()}" is out of range: ${name} has no count, so it is the one instance "${name}"`,
        );
      continue;
    }
    if (from > to) {
      errors.push(
        `"${ref.trim()}" is an empty range; write the lower number first, e.g. ${name}[${to}..${from}]`,
      );
      continue;
    }
    if (from < 1 || to > count) {
      errors.push(`"${ref.trim()}" is out of range: ${name} has instances ${name}[1..${count}]`);
      continue;
    }
    for (let i = from; i <= to; i++) add(instanceName(name, i));
  }
  return { instances, errors };
}
