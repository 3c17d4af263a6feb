/**
 * `sequence` and `repeat`: the steps run one after another, each timed on its own (and each
 * waiting for its `after:` condition); inside `parallel` a sequence is one branch. The first
 * failure ends the block.
 */
import type { CompiledStep, CompilePlan, StepCompiler, StepOf, StepOutcome } from './step.js';
import { runNested } from './step.js';

function compileBlock(step: StepOf<'sequence'> | StepOf<'repeat'>, plan: CompilePlan): CompiledStep {
  const children = step.steps.map((s) => plan.compile(s));
  return {
    ref: step.ref,
    kind: step.kind,
    label: step.label,
    async run(ctx) {
      const notes: string[] = [];
      const warnings: string[] = [];
      for (const child of children) {
        if (ctx.signal.aborted) break;
        const r: StepOutcome = await runNested(ctx, child);
        for (const n of r.notes) notes.push(`[${child.ref}] ${n}`);
        if (r.warning !== undefined) warnings.push(`[${child.ref}] ${r.warning}`);
      }
      return warnings.length > 0 ? { notes, warning: warnings.join('; ') } : { notes };
    },
  } satisfies CompiledStep;
}

export const compileSequence: StepCompiler<'sequence'> = compileBlock;
export const compileRepeat: StepCompiler<'repeat'> = compileBlock;
