/**
 * `parallel`: runs its child steps at the same time. The first child that fails stops the others
 * (`ctx.fail` aborts their waits); every child is awaited, so no client is left half-way, then the
 * failure ends the scenario. Messages published while a client is mid-transition are undetermined,
 * not failures.
 */
import { type CompiledStep, runNested, type StepCompiler } from './step.js';

export const compileParallel: StepCompiler<'parallel'> = (step, plan) => {
  const children = step.steps.map((s) => plan.compile(s));
  return {
    ref: step.ref,
    kind: step.kind,
    label: step.label,
    async run(ctx) {
      const results = await Promise.allSettled(children.map((child) => runNested(ctx, child)));
      const notes: string[] = [];
      const warnings: string[] = [];
      results.forEach((r, i) => {
        const child = children[i] as CompiledStep;
        if (r.status === 'rejected') return;
        for (const n of r.value.notes) notes.push(`[${child.ref}] ${n}`);
        if (r.value.warning !== undefined) warnings.push(`[${child.ref}] ${r.value.warning}`);
      });
      if (ctx.failure !== undefined) throw ctx.failure;
      return warnings.length > 0 ? { notes, warning: warnings.join('; ') } : { notes };
    },
  } satisfies CompiledStep;
};
