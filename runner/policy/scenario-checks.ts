/**
 * A scenario, walked statically for what AWS IoT will authorize (POL-2): every CONNECT (its Will
 * too), SUBSCRIBE filter, PUBLISH (retained ones also need RetainPublish), and every delivery the
 * scenario expects (Receive, `$share` form for a shared subscription, POL-5). Nothing connects;
 * `mqscen policy check` evaluates the list before a run, and `--aws` sends it to TestAuthorization.
 */
import {
  connectRequests,
  evaluatePolicies,
  iotArn,
  type PolicyContext,
  type PolicyDecision,
  type PolicyDocument,
  type PolicyRequest,
  publishRequests,
  type ResolvedPolicyResourceOptions,
  receiveRequests,
  subscribeRequest,
} from '../../broker/policy/index.js';
import type { ResolvedClient, ResolvedScenario, ResolvedStep } from '../scenario/types.js';
import type { SubscriptionRequest } from '../transports/transport.js';
import { matchTopic, parseSharedFilter } from '../verdict/topic-filter.js';

export interface PolicyCheck extends PolicyRequest {
  /** Client instances that need it (`subscriber[1]`, ...). */
  clients: string[];
  /** The client id the request is made with (the first client's when several share a resource). */
  clientId: string;
  /** What in the scenario needs it: "connect", "will", "subscribe", "publish (step 2)", "delivery of step 2". */
  why: string;
  /** Another resource that, allowed, grants the same (Receive with sharedReceiveResource `either`). */
  orResource?: string;
  /** The scenario itself expects a refusal here (a reason-code 0x87 assertion). */
  expectRefused: boolean;
  context: PolicyContext;
}

export interface CheckedRequest extends PolicyCheck {
  decision: PolicyDecision;
}

export interface ScenarioCheckOptions {
  resources: ResolvedPolicyResourceOptions;
  /** The thing attached to the principal (`--thing`): the client certificate's CN. */
  thing?: string;
}

/** Every authorization the scenario needs, one entry per client id, action and resource. */
export function scenarioChecks(scenario: ResolvedScenario, options: ScenarioCheckOptions): PolicyCheck[] {
  const clients = new Map(scenario.clients.map((c) => [c.name, c]));
  const out = new Map<string, PolicyCheck>();
  const refusedOn = expectedRefusals(scenario);
  const add = (
    client: ResolvedClient,
    request: PolicyRequest & { orResource?: string },
    why: string,
    context: PolicyContext,
  ): void => {
    const key = `${client.clientId}\u0000${request.action}\u0000${request.resource}`;
    const seen = out.get(key);
    if (seen !== undefined) {
      if (!seen.clients.includes(client.name)) seen.clients.push(client.name);
      return;
    }
    const packet = PACKET_OF[request.action];
    out.set(key, {
      ...request,
      clients: [client.name],
      clientId: client.clientId,
      why,
      expectRefused:
        (packet !== undefined && (refusedOn.get(client.name)?.has(packet) ?? false)) ||
        deniedBy(scenario, client.name, request, options.resources),
      context,
    });
  };
  const contextOf = (client: ResolvedClient, connect = false): PolicyContext => {
    const ctx: PolicyContext = { clientId: client.clientId };
    if (options.thing !== undefined) {
      ctx.thing = { name: options.thing };
      ctx.certificate = { subject: { CN: options.thing } };
    }
    if (connect) {
      const attributes: string[] = [];
      if (!client.clean || (client.sessionExpiry ?? 0) > 0) attributes.push('PersistentConnect');
      if (client.will !== undefined) attributes.push('LastWill');
      ctx.connectAttributes = attributes;
    }
    return ctx;
  };

  const connected = new Set<string>();
  const subscriptions = new Map<string, SubscriptionRequest[]>();
  const subscribeAll = (client: ResolvedClient, subs: readonly SubscriptionRequest[], why: string) => {
    const list = subscriptions.get(client.name) ?? [];
    for (const s of subs) {
      add(client, subscribeRequest(s.filter, options.resources), why, contextOf(client));
      if (!list.some((x) => x.filter === s.filter)) list.push(s);
    }
    subscriptions.set(client.name, list);
  };
  const publishes: Array<{ from: ResolvedClient; topic: string; why: string }> = [];
  const visit = (step: ResolvedStep): void => {
    switch (step.kind) {
      case 'connect':
      case 'reconnect':
        for (const name of step.clients) {
          const c = clients.get(name);
          if (c === undefined || connected.has(name)) continue;
          connected.add(name);
          const [connect, ...will] = connectRequests(c.clientId, c.will, options.resources);
          if (connect !== undefined) add(c, connect, `connect (step ${step.ref})`, contextOf(c, true));
          for (const r of will) add(c, r, 'will (checked at CONNECT)', contextOf(c, true));
          subscribeAll(c, c.subscriptions, `subscriptions of ${c.declaredAs} (step ${step.ref})`);
          if (c.will !== undefined)
            publishes.push({ from: c, topic: c.will.topic, why: `will of ${c.name}` });
        }
        break;
      case 'subscribe':
        for (const name of step.clients) {
          const c = clients.get(name);
          if (c !== undefined) subscribeAll(c, step.subscriptions, `subscribe (step ${step.ref})`);
        }
        break;
      case 'publish':
        for (const name of step.from) {
          const c = clients.get(name);
          if (c === undefined) continue;
          for (const r of publishRequests(step.topic, step.retain, options.resources))
            add(c, r, `publish (step ${step.ref})`, contextOf(c));
          publishes.push({ from: c, topic: step.topic, why: `delivery of step ${step.ref}` });
        }
        break;
      case 'parallel':
      case 'sequence':
      case 'repeat':
        for (const s of step.steps) visit(s);
        break;
      default:
        break;
    }
  };
  for (const step of scenario.steps) visit(step);

  // Every delivery the scenario expects: each publish × each matching subscription (POL-2 Receive).
  for (const p of publishes) {
    for (const [name, subs] of subscriptions) {
      const c = clients.get(name);
      if (c === undefined) continue;
      for (const s of subs) {
        const shared = parseSharedFilter(s.filter);
        const filter = shared?.filter ?? s.filter;
        if (!matchTopic(filter, p.topic)) continue;
        if (s.noLocal && c === p.from) continue;
        // With sharedReceiveResource `either`, one of the two forms allowed is enough (POL-5).
        const [first, second] = receiveRequests(p.topic, shared?.group, options.resources);
        if (first !== undefined)
          add(
            c,
            second === undefined ? first : { ...first, orResource: second.resource },
            p.why,
            contextOf(c),
          );
      }
    }
  }
  return [...out.values()];
}

/** Evaluates each check against the policies (the local evaluator). */
export function evaluateChecks(
  checks: readonly PolicyCheck[],
  policies: readonly PolicyDocument[],
): CheckedRequest[] {
  return checks.map((c) => {
    const decision = evaluatePolicies(policies, { action: c.action, resource: c.resource }, c.context);
    if (decision.allowed || c.orResource === undefined) return { ...c, decision };
    const other = evaluatePolicies(policies, { action: c.action, resource: c.orResource }, c.context);
    return { ...c, decision: other.allowed ? other : decision };
  });
}

// --- internal ---

const PACKET_OF: Readonly<Record<string, string>> = {
  'iot:Connect': 'connack',
  'iot:Subscribe': 'suback',
  'iot:Publish': 'puback',
  'iot:RetainPublish': 'puback',
};

const ACTION_OF: Readonly<Record<string, string>> = {
  connect: 'iot:Connect',
  publish: 'iot:Publish',
  'retain-publish': 'iot:RetainPublish',
  subscribe: 'iot:Subscribe',
  receive: 'iot:Receive',
};

/** A `denied` assertion of the scenario expects the policy to refuse this request. */
function deniedBy(
  scenario: ResolvedScenario,
  client: string,
  request: PolicyRequest,
  resources: ResolvedPolicyResourceOptions,
): boolean {
  const prefix = iotArn('', resources);
  const short = request.resource.startsWith(prefix)
    ? request.resource.slice(prefix.length)
    : request.resource;
  return scenario.expect.some((a) => {
    if (a.kind !== 'denied' || !a.clients.includes(client) || ACTION_OF[a.action] !== request.action)
      return false;
    if (a.topic === undefined) return true;
    if (a.action === 'subscribe') return short === `topicfilter/${a.topic}`;
    let name = short.replace(/^topic\//, '');
    if (name.startsWith('$share/') && !a.topic.startsWith('$share/'))
      name = name.split('/').slice(2).join('/');
    return name === a.topic || matchTopic(a.topic, name);
  });
}

/** Client → packets the scenario's reason-code assertions expect 0x87 Not authorized on. */
function expectedRefusals(scenario: ResolvedScenario): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const a of scenario.expect) {
    if (a.kind !== 'reason-code' || !a.codes.includes(0x87)) continue;
    for (const name of a.clients ?? scenario.clients.map((c) => c.name)) {
      const set = out.get(name) ?? new Set<string>();
      set.add(a.packet);
      out.set(name, set);
    }
  }
  return out;
}
