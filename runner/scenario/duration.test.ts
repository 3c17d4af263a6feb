import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseComparison } from './comparison.js';
import { parseDuration, writeDuration } from './duration.js';

test('durations with units become milliseconds', () => {
  const cases: Array<[string, number]> = [
    ['1m30s', 90_000],
    ['1h30m', 5_400_000],
    ['2s500ms', 2500],
    ['1d 2h', 93_600_000],
    ['250ms', 250],
    ['5s', 5000],
    ['1.5s', 1500],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    [' 0s ', 0],
  ];
  for (const [text, ms] of cases) assert.equal(parseDuration(text), ms, text);
});

test('a bare number or a word is refused with a hint', () => {
  assert.deepEqual(parseDuration(5), {
    error: 'a bare number is ambiguous; add a unit, e.g. write "5s" or "5ms"',
  });
  assert.deepEqual(parseDuration('5'), { error: '"5" has no unit; write "5s" or "5ms"' });
  assert.deepEqual(parseDuration('one hour'), {
    error: 'must be a duration such as "250ms", "5s", "1m30s" or "1h" (got "one hour")',
  });
  assert.deepEqual(parseDuration('5 sec'), {
    error: 'must be a duration such as "250ms", "5s", "1m30s" or "1h" (got "5 sec")',
  });
});

test('writeDuration writes what a user would, and parses back to the same value', () => {
  for (const ms of [0, 1, 250, 1500, 60_000, 90_000, 5_400_000, 86_400_000 + 1500, 61_250]) {
    assert.equal(parseDuration(writeDuration(ms)), ms, String(ms));
  }
  assert.deepEqual([1500, 250, 120_000, 3_600_000, 0].map(writeDuration), [
    '1.5s',
    '250ms',
    '2m',
    '1h',
    '0ms',
  ]);
});

test('count comparisons: operators, bare numbers mean ==, no units', () => {
  assert.deepEqual(parseComparison('>= 3'), { op: '>=', value: 3, text: '>= 3' });
  assert.deepEqual(parseComparison('<10'), { op: '<', value: 10, text: '< 10' });
  assert.deepEqual(parseComparison('== 0'), { op: '==', value: 0, text: '== 0' });
  assert.deepEqual(parseComparison('!= 2'), { op: '!=', value: 2, text: '!= 2' });
  assert.deepEqual(parseComparison(7), { op: '==', value: 7, text: '== 7' });
  assert.deepEqual(parseComparison('5'), { op: '==', value: 5, text: '== 5' });
  assert.deepEqual(parseComparison('>= 3s'), {
    error: 'a count takes no unit; write it like ">= 3" (got ">= 3s")',
  });
  assert.ok('error' in parseComparison('about 3'));
});

test('duration comparisons convert to ms and need a unit', () => {
  assert.deepEqual(parseComparison('< 250ms', 'duration'), { op: '<', value: 250, text: '< 250ms' });
  assert.deepEqual(parseComparison('<= 1.5s', 'duration'), { op: '<=', value: 1500, text: '<= 1.5s' });
  assert.deepEqual(parseComparison('< 250', 'duration'), { error: '"< 250" has no unit; write "< 250ms"' });
  assert.deepEqual(parseComparison(250, 'duration'), {
    error: 'a bare number is ambiguous for a time bound; write "<= 250ms" for an upper bound',
  });
});
