/**
 * `subscribe`: each listed client subscribes (concurrently). The SUBACK codes are recorded (a code
 * >= 0x80 is a refusal [MQTT-3.9.3-2], no subscription) and the session model learns the granted
 * QoS. A refusal the scenario does not declare (a `reason-code` assertion on `suback`) fails the
 * step (exit 1): the scenario would otherwise run on with members that are not members. No SUBACK
 * within `timeouts.subscribe` or before the deadline fails it too (exit 3).
 */
import { StepError } from '../../errors.js';
import { formatReason } from '../../transports/reason-codes.js';
import type { SubscriptionRequest } from '../../transports/transport.js';
import { brokerBehaviour } from '../../verdict/broker-behaviours.js';
import type { EngineClient, EngineContext } from '../context.js';
import { type CompiledStep, forEachClient, resolveClients, type StepCompiler } from './step.js';

export const compileSubscribe: StepCompiler<'subscribe'> = (step, plan) => {
  const idx = resolveClients(step.clients, step, plan);
  return {
    ref: step.ref,
    kind: step.kind,
    label: step.label,
    async run(ctx) {
      const notes = await forEachClient(ctx, idx, (c) =>
        subscribeClient(ctx, c, step.ref, step.subscriptions),
      );
      return { notes: notes.flat() };
    },
  } satisfies CompiledStep;
};

const SEVERAL_FILTERS = new WeakMap<EngineContext['scenario'], ReadonlySet<number>>();

/** Clients that subscribe to more than one filter during the scenario (declared or in steps). */
function severalFilters(ctx: EngineContext): ReadonlySet<number> {
  const known = SEVERAL_FILTERS.get(ctx.scenario);
  if (known !== undefined) return known;
  const filters = ctx.scenario.clients.map((c) => new Set(c.subscriptions.map((q) => q.filter)));
  const walk = (steps: EngineContext['scenario']['steps']): void => {
    for (const st of steps) {
      if (st.kind === 'parallel' || st.kind === 'sequence' || st.kind === 'repeat') walk(st.steps);
      if (st.kind !== 'subscribe') continue;
      for (const name of st.clients) {
        const i = ctx.clientIndex.get(name);
        if (i !== undefined) for (const q of st.subscriptions) filters[i]?.add(q.filter);
      }
    }
  };
  walk(ctx.scenario.steps);
  const out = new Set<number>();
  filters.forEach((f, i) => {
    if (f.size > 1) out.add(i);
  });
  SEVERAL_FILTERS.set(ctx.scenario, out);
  return out;
}

export async function subscribeClient(
  ctx: EngineContext,
  c: EngineClient,
  stepRef: number,
  requests: readonly SubscriptionRequest[],
): Promise<string[]> {
  const session = c.session;
  const filters = requests.map((r) => r.filter);
  const rec: (typeof ctx.record.subscriptions)[number] = {
    client: c.idx,
    stepRef,
    at: ctx.now(),
    kind: 'subscribe',
    filters,
    codes: [],
  };
  ctx.record.subscriptions.push(rec);
  if (session === undefined) {
    rec.error = 'not connected';
    return notConnected(ctx, c, 'subscribe');
  }
  ctx.model.subscribeStarted(c.idx, filters);
  // MQTT 5: each subscription gets its own Subscription Identifier, so every copy names the
  // subscription(s) it is for [MQTT-3.3.4-3]..[MQTT-3.3.4-5]; not when the broker said it has
  // none (Subscription Identifiers Available = 0 [MQTT-3.2.2-21]) or is known to refuse them, and
  // not for a client with a single filter in the whole scenario: every copy it gets is for that
  // one, and the property would cost every PUBLISH a parse.
  const ids =
    c.protocol === '5' &&
    severalFilters(ctx).has(c.idx) &&
    session.connack.subscriptionIdentifiersAvailable !== false &&
    brokerBehaviour(ctx.target.behaviour).subscriptionIdentifiers;
  const sent = ids
    ? requests.map((q) => ({ ...q, subscriptionIdentifier: ctx.model.subscriptionIdFor(c.idx, q.filter) }))
    : requests;
  let r: Awaited<ReturnType<typeof ctx.awaitAnswer<{ reasonCodes: number[] }>>>;
  try {
    r = await ctx.awaitAnswer(session.subscribe(sent), ctx.timings.subscribeTimeoutMs);
  } catch (error) {
    rec.error = (error as Error)?.message ?? String(error);
    if (ctx.failure !== undefined || ctx.offlineAsDeclared.has(c.idx))
      return [`${c.def.name}: subscribe failed: ${rec.error}`];
    throw new StepError('connection-lost', `${c.def.name}: subscribe failed: ${rec.error}`, { cause: error });
  }
  if (!r.ok) {
    if (!r.timedOut) return [];
    rec.error = `no SUBACK ${ctx.describeBound(r.afterMs, r.byDeadline)}`;
    throw new StepError('no-answer', `${c.def.name}: ${rec.error} for ${filters.join(', ')}`);
  }
  rec.codes = r.value.reasonCodes;
  ctx.model.subscribed(
    c.idx,
    requests.map((q, i) => ({
      filter: q.filter,
      code: r.value.reasonCodes[i] ?? 0x80,
      noLocal: q.noLocal ?? false,
    })),
  );
  const refused = requests.flatMap((q, i) => {
    const code = r.value.reasonCodes[i] ?? 0x80;
    return code >= 0x80 ? [{ filter: q.filter, code }] : [];
  });
  if (refused.length === 0) return [];
  const undeclared = refused.filter((x) => !ctx.declared.refusal('suback', c.idx, stepRef, x.code));
  const shown = refused.map((x) => `${x.filter}: ${formatReason(x.code, 'suback', c.protocol)}`);
  if (undeclared.length > 0) {
    throw new StepError(
      'refused',
      `${c.def.name}: the broker refused the subscription (SUBACK ${shown.join('; ')}); ` +
        `if the scenario expects it, declare it: reason-code: { packet: suback, codes: [${undeclared.map((x) => `0x${x.code.toString(16)}`).join(', ')}] }`,
    );
  }
  return [`${c.def.name} SUBACK ${shown.join('; ')} (expected by reason-code)`];
}

/**
 * A step acting for a client that is not connected: noted when the scenario made it so (a declared
 * refusal or broker disconnect), else the step fails (the scenario is acting on a broken premise).
 */
export function notConnected(ctx: EngineContext, c: EngineClient, action: string): string[] {
  const note = `${c.def.name} is not connected: cannot ${action}`;
  if (ctx.offlineAsDeclared.has(c.idx) || ctx.failure !== undefined) return [note];
  throw new StepError('not-connected', note);
}
