/**
 * `unsubscribe`: each listed client unsubscribes (concurrently); the UNSUBACK codes are recorded
 * (MQTT 3.1.1 has none: success [MQTT-3.11.3]). Until the UNSUBACK, deliveries on those filters
 * are undetermined. No UNSUBACK within `timeouts.subscribe` or before the deadline fails the step
 * (exit 3); a refusal (>= 0x80) the scenario does not declare on `unsuback` fails it too (exit 1).
 */
import { StepError } from '../../errors.js';
import { formatReason } from '../../transports/reason-codes.js';
import { type CompiledStep, forEachClient, resolveClients, type StepCompiler } from './step.js';
import { notConnected } from './subscribe.js';

export const compileUnsubscribe: StepCompiler<'unsubscribe'> = (step, plan) => {
  const idx = resolveClients(step.clients, step, plan);
  return {
    ref: step.ref,
    kind: step.kind,
    label: step.label,
    async run(ctx) {
      const notes = await forEachClient(ctx, idx, async (c) => {
        const i = c.idx;
        const rec: (typeof ctx.record.subscriptions)[number] = {
          client: i,
          stepRef: step.ref,
          at: ctx.now(),
          kind: 'unsubscribe',
          filters: [...step.filters],
          codes: [],
        };
        ctx.record.subscriptions.push(rec);
        if (c.session === undefined) {
          rec.error = 'not connected';
          return notConnected(ctx, c, 'unsubscribe');
        }
        ctx.model.unsubscribeStarted(i, step.filters);
        let r: Awaited<ReturnType<typeof ctx.awaitAnswer<number[]>>>;
        try {
          r = await ctx.awaitAnswer(c.session.unsubscribe(step.filters), ctx.timings.subscribeTimeoutMs);
        } catch (error) {
          rec.error = (error as Error)?.message ?? String(error);
          if (ctx.failure !== undefined || ctx.offlineAsDeclared.has(i))
            return [`${c.def.name}: unsubscribe failed: ${rec.error}`];
          throw new StepError('connection-lost', `${c.def.name}: unsubscribe failed: ${rec.error}`, {
            cause: error,
          });
        }
        if (!r.ok) {
          if (!r.timedOut) return [];
          rec.error = `no UNSUBACK ${ctx.describeBound(r.afterMs, r.byDeadline)}`;
          throw new StepError('no-answer', `${c.def.name}: ${rec.error} for ${step.filters.join(', ')}`);
        }
        rec.codes = r.value;
        ctx.model.unsubscribed(i, step.filters);
        const refused = r.value.filter((code) => code >= 0x80);
        const undeclared = refused.filter((code) => !ctx.declared.refusal('unsuback', i, step.ref, code));
        if (undeclared.length > 0) {
          throw new StepError(
            'refused',
            `${c.def.name}: the broker refused the unsubscribe (UNSUBACK ${undeclared.map((x) => formatReason(x, 'unsuback')).join(', ')}); ` +
              'if the scenario expects it, declare it with a reason-code assertion on unsuback',
          );
        }
        return refused.length > 0
          ? [
              `${c.def.name} UNSUBACK ${refused.map((x) => formatReason(x, 'unsuback')).join(', ')} (expected by reason-code)`,
            ]
          : [];
      });
      return { notes: notes.flat() };
    },
  } satisfies CompiledStep;
};
