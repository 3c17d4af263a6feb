/** Topic names, filters, shared filters and single-filter matching (unit, no sockets). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isValidTopicFilter, isValidTopicName, parseSharedFilter, topicMatches } from './topic.js';

test('topic names and filters [MQTT-4.7.1-1..3, MQTT-4.7.3-1]', () => {
  assert.equal(isValidTopicName('a/b'), true);
  assert.equal(isValidTopicName(''), false);
  assert.equal(isValidTopicName('a/+'), false);
  assert.equal(isValidTopicName('a/#'), false);
  for (const ok of ['#', '+', 'a/#', '+/+', '/+', 'a//b', '+/#'])
    assert.equal(isValidTopicFilter(ok), true, ok);
  for (const bad of ['', 'a/#/b', 'a#', 'a/b+', '#/a', 'a/+b'])
    assert.equal(isValidTopicFilter(bad), false, bad);
});

test('shared filters (SS-2)', () => {
  assert.deepEqual(parseSharedFilter('$share/g/a/b'), { shareName: 'g', topicFilter: 'a/b' });
  assert.equal(parseSharedFilter('a/b'), null);
  for (const bad of ['$share//a', '$share/g+/a', '$share/g', '$share/g/', '$share']) {
    assert.equal(parseSharedFilter(bad), 'invalid', bad);
  }
});

test('matching: wildcards, $ topics [MQTT-4.7.2-1], parent level of # (spec vs T-2)', () => {
  assert.equal(topicMatches('a/+/c', 'a/b/c'), true);
  assert.equal(topicMatches('a/+', 'a/'), true);
  assert.equal(topicMatches('a/+', 'a'), false);
  assert.equal(topicMatches('#', '$SYS/x'), false);
  assert.equal(topicMatches('+/x', '$SYS/x'), false);
  assert.equal(topicMatches('$SYS/#', '$SYS/x'), true);
  assert.equal(topicMatches('a/#', 'a'), true);
  assert.equal(topicMatches('a/#', 'a', false), false);
  assert.equal(topicMatches('a/#', 'a/', false), true);
  assert.equal(topicMatches('a/#', 'a/b/c', false), true);
  assert.equal(topicMatches('a/b', 'a/b/c'), false);
});
