/**
 * An Authorizer built from a list of rules, usually read from a YAML or JSON file
 * (`loadAclFile`). The first rule that matches an action decides; without a match `default` does.
 *
 *   default: allow
 *   rules:
 *     - { action: subscribe, topic: 'secret/#', allow: false }
 *     - { action: [publish, subscribe], clientId: 'sensor-*', topic: 'sensors/${clientId}/#', allow: true }
 *     - { action: publish, topic: 'sensors/#', allow: false, disconnect: true }
 *
 * `topic` is an MQTT filter; `${clientId}` and `${username}` are replaced by the client's values.
 * For `subscribe` the requested filter is matched as if it were a topic name (its `+`/`#` are plain
 * levels), so `sensors/#` covers a request for `sensors/+/temp`. A shared request
 * `$share/{group}/{filter}` is matched by its `{filter}`, so a deny on `secret/#` also refuses
 * `$share/g/secret/#`; a rule whose topic starts with `$share/` matches the request as sent (to
 * name a group). `clientId` and `username` are globs (`*` any run, `?` one character).
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { AuthDecision, Authorizer, ClientIdentity } from './authorizer.js';
import { BrokerConfigError } from './errors.js';
import { topicMatches } from './topic.js';

export type AclAction = 'connect' | 'publish' | 'subscribe' | 'receive';

export interface AclRule {
  action: AclAction | AclAction[];
  /** Glob on the client id. */
  clientId?: string;
  /** Glob on the username. */
  username?: string;
  /** MQTT filter on the topic (publish, receive) or on the requested filter (subscribe). */
  topic?: string;
  allow: boolean;
  /** MQTT 5 reason code of a refusal. @default 0x87 */
  reasonCode?: number;
  /** Close the connection instead of answering (AWS IoT on MQTT 3.1.1, POL-10). */
  disconnect?: boolean;
}

export interface AclDocument {
  /** Decision when no rule matches. @default 'allow' */
  default?: 'allow' | 'deny';
  rules: AclRule[];
}

const CLIENT_ID_PLACEHOLDER = '${clientId}';
const USERNAME_PLACEHOLDER = '${username}';

const ACTIONS: readonly AclAction[] = ['connect', 'publish', 'subscribe', 'receive'];

export function createAclAuthorizer(document: AclDocument): Authorizer {
  const rules = document.rules;
  const fallback = (document.default ?? 'allow') === 'allow';
  const decide = (
    action: AclAction,
    client: ClientIdentity,
    topic?: string,
    innerFilter?: string,
  ): AuthDecision => {
    for (const rule of rules) {
      if (!ruleApplies(rule, action, client, topic, innerFilter)) continue;
      if (rule.allow) return true;
      const decision: { allow: false; reasonCode?: number; disconnect?: boolean } = { allow: false };
      if (rule.reasonCode !== undefined) decision.reasonCode = rule.reasonCode;
      if (rule.disconnect !== undefined) decision.disconnect = rule.disconnect;
      return decision;
    }
    return fallback;
  };
  return {
    connect: (client) => decide('connect', client),
    publish: (client, topic) => decide('publish', client, topic),
    subscribe: (client, filter, info) => decide('subscribe', client, filter, info.topicFilter),
    receive: (client, topic) => {
      const decision = decide('receive', client, topic);
      return typeof decision === 'boolean' ? decision : decision.allow;
    },
  };
}

/** Reads and checks an ACL file (YAML or JSON); every problem is reported with its rule index. */
export async function loadAclFile(path: string): Promise<AclDocument> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new BrokerConfigError(`cannot read the ACL file ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw new BrokerConfigError(`ACL file ${path} is not valid YAML/JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return checkAclDocument(value, path);
}

export function checkAclDocument(value: unknown, where = 'ACL'): AclDocument {
  const problems: string[] = [];
  const doc = value as Partial<AclDocument> | null;
  if (typeof doc !== 'object' || doc === null || !Array.isArray(doc.rules)) {
    throw new BrokerConfigError(`${where}: expected an object with a "rules" list`, {
      hint: 'example: { default: allow, rules: [ { action: subscribe, topic: "secret/#", allow: false } ] }',
    });
  }
  if (doc.default !== undefined && doc.default !== 'allow' && doc.default !== 'deny') {
    problems.push(`default must be "allow" or "deny", got ${JSON.stringify(doc.default)}`);
  }
  doc.rules.forEach((rule: AclRule, i) => {
    const at = `rules[${i}]`;
    const actions = Array.isArray(rule?.action) ? rule.action : [rule?.action];
    for (const action of actions) {
      if (!ACTIONS.includes(action)) {
        problems.push(`${at}.action ${JSON.stringify(action)} is not one of ${ACTIONS.join(', ')}`);
      }
    }
    if (typeof rule?.allow !== 'boolean') problems.push(`${at}.allow must be true or false`);
    for (const key of ['clientId', 'username', 'topic'] as const) {
      if (rule?.[key] !== undefined && typeof rule[key] !== 'string')
        problems.push(`${at}.${key} must be a string`);
    }
  });
  if (problems.length > 0) throw new BrokerConfigError(`${where}: ${problems.join('; ')}`);
  return doc as AclDocument;
}

// --- internal ---

function ruleApplies(
  rule: AclRule,
  action: AclAction,
  client: ClientIdentity,
  topic?: string,
  innerFilter?: string,
): boolean {
  const actions = Array.isArray(rule.action) ? rule.action : [rule.action];
  if (!actions.includes(action)) return false;
  if (rule.clientId !== undefined && !globMatches(rule.clientId, client.clientId)) return false;
  if (rule.username !== undefined && !globMatches(rule.username, client.username ?? '')) return false;
  if (rule.topic !== undefined && topic !== undefined) {
    const filter = rule.topic
      .replaceAll(CLIENT_ID_PLACEHOLDER, client.clientId)
      .replaceAll(USERNAME_PLACEHOLDER, client.username ?? '');
    // A shared request is judged by the filter inside `$share/{group}/` unless the rule names `$share/...`.
    const subject = innerFilter !== undefined && !filter.startsWith('$share/') ? innerFilter : topic;
    if (!topicMatches(filter, subject)) return false;
  }
  return true;
}

function globMatches(glob: string, value: string): boolean {
  const pattern = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.');
  return new RegExp(`^${pattern}$`).test(value);
}
