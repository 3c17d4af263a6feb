/** `connect: <clients>` or `{ clients, rate, concurrency }`: the first connection of each client. */
import { labelled, refsText, type StepResolver, stepBody } from '../resolver.js';
import { connectPace, shorthandClients } from './_clients.js';

export const resolveConnect: StepResolver<'connect'> = (node, head, cx) => {
  const body = stepBody(node, 'connect');
  const { refs, path } = shorthandClients(body, [...node.path, 'connect']);
  const clients = cx.clients(refs, path);
  const pace = connectPace(body, [...node.path, 'connect'], cx);
  const step: ReturnType<StepResolver<'connect'>>['step'] = {
    ...head,
    kind: 'connect',
    label: labelled(node.raw.name, `connect ${refsText(refs)}`),
    clients,
  };
  if (pace !== undefined) step.pace = pace;
  return {
    step,
    clients: { instances: clients, path, effect: 'connect' },
  };
};
