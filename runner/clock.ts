/**
 * The one clock of a run: milliseconds since the epoch, sub-millisecond resolution, monotonic
 * within the process (performance.timeOrigin + performance.now()). The engine, the transports
 * (receipt times) and the fault proxy (event times) stamp on it, so their times compare.
 */

/** Read once: the getter is not free, and receipts call now() once per message. */
const ORIGIN = performance.timeOrigin;

/** Now on the run's clock, ms. */
export function now(): number {
  return ORIGIN + performance.now();
}
