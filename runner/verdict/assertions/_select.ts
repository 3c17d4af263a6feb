/** Selecting clients and reading per-receiver facts, shared by the assertions. */
import type { AssertionContext } from './assertion.js';

/** Indexes of the named clients, or every client when `names` is undefined. */
export function receiversOf(names: readonly string[] | undefined, ctx: AssertionContext): number[] {
  if (names === undefined) return ctx.scenario.clients.map((_, i) => i);
  const out: number[] = [];
  for (const n of names) {
    const i = ctx.clientIndex.get(n) ?? ctx.clientIndex.get(`${n}`);
    if (i !== undefined) out.push(i);
    else
      for (const inst of ctx.scenario.clientGroups[n] ?? []) {
        const j = ctx.clientIndex.get(inst);
        if (j !== undefined) out.push(j);
      }
  }
  return out;
}
