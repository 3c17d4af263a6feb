/** `subscribe: { clients, filter | filters, qos, noLocal, ... }`: subscriptions made during the run. */
import type { DocPath } from '../../document/yaml.js';
import { labelled, refsText, type StepResolver, stepBody } from '../resolver.js';
import { resolveSubscription } from '../subscription.js';

export const resolveSubscribe: StepResolver<'subscribe'> = (node, head, cx) => {
  const sub = stepBody(node, 'subscribe');
  const sp: DocPath = [...node.path, 'subscribe'];
  const clients = cx.clients(sub.clients, [...sp, 'clients']);
  const old = cx.v311(clients);
  if ((sub.filter === undefined) === (sub.filters === undefined)) {
    cx.error(
      sp,
      sub.filter === undefined
        ? 'needs `filter` (one) or `filters` (several)'
        : 'give either `filter` or `filters`, not both',
    );
  }
  const subscriptions =
    sub.filter !== undefined
      ? [resolveSubscription({ ...sub, filter: sub.filter }, undefined, [...sp, 'filter'], old, cx, sp)]
      : (sub.filters ?? []).map((f, i) => resolveSubscription(f, sub, [...sp, 'filters', i], old, cx));
  const qoses = [...new Set(subscriptions.map((r) => r.qos))];
  const label = labelled(
    node.raw.name,
    `subscribe ${refsText(sub.clients)} → ${subscriptions.map((r) => r.filter).join(', ')}${
      qoses.length === 1 ? ` (QoS${qoses[0]})` : ''
    }`,
  );
  return {
    step: { ...head, kind: 'subscribe', label, clients, subscriptions },
    clients: { instances: clients, path: [...sp, 'clients'], effect: 'use', verb: 'subscribe' },
  };
};
