/**
 * Fault steps and triggers end to end through the CLI: the must-fail twins of the fault examples
 * exit 1 and name the messages (scenarios/fault-partition.yaml at QoS 0; scenarios/
 * share-cut-mid-burst.yaml on a Mosquitto with a 2-message queue); the fault appears in the JSON
 * timeline and on the JUnit step timeline; a bad fault step is exit 2 at file:line:col before
 * anything runs; a trigger whose count is never reached fails its step, naming what was counted.
 * (The examples themselves pass on every target in test/scenarios.test.ts.)
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { findMosquitto } from '../runner/targets/mosquitto.js';
import { mqscen, tempDir } from './_cli.js';

test('the partition twin at QoS 0 exits 1 naming the lost messages; the partition is on the timelines', async (t) => {
  const dir = tempDir(t);
  const json = join(dir, 'r.json');
  const junit = join(dir, 'j.xml');
  const r = await mqscen([
    'run',
    'test/fixtures/must-fail-fault-partition.yaml',
    '--target',
    'embedded:mosquitto',
    '--json',
    json,
    '--junit',
    junit,
  ]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /lost publisher#\d+, #\d+/);
  const result = (
    JSON.parse(readFileSync(json, 'utf8')) as {
      scenarios: Array<{
        timeline?: { faults?: Array<{ label: string; client?: string; untilMs?: number }> };
      }>;
    }
  ).scenarios[0];
  const bands = result?.timeline?.faults ?? [];
  assert.equal(bands.length, 1, JSON.stringify(bands));
  assert.equal(bands[0]?.client, 'member[2]');
  assert.match(bands[0]?.label ?? '', /^partition: cut$/);
  assert.ok((bands[0]?.untilMs ?? 0) > 0, 'healed');
  assert.match(
    readFileSync(junit, 'utf8'),
    /\[2\] partition member\[2\] {2}passed[^\n]*f1 cut off member\[2\]/,
  );
});

const mosquittoSkip = (() => {
  try {
    findMosquitto();
    return false;
  } catch {
    return 'mosquitto is not installed';
  }
})();

test('the mid-burst $share cut against a 2-message queue exits 1 naming the dropped messages', {
  skip: mosquittoSkip,
}, async () => {
  const r = await mqscen([
    'run',
    'test/fixtures/must-fail-share-cut-tiny-queue.yaml',
    '--targets',
    'test/fixtures/tiny-queue.targets.yaml',
    '--target',
    'tiny-queue',
    '--no-json',
  ]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(
    r.stdout,
    /\[4\] \[5\] started when "burst" had \d+ received by member\[1\], member\[2\], member\[3\]/,
  );
  assert.match(r.stdout, /✖ no-loss[^\n]*got \d+ lost: publisher#\d+, #\d+/);
  assert.match(r.stdout, /✖ shared-group share-cut-twin[^\n]*reached no member/);
});

test('a trigger whose count is never reached fails its step with what was counted (exit 1)', async (t) => {
  const file = join(tempDir(t), 'never.yaml');
  writeFileSync(
    file,
    [
      'name: never',
      'timeouts: { ack: 300ms }',
      'clients:',
      '  sub: { clientId: trigger-never-sub, subscriptions: [{ filter: trigger/other, qos: 1 }] }',
      '  pub: { clientId: trigger-never-pub }',
      'steps:',
      '  - connect: all',
      '  - parallel:',
      '      - id: burst',
      '        publish: { from: pub, topic: trigger/never, count: 5, qos: 1 }',
      '      - after: { step: burst, received: 3, client: sub }',
      '        wait: 1ms',
      '',
    ].join('\n'),
  );
  const r = await mqscen(['run', file, '--no-json']);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(
    r.stdout + r.stderr,
    /"burst" ended with 0 received by sub, short of the 3 this step waits for/,
  );
});

test('redeliveries to a never-acking subscriber are real: counted when not allowed, they are named (exit 1)', async () => {
  const r = await mqscen(['run', 'test/fixtures/must-fail-never-ack-duplicates.yaml', '--no-json']);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(
    r.stdout,
    /✖ duplicates ≤ 0[^\n]*got 10 duplicates: stubborn got publisher#1\.\.#10 more than once/,
  );
});

test('ack: delay holds each PUBACK back: the broker sees the publish acknowledged late, nothing is lost', async (t) => {
  const file = join(tempDir(t), 'delay.yaml');
  writeFileSync(
    file,
    [
      'name: delayed acks',
      'clients:',
      '  slow: { clientId: ack-delay-slow, ack: delay 400ms, subscriptions: [{ filter: ack/delay, qos: 1 }] }',
      '  pub: { clientId: ack-delay-pub }',
      'steps:',
      '  - connect: all',
      '  - publish: { from: pub, topic: ack/delay, count: 3, qos: 1 }',
      '  - settle: { timeout: 2s }',
      '  - wait: 600ms',
      'expect:',
      '  - no-loss: {}',
      '  - duplicates: { max: 0, allow: [] }',
      '',
    ].join('\n'),
  );
  const json = join(tempDir(t), 'r.json');
  const r = await mqscen(['run', file, '--target', 'embedded:mosquitto', '--json', json]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const stats = (JSON.parse(readFileSync(json, 'utf8')) as { scenarios: Array<{ brokerStats?: unknown }> })
    .scenarios[0]?.brokerStats;
  assert.ok(stats !== undefined);
});

test('a half-open device with a 60 s keep-alive has no will within 6.2 s of silence (exit 1)', async () => {
  const r = await mqscen([
    'run',
    'test/fixtures/must-fail-half-open-will.yaml',
    '--target',
    'embedded:mosquitto',
    '--no-json',
  ]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /✖ will of device received by monitor[^\n]*got monitor did not/);
});

test('received: sum over clients and messages of one step; the count is judged on the total', async (t) => {
  const file = join(tempDir(t), 'sum.yaml');
  const text = (count: string) =>
    [
      'name: sums',
      'clients:',
      '  sub: { count: 2, clientId: "sum-sub-{n}", subscriptions: [{ filter: sum/t, qos: 1 }] }',
      '  pub: { clientId: sum-pub }',
      'steps:',
      '  - connect: all',
      '  - id: one',
      '    publish: { from: pub, topic: sum/t, count: 3, qos: 1 }',
      '  - id: two',
      '    publish: { from: pub, topic: sum/t, count: 2, qos: 1 }',
      '  - settle: { timeout: 2s }',
      'expect:',
      `  - received: { clients: sub, sum: true, step: one, count: ${count} }`,
      '',
    ].join('\n');
  writeFileSync(file, text('6'));
  const ok = await mqscen(['run', file, '--no-json']);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  writeFileSync(file, text('3'));
  const bad = await mqscen(['run', file, '--no-json']);
  assert.equal(bad.code, 1, bad.stdout + bad.stderr);
  assert.match(
    bad.stdout,
    /sub\[1\], sub\[2\] together receive exactly 3 messages of step \d+[^\n]*got 6 messages in all \(sub\[1\] 3, sub\[2\] 3\)/,
  );
});

test('not-delivered names each message of the step that did arrive (exit 1), passes when none did', async (t) => {
  const file = join(tempDir(t), 'nd.yaml');
  const text = (who: string) =>
    [
      'name: not delivered',
      'clients:',
      '  a: { clientId: nd-a, subscriptions: [{ filter: nd/a, qos: 1 }] }',
      '  b: { clientId: nd-b, subscriptions: [{ filter: nd/b, qos: 1 }] }',
      '  pub: { clientId: nd-pub }',
      'steps:',
      '  - connect: all',
      '  - id: to-a',
      '    publish: { from: pub, topic: nd/a, count: 4, qos: 1 }',
      '  - settle: { timeout: 2s }',
      'expect:',
      `  - not-delivered: { client: ${who}, step: to-a }`,
      '',
    ].join('\n');
  writeFileSync(file, text('b'));
  const ok = await mqscen(['run', file, '--no-json']);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  writeFileSync(file, text('a'));
  const bad = await mqscen(['run', file, '--no-json']);
  assert.equal(bad.code, 1, bad.stdout + bad.stderr);
  assert.match(bad.stdout, /✖ not-delivered to a of to-a[^\n]*got 4 messages did: a got pub#1\.\.#4/);
});

test('a bad fault step is exit 2 at file:line:col and nothing runs', async (t) => {
  const file = join(tempDir(t), 'bad.yaml');
  writeFileSync(
    file,
    'name: bad\nclients:\n  a: { proxy: false }\nsteps:\n  - connect: all\n  - fault: { clients: a, kind: blackhole }\n  - heal: all\n',
  );
  const r = await mqscen(['run', file]);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(
    r.stderr + r.stdout,
    /bad\.yaml:6:23 {2}steps\[1\]\.fault\.clients {2}a does not use the fault proxy/,
  );
});
