/**
 * Broker counters for one scenario out of a broker's cumulative ones. The embedded broker counts
 * from its start, and one broker serves every scenario of a run: without this, the last scenario
 * would report what all the scenarios before it delivered. Counters (delivered, queued, dropped,
 * received, ...) are the difference between the end and the start of the scenario; gauges (queue
 * lengths, members, connections, ...) are what they are at the end.
 */
import { isObject } from '../document/value.js';

/** Numeric fields that are a current level, not a running count. */
const GAUGES: ReadonlySet<string> = new Set([
  'queueLength',
  'inflight',
  'members',
  'onlineMembers',
  'connections',
  'sessions',
  'retained',
]);

/** Maps of entities (client id, group key) whose untouched entries from earlier scenarios are left out. */
const ENTITY_MAPS: ReadonlySet<string> = new Set(['clients', 'groups']);

/**
 * `after` with every running count replaced by its increase since `before`. An entity (client,
 * group) that existed before and whose counts did not move is left out: it belongs to an earlier
 * scenario. Without `before`, `after` is returned as is.
 */
export function brokerStatsSince(
  before: Record<string, unknown> | undefined,
  after: Record<string, unknown>,
): Record<string, unknown> {
  if (before === undefined) return after;
  return diffObject(before, after, undefined) as Record<string, unknown>;
}

// --- internal ---

function diffObject(before: unknown, after: unknown, key: string | undefined): unknown {
  if (typeof after === 'number') {
    if (key !== undefined && GAUGES.has(key)) return after;
    return typeof before === 'number' ? after - before : after;
  }
  if (!isObject(after)) return after;
  const prev = isObject(before) ? before : {};
  const out: Record<string, unknown> = {};
  for (const [k, value] of Object.entries(after)) {
    if (key !== undefined && ENTITY_MAPS.has(key)) {
      const diffed = diffObject(prev[k], value, k);
      if (Object.hasOwn(prev, k) && !hasMovingCount(diffed, k)) continue;
      out[k] = diffed;
    } else {
      out[k] = diffObject(prev[k], value, k);
    }
  }
  return out;
}

/** Whether any running count (not a gauge, not a flag) in a diffed entry is non-zero. */
function hasMovingCount(value: unknown, key: string): boolean {
  if (typeof value === 'number') return !GAUGES.has(key) && value !== 0;
  if (!isObject(value)) return false;
  return Object.entries(value).some(([k, v]) => hasMovingCount(v, k));
}
