/** `ordered: { per, clients }`: each receiver got each publisher's messages in publish order [MQTT-4.6.0-5]. */
import { type AssertionResolver, labelled } from '../resolver.js';

declare module '../types.js' {
  interface AssertionShapes {
    ordered: { per: 'publisher'; clients?: string[] };
  }
}

export const resolveOrdered: AssertionResolver<'ordered'> = (raw, path, head, cx) => {
  const body = raw.ordered ?? {};
  const out: ReturnType<AssertionResolver<'ordered'>> = {
    ...head,
    label: labelled(raw.name, 'ordered per publisher'),
    kind: 'ordered',
    per: 'publisher',
  };
  if (body.clients !== undefined) out.clients = cx.clients(body.clients, [...path, 'ordered', 'clients']);
  return out;
};
