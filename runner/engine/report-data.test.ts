import assert from 'node:assert/strict';
import { test } from 'node:test';
import { client } from '../verdict/_fixtures.js';
import { formatMessageHeader } from '../verdict/identity.js';
import { RunRecord } from '../verdict/record.js';
import { buildLatency, buildTimeline, TIMELINE_EVENTS_MAX, TIMELINE_POINTS_MAX } from './report-data.js';

const T0 = 1_000_000;

/** A record with one publisher (index 0) and `n` subscribers, `count` messages sent 1 ms apart. */
function recordWith(n: number, count: number) {
  const clients = [
    client('publisher'),
    ...Array.from({ length: n }, (_, i) => client(`subscriber[${i + 1}]`)),
  ];
  const record = new RunRecord('run1', clients, new Map([[0, count]]));
  const log = record.publishers[0];
  assert.ok(log);
  for (let seq = 0; seq < count; seq++) {
    log.next = seq + 1;
    log.sendTime[seq] = T0 + seq;
    log.ackTime[seq] = T0 + seq + 2;
    log.ackCode[seq] = 0;
  }
  const deliver = (receiver: number, seq: number, at: number) =>
    record.onMessage(
      receiver,
      't',
      new TextEncoder().encode(formatMessageHeader('run1', 0, seq, T0 + seq)),
      false,
      at,
    );
  return { record, deliver };
}

test('timeline: rates per declared client, ack and delivery in the buckets they happened', () => {
  const { record, deliver } = recordWith(2, 100);
  for (let seq = 0; seq < 100; seq++) {
    deliver(1, seq, T0 + seq + 5);
    deliver(2, seq, T0 + 500 + seq);
  }
  record.connects.push({
    client: 1,
    stepRef: 1,
    at: T0,
    clean: true,
    connack: { sessionPresent: false } as never,
  });
  record.connects.push({
    client: 2,
    stepRef: 1,
    at: T0,
    clean: true,
    connack: { sessionPresent: false } as never,
  });
  record.disconnects.push({ client: 2, stepRef: 3, at: T0 + 300, how: 'abrupt' });
  record.connects.push({
    client: 2,
    stepRef: 4,
    at: T0 + 400,
    clean: false,
    connack: { sessionPresent: true } as never,
  });
  const t = buildTimeline(record, T0, T0 + 1000);
  assert.deepEqual(
    t.series.map((s) => [s.client, s.instances]),
    [
      ['publisher', 1],
      ['subscriber', 2],
    ],
  );
  const [pub, sub] = t.series;
  assert.ok(pub && sub);
  const total = (a: number[]) => a.reduce((x, y) => x + y, 0);
  assert.equal(total(pub.published), 100);
  assert.equal(total(pub.acked), 100);
  assert.equal(total(sub.received), 200);
  // The second subscriber's messages arrived 0.5 s later: in the second half of the timeline.
  const half = Math.floor(t.buckets / 2);
  assert.equal(total(sub.received.slice(0, half)), 100);
  // Offline between 300 and 400 ms: one of two subscribers online there, both before and after.
  const at = (ms: number) => sub.online[Math.floor(ms / t.bucketMs)];
  assert.equal(at(200), 2);
  assert.equal(at(350), 1);
  assert.equal(at(450), 2);
  assert.deepEqual(
    t.events.map((e) => `${e.atMs} ${e.client} ${e.kind}`),
    [
      '0 subscriber[1] connect',
      '0 subscriber[2] connect',
      '300 subscriber[2] disconnect',
      '400 subscriber[2] connect',
    ],
  );
});

test('timeline: 10,000 subscribers are one series, bounded points and events', () => {
  const { record, deliver } = recordWith(10_000, 10);
  for (let r = 1; r <= 10_000; r++) {
    record.connects.push({ client: r, stepRef: 1, at: T0 + r / 10, clean: true, connack: {} as never });
    deliver(r, r % 10, T0 + 60_000 + r);
  }
  const t = buildTimeline(record, T0, T0 + 3_600_000);
  assert.equal(t.series.length, 2);
  assert.equal(t.series[1]?.instances, 10_000);
  assert.ok(t.buckets <= TIMELINE_POINTS_MAX, `${t.buckets} buckets`);
  assert.equal(t.events.length, TIMELINE_EVENTS_MAX);
  assert.equal(t.eventCount, 10_000);
  assert.equal(
    t.series[1]?.received.reduce((x, y) => x + y, 0),
    10_000,
  );
  assert.ok(JSON.stringify(t).length < 50_000, 'the report data stays small');
});

test('timeline: a long run widens the record buckets instead of growing without bound', () => {
  const { record, deliver } = recordWith(1, 1);
  for (let i = 0; i < 20_000; i++) deliver(1, 0, T0 + i * 10);
  assert.ok(record.deliveryBucketMs > 10);
  assert.ok((record.deliveryBuckets[1]?.size ?? 0) <= 4096);
  const t = buildTimeline(record, T0, T0 + 200_000);
  assert.equal(
    t.series[1]?.received.reduce((x, y) => x + y, 0),
    20_000,
  );
});

test('latency: percentiles and bins from the merged histograms; none without deliveries', () => {
  const { record, deliver } = recordWith(1, 100);
  assert.equal(buildLatency(record), undefined);
  for (let seq = 0; seq < 100; seq++) deliver(1, seq, T0 + seq + (seq < 90 ? 2 : 50));
  const l = buildLatency(record);
  assert.ok(l);
  assert.equal(l.count, 100);
  assert.ok(Math.abs(l.p50Ms - 2) < 0.1, String(l.p50Ms));
  assert.ok(Math.abs(l.p99Ms - 50) < 1, String(l.p99Ms));
  assert.ok(Math.abs(l.maxMs - 50) < 1);
  assert.equal(
    l.bins.reduce((x, b) => x + b.count, 0),
    100,
  );
  const slow = l.bins.filter((b) => b.upToMs > 40).reduce((x, b) => x + b.count, 0);
  assert.equal(slow, 10);
});
