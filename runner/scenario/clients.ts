/**
 * Client declarations → one ResolvedClient per instance (`count: 3` gives three): client id
 * templates, session, keep alive, will, credentials, declared subscriptions, each checked where
 * it is written. Declarations the schema refused are skipped.
 */
import type { DocPath } from '../document/yaml.js';
import type { QoS } from '../transports/transport.js';
import { payloadIdentity, payloadProblems, payloadSpec } from './payload.js';
import type { ResolveContext } from './resolver.js';
import type { Client } from './schema-types.js';
import { resolveSubscription } from './subscription.js';
import type { ResolvedClient, ResolvedWill } from './types.js';

/** Defaults of a client declaration (documented in the schema descriptions). */
const CLIENT_DEFAULTS = { keepaliveS: 60, clean: true, resubscribe: 'if-no-session' } as const;

const PLACEHOLDER_RE = /\{([^}]*)\}/g;

export function resolveClients(
  cx: ResolveContext,
  broken: ReadonlySet<string>,
  runId: string,
): ResolvedClient[] {
  const out: ResolvedClient[] = [];
  const ids = new Map<string, string>();
  for (const [name, client] of Object.entries(cx.doc.clients)) {
    if (client === undefined || client === null || broken.has(name)) continue;
    out.push(...resolveDeclaration(name, client, cx, ids, runId));
  }
  return out;
}

/** `{n}`, `{n:02}`, `{name}`, `{run}` in a client id template. */
function expandClientId(template: string, name: string, index: number, runId: string): string {
  return template.replace(PLACEHOLDER_RE, (match, inner: string) => {
    if (inner === 'name') return name;
    if (inner === 'run') return runId;
    const m = /^n(?::(0?)(\d+))?$/.exec(inner);
    if (m === null) return match;
    const width = m[2] === undefined ? 0 : Number(m[2]);
    return String(index).padStart(width, m[1] === '0' || width > 0 ? '0' : ' ');
  });
}

// --- internal ---

function resolveDeclaration(
  name: string,
  c: Client,
  cx: ResolveContext,
  ids: Map<string, string>,
  runId: string,
): ResolvedClient[] {
  const base: DocPath = ['clients', name];
  const v311 = String(c.protocol ?? '5') === '3.1.1';
  const template = c.clientId ?? (c.count === undefined ? '{name}' : '{name}-{n}');
  const takers = new Map<string, string>();
  checkClientIds(name, c, template, base, cx, ids, takers);

  let sessionExpiry: number | undefined;
  if (c.session?.expiry !== undefined) {
    const at: DocPath = [...base, 'session', 'expiry'];
    sessionExpiry = cx.interval(c.session.expiry, at, 'session expiry');
    if (v311) {
      cx.error(
        at,
        'session expiry is MQTT 5 only; on 3.1.1 a persistent session (clean: false) lasts until the broker drops it: remove expiry or set protocol: 5',
      );
    }
  } else if (c.session?.clean === false && !v311) {
    cx.warn(
      [...base, 'session', 'clean'],
      'clean: false without session.expiry: with MQTT 5 the session still ends at disconnect (Session Expiry Interval 0) [MQTT-3.1.2-23]; add expiry, e.g. 1h',
    );
  }
  let keepalive: number = CLIENT_DEFAULTS.keepaliveS;
  if (c.keepalive !== undefined) {
    const ms = cx.duration(c.keepalive, [...base, 'keepalive']);
    if (ms !== undefined && ms / 1000 > 65535) {
      cx.error([...base, 'keepalive'], 'keep alive is at most 65535 s (a two-byte field) [MQTT-3.1.2-10]');
    }
    keepalive = Math.ceil((ms ?? 0) / 1000);
  }
  const subscriptions = (c.subscriptions ?? []).map((sub, i) =>
    resolveSubscription(sub, undefined, [...base, 'subscriptions', i], v311 ? [name] : [], cx),
  );
  // Checked once for the declaration; its topic and text may use {n}, {name}, {run} per instance.
  const will = c.will === undefined ? undefined : resolveWill(c.will, [...base, 'will'], v311, cx);

  const acks = resolveAcks(c.ack, [...base, 'ack'], c.transport, cx);

  const instances = cx.catalog.groups.get(name) ?? [];
  const source = cx.source(base, true);
  return instances.map((instance, i) => {
    const index = i + 1;
    const expand = (text: string) => expandClientId(text, name, index, runId);
    const resolved: ResolvedClient = {
      name: instance,
      declaredAs: name,
      index,
      clientId: expand(template),
      protocol: v311 ? '3.1.1' : '5',
      clean: c.session?.clean ?? CLIENT_DEFAULTS.clean,
      keepalive,
      subscriptions,
      resubscribe: c.resubscribe ?? CLIENT_DEFAULTS.resubscribe,
      source,
    };
    if (sessionExpiry !== undefined) resolved.sessionExpiry = sessionExpiry;
    if (will !== undefined) {
      const payload =
        will.payload.kind === 'text'
          ? { kind: 'text' as const, text: expand(will.payload.text) }
          : will.payload;
      resolved.will = { ...will, topic: expand(will.topic), payload };
    }
    if (c.credentials?.username !== undefined) resolved.username = c.credentials.username;
    if (c.credentials?.password !== undefined) resolved.password = c.credentials.password;
    if (c.transport !== undefined) resolved.transport = c.transport;
    if (acks !== undefined) resolved.acks = acks;
    const taken = takers.get(instance);
    if (taken !== undefined) resolved.takesOver = taken;
    return resolved;
  });
}

/** `ack: auto | never | delay <duration>`; undefined for auto. */
function resolveAcks(
  text: string | undefined,
  at: DocPath,
  transport: string | undefined,
  cx: ResolveContext,
): ResolvedClient['acks'] {
  if (text === undefined || text === 'auto') return undefined;
  if (transport === 'aws-iot-sdk') {
    cx.error(
      at,
      'the aws-iot-sdk transport acknowledges every QoS 1 delivery itself (the Device SDK has no manual acknowledgements); use transport: mqttjs (or mqttjs-sigv4) for this client',
    );
  }
  if (text === 'never') return 'never';
  const ms = cx.duration(text.slice('delay '.length), at);
  return ms === undefined ? undefined : { delayMs: ms };
}

/** The will as declared (topic and text not yet expanded per instance). */
function resolveWill(
  w: NonNullable<Client['will']>,
  at: DocPath,
  v311: boolean,
  cx: ResolveContext,
): ResolvedWill {
  cx.topicName(w.topic, [...at, 'topic']);
  for (const p of payloadProblems(w.payload, w.identity, at)) cx.error(p.path, p.message);
  const will: ResolvedWill = {
    topic: w.topic,
    payload: payloadSpec(w.payload, (t) => t),
    identity: payloadIdentity(w.payload, w.identity),
    qos: (w.qos ?? 0) as QoS,
    retain: w.retain ?? false,
  };
  const props: NonNullable<ResolvedWill['properties']> = {};
  for (const key of ['delay', 'expiry'] as const) {
    if (w[key] === undefined) continue;
    const s = cx.interval(w[key], [...at, key], `will ${key}`);
    if (v311) cx.error([...at, key], `will ${key} is MQTT 5 only; remove it or set protocol: 5`);
    if (s === undefined) continue;
    if (key === 'delay') props.willDelayInterval = s;
    else props.messageExpiryInterval = s;
  }
  if (Object.keys(props).length > 0) will.properties = props;
  return will;
}

function checkClientIds(
  name: string,
  client: Client,
  template: string,
  base: DocPath,
  cx: ResolveContext,
  seen: Map<string, string>,
  takers: Map<string, string>,
): void {
  const path: DocPath = client.clientId === undefined ? base : [...base, 'clientId'];
  for (const m of template.matchAll(PLACEHOLDER_RE)) {
    const inner = m[1] ?? '';
    if (!/^(?:n(?::0?\d+)?|name|run)$/.test(inner)) {
      cx.error(
        path,
        `unknown placeholder "{${inner}}" in clientId; use {n}, {n:02} (zero-padded), {name} or {run}`,
      );
      return;
    }
  }
  for (const [i, instance] of (cx.catalog.groups.get(name) ?? []).entries()) {
    const id = expandClientId(template, name, i + 1, 'RUN');
    const other = seen.get(id);
    if (client.takeover === true) {
      if (other === undefined) {
        cx.error(
          [...base, 'takeover'],
          `takeover: no client declared before ${instance} uses client id "${id.replace('RUN', '{run}')}", so there is no session to take over; give it the clientId of the client it takes over`,
        );
        return;
      }
      takers.set(instance, other);
      continue;
    }
    if (other !== undefined) {
      cx.error(
        path,
        `client id "${id.replace('RUN', '{run}')}" is used by both ${other} and ${instance}; a broker disconnects the older one when the other connects [MQTT-3.1.4-3]: ${
          client.count !== undefined && !template.includes('{n')
            ? 'add {n} to the template'
            : 'make the ids distinct'
        }`,
      );
      return;
    }
    seen.set(id, instance);
  }
}
