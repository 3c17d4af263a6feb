import { dirname, resolve } from 'node:path';
/**
 * Step 4 of the scenario pipeline: turn the schema-valid, rule-checked, interpolated document
 * into the ResolvedScenario the engine runs: defaults applied, `count` expanded into instances,
 * client references resolved, durations in milliseconds (seconds where MQTT wants seconds),
 * comparisons parsed, step refs numbered in pre-order, assertion step names resolved to refs,
 * labels written. The result is deeply frozen.
 *
 * Inputs that the earlier steps should have refused raise InternalError: reaching one is a bug.
 */

import { type DocPath, formatPath } from '../document/yaml.js';
import { InternalError } from '../errors.js';
import { reasonCode } from '../transports/reason-codes.js';
import type { PublishProperties, QoS, SubscriptionRequest } from '../transports/transport.js';
import { type ClientCatalog, resolveClientRefs } from './client-refs.js';
import { isComparisonError, parseComparison } from './comparison.js';
import { formatDuration, parseDuration } from './duration.js';
import { payloadIdentity, payloadSpec } from './payload.js';
import { expandClientId, parseRate, shorthandClients } from './rules.js';
import type { Assertion, Client, RawScenario, Step, Subscription } from './schema-types.js';
import { findStep, type StepNode, type StepTree } from './step-tree.js';
import type {
  Comparison,
  ResolvedAssertion,
  ResolvedClient,
  ResolvedScenario,
  ResolvedStep,
  ResolvedWill,
  SourceRef,
} from './types.js';

/** Defaults of the scenario language, in one place (documented in the schema descriptions). */
export const SCENARIO_DEFAULTS = {
  timeoutMs: 120_000,
  keepaliveS: 60,
  protocol: '5',
  clean: true,
  resubscribe: 'if-no-session',
  qos: 0,
  publishCount: 1,
  settleTimeoutMs: 10_000,
  settleQuietMs: 0,
  connectTimeoutMs: 10_000,
  subscribeTimeoutMs: 10_000,
  ackTimeoutMs: 10_000,
  noLossMinQos: 1,
  duplicatesMax: 0,
  duplicatesAllow: ['redelivery', 'extra-copy'] as const,
} as const;

/** MQTT 5 "never expires" Session Expiry Interval [MQTT-3.1.2-23]. */
const NEVER_EXPIRES_S = 0xffffffff;

export interface NormalizeContext {
  file: string;
  catalog: ClientCatalog;
  tree: StepTree;
  /** Substituted variables without secrets. */
  vars: Record<string, string>;
  /** Replaces `{run}` in client ids and will topics. */
  runId: string;
  locate: (path: DocPath, options?: { key?: boolean }) => { line: number; column: number } | undefined;
}

export function normalizeScenario(doc: RawScenario, ctx: NormalizeContext): ResolvedScenario {
  const source = (path: DocPath, atKey = false): SourceRef => {
    const at = ctx.locate(path, { key: atKey });
    const ref: SourceRef = { path: formatPath(path) };
    if (at !== undefined) {
      ref.line = at.line;
      ref.column = at.column;
    }
    return ref;
  };
  const instances = (refs: string | readonly string[]): string[] => {
    const r = resolveClientRefs(refs, ctx.catalog);
    if (r.errors.length > 0)
      throw new InternalError(`unresolved client reference after rules: ${r.errors[0]}`);
    return r.instances;
  };

  const clients: ResolvedClient[] = [];
  for (const [name, client] of Object.entries(doc.clients)) {
    if (client === undefined) continue;
    (ctx.catalog.groups.get(name) ?? []).forEach((instance, i) => {
      clients.push(resolveClient(name, instance, i + 1, client, ctx.runId, source(['clients', name], true)));
    });
  }

  const stepOf = (node: StepNode): ResolvedStep => resolveStep(node, instances, source, stepOf);
  const steps = ctx.tree.top.map(stepOf);

  const expect = (doc.expect ?? []).map((a, i) =>
    resolveAssertion(a, i, ctx.tree, instances, source(['expect', i])),
  );

  const clientGroups: Record<string, string[]> = {};
  for (const [name, list] of ctx.catalog.groups) clientGroups[name] = [...list];

  const scenario: ResolvedScenario = {
    file: ctx.file,
    name: doc.name,
    timeoutMs: doc.timeout === undefined ? SCENARIO_DEFAULTS.timeoutMs : ms(doc.timeout),
    timeouts: {
      connectMs: msOr(doc.timeouts?.connect, SCENARIO_DEFAULTS.connectTimeoutMs),
      subscribeMs: msOr(doc.timeouts?.subscribe, SCENARIO_DEFAULTS.subscribeTimeoutMs),
      ackMs: msOr(doc.timeouts?.ack, SCENARIO_DEFAULTS.ackTimeoutMs),
    },
    clients,
    clientGroups,
    steps,
    expect,
    vars: { ...ctx.vars },
  };
  if (doc.description !== undefined) scenario.description = doc.description.trim();
  if (doc.policy !== undefined) scenario.policyFile = resolve(dirname(ctx.file), doc.policy);
  return deepFreeze(scenario);
}

/** A short random id for `{run}`: 6 base-36 characters. */
export function createRunId(): string {
  return Math.floor(Math.random() * 36 ** 6)
    .toString(36)
    .padStart(6, '0');
}

// --- internal ---

function resolveClient(
  name: string,
  instance: string,
  index: number,
  c: Client,
  runId: string,
  source: SourceRef,
): ResolvedClient {
  const template = c.clientId ?? (c.count === undefined ? '{name}' : '{name}-{n}');
  const expand = (text: string) => expandClientId(text, name, index, runId);
  const resolved: ResolvedClient = {
    name: instance,
    declaredAs: name,
    index,
    clientId: expand(template),
    protocol: String(c.protocol ?? SCENARIO_DEFAULTS.protocol) === '3.1.1' ? '3.1.1' : '5',
    clean: c.session?.clean ?? SCENARIO_DEFAULTS.clean,
    keepalive: c.keepalive === undefined ? SCENARIO_DEFAULTS.keepaliveS : Math.ceil(ms(c.keepalive) / 1000),
    subscriptions: (c.subscriptions ?? []).map((s) => subscriptionRequest(s, undefined)),
    resubscribe: c.resubscribe ?? SCENARIO_DEFAULTS.resubscribe,
    source,
  };
  if (c.session?.expiry !== undefined) resolved.sessionExpiry = seconds(c.session.expiry);
  if (c.will !== undefined) {
    const will: ResolvedWill = {
      topic: expand(c.will.topic),
      payload: payloadSpec(c.will.payload, expand),
      identity: payloadIdentity(c.will.payload, c.will.identity),
      qos: (c.will.qos ?? 0) as QoS,
      retain: c.will.retain ?? false,
    };
    const props: NonNullable<ResolvedWill['properties']> = {};
    if (c.will.delay !== undefined) props.willDelayInterval = seconds(c.will.delay);
    if (c.will.expiry !== undefined) props.messageExpiryInterval = seconds(c.will.expiry);
    if (Object.keys(props).length > 0) will.properties = props;
    resolved.will = will;
  }
  if (c.credentials?.username !== undefined) resolved.username = c.credentials.username;
  if (c.credentials?.password !== undefined) resolved.password = c.credentials.password;
  if (c.transport !== undefined) resolved.transport = c.transport;
  return resolved;
}

function resolveStep(
  node: StepNode,
  instances: (refs: string | readonly string[]) => string[],
  source: (path: DocPath) => SourceRef,
  recurse: (node: StepNode) => ResolvedStep,
): ResolvedStep {
  const s: Step = node.raw;
  const base = { ref: node.ref, source: source(node.path) } as {
    ref: number;
    id?: string;
    label: string;
    source: SourceRef;
  };
  if (node.id !== undefined) base.id = node.id;
  const named = (generated: string) => s.name ?? generated;
  switch (node.kind) {
    case 'connect': {
      const { refs } = shorthandClients(s.connect, []);
      return {
        ...base,
        label: named(`connect ${refsText(refs)}`),
        kind: 'connect',
        clients: instances(refs),
      };
    }
    case 'reconnect': {
      const { refs } = shorthandClients(s.reconnect, []);
      const clean = isObject(s.reconnect) ? (s.reconnect as { clean?: boolean }).clean : undefined;
      const step: ResolvedStep = {
        ...base,
        label: named(`reconnect ${refsText(refs)}${clean === true ? ' (clean start)' : ''}`),
        kind: 'reconnect',
        clients: instances(refs),
      };
      if (clean !== undefined) step.clean = clean;
      return step;
    }
    case 'disconnect': {
      const d = s.disconnect;
      const { refs } = shorthandClients(d, []);
      const obj = isObject(d)
        ? (d as Exclude<Step['disconnect'], string | readonly string[] | undefined>)
        : undefined;
      const how = obj?.how ?? 'graceful';
      const step: ResolvedStep = {
        ...base,
        label: named(`disconnect ${refsText(refs)} (${how})`),
        kind: 'disconnect',
        clients: instances(refs),
        how,
      };
      if (obj?.reasonCode !== undefined) step.reasonCode = reasonNumber(obj.reasonCode);
      if (obj?.sessionExpiry !== undefined) step.sessionExpiry = seconds(obj.sessionExpiry);
      return step;
    }
    case 'subscribe': {
      const sub = required(s.subscribe);
      const requests =
        sub.filter !== undefined
          ? [subscriptionRequest({ ...sub, filter: sub.filter }, undefined)]
          : (sub.filters ?? []).map((f) => subscriptionRequest(f, sub));
      const qoses = [...new Set(requests.map((r) => r.qos))];
      return {
        ...base,
        label: named(
          `subscribe ${refsText(sub.clients)} → ${requests.map((r) => r.filter).join(', ')}${
            qoses.length === 1 ? ` (QoS${qoses[0]})` : ''
          }`,
        ),
        kind: 'subscribe',
        clients: instances(sub.clients),
        subscriptions: requests,
      };
    }
    case 'unsubscribe': {
      const u = required(s.unsubscribe);
      const filters = u.filter !== undefined ? [u.filter] : [...(u.filters ?? [])];
      return {
        ...base,
        label: named(`unsubscribe ${refsText(u.clients)} from ${filters.join(', ')}`),
        kind: 'unsubscribe',
        clients: instances(u.clients),
        filters,
      };
    }
    case 'publish': {
      const p = required(s.publish);
      const count = p.count ?? SCENARIO_DEFAULTS.publishCount;
      const qos = (p.qos ?? SCENARIO_DEFAULTS.qos) as QoS;
      const step: ResolvedStep = {
        ...base,
        label: named(
          `publish ${count} × QoS${qos} ${refsText(p.from)} → ${p.topic}${p.retain === true ? ' (retained)' : ''}`,
        ),
        kind: 'publish',
        from: instances(p.from),
        topic: p.topic,
        count,
        qos,
        retain: p.retain ?? false,
        payload: payloadSpec(p.payload, (t) => t),
        identity: payloadIdentity(p.payload, p.identity),
      };
      if (p.rate !== undefined) {
        const rate = parseRate(p.rate);
        if (typeof rate === 'string') throw new InternalError(`unchecked rate: ${rate}`);
        step.ratePerSecond = rate;
      }
      if (p.properties !== undefined) step.properties = publishProperties(p.properties);
      return step;
    }
    case 'wait': {
      const w = required(s.wait);
      const durationMs = ms(typeof w === 'string' ? w : w.duration);
      return { ...base, label: named(`wait ${formatDuration(durationMs)}`), kind: 'wait', durationMs };
    }
    case 'settle': {
      const w = s.settle;
      const obj = w === null || w === undefined ? {} : typeof w === 'string' ? { timeout: w } : w;
      const timeoutMs = obj.timeout === undefined ? SCENARIO_DEFAULTS.settleTimeoutMs : ms(obj.timeout);
      const quietMs = obj.quiet === undefined ? SCENARIO_DEFAULTS.settleQuietMs : ms(obj.quiet);
      return {
        ...base,
        label: named(
          `settle ≤ ${formatDuration(timeoutMs)}${quietMs > 0 ? `, quiet ${formatDuration(quietMs)}` : ''}`,
        ),
        kind: 'settle',
        timeoutMs,
        quietMs,
      };
    }
    case 'parallel': {
      const children = node.children.map(recurse);
      return {
        ...base,
        label: named(`parallel: ${children.map((c) => c.label).join(' ‖ ')}`),
        kind: 'parallel',
        steps: children,
      };
    }
  }
}

function resolveAssertion(
  a: Assertion,
  i: number,
  tree: StepTree,
  instances: (refs: string | readonly string[]) => string[],
  source: SourceRef,
): ResolvedAssertion {
  const base = { index: i + 1, source } as {
    index: number;
    label: string;
    onlyOn?: string[];
    source: SourceRef;
  };
  if (a.on !== undefined) base.onlyOn = typeof a.on === 'string' ? [a.on] : [...a.on];
  const named = (generated: string) => a.name ?? generated;
  const stepRef = (name: string | undefined): number | undefined => {
    if (name === undefined) return undefined;
    const found = findStep(tree, name);
    if (typeof found === 'string') throw new InternalError(`unchecked step reference: ${found}`);
    return found.ref;
  };
  const who = (body: { client?: string | readonly string[]; clients?: string | readonly string[] }) =>
    body.client ?? body.clients;
  const optionalClients = (refs: string | readonly string[] | undefined) =>
    refs === undefined ? {} : { clients: instances(refs) };

  if ('no-loss' in a) {
    const minQos = (a['no-loss']?.qos ?? SCENARIO_DEFAULTS.noLossMinQos) as QoS;
    return {
      ...base,
      label: named(minQos === 1 ? 'no-loss' : `no-loss (QoS ≥ ${minQos})`),
      kind: 'no-loss',
      minQos,
    };
  }
  if ('duplicates' in a) {
    const max = a.duplicates?.max ?? SCENARIO_DEFAULTS.duplicatesMax;
    return {
      ...base,
      label: named(`duplicates ≤ ${max}`),
      kind: 'duplicates',
      max,
      allow: [...(a.duplicates?.allow ?? SCENARIO_DEFAULTS.duplicatesAllow)],
      ...optionalClients(a.duplicates?.clients),
    };
  }
  if ('ordered' in a) {
    return {
      ...base,
      label: named('ordered per publisher'),
      kind: 'ordered',
      per: 'publisher',
      ...optionalClients(a.ordered?.clients),
    };
  }
  if (a['shared-group'] !== undefined) {
    const sg = a['shared-group'];
    const out: ResolvedAssertion = {
      ...base,
      label: named(`shared-group ${sg.group}`),
      kind: 'shared-group',
      group: sg.group,
      eachMessage: sg['each-message'] ?? 'once',
      everyMemberReceives: sg['every-member-receives'] ?? false,
    };
    if (sg.filter !== undefined) out.filter = sg.filter;
    if (sg.balance !== undefined) {
      out.balanceTolerance =
        typeof sg.balance === 'number' ? sg.balance : Number(sg.balance.trim().replace(/%$/, '')) / 100;
    }
    return out;
  }
  if (a.received !== undefined) {
    const r = a.received;
    const refs = who(r) ?? 'all';
    const count = comparison(r.count, 'count');
    const window: { after?: number; before?: number } = {};
    const after = stepRef(r.after);
    const before = stepRef(r.before);
    if (after !== undefined) window.after = after;
    if (before !== undefined) window.before = before;
    const out: ResolvedAssertion = {
      ...base,
      label: named(
        `received ${refsText(refs)} ${count.text}${r.after !== undefined ? ` after ${r.after}` : ''}${
          r.before !== undefined ? ` before ${r.before}` : ''
        }`,
      ),
      kind: 'received',
      clients: instances(refs),
      count,
      window,
    };
    if (r.topic !== undefined) out.topic = r.topic;
    if (r.from !== undefined) out.from = instances(r.from);
    return out;
  }
  if (a['session-present'] !== undefined) {
    const s = a['session-present'];
    const refs = required(who(s));
    const out: ResolvedAssertion = {
      ...base,
      label: named(
        `session-present ${refsText(refs)} = ${s.expected}${s.step !== undefined ? ` at ${s.step}` : ''}`,
      ),
      kind: 'session-present',
      clients: instances(refs),
      expected: s.expected,
    };
    const step = stepRef(s.step);
    if (step !== undefined) out.step = step;
    return out;
  }
  if (a.retained !== undefined) {
    const r = a.retained;
    const refs = required(who(r));
    const present = r.present ?? true;
    const out: ResolvedAssertion = {
      ...base,
      label: named(`retained ${r.topic} ${present ? 'delivered to' : 'not delivered to'} ${refsText(refs)}`),
      kind: 'retained',
      clients: instances(refs),
      topic: r.topic,
      present,
    };
    if (r.payload !== undefined) out.payload = payloadSpec(r.payload, (t) => t);
    return out;
  }
  if (a.will !== undefined) {
    const w = a.will;
    const received = w.received ?? true;
    return {
      ...base,
      label: named(
        `will of ${w.of} ${received ? 'received by' : 'not received by'} ${refsText(w.receivers)}`,
      ),
      kind: 'will',
      of: required(instances(w.of)[0]),
      receivers: instances(w.receivers),
      received,
    };
  }
  if (a['reason-code'] !== undefined) {
    const r = a['reason-code'];
    const written = r.code !== undefined ? [r.code] : [...(r.codes ?? [])];
    const refs = who(r);
    const out: ResolvedAssertion = {
      ...base,
      label: named(
        `reason-code ${r.packet}${refs !== undefined ? ` ${refsText(refs)}` : ''} ∈ ${written.join(', ')}`,
      ),
      kind: 'reason-code',
      packet: r.packet,
      codes: written.map(reasonNumber),
      ...optionalClients(refs),
    };
    const step = stepRef(r.step);
    if (step !== undefined) out.step = step;
    return out;
  }
  if (a.latency !== undefined) {
    const l = a.latency;
    const percentiles: Array<{ p: number; bound: Comparison }> = [];
    for (const [key, p] of [
      ['p50', 50],
      ['p95', 95],
      ['p99', 99],
      ['max', 100],
    ] as const) {
      const text = l[key];
      if (text !== undefined) percentiles.push({ p, bound: comparison(text, 'duration') });
    }
    return {
      ...base,
      label: named(
        `latency ${percentiles.map((x) => `${x.p === 100 ? 'max' : `p${x.p}`} ${x.bound.text}`).join(', ')}`,
      ),
      kind: 'latency',
      percentiles,
      ...optionalClients(l.clients),
    };
  }
  throw new InternalError(`assertion ${i + 1} has no known keyword after schema validation`);
}

function subscriptionRequest(
  sub: Subscription,
  defaults:
    | { qos?: number; noLocal?: boolean; retainAsPublished?: boolean; retainHandling?: number }
    | undefined,
): SubscriptionRequest {
  const o = typeof sub === 'string' ? { ...defaults, filter: sub } : { ...defaults, ...sub };
  const req: SubscriptionRequest = { filter: o.filter, qos: (o.qos ?? SCENARIO_DEFAULTS.qos) as QoS };
  if (o.noLocal !== undefined) req.noLocal = o.noLocal;
  if (o.retainAsPublished !== undefined) req.retainAsPublished = o.retainAsPublished;
  if (o.retainHandling !== undefined) req.retainHandling = o.retainHandling as 0 | 1 | 2;
  return req;
}

function publishProperties(p: NonNullable<NonNullable<Step['publish']>['properties']>): PublishProperties {
  const out: PublishProperties = {};
  if (p.messageExpiry !== undefined) out.messageExpiryInterval = seconds(p.messageExpiry);
  if (p.userProperties !== undefined) {
    const pairs = Array.isArray(p.userProperties)
      ? p.userProperties.map(([k, v]) => [String(k), String(v)] as const)
      : Object.entries(p.userProperties).map(([k, v]) => [k, String(v)] as const);
    out.userProperties = pairs;
  }
  if (p.contentType !== undefined) out.contentType = p.contentType;
  if (p.responseTopic !== undefined) out.responseTopic = p.responseTopic;
  if (p.correlationData !== undefined) out.correlationData = new TextEncoder().encode(p.correlationData);
  if (p.payloadFormatIndicator !== undefined) out.payloadFormatIndicator = p.payloadFormatIndicator;
  return out;
}

function reasonNumber(value: number | string): number {
  if (typeof value === 'number') return value;
  const code = reasonCode(value);
  if (code === undefined) throw new InternalError(`unchecked reason code "${value}"`);
  return code;
}

function comparison(value: string | number, kind: 'count' | 'duration'): Comparison {
  const c = parseComparison(value, kind);
  if (isComparisonError(c)) throw new InternalError(`unchecked comparison: ${c.error}`);
  return c;
}

function ms(text: string): number {
  const v = parseDuration(text);
  if (typeof v !== 'number') throw new InternalError(`unchecked duration: ${v.error}`);
  return v;
}

function msOr(text: string | undefined, fallback: number): number {
  return text === undefined ? fallback : ms(text);
}

/** MQTT intervals are whole seconds; a fraction rounds up so "1.5s" never becomes shorter. */
function seconds(text: string): number {
  return text === 'never' ? NEVER_EXPIRES_S : Math.ceil(ms(text) / 1000);
}

function refsText(refs: string | readonly string[]): string {
  return typeof refs === 'string' ? refs : refs.join(', ');
}

function required<T>(value: T | undefined | null): T {
  if (value === undefined || value === null)
    throw new InternalError('a value the schema requires is missing');
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value) || Object.isFrozen(value))
    return value;
  for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
  return Object.freeze(value);
}
