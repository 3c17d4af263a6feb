/**
 * `subscribe`: each listed client subscribes (concurrently). The SUBACK codes are recorded (a code
 * >= 0x80 is a refusal [MQTT-3.9.3-2], no subscription) and the session model learns the granted
 * QoS. No SUBACK within the bound (AWS ignores QoS 2 subscriptions, Q-2) is recorded, not fatal;
 * those filters stay "in flight" so deliveries on them are undetermined.
 */
import type { SubscriptionRequest } from '../../transports/transport.js';
import { brokerBehaviour } from '../../verdict/broker-behaviours.js';
import { type EngineClient, type EngineContext, withBound } from '../context.js';
import { type CompiledStep, resolveClients, type StepCompiler } from './step.js';

export const compileSubscribe: StepCompiler<'subscribe'> = (step, plan) => {
  const idx = resolveClients(step.clients, step, plan);
  return {
    ref: step.ref,
    kind: step.kind,
    label: step.label,
    async run(ctx) {
      const notes = await Promise.all(
        idx.map((i) => subscribeClient(ctx, ctx.clients[i] as EngineClient, step.ref, step.subscriptions)),
      );
      return { notes: notes.flat() };
    },
  } satisfies CompiledStep;
};

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
    return [`${c.def.name} is not connected: cannot subscribe`];
  }
  ctx.model.subscribeStarted(c.idx, filters);
  // MQTT 5: each subscription gets its own Subscription Identifier, so every copy names the
  // subscription(s) it is for [MQTT-3.3.4-3]..[MQTT-3.3.4-5]; not when the broker said it has
  // none (Subscription Identifiers Available = 0 [MQTT-3.2.2-21]) or is known to refuse them.
  const ids =
    c.def.protocol === '5' &&
    session.connack.subscriptionIdentifiersAvailable !== false &&
    brokerBehaviour(ctx.target.behaviour).subscriptionIdentifiers;
  const sent = ids
    ? requests.map((q) => ({ ...q, subscriptionIdentifier: ctx.model.subscriptionIdFor(c.idx, q.filter) }))
    : requests;
  try {
    const r = await withBound(session.subscribe(sent), ctx.timings.subscribeTimeoutMs);
    if (r.timedOut) {
      rec.error = `no SUBACK within ${ctx.timings.subscribeTimeoutMs} ms`;
      return [`${c.def.name}: ${rec.error}`];
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
    const refused = rec.codes.filter((code) => code >= 0x80);
    return refused.length > 0
      ? [`${c.def.name} SUBACK ${rec.codes.map((x) => `0x${x.toString(16)}`).join(',')}`]
      : [];
  } catch (error) {
    rec.error = (error as Error)?.message ?? String(error);
    return [`${c.def.name}: subscribe failed: ${rec.error}`];
  }
}
