/**
 * Verdict rules over constructed records (no broker): per-subscription accounting, duplicate
 * classes, `$share` groups owed once to any member at delivery time, the CONNACK as the ground
 * truth for sessions, retained wills, messages without identity, vacuous assertions, cut-short
 * runs and linear memory. Each failing case names the exact messages.
 *
 * Glossary: `sim(names)` a session model + run record for clients `names` (the last one publishes);
 * `s.connect(i, …)`, `s.subscribe(i, filters)`, `s.drop(i, how)`, `s.publish(topic, n)` (QoS 1,
 * every message acknowledged), `s.got(i, seqs, opts)` receipts (0-based seqs, optional
 * Subscription Identifiers), `s.check(assertion)` the assertion result at the end.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ResolvedAssertion } from '../scenario/types.js';
import type { QoS } from '../transports/transport.js';
import { type AssertionInput, client, scenario } from './_fixtures.js';
import { evaluateAssertion } from './assertions/index.js';
import { formatMessageHeader, formatWillHeader } from './identity.js';
import { evaluateDeliveries } from './oracle.js';
import { RunRecord } from './record.js';
import { SessionModel } from './session-model.js';

const RUN = 'acct0001';

function sim(names: string[], opts: { groupQueue?: boolean; capacity?: number } = {}) {
  const clients = names.map((n) => client(n));
  const pubIdx = names.length - 1;
  const model = new SessionModel(clients, { hashMatchesParent: true, groupQueue: opts.groupQueue ?? false });
  const record = new RunRecord(RUN, clients, new Map([[pubIdx, opts.capacity ?? 100]]), model);
  let now = 1000;
  const tick = (ms = 10) => {
    now += ms;
    return now;
  };
  const pub = record.publishers[pubIdx];
  assert.ok(pub);
  const s = {
    record,
    model,
    at: () => now,
    tick,
    connect(i: number, o: { clean?: boolean; present?: boolean; expiryMs?: number } = {}) {
      model.connectStarted(i, tick());
      const connack = { sessionPresent: o.present ?? false, reasonCode: 0 };
      record.connects.push({ client: i, stepRef: 1, at: now, clean: o.clean ?? false, connack });
      model.connected(i, tick(), {
        clean: o.clean ?? false,
        sessionPresent: o.present ?? false,
        persistent: (o.expiryMs ?? 3_600_000) > 0,
        sessionExpiryMs: o.expiryMs ?? 3_600_000,
      });
      return s;
    },
    subscribe(i: number, filters: string[], qos: QoS = 1) {
      model.subscribeStarted(i, filters);
      model.subscribed(
        i,
        filters.map((filter) => ({ filter, code: qos, noLocal: false })),
      );
      return s;
    },
    drop(i: number, how: 'lost' | 'graceful' = 'lost') {
      model.disconnectStarted(i);
      record.disconnects.push({ client: i, stepRef: 0, at: tick(), how });
      model.disconnected(i, tick());
      return s;
    },
    /** `n` QoS 1 messages on `topic`, all acknowledged. */
    publish(topic: string, n: number, identity?: 'none') {
      const first = pub.next;
      record.stepStarted(2, tick());
      pub.segments.push({
        index: pub.segments.length,
        publisher: pubIdx,
        stepRef: 2,
        topic,
        qos: 1,
        retain: false,
        first,
        end: first + n,
        audience: model.audienceOf(pubIdx, topic, 1),
        version: model.version,
        owed: n,
        startedAt: now,
        ...(identity === undefined ? {} : { identity }),
      });
      for (let k = first; k < first + n; k++) {
        pub.next++;
        pub.sendTime[k] = tick(1);
        pub.ackCode[k] = 0;
      }
      record.stepEnded(2, tick());
      return s;
    },
    got(i: number, seqs: number[], o: { ids?: number[]; qos?: QoS; topic?: string } = {}) {
      for (const k of seqs) {
        const payload = Buffer.from(`${formatMessageHeader(RUN, pubIdx, k, 0)}x`);
        record.onMessage(
          i,
          o.topic ?? pub.segmentOf(k)?.topic ?? 't',
          payload,
          false,
          tick(1),
          o.qos ?? 1,
          o.ids,
        );
      }
      return s;
    },
    check(a: AssertionInput) {
      const sc = scenario({ clients, steps: [] });
      const end = model.snapshot();
      const full = { label: a.kind, index: 1, source: { path: 'expect[0]' }, ...a } as ResolvedAssertion;
      return evaluateAssertion(full, {
        scenario: sc,
        record,
        oracle: evaluateDeliveries(record, end, { groupQueue: opts.groupQueue ?? false }),
        end,
        behaviour: opts.groupQueue ? 'aws-iot' : 'mosquitto',
        clientIndex: new Map(clients.map((c, i) => [c.name, i])),
      });
    },
  };
  return s;
}

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
const DUPS = { kind: 'duplicates', max: 0, allow: ['redelivery', 'extra-copy'] } as const;
const STRICT_DUPS = { kind: 'duplicates', max: 0, allow: [] } as const;
const NO_LOSS = { kind: 'no-loss', minQos: 1 } as const;
const ONCE = { kind: 'shared-group', group: 'g', eachMessage: 'once', everyMemberReceives: false } as const;

test('overlapping subscriptions: one copy per subscription is an allowed extra copy [MQTT-3.3.4-2]', () => {
  const s = sim(['sub', 'pub']).connect(0).connect(1).subscribe(0, ['a/#', 'a/+']).publish('a/b', 10);
  // Inferred from the filters (no Subscription Identifiers): two copies, two subscriptions.
  s.got(0, range(0, 10)).got(0, range(0, 10));
  assert.equal(s.check(DUPS).status, 'passed');
  assert.match(s.check(DUPS).actual, /^no duplicates \(allowed: 10 extra-copy\)/);
  assert.equal(s.check(NO_LOSS).status, 'passed');
  const strict = s.check(STRICT_DUPS);
  assert.equal(strict.status, 'failed');
  assert.match(strict.actual, /^10 duplicates: sub got pub#1\.\.#10 more than once/);
  // A third copy of #4 no subscription explains.
  s.got(0, [3]);
  const d = s.check(DUPS);
  assert.equal(d.status, 'failed');
  assert.match(d.actual, /^1 duplicate: sub got pub#4 more than once \(1 copy, unexplained\)/);
});

test('Subscription Identifiers attribute copies exactly [MQTT-3.3.4-3..5]', () => {
  const s = sim(['sub', 'pub']).connect(0).connect(1).subscribe(0, ['a/#', 'a/+']).publish('a/b', 4);
  const idHash = s.model.subscriptionIdFor(0, 'a/#');
  const idPlus = s.model.subscriptionIdFor(0, 'a/+');
  assert.notEqual(idHash, idPlus);
  // One copy naming both subscriptions, then a copy for a/# again: that one is a duplicate.
  s.got(0, range(0, 4), { ids: [idHash, idPlus] }).got(0, [2], { ids: [idHash] });
  const d = s.check(DUPS);
  assert.equal(d.status, 'failed');
  assert.match(d.actual, /^1 duplicate: sub got pub#3 more than once/);
  assert.equal(s.check(NO_LOSS).status, 'passed');
});

test('a client both group member and plain subscriber is owed both copies (SS-7); a missing group copy is lost', () => {
  const s = sim(['m1', 'm2', 'pub']).connect(0).connect(1).connect(2);
  s.subscribe(0, ['$share/g/t', 't']).subscribe(1, ['$share/g/t']).publish('t', 10);
  // m1 gets its plain copy of everything and the group copy of #1..#5; m2 the group copy of #6..#9.
  s.got(0, range(0, 10)).got(0, range(0, 5)).got(1, range(5, 9));
  assert.equal(s.check(DUPS).status, 'passed', s.check(DUPS).actual);
  const nl = s.check(NO_LOSS);
  assert.equal(nl.status, 'failed');
  assert.equal(nl.actual, '1 lost: pub#10 (expected by group g)');
  const once = s.check(ONCE);
  assert.equal(once.status, 'failed');
  assert.match(once.actual, /^1 reached no member/);
});

test('a member of two groups is owed one copy per group (SS-6)', () => {
  const s = sim(['m', 'other', 'pub']).connect(0).connect(1).connect(2);
  s.subscribe(0, ['$share/g/t', '$share/h/t']).subscribe(1, ['$share/h/t']).publish('t', 6);
  s.got(0, range(0, 6)).got(0, range(0, 3)).got(1, range(3, 6));
  assert.equal(s.check(DUPS).status, 'passed', s.check(DUPS).actual);
  assert.equal(s.check(NO_LOSS).status, 'passed', s.check(NO_LOSS).actual);
  assert.equal(s.check(ONCE).status, 'passed', s.check(ONCE).actual);
});

test('a second delivery inside a group: allowed after the first recipient broke, else a duplicate', () => {
  const s = sim(['m1', 'm2', 'pub']).connect(0).connect(1).connect(2);
  s.subscribe(0, ['$share/g/t']).subscribe(1, ['$share/g/t']).publish('t', 4);
  s.got(0, [0, 1]).got(1, [2, 3]);
  // m2 also gets #1 while m1 is still connected: nothing explains it.
  s.got(1, [0]);
  const once = s.check(ONCE);
  assert.equal(once.status, 'failed');
  assert.match(once.actual, /1 message reached the group more than once/);
  const dup = s.check(DUPS);
  assert.equal(dup.status, 'failed');
  assert.match(dup.actual, /^1 duplicate: group g\/t got pub#1 more than once/);
  // m1's connection breaks; the broker gives #2 to m2 as well (MQTT 5 §4.8.2).
  s.drop(0).got(1, [1]);
  const after = s.check(DUPS);
  assert.equal(after.status, 'failed', 'still the one unexplained');
  assert.match(after.actual, /^1 duplicate: group g\/t got pub#1 .*allowed: 1 redelivery/);
  assert.match(s.check(STRICT_DUPS).actual, /^2 duplicates/);
});

test('a QoS 1 redelivery to the same subscriber after its connection broke is allowed [MQTT-4.3.2-2]', () => {
  const s = sim(['sub', 'pub']).connect(0).connect(1).subscribe(0, ['t']).publish('t', 3);
  s.got(0, [0, 1, 2]);
  s.drop(0).connect(0, { present: true }).got(0, [2]);
  assert.match(s.check(DUPS).actual, /^no duplicates \(allowed: 1 redelivery\)/);
  // The same copy at QoS 0, or without a break, is unexplained.
  s.got(0, [1], { qos: 0 });
  assert.match(s.check(DUPS).actual, /^1 duplicate: sub got pub#2 more than once \(1 copy, unexplained\)/);
});

test('group queue (MQ-6): a member that joined after the publish drains the queue and is credited', () => {
  const s = sim(['m1', 'm2', 'late', 'pub'], { groupQueue: true });
  s.connect(0).connect(1).connect(3).subscribe(0, ['$share/g/t']).subscribe(1, ['$share/g/t']);
  s.drop(0).drop(1).publish('t', 10);
  s.connect(2, { clean: true }).subscribe(2, ['$share/g/t']).got(2, range(0, 10));
  assert.equal(s.check(NO_LOSS).status, 'passed', s.check(NO_LOSS).actual);
  assert.equal(s.check(ONCE).status, 'passed', s.check(ONCE).actual);
  // The new member drains only half: the rest are lost, named, because it is online at the end.
  const half = sim(['m1', 'm2', 'late', 'pub'], { groupQueue: true });
  half.connect(0).connect(1).connect(3).subscribe(0, ['$share/g/t']).subscribe(1, ['$share/g/t']);
  half.drop(0).drop(1).publish('t', 10);
  half.connect(2, { clean: true }).subscribe(2, ['$share/g/t']).got(2, range(0, 5));
  const r = half.check(NO_LOSS);
  assert.equal(r.status, 'failed');
  assert.equal(r.actual, '5 lost: pub#6..#10 (expected by group g)');
  assert.match(r.details[0] ?? '', /group queue is drained by any online member \(MQ-6\); late was a member/);
});

test('CONNACK sessionPresent=1: everything queued is owed, what never arrives is lost', () => {
  const s = sim(['sub', 'pub']).connect(0, { expiryMs: 2000 }).connect(1).subscribe(0, ['t']);
  s.drop(0, 'graceful').publish('t', 10);
  // Offline for longer than the declared expiry by the runner's clock: the broker's word wins.
  s.tick(5000);
  s.connect(0, { present: true, expiryMs: 2000 }).got(0, range(0, 5));
  const r = s.check(NO_LOSS);
  assert.equal(r.status, 'failed');
  assert.equal(r.actual, '5 lost: pub#6..#10 (expected by sub)');
  assert.match(r.details[0] ?? '', /came back with it/);
});

test('CONNACK sessionPresent=0 before the expiry ran out: the queued messages are lost, with that reason', () => {
  const s = sim(['sub', 'pub']).connect(0, { expiryMs: 60_000 }).connect(1).subscribe(0, ['t']);
  s.drop(0, 'graceful').publish('t', 4);
  s.connect(0, { present: false, expiryMs: 60_000 });
  const r = s.check(NO_LOSS);
  assert.equal(r.status, 'failed');
  assert.equal(r.actual, '4 lost: pub#1..#4 (expected by sub)');
  assert.match(r.details[0] ?? '', /session discarded before its expiry/);
  // After the expiry ran out, sessionPresent=0 is what MQTT says: nothing is owed.
  const late = sim(['sub', 'pub']).connect(0, { expiryMs: 2000 }).connect(1).subscribe(0, ['t']);
  late.drop(0, 'graceful').publish('t', 4).tick(10_000);
  late.connect(0, { present: false, expiryMs: 2000 });
  assert.equal(late.check(NO_LOSS).status, 'passed', late.check(NO_LOSS).actual);
  assert.match(late.check(NO_LOSS).details.join('\n'), /not owed pub#1\.\.#4 to sub: sub's session expired/);
  const o = evaluateDeliveries(late.record, late.model.snapshot()).outcomes[0];
  assert.equal(o?.missing?.cls, 'missed');
  assert.match(o?.missing?.reason ?? '', /session expired: offline .* Session Expiry 2\.0 s/);
});

test('a 3.1.1 persistent session (never expires) answered with sessionPresent=0: the queued ones are lost', () => {
  const s = sim(['sub', 'pub'])
    .connect(0, { expiryMs: Number.POSITIVE_INFINITY })
    .connect(1)
    .subscribe(0, ['t']);
  s.drop(0, 'graceful').publish('t', 2).tick(60_000);
  s.connect(0, { present: false, expiryMs: Number.POSITIVE_INFINITY });
  const r = s.check(NO_LOSS);
  assert.equal(r.actual, '2 lost: pub#1, #2 (expected by sub)');
  assert.match(r.details[0] ?? '', /session discarded before its expiry: .*Session Expiry never/);
});

test('a session still offline at the end is undecidable, never silently missed', () => {
  const s = sim(['sub', 'other', 'pub'])
    .connect(0)
    .connect(1)
    .connect(2)
    .subscribe(0, ['t'])
    .subscribe(1, ['t']);
  s.drop(0, 'graceful').publish('t', 3).got(1, range(0, 3));
  const r = s.check(NO_LOSS);
  assert.equal(r.status, 'passed', r.actual);
  assert.match(r.actual, /3 undetermined/);
  assert.match(r.details.join('\n'), /undetermined pub#1\.\.#3 for sub: sub was offline at the end/);
});

test('a cut-short run judges only settled messages: missing ones are undetermined, not lost', () => {
  const s = sim(['sub', 'pub']).connect(0).connect(1).subscribe(0, ['t']).publish('t', 5).got(0, [0, 1]);
  const end = s.model.snapshot();
  const cut = evaluateDeliveries(s.record, end, { settledOnly: true });
  assert.equal(cut.outcomes[0]?.missing?.cls, 'undetermined');
  assert.equal(evaluateDeliveries(s.record, end).outcomes[0]?.missing?.cls, 'lost');
});

test('a retained will is visible to retained; messages without identity are tracked by topic', () => {
  const s = sim(['mon', 'dev', 'pub']).connect(0).subscribe(0, ['#']);
  s.record.onMessage(
    0,
    'status/dev',
    Buffer.from(`${formatWillHeader(RUN, 1, 1, 5)}offline`),
    true,
    s.tick(),
  );
  const r = s.check({ kind: 'retained', clients: ['mon'], topic: 'status/dev', present: true });
  assert.equal(r.status, 'passed', r.actual);
  // An empty retained payload (a delete) and a plain text message: counted by topic and retain flag.
  s.record.onMessage(0, 'cfg', new Uint8Array(0), true, s.tick());
  s.record.onMessage(0, 'cfg', Buffer.from('plain'), false, s.tick());
  const anon = [...s.record.anonymous.values()].filter((a) => a.topic === 'cfg');
  assert.deepEqual(
    anon.map((a) => [a.retain, a.count, a.empty]),
    [
      [true, 1, 1],
      [false, 1, 0],
    ],
  );
  const rec = s.check({
    kind: 'received',
    clients: ['mon'],
    topic: 'cfg',
    count: { op: '==', value: 2, text: '2' },
    window: {},
  });
  assert.equal(rec.status, 'passed', rec.actual);
});

test('messages published with identity: none are never judged lost; they count by topic', () => {
  const s = sim(['sub', 'pub'])
    .connect(0)
    .connect(1)
    .subscribe(0, ['t', 'raw'])
    .publish('t', 2)
    .got(0, [0, 1]);
  s.publish('raw', 3, 'none');
  for (let k = 0; k < 3; k++) s.record.onMessage(0, 'raw', Buffer.from('exact bytes'), false, s.tick());
  const r = s.check(NO_LOSS);
  assert.equal(r.status, 'passed', r.actual);
  assert.equal(r.actual, '2 of 2 owed deliveries arrived');
  assert.match(r.details.join('\n'), /3 messages published without the identity header/);
  const n = s.check({
    kind: 'received',
    clients: ['sub'],
    topic: 'raw',
    count: { op: '==', value: 3, text: '3' },
    window: {},
  });
  assert.equal(n.status, 'passed', n.actual);
});

test('an assertion with nothing to check fails with "nothing to check"; an upper bound says it saw nothing', () => {
  const s = sim(['sub', 'pub']).connect(0).connect(1);
  const d = s.check(DUPS);
  assert.equal(d.status, 'passed', 'an upper bound holds over an empty run, and says so');
  assert.equal(d.actual, 'no duplicates (no message of this run was received)');
  for (const a of [
    NO_LOSS,
    { kind: 'ordered', per: 'publisher' } as const,
    { kind: 'latency', percentiles: [{ p: 50, bound: { op: '<', value: 10, text: '< 10ms' } }] } as const,
    ONCE,
  ] as AssertionInput[]) {
    const r = s.check(a);
    assert.equal(r.status, 'failed', a.kind);
    assert.match(r.actual, /^nothing to check: /, a.kind);
  }
});

test('the record is linear in clients: 100,000 clients, no clients × clients table', () => {
  const clients = Array.from({ length: 100_000 }, (_, i) => client(`c[${i + 1}]`));
  // A clients × clients table would need 10^10 slots (an invalid array length).
  const rec = new RunRecord(RUN, clients, new Map([[0, 10]]));
  assert.equal(rec.receiptLog(99_999, 0), undefined);
  rec.publishers[0]?.segments.push({
    index: 0,
    publisher: 0,
    stepRef: 1,
    topic: 't',
    qos: 1,
    retain: false,
    first: 0,
    end: 1,
    audience: [],
    version: 0,
    owed: 1,
    startedAt: 0,
  });
  if (rec.publishers[0]) rec.publishers[0].next = 1;
  rec.onMessage(99_999, 't', Buffer.from(`${formatMessageHeader(RUN, 0, 0, 0)}x`), false, 1);
  assert.equal(rec.receiptLog(99_999, 0)?.received, 1);
});
