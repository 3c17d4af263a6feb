/**
 * `reconnect`: connects clients again, resuming their session unless `clean: true` (Clean Start 0
 * resumes a stored session [MQTT-3.1.2-5]; the CONNACK says whether one existed [MQTT-3.2.2-3]).
 */
import { connectClient } from './connect.js';
import { type CompiledStep, forEachClient, resolveClients, type StepCompiler } from './step.js';

export const compileReconnect: StepCompiler<'reconnect'> = (step, plan) => {
  const idx = resolveClients(step.clients, step, plan);
  return {
    ref: step.ref,
    kind: step.kind,
    label: step.label,
    async run(ctx) {
      const notes = await forEachClient(ctx, idx, (c) =>
        connectClient(ctx, c, step.ref, step.clean ?? false),
      );
      return { notes: notes.flat() };
    },
  } satisfies CompiledStep;
};
