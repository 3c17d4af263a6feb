/** `reconnect: <clients>` or `{ clients, clean }`: connect again, resuming the session unless `clean`. */
import { isObject } from '../../document/value.js';
import { labelled, refsText, type StepResolver, stepBody } from '../resolver.js';
import { connectPace, shorthandClients } from './_clients.js';

export const resolveReconnect: StepResolver<'reconnect'> = (node, head, cx) => {
  const body = stepBody(node, 'reconnect');
  const { refs, path } = shorthandClients(body, [...node.path, 'reconnect']);
  const clean = isObject(body) ? (body as { clean?: boolean }).clean : undefined;
  const clients = cx.clients(refs, path);
  const label = labelled(
    node.raw.name,
    `reconnect ${refsText(refs)}${clean === true ? ' (clean start)' : ''}${
      isObject(body) && (body as { protocol?: unknown }).protocol !== undefined
        ? ` as MQTT ${String((body as { protocol?: unknown }).protocol)}`
        : ''
    }`,
  );
  const step: ReturnType<StepResolver<'reconnect'>>['step'] = { ...head, kind: 'reconnect', label, clients };
  if (clean !== undefined) step.clean = clean;
  const protocol = isObject(body) ? (body as { protocol?: string | number }).protocol : undefined;
  if (protocol !== undefined) step.protocol = String(protocol) === '3.1.1' ? '3.1.1' : '5';
  const pace = connectPace(body, [...node.path, 'reconnect'], cx);
  if (pace !== undefined) step.pace = pace;
  return { step, clients: { instances: clients, path, effect: 'reconnect' } };
};
