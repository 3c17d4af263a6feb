/**
 * `reason-code`: the reason codes the broker answered with (MQTT 5; 3.1.1 CONNACK return codes
 * and SUBACK 0x80 too): CONNACK, SUBACK, UNSUBACK, PUBACK/PUBREC, or a DISCONNECT the broker sent.
 * Passes when at least one such packet was recorded and every recorded code is acceptable.
 */
import { ACK_FAILED, ACK_NONE, ACK_TIMEOUT } from '../message-logs.js';
import { hex } from './_format.js';
import { receiversOf } from './_select.js';
import type { AssertionCheck } from './assertion.js';

export const checkReasonCode: AssertionCheck<'reason-code'> = (a, ctx) => {
  const clients = new Set(receiversOf(a.clients, ctx));
  const inStep = (ref: number) => a.step === undefined || ref === a.step;
  const seen = new Map<string, number>();
  const add = (code: string) => seen.set(code, (seen.get(code) ?? 0) + 1);
  const allowed = new Set(a.codes.map(hex));
  const r = ctx.record;
  switch (a.packet) {
    case 'connack':
      for (const c of r.connects) {
        if (!clients.has(c.client) || !inStep(c.stepRef)) continue;
        const code = c.connack?.reasonCode ?? c.error?.reasonCode;
        add(code === undefined ? 'no CONNACK' : hex(code));
      }
      break;
    case 'suback':
    case 'unsuback':
      for (const s of r.subscriptions) {
        if (s.kind !== (a.packet === 'suback' ? 'subscribe' : 'unsubscribe')) continue;
        if (!clients.has(s.client) || !inStep(s.stepRef)) continue;
        if (s.codes.length === 0) add(`no ${a.packet.toUpperCase()}`);
        for (const code of s.codes) add(hex(code));
      }
      break;
    case 'puback':
      for (const pub of r.publishers) {
        if (pub === undefined || !clients.has(pub.client)) continue;
        for (const seg of pub.segments) {
          if (seg.qos === 0 || !inStep(seg.stepRef)) continue;
          for (let s = seg.first; s < seg.end; s++) {
            const code = pub.ackCode[s] as number;
            add(
              code === ACK_TIMEOUT
                ? 'no ack (timed out)'
                : code === ACK_FAILED
                  ? 'no ack (connection closed)'
                  : code === ACK_NONE
                    ? 'not sent'
                    : hex(code),
            );
          }
        }
      }
      break;
    case 'disconnect':
      for (const d of r.disconnects) {
        if (!clients.has(d.client) || !inStep(d.stepRef)) continue;
        if (d.how === 'lost' && d.reasonCode !== undefined) add(hex(d.reasonCode));
      }
      break;
  }
  const packet = a.packet === 'puback' ? 'PUBACK/PUBREC' : a.packet.toUpperCase();
  const who = a.clients === undefined ? '' : ` to ${a.clients.join(', ')}`;
  const step = a.step === undefined ? '' : ` in step ${a.step}`;
  const got = [...seen].map(([code, n]) => (n > 1 ? `${code} ×${n}` : code)).join(', ');
  const bad = [...seen.keys()].filter((code) => !allowed.has(code));
  return {
    ok: seen.size > 0 && bad.length === 0,
    expected: `${packet}${who}${step} with reason code ${[...allowed].join(' or ')}`,
    actual: seen.size === 0 ? `no ${packet} from the broker was recorded` : got,
    details: [],
    rules: a.packet === 'puback' ? ['Q-2', 'Q-7'] : a.packet === 'disconnect' ? ['M5-6'] : [],
  };
};
