/**
 * `publish: { from, topic, count, qos, retain, rate, payload, identity, properties }`: a burst of
 * `count` messages from each `from` client.
 */
import type { DocPath } from '../../document/yaml.js';
import type { PublishProperties, QoS } from '../../transports/transport.js';
import { parseDuration } from '../duration.js';
import { payloadIdentity, payloadProblems, payloadSpec } from '../payload.js';
import { labelled, type ResolveContext, refsText, type StepResolver, stepBody } from '../resolver.js';
import type { Step } from '../schema-types.js';

const DEFAULTS = { count: 1, qos: 0 } as const;

export const resolvePublish: StepResolver<'publish'> = (node, head, cx) => {
  const p = stepBody(node, 'publish');
  const pp: DocPath = [...node.path, 'publish'];
  const from = cx.clients(p.from, [...pp, 'from']);
  cx.topicName(p.topic, [...pp, 'topic']);
  for (const problem of payloadProblems(p.payload, p.identity, pp)) cx.error(problem.path, problem.message);
  const count = p.count ?? DEFAULTS.count;
  const qos = (p.qos ?? DEFAULTS.qos) as QoS;
  const step: ReturnType<StepResolver<'publish'>>['step'] = {
    ...head,
    kind: 'publish',
    label: labelled(
      node.raw.name,
      `publish ${count} × QoS${qos} ${refsText(p.from)} → ${p.topic}${p.retain === true ? ' (retained)' : ''}`,
    ),
    from,
    topic: p.topic,
    count,
    qos,
    retain: p.retain ?? false,
    payload: payloadSpec(p.payload, (t) => t),
    identity: payloadIdentity(p.payload, p.identity),
  };
  if (p.rate !== undefined) {
    const rate = parseRate(p.rate);
    if (typeof rate === 'string') cx.error([...pp, 'rate'], rate);
    else step.ratePerSecond = rate;
  }
  if (p.properties !== undefined) {
    const old = cx.v311(from);
    if (old.length > 0) {
      cx.error(
        [...pp, 'properties'],
        `publish properties are MQTT 5 only (${old.join(', ')} use protocol 3.1.1); remove them or set protocol: 5`,
      );
    }
    step.properties = publishProperties(p.properties, [...pp, 'properties'], cx);
  }
  return { step, clients: { instances: from, path: [...pp, 'from'], effect: 'use', verb: 'publish' } };
};

/** `rate: "50/s"` → messages per second, or why it is not a rate. */
export function parseRate(rate: string | number): number | string {
  if (typeof rate === 'number') return rate > 0 ? rate : 'a rate must be more than 0 messages per second';
  const m = /^\s*(\d+(?:\.\d+)?)\s*\/\s*(\d+(?:\.\d+)?)?\s*(ms|s|m|h)\s*$/.exec(rate);
  if (m === null) return `must be a rate such as "50/s" or "10/100ms" (got "${rate}")`;
  const per = parseDuration(`${m[2] ?? '1'}${m[3]}`);
  if (typeof per !== 'number' || per === 0) return `"${rate}": the period must be more than 0`;
  const value = (Number(m[1]) * 1000) / per;
  return value > 0 ? value : 'a rate must be more than 0 messages per second';
}

// --- internal ---

function publishProperties(
  p: NonNullable<NonNullable<Step['publish']>['properties']>,
  at: DocPath,
  cx: ResolveContext,
): PublishProperties {
  const out: PublishProperties = {};
  const expiry = cx.interval(p.messageExpiry, [...at, 'messageExpiry'], 'message expiry');
  if (expiry !== undefined) out.messageExpiryInterval = expiry;
  if (p.userProperties !== undefined) {
    out.userProperties = Array.isArray(p.userProperties)
      ? p.userProperties.map(([k, v]) => [String(k), String(v)] as const)
      : Object.entries(p.userProperties).map(([k, v]) => [k, String(v)] as const);
  }
  if (p.contentType !== undefined) out.contentType = p.contentType;
  if (p.responseTopic !== undefined) {
    cx.topicName(p.responseTopic, [...at, 'responseTopic']);
    out.responseTopic = p.responseTopic;
  }
  if (p.correlationData !== undefined) out.correlationData = new TextEncoder().encode(p.correlationData);
  if (p.payloadFormatIndicator !== undefined) out.payloadFormatIndicator = p.payloadFormatIndicator;
  return out;
}
