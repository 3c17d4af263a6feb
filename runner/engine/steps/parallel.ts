/**
 * `parallel`: runs its child steps at the same time. Every child runs to its end (bounded by its
 * own waits); the first fatal error is rethrown after all have finished, so no client is left
 * half-way. Messages published while a client is mid-transition are undetermined, not failures.
 */
import type { CompiledStep, StepCompiler } from './step.js';

export const compileParallel: StepCompiler<'parallel'> = (step, plan) => {
  const children = step.steps.map((s) => plan.compile(s));
  return {
    ref: step.ref,
    kind: step.kind,
    label: step.label,
    async run(ctx) {
      const results = await Promise.allSettled(
        children.map(async (child) => {
          ctx.record.stepStarted(child.ref, ctx.now());
          try {
            return await child.run(ctx);
          } finally {
            ctx.record.stepEnded(child.ref, ctx.now());
          }
        }),
      );
      const notes: string[] = [];
      const errors: string[] = [];
      let fatal: unknown;
      results.forEach((r, i) => {
        const child = children[i] as CompiledStep;
        if (r.status === 'rejected') {
          fatal ??= r.reason;
          return;
        }
        for (const n of r.value.notes) notes.push(`[${child.ref}] ${n}`);
        if (r.value.error !== undefined) errors.push(`[${child.ref}] ${r.value.error}`);
      });
      if (fatal !== undefined) throw fatal;
      return errors.length > 0 ? { notes, error: errors.join('; ') } : { notes };
    },
  } satisfies CompiledStep;
};
