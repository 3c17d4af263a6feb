/** What `authorized` and `denied` share: `{ client(s), action, topic }` (POL-2 actions). */
import type { DocPath } from '../../document/yaml.js';
import { type AssertionHead, labelled, type ResolveContext, refsText } from '../resolver.js';
import type { Assertion } from '../schema-types.js';

export type PolicyAction = 'connect' | 'publish' | 'retain-publish' | 'subscribe' | 'receive';

/** Resolved fields of both kinds. */
export interface AuthorizationShape {
  clients: string[];
  action: PolicyAction;
  /** publish/receive: a filter over topic names; subscribe: the filter as sent. */
  topic?: string;
}

export function resolveAuthorization<K extends 'authorized' | 'denied'>(
  kind: K,
  raw: Assertion,
  path: DocPath,
  head: AssertionHead,
  cx: ResolveContext,
): AssertionHead & { label: string; kind: K } & AuthorizationShape {
  const body = raw[kind] as NonNullable<Assertion['authorized']>;
  const p: DocPath = [...path, kind];
  const who = cx.clientOrClients(body, p, true);
  if (body.action === 'connect' && body.topic !== undefined) {
    cx.error([...p, 'topic'], '`topic` does not apply to connect (the resource is client/<client id>)');
  }
  const out: AssertionHead & { label: string; kind: K } & AuthorizationShape = {
    ...head,
    label: labelled(
      raw.name,
      `${kind} ${body.action}${body.topic === undefined ? '' : ` ${body.topic}`} for ${who === undefined ? '?' : refsText(who.refs)}`,
    ),
    kind,
    clients: who?.instances ?? [],
    action: body.action,
  };
  if (body.topic !== undefined) out.topic = body.topic;
  return out;
}
