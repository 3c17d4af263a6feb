import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../errors.js';
import type { RunSummary } from '../results.js';
import {
  chooseConsoleReporter,
  createReporter,
  createReporterFanOut,
  isReporterName,
  reporterNames,
} from './index.js';
import type { Reporter } from './reporter.js';

test('chooseConsoleReporter: live only on a terminal outside CI, with colour allowed', () => {
  const cases: Array<[boolean | undefined, Record<string, string>, 'live' | 'plain']> = [
    [true, {}, 'live'],
    [false, {}, 'plain'],
    [undefined, {}, 'plain'],
    [true, { CI: 'true' }, 'plain'],
    [true, { CI: '1' }, 'plain'],
    [true, { CI: 'false' }, 'live'],
    [true, { CI: '' }, 'live'],
    [true, { NO_COLOR: '1' }, 'plain'],
    [true, { NO_COLOR: '' }, 'live'],
    [true, { TERM: 'dumb' }, 'plain'],
  ];
  for (const [isTTY, env, expected] of cases) {
    assert.equal(
      chooseConsoleReporter({ isTTY, env }),
      expected,
      `isTTY=${isTTY} env=${JSON.stringify(env)}`,
    );
  }
});

test('registry: every name creates a reporter with that name; an unknown name is a usage error', async () => {
  assert.deepEqual([...reporterNames].sort(), ['html', 'json', 'junit', 'live', 'plain']);
  for (const name of reporterNames) {
    const r = (await createReporter(name)) as Reporter & { name?: string };
    assert.equal(r.name, name);
    assert.equal(typeof r.onRunEnd, 'function', `${name} writes or prints at run end`);
  }
  assert.equal(isReporterName('junit'), true);
  assert.equal(isReporterName('toString'), false);
  await assert.rejects(createReporter('xml'), (err: unknown) => {
    assert.ok(err instanceof UsageError);
    assert.match(
      err.message,
      /unknown reporter "xml"; available reporters are "live", "plain", "junit", "json"/,
    );
    return true;
  });
});

const summary: RunSummary = {
  startedAt: '2026-01-05T10:00:00.000Z',
  durationMs: 1,
  scenarios: [],
  passed: 0,
  failed: 0,
  errored: 0,
  reason: 'passed',
};
const scenario = { file: 'scenarios/a.yaml', name: 'a', steps: [{ ref: 1, kind: 'wait', label: 'wait 1s' }] };
const counters = { published: 1, acked: 1, received: 1, duplicates: 0, pending: 0 };

test('fan-out: calls every reporter in order, awaits async hooks, and isolates failing ones', async () => {
  const calls: string[] = [];
  const good = (id: string): Reporter => ({
    async onRunStart() {
      await new Promise((r) => setTimeout(r, 5));
      calls.push(`${id}:runStart`);
    },
    onStepProgress() {
      calls.push(`${id}:progress`);
    },
    onRunEnd() {
      calls.push(`${id}:runEnd`);
    },
  });
  const throwing: Reporter & { name: string } = {
    name: 'thrower',
    onRunStart() {
      throw new Error('boom');
    },
    onStepProgress() {
      throw new Error('boom again');
    },
    async onRunEnd() {
      throw new Error('boom at the end');
    },
  };
  const hanging: Reporter = { onRunEnd: () => new Promise<void>(() => {}) };
  const errors: string[] = [];
  const fan = createReporterFanOut([good('a'), throwing, hanging, good('b')], {
    errorStream: { write: (s: string) => errors.push(s) },
    hookTimeoutMs: 100,
  });

  const started = Date.now();
  await fan.onRunStart?.({
    files: [],
    target: { name: 't', kind: 'url', behaviour: 'generic', transport: 'mqttjs', url: 'mqtt://x' },
  });
  fan.onStepProgress?.(scenario, { ref: 1 }, counters);
  await fan.onScenarioStart?.(scenario); // no reporter has it: nothing happens
  const failures = await fan.onRunEnd(summary, 'passed');
  assert.ok(Date.now() - started < 5000, 'a hanging reporter is bounded');

  assert.deepEqual(calls, ['a:runStart', 'b:runStart', 'a:progress', 'b:progress', 'a:runEnd', 'b:runEnd']);
  assert.equal(errors.length, 1, errors.join(''));
  assert.match(errors[0] ?? '', /reporter "thrower" failed in onRunStart: boom \(results are not affected/);
  // Failures at the run end (where reports are written) are returned, not swallowed.
  assert.deepEqual(failures, [
    { reporter: 'thrower', message: 'boom at the end' },
    { reporter: '#3', message: 'onRunEnd did not finish within 100 ms' },
  ]);
});

test('fan-out: a report that cannot be written is returned with its file', async (t) => {
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'mqscen-fanout-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // A file where the report's folder should be: the write fails.
  writeFileSync(join(dir, 'blocker'), '');
  const outputFile = join(dir, 'blocker', 'junit.xml');
  const fan = createReporterFanOut([await createReporter('junit', { outputFile })], {
    errorStream: { write: () => true },
  });
  const failures = await fan.onRunEnd(summary, 'passed');
  assert.equal(failures.length, 1);
  assert.equal(failures[0]?.reporter, 'junit');
  assert.equal(failures[0]?.outputFile, outputFile);
  assert.match(failures[0]?.message ?? '', /EEXIST|ENOTDIR/);
});
