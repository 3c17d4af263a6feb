/**
 * `received`: how many messages the named clients received (all deliveries, duplicates and will
 * messages included) in a window between steps, optionally only on topics matching a filter or
 * only from some publishers. The count applies to each named client on its own (the schema says
 * "messages per client"): `clients: member, count: 0` means no member got anything. This is the per-client
 * view that legitimately differs between brokers (AWS MQ-3/MQ-6 vs Mosquitto round-robin).
 */
import { matchTopic } from '../topic-filter.js';
import { compare, comparisonText, plural } from './_format.js';
import { receiversOf } from './_select.js';
import type { AssertionCheck, AssertionContext } from './assertion.js';

/** Phase range [from, to) of a step window: after step `after` ended, before step `before` started. */
export function windowPhases(
  window: { after?: number; before?: number },
  ctx: AssertionContext,
): { from: number; to: number; note?: string } {
  let from = 0;
  let to = Number.POSITIVE_INFINITY;
  let note: string | undefined;
  if (window.after !== undefined) {
    const m = ctx.record.steps.get(window.after);
    const kind = findStep(ctx.scenario.steps, window.after)?.kind;
    if (m === undefined || !Number.isFinite(m.endPhase)) {
      from = Number.POSITIVE_INFINITY;
      note = `step ${window.after} did not complete`;
    } else if (kind === 'connect' || kind === 'reconnect' || kind === 'subscribe') {
      // What a (re)connect or subscribe brings (a resumed session's queue right after CONNACK
      // [MQTT-3.1.2-5], retained messages right after SUBSCRIBE [MQTT-3.3.1-6]) arrives while
      // the step is still running; "after reconnect" means those too.
      from = m.startPhase;
    } else from = m.endPhase;
  }
  if (window.before !== undefined) {
    const m = ctx.record.steps.get(window.before);
    if (m !== undefined) to = m.startPhase;
  }
  return note === undefined ? { from, to } : { from, to, note };
}

function windowText(window: { after?: number; before?: number }, ctx: AssertionContext): string {
  const label = (ref: number) => {
    const s = findStep(ctx.scenario.steps, ref);
    return s === undefined ? `step ${ref}` : `step ${ref} (${s.id ?? s.kind})`;
  };
  const parts: string[] = [];
  if (window.after !== undefined) parts.push(`after ${label(window.after)}`);
  if (window.before !== undefined) parts.push(`before ${label(window.before)}`);
  return parts.length === 0 ? 'during the run' : parts.join(' and ');
}

function findStep(
  steps: AssertionContext['scenario']['steps'],
  ref: number,
): AssertionContext['scenario']['steps'][number] | undefined {
  for (const s of steps) {
    if (s.ref === ref) return s;
    if (s.kind === 'parallel' || s.kind === 'sequence' || s.kind === 'repeat') {
      const inner = findStep(s.steps, ref);
      if (inner !== undefined) return inner;
    }
  }
  return undefined;
}

export const checkReceived: AssertionCheck<'received'> = (a, ctx) => {
  const receivers = receiversOf(a.clients, ctx);
  const from = a.from === undefined ? undefined : new Set(receiversOf(a.from, ctx));
  const win = windowPhases(a.window, ctx);
  const names = ctx.oracle.names;
  const perReceiver = new Map<number, number>();
  for (const r of receivers) {
    let n = 0;
    const topic = a.topic;
    const topicOk = topic === undefined ? undefined : (t: string) => matchTopic(topic, t);
    for (let p = 0; p < names.length; p++) {
      if (from !== undefined && !from.has(p)) continue;
      n += ctx.record.deliveriesIn(r, p, win.from, win.to, topicOk, a.step);
    }
    // Messages without an identity (`identity: none`, empty retained deletes, other publishers)
    // count by topic when no publisher or step is named.
    if (from === undefined && a.step === undefined) {
      for (const anon of ctx.record.anonymous.values()) {
        if (anon.receiver !== r || (topicOk !== undefined && !topicOk(anon.topic))) continue;
        for (const [phase, count] of anon.byPhase) if (phase >= win.from && phase < win.to) n += count;
      }
    }
    for (const w of ctx.record.wills) {
      if (a.step !== undefined) break;
      if (w.receiver !== r || w.phase < win.from || w.phase >= win.to) continue;
      if (from !== undefined && !from.has(w.of)) continue;
      if (a.topic !== undefined && !matchTopic(a.topic, w.topic)) continue;
      n++;
    }
    perReceiver.set(r, n);
  }
  const total = [...perReceiver.values()].reduce((s, n) => s + n, 0);
  const failing =
    a.sum === true
      ? compare(a.count, total)
        ? []
        : [...perReceiver]
      : [...perReceiver].filter(([, n]) => !compare(a.count, n));
  const who = a.clients.join(', ');
  const filters = [
    a.topic === undefined ? '' : `on ${a.topic}`,
    a.from === undefined ? '' : `from ${a.from.join(', ')}`,
    a.step === undefined ? '' : `of step ${a.step}`,
  ]
    .filter(Boolean)
    .join(' ');
  const breakdown =
    receivers.length > 1 ? ` (${[...perReceiver].map(([r, n]) => `${names[r]} ${n}`).join(', ')})` : '';
  if (a.sum === true) {
    return {
      ok: win.note === undefined && receivers.length > 0 && failing.length === 0,
      expected: `${who} together receive ${comparisonText(a.count)} messages${filters ? ` ${filters}` : ''} ${windowText(a.window, ctx)}`,
      actual: `${plural(total, 'message')} in all${breakdown}${win.note === undefined ? '' : `; ${win.note}`}`,
      details: [],
    };
  }
  return {
    ok: win.note === undefined && receivers.length > 0 && failing.length === 0,
    expected: `${receivers.length === 1 ? who : `each of ${who}`} receive${receivers.length === 1 ? 's' : ''} ${comparisonText(a.count)} messages${filters ? ` ${filters}` : ''} ${windowText(a.window, ctx)}`,
    actual: `${receivers.length === 1 ? plural(total, 'message') : `${failing.length === 0 ? 'all within' : `${failing.length} of ${receivers.length} outside`}: ${plural(total, 'message')} in all`}${breakdown}${win.note === undefined ? '' : `; ${win.note}`}`,
    details: [],
  };
};
