import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Subscription } from './session-store.js';
import { SubscriptionIndex } from './subscription-index.js';

function sub(filter: string): Subscription {
  return { filter, topicFilter: filter, qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 };
}

const filters = (index: SubscriptionIndex, topic: string): string[] =>
  index
    .match(topic)
    .map((e) => e.topicFilter)
    .sort();

test('match results follow subscription changes after being cached', () => {
  const index = new SubscriptionIndex({ parentMatchesMultiLevel: true, maxLevels: 1000 });
  assert.deepEqual(filters(index, 'a/b'), []);
  index.addPlain('c1', sub('a/+'));
  assert.deepEqual(filters(index, 'a/b'), ['a/+'], 'a new filter is seen after a cached miss');
  index.addGroup('a/#', 'g/a/#');
  assert.deepEqual(filters(index, 'a/b'), ['a/#', 'a/+']);
  // A second subscriber on a known filter: the cached entry is the live one.
  index.addPlain('c2', sub('a/+'));
  assert.deepEqual(
    [
      ...(index
        .match('a/b')
        .find((e) => e.topicFilter === 'a/+')
        ?.plain.keys() ?? []),
    ].sort(),
    ['c1', 'c2'],
  );
  index.removePlain('c1', 'a/+');
  index.removePlain('c2', 'a/+');
  assert.deepEqual(filters(index, 'a/b'), ['a/#'], 'a pruned filter is gone');
  index.removeGroup('a/#', 'g/a/#');
  assert.deepEqual(filters(index, 'a/b'), []);
});

test('[MQTT-4.7.2-1] and T-2 still apply to cached matches', () => {
  const spec = new SubscriptionIndex({ parentMatchesMultiLevel: true, maxLevels: 1000 });
  const aws = new SubscriptionIndex({ parentMatchesMultiLevel: false, maxLevels: 1000 });
  for (const index of [spec, aws]) {
    index.addPlain('c', sub('#'));
    index.addPlain('c', sub('a/#'));
  }
  for (let i = 0; i < 2; i++) {
    assert.deepEqual(filters(spec, '$SYS/x'), []);
    assert.deepEqual(filters(spec, 'a'), ['#', 'a/#']);
    assert.deepEqual(filters(aws, 'a'), ['#'], 'T-2: a/# does not match a');
  }
});
