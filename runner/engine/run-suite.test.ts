/**
 * The suite runner: every file is checked before any target starts, and whatever happens later
 * (Ctrl+C mid-scenario, a target that does not start, a scenario that throws) the reporters get a
 * final summary that names every scenario.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { EnvironmentError } from '../errors.js';
import { createReporter, createReporterFanOut } from '../reporters/index.js';
import type { RunSummary } from '../results.js';
import { startEmbeddedTarget } from '../targets/embedded.js';
import type { TargetDefinition } from '../targets/target.js';
import { client, scenario } from '../verdict/_fixtures.js';
import { loadSuite, runSuite } from './run-suite.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'mqscen-suite-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const embedded: TargetDefinition = { name: 'embedded', kind: 'embedded', start: () => startEmbeddedTarget() };

/** A fan-out over the JUnit and JSON reporters writing into `dir`, plus the summary it was given. */
async function fileReporters(dir: string) {
  let summary: RunSummary | undefined;
  const fan = createReporterFanOut([
    await createReporter('junit', { outputFile: join(dir, 'junit.xml') }),
    await createReporter('json', { outputFile: join(dir, 'results.json') }),
    {
      onRunEnd: (s) => {
        summary = s;
      },
    },
  ]);
  return { fan, summary: () => summary, junit: () => readFileSync(join(dir, 'junit.xml'), 'utf8') };
}

test('loadSuite: a problem in the second file stops the whole run before anything starts', async (t) => {
  const dir = tempDir(t);
  const good = join(dir, 'a.yaml');
  const bad = join(dir, 'b.yaml');
  writeFileSync(
    good,
    'name: a\nclients:\n  p: { clientId: suite-a }\nsteps:\n  - connect: all\nexpect: []\n',
  );
  writeFileSync(
    bad,
    'name: b\nclients:\n  p: { clientId: suite-b }\nsteps:\n  - connect: all\n' +
      '  - publish: { from: p, topic: t/b, count: 1, qos: 1, payload: { size: 4 } }\nexpect: []\n',
  );
  const r = await loadSuite([good, bad], { vars: {}, env: {} });
  assert.equal(r.ok, false);
  assert.ok(!r.ok);
  assert.equal(r.badFiles, 1);
  assert.ok(
    r.issues.some((i) => i.file === bad && /smaller than mqscen's identity header/.test(i.message)),
    JSON.stringify(r.issues),
  );
});

test('runSuite: Ctrl+C in the first scenario: it is interrupted in its step, the second was not run; reports written', async (t) => {
  const dir = tempDir(t);
  const r = await fileReporters(dir);
  const long = scenario({
    name: 'long',
    clients: [client('a', { clientId: `suite-long-${process.pid}` })],
    steps: [
      { kind: 'connect', clients: ['a'] },
      { kind: 'wait', durationMs: 60_000 },
    ],
  });
  const next = scenario({
    name: 'next',
    clients: [client('b')],
    steps: [{ kind: 'connect', clients: ['b'] }],
  });
  const controller = new AbortController();
  const reporter = {
    ...r.fan,
    onStepStart: async (info: { name: string }, step: { kind: string }) => {
      await r.fan.onStepStart?.(info as never, step as never);
      if (step.kind === 'wait') setTimeout(() => controller.abort(), 50);
    },
  };
  const outcome = await runSuite([long, next], {
    target: embedded,
    reporter,
    signal: controller.signal,
    files: ['long.yaml', 'next.yaml'],
  });
  assert.equal(outcome.summary.reason, 'interrupted');
  assert.deepEqual(
    outcome.summary.scenarios.map((s) => [s.name, s.status]),
    [
      ['long', 'interrupted'],
      ['next', 'interrupted'],
    ],
  );
  assert.deepEqual(
    outcome.summary.scenarios[0]?.steps.map((s) => s.status),
    ['passed', 'interrupted'],
  );
  assert.equal(outcome.summary.scenarios[1]?.error?.message, 'interrupted by Ctrl+C before it ran');
  assert.deepEqual(outcome.reportFailures, []);
  assert.equal(r.summary(), outcome.summary, 'reporters got the final summary');
  const xml = r.junit();
  assert.match(xml, /<testsuite name="long"[^>]*errors="1"/);
  assert.match(xml, /<testsuite name="next"[\s\S]*interrupted by Ctrl\+C before it ran/);
  const json = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { reason: string };
  assert.equal(json.reason, 'interrupted');
});

test('runSuite: a target that does not start errors every scenario with its cause; reports written', async (t) => {
  const dir = tempDir(t);
  const r = await fileReporters(dir);
  const down: TargetDefinition = {
    name: 'down',
    kind: 'mosquitto',
    start: () => Promise.reject(new EnvironmentError('mosquitto is not installed')),
  };
  const s1 = scenario({ name: 'one', clients: [client('a')], steps: [{ kind: 'connect', clients: ['a'] }] });
  const s2 = scenario({ name: 'two', clients: [client('a')], steps: [{ kind: 'connect', clients: ['a'] }] });
  const outcome = await runSuite([s1, s2], {
    target: down,
    reporter: r.fan,
    signal: new AbortController().signal,
    files: [],
  });
  assert.equal(outcome.targetError?.message, 'mosquitto is not installed');
  assert.deepEqual(
    outcome.summary.scenarios.map((s) => [s.name, s.status, s.error?.code, s.error?.exitCode]),
    [
      ['one', 'errored', 'E_ENVIRONMENT', 3],
      ['two', 'errored', 'E_ENVIRONMENT', 3],
    ],
  );
  assert.match(r.junit(), /<testsuite name="two"[\s\S]*mosquitto is not installed/);
});

test('runSuite: a scenario that throws late is errored and the run goes on to the next and to its reports', async (t) => {
  const dir = tempDir(t);
  const r = await fileReporters(dir);
  // A step naming a client the scenario does not declare cannot compile: runScenario throws.
  const broken = scenario({
    name: 'broken',
    clients: [client('a')],
    steps: [{ kind: 'connect', clients: ['zz'] }],
  });
  const fine = scenario({
    name: 'fine',
    clients: [client('a', { clientId: `suite-fine-${process.pid}` })],
    steps: [{ kind: 'connect', clients: ['a'] }],
  });
  const outcome = await runSuite([broken, fine], {
    target: embedded,
    reporter: r.fan,
    signal: new AbortController().signal,
    files: [],
  });
  assert.deepEqual(
    outcome.summary.scenarios.map((s) => [s.name, s.status]),
    [
      ['broken', 'errored'],
      ['fine', 'passed'],
    ],
  );
  assert.equal(outcome.summary.reason, 'failed');
  assert.match(outcome.summary.scenarios[0]?.error?.message ?? '', /unknown client "zz"/);
  assert.match(r.junit(), /<testsuite name="fine"/);
});
