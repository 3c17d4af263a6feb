/**
 * `settle`: event-driven wait. Resolves as soon as every owed delivery that can currently happen
 * (recipient online with the session the message was published to) has arrived, else at its
 * timeout — then the note says how many are pending; assertions decide whether that matters.
 * `quietMs` keeps listening afterwards so late duplicates are seen.
 */
import { sleep } from '../context.js';
import { deliverableNow } from '../oracle.js';
import type { CompiledStep, StepCompiler } from './step.js';

/** Re-check at least this often even without receipts (acks and state changes count too). */
const POLL_MS = 25;

export const compileSettle: StepCompiler<'settle'> = (step) =>
  ({
    ref: step.ref,
    kind: step.kind,
    label: step.label,
    async run(ctx) {
      const start = ctx.now();
      const deadline = start + step.timeoutMs;
      let state = deliverableNow(ctx.record, ctx.model);
      while (state.arrived < state.expected && !ctx.signal.aborted) {
        const left = deadline - ctx.now();
        if (left <= 0) break;
        await ctx.waitForReceipt(Math.min(POLL_MS, left));
        state = deliverableNow(ctx.record, ctx.model);
      }
      const took = Math.round(ctx.now() - start);
      if (state.arrived < state.expected) {
        return {
          notes: [
            `timed out after ${took} ms: ${state.expected - state.arrived} of ${state.expected} pending`,
          ],
        };
      }
      const notes = [`settled ${state.arrived}/${state.expected} in ${took} ms`];
      if (step.quietMs > 0) {
        const dups = ctx.record.duplicates;
        await sleep(step.quietMs, ctx.signal);
        const more = ctx.record.duplicates - dups;
        notes.push(`quiet ${step.quietMs} ms${more > 0 ? `: ${more} duplicates` : ''}`);
      }
      return { notes };
    },
  }) satisfies CompiledStep;
