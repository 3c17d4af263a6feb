/** `will: { of, receivers, received }`: a client's will was (or was not) delivered [MQTT-3.1.2-8]. */
import type { DocPath } from '../../document/yaml.js';
import { type AssertionResolver, labelled, refsText } from '../resolver.js';
import type { ResolvedStep } from '../types.js';

declare module '../types.js' {
  interface AssertionShapes {
    will: {
      /** Whose will. */
      of: string;
      receivers: string[];
      received: boolean;
    };
  }
}

/** DISCONNECT reason 0x04 "Disconnect with Will Message" also publishes the will [MQTT-3.14.4-3]. */
const WITH_WILL = 0x04;

export const resolveWill: AssertionResolver<'will'> = (raw, path, head, cx) => {
  const w = raw.will as NonNullable<(typeof raw)['will']>;
  const p: DocPath = [...path, 'will'];
  const of = cx.clients(w.of, [...p, 'of']);
  const owner = of[0] ?? '';
  if (of.length > 1) {
    cx.error([...p, 'of'], `"${w.of}" names ${of.length} clients; name one instance, e.g. ${owner}`);
  } else if (of.length === 1) {
    const declared = owner.replace(/\[\d+\]$/, '');
    if (cx.declarationOf(owner)?.will === undefined) {
      cx.error(
        [...p, 'of'],
        `${owner} declares no will; add \`will: { topic: ... }\` to clients.${declared}`,
      );
    } else if (w.received !== false && !firesWill(owner, cx.resolvedSteps())) {
      cx.warn(
        [...p, 'of'],
        `no step disconnects ${owner} abruptly, so the broker has no reason to publish its will [MQTT-3.1.2-8]`,
      );
    }
  }
  const received = w.received ?? true;
  return {
    ...head,
    label: labelled(
      raw.name,
      `will of ${w.of} ${received ? 'received by' : 'not received by'} ${refsText(w.receivers)}`,
    ),
    kind: 'will',
    of: owner,
    receivers: cx.clients(w.receivers, [...p, 'receivers']),
    received,
  };
};

// --- internal ---

function firesWill(instance: string, steps: readonly ResolvedStep[]): boolean {
  return steps.some(
    (s) =>
      (s.kind === 'disconnect' &&
        (s.how === 'abrupt' || s.reasonCode === WITH_WILL) &&
        s.clients.includes(instance)) ||
      // A link that goes silent or breaks: the keep-alive timeout [MQTT-3.1.2-22] or the broken
      // connection makes the broker publish the will.
      ((s.kind === 'partition' || (s.kind === 'fault' && CUTTING_FAULTS.has(s.spec.kind))) &&
        s.clients.includes(instance)),
  );
}

const CUTTING_FAULTS = new Set(['blackhole', 'reset', 'limit-data', 'down', 'slow-close']);
