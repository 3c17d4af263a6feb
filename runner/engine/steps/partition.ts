/**
 * `partition`: cuts the named clients off the broker (nothing passes either way, the connections
 * stay open) while the others carry on; lasts its `for` or until a `heal` step.
 */

import { faultName, keep, proxyOf, requireProxied } from './fault.js';
import type { CompiledStep, StepCompiler } from './step.js';

export const compilePartition: StepCompiler<'partition'> = (step, plan) => {
  requireProxied(step.clients, plan.scenario.proxied, step.source.path);
  return {
    ref: step.ref,
    kind: step.kind,
    label: step.label,
    async run(ctx) {
      const opts = {
        name: faultName(step),
        ...(step.durationMs === undefined ? {} : { durationMs: step.durationMs }),
      };
      const handle = proxyOf(ctx).partition(step.clients, opts);
      keep(ctx, step.ref, handle);
      return { notes: [`${handle.id} cut off ${step.clients.join(', ')}`] };
    },
  } satisfies CompiledStep;
};
