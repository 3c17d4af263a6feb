/** `wait`: a fixed pause, only where absence must be shown (everything else is event-driven). */
import { sleep } from '../context.js';
import type { CompiledStep, StepCompiler } from './step.js';

export const compileWait: StepCompiler<'wait'> = (step) =>
  ({
    ref: step.ref,
    kind: step.kind,
    label: step.label,
    async run(ctx) {
      await sleep(step.durationMs, ctx.signal);
      return { notes: [] };
    },
  }) satisfies CompiledStep;
