/**
 * Per-subscription accounting and the broker's word on sessions, end to end on real brokers: the
 * embedded broker (aws-iot and mosquitto profiles) and a real Mosquitto. Each case is one that
 * counting per client got wrong: a correct broker must pass, a lossy one must be named.
 *
 * Glossary: `targets()` the three targets (Mosquitto only when installed); `run(s, target)` one
 * runScenario; `explain(r)` the result in one JSON line for assertion messages.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runScenario } from '../runner/engine/run-scenario.js';
import type { ScenarioResult } from '../runner/results.js';
import { startEmbeddedTarget } from '../runner/targets/embedded.js';
import { resolveTarget } from '../runner/targets/index.js';
import { findMosquitto, startMosquittoTarget } from '../runner/targets/mosquitto.js';
import type { StartedTarget } from '../runner/targets/target.js';
import { type AssertionInput, client, type StepInput, scenario } from '../runner/verdict/_fixtures.js';

const mosquittoSkip = (() => {
  try {
    findMosquitto();
    return false;
  } catch {
    return 'mosquitto is not installed (apt-get install -y mosquitto)';
  }
})();

type Started = { name: string; target: StartedTarget };

async function targets(t: { after: (fn: () => Promise<void>) => void }): Promise<Started[]> {
  const out: Started[] = [];
  for (const profile of ['aws-iot', 'mosquitto'] as const) {
    const target = await startEmbeddedTarget({ profile });
    t.after(() => target.close());
    out.push({ name: `embedded:${profile}`, target });
  }
  if (!mosquittoSkip) {
    const target = await startMosquittoTarget();
    t.after(() => target.close());
    out.push({ name: 'mosquitto', target });
  }
  return out;
}

function run(s: ReturnType<typeof scenario>, target: StartedTarget): Promise<ScenarioResult> {
  return runScenario(s, { target, reporter: {}, signal: new AbortController().signal });
}

function explain(r: ScenarioResult): string {
  return JSON.stringify({
    status: r.status,
    error: r.error,
    steps: r.steps.map((s) => `${s.ref} ${s.status} ${s.notes.join(' | ')} ${s.error ?? ''}`),
    assertions: r.assertions.map((a) => `${a.label}: ${a.status} ${a.actual} ${a.details.join(' / ')}`),
  });
}

const publish = (topic: string, count: number): StepInput => ({
  kind: 'publish',
  from: ['publisher'],
  topic,
  count,
  qos: 1,
  retain: false,
  payload: { kind: 'text', text: 'x' },
});
const settle: StepInput = { kind: 'settle', timeoutMs: 5000, quietMs: 200 };
const verdicts = (group: string): AssertionInput[] => [
  { kind: 'no-loss', minQos: 1 },
  { kind: 'duplicates', max: 0, allow: ['redelivery', 'extra-copy'] },
  { kind: 'shared-group', group, eachMessage: 'once', everyMemberReceives: false },
];
const id = (name: string, tag: string) => `acct-${tag}-${name}-${process.pid}`;

test('a client that is both group member and plain subscriber: both copies owed, none a duplicate (SS-7)', async (t) => {
  for (const { name, target } of await targets(t)) {
    const tag = name.replace(/\W/g, '');
    const s = scenario({
      name: `member and subscriber on ${name}`,
      clients: [
        client('both', {
          clientId: id('both', tag),
          subscriptions: [
            { filter: `$share/g/${tag}/t`, qos: 1 },
            { filter: `${tag}/t`, qos: 1 },
          ],
        }),
        client('member', {
          clientId: id('member', tag),
          subscriptions: [{ filter: `$share/g/${tag}/t`, qos: 1 }],
        }),
        client('publisher', { clientId: id('pub', tag) }),
      ],
      steps: [{ kind: 'connect', clients: ['both', 'member', 'publisher'] }, publish(`${tag}/t`, 20), settle],
      expect: verdicts('g'),
    });
    const r = await run(s, target);
    assert.equal(r.status, 'passed', `${name}: ${explain(r)}`);
  }
});

test('a member of two groups gets one copy per group, none a duplicate (SS-6)', async (t) => {
  for (const { name, target } of await targets(t)) {
    const tag = `two${name.replace(/\W/g, '')}`;
    const s = scenario({
      name: `two groups on ${name}`,
      clients: [
        client('twice', {
          clientId: id('twice', tag),
          subscriptions: [
            { filter: `$share/g/${tag}/t`, qos: 1 },
            { filter: `$share/h/${tag}/t`, qos: 1 },
          ],
        }),
        client('other', {
          clientId: id('other', tag),
          subscriptions: [{ filter: `$share/h/${tag}/t`, qos: 1 }],
        }),
        client('publisher', { clientId: id('pub', tag) }),
      ],
      steps: [{ kind: 'connect', clients: ['twice', 'other', 'publisher'] }, publish(`${tag}/t`, 20), settle],
      expect: [...verdicts('g'), verdicts('h')[2] as AssertionInput],
    });
    const r = await run(s, target);
    assert.equal(r.status, 'passed', `${name}: ${explain(r)}`);
  }
});

test('aws-iot: a member that joins after every member went offline drains the group queue and is credited (MQ-6)', async (t) => {
  const target = await startEmbeddedTarget({ profile: 'aws-iot' });
  t.after(() => target.close());
  const filter = '$share/q/late/t';
  const member = (n: number) =>
    client(`member[${n}]`, {
      clientId: id(`m${n}`, 'late'),
      clean: false,
      sessionExpiry: 3600,
      subscriptions: [{ filter, qos: 1 }],
    });
  const s = scenario({
    name: 'late joiner',
    clients: [
      member(1),
      member(2),
      client('joiner', { clientId: id('joiner', 'late'), subscriptions: [{ filter, qos: 1 }] }),
      client('publisher', { clientId: id('pub', 'late') }),
    ],
    steps: [
      { kind: 'connect', clients: ['member[1]', 'member[2]', 'publisher'] },
      { kind: 'disconnect', clients: ['member[1]', 'member[2]'], how: 'graceful' },
      publish('late/t', 10),
      { kind: 'connect', clients: ['joiner'] },
      { kind: 'settle', timeoutMs: 5000, quietMs: 0 },
    ],
    expect: verdicts('q'),
  });
  const r = await run(s, target);
  assert.equal(r.status, 'passed', explain(r));
  assert.match(r.assertions[2]?.actual ?? '', /10 messages distributed: .*joiner 10/);
});

test('Mosquitto drops half the queue of a persistent MQTT 5 subscriber (sessionPresent=1): the missing ones are lost and named', {
  skip: mosquittoSkip,
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mqscen-lossy-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'targets.yaml');
  writeFileSync(file, 'lossy:\n  kind: mosquitto\n  websockets: false\n  maxQueuedMessages: 5\n');
  const def = await resolveTarget('lossy', { targetsFile: file, cwd: dir, env: {} });
  const target = await def.start();
  t.after(() => target.close());
  const s = scenario({
    name: 'lossy queue',
    clients: [
      client('subscriber', {
        clientId: id('sub', 'lossy'),
        clean: false,
        sessionExpiry: 3600,
        subscriptions: [{ filter: 'lossy/t', qos: 1 }],
      }),
      client('publisher', { clientId: id('pub', 'lossy') }),
    ],
    steps: [
      { kind: 'connect', clients: ['subscriber', 'publisher'] },
      { kind: 'disconnect', clients: ['subscriber'], how: 'graceful' },
      publish('lossy/t', 10),
      { kind: 'reconnect', clients: ['subscriber'] },
      { kind: 'settle', timeoutMs: 1500, quietMs: 0 },
    ],
    expect: [
      { kind: 'no-loss', minQos: 1 },
      { kind: 'session-present', clients: ['subscriber'], expected: true, step: 4 },
    ],
  });
  const r = await run(s, target);
  assert.equal(r.status, 'failed', explain(r));
  assert.equal(r.assertions[1]?.status, 'passed', explain(r));
  assert.equal(r.assertions[0]?.actual, '5 lost: publisher#6..#10 (expected by subscriber)', explain(r));
  assert.match(r.assertions[0]?.details[0] ?? '', /came back with it/);
});

test('overlapping a/# and a/+ of one client: one copy per subscription is no duplicate, MQTT 5 and 3.1.1 [MQTT-3.3.4-2]', async (t) => {
  for (const { name, target } of await targets(t)) {
    for (const protocol of ['5', '3.1.1'] as const) {
      const tag = `ov${protocol.replace('.', '')}${name.replace(/\W/g, '')}`;
      const s = scenario({
        name: `overlap on ${name} (${protocol})`,
        clients: [
          client('sub', {
            clientId: id('sub', tag),
            protocol,
            subscriptions: [
              { filter: `${tag}/#`, qos: 1 },
              { filter: `${tag}/+`, qos: 1 },
            ],
          }),
          client('publisher', { clientId: id('pub', tag), protocol }),
        ],
        steps: [{ kind: 'connect', clients: ['sub', 'publisher'] }, publish(`${tag}/x`, 10), settle],
        expect: [
          { kind: 'no-loss', minQos: 1 },
          { kind: 'duplicates', max: 0, allow: ['redelivery', 'extra-copy'] },
        ],
      });
      const r = await run(s, target);
      assert.equal(r.status, 'passed', `${name} ${protocol}: ${explain(r)}`);
    }
  }
});

test('no-loss counts only what was owed: a clean session offline is owed nothing, and when none was owed it says so [MQTT-3.1.2-5]', async (t) => {
  for (const { name, target } of await targets(t)) {
    const tag = `clean${name.replace(/\W/g, '')}`;
    const subscriber = client('subscriber', {
      clientId: id('sub', tag),
      clean: true,
      subscriptions: [{ filter: `${tag}/t`, qos: 1 }],
    });
    const publisher = client('publisher', { clientId: id('pub', tag) });
    const away: StepInput[] = [
      { kind: 'disconnect', clients: ['subscriber'], how: 'graceful' },
      publish(`${tag}/t`, 5),
      { kind: 'reconnect', clients: ['subscriber'], clean: true },
      settle,
    ];
    const some = await run(
      scenario({
        name: `clean offline on ${name}`,
        clients: [subscriber, publisher],
        steps: [
          { kind: 'connect', clients: ['subscriber', 'publisher'] },
          publish(`${tag}/t`, 5),
          settle,
          ...away,
        ],
        expect: [{ kind: 'no-loss', minQos: 1 }],
      }),
      target,
    );
    const noLoss = some.assertions[0];
    assert.equal(noLoss?.status, 'passed', `${name}: ${explain(some)}`);
    assert.equal(noLoss?.actual, '5 of 5 owed deliveries arrived (5 not owed)', `${name}: ${explain(some)}`);

    const none = await run(
      scenario({
        name: `clean offline only on ${name}`,
        clients: [subscriber, publisher],
        steps: [{ kind: 'connect', clients: ['subscriber', 'publisher'] }, ...away],
        expect: [{ kind: 'no-loss', minQos: 1 }],
      }),
      target,
    );
    assert.equal(none.assertions[0]?.status, 'passed', `${name}: ${explain(none)}`);
    assert.equal(
      none.assertions[0]?.actual,
      'none of 5 deliveries was owed (sessions gone or expired; details say why)',
      `${name}: ${explain(none)}`,
    );
  }
});
