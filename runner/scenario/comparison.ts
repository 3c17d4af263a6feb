/**
 * Comparisons as scenario files write them. Counts: `">= 3"`, `"< 10"`, `"== 0"`, or a bare
 * number meaning `==`. Time bounds (`latency`): an operator is required (`"< 250ms"`,
 * `"<= 1s"`, `">"`, `">="`) because a bare `250ms` reads as an upper bound to a person and as
 * "exactly 250 ms" to a parser; `==` and `!=` are refused for the same reason (no latency is ever
 * exactly a number). Counts take no unit; time bounds need one (see duration.ts for why). A bound
 * that no value can meet, or that every value meets for the wrong reason (`">= -1"`, `"< 0ms"`),
 * is refused: it is always a typo, and it would pass or fail regardless of the broker.
 */

import { parseDuration } from './duration.js';
import type { Comparison } from './types.js';

export interface ComparisonError {
  error: string;
}

/** `count`: a whole number of messages; `duration`: a time bound, converted to milliseconds. */
export type ComparisonKind = 'count' | 'duration';

const COMPARISON_RE = /^\s*(<=|>=|==|!=|<|>|=)?\s*(-?\d+(?:\.\d+)?\s*[a-z0-9.\s]*?)\s*$/;

/** Parses a comparison; returns a ComparisonError (never throws) that says how to write it. */
export function parseComparison(
  input: string | number,
  kind: ComparisonKind = 'count',
): Comparison | ComparisonError {
  if (typeof input === 'number') {
    if (kind === 'duration') {
      return {
        error: `a bare number is ambiguous for a time bound; write "<= ${input}ms" for an upper bound`,
      };
    }
    return countBound('==', input, `${input}`);
  }
  const m = COMPARISON_RE.exec(input);
  const example = kind === 'duration' ? '"< 250ms"' : '">= 3"';
  if (m === null) {
    return { error: `must be a comparison such as ${example} (operators < <= > >= == !=; got "${input}")` };
  }
  const written = m[1];
  const op = (written === undefined || written === '=' ? '==' : written) as Comparison['op'];
  const operand = (m[2] as string).replace(/\s+/g, '');
  if (kind === 'count') {
    if (!/^-?\d+(?:\.\d+)?$/.test(operand)) {
      return { error: `a count takes no unit; write it like ${example} (got "${input}")` };
    }
    return countBound(op, Number(operand), operand);
  }
  if (operand.startsWith('-')) {
    return { error: `"${input}": a time is never negative; write a bound such as "<= 250ms"` };
  }
  const ms = parseDuration(operand);
  if (typeof ms !== 'number') {
    return /^\d+(?:\.\d+)?$/.test(operand)
      ? { error: `"${input}" has no unit; write "${written === undefined ? '<=' : op} ${operand}ms"` }
      : { error: `"${input}": the bound must be a duration such as ${example}` };
  }
  if (written === undefined) {
    return {
      error: `"${input}" has no comparison operator; write "<= ${operand}" for an upper bound (or "< ${operand}", ">= ${operand}" for a lower bound)`,
    };
  }
  if (op === '==' || op === '!=') {
    return {
      error: `"${input}": a latency is never exactly a value, so ${op} cannot be meant; write "<= ${operand}" for an upper bound or ">= ${operand}" for a lower bound`,
    };
  }
  if (op === '<' && ms === 0) {
    return {
      error: `"${input}" can never hold: no latency is below 0 ms; write an upper bound such as "<= 250ms"`,
    };
  }
  return { op, value: ms, text: `${op} ${operand}` };
}

export function isComparisonError(value: Comparison | ComparisonError): value is ComparisonError {
  return 'error' in value;
}

// --- internal ---

/** A count bound, refused when no count (a whole number, 0 or more) could meet it, or every count would. */
function countBound(op: Comparison['op'], value: number, operand: string): Comparison | ComparisonError {
  const text = `${op} ${operand}`;
  if (!Number.isFinite(value) || !Number.isInteger(value)) {
    return { error: `"${text}": a count is a whole number of messages (got ${operand})` };
  }
  if (value < 0) {
    return {
      error: `"${text}": a count is never negative, so this bound says nothing; write ">= 0" to accept any count, or a bound of 0 or more`,
    };
  }
  if (op === '<' && value === 0) {
    return { error: `"${text}" can never hold: no count is below 0; write "== 0" for none` };
  }
  return { op, value, text };
}
