/**
 * AWS IoT policies enforced by the embedded broker through the authorization seam
 * (broker/authorizer.ts): every CONNECT (and Will), PUBLISH, SUBSCRIBE filter and delivery is
 * evaluated (POL-2) and refused the way AWS IoT Core refuses it (POL-10):
 *
 *   CONNECT denied    3.1.1: connection closed, no CONNACK      5: CONNACK 0x87
 *   PUBLISH denied    3.1.1: connection closed                  5: PUBACK 0x87, connection kept
 *   SUBSCRIBE denied  3.1.1: connection closed, no SUBACK       5: SUBACK 0x87 for that filter
 *   Receive denied    that delivery skipped, connection kept (both)
 *
 * Every refusal is logged (debug `mqscen:broker:policy`) and kept in a bounded decision log with
 * the deciding statement, so the runner can say which statement (or "no Allow") refused what.
 */
import createDebug from 'debug';
import type { AuthDecision, Authorizer, ClientIdentity } from '../authorizer.js';
import { type PolicyAttachments, policiesFor } from './attachments.js';
import { evaluatePolicies, type PolicyDecision, type PolicyRequest } from './evaluate.js';
import {
  connectRequests,
  type PolicyResourceOptions,
  publishRequests,
  receiveRequests,
  resolvePolicyResourceOptions,
  subscribeRequest,
} from './resources.js';
import type { PolicyContext } from './variables.js';

const debug = createDebug('mqscen:broker:policy');

/** One refusal, as the decision log keeps it. */
export interface PolicyRefusal extends PolicyDecision {
  clientId: string;
  /** The packet that asked: connect, publish, subscribe or receive (a delivery). */
  packet: 'connect' | 'publish' | 'subscribe' | 'receive';
  /** How many times this same refusal happened (the log keeps one entry per distinct refusal). */
  count: number;
  /** Date.now() of the first and the last one. */
  firstAt: number;
  lastAt: number;
}

export interface PolicyStats {
  allowed: number;
  denied: number;
  /** Decisions per deciding statement: `policy.json#2 Allow`, or `no Allow`. */
  byStatement: Record<string, number>;
}

export interface PolicyAuthorizerOptions extends PolicyResourceOptions {
  attachments: PolicyAttachments;
  /** Distinct refusals kept in the log (the oldest go first). @default 1000 */
  maxLogEntries?: number;
}

export interface PolicyAuthorizer extends Authorizer {
  /** Refusals since the start (or since `sinceMs`), one entry per distinct client/action/resource. */
  refusals(sinceMs?: number): PolicyRefusal[];
  stats(): PolicyStats;
}

/** What the broker knows about a connection, in policy terms (the thing is the certificate's CN). */
export function policyContextOf(identity: ClientIdentity, connectAttributes?: string[]): PolicyContext {
  const ctx: PolicyContext = { clientId: identity.clientId };
  if (identity.certificateCN !== undefined) {
    ctx.thing = { name: identity.certificateCN };
    ctx.certificate = { subject: { CN: identity.certificateCN } };
  }
  if (identity.remoteAddress !== undefined) ctx.sourceIp = identity.remoteAddress.replace(/^::ffff:/, '');
  if (connectAttributes !== undefined) ctx.connectAttributes = connectAttributes;
  return ctx;
}

export function createPolicyAuthorizer(options: PolicyAuthorizerOptions): PolicyAuthorizer {
  const resourceOptions = resolvePolicyResourceOptions(options);
  const maxLog = options.maxLogEntries ?? 1000;
  const log = new Map<string, PolicyRefusal>();
  const stats: PolicyStats = { allowed: 0, denied: 0, byStatement: {} };

  const decide = (
    identity: ClientIdentity,
    packet: PolicyRefusal['packet'],
    requests: PolicyRequest[],
    context: PolicyContext,
    anyOf = false,
  ): PolicyDecision => {
    const policies = policiesFor(options.attachments, context);
    let last: PolicyDecision | undefined;
    for (const request of requests) {
      const d = evaluatePolicies(policies, request, context);
      last = d;
      // All requests must be allowed (Publish + RetainPublish), or one of them (`either` Receive).
      if (anyOf ? d.allowed : !d.allowed) break;
    }
    const decision = last as PolicyDecision;
    const key = decision.statement
      ? `${decision.statement.policy}#${decision.statement.index} ${decision.statement.effect}`
      : 'no Allow';
    stats.byStatement[key] = (stats.byStatement[key] ?? 0) + 1;
    if (decision.allowed) {
      stats.allowed++;
      return decision;
    }
    stats.denied++;
    record(identity.clientId, packet, decision);
    return decision;
  };

  const record = (clientId: string, packet: PolicyRefusal['packet'], d: PolicyDecision): void => {
    const id = `${clientId}\u0000${d.action}\u0000${d.resource}`;
    const now = Date.now();
    const seen = log.get(id);
    if (seen !== undefined) {
      seen.count++;
      seen.lastAt = now;
      return;
    }
    debug('%s %s: %s on %s refused: %s', clientId, packet, d.action, d.resource, d.reason);
    if (log.size >= maxLog) {
      const oldest = log.keys().next().value;
      if (oldest !== undefined) log.delete(oldest);
    }
    log.set(id, { ...d, clientId, packet, count: 1, firstAt: now, lastAt: now });
  };

  const refusal = (identity: ClientIdentity): AuthDecision => ({
    allow: false,
    reasonCode: 0x87,
    // POL-10: MQTT 3.1.1 has no negative acknowledgement; AWS IoT closes the connection.
    disconnect: identity.protocolVersion !== 5,
  });

  return {
    connect(identity, request) {
      const attributes: string[] = [];
      if (!request.clean || request.sessionExpiryInterval > 0) attributes.push('PersistentConnect');
      if (request.will !== undefined) attributes.push('LastWill');
      const context = policyContextOf(identity, attributes);
      const requests = connectRequests(identity.clientId, request.will, resourceOptions);
      return decide(identity, 'connect', requests, context).allowed ? true : refusal(identity);
    },
    publish(identity, topic, info) {
      const requests = publishRequests(topic, info.retain, resourceOptions);
      return decide(identity, 'publish', requests, policyContextOf(identity)).allowed
        ? true
        : refusal(identity);
    },
    subscribe(identity, filter) {
      const request = subscribeRequest(filter, resourceOptions);
      return decide(identity, 'subscribe', [request], policyContextOf(identity)).allowed
        ? true
        : refusal(identity);
    },
    receive(identity, topic, info) {
      // Checked per delivery (POL-2), so a live subscription stops receiving when Receive is missing.
      const requests = receiveRequests(topic, info.shareName, resourceOptions);
      return decide(identity, 'receive', requests, policyContextOf(identity), true).allowed;
    },
    refusals(sinceMs = 0) {
      return [...log.values()].filter((r) => r.lastAt >= sinceMs).map((r) => ({ ...r }));
    },
    stats() {
      return { allowed: stats.allowed, denied: stats.denied, byStatement: { ...stats.byStatement } };
    },
  };
}
