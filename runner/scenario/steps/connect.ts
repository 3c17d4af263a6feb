/** `connect: <clients>` or `{ clients }`: the first connection of each client. */
import { labelled, refsText, type StepResolver, stepBody } from '../resolver.js';
import { shorthandClients } from './_clients.js';

export const resolveConnect: StepResolver<'connect'> = (node, head, cx) => {
  const { refs, path } = shorthandClients(stepBody(node, 'connect'), [...node.path, 'connect']);
  const clients = cx.clients(refs, path);
  return {
    step: { ...head, kind: 'connect', label: labelled(node.raw.name, `connect ${refsText(refs)}`), clients },
    clients: { instances: clients, path, effect: 'connect' },
  };
};
