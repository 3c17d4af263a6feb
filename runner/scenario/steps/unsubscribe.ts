/** `unsubscribe: { clients, filter | filters }`. */
import type { DocPath } from '../../document/yaml.js';
import { labelled, refsText, type StepResolver, stepBody } from '../resolver.js';

export const resolveUnsubscribe: StepResolver<'unsubscribe'> = (node, head, cx) => {
  const u = stepBody(node, 'unsubscribe');
  const up: DocPath = [...node.path, 'unsubscribe'];
  const clients = cx.clients(u.clients, [...up, 'clients']);
  if ((u.filter === undefined) === (u.filters === undefined)) {
    cx.error(
      up,
      u.filter === undefined
        ? 'needs `filter` (one) or `filters` (several)'
        : 'give either `filter` or `filters`, not both',
    );
  }
  const written =
    u.filter !== undefined
      ? [[u.filter, [...up, 'filter']] as const]
      : (u.filters ?? []).map((f, i) => [f, [...up, 'filters', i]] as const);
  for (const [f, fp] of written) cx.topicFilter(f, fp);
  const filters = written.map(([f]) => f);
  return {
    step: {
      ...head,
      kind: 'unsubscribe',
      label: labelled(node.raw.name, `unsubscribe ${refsText(u.clients)} from ${filters.join(', ')}`),
      clients,
      filters,
    },
    clients: { instances: clients, path: [...up, 'clients'], effect: 'use', verb: 'unsubscribe' },
  };
};
