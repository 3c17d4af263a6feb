/**
 * Durations as scenario files write them: a number with a unit (`250ms`, `5s`, `1.5s`, `2m`, `1h`,
 * `1d`). A bare number is refused on purpose: `timeout: 5` could mean seconds or milliseconds, and
 * a test tool that guesses wrong passes or fails for the wrong reason. Also used by `--timeout`.
 */

/** Why a text is not a duration, phrased to follow the offending value in a message. */
export interface DurationError {
  error: string;
}

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

const DURATION_RE = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/;

/**
 * Parses `"250ms"` → 250, `"1.5s"` → 1500, `"2m"` → 120000. Returns a DurationError (never throws)
 * for anything else, with a hint such as `write "5s"` for a bare number.
 */
export function parseDuration(input: string | number): number | DurationError {
  if (typeof input === 'number') {
    return { error: `a bare number is ambiguous; add a unit, e.g. write "${input}s" or "${input}ms"` };
  }
  const m = DURATION_RE.exec(input);
  if (m === null) {
    if (/^\s*\d+(?:\.\d+)?\s*$/.test(input)) {
      const n = input.trim();
      return { error: `"${n}" has no unit; write "${n}s" or "${n}ms"` };
    }
    return { error: `must be a duration such as "250ms", "5s", "2m" or "1h" (got "${input}")` };
  }
  const unit = m[2] as keyof typeof UNIT_MS;
  return Math.round(Number(m[1]) * UNIT_MS[unit] * 1000) / 1000;
}

/** True when parseDuration failed. */
export function isDurationError(value: number | DurationError): value is DurationError {
  return typeof value !== 'number';
}

/** Formats milliseconds back the way a user would write them (`1500` → `1.5s`), for labels. */
export function formatDuration(ms: number): string {
  if (ms !== 0 && ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms !== 0 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms !== 0 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000) return `${ms / 1000}s`;
  return `${ms}ms`;
}
