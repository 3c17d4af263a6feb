import assert from 'node:assert/strict';
import { test } from 'node:test';
import { client } from './_fixtures.js';
import { countBits, countUnion, createBitset, testAndSet } from './bitset.js';
import { createIdentityParser, formatMessageHeader, formatWillHeader } from './identity.js';
import { classifyCandidate, deliverableNow, evaluateDeliveries } from './oracle.js';
import { RunRecord } from './record.js';
import { SessionModel } from './session-model.js';
import { matchTopic, parseSharedFilter } from './topic-filter.js';

test('identity header round-trips and tells runs apart', () => {
  const parse = createIdentityParser('abcd1234');
  const h = formatMessageHeader('abcd1234', 3, 13, 1_700_000_000_123.7);
  assert.equal(h, 'mqscen1 abcd1234 3 14 1700000000123\n');
  const payload = Buffer.from(`${h}hello`);
  assert.deepEqual(parse(payload), { kind: 'message', publisher: 3, seq: 13, headerLength: h.length });
  assert.deepEqual(parse(Buffer.from(formatWillHeader('abcd1234', 2, 5, 1))), {
    kind: 'will',
    publisher: 2,
    connectNo: 5,
    headerLength: 'mqscen1 abcd1234 2 w5 1\n'.length,
  });
  assert.equal(parse(Buffer.from(`${formatMessageHeader('zzzz9999', 3, 13, 1)}x`)).kind, 'stale');
  assert.equal(parse(Buffer.from(`${formatMessageHeader('abcd123', 3, 13, 1)}x`)).kind, 'stale');
  assert.equal(parse(Buffer.from('hello world, not ours at all')).kind, 'foreign');
  assert.equal(parse(Buffer.from('mqscen1 abcd1234 3 x4 1\n')).kind, 'foreign');
  assert.equal(parse(Buffer.from('mqscen1 abcd1234 3 14 1')).kind, 'foreign', 'no newline');
});

test('topic matching follows the MQTT wildcard rules', () => {
  assert.ok(matchTopic('a/+/c', 'a/b/c'));
  assert.ok(!matchTopic('a/+/c', 'a/b/d'));
  assert.ok(matchTopic('a/#', 'a'), '[MQTT-4.7.1-2] # includes the parent level');
  assert.ok(matchTopic('a/#', 'a/b/c'));
  assert.ok(!matchTopic('#', '$SYS/x'), '[MQTT-4.7.2-1]');
  assert.ok(!matchTopic('+/x', '$aws/x'));
  assert.ok(matchTopic('$aws/x', '$aws/x'));
  assert.ok(!matchTopic('a/b', 'a/b/c'));
  assert.deepEqual(parseSharedFilter('$share/g/a/#'), { group: 'g', filter: 'a/#' });
  assert.equal(parseSharedFilter('$share//a'), undefined);
  assert.equal(parseSharedFilter('a/b'), undefined);
});

test('bit counts over ranges and unions', () => {
  const a = createBitset(100);
  const b = createBitset(100);
  for (const i of [0, 5, 31, 32, 63, 64, 99]) testAndSet(a, i);
  for (const i of [5, 6, 70]) testAndSet(b, i);
  assert.equal(countBits(a, 0, 100), 7);
  assert.equal(countBits(a, 1, 64), 4);
  assert.equal(countBits(a, 31, 33), 2);
  assert.equal(countUnion([a, b], 0, 100), 9);
  assert.equal(countUnion([a, b], 5, 7), 2);
  assert.equal(testAndSet(a, 5), true);
});

const names = ['s1', 's2', 's3', 'pub'];
const clients = names.map((n) => client(n));

function modelWithShared(): SessionModel {
  const m = new SessionModel(clients, { hashMatchesParent: true });
  for (const i of [0, 1, 2]) {
    m.connectStarted(i);
    m.connected(i, 0, { clean: false, sessionPresent: false, persistent: true, sessionExpiryMs: 3_600_000 });
    m.subscribeStarted(i, ['$share/g/t']);
    m.subscribed(i, [{ filter: '$share/g/t', code: 1, noLocal: false }]);
  }
  m.connectStarted(3);
  m.connected(3, 0, { clean: true, sessionPresent: false, persistent: false, sessionExpiryMs: 0 });
  return m;
}

test('audience: one group entry with every member; offline persistent members stay in it', () => {
  const m = modelWithShared();
  const a = m.audienceOf(3, 't', 1);
  assert.equal(a.length, 1);
  assert.equal(a[0]?.kind, 'group');
  assert.equal(a[0]?.key, 'g/t');
  assert.deepEqual(
    a[0]?.candidates.map((c) => c.state),
    ['online', 'online', 'online'],
  );
  m.disconnectStarted(1);
  assert.equal(m.audienceOf(3, 't', 1)[0]?.candidates[1]?.state, 'transition');
  m.disconnected(1, 10);
  assert.equal(m.audienceOf(3, 't', 1)[0]?.candidates[1]?.state, 'offline-session');
  assert.equal(m.audienceOf(3, 'other', 1).length, 0);
});

test('a clean session loses its subscriptions at disconnect; its ghost remains for QoS 0 checks', () => {
  const m = new SessionModel(clients, { hashMatchesParent: true });
  m.connectStarted(0);
  m.connected(0, 0, { clean: true, sessionPresent: false, persistent: false, sessionExpiryMs: 0 });
  m.subscribed(0, [{ filter: 'a/+', code: 0, noLocal: false }]);
  const before = m.audienceOf(3, 'a/b', 0);
  assert.equal(before[0]?.candidates[0]?.state, 'online');
  m.disconnected(0, 5);
  const after = m.audienceOf(3, 'a/b', 0);
  assert.equal(after[0]?.candidates[0]?.state, 'offline-none');
  const end = m.snapshot();
  const c = after[0]?.candidates[0];
  assert.ok(c);
  assert.equal(classifyCandidate(c, end, names).cls, 'missed');
});

test('classification: lost only when nothing can still hold the message', () => {
  const base = { client: 0, epoch: 1, connectNo: 1, qos: 1 as const };
  const online = [{ online: true, epoch: 1, connectNo: 1 }];
  assert.equal(classifyCandidate({ ...base, state: 'online' }, online, names).cls, 'lost');
  assert.equal(
    classifyCandidate({ ...base, state: 'online' }, [{ online: false, epoch: 1, connectNo: 1 }], names).cls,
    'undetermined',
  );
  assert.equal(
    classifyCandidate(
      { ...base, state: 'offline-session' },
      [{ online: true, epoch: 1, connectNo: 2 }],
      names,
    ).cls,
    'lost',
    'came back with its session: QoS 1 owed [MQTT-3.1.2-5]',
  );
  assert.equal(
    classifyCandidate(
      { ...base, state: 'offline-session' },
      [{ online: true, epoch: 2, connectNo: 2 }],
      names,
    ).cls,
    'missed',
  );
  assert.equal(classifyCandidate({ ...base, state: 'transition' }, online, names).cls, 'undetermined');
  assert.equal(
    classifyCandidate({ ...base, qos: 0, state: 'online' }, [{ online: true, epoch: 1, connectNo: 2 }], names)
      .cls,
    'missed',
  );
});

function recordWith(seqsReceived: Array<[number, number[]]>, count: number, model: SessionModel): RunRecord {
  const rec = new RunRecord('run00001', clients, new Map([[3, count]]));
  const pub = rec.publishers[3];
  assert.ok(pub);
  const audience = model.audienceOf(3, 't', 1);
  pub.segments.push({
    index: 0,
    publisher: 3,
    stepRef: 2,
    topic: 't',
    qos: 1,
    retain: false,
    first: 0,
    end: count,
    audience,
    version: model.version,
    owed: count,
    startedAt: 1,
  });
  for (let s = 0; s < count; s++) {
    pub.next++;
    pub.sendTime[s] = 1000;
    pub.ackCode[s] = 0;
  }
  for (const [receiver, seqs] of seqsReceived) {
    for (const s of seqs) {
      rec.onMessage(
        receiver,
        't',
        Buffer.from(`${formatMessageHeader('run00001', 3, s, 1000)}x`),
        false,
        1005,
      );
    }
  }
  return rec;
}

test('evaluation: lost, multi-delivered and per-member shares of a group', () => {
  const m = modelWithShared();
  const rec = recordWith(
    [
      [0, [0, 3, 6]],
      [1, [1, 4, 6]],
      [2, [2]],
    ],
    8,
    m,
  );
  const report = evaluateDeliveries(rec, m.snapshot());
  const o = report.outcomes[0];
  assert.ok(o);
  assert.equal(o.delivered, 6);
  assert.equal(o.missing?.cls, 'lost');
  assert.deepEqual(o.missing?.ranges, [
    [5, 6],
    [7, 8],
  ]);
  assert.deepEqual(o.multi?.ranges, [[6, 7]]);
  assert.deepEqual(
    [...(o.perMember ?? [])],
    [
      [0, 3],
      [1, 3],
      [2, 1],
    ],
  );
});

test('evaluation: a group message may wait in an offline member session: undetermined', () => {
  const m = modelWithShared();
  m.disconnectStarted(2);
  m.disconnected(2, 10);
  const rec = recordWith([[0, [0]]], 2, m);
  const o = evaluateDeliveries(rec, m.snapshot()).outcomes[0];
  assert.equal(o?.missing?.cls, 'undetermined');
  assert.match(o?.missing?.reason ?? '', /s3 was offline at the end/);
});

test('record: duplicates, order violations, stale and latency', () => {
  const m = modelWithShared();
  const rec = recordWith(
    [
      [0, [0, 2, 1, 2]],
      [1, []],
    ],
    3,
    m,
  );
  const log = rec.receiptLog(0, 3);
  assert.ok(log);
  assert.equal(log.received, 3);
  assert.equal(log.duplicates, 1);
  assert.equal(log.orderViolations, 1);
  assert.deepEqual(log.orderSamples[0], { topic: 't', seq: 1, after: 2 });
  assert.equal(log.latencyUs.totalCount, 3);
  assert.ok(Math.abs(log.latencyUs.getValueAtPercentile(50) - 5000) <= 50, 'within 1%');
  rec.onMessage(1, 't', Buffer.from(`${formatMessageHeader('other000', 3, 0, 1)}x`), true, 2);
  assert.equal(rec.stale[1], 1);
  assert.equal(rec.retained.length, 1);
  assert.equal(rec.retained[0]?.ours, false);
});

test('group queue (AWS IoT, MQ-3/MQ-5): a member still offline at the end holds nothing', () => {
  const m = modelWithShared();
  m.disconnectStarted(2);
  m.disconnected(2, 10);
  const rec = recordWith([[0, [0]]], 2, m);
  const generic = evaluateDeliveries(rec, m.snapshot()).outcomes[0];
  assert.equal(generic?.missing?.cls, 'undetermined');
  const aws = evaluateDeliveries(rec, m.snapshot(), { groupQueue: true }).outcomes[0];
  assert.equal(aws?.missing?.cls, 'lost');
  assert.deepEqual(aws?.missing?.ranges, [[1, 2]]);
});

test('settle waits for group messages on any online member only with a group queue', () => {
  const names4 = ['s1', 's2', 's3', 'pub'].map((n) => client(n));
  for (const groupQueue of [false, true]) {
    const m = new SessionModel(names4, { hashMatchesParent: true, groupQueue });
    for (const i of [0, 1]) {
      m.connected(i, 0, {
        clean: false,
        sessionPresent: false,
        persistent: true,
        sessionExpiryMs: 3_600_000,
      });
      m.subscribed(i, [{ filter: '$share/g/t', code: 1, noLocal: false }]);
      m.disconnected(i, 1);
    }
    m.connected(3, 0, { clean: true, sessionPresent: false, persistent: false, sessionExpiryMs: 0 });
    const rec = recordWith([], 4, m);
    m.connected(0, 2, { clean: false, sessionPresent: true, persistent: true, sessionExpiryMs: 3_600_000 });
    assert.deepEqual(
      deliverableNow(rec, m),
      groupQueue
        ? { expected: 4, arrived: 0, partialOwed: 0, partialArrived: 0 }
        : { expected: 0, arrived: 0, partialOwed: 4, partialArrived: 0 },
      'without a group queue the offline member may hold them: settle waits only while they come',
    );
  }
});
