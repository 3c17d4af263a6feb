/**
 * `disconnect`: closes each listed client (concurrently). `graceful` sends DISCONNECT, which
 * discards the will [MQTT-3.1.2-10]; `abrupt` destroys the socket so the broker publishes the will
 * [MQTT-3.1.2-8]. A persistent session stays on the broker [MQTT-3.1.2-5]; a clean one ends.
 */
import type { DisconnectOptions } from '../../transports/transport.js';
import { type EngineClient, withBound } from '../context.js';
import { type CompiledStep, resolveClients, type StepCompiler } from './step.js';

export const compileDisconnect: StepCompiler<'disconnect'> = (step, plan) => {
  const idx = resolveClients(step.clients, step, plan);
  return {
    ref: step.ref,
    kind: step.kind,
    label: step.label,
    async run(ctx) {
      const notes = await Promise.all(
        idx.map(async (i) => {
          const c = ctx.clients[i] as EngineClient;
          const session = c.session;
          if (session === undefined) return [`${c.def.name} was not connected`];
          c.session = undefined;
          ctx.model.disconnectStarted(i);
          const opts: DisconnectOptions = { how: step.how };
          if (step.reasonCode !== undefined) opts.reasonCode = step.reasonCode;
          if (step.sessionExpiry !== undefined) opts.sessionExpiry = step.sessionExpiry;
          const r = await withBound(
            session.disconnect(opts).catch(() => undefined),
            ctx.timings.teardownMs,
          );
          const at = ctx.now();
          const d: (typeof ctx.record.disconnects)[number] = {
            client: i,
            stepRef: step.ref,
            at,
            how: step.how,
          };
          if (step.reasonCode !== undefined) d.reasonCode = step.reasonCode;
          ctx.record.disconnects.push(d);
          ctx.model.disconnected(
            i,
            at,
            step.sessionExpiry === undefined || c.protocol !== '5' ? undefined : step.sessionExpiry * 1000,
          );
          return r.timedOut ? [`${c.def.name}: disconnect took over ${ctx.timings.teardownMs} ms`] : [];
        }),
      );
      return { notes: notes.flat() };
    },
  } satisfies CompiledStep;
};
