/**
 * Step 3 of the scenario pipeline: what the schema cannot say. Runs on the interpolated
 * document, skipping the parts the schema already refused, and reports every problem at once:
 * unknown or out-of-range client references, duplicate step ids, assertion windows naming unknown or ambiguous steps, a step
 * using a client that is not connected at that point, topic and shared-filter syntax, MQTT 5
 * features on 3.1.1 clients, unknown shared groups, values written with `${var}` that are not
 * valid once substituted.
 */

import type { Problem } from '../document/problem.js';
import { closest } from '../document/suggest.js';
import type { DocPath } from '../document/yaml.js';
import { reasonCode, reasonCodeNames } from '../transports/reason-codes.js';
import { type ClientCatalog, describeDeclared, resolveClientRefs } from './client-refs.js';
import { isComparisonError, parseComparison } from './comparison.js';
import { parseDuration } from './duration.js';
import { payloadProblems } from './payload.js';
import type { Assertion, Client, RawScenario, Step, Subscription } from './schema-types.js';
import { buildStepTree, findStep, type StepNode, type StepTree } from './step-tree.js';
import { checkTopicFilter, checkTopicName, isShared, parseShared } from './topic-rules.js';

export interface RuleContext {
  catalog: ClientCatalog;
  tree: StepTree;
  /**
   * Parts the schema already refused (so every problem of a file is reported at once, rules
   * still run on the rest): client names, top-level step indexes, expect indexes.
   */
  broken?: BrokenParts;
}

export interface BrokenParts {
  clients: Set<string>;
  steps: Set<number>;
  expect: Set<number>;
}

/** Largest MQTT Four Byte Integer interval (Session/Message Expiry), seconds. */
const MAX_INTERVAL_S = 0xffffffff;

export function checkRules(doc: RawScenario, ctx: RuleContext): Problem[] {
  const problems: Problem[] = [];
  const err = (path: DocPath, message: string) => problems.push({ path, message });
  const warn = (path: DocPath, message: string) => problems.push({ path, message, severity: 'warning' });
  const protocolOf = (instance: string): '5' | '3.1.1' => {
    const declared = instance.replace(/\[\d+\]$/, '');
    return String(doc.clients[declared]?.protocol ?? '5') === '3.1.1' ? '3.1.1' : '5';
  };
  const resolve = (refs: string | readonly string[] | undefined, path: DocPath): string[] => {
    if (refs === undefined) return [];
    const r = resolveClientRefs(refs, ctx.catalog);
    for (const e of r.errors) err(path, e);
    return r.instances;
  };
  const duration = (value: string | undefined, path: DocPath): number | undefined => {
    if (value === undefined) return undefined;
    const ms = parseDuration(value);
    if (typeof ms !== 'number') {
      err(path, ms.error);
      return undefined;
    }
    return ms;
  };
  const positive = (ms: number | undefined, path: DocPath, what: string): void => {
    if (ms === 0) err(path, `${what} of 0 ends every wait before it starts; give a duration such as "10s"`);
  };
  const seconds = (value: string | undefined, path: DocPath, what: string): void => {
    if (value === undefined || value === 'never') return;
    const ms = duration(value, path);
    if (ms !== undefined && ms / 1000 > MAX_INTERVAL_S)
      err(path, `${what} is at most 4294967295 s (about 136 years)`);
  };

  // A value of the wrong type was already refused by the schema.
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  positive(duration(text(doc.timeout), ['timeout']), ['timeout'], 'a scenario timeout');
  for (const key of ['connect', 'subscribe', 'ack'] as const) {
    const path: DocPath = ['timeouts', key];
    positive(duration(text(doc.timeouts?.[key]), path), path, `the ${key} timeout`);
  }

  // --- clients ---
  const sharedGroups = new Map<string, Set<string>>();
  const noteShared = (filter: string) => {
    const s = parseShared(filter);
    if (typeof s === 'string') return;
    const set = sharedGroups.get(s.group) ?? new Set<string>();
    set.add(s.filter);
    sharedGroups.set(s.group, set);
  };
  const clientIds = new Map<string, string>();
  const broken = ctx.broken ?? {
    clients: new Set<string>(),
    steps: new Set<number>(),
    expect: new Set<number>(),
  };
  for (const [name, client] of Object.entries(doc.clients)) {
    if (client === undefined || client === null) continue;
    if (broken.clients.has(name)) {
      // Still learn its shared groups, so assertions about them are not reported as unknown.
      const subs = (client as { subscriptions?: unknown }).subscriptions;
      for (const sub of Array.isArray(subs) ? subs : []) {
        const filter = typeof sub === 'string' ? sub : (sub as { filter?: unknown } | null)?.filter;
        if (typeof filter === 'string') noteShared(filter);
      }
      continue;
    }
    const base: DocPath = ['clients', name];
    const v311 = String(client.protocol ?? '5') === '3.1.1';
    checkClientId(name, client, base, ctx, clientIds, err);
    if (client.session?.expiry !== undefined) {
      seconds(client.session.expiry, [...base, 'session', 'expiry'], 'session expiry');
      if (v311) {
        err(
          [...base, 'session', 'expiry'],
          'session expiry is MQTT 5 only; on 3.1.1 a persistent session (clean: false) lasts until the broker drops it: remove expiry or set protocol: 5',
        );
      }
    } else if (client.session?.clean === false && !v311) {
      warn(
        [...base, 'session', 'clean'],
        'clean: false without session.expiry: with MQTT 5 the session still ends at disconnect (Session Expiry Interval 0) [MQTT-3.1.2-23]; add expiry, e.g. 1h',
      );
    }
    const keepaliveMs = duration(client.keepalive, [...base, 'keepalive']);
    if (keepaliveMs !== undefined && keepaliveMs / 1000 > 65535) {
      err([...base, 'keepalive'], 'keep alive is at most 65535 s (a two-byte field) [MQTT-3.1.2-10]');
    }
    if (client.will !== undefined) {
      const wp: DocPath = [...base, 'will'];
      const bad = checkTopicName(client.will.topic);
      if (bad !== undefined) err([...wp, 'topic'], bad);
      problems.push(...payloadProblems(client.will.payload, client.will.identity, wp));
      for (const key of ['delay', 'expiry'] as const) {
        if (client.will[key] === undefined) continue;
        seconds(client.will[key], [...wp, key], `will ${key}`);
        if (v311) err([...wp, key], `will ${key} is MQTT 5 only; remove it or set protocol: 5`);
      }
    }
    (client.subscriptions ?? []).forEach((sub, i) => {
      const sp: DocPath = [...base, 'subscriptions', i];
      checkSubscription(sub, undefined, sp, v311 ? [name] : [], err);
      noteShared(typeof sub === 'string' ? sub : sub.filter);
    });
  }

  // --- steps ---
  const isBroken = (node: StepNode) => broken.steps.has(node.path[1] as number);
  const ids = new Map<string, StepNode>();
  for (const node of ctx.tree.flat) {
    if (node.id === undefined || isBroken(node)) continue;
    const first = ids.get(node.id);
    if (first !== undefined) {
      err(
        [...node.path, 'id'],
        `duplicate step id "${node.id}" (also step ${first.ref}); ids must be unique`,
      );
    } else ids.set(node.id, node);
  }
  const state = new Map<string, { connected: boolean; since?: number }>();
  // After a step the schema refused, who is connected is unknown: stop judging it.
  let stateKnown = true;
  const checkSequence = (nodes: readonly StepNode[]) => {
    for (const node of nodes) {
      if (isBroken(node)) stateKnown = false;
      else checkStep(node, state);
    }
  };
  const checkStep = (node: StepNode, st: Map<string, { connected: boolean; since?: number }>): void => {
    const s = node.raw;
    const p = node.path;
    const describe = (i: string) => {
      const e = st.get(i);
      if (e === undefined) return `${i} (never connected)`;
      return `${i} (${e.connected ? 'connected' : 'disconnected'} at step ${e.since})`;
    };
    const requireConnected = (instances: string[], path: DocPath, verb: string) => {
      if (!stateKnown) return;
      const off = instances.filter((i) => st.get(i)?.connected !== true);
      if (off.length > 0) {
        err(
          path,
          `${off.map(describe).join(', ')} ${off.length === 1 ? 'is' : 'are'} not connected at this point, so ${
            off.length === 1 ? 'it' : 'they'
          } cannot ${verb}; add a connect (or reconnect) step before this one`,
        );
      }
    };
    const mark = (instances: string[], connected: boolean) => {
      for (const i of instances) st.set(i, { connected, since: node.ref });
    };
    const v311 = (instances: string[]) => instances.filter((i) => protocolOf(i) === '3.1.1');
    switch (node.kind) {
      case 'connect': {
        const { refs, path } = shorthandClients(s.connect, [...p, 'connect']);
        const instances = resolve(refs, path);
        const already = instances.filter((i) => st.get(i)?.connected === true);
        if (already.length > 0 && stateKnown) {
          err(
            path,
            `${already.map(describe).join(', ')} already connected; disconnect first, or leave them out of this step`,
          );
        }
        mark(instances, true);
        break;
      }
      case 'reconnect': {
        const { refs, path } = shorthandClients(s.reconnect, [...p, 'reconnect']);
        const instances = resolve(refs, path);
        const on = instances.filter((i) => st.get(i)?.connected === true);
        const never = instances.filter((i) => st.get(i) === undefined);
        if (on.length > 0 && stateKnown) {
          err(path, `${on.map(describe).join(', ')} still connected; disconnect before reconnecting`);
        }
        if (never.length > 0 && stateKnown) {
          err(path, `${never.join(', ')} never connected before; use connect for a first connection`);
        }
        mark(instances, true);
        break;
      }
      case 'disconnect': {
        const d = s.disconnect;
        const { refs, path } = shorthandClients(d, [...p, 'disconnect']);
        const instances = resolve(refs, path);
        const off = instances.filter((i) => st.get(i)?.connected !== true);
        if (off.length > 0)
          err(path, `${off.map(describe).join(', ')} not connected at this point; nothing to disconnect`);
        if (isObject(d)) {
          const obj = d as Extract<Step['disconnect'], { clients: unknown }>;
          const old = v311(instances);
          if (obj.reasonCode !== undefined) {
            checkReasonCode(obj.reasonCode, [...p, 'disconnect', 'reasonCode'], err);
            if (obj.how === 'abrupt') {
              err(
                [...p, 'disconnect', 'reasonCode'],
                'an abrupt disconnect sends no DISCONNECT packet, so no reason code; remove it or use how: graceful',
              );
            }
            if (old.length > 0)
              err(
                [...p, 'disconnect', 'reasonCode'],
                `DISCONNECT reason codes are MQTT 5 only (${old.join(', ')} use 3.1.1)`,
              );
          }
          if (obj.sessionExpiry !== undefined) {
            seconds(obj.sessionExpiry, [...p, 'disconnect', 'sessionExpiry'], 'session expiry');
            if (old.length > 0)
              err(
                [...p, 'disconnect', 'sessionExpiry'],
                `session expiry is MQTT 5 only (${old.join(', ')} use 3.1.1)`,
              );
            // [MQTT-3.14.2-2]: a non-zero expiry on DISCONNECT is a protocol error if CONNECT had 0.
            const zero = instances.filter(
              (i) => doc.clients[i.replace(/\[\d+\]$/, '')]?.session?.expiry === undefined,
            );
            const ms = obj.sessionExpiry === 'never' ? 1 : parseDuration(obj.sessionExpiry);
            if (zero.length > 0 && typeof ms === 'number' && ms > 0 && old.length === 0) {
              err(
                [...p, 'disconnect', 'sessionExpiry'],
                `${zero.join(', ')} connected with session expiry 0; a non-zero expiry on DISCONNECT is then a protocol error [MQTT-3.14.2-2]: set session.expiry on the client instead`,
              );
            }
          }
        }
        mark(instances, false);
        break;
      }
      case 'publish': {
        const pub = s.publish;
        if (pub === undefined) break;
        const pp: DocPath = [...p, 'publish'];
        const from = resolve(pub.from, [...pp, 'from']);
        requireConnected(from, [...pp, 'from'], 'publish');
        const bad = checkTopicName(pub.topic);
        if (bad !== undefined) err([...pp, 'topic'], bad);
        problems.push(...payloadProblems(pub.payload, pub.identity, pp));
        if (typeof pub.rate === 'string') {
          const r = parseRate(pub.rate);
          if (typeof r === 'string') err([...pp, 'rate'], r);
        }
        if (pub.properties !== undefined) {
          const old = v311(from);
          if (old.length > 0) {
            err(
              [...pp, 'properties'],
              `publish properties are MQTT 5 only (${old.join(', ')} use protocol 3.1.1); remove them or set protocol: 5`,
            );
          }
          seconds(pub.properties.messageExpiry, [...pp, 'properties', 'messageExpiry'], 'message expiry');
          if (pub.properties.responseTopic !== undefined) {
            const rt = checkTopicName(pub.properties.responseTopic);
            if (rt !== undefined) err([...pp, 'properties', 'responseTopic'], rt);
          }
        }
        break;
      }
      case 'subscribe': {
        const sub = s.subscribe;
        if (sub === undefined) break;
        const sp: DocPath = [...p, 'subscribe'];
        const instances = resolve(sub.clients, [...sp, 'clients']);
        requireConnected(instances, [...sp, 'clients'], 'subscribe');
        const old = v311(instances);
        if ((sub.filter === undefined) === (sub.filters === undefined)) {
          err(
            sp,
            sub.filter === undefined
              ? 'needs `filter` (one) or `filters` (several)'
              : 'give either `filter` or `filters`, not both',
          );
        }
        if (sub.filter !== undefined) {
          checkSubscription({ ...sub, filter: sub.filter }, undefined, [...sp, 'filter'], old, err, sp);
          noteShared(sub.filter);
        }
        (sub.filters ?? []).forEach((f, i) => {
          checkSubscription(f, sub, [...sp, 'filters', i], old, err);
          noteShared(typeof f === 'string' ? f : f.filter);
        });
        break;
      }
      case 'unsubscribe': {
        const u = s.unsubscribe;
        if (u === undefined) break;
        const up: DocPath = [...p, 'unsubscribe'];
        const instances = resolve(u.clients, [...up, 'clients']);
        requireConnected(instances, [...up, 'clients'], 'unsubscribe');
        if ((u.filter === undefined) === (u.filters === undefined)) {
          err(
            up,
            u.filter === undefined
              ? 'needs `filter` (one) or `filters` (several)'
              : 'give either `filter` or `filters`, not both',
          );
        }
        const filters =
          u.filter !== undefined
            ? [[u.filter, [...up, 'filter']] as const]
            : (u.filters ?? []).map((f, i) => [f, [...up, 'filters', i]] as const);
        for (const [f, fp] of filters) {
          const bad = checkTopicFilter(f);
          if (bad !== undefined) err(fp, bad);
        }
        break;
      }
      case 'wait': {
        const w = s.wait;
        if (typeof w === 'string') duration(w, [...p, 'wait']);
        else if (w !== undefined) duration(w.duration, [...p, 'wait', 'duration']);
        break;
      }
      case 'settle': {
        const w = s.settle;
        if (typeof w === 'string') duration(w, [...p, 'settle']);
        else if (w !== undefined && w !== null) {
          const timeoutMs = duration(w.timeout, [...p, 'settle', 'timeout']) ?? 10_000;
          const quietMs = duration(w.quiet, [...p, 'settle', 'quiet']);
          if (quietMs !== undefined && quietMs > timeoutMs) {
            err(
              [...p, 'settle', 'quiet'],
              `quiet ${w.quiet} is longer than the settle timeout ${w.timeout ?? '10s (the default)'}; the quiet time listens for late duplicates after everything arrived and is at most the timeout: shorten quiet or raise timeout`,
            );
          }
        }
        break;
      }
      case 'parallel': {
        // Children run at the same time: each is checked against the state before the block,
        // then all their effects apply.
        const before = new Map(st);
        const after = new Map(st);
        for (const child of node.children) {
          const local = new Map(before);
          checkStep(child, local);
          for (const [i, e] of local) if (before.get(i) !== e) after.set(i, e);
        }
        st.clear();
        for (const [i, e] of after) st.set(i, e);
        break;
      }
    }
  };
  checkSequence(ctx.tree.top);
  for (const instance of ctx.catalog.all) {
    if (stateKnown && broken.clients.size === 0 && !state.has(instance)) {
      const declared = instance.replace(/\[\d+\]$/, '');
      warn(['clients', declared], `${instance} is declared but never connected`);
    }
  }

  // --- expect ---
  for (const [i, a] of (doc.expect ?? []).entries()) {
    if (broken.expect.has(i)) continue;
    checkAssertion(a, ['expect', i], doc, ctx, sharedGroups, { err, warn, resolve, duration });
  }
  return dedupe(problems);
}

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

type Report = (path: DocPath, message: string) => void;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The refs of a `connect:` / `disconnect:` / `reconnect:` value (shorthand or `{ clients }`) and where they are. */
export function shorthandClients(
  value: string | readonly string[] | { clients: string | readonly string[] } | undefined,
  path: DocPath,
): { refs: string | readonly string[]; path: DocPath } {
  if (value === undefined) return { refs: [], path };
  if (typeof value === 'string' || Array.isArray(value))
    return { refs: value as string | readonly string[], path };
  return { refs: (value as { clients: string | readonly string[] }).clients, path: [...path, 'clients'] };
}

const PLACEHOLDER_RE = /\{([^}]*)\}/g;

function checkClientId(
  name: string,
  client: Client,
  base: DocPath,
  ctx: RuleContext,
  seen: Map<string, string>,
  err: Report,
): void {
  const template = client.clientId ?? (client.count === undefined ? '{name}' : '{name}-{n}');
  const path: DocPath = client.clientId === undefined ? base : [...base, 'clientId'];
  for (const m of template.matchAll(PLACEHOLDER_RE)) {
    const inner = m[1] ?? '';
    if (!/^(?:n(?::0?\d+)?|name|run)$/.test(inner)) {
      err(
        path,
        `unknown placeholder "{${inner}}" in clientId; use {n}, {n:02} (zero-padded), {name} or {run}`,
      );
      return;
    }
  }
  for (const instance of ctx.catalog.groups.get(name) ?? []) {
    const index = instance === name ? 1 : Number(/\[(\d+)\]$/.exec(instance)?.[1] ?? 1);
    const id = expandClientId(template, name, index, 'RUN');
    const other = seen.get(id);
    if (other !== undefined) {
      err(
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

/** `{n}`, `{n:02}`, `{name}`, `{run}` in a client id template. */
export function expandClientId(template: string, name: string, index: number, runId: string): string {
  return template.replace(PLACEHOLDER_RE, (match, inner: string) => {
    if (inner === 'name') return name;
    if (inner === 'run') return runId;
    const m = /^n(?::(0?)(\d+))?$/.exec(inner);
    if (m === null) return match;
    const width = m[2] === undefined ? 0 : Number(m[2]);
    return String(index).padStart(width, m[1] === '0' || width > 0 ? '0' : ' ');
  });
}

function checkSubscription(
  sub: Subscription,
  defaults: { noLocal?: boolean; retainAsPublished?: boolean; retainHandling?: number } | undefined,
  path: DocPath,
  v311Clients: readonly string[],
  err: Report,
  optionsPath?: DocPath,
): void {
  const filter = typeof sub === 'string' ? sub : sub.filter;
  const filterPath = typeof sub === 'string' || optionsPath !== undefined ? path : [...path, 'filter'];
  const bad = checkTopicFilter(filter);
  if (bad !== undefined) err(filterPath, bad);
  const opts = { ...defaults, ...(typeof sub === 'string' ? {} : sub) };
  const where = optionsPath ?? path;
  if (opts.noLocal === true && isShared(filter)) {
    err(
      where,
      `noLocal cannot be set on a shared subscription ("${filter}"): it is a protocol error [MQTT-3.8.3-4]`,
    );
  }
  const mqtt5Only = (['noLocal', 'retainAsPublished', 'retainHandling'] as const).filter(
    (k) => opts[k] !== undefined,
  );
  if (mqtt5Only.length > 0 && v311Clients.length > 0) {
    err(
      where,
      `${mqtt5Only.join(', ')} ${mqtt5Only.length === 1 ? 'is' : 'are'} MQTT 5 only (${v311Clients.join(', ')} use 3.1.1); remove or set protocol: 5`,
    );
  }
}

function checkReasonCode(value: number | string, path: DocPath, err: Report): void {
  if (typeof value === 'number') return;
  if (reasonCode(value) === undefined) {
    const guess = closest(value, reasonCodeNames);
    err(
      path,
      `unknown reason code "${value}"; ${guess !== undefined ? `did you mean "${guess}"?` : `write a number (e.g. 135) or a name such as not-authorized`}`,
    );
  }
}

interface AssertionChecks {
  err: Report;
  warn: Report;
  resolve: (refs: string | readonly string[] | undefined, path: DocPath) => string[];
  duration: (value: string | undefined, path: DocPath) => number | undefined;
}

function checkAssertion(
  a: Assertion,
  path: DocPath,
  doc: RawScenario,
  ctx: RuleContext,
  sharedGroups: Map<string, Set<string>>,
  h: AssertionChecks,
): void {
  const { err, warn, resolve } = h;
  const step = (name: string | undefined, p: DocPath): StepNode | undefined => {
    if (name === undefined) return undefined;
    const found = findStep(ctx.tree, name);
    if (typeof found === 'string') {
      err(p, found);
      return undefined;
    }
    return found;
  };
  const clientOrClients = (
    body: { client?: string | readonly string[]; clients?: string | readonly string[] },
    p: DocPath,
    required: boolean,
  ) => {
    if (body.client !== undefined && body.clients !== undefined) {
      err(p, 'give either `client` or `clients`, not both');
    } else if (required && body.client === undefined && body.clients === undefined) {
      err(p, 'needs `client` (or `clients`): whose connection or messages to check');
    }
    if (body.client !== undefined) resolve(body.client, [...p, 'client']);
    if (body.clients !== undefined) resolve(body.clients, [...p, 'clients']);
  };
  const comparison = (value: string | number, p: DocPath, kind: 'count' | 'duration') => {
    const c = parseComparison(value, kind);
    if (isComparisonError(c)) err(p, c.error);
  };

  if (a['no-loss'] !== undefined) return;
  if (a.duplicates !== undefined && a.duplicates !== null) {
    resolve(a.duplicates.clients, [...path, 'duplicates', 'clients']);
    return;
  }
  if (a.ordered !== undefined && a.ordered !== null) {
    resolve(a.ordered.clients, [...path, 'ordered', 'clients']);
    return;
  }
  const sg = a['shared-group'];
  if (sg !== undefined) {
    const p: DocPath = [...path, 'shared-group'];
    const filters = sharedGroups.get(sg.group);
    if (filters === undefined) {
      const known = [...sharedGroups.keys()];
      const guess = closest(sg.group, known);
      err(
        [...p, 'group'],
        `unknown group "${sg.group}": no client subscribes to $share/${sg.group}/...; ${
          known.length === 0
            ? 'subscribe to a $share/{group}/{filter} filter first'
            : guess !== undefined
              ? `did you mean "${guess}"?`
              : `groups subscribed: ${known.join(', ')}`
        }`,
      );
    } else if (sg.filter !== undefined && !filters.has(sg.filter)) {
      err(
        [...p, 'filter'],
        `group "${sg.group}" has no filter "${sg.filter}"; its filters: ${[...filters].join(', ')} (SS-4)`,
      );
    }
    if (typeof sg.balance === 'string') {
      const pct = Number(sg.balance.trim().replace(/%$/, ''));
      if (!(pct >= 0 && pct <= 100))
        err([...p, 'balance'], `must be a percentage between 0% and 100% (got "${sg.balance}")`);
    }
    return;
  }
  const rec = a.received;
  if (rec !== undefined) {
    const p: DocPath = [...path, 'received'];
    clientOrClients(rec, p, false);
    comparison(rec.count, [...p, 'count'], 'count');
    const after = step(rec.after, [...p, 'after']);
    const before = step(rec.before, [...p, 'before']);
    if (after !== undefined && before !== undefined && after.ref >= before.ref) {
      err(
        [...p, 'before'],
        `the window is empty: step ${before.ref} (${rec.before}) does not come after step ${after.ref} (${rec.after})`,
      );
    }
    if (rec.topic !== undefined) {
      const bad = checkTopicFilter(rec.topic);
      if (bad !== undefined) err([...p, 'topic'], bad);
    }
    resolve(rec.from, [...p, 'from']);
    return;
  }
  const sp = a['session-present'];
  if (sp !== undefined) {
    const p: DocPath = [...path, 'session-present'];
    clientOrClients(sp, p, true);
    const s = step(sp.step, [...p, 'step']);
    if (s !== undefined && s.kind !== 'connect' && s.kind !== 'reconnect') {
      err(
        [...p, 'step'],
        `step ${s.ref} is a ${s.kind} step; session-present checks the CONNACK of a connect or reconnect step`,
      );
    }
    return;
  }
  const ret = a.retained;
  if (ret !== undefined) {
    const p: DocPath = [...path, 'retained'];
    clientOrClients(ret, p, true);
    const bad = checkTopicName(ret.topic);
    if (bad !== undefined) err([...p, 'topic'], bad);
    return;
  }
  const will = a.will;
  if (will !== undefined) {
    const p: DocPath = [...path, 'will'];
    const of = resolve(will.of, [...p, 'of']);
    if (of.length > 1) {
      err([...p, 'of'], `"${will.of}" names ${of.length} clients; name one instance, e.g. ${of[0]}`);
    } else if (of.length === 1) {
      const declared = (of[0] as string).replace(/\[\d+\]$/, '');
      if (doc.clients[declared]?.will === undefined) {
        err([...p, 'of'], `${of[0]} declares no will; add \`will: { topic: ... }\` to clients.${declared}`);
      } else if (
        will.received !== false &&
        !ctx.tree.flat.some((n) => n.kind === 'disconnect' && isAbruptFor(n, of[0] as string, ctx))
      ) {
        warn(
          [...p, 'of'],
          `no step disconnects ${of[0]} abruptly, so the broker has no reason to publish its will [MQTT-3.1.2-8]`,
        );
      }
    }
    resolve(will.receivers, [...p, 'receivers']);
    return;
  }
  const rc = a['reason-code'];
  if (rc !== undefined) {
    const p: DocPath = [...path, 'reason-code'];
    clientOrClients(rc, p, false);
    if ((rc.code === undefined) === (rc.codes === undefined)) {
      err(
        p,
        rc.code === undefined
          ? 'needs `code` (one) or `codes` (a list of acceptable codes)'
          : 'give either `code` or `codes`, not both',
      );
    }
    if (rc.code !== undefined) checkReasonCode(rc.code, [...p, 'code'], err);
    for (const [i, c] of (rc.codes ?? []).entries()) checkReasonCode(c, [...p, 'codes', i], err);
    step(rc.step, [...p, 'step']);
    return;
  }
  const lat = a.latency;
  if (lat !== undefined) {
    const p: DocPath = [...path, 'latency'];
    const bounds = (['p50', 'p95', 'p99', 'max'] as const).filter((k) => lat[k] !== undefined);
    if (bounds.length === 0) err(p, 'needs at least one bound: p50, p95, p99 or max, e.g. p95: "< 250ms"');
    for (const k of bounds) comparison(lat[k] as string, [...p, k], 'duration');
    resolve(lat.clients, [...p, 'clients']);
  }
}

function isAbruptFor(node: StepNode, instance: string, ctx: RuleContext): boolean {
  const d = node.raw.disconnect;
  if (!isObject(d) || (d as { how?: string }).how !== 'abrupt') {
    // A graceful DISCONNECT with reason 0x04 also publishes the will [MQTT-3.14.4-3].
    const code = isObject(d) ? (d as { reasonCode?: number | string }).reasonCode : undefined;
    if (code === undefined || (typeof code === 'string' ? reasonCode(code) : code) !== 0x04) return false;
  }
  const refs = (d as { clients: string | string[] }).clients;
  return resolveClientRefs(refs, ctx.catalog).instances.includes(instance);
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path.join('/')}|${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export { buildStepTree, describeDeclared };
