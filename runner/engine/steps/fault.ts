/**
 * `fault`: stages a byte-level fault on the proxied connections of the named clients (open ones
 * and every reconnect while it lasts) and returns at once; the fault lasts its `for` or until a
 * `heal` step. The proxy timestamps when it is applied and healed (the report's fault bands).
 */
import type { FaultHandle } from '../../faults/fault.js';
import type { EngineContext } from '../context.js';
import type { CompiledStep, StepCompiler } from './step.js';

export const compileFault: StepCompiler<'fault'> = (step, plan) => {
  requireProxied(step.clients, plan.scenario.proxied, step.source.path);
  return {
    ref: step.ref,
    kind: step.kind,
    label: step.label,
    async run(ctx) {
      const spec = { ...step.spec, clients: step.clients, stream: step.stream, name: faultName(step) };
      const handle = proxyOf(ctx).addFault(
        step.durationMs === undefined ? spec : { ...spec, durationMs: step.durationMs },
      );
      keep(ctx, step.ref, handle);
      return { notes: [`${handle.id} applied to ${step.clients.join(', ')}`] };
    },
  } satisfies CompiledStep;
};

/** The proxy of the run; a compiled fault step always has one (runScenario starts it). */
export function proxyOf(ctx: EngineContext): NonNullable<EngineContext['proxy']> {
  if (ctx.proxy === undefined) throw new Error('fault step without a fault proxy (internal)');
  return ctx.proxy;
}

/** Remembers an active fault for heal steps; forgets it once it healed by itself. */
export function keep(ctx: EngineContext, ref: number, handle: FaultHandle): void {
  ctx.faults.set(ref, handle);
  void handle.healed.then(() => {
    if (ctx.faults.get(ref) === handle) ctx.faults.delete(ref);
  });
}

/** Every named client must be one the run routes through the proxy (the resolver made sure). */
export function requireProxied(
  clients: readonly string[],
  proxied: readonly string[] | undefined,
  at: string,
): void {
  const missing = clients.filter((c) => !(proxied ?? []).includes(c));
  if (missing.length > 0) throw new Error(`${at}: ${missing.join(', ')} not routed through the fault proxy`);
}

/** `step 4` or the step's id, as the proxy's events and the report's fault bands show it. */
export function faultName(step: { ref: number; id?: string; label: string }): string {
  return step.id ?? `step ${step.ref}: ${step.label}`;
}
