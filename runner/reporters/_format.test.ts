import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunSummary, ScenarioResult } from '../results.js';
import { classnameFor, formatDuration, formatSummaryLine } from './_format.js';

test('formatDuration: ms, seconds, minutes', () => {
  assert.equal(formatDuration(0), '0ms');
  assert.equal(formatDuration(41.6), '42ms');
  assert.equal(formatDuration(4200), '4.2s');
  assert.equal(formatDuration(64_000), '1m 04s');
  assert.equal(formatDuration(Number.NaN), '0ms');
});

test('classnameFor: relative to scenarios/, else to the working directory, without extension', () => {
  assert.equal(classnameFor('scenarios/queuing.yaml', '/repo'), 'queuing');
  assert.equal(classnameFor('scenarios/qos/zero.yml', '/repo'), 'qos/zero');
  assert.equal(classnameFor('/repo/scenarios/will.yaml', '/repo'), 'will');
  assert.equal(classnameFor('/repo/test/fixtures/must-fail.yaml', '/repo'), 'test/fixtures/must-fail');
  assert.equal(classnameFor('./local.yaml', '/repo'), 'local');
  assert.equal(classnameFor('myscenarios/x.yaml', '/repo'), 'myscenarios/x');
  assert.equal(classnameFor('/tmp/run/long.yaml', '/repo'), 'tmp/run/long');
});

test('formatSummaryLine: counts by status, run interruption said', () => {
  const s = (status: ScenarioResult['status']) => ({ status }) as ScenarioResult;
  const summary = (scenarios: ScenarioResult[], reason: RunSummary['reason']): RunSummary => ({
    startedAt: '',
    durationMs: 4200,
    scenarios,
    passed: 0,
    failed: 0,
    errored: 0,
    reason,
  });
  assert.equal(
    formatSummaryLine(summary([s('passed'), s('passed'), s('failed')], 'failed')),
    '2 passed, 1 failed (3 scenarios) in 4.2s',
  );
  assert.equal(
    formatSummaryLine(summary([s('passed')], 'passed')),
    '1 passed, 0 failed (1 scenario) in 4.2s',
  );
  assert.equal(
    formatSummaryLine(summary([s('errored'), s('interrupted')], 'interrupted')),
    '0 passed, 0 failed, 1 errored, 1 interrupted (2 scenarios) in 4.2s, run interrupted',
  );
});
