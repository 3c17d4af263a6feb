import assert from 'node:assert/strict';
import { test } from 'node:test';
import { brokerStatsSince } from './stats-delta.js';

type Stats = {
  clients: Record<string, Record<string, unknown> & { delivered: number; dropped: Record<string, number> }>;
  groups: Record<string, Record<string, unknown>>;
  totals: Record<string, unknown> & { dropped: Record<string, number> };
};

const before: Stats = {
  clients: {
    old: {
      delivered: 304,
      queued: 2,
      dequeued: 2,
      dropped: { offline: 1 },
      queueLength: 0,
      inflight: 0,
      connected: false,
    },
    kept: {
      delivered: 10,
      queued: 0,
      dequeued: 0,
      dropped: {},
      queueLength: 3,
      inflight: 0,
      connected: false,
    },
  },
  groups: {
    'g/t': {
      delivered: 50,
      queued: 0,
      dequeued: 0,
      dropped: {},
      queueLength: 0,
      members: 2,
      onlineMembers: 2,
    },
  },
  totals: {
    delivered: 314,
    queued: 2,
    dequeued: 2,
    dropped: { offline: 1 },
    connections: 0,
    sessions: 2,
    retained: 1,
    received: 320,
  },
};

test('a scenario that received nothing reports 0 delivered, not the earlier scenarios’ total', () => {
  const after = structuredClone(before);
  const stats = brokerStatsSince(before, after) as typeof before;
  assert.deepEqual(stats.clients, {});
  assert.deepEqual(stats.groups, {});
  assert.equal(stats.totals.delivered, 0);
  assert.equal(stats.totals.received, 0);
  assert.equal(stats.totals.dropped['offline'], 0);
  // Gauges are the level at the end of the scenario.
  assert.equal(stats.totals.sessions, 2);
  assert.equal(stats.totals.retained, 1);
});

test('counts are the increase during the scenario; new entities appear whole; gauges are end values', () => {
  const after = structuredClone(before);
  after.clients['kept'] = {
    ...after.clients['kept'],
    delivered: 13,
    dropped: {},
    queueLength: 0,
    connected: true,
  };
  after.clients['fresh'] = {
    delivered: 5,
    queued: 1,
    dequeued: 1,
    dropped: { expired: 2 },
    queueLength: 0,
    inflight: 1,
    connected: true,
  };
  after.totals = {
    ...before.totals,
    delivered: 322,
    received: 330,
    dropped: { offline: 1, expired: 2 },
  };
  const stats = brokerStatsSince(before, after) as typeof after;
  assert.deepEqual(Object.keys(stats.clients).sort(), ['fresh', 'kept']);
  assert.equal(stats.clients['kept']?.delivered, 3);
  assert.equal(stats.clients['kept']?.queueLength, 0);
  assert.equal(stats.clients['kept']?.connected, true);
  assert.deepEqual(stats.clients['fresh'], after.clients['fresh']);
  assert.equal(stats.totals.delivered, 8);
  assert.equal(stats.totals.received, 10);
  assert.deepEqual(stats.totals.dropped, { offline: 0, expired: 2 });
});

test('without a start snapshot the counters are returned as they are', () => {
  assert.equal(brokerStatsSince(undefined, before), before);
});
