/**
 * `disconnected`: the broker ended each chosen client's connection at least once (a DISCONNECT it
 * sent, a closed socket, a broker gone away), during the step and with a reason code from the
 * list when given. Read from the record's connection losses (`how: 'lost'`), the same list the
 * results report as `connectionLosses`; a disconnect the scenario made itself never counts.
 */
import type { DisconnectRecord } from '../record.js';
import { hex, plural } from './_format.js';
import { receiversOf } from './_select.js';
import type { AssertionCheck } from './assertion.js';

function lossText(d: DisconnectRecord): string {
  const code = d.reasonCode === undefined ? 'without a DISCONNECT reason code' : `with ${hex(d.reasonCode)}`;
  const when = d.stepRef === 0 ? 'between steps' : `in step ${d.stepRef}`;
  return `${when} ${code}${d.message === undefined ? '' : ` (${d.message})`}`;
}

export const checkDisconnected: AssertionCheck<'disconnected'> = (a, ctx) => {
  const names = ctx.oracle.names;
  const allowed = a.codes === undefined ? undefined : new Set(a.codes);
  const receivers = receiversOf(a.clients, ctx);
  const details: string[] = [];
  const matched: string[] = [];
  let missing = 0;
  for (const c of receivers) {
    const losses = ctx.record.disconnects.filter((d) => d.client === c && d.how === 'lost');
    const fit = losses.find(
      (d) =>
        (a.step === undefined || d.stepRef === a.step) &&
        (allowed === undefined || (d.reasonCode !== undefined && allowed.has(d.reasonCode))),
    );
    const name = names[c] ?? String(c);
    if (fit !== undefined) {
      matched.push(`${name} ${lossText(fit)}`);
      continue;
    }
    missing++;
    details.push(
      losses.length === 0
        ? `${name}: the broker never ended its connection`
        : `${name}: lost its connection only ${losses.map(lossText).join('; ')}`,
    );
  }
  const step = a.step === undefined ? '' : ` in step ${a.step}`;
  const codes = allowed === undefined ? '' : ` with reason code ${[...allowed].map(hex).join(' or ')}`;
  return {
    ok: receivers.length > 0 && missing === 0,
    ...(receivers.length === 0 ? { nothingToCheck: 'no client matched' } : {}),
    expected: `the broker ends the connection of ${a.clients.join(', ')}${step}${codes}`,
    actual:
      missing === 0
        ? `it did: ${matched.slice(0, 3).join('; ')}${matched.length > 3 ? '; …' : ''}`
        : `${plural(missing, 'client')} not disconnected so: ${details.slice(0, 2).join('; ')}`,
    details,
    rules: allowed === undefined ? [] : ['M5-6'],
  };
};
