/**
 * `unsubscribe`: each listed client unsubscribes (concurrently); the UNSUBACK codes are recorded
 * (MQTT 3.1.1 has none: success [MQTT-3.11.3]). Until the UNSUBACK, deliveries on those filters
 * are undetermined.
 */
import { type EngineClient, withBound } from '../context.js';
import { type CompiledStep, resolveClients, type StepCompiler } from './step.js';

export const compileUnsubscribe: StepCompiler<'unsubscribe'> = (step, plan) => {
  const idx = resolveClients(step.clients, step, plan);
  return {
    ref: step.ref,
    kind: step.kind,
    label: step.label,
    async run(ctx) {
      const notes = await Promise.all(
        idx.map(async (i) => {
          const c = ctx.clients[i] as EngineClient;
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
            return [`${c.def.name} is not connected: cannot unsubscribe`];
          }
          ctx.model.unsubscribeStarted(i, step.filters);
          try {
            const r = await withBound(c.session.unsubscribe(step.filters), ctx.timings.subscribeTimeoutMs);
            if (r.timedOut) {
              rec.error = `no UNSUBACK within ${ctx.timings.subscribeTimeoutMs} ms`;
              return [`${c.def.name}: ${rec.error}`];
            }
            rec.codes = r.value;
            ctx.model.unsubscribed(i, step.filters);
            return [];
          } catch (error) {
            rec.error = (error as Error)?.message ?? String(error);
            return [`${c.def.name}: unsubscribe failed: ${rec.error}`];
          }
        }),
      );
      return { notes: notes.flat() };
    },
  } satisfies CompiledStep;
};
