/**
 * `reconnect`: connects clients again, resuming their session unless `clean: true` (Clean Start 0
 * resumes a stored session [MQTT-3.1.2-5]; the CONNACK says whether one existed [MQTT-3.2.2-3]).
 */
import type { EngineClient } from '../context.js';
import { connectClient } from './connect.js';
import { type CompiledStep, resolveClients, type StepCompiler } from './step.js';

export const compileReconnect: StepCompiler<'reconnect'> = (step, plan) => {
  const idx = resolveClients(step.clients, step, plan);
  return {
    ref: step.ref,
    kind: step.kind,
    label: step.label,
    async run(ctx) {
      const notes = await Promise.all(
        idx.map((i) => connectClient(ctx, ctx.clients[i] as EngineClient, step.ref, step.clean ?? false)),
      );
      return { notes: notes.flat() };
    },
  } satisfies CompiledStep;
};
