/**
 * Sharded runs end to end through the built CLI: shard processes started as a Kubernetes Indexed
 * Job starts them (JOB_COMPLETION_INDEX=k with --shards n), their shard files merged, and the merged
 * verdict compared with the unsharded run of the same files; a failing scenario on one shard fails
 * the merge; a shard that never wrote its file makes the merge refuse, naming its index.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ResultsDocument } from '../runner/reporters/json.js';
import { mqscen, tempDir } from './_cli.js';

const FILES = [
  'scenarios/retained.yaml',
  'scenarios/qos-levels.yaml',
  'scenarios/will.yaml',
  'test/fixtures/must-fail-qos0-offline.yaml',
];

const verdictOf = (doc: ResultsDocument) =>
  doc.scenarios.map((s) => ({
    file: s.file,
    status: s.status,
    assertions: s.assertions.map((a) => `${a.label}:${a.status}`),
    counters: {
      published: s.counters.published,
      received: s.counters.received,
      duplicates: s.counters.duplicates,
    },
  }));

test('2 shards by files merge into the unsharded verdict; a missing shard is named', async (t) => {
  const dir = tempDir(t);
  const common = ['--no-html', '--reporter', 'plain', '--run-id', 'test-run'];
  const shardRuns = await Promise.all(
    [0, 1].map((k) =>
      mqscen(
        [
          'run',
          ...FILES,
          '--shards',
          '2',
          '--junit',
          join(dir, `j${k}.xml`),
          '--json',
          join(dir, `r${k}.json`),
          '--shard-file',
          join(dir, 'shards', `shard-${k}.json`),
          ...common,
        ],
        { env: { JOB_COMPLETION_INDEX: String(k) } },
      ),
    ),
  );
  const whole = await mqscen([
    'run',
    ...FILES,
    '--junit',
    join(dir, 'whole.xml'),
    '--json',
    join(dir, 'whole.json'),
    '--no-html',
    '--reporter',
    'plain',
  ]);
  assert.equal(whole.code, 1, whole.stderr);
  // The must-fail scenario sorts into one shard: that shard fails, the other passes.
  assert.deepEqual(shardRuns.map((r) => r.code).sort(), [0, 1], shardRuns.map((r) => r.stderr).join('\n'));
  assert.match(
    shardRuns[0]?.stderr ?? '',
    /shard 1\/2 \(JOB_COMPLETION_INDEX=0 with --shards 2\): 2 of 4 scenarios/,
  );
  assert.deepEqual(readdirSync(join(dir, 'shards')).sort(), ['shard-0.json', 'shard-1.json']);

  const merged = await mqscen([
    'merge',
    join(dir, 'shards', 'shard-*.json'),
    '--junit',
    join(dir, 'merged.xml'),
    '--json',
    join(dir, 'merged.json'),
    '--html',
    join(dir, 'merged.html'),
  ]);
  assert.equal(merged.code, 1, merged.stderr);
  const m = JSON.parse(readFileSync(join(dir, 'merged.json'), 'utf8')) as ResultsDocument;
  const w = JSON.parse(readFileSync(join(dir, 'whole.json'), 'utf8')) as ResultsDocument;
  const byFile = (a: { file: string }, b: { file: string }) => a.file.localeCompare(b.file);
  assert.deepEqual(verdictOf(m).sort(byFile), verdictOf(w).sort(byFile));
  assert.equal(m.failed, 1);
  assert.equal(m.scenarios.find((s) => s.file.includes('must-fail'))?.status, 'failed');
  const junit = readFileSync(join(dir, 'merged.xml'), 'utf8');
  assert.equal(junit.match(/<testsuite /g)?.length, 4);
  assert.match(junit, /qos0 to an offline subscriber is lost/);
  assert.match(readFileSync(join(dir, 'merged.html'), 'utf8'), /<html/);

  // A shard that never wrote its file (killed, evicted): no verdict, and its index is named.
  const partial = await mqscen([
    'merge',
    join(dir, 'shards', 'shard-0.json'),
    '--no-junit',
    '--no-json',
    '--no-html',
  ]);
  assert.equal(partial.code, 2);
  assert.match(partial.stderr, /incomplete set of shards: shard 2\/2 \(index 1\) of run test-run is missing/);

  // Shards of another selection never merge with these.
  const other = await mqscen([
    'run',
    FILES[0] as string,
    '--shard',
    '1/2',
    '--run-id',
    'test-run',
    '--shard-file',
    join(dir, 'other.json'),
    '--no-junit',
    '--no-json',
    '--no-html',
    '--reporter',
    'plain',
  ]);
  assert.equal(other.code, 0, other.stderr);
  const mixed = await mqscen([
    'merge',
    join(dir, 'other.json'),
    join(dir, 'shards', 'shard-1.json'),
    '--no-junit',
    '--no-json',
    '--no-html',
  ]);
  assert.equal(mixed.code, 2);
  assert.match(mixed.stderr, /different scenario selections/);
});

test('--shards without an index and --shard-by clients are refused before anything runs', async () => {
  const noIndex = await mqscen(
    ['run', FILES[0] as string, '--shards', '3', '--no-junit', '--no-json', '--no-html'],
    {
      env: { JOB_COMPLETION_INDEX: '' },
    },
  );
  assert.equal(noIndex.code, 2);
  assert.match(noIndex.stderr, /no shard index/);
  const badIndex = await mqscen([
    'run',
    FILES[0] as string,
    '--shard',
    '0/3',
    '--no-junit',
    '--no-json',
    '--no-html',
  ]);
  assert.equal(badIndex.code, 2);
  assert.match(badIndex.stderr, /numbered 1\.\.3/);
  const clients = await mqscen([
    'run',
    FILES[0] as string,
    '--shard',
    '1/2',
    '--shard-by',
    'clients',
    '--no-junit',
    '--no-json',
    '--no-html',
  ]);
  assert.equal(clients.code, 2);
  assert.match(clients.stderr, /--shard-by clients is not supported yet/);
});
