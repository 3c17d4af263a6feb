/**
 * A good file becomes the expected ResolvedScenario: defaults, count expansion, client ids,
 * interpolation (secrets kept out of `vars`), durations in ms / seconds, comparisons, pre-order
 * step refs, assertion windows resolved to refs, labels; and the result is frozen.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatIssue } from '../errors.js';
import { loadScenario } from './index.js';
import type { ResolvedScenario } from './types.js';

const SCENARIO = `# yaml-language-server: $schema=../schemas/scenario.schema.json
name: shared queue \${group}
description: >
  Three persistent subscribers share a group.
timeout: 90s
vars:
  topic: test/shared/messages
  group: queue-group
  secret: \${env:MQSCEN_PASSWORD}
clients:
  subscriber:
    count: 3
    clientId: "{run}-sub-{n:02}"
    session: { clean: false, expiry: 1h }
    keepalive: 1.5s
    subscriptions:
      - { filter: "$share/\${group}/\${topic}", qos: 1 }
  publisher:
    credentials: { username: pub, password: "\${secret}" }
  sensor:
    protocol: 3.1.1
    will: { topic: "sensors/{name}/status", payload: { json: { online: false } }, qos: 1, retain: true }
steps:
  - connect: all
  - id: burst
    publish:
      from: publisher
      topic: \${topic}
      count: 20
      qos: 1
      rate: 10/100ms
      payload: { size: 64 }
      properties: { messageExpiry: 30s, userProperties: { k: v, n: 1 } }
  - parallel:
      - disconnect: { clients: "subscriber[2]", how: abrupt }
      - disconnect: { clients: sensor, how: abrupt }
  - wait: 250ms
  - reconnect: subscriber[2]
  - settle: { timeout: 10s, quiet: 500ms }
  - subscribe: { clients: "subscriber[1..2]", filters: [a/b, { filter: c/#, qos: 2 }], qos: 1 }
expect:
  - no-loss: {}
  - received: { client: "subscriber[2]", after: reconnect, before: subscribe, count: ">= 0" }
  - latency: { p95: "< 250ms", max: "< 2s" }
  - shared-group: { group: "\${group}", balance: "50%", every-member-receives: true }
  - session-present: { client: "subscriber[2]", expected: true, step: reconnect }
  - reason-code: { packet: connack, codes: [success, 135] }
  - name: will reaches subscribers
    on: aws-iot
    will: { of: sensor, receivers: subscriber }
`;

async function load(t: { after: (fn: () => Promise<void>) => void }): Promise<ResolvedScenario> {
  const dir = await mkdtemp(join(tmpdir(), 'mqscen-norm-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'queue.yaml');
  await writeFile(file, SCENARIO);
  const result = await loadScenario(file, { env: { MQSCEN_PASSWORD: 's3cret' }, runId: 'r1' });
  assert.ok(result.ok, result.ok ? '' : result.issues.map(formatIssue).join('\n'));
  assert.deepEqual(result.warnings, []);
  assert.equal(result.scenario.file, file);
  return result.scenario;
}

test('scenario-level fields, variables without secrets', async (t) => {
  const s = await load(t);
  assert.equal(s.name, 'shared queue queue-group');
  assert.equal(s.description, 'Three persistent subscribers share a group.');
  assert.equal(s.timeoutMs, 90_000);
  assert.deepEqual(s.vars, { topic: 'test/shared/messages', group: 'queue-group' });
  assert.ok(!JSON.stringify(s.vars).includes('s3cret'));
});

test('clients: count expansion, id templates, defaults, will, credentials from the environment', async (t) => {
  const s = await load(t);
  assert.deepEqual(s.clientGroups, {
    subscriber: ['subscriber[1]', 'subscriber[2]', 'subscriber[3]'],
    publisher: ['publisher'],
    sensor: ['sensor'],
  });
  assert.deepEqual(
    s.clients.map((c) => [c.name, c.declaredAs, c.index, c.clientId]),
    [
      ['subscriber[1]', 'subscriber', 1, 'r1-sub-01'],
      ['subscriber[2]', 'subscriber', 2, 'r1-sub-02'],
      ['subscriber[3]', 'subscriber', 3, 'r1-sub-03'],
      ['publisher', 'publisher', 1, 'publisher'],
      ['sensor', 'sensor', 1, 'sensor'],
    ],
  );
  const [sub2, pub, sensor] = [s.clients[1], s.clients[3], s.clients[4]];
  assert.deepEqual(sub2, {
    name: 'subscriber[2]',
    declaredAs: 'subscriber',
    index: 2,
    clientId: 'r1-sub-02',
    protocol: '5',
    clean: false,
    sessionExpiry: 3600,
    keepalive: 2,
    subscriptions: [{ filter: '$share/queue-group/test/shared/messages', qos: 1 }],
    resubscribe: 'if-no-session',
    source: { path: 'clients.subscriber', line: 11, column: 3 },
  });
  assert.equal(pub?.username, 'pub');
  assert.equal(pub?.password, 's3cret');
  assert.equal(pub?.clean, true);
  assert.equal(pub?.keepalive, 60);
  assert.equal(sensor?.protocol, '3.1.1');
  assert.deepEqual(sensor?.will, {
    topic: 'sensors/sensor/status',
    payload: { kind: 'json', value: { online: false } },
    identity: 'header',
    qos: 1,
    retain: true,
  });
});

test('steps: pre-order refs, ids, labels, shorthands, durations and rates', async (t) => {
  const s = await load(t);
  assert.deepEqual(
    s.steps.map((st) => [st.ref, st.kind, st.label]),
    [
      [1, 'connect', 'connect all'],
      [2, 'publish', 'publish 20 × QoS1 publisher → test/shared/messages'],
      [3, 'parallel', 'parallel: disconnect subscriber[2] (abrupt) ‖ disconnect sensor (abrupt)'],
      [6, 'wait', 'wait 250ms'],
      [7, 'reconnect', 'reconnect subscriber[2]'],
      [8, 'settle', 'settle ≤ 10s, quiet 500ms'],
      [9, 'subscribe', 'subscribe subscriber[1..2] → a/b, c/#'],
    ],
  );
  const [connect, publish, parallel] = s.steps;
  assert.deepEqual(connect?.kind === 'connect' && connect.clients, [
    'subscriber[1]',
    'subscriber[2]',
    'subscriber[3]',
    'publisher',
    'sensor',
  ]);
  assert.ok(publish?.kind === 'publish');
  assert.equal(publish.id, 'burst');
  assert.deepEqual(publish.from, ['publisher']);
  assert.equal(publish.ratePerSecond, 100);
  assert.deepEqual(publish.payload, { kind: 'size', bytes: 64 });
  assert.equal(publish.retain, false);
  assert.deepEqual(publish.properties, {
    messageExpiryInterval: 30,
    userProperties: [
      ['k', 'v'],
      ['n', '1'],
    ],
  });
  assert.ok(parallel?.kind === 'parallel');
  assert.deepEqual(
    parallel.steps.map((c) => [c.ref, c.kind, c.kind === 'disconnect' ? [c.clients, c.how] : null]),
    [
      [4, 'disconnect', [['subscriber[2]'], 'abrupt']],
      [5, 'disconnect', [['sensor'], 'abrupt']],
    ],
  );
  assert.equal(parallel.steps[0]?.source.path, 'steps[2].parallel[0]');
  const settle = s.steps[5];
  assert.deepEqual(settle?.kind === 'settle' && [settle.timeoutMs, settle.quietMs], [10_000, 500]);
  const subscribe = s.steps[6];
  assert.deepEqual(subscribe?.kind === 'subscribe' && [subscribe.clients, subscribe.subscriptions], [
    ['subscriber[1]', 'subscriber[2]'],
    [
      { filter: 'a/b', qos: 1 },
      { filter: 'c/#', qos: 2 },
    ],
  ]);
});

test('assertions: defaults, comparisons parsed, step names resolved to refs', async (t) => {
  const s = await load(t);
  const [noLoss, received, latency, group, session, reason, will] = s.expect;
  assert.deepEqual(noLoss, {
    index: 1,
    label: 'no-loss',
    kind: 'no-loss',
    minQos: 1,
    source: { path: 'expect[0]', line: 42, column: 5 },
  });
  assert.ok(received?.kind === 'received');
  assert.deepEqual(received.clients, ['subscriber[2]']);
  assert.deepEqual(received.count, { op: '>=', value: 0, text: '>= 0' });
  assert.deepEqual(received.window, { after: 7, before: 9 });
  assert.equal(received.label, 'received subscriber[2] >= 0 after reconnect before subscribe');
  assert.ok(latency?.kind === 'latency');
  assert.deepEqual(latency.percentiles, [
    { p: 95, bound: { op: '<', value: 250, text: '< 250ms' } },
    { p: 100, bound: { op: '<', value: 2000, text: '< 2s' } },
  ]);
  assert.ok(group?.kind === 'shared-group');
  assert.deepEqual(
    [group.group, group.eachMessage, group.everyMemberReceives, group.balanceTolerance],
    ['queue-group', 'once', true, 0.5],
  );
  assert.ok(session?.kind === 'session-present');
  assert.equal(session.step, 7);
  assert.ok(reason?.kind === 'reason-code');
  assert.deepEqual(reason.codes, [0, 135]);
  assert.ok(will?.kind === 'will');
  assert.deepEqual(
    [will.label, will.onlyOn, will.of, will.receivers, will.received],
    [
      'will reaches subscribers',
      ['aws-iot'],
      'sensor',
      ['subscriber[1]', 'subscriber[2]', 'subscriber[3]'],
      true,
    ],
  );
});

test('the result is deeply frozen', async (t) => {
  const s = await load(t);
  assert.ok(Object.isFrozen(s));
  assert.ok(Object.isFrozen(s.clients[0]?.subscriptions));
  assert.throws(() => {
    (s.steps as unknown[]).push({});
  }, TypeError);
});

test('{run} defaults to one id per process, shared by every file of a run', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mqscen-run-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const ids: string[] = [];
  for (const name of ['a.yaml', 'b.yaml']) {
    const file = join(dir, name);
    await writeFile(file, 'name: x\nclients:\n  c: { clientId: "{run}-{name}" }\nsteps:\n  - connect: c\n');
    const result = await loadScenario(file, { env: {} });
    assert.ok(result.ok);
    ids.push(result.scenario.clients[0]?.clientId ?? '');
  }
  assert.match(ids[0] ?? '', /^[0-9a-z]{6}-c$/);
  assert.equal(ids[0], ids[1]);
});

test('--var values override the file and are taken literally', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mqscen-var-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'v.yaml');
  await writeFile(
    file,
    'name: x\nvars: { t: a/b }\nclients:\n  c: {}\nsteps:\n  - connect: c\n  - publish: { from: c, topic: "${t}/$${literal}" }\n',
  );
  const result = await loadScenario(file, { env: {}, vars: { t: 'x/y' } });
  assert.ok(result.ok, result.ok ? '' : result.issues.map(formatIssue).join('\n'));
  const publish = result.scenario.steps[1];
  assert.equal(publish?.kind === 'publish' && publish.topic, 'x/y/${literal}');
  assert.deepEqual(result.scenario.vars, { t: 'x/y' });
});

test('x- keys hold YAML anchors that clients reuse with merge keys', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mqscen-anchor-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'a.yaml');
  await writeFile(
    file,
    'name: x\nx-persistent: &persistent\n  session: { clean: false, expiry: 5m }\nclients:\n  a:\n    <<: *persistent\n    count: 2\nsteps:\n  - connect: a\n',
  );
  const result = await loadScenario(file, { env: {} });
  assert.ok(result.ok, result.ok ? '' : result.issues.map(formatIssue).join('\n'));
  assert.deepEqual(
    result.scenario.clients.map((c) => [c.name, c.clean, c.sessionExpiry]),
    [
      ['a[1]', false, 300],
      ['a[2]', false, 300],
    ],
  );
});
