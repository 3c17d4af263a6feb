/**
 * Fault steps end to end through the CLI: the must-fail twin of scenarios/fault-partition.yaml
 * exits 1 and names the messages the partition cost; the fault appears in the JSON timeline and
 * on the JUnit step timeline; a bad fault step is exit 2 at file:line:col before anything runs.
 * (The examples themselves pass on every target in test/scenarios.test.ts.)
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
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
