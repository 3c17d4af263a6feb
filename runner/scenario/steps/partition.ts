/**
 * `partition: <clients>` or `{ clients, for }`: the named clients are cut off the broker (nothing
 * passes either way, their connections stay open) while the others carry on, until `for` ends or
 * a `heal` step.
 */
import { isObject } from '../../document/value.js';
import type { DocPath } from '../../document/yaml.js';
import { writeDuration } from '../duration.js';
import { labelled, refsText, type StepResolver, stepBody } from '../resolver.js';
import { shorthandClients } from './_clients.js';
import { checkProxied } from './fault.js';

export const resolvePartition: StepResolver<'partition'> = (node, head, cx) => {
  const body = stepBody(node, 'partition');
  const at: DocPath = [...node.path, 'partition'];
  const { refs, path } = shorthandClients(body, at);
  const clients = cx.clients(refs, path);
  checkProxied(cx, clients, path);
  const forText = isObject(body) ? (body as { for?: string }).for : undefined;
  const durationMs = cx.duration(forText, [...at, 'for']);
  if (durationMs === 0)
    cx.error(
      [...at, 'for'],
      'a partition `for: 0` ends before it starts; give a duration or leave `for` out (until healed)',
    );
  const step: ReturnType<StepResolver<'partition'>>['step'] = {
    ...head,
    kind: 'partition',
    label: labelled(
      node.raw.name,
      `partition ${refsText(refs)}${durationMs === undefined ? '' : ` for ${writeDuration(durationMs)}`}`,
    ),
    clients,
  };
  if (durationMs !== undefined) step.durationMs = durationMs;
  return { step, clients: { instances: clients, path: path, effect: 'fault' } };
};
