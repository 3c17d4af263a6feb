/**
 * The scenario the engine benches time: three `$share` members and one publisher, a QoS 1 burst of
 * `count` messages, a settle, and the verdicts that prove nothing was lost on the way.
 */
import { type AssertionInput, client, scenario } from '../runner/verdict/_fixtures.js';

export interface BurstScenarioOptions {
  name: string;
  topic: string;
  group: string;
  count: number;
  /** Client ids are `${idPrefix}-sub-<i>` and `${idPrefix}-pub`; default ids when absent. */
  idPrefix?: string;
  /** Check duplicates too (default true). */
  duplicates?: boolean;
}

export function burstScenario(o: BurstScenarioOptions) {
  const ids = (name: string) => (o.idPrefix === undefined ? {} : { clientId: `${o.idPrefix}-${name}` });
  const subs = [1, 2, 3].map((i) =>
    client(`subscriber[${i}]`, {
      ...ids(`sub-${i}`),
      subscriptions: [{ filter: `$share/${o.group}/${o.topic}`, qos: 1 }],
    }),
  );
  const expect: AssertionInput[] = [{ kind: 'no-loss', minQos: 1 }];
  if (o.duplicates !== false)
    expect.push({ kind: 'duplicates', max: 0, allow: ['redelivery', 'extra-copy'] });
  expect.push({ kind: 'shared-group', group: o.group, eachMessage: 'once', everyMemberReceives: true });
  return scenario({
    name: o.name,
    clients: [...subs, client('publisher', ids('pub'))],
    steps: [
      { kind: 'connect', clients: ['subscriber[1]', 'subscriber[2]', 'subscriber[3]', 'publisher'] },
      {
        kind: 'publish',
        from: ['publisher'],
        topic: o.topic,
        count: o.count,
        qos: 1,
        retain: false,
        payload: { kind: 'text', text: 'hello' },
      },
      { kind: 'settle', timeoutMs: 120_000, quietMs: 0 },
    ],
    expect,
    timeoutMs: 300_000,
  });
}
