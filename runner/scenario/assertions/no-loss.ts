/** `no-loss: { qos }`: every acknowledged message reached its whole expected audience. */
import type { QoS } from '../../transports/transport.js';
import { type AssertionResolver, labelled } from '../resolver.js';

declare module '../types.js' {
  interface AssertionShapes {
    'no-loss': {
      /** Messages of at least this effective QoS must reach their audience (default 1). */
      minQos: QoS;
    };
  }
}

export const resolveNoLoss: AssertionResolver<'no-loss'> = (raw, _path, head) => {
  const minQos = (raw['no-loss']?.qos ?? 1) as QoS;
  return {
    ...head,
    label: labelled(raw.name, minQos === 1 ? 'no-loss' : `no-loss (QoS ≥ ${minQos})`),
    kind: 'no-loss',
    minQos,
  };
};
