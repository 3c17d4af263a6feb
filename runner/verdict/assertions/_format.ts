/** Formatting shared by the assertions: message names, ranges, comparisons, bounded details. */

import type { Comparison } from '../../scenario/types.js';
import type { SeqRange } from '../oracle.js';

/** At most this many detail lines, then "… N more". */
export const MAX_DETAILS = 50;

/**
 * Names messages compactly, 1-based like the identity header: `publisher#14..#16, #18`.
 * At most `max` ranges are spelled out, then "… and N more".
 */
export function formatMessages(publisher: string, ranges: readonly SeqRange[], max = 8): string {
  const parts = ranges
    .slice(0, max)
    .map(([a, b]) => (b - a === 1 ? `#${a + 1}` : b - a === 2 ? `#${a + 1}, #${b}` : `#${a + 1}..#${b}`));
  const more =
    ranges.length > max ? `, … and ${ranges.slice(max).reduce((n, [a, b]) => n + b - a, 0)} more` : '';
  return `${publisher}${parts.join(', ')}${more}`;
}

/** Sorted 0-based sequence numbers → ranges [first, end). */
export function toRanges(seqs: Iterable<number>): SeqRange[] {
  const out: Array<[number, number]> = [];
  for (const s of [...seqs].sort((a, b) => a - b)) {
    const last = out[out.length - 1];
    if (last !== undefined && last[1] === s) last[1] = s + 1;
    else if (last === undefined || s >= last[1]) out.push([s, s + 1]);
  }
  return out;
}

export function compare(c: Comparison, value: number): boolean {
  switch (c.op) {
    case '<':
      return value < c.value;
    case '<=':
      return value <= c.value;
    case '>':
      return value > c.value;
    case '>=':
      return value >= c.value;
    case '==':
      return value === c.value;
    case '!=':
      return value !== c.value;
  }
}

/** "exactly 3" / ">= 3" as written, normalizing a bare number. */
export function comparisonText(c: Comparison): string {
  return c.op === '==' ? `exactly ${c.value}` : c.text.trim();
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Bounds a detail list: the first MAX_DETAILS lines, then "… N more". */
export function boundDetails(lines: readonly string[]): string[] {
  if (lines.length <= MAX_DETAILS) return [...lines];
  return [...lines.slice(0, MAX_DETAILS), `… ${lines.length - MAX_DETAILS} more`];
}

export function hex(code: number): string {
  return `0x${code.toString(16).toUpperCase().padStart(2, '0')}`;
}
