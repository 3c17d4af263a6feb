/**
 * Waiting for a step's `after:` condition: the watched publish step's messages sent,
 * acknowledged or received so many times (read from the run record), or a delay from the watched
 * step's start. Polled every few milliseconds, so a trigger lands within a handful of messages of
 * its count at full speed. A count that can no longer be reached (the watched step ended short of
 * it) fails the step with what was counted, instead of waiting for the deadline.
 */
import { StepError } from '../errors.js';
import type { StepTrigger } from '../scenario/types.js';
import { countBits } from '../verdict/bitset.js';
import { type EngineContext, sleep } from './context.js';

const POLL_MS = 2;

/** Resolves when `trigger` holds (or the scenario stops); a note for the step result. */
export async function waitForTrigger(ctx: EngineContext, trigger: StepTrigger): Promise<string | undefined> {
  const started = ctx.now();
  if (trigger.on === 'delay') {
    while (!ctx.signal.aborted && ctx.record.steps.get(trigger.step) === undefined)
      await sleep(POLL_MS, ctx.signal);
    const mark = ctx.record.steps.get(trigger.step);
    if (mark === undefined) return undefined;
    await sleep(mark.startAt + trigger.delayMs - ctx.now(), ctx.signal);
    return `started ${trigger.delayMs} ms after "${trigger.stepName}" began`;
  }
  let endedAt: number | undefined;
  for (;;) {
    if (ctx.signal.aborted) return undefined;
    const n = count(ctx, trigger);
    if (n >= trigger.count)
      return `started when "${trigger.stepName}" had ${n} ${trigger.on === 'received' ? `received by ${trigger.clients.join(', ')}` : trigger.on} (after ${Math.round(ctx.now() - started)} ms)`;
    const mark = ctx.record.steps.get(trigger.step);
    if (mark !== undefined && mark.endAt > 0) {
      endedAt ??= ctx.now();
      // Receipts may still come after the burst ended; sent and acknowledged counts are final.
      const grace = trigger.on === 'received' ? ctx.timings.ackTimeoutMs : 0;
      if (ctx.now() - endedAt >= grace) {
        throw new StepError(
          'trigger-not-met',
          `"${trigger.stepName}" ended with ${n} ${trigger.on}${trigger.on === 'received' ? ` by ${trigger.clients.join(', ')}` : ''}, short of the ${trigger.count} this step waits for`,
        );
      }
    }
    await sleep(POLL_MS, ctx.signal);
  }
}

// --- internal ---

function count(ctx: EngineContext, t: Extract<StepTrigger, { count: number }>): number {
  let n = 0;
  const receivers = t.on === 'received' ? t.clients.map((c) => ctx.clientIndex.get(c) ?? -1) : [];
  for (const log of ctx.record.publishers) {
    if (log === undefined) continue;
    for (const seg of log.segments) {
      if (seg.stepRef !== t.step) continue;
      const end = Math.min(seg.end, log.next);
      if (t.on === 'received') {
        for (const r of receivers) {
          const rl = r < 0 ? undefined : ctx.record.receiptLog(r, log.client);
          if (rl !== undefined) n += countBits(rl.bits, seg.first, end);
        }
        continue;
      }
      for (let s = seg.first; s < end; s++) {
        if (t.on === 'published' ? (log.sendTime[s] as number) > 0 : isAcked(log.ackCode[s] as number)) n++;
      }
    }
  }
  return n;
}

function isAcked(code: number): boolean {
  return code >= 0 && code < 0x80;
}
