/**
 * `settle`: event-driven wait. Resolves as soon as every owed delivery that can currently happen
 * (recipient online with the session the message was published to) has arrived, else at its
 * timeout — then the step ends with status `warning` and the count pending; assertions decide
 * whether that matters.
 * `quietMs` keeps listening afterwards so late duplicates are seen.
 */

import { deliverableNow } from '../../verdict/oracle.js';
import { type EngineContext, sleep } from '../context.js';
import type { CompiledStep, StepCompiler } from './step.js';

/** Re-check at least this often even without receipts (acks and state changes count too). */
const POLL_MS = 25;
/** Group deliveries that may be held offline count as settled after this long without a new one. */
const PARTIAL_QUIET_MS = 200;
/**
 * On a client shard, the other shards' messages join the record at each step barrier, so what
 * this shard's clients are owed is known, except `$share` group deliveries (their members may be
 * on other shards). The shard waits for the owed deliveries, then for this long without any
 * message (for the groups); the step barrier then waits for every shard. A broker that pauses
 * longer than this in the middle of a group's deliveries can end it early: what arrives later is
 * still recorded until the teardown, and what never does is reported lost by the merge.
 */
export const SHARD_QUIET_MS = 2_000;

export const compileSettle: StepCompiler<'settle'> = (step) =>
  ({
    ref: step.ref,
    kind: step.kind,
    label: step.label,
    async run(ctx) {
      const start = ctx.now();
      const deadline = start + step.timeoutMs;
      // A client shard counts what its own clients are owed; `$share` groups are left to the
      // silence after (SHARD_QUIET_MS).
      const sharded = ctx.shards > 1;
      const scope = sharded ? { groups: false } : {};
      const mine = sharded ? " owed to this shard's clients" : '';
      let state = deliverableNow(ctx.record, ctx.model, scope);
      // Group messages that may sit in an offline member's session: wait until they stop coming.
      let partialSeen = state.partialArrived;
      let partialSince = start;
      const partialDone = () =>
        state.partialArrived >= state.partialOwed || ctx.now() - partialSince >= PARTIAL_QUIET_MS;
      while ((state.arrived < state.expected || !partialDone()) && !ctx.signal.aborted) {
        const left = deadline - ctx.now();
        if (left <= 0) break;
        await ctx.waitForReceipt(Math.min(POLL_MS, left));
        state = deliverableNow(ctx.record, ctx.model, scope);
        if (state.partialArrived !== partialSeen) {
          partialSeen = state.partialArrived;
          partialSince = ctx.now();
        }
      }
      const took = Math.round(ctx.now() - start);
      const held = state.partialOwed - state.partialArrived;
      const heldNote = held > 0 ? ` (${held} more may wait in offline members' sessions)` : '';
      if (state.arrived < state.expected) {
        if (ctx.signal.aborted)
          return {
            notes: [
              `stopped after ${took} ms: ${state.expected - state.arrived} of ${state.expected}${mine} pending`,
            ],
          };
        // Not ✔: the messages it waited for did not all come. The assertions say whether that is
        // a failure (no-loss) or expected (a message the broker may drop).
        return {
          notes: [],
          warning: `timed out after ${took} ms with ${state.expected - state.arrived} of ${state.expected} messages${mine} pending${heldNote}`,
        };
      }
      const settled = `settled ${state.arrived + state.partialArrived}/${state.expected + state.partialOwed}${mine} in ${took} ms${heldNote}`;
      if (sharded) {
        const quietMs = Math.max(SHARD_QUIET_MS, step.quietMs);
        const quiet = await untilQuiet(ctx, deadline, quietMs);
        if (!quiet && !ctx.signal.aborted)
          return {
            notes: [],
            warning: `${settled}, but messages were still arriving at the timeout (${ctx.receipts} received)`,
          };
        return { notes: [`${settled}, then no message for ${quietMs} ms (${ctx.receipts} received)`] };
      }
      const notes = [settled];
      if (step.quietMs > 0) {
        const dups = ctx.record.duplicates;
        await sleep(step.quietMs, ctx.signal);
        const more = ctx.record.duplicates - dups;
        notes.push(`quiet ${step.quietMs} ms${more > 0 ? `: ${more} duplicates` : ''}`);
      }
      return { notes };
    },
  }) satisfies CompiledStep;

/** Waits until no message arrived for `quietMs` (true), or the step's deadline (false). */
async function untilQuiet(ctx: EngineContext, deadline: number, quietMs: number): Promise<boolean> {
  let seen = ctx.receipts;
  let since = ctx.now();
  while (!ctx.signal.aborted) {
    const t = ctx.now();
    if (t - since >= quietMs) return true;
    if (t >= deadline) return false;
    await ctx.waitForReceipt(Math.max(1, Math.min(POLL_MS * 4, deadline - t, quietMs - (t - since))));
    if (ctx.receipts !== seen) {
      seen = ctx.receipts;
      since = ctx.now();
    }
  }
  return false;
}
