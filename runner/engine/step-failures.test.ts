/**
 * A step that fails, fails the scenario (README "Exit codes"): a broker that never answers or goes
 * away is an error with exit code 3, one that refuses what the scenario did not declare is an error
 * with exit code 1, and the error names the step. Each case against a broker that misbehaves on
 * purpose: a raw TCP server that stays silent, the embedded broker closed mid-burst, an ACL that
 * refuses. Declared refusals and disconnects are the behaviour under test and let the scenario go on.
 */
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { type AclRule, createAclAuthorizer, startBroker } from '../../broker/index.js';
import type { ScenarioResult } from '../results.js';
import type { StartedTarget } from '../targets/target.js';
import { type AssertionInput, client, type StepInput, scenario } from '../verdict/_fixtures.js';
import { runScenario } from './run-scenario.js';

function urlTarget(url: string): StartedTarget {
  return {
    name: 'test',
    kind: 'url',
    behaviour: 'mosquitto',
    transport: 'mqttjs',
    url,
    capabilities: { outlivesRun: false, connectPacingMs: 0 },
    connectionFor: () => ({ url, transport: 'mqttjs' }),
    close: async () => {},
  };
}

function explain(r: ScenarioResult): string {
  return JSON.stringify(
    { status: r.status, error: r.error, steps: r.steps, assertions: r.assertions },
    null,
    1,
  );
}

const run = (s: ReturnType<typeof scenario>, target: StartedTarget, timeoutMs?: number) =>
  runScenario(s, {
    target,
    reporter: {},
    signal: new AbortController().signal,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });

/**
 * A TCP server that accepts and then says nothing (`silent`), or answers CONNECT with a CONNACK
 * and then nothing more (`connack-only`).
 */
async function mute(t: { after(fn: () => void): void }, mode: 'silent' | 'connack-only'): Promise<string> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('data', (data: Buffer) => {
      if (mode !== 'connack-only') return;
      // CONNECT: fixed header, remaining length, "MQTT" (2+4 bytes), then the protocol level.
      let i = 1;
      while ((data[i] as number) & 0x80) i++;
      const level = data[i + 7];
      socket.write(level === 5 ? Buffer.from([0x20, 3, 0, 0, 0]) : Buffer.from([0x20, 2, 0, 0]));
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return `mqtt://127.0.0.1:${(server.address() as { port: number }).port}`;
}

async function aclBroker(t: { after(fn: () => void): void }, rules: AclRule[]): Promise<StartedTarget> {
  const broker = await startBroker({
    profile: 'mosquitto',
    authorize: createAclAuthorizer({ default: 'allow', rules }),
  });
  t.after(() => broker.close());
  return urlTarget(broker.urls.mqtt as string);
}

const publish = (from: string, topic: string, count: number, extra: Partial<StepInput> = {}): StepInput =>
  ({
    kind: 'publish',
    from: [from],
    topic,
    count,
    qos: 1,
    retain: false,
    payload: { kind: 'text', text: 'x' },
    identity: 'header',
    ...extra,
  }) as StepInput;

test('a broker that accepts TCP and never answers: no CONNACK before the deadline, error exit 3 naming the connect', async (t) => {
  const url = await mute(t, 'silent');
  const r = await run(
    scenario({ clients: [client('a')], steps: [{ kind: 'connect', clients: ['a'] }] }),
    urlTarget(url),
    1500,
  );
  assert.equal(r.status, 'errored', explain(r));
  assert.equal(r.error?.exitCode, 3);
  assert.match(r.error?.message ?? '', /no CONNACK/);
  assert.equal(r.error?.step?.ref, 1);
  assert.equal(r.steps[0]?.status, 'failed');
});

test('a broker that sends CONNACK then goes silent: no SUBACK, no PUBACK; each is an error exit 3 naming its step', async (t) => {
  const url = await mute(t, 'connack-only');
  const sub = await run(
    scenario({
      clients: [client('a', { protocol: '3.1.1' })],
      steps: [
        { kind: 'connect', clients: ['a'] },
        { kind: 'subscribe', clients: ['a'], subscriptions: [{ filter: 'x/#', qos: 1 }] },
        { kind: 'wait', durationMs: 10 },
      ],
      expect: [{ kind: 'no-loss', minQos: 1 }],
    }),
    urlTarget(url),
    1500,
  );
  assert.equal(sub.status, 'errored', explain(sub));
  assert.equal(sub.error?.code, 'E_NO_ANSWER');
  assert.equal(sub.error?.exitCode, 3);
  assert.match(sub.error?.message ?? '', /no SUBACK before the scenario deadline \(1500 ms\)/);
  assert.equal(sub.error?.step?.ref, 2);
  assert.deepEqual(
    sub.steps.map((s) => s.status),
    ['passed', 'failed', 'skipped'],
  );
  assert.equal(sub.assertions[0]?.status, 'skipped', 'not evaluated');
  assert.match(sub.assertions[0]?.skipReason ?? '', /step \[2\] failed/);

  const pub = await run(
    scenario({
      clients: [client('a')],
      steps: [{ kind: 'connect', clients: ['a'] }, publish('a', 'x/1', 5)],
      timeoutMs: 60_000,
    }),
    urlTarget(url),
    1500,
  );
  assert.equal(pub.status, 'errored', explain(pub));
  assert.equal(pub.error?.code, 'E_NO_ANSWER');
  assert.equal(pub.error?.step?.ref, 2);
  assert.match(pub.error?.message ?? '', /not acknowledged before the scenario deadline/);
});

test('timeouts: a SUBACK that does not come within timeouts.subscribe fails the step before the deadline', async (t) => {
  const url = await mute(t, 'connack-only');
  const s = scenario({
    clients: [client('a')],
    steps: [
      { kind: 'connect', clients: ['a'] },
      { kind: 'subscribe', clients: ['a'], subscriptions: [{ filter: 'x/#', qos: 1 }] },
    ],
  });
  s.timeouts = { connectMs: 5000, subscribeMs: 300, ackMs: 5000 };
  const r = await run(s, urlTarget(url));
  assert.equal(r.error?.code, 'E_NO_ANSWER', explain(r));
  assert.match(r.error?.message ?? '', /no SUBACK within 300 ms/);
});

test('the broker goes away mid-publish: the publish step fails, the scenario is an error (exit 3), assertions not evaluated', async (t) => {
  const broker = await startBroker({ profile: 'mosquitto' });
  t.after(() => broker.close());
  const target = urlTarget(broker.urls.mqtt as string);
  const s = scenario({
    clients: [
      client('sub', { subscriptions: [{ filter: 'gone/t', qos: 1 }] }),
      client('pub', { clientId: `gone-pub-${process.pid}` }),
    ],
    steps: [
      { kind: 'connect', clients: ['sub', 'pub'] },
      publish('pub', 'gone/t', 2000, { ratePerSecond: 400 }),
      { kind: 'settle', timeoutMs: 2000, quietMs: 0 },
    ],
    expect: [{ kind: 'no-loss', minQos: 1 }],
  });
  const r = await runScenario(s, {
    target,
    signal: new AbortController().signal,
    reporter: {
      onStepStart: (_info, step) => {
        if (step.kind === 'publish') setTimeout(() => void broker.close(), 300);
      },
    },
  });
  assert.equal(r.status, 'errored', explain(r));
  assert.equal(r.error?.code, 'E_CONNECTION_LOST');
  assert.equal(r.error?.exitCode, 3);
  assert.equal(r.error?.step?.ref, 2);
  assert.equal(r.steps[1]?.status, 'failed');
  assert.match(r.steps[1]?.error ?? '', /connection lost/);
  assert.equal(r.steps[2]?.status, 'skipped');
  assert.equal(r.assertions[0]?.status, 'skipped', 'no-loss is not judged on what went out before the loss');
});

test('a refused subscription the scenario did not declare fails the step (exit 1); declared, it is the behaviour under test', async (t) => {
  const target = await aclBroker(t, [
    { action: 'subscribe', topic: 'secret/#', allow: false, reasonCode: 0x87 },
  ]);
  const steps: StepInput[] = [
    { kind: 'connect', clients: ['a'] },
    { kind: 'subscribe', clients: ['a'], subscriptions: [{ filter: 'secret/x', qos: 1 }] },
    { kind: 'wait', durationMs: 10 },
  ];
  const undeclared = await run(scenario({ clients: [client('a')], steps }), target);
  assert.equal(undeclared.status, 'errored', explain(undeclared));
  assert.equal(undeclared.error?.code, 'E_REFUSED');
  assert.equal(undeclared.error?.exitCode, 1);
  assert.equal(undeclared.error?.step?.ref, 2);
  assert.match(undeclared.error?.message ?? '', /SUBACK secret\/x: 0x87 Not authorized/);
  assert.match(undeclared.error?.message ?? '', /reason-code: \{ packet: suback, codes: \[0x87\] \}/);

  const expect: AssertionInput[] = [{ kind: 'reason-code', packet: 'suback', codes: [0x87] }];
  const declared = await run(scenario({ clients: [client('a')], steps, expect }), target);
  assert.equal(declared.status, 'passed', explain(declared));
  assert.deepEqual(
    declared.steps.map((s) => s.status),
    ['passed', 'passed', 'passed'],
  );
  // Declared for another code only: still a failure.
  const other: AssertionInput[] = [{ kind: 'reason-code', packet: 'suback', codes: [0x97] }];
  const wrong = await run(scenario({ clients: [client('a')], steps, expect: other }), target);
  assert.equal(wrong.error?.code, 'E_REFUSED', explain(wrong));
});

test('a refused publish the scenario did not declare fails the step (exit 1); declared, the scenario goes on', async (t) => {
  const target = await aclBroker(t, [{ action: 'publish', topic: 'ro/#', allow: false, reasonCode: 0x87 }]);
  const steps: StepInput[] = [{ kind: 'connect', clients: ['a'] }, publish('a', 'ro/t', 3)];
  const undeclared = await run(scenario({ clients: [client('a')], steps }), target);
  assert.equal(undeclared.error?.code, 'E_REFUSED', explain(undeclared));
  assert.equal(undeclared.error?.exitCode, 1);
  assert.match(undeclared.error?.message ?? '', /refused publish #1 to ro\/t \(PUBACK 0x87 Not authorized\)/);
  const expect: AssertionInput[] = [{ kind: 'reason-code', packet: 'puback', codes: [0x87] }];
  const declared = await run(scenario({ clients: [client('a')], steps, expect }), target);
  assert.equal(declared.status, 'passed', explain(declared));
});

test('a disconnect by the broker is recorded with its reason code: declared, a note; undeclared, an error', async (t) => {
  const target = await aclBroker(t, [
    { action: 'publish', topic: 'kick/#', allow: false, reasonCode: 0x87, disconnect: true },
  ]);
  const steps: StepInput[] = [
    { kind: 'connect', clients: ['a'] },
    publish('a', 'kick/t', 1, { qos: 0 }),
    { kind: 'wait', durationMs: 300 },
  ];
  const undeclared = await run(scenario({ clients: [client('a')], steps }), target);
  assert.equal(undeclared.error?.code, 'E_CONNECTION_LOST', explain(undeclared));
  assert.match(undeclared.error?.message ?? '', /broker sent DISCONNECT 0x87/);
  assert.deepEqual(
    undeclared.connectionLosses?.map((l) => [l.client, l.step, l.reasonCode, l.declared]),
    [['a', 2, 0x87, false]],
  );
  const expect: AssertionInput[] = [
    { kind: 'reason-code', packet: 'disconnect', clients: ['a'], codes: [0x87] },
  ];
  const declared = await run(scenario({ clients: [client('a')], steps, expect }), target);
  assert.equal(declared.status, 'passed', explain(declared));
  assert.match(
    declared.steps.flatMap((s) => s.notes).join('\n'),
    /closed by the broker as declared \(broker sent DISCONNECT 0x87/,
  );
  assert.equal(declared.connectionLosses?.[0]?.declared, true);
});

test('a publish from a client that is not connected fails the step (exit 1)', async (t) => {
  const broker = await startBroker({ profile: 'mosquitto' });
  t.after(() => broker.close());
  const r = await run(
    scenario({
      clients: [client('a')],
      steps: [
        { kind: 'connect', clients: ['a'] },
        { kind: 'disconnect', clients: ['a'], how: 'graceful' },
        publish('a', 'x/t', 1),
      ],
    }),
    urlTarget(broker.urls.mqtt as string),
  );
  assert.equal(r.error?.code, 'E_NOT_CONNECTED', explain(r));
  assert.equal(r.error?.exitCode, 1);
  assert.equal(r.error?.step?.ref, 3);
});

test('a settle that times out with messages pending is a warning with the count, not ✔, and not a failure', async (t) => {
  // The subscriber may not receive (receive refused): the messages stay owed and never come.
  const target = await aclBroker(t, [{ action: 'receive', topic: 'held/#', allow: false }]);
  const r = await run(
    scenario({
      clients: [client('sub', { subscriptions: [{ filter: 'held/#', qos: 1 }] }), client('pub')],
      steps: [
        { kind: 'connect', clients: ['sub', 'pub'] },
        publish('pub', 'held/t', 3),
        { kind: 'settle', timeoutMs: 300, quietMs: 0 },
      ],
    }),
    target,
  );
  assert.equal(r.status, 'passed', explain(r));
  assert.equal(r.steps[2]?.status, 'warning');
  assert.match(r.steps[2]?.notes[0] ?? '', /timed out after \d+ ms with 3 of 3 messages pending/);
});
