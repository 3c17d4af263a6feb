/** Selecting clients and reading per-receiver facts, shared by the assertions. */
import type { SeqRange } from '../oracle.js';
import type { ReceiptLog } from '../record.js';
import { toRanges } from './_format.js';
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

/** Sequence ranges received more than once. */
export function dupRanges(log: ReceiptLog): SeqRange[] {
  const dup = log.dupBits;
  if (dup === undefined) return [];
  const seqs: number[] = [];
  for (let w = 0; w < dup.length && seqs.length < 10_000; w++) {
    const word = dup[w] as number;
    if (word === 0) continue;
    for (let b = 0; b < 32; b++) if ((word & (1 << b)) !== 0) seqs.push(w * 32 + b);
  }
  return toRanges(seqs);
}
