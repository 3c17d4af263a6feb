/**
 * What `authorized` and `denied` share: per client, did the AWS IoT policy refuse the action?
 * Two sources of evidence (POL-10): the broker's policy decision log when the target keeps one
 * (the embedded aws-iot broker: which statement decided), else the broker's answer on the wire
 * (CONNACK 0x87 or a close before CONNACK, SUBACK/PUBACK 0x87 or a close, nothing received).
 * No evidence either way is never a pass.
 */
import type { PolicyRefusalResult } from '../../results.js';
import type { AuthorizationShape } from '../../scenario/assertions/_authorization.js';
import { ACK_FAILED, ACK_NONE, ACK_TIMEOUT } from '../message-logs.js';
import { matchTopic } from '../topic-filter.js';
import { receiversOf } from './_select.js';
import type { AssertionContext, AssertionVerdict } from './assertion.js';

const IOT_ACTION: Readonly<Record<AuthorizationShape['action'], string>> = {
  connect: 'iot:Connect',
  publish: 'iot:Publish',
  'retain-publish': 'iot:RetainPublish',
  subscribe: 'iot:Subscribe',
  receive: 'iot:Receive',
};

/** One client's evidence: refused, allowed, or nothing seen; with the line that says so. */
interface Evidence {
  refused: boolean | undefined;
  text: string;
}

export function checkAuthorization(
  a: AuthorizationShape & { kind: 'authorized' | 'denied' },
  ctx: AssertionContext,
): AssertionVerdict {
  const want = a.kind === 'denied';
  const action = IOT_ACTION[a.action];
  const on = a.topic === undefined ? '' : ` on ${a.topic}`;
  const details: string[] = [];
  let failing = 0;
  const clients = receiversOf(a.clients, ctx);
  for (const idx of clients) {
    const client = ctx.scenario.clients[idx];
    if (client === undefined) continue;
    const fromLog =
      ctx.policyRefusals === undefined
        ? undefined
        : logEvidence(ctx.policyRefusals, client.clientId, action, a);
    const fromWire = wireEvidence(idx, a, ctx);
    // Denied: the log says so, or (no log) the wire does. Authorized: no refusal in the log and
    // the broker's answer shows success, so a step that never ran cannot pass it.
    const refused =
      fromLog !== undefined
        ? fromLog.refused
          ? true
          : fromWire.refused === false
            ? false
            : undefined
        : fromWire.refused;
    const evidence = fromLog?.refused ? fromLog.text : fromWire.text;
    const ok = refused === want;
    if (!ok) failing++;
    details.push(`${client.name}: ${evidence}`);
  }
  const verb = want ? 'refuses' : 'allows';
  return {
    ok: clients.length > 0 && failing === 0,
    expected: `the policy ${verb} ${action}${on} for ${a.clients.join(', ')}`,
    actual:
      failing === 0
        ? details.join('; ')
        : `${failing} of ${clients.length} client${clients.length === 1 ? '' : 's'} not ${want ? 'refused' : 'allowed'}: ${details.join('; ')}`,
    details: [],
    rules: ['POL-2', 'POL-10'],
  };
}

// --- internal ---

function logEvidence(
  refusals: readonly PolicyRefusalResult[],
  clientId: string,
  action: string,
  a: AuthorizationShape,
): Evidence {
  const hit = refusals.find(
    (r) => r.client === clientId && r.action === action && resourceMatches(r.resource, a),
  );
  if (hit === undefined) return { refused: false, text: `no ${action} refusal in the broker's policy log` };
  return {
    refused: true,
    text: `refused ${action} on ${hit.resource}${hit.count > 1 ? ` (${hit.count} times)` : ''}: ${hit.reason}`,
  };
}

function resourceMatches(resource: string, a: AuthorizationShape): boolean {
  if (a.topic === undefined) return true;
  if (a.action === 'subscribe') return resource === `topicfilter/${a.topic}`;
  let name = resource.replace(/^topic\//, '');
  // A shared delivery is checked on topic/$share/<group>/<name> (POL-5); the topic is <name>.
  if (name.startsWith('$share/') && !a.topic.startsWith('$share/')) name = name.split('/').slice(2).join('/');
  return name === a.topic || matchTopic(a.topic, name);
}

function wireEvidence(idx: number, a: AuthorizationShape, ctx: AssertionContext): Evidence {
  const r = ctx.record;
  switch (a.action) {
    case 'connect': {
      const connects = r.connects.filter((c) => c.client === idx);
      const refusedOne = connects.find(
        (c) =>
          c.error !== undefined &&
          (c.error.reasonCode === 0x87 ||
            c.error.reasonCode === 0x05 ||
            (c.error.reasonCode === undefined && /before CONNACK/i.test(c.error.message))),
      );
      if (refusedOne !== undefined)
        return { refused: true, text: `connect refused: ${refusedOne.error?.message}` };
      if (connects.some((c) => c.connack !== undefined && c.connack.reasonCode === 0))
        return { refused: false, text: 'CONNACK 0x00' };
      return { refused: undefined, text: 'no CONNACK or refusal recorded' };
    }
    case 'subscribe': {
      let allowed = false;
      for (const s of r.subscriptions) {
        if (s.client !== idx || s.kind !== 'subscribe') continue;
        for (const [i, filter] of s.filters.entries()) {
          if (a.topic !== undefined && filter !== a.topic) continue;
          const code = s.codes[i];
          if (code === 0x87 || code === 0x80)
            return { refused: true, text: `SUBACK 0x${code.toString(16)} for ${filter}` };
          if (code === undefined && s.error !== undefined)
            return { refused: true, text: `no SUBACK for ${filter}: ${s.error}` };
          if (code !== undefined && code < 0x80) allowed = true;
        }
      }
      return allowed
        ? { refused: false, text: 'SUBACK granted' }
        : { refused: undefined, text: 'no SUBACK recorded for that filter' };
    }
    case 'publish':
    case 'retain-publish': {
      const pub = r.publishers[idx];
      let allowed = false;
      for (const seg of pub?.segments ?? []) {
        if (a.topic !== undefined && !matchTopic(a.topic, seg.topic)) continue;
        if (a.action === 'retain-publish' && !seg.retain) continue;
        if (seg.qos === 0) continue; // no acknowledgement to read
        for (let s = seg.first; s < seg.end; s++) {
          const code = pub?.ackCode[s] as number;
          if (code === 0x87) return { refused: true, text: `PUBACK 0x87 on ${seg.topic}` };
          if (code === ACK_FAILED)
            return { refused: true, text: `connection closed before the PUBACK on ${seg.topic}` };
          if (code !== ACK_NONE && code !== ACK_TIMEOUT && code < 0x80) allowed = true;
        }
      }
      return allowed
        ? { refused: false, text: 'PUBACK success' }
        : { refused: undefined, text: 'no acknowledged QoS 1 publish on that topic recorded' };
    }
    case 'receive': {
      let received = 0;
      let published = 0;
      for (const [p, pub] of r.publishers.entries()) {
        if (pub === undefined) continue;
        const log = r.receiptLog(idx, p);
        for (const seg of pub.segments) {
          if (a.topic !== undefined && !matchTopic(a.topic, seg.topic)) continue;
          published += seg.end - seg.first;
        }
        for (const [key, count] of log?.buckets ?? []) {
          const seg = pub.segments[Math.floor(key / 65536)];
          if (seg === undefined || (a.topic !== undefined && !matchTopic(a.topic, seg.topic))) continue;
          received += count;
        }
      }
      if (received > 0)
        return { refused: false, text: `received ${received} message${received === 1 ? '' : 's'}` };
      if (published > 0) return { refused: true, text: `received none of ${published} published` };
      return { refused: undefined, text: 'nothing was published on that topic' };
    }
  }
}
