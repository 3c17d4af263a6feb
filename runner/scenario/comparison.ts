/**
 * Comparisons as scenario files write them: `">= 3"`, `"< 250ms"`, `"== 0"`, or a bare number
 * meaning `==`. Counts take no unit; time bounds need one (see duration.ts for why).
 */

import { parseDuration } from './duration.js';
import type { Comparison } from './types.js';

export interface ComparisonError {
  error: string;
}

/** `count`: a plain number (messages); `duration`: a time, converted to milliseconds. */
export type ComparisonKind = 'count' | 'duration';

const COMPARISON_RE = /^\s*(<=|>=|==|!=|<|>|=)?\s*(-?\d+(?:\.\d+)?\s*[a-z]*)\s*$/;

/** Parses a comparison; returns a ComparisonError (never throws) that says how to write it. */
export function parseComparison(
  input: string | number,
  kind: ComparisonKind = 'count',
): Comparison | ComparisonError {
  if (typeof input === 'number') {
    if (kind === 'duration') {
      return { error: `a bare number is ambiguous for a time bound; write "< ${input}ms"` };
    }
    if (!Number.isFinite(input) || input < 0) return { error: `must be a count of 0 or more (got ${input})` };
    return { op: '==', value: input, text: `== ${input}` };
  }
  const m = COMPARISON_RE.exec(input);
  const example = kind === 'duration' ? '"< 250ms"' : '">= 3"';
  if (m === null) {
    return { error: `must be a comparison such as ${example} (operators < <= > >= == !=; got "${input}")` };
  }
  const op = (m[1] === undefined || m[1] === '=' ? '==' : m[1]) as Comparison['op'];
  const operand = (m[2] as string).replace(/\s+/g, '');
  let value: number;
  if (kind === 'duration') {
    const ms = parseDuration(operand);
    if (typeof ms !== 'number') {
      return /^-?\d+(?:\.\d+)?$/.test(operand)
        ? { error: `"${input}" has no unit; write "${op} ${operand}ms"` }
        : { error: `"${input}": the bound must be a duration such as ${example}` };
    }
    value = ms;
  } else {
    if (!/^-?\d+(?:\.\d+)?$/.test(operand)) {
      return { error: `a count takes no unit; write it like ${example} (got "${input}")` };
    }
    value = Number(operand);
  }
  return { op, value, text: `${op} ${operand}` };
}

export function isComparisonError(value: Comparison | ComparisonError): value is ComparisonError {
  return 'error' in value;
}
