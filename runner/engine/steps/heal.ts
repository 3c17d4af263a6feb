/**
 * `heal`: ends the faults and partitions of the named steps (or all of them). Healing one that
 * already ended (its `for` ran out) is a note, not a failure.
 */

import { proxyOf } from './fault.js';
import type { CompiledStep, StepCompiler } from './step.js';

export const compileHeal: StepCompiler<'heal'> = (step) =>
  ({
    ref: step.ref,
    kind: step.kind,
    label: step.label,
    async run(ctx) {
      const proxy = proxyOf(ctx);
      if (step.faults === 'all') {
        const n = ctx.faults.size;
        proxy.heal();
        ctx.faults.clear();
        return { notes: [n === 0 ? 'no fault was active' : `healed ${n} fault(s)`] };
      }
      const notes: string[] = [];
      for (const ref of step.faults) {
        const handle = ctx.faults.get(ref);
        if (handle === undefined) {
          notes.push(`the fault of step ${ref} had already ended`);
          continue;
        }
        handle.heal();
        ctx.faults.delete(ref);
        notes.push(`healed ${handle.id} (step ${ref})`);
      }
      return { notes };
    },
  }) satisfies CompiledStep;
