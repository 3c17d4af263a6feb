/**
 * Durations as scenario files write them: a number with a unit (`250ms`, `5s`, `1.5s`, `2m`, `1h`,
 * `1d`), or a sum of such parts written largest unit first (`1m30s`, `1h30m`, `2s500ms`). A bare
 * number is refused on purpose: `timeout: 5` could mean seconds or milliseconds, and a test tool
 * that guesses wrong passes or fails for the wrong reason. Also used by `--timeout`.
 */

/** Why a text is not a duration, phrased to follow the offending value in a message. */
export interface DurationError {
  error: string;
}

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;
type Unit = keyof typeof UNIT_MS;
const UNIT_ORDER: readonly Unit[] = ['d', 'h', 'm', 's', 'ms'];

const PART_RE = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)/y;
const EXAMPLES = '"250ms", "5s", "1m30s" or "1h"';

/**
 * Parses `"250ms"` → 250, `"1.5s"` → 1500, `"1m30s"` → 90000. Returns a DurationError (never
 * throws) for anything else, with a hint such as `write "5s"` for a bare number.
 */
export function parseDuration(input: string | number): number | DurationError {
  if (typeof input === 'number') {
    return { error: `a bare number is ambiguous; add a unit, e.g. write "${input}s" or "${input}ms"` };
  }
  const text = input.trim();
  if (/^\d+(?:\.\d+)?$/.test(text))
    return { error: `"${text}" has no unit; write "${text}s" or "${text}ms"` };
  let total = 0;
  let at = 0;
  let previous = -1;
  while (at < text.length) {
    PART_RE.lastIndex = at;
    const m = PART_RE.exec(text);
    if (m === null) return { error: `must be a duration such as ${EXAMPLES} (got "${input}")` };
    const unit = m[2] as Unit;
    const rank = UNIT_ORDER.indexOf(unit);
    if (rank <= previous) {
      return {
        error: `"${text}": write the parts of a duration once each, largest unit first, e.g. "1m30s" (got "${m[0]}" after a smaller or equal unit)`,
      };
    }
    previous = rank;
    total += Number(m[1]) * UNIT_MS[unit];
    at = PART_RE.lastIndex;
    while (text[at] === ' ') at++;
  }
  if (at === 0) return { error: `must be a duration such as ${EXAMPLES} (got "${input}")` };
  return Math.round(total * 1000) / 1000;
}

/**
 * Milliseconds written back as a scenario writes them (`1500` → `1.5s`, `90000` → `1m30s`), for
 * step labels: exact, so `parseDuration(writeDuration(ms)) === ms`. (Elapsed times in reports are
 * rounded for reading instead: reporters/_format.ts.)
 */
export function writeDuration(ms: number): string {
  if (ms === 0) return '0ms';
  let rest = ms;
  let out = '';
  for (const unit of ['d', 'h', 'm'] as const) {
    const size = UNIT_MS[unit];
    if (rest >= size) {
      const n = Math.floor(rest / size);
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  if (rest === 0) return out;
  if (out === '' && rest < 1000) return `${rest}ms`;
  return `${out}${out === '' ? rest / 1000 : Math.round(rest) / 1000}s`;
}
