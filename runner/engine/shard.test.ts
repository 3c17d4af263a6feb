import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../errors.js';
import type { RunSummary, ScenarioResult } from '../results.js';
import { partitionByFiles, resolveShard, resolveShardRunId, suiteFingerprint } from './shard.js';
import { buildShardFile, mergeShardFiles, parseShardFile, type ShardFile } from './shard-file.js';

const items = ['d.yaml', 'a.yaml', 'c.yaml', 'b.yaml', 'e.yaml'].map((file) => ({ file, name: file }));

test('shard spec: --shard i/n is 1-based, JOB_COMPLETION_INDEX is 0-based with --shards', () => {
  assert.deepEqual(resolveShard({ shard: '2/4', env: {} }), { index: 1, total: 4, source: '--shard 2/4' });
  assert.equal(resolveShard({ env: { MQSCEN_SHARD: '3/3' } })?.index, 2);
  assert.equal(resolveShard({ shards: '4', env: { JOB_COMPLETION_INDEX: '0' } })?.index, 0);
  assert.equal(resolveShard({ env: { JOB_COMPLETION_INDEX: '2' } }), undefined);
  assert.equal(resolveShard({ env: {} }), undefined);
  // The flag wins over the environment.
  assert.equal(resolveShard({ shard: '1/2', env: { MQSCEN_SHARD: '2/2' } })?.index, 0);
  for (const bad of ['0/4', '5/4', '1/0', 'x', '1/4/2', '-1/4']) {
    assert.throws(() => resolveShard({ shard: bad, env: {} }), UsageError, bad);
  }
  assert.throws(() => resolveShard({ shards: '4', env: {} }), /no shard index/);
  assert.throws(() => resolveShard({ shards: '4', env: { JOB_COMPLETION_INDEX: '4' } }), /0\.\.3/);
  assert.throws(() => resolveShard({ shard: '1/3', shards: '4', env: {} }), /disagrees/);
});

test('file partition: every scenario in exactly one shard, whatever the argument order', () => {
  for (let n = 1; n <= 7; n++) {
    const seen: string[] = [];
    for (let i = 0; i < n; i++) {
      const part = partitionByFiles(items, { index: i, total: n });
      const reversed = partitionByFiles([...items].reverse(), { index: i, total: n });
      assert.deepEqual(part, reversed);
      assert.ok(part.length <= Math.ceil(items.length / n) && part.length >= Math.floor(items.length / n));
      seen.push(...part.map((p) => p.file));
    }
    assert.deepEqual(seen, ['a.yaml', 'b.yaml', 'c.yaml', 'd.yaml', 'e.yaml']);
  }
});

test('fingerprint and run id: content, variables and shard count tell selections apart', () => {
  const withContent = items.map((s) => ({ ...s, content: `name: ${s.name}` }));
  const base = suiteFingerprint({ scenarios: withContent, vars: {}, total: 2, by: 'files' });
  assert.equal(
    base,
    suiteFingerprint({ scenarios: [...withContent].reverse(), vars: {}, total: 2, by: 'files' }),
  );
  assert.notEqual(
    base,
    suiteFingerprint({ scenarios: withContent, vars: { a: '1' }, total: 2, by: 'files' }),
  );
  assert.notEqual(base, suiteFingerprint({ scenarios: withContent, vars: {}, total: 3, by: 'files' }));
  const edited = withContent.map((s, i) => (i === 0 ? { ...s, content: 'changed' } : s));
  assert.notEqual(base, suiteFingerprint({ scenarios: edited, vars: {}, total: 2, by: 'files' }));
  assert.equal(resolveShardRunId('x', { MQSCEN_RUN_ID: 'y' }, base), 'x');
  assert.equal(resolveShardRunId(undefined, { MQSCEN_RUN_ID: 'y' }, base), 'y');
  assert.equal(
    resolveShardRunId(undefined, { GITHUB_RUN_ID: '42', GITHUB_RUN_ATTEMPT: '2' }, base),
    'github-42-2',
  );
  assert.equal(resolveShardRunId(undefined, {}, base), `suite-${base.slice(0, 12)}`);
});

function result(file: string, status: ScenarioResult['status'] = 'passed'): ScenarioResult {
  return {
    file,
    name: file,
    target: { name: 'embedded', kind: 'embedded', behaviour: 'aws-iot', transport: 'mqttjs', url: '' },
    protocols: ['5'],
    startedAt: new Date(0).toISOString(),
    durationMs: 5,
    status,
    steps: [],
    assertions: [],
    counters: { published: 0, acked: 0, received: 0, duplicates: 0, pending: 0 },
  };
}

function shards(
  total: number,
  statusOf: (file: string) => ScenarioResult['status'] = () => 'passed',
): ShardFile[] {
  return Array.from({ length: total }, (_, index) => {
    const owned = partitionByFiles(items, { index, total });
    const scenarios = owned.map((s) => result(s.file, statusOf(s.file)));
    const summary: RunSummary = {
      startedAt: new Date(1000 * index).toISOString(),
      durationMs: 100,
      scenarios,
      passed: 0,
      failed: 0,
      errored: 0,
      reason: scenarios.every((s) => s.status === 'passed') ? 'passed' : 'failed',
    };
    const doc = buildShardFile({
      version: '1.0.0',
      runId: 'r1',
      fingerprint: 'f'.repeat(64),
      by: 'files',
      index,
      total,
      selection: items,
      summary,
    });
    return parseShardFile(`shard-${index + 1}.json`, JSON.stringify(doc));
  });
}

const names = (list: readonly ShardFile[]) => list.map((s) => `shard-${s.shard.index + 1}.json`);

test('merge: a complete set is the whole selection in partition order, its verdict over all shards', () => {
  const set = shards(3);
  const merged = mergeShardFiles(names(set), [...set].reverse().reverse());
  assert.deepEqual(
    merged.scenarios.map((s) => s.file),
    ['a.yaml', 'b.yaml', 'c.yaml', 'd.yaml', 'e.yaml'],
  );
  assert.equal(merged.reason, 'passed');
  assert.equal(merged.passed, 5);
  assert.equal(merged.durationMs, 2100);
  // One failed scenario on one shard fails the merged run.
  const failing = shards(3, (f) => (f === 'd.yaml' ? 'failed' : 'passed'));
  const m2 = mergeShardFiles(names(failing), failing);
  assert.equal(m2.reason, 'failed');
  assert.equal(m2.failed, 1);
});

test('merge refuses a set that is not one run, whole', () => {
  const set = shards(4);
  assert.throws(
    () =>
      mergeShardFiles(names([set[0], set[2], set[3]] as ShardFile[]), [
        set[0],
        set[2],
        set[3],
      ] as ShardFile[]),
    (e: unknown) =>
      e instanceof UsageError && /shard 2\/4 \(index 1\)/.test(e.message) && /incomplete/.test(e.message),
  );
  const twice = [set[0], set[1], set[1], set[2], set[3]] as ShardFile[];
  assert.throws(() => mergeShardFiles(names(twice), twice), /both shard 2\/4/);
  const other = structuredClone(set);
  (other[2] as ShardFile).run.id = 'r2';
  assert.throws(() => mergeShardFiles(names(other), other), /different runs/);
  const version = structuredClone(set);
  (version[1] as ShardFile).mqscen.version = '2.0.0';
  assert.throws(() => mergeShardFiles(names(version), version), /different mqscen versions/);
  const suite = structuredClone(set);
  (suite[3] as ShardFile).run.fingerprint = 'e'.repeat(64);
  assert.throws(() => mergeShardFiles(names(suite), suite), /different scenario selections/);
  const moved = structuredClone(set);
  (moved[0] as ShardFile).scenarios.push(result('e.yaml'));
  assert.throws(() => mergeShardFiles(names(moved), moved), /partition gives to another shard/);
  const damaged = structuredClone(set);
  const victim = (damaged[0] as ShardFile).scenarios[0] as ScenarioResult;
  (damaged[0] as ShardFile).histograms.push({ file: victim.file, name: victim.name, latencyUs: 'not-hdr' });
  assert.throws(() => mergeShardFiles(names(damaged), damaged), /damaged shard file: the latency histogram/);
  assert.throws(() => parseShardFile('x.json', '{"schemaVersion":1}'), /not an mqscen shard file/);
  assert.throws(
    () => parseShardFile('x.json', JSON.stringify({ ...set[0], formatVersion: 99 })),
    /format version 99/,
  );
});
