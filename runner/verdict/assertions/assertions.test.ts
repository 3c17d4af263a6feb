import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ResolvedAssertion } from '../../scenario/types.js';
import { type AssertionInput, client, cmp, scenario } from '../_fixtures.js';
import { formatMessageHeader, formatWillHeader } from '../identity.js';
import { evaluateDeliveries } from '../oracle.js';
import { RunRecord } from '../record.js';
import { SessionModel } from '../session-model.js';
import { formatMessages } from './_format.js';
import type { AssertionContext } from './assertion.js';
import { evaluateAssertion } from './index.js';

const RUN = 'unit0001';
const clients = [
  client('subscriber[1]'),
  client('subscriber[2]'),
  client('subscriber[3]'),
  client('publisher'),
];
const sc = scenario({
  clients,
  steps: [
    { kind: 'connect', clients: clients.map((c) => c.name) },
    {
      kind: 'publish',
      from: ['publisher'],
      topic: 't',
      count: 20,
      qos: 1,
      retain: false,
      payload: { kind: 'text', text: 'x' },
    },
    { kind: 'settle', timeoutMs: 1000, quietMs: 0 },
  ],
});

/** 3 persistent members of group g on t; publisher sends 20 QoS 1; `got[i]` = seqs member i received. */
function run(
  got: number[][],
  opts: { offline?: number[] } = {},
): Omit<AssertionContext, 'scenario'> & { rec: RunRecord } {
  const m = new SessionModel(clients, { hashMatchesParent: true });
  for (const i of [0, 1, 2]) {
    m.connectStarted(i);
    m.connected(i, 0, { clean: false, sessionPresent: false, persistent: true, sessionExpiryMs: 3_600_000 });
    m.subscribed(i, [{ filter: '$share/g/t', code: 1, noLocal: false }]);
  }
  m.connected(3, 0, { clean: true, sessionPresent: false, persistent: false, sessionExpiryMs: 0 });
  const rec = new RunRecord(RUN, clients, new Map([[3, 20]]));
  const pub = rec.publishers[3];
  assert.ok(pub);
  rec.stepStarted(2, 0);
  pub.segments.push({
    index: 0,
    publisher: 3,
    stepRef: 2,
    topic: 't',
    qos: 1,
    retain: false,
    first: 0,
    end: 20,
    audience: m.audienceOf(3, 't', 1),
    version: m.version,
    owed: 20,
    startedAt: 0,
  });
  for (let s = 0; s < 20; s++) {
    pub.next++;
    pub.sendTime[s] = 100;
    pub.ackCode[s] = 0;
  }
  rec.stepEnded(2, 1);
  rec.stepStarted(3, 1);
  got.forEach((seqs, r) => {
    for (const s of seqs)
      rec.onMessage(r, 't', Buffer.from(`${formatMessageHeader(RUN, 3, s, 100)}x`), false, 100 + s);
  });
  rec.stepEnded(3, 2);
  for (const i of opts.offline ?? []) m.disconnected(i, 5);
  const end = m.snapshot();
  return {
    rec,
    record: rec,
    oracle: evaluateDeliveries(rec, end),
    end,
    behaviour: 'mosquitto',
    clientIndex: new Map(clients.map((c, i) => [c.name, i])),
  };
}

function check(a: AssertionInput, ctx: ReturnType<typeof run>) {
  const full = {
    label: a.kind,
    index: 1,
    source: { path: 'expect[0]', line: 3, column: 5 },
    ...a,
  } as ResolvedAssertion;
  return evaluateAssertion(full, { ...ctx, scenario: sc });
}

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

test('message names compress ranges, 1-based', () => {
  assert.equal(formatMessages('publisher', [[13, 16]]), 'publisher#14..#16');
  assert.equal(
    formatMessages('p', [
      [0, 1],
      [2, 4],
      [9, 12],
    ]),
    'p#1, #3, #4, #10..#12',
  );
});

test('no-loss names the lost messages and the group that expected them', () => {
  const ctx = run([range(0, 7), range(7, 13), range(16, 20)]);
  const r = check({ kind: 'no-loss', minQos: 1 }, ctx);
  assert.equal(r.status, 'failed');
  assert.equal(r.actual, '3 lost: publisher#14..#16 (expected by group g)');
  assert.match(r.details[0] ?? '', /^lost publisher#14\.\.#16 on t \(expected by group g; online members: /);
  assert.ok(r.rules?.includes('MQTT-4.3.2-1'));
  assert.equal(r.source, 'test.yaml:3:5');
  const ok = check({ kind: 'no-loss', minQos: 1 }, run([range(0, 7), range(7, 14), range(14, 20)]));
  assert.equal(ok.status, 'passed', ok.actual);
  assert.equal(ok.actual, '20 of 20 owed deliveries arrived');
});

test('no-loss does not fail for messages that may wait in an offline member session', () => {
  const ctx = run([range(0, 10), range(10, 18), []], { offline: [2] });
  const r = check({ kind: 'no-loss', minQos: 1 }, ctx);
  assert.equal(r.status, 'passed', r.actual);
  assert.match(r.actual, /2 undetermined/);
});

test('shared-group: once, every member, balance', () => {
  const dup = run([[...range(0, 7), 9], range(7, 14), range(14, 20)]);
  const once = check(
    { kind: 'shared-group', group: 'g', eachMessage: 'once', everyMemberReceives: true },
    dup,
  );
  assert.equal(once.status, 'failed');
  assert.match(once.actual, /1 message reached the group more than once/);
  assert.match(once.details.join('\n'), /more than once in the group: publisher#10/);
  const atLeast = check(
    { kind: 'shared-group', group: 'g', eachMessage: 'at-least-once', everyMemberReceives: true },
    dup,
  );
  assert.equal(atLeast.status, 'passed', atLeast.actual);
  const idle = check(
    { kind: 'shared-group', group: 'g', eachMessage: 'once', everyMemberReceives: true },
    run([range(0, 10), range(10, 20), []]),
  );
  assert.equal(idle.status, 'failed');
  assert.match(idle.actual, /subscriber\[3\] received none/);
  const skew = check(
    {
      kind: 'shared-group',
      group: 'g',
      eachMessage: 'once',
      everyMemberReceives: false,
      balanceTolerance: 0.5,
    },
    run([range(0, 16), range(16, 18), range(18, 20)]),
  );
  assert.equal(skew.status, 'failed');
  assert.match(skew.actual, /subscriber\[1\] is 140% off the mean/);
  const none = check(
    { kind: 'shared-group', group: 'nope', eachMessage: 'once', everyMemberReceives: false },
    dup,
  );
  assert.equal(none.status, 'failed');
});

test('duplicates and ordered read the receipt logs', () => {
  const ctx = run([[0, 1, 1, 3, 2], [], []]);
  const d = check({ kind: 'duplicates', max: 0, allow: ['redelivery', 'extra-copy'] }, ctx);
  assert.equal(d.status, 'failed');
  assert.match(d.actual, /1 duplicate: subscriber\[1\] got publisher#2 more than once/);
  assert.equal(
    check({ kind: 'duplicates', max: 1, allow: ['redelivery', 'extra-copy'] }, ctx).status,
    'passed',
  );
  const o = check({ kind: 'ordered', per: 'publisher' }, ctx);
  assert.equal(o.status, 'failed');
  assert.match(o.actual, /subscriber\[1\] got publisher#3 after #4 on t/);
});

test('received counts within a step window; session-present; latency; will; onlyOn', () => {
  const ctx = run([range(0, 5), range(5, 9), []]);
  const after = check(
    {
      kind: 'received',
      clients: ['subscriber[1]', 'subscriber[2]'],
      count: cmp('>= 4'),
      window: { after: 2 },
    },
    ctx,
  );
  assert.equal(after.status, 'passed', after.actual);
  assert.equal(after.actual, 'all within: 9 messages in all (subscriber[1] 5, subscriber[2] 4)');
  const each = check(
    { kind: 'received', clients: ['subscriber[1]', 'subscriber[2]'], count: cmp('5'), window: { after: 2 } },
    ctx,
  );
  assert.equal(each.status, 'failed', 'the count applies to each client');
  const before = check(
    { kind: 'received', clients: ['subscriber[1]'], count: cmp('>= 1'), window: { before: 3 } },
    ctx,
  );
  assert.equal(before.status, 'failed');
  assert.equal(before.actual, '0 messages');
  const topic = check(
    { kind: 'received', clients: ['subscriber[1]'], count: cmp('0'), window: {}, topic: 'other/#' },
    ctx,
  );
  assert.equal(topic.status, 'passed');

  ctx.rec.connects.push({
    client: 1,
    stepRef: 4,
    at: 0,
    clean: false,
    connack: { sessionPresent: true, reasonCode: 0 },
  });
  assert.equal(
    check({ kind: 'session-present', clients: ['subscriber[2]'], expected: true }, ctx).status,
    'passed',
  );
  const sp = check({ kind: 'session-present', clients: ['subscriber[1]'], expected: true, step: 4 }, ctx);
  assert.equal(sp.status, 'failed');
  assert.match(sp.actual, /subscriber\[1\]: no connect at step 4/);

  const lat = check({ kind: 'latency', percentiles: [{ p: 95, bound: cmp('< 250ms') }] }, ctx);
  assert.equal(lat.status, 'passed', lat.actual);
  const slow = check({ kind: 'latency', percentiles: [{ p: 50, bound: cmp('< 1ms') }] }, ctx);
  assert.equal(slow.status, 'failed');
  assert.match(slow.actual, /p50 = .* over 9 messages \(p50 over the bound\)/);

  const willOf = check(
    { kind: 'will', of: 'subscriber[3]', receivers: ['subscriber[1]'], received: true },
    ctx,
  );
  assert.equal(willOf.status, 'failed');
  ctx.rec.onMessage(0, 'w', Buffer.from(`${formatWillHeader(RUN, 2, 1, 5)}gone`), false, 10);
  assert.equal(
    check({ kind: 'will', of: 'subscriber[3]', receivers: ['subscriber[1]'], received: true }, ctx).status,
    'passed',
  );
  assert.equal(
    check({ kind: 'will', of: 'subscriber[3]', receivers: ['subscriber[1]'], received: false }, ctx).status,
    'failed',
  );

  const skipped = check(
    { kind: 'duplicates', max: 0, allow: ['redelivery', 'extra-copy'], onlyOn: ['aws-iot'] },
    ctx,
  );
  assert.equal(skipped.status, 'skipped');
  assert.match(skipped.skipReason ?? '', /only on aws-iot/);
});

test('reason-code and retained', () => {
  const ctx = run([[0], [], []]);
  ctx.rec.subscriptions.push({
    client: 0,
    stepRef: 1,
    at: 0,
    kind: 'subscribe',
    filters: ['a', 'b'],
    codes: [1, 0x87],
  });
  const r = check({ kind: 'reason-code', packet: 'suback', clients: ['subscriber[1]'], codes: [1] }, ctx);
  assert.equal(r.status, 'failed');
  assert.equal(r.actual, '0x01, 0x87');
  assert.equal(check({ kind: 'reason-code', packet: 'puback', codes: [0] }, ctx).status, 'passed');
  assert.equal(check({ kind: 'reason-code', packet: 'connack', codes: [0] }, ctx).status, 'failed');

  ctx.rec.onMessage(
    1,
    'status/x',
    Buffer.from(`${formatMessageHeader(RUN, 3, 4, 100)}{"online":true}`),
    true,
    10,
  );
  const yes = check(
    {
      kind: 'retained',
      clients: ['subscriber[2]'],
      topic: 'status/x',
      present: true,
      payload: { kind: 'json', value: { online: true } },
    },
    ctx,
  );
  assert.equal(yes.status, 'passed', yes.actual);
  const wrong = check(
    {
      kind: 'retained',
      clients: ['subscriber[2]'],
      topic: 'status/x',
      present: true,
      payload: { kind: 'text', text: 'no' },
    },
    ctx,
  );
  assert.equal(wrong.status, 'failed');
  assert.equal(
    check({ kind: 'retained', clients: ['subscriber[2]'], topic: 'status/x', present: false }, ctx).status,
    'failed',
  );
  assert.equal(
    check({ kind: 'retained', clients: ['subscriber[1]'], topic: 'status/x', present: false }, ctx).status,
    'passed',
  );
});

test('disconnected reads the connection losses: client, step, code; own disconnects never count', () => {
  const ctx = run([[], [], []]);
  const taken = {
    client: 0,
    stepRef: 4,
    at: 10,
    how: 'lost',
    reasonCode: 0x8e,
    message: 'taken over',
  } as const;
  ctx.rec.disconnects.push({ client: 1, stepRef: 4, at: 10, how: 'graceful', reasonCode: 0 }, taken);
  const ok = check({ kind: 'disconnected', clients: ['subscriber[1]'], step: 4, codes: [0x8e] }, ctx);
  assert.equal(ok.status, 'passed', ok.actual);
  assert.match(ok.actual, /subscriber\[1\] in step 4 with 0x8E/i);
  const code = check({ kind: 'disconnected', clients: ['subscriber[1]'], codes: [0x87] }, ctx);
  assert.equal(code.status, 'failed');
  assert.match(code.actual, /subscriber\[1\]: lost its connection only in step 4 with 0x8E \(taken over\)/i);
  assert.equal(check({ kind: 'disconnected', clients: ['subscriber[1]'], step: 3 }, ctx).status, 'failed');
  // subscriber[2] closed its own connection: not a broker disconnect.
  const own = check({ kind: 'disconnected', clients: ['subscriber[2]'] }, ctx);
  assert.equal(own.status, 'failed');
  assert.match(own.actual, /subscriber\[2\]: the broker never ended its connection/);
  ctx.rec.disconnects.push({ client: 1, stepRef: 0, at: 20, how: 'lost' });
  assert.equal(
    check({ kind: 'disconnected', clients: ['subscriber[1]', 'subscriber[2]'] }, ctx).status,
    'passed',
  );
});

test('delivered: QoS, user properties and expiry per copy, named by message; nothing kept, nothing checked', () => {
  const ctx = run([[], [], []]);
  assert.match(
    check({ kind: 'delivered', clients: ['subscriber[1]'], qos: 1 }, ctx).actual,
    /no delivery properties/,
  );
  ctx.rec.keepDeliveryProperties();
  const msg = (
    s: number,
    qos: 0 | 1,
    props?: { messageExpiryInterval?: number; userProperties?: [string, string][] },
  ) =>
    ctx.rec.onMessage(
      0,
      't',
      Buffer.from(`${formatMessageHeader(RUN, 3, s, 100)}x`),
      false,
      200,
      qos,
      undefined,
      false,
      props,
    );
  msg(0, 1, { messageExpiryInterval: 30, userProperties: [['k', 'v']] });
  msg(1, 0, { messageExpiryInterval: 90, userProperties: [['k', 'w']] });
  msg(2, 0);
  const qos = check({ kind: 'delivered', clients: ['subscriber[1]'], qos: 1 }, ctx);
  assert.equal(qos.status, 'failed');
  assert.equal(qos.actual, '2 copies of 3 differ: subscriber[1] got publisher#2, #3 with qos 0 (expected 1)');
  const props = check(
    {
      kind: 'delivered',
      clients: ['subscriber[1]'],
      userProperties: [['k', 'v']],
      messageExpiry: cmp('<= 60s'),
    },
    ctx,
  );
  assert.deepEqual(props.details, [
    'subscriber[1] got publisher#2 with user property k="w" (expected "v")',
    'subscriber[1] got publisher#2 with message expiry 90s (expected <= 60s)',
    'subscriber[1] got publisher#3 with user property k=absent (expected "v")',
    'subscriber[1] got publisher#3 with no message expiry (expected <= 60s)',
  ]);
  assert.equal(
    check({ kind: 'delivered', clients: ['subscriber[1]'], qos: 1, step: 99 }, ctx).status,
    'failed',
  );
  assert.equal(check({ kind: 'delivered', clients: ['subscriber[2]'], qos: 1 }, ctx).status, 'failed');
});

test('broker-stats: a group by share name sums its filters; no counters, not evaluated', () => {
  const ctx = run([[], [], []]);
  const a: AssertionInput = {
    kind: 'broker-stats',
    group: 'g',
    bounds: [{ counter: 'dropped.total', bound: cmp('== 3') }],
  };
  const none = check(a, ctx);
  assert.equal(none.status, 'skipped');
  assert.match(none.skipReason ?? '', /^not evaluated: the target target keeps no broker counters/);
  const stats = {
    groups: {
      'g/a': { delivered: 1, dropped: { 'group-queue-full': 1 } },
      'g/b': { delivered: 1, dropped: { offline: 2 } },
      'h/a': { delivered: 9, dropped: { offline: 9 } },
    },
  };
  assert.equal(check(a, { ...ctx, brokerStats: stats }).status, 'passed');
  const wrong = check({ ...a, group: 'g/b' }, { ...ctx, brokerStats: stats });
  assert.equal(wrong.status, 'failed');
  assert.equal(wrong.actual, 'group g/b: dropped.total 2 (expected == 3)');
  assert.equal(check({ ...a, group: 'x' }, { ...ctx, brokerStats: stats }).status, 'failed');
});
