/**
 * `reconnect`: connects clients again, resuming their session unless `clean: true` (Clean Start 0
 * resumes a stored session [MQTT-3.1.2-5]; the CONNACK says whether one existed [MQTT-3.2.2-3]).
 */
import { connectFleet } from '../fleet.js';
import { connectAndReport } from './connect.js';
import { type CompiledStep, resolveClients, type StepCompiler } from './step.js';

export const compileReconnect: StepCompiler<'reconnect'> = (step, plan) => {
  const idx = resolveClients(step.clients, step, plan);
  return {
    ref: step.ref,
    kind: step.kind,
    label: step.label,
    run: (ctx) =>
      connectFleet(ctx, idx, step.pace, async (c) => {
        const stale = c.session;
        const before: string[] = [];
        if (stale !== undefined) {
          // Only after a fault (the resolver allows nothing else): the connection it starved may
          // still look open here; it is dropped, as a client whose link died would.
          c.session = undefined;
          ctx.model.disconnectStarted(c.idx);
          await stale.disconnect({ how: 'abrupt' }).catch(() => undefined);
          const at = ctx.now();
          ctx.record.disconnects.push({ client: c.idx, stepRef: step.ref, at, how: 'abrupt' });
          ctx.model.disconnected(c.idx, at);
          before.push(`${c.def.name}: its connection through the fault was still open; dropped it first`);
        }
        if (step.protocol !== undefined) c.protocol = step.protocol;
        const r = await connectAndReport(ctx, c, step.ref, step.clean ?? false);
        return { ...r, notes: [...before, ...r.notes] };
      }),
  } satisfies CompiledStep;
};
