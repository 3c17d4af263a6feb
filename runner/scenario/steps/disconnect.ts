/**
 * `disconnect: <clients>` or `{ clients, how, reasonCode, sessionExpiry }`: graceful (DISCONNECT
 * sent, no will [MQTT-3.14.4-3]) or abrupt (socket cut, the broker publishes the will
 * [MQTT-3.1.2-8]).
 */

import { isObject } from '../../document/value.js';
import type { DocPath } from '../../document/yaml.js';
import { labelled, refsText, type StepResolver, stepBody } from '../resolver.js';
import type { Step } from '../schema-types.js';
import { shorthandClients } from './_clients.js';

type DisconnectObject = Extract<NonNullable<Step['disconnect']>, { clients: unknown }>;

export const resolveDisconnect: StepResolver<'disconnect'> = (node, head, cx) => {
  const body = stepBody(node, 'disconnect');
  const at: DocPath = [...node.path, 'disconnect'];
  const { refs, path } = shorthandClients(body, at);
  const clients = cx.clients(refs, path);
  const obj = isObject(body) ? (body as DisconnectObject) : undefined;
  const how = obj?.how ?? 'graceful';
  const step: ReturnType<StepResolver<'disconnect'>>['step'] = {
    ...head,
    kind: 'disconnect',
    label: labelled(node.raw.name, `disconnect ${refsText(refs)} (${how})`),
    clients,
    how,
  };
  const old = cx.v311(clients);
  if (obj?.reasonCode !== undefined) {
    const rp: DocPath = [...at, 'reasonCode'];
    const code = cx.reasonCode(obj.reasonCode, rp);
    if (code !== undefined) step.reasonCode = code;
    if (how === 'abrupt') {
      cx.error(
        rp,
        'an abrupt disconnect sends no DISCONNECT packet, so no reason code; remove it or use how: graceful',
      );
    }
    if (old.length > 0) cx.error(rp, `DISCONNECT reason codes are MQTT 5 only (${old.join(', ')} use 3.1.1)`);
  }
  if (obj?.sessionExpiry !== undefined) {
    const sp: DocPath = [...at, 'sessionExpiry'];
    const s = cx.interval(obj.sessionExpiry, sp, 'session expiry');
    if (s !== undefined) step.sessionExpiry = s;
    if (old.length > 0) cx.error(sp, `session expiry is MQTT 5 only (${old.join(', ')} use 3.1.1)`);
    // [MQTT-3.14.2-2]: a non-zero expiry on DISCONNECT is a protocol error if CONNECT had 0.
    const zero = clients.filter((i) => cx.declarationOf(i)?.session?.expiry === undefined);
    if (zero.length > 0 && s !== undefined && s > 0 && old.length === 0) {
      cx.error(
        sp,
        `${zero.join(', ')} connected with session expiry 0; a non-zero expiry on DISCONNECT is then a protocol error [MQTT-3.14.2-2]: set session.expiry on the client instead`,
      );
    }
  }
  return { step, clients: { instances: clients, path, effect: 'disconnect' } };
};
