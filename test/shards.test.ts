/**
 * Sharded runs end to end through the built CLI: shard processes started as a Kubernetes Indexed
 * Job starts them (JOB_COMPLETION_INDEX=k with --shards n), their shard files merged, and the merged
 * verdict compared with the unsharded run of the same files; a failing scenario on one shard fails
 * the merge; a shard that never wrote its file makes the merge refuse, naming its index.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ShardFile } from '../runner/engine/shard-file.js';
import { encodedHistogramCount } from '../runner/engine/shard-histograms.js';
import type { ResultsDocument } from '../runner/reporters/json.js';
import { bin, mqscen, startBroker, tempDir } from './_cli.js';

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

test('4 shard processes (JOB_COMPLETION_INDEX=0..3) merge into the unsharded verdict; a missing shard is named', async (t) => {
  const dir = tempDir(t);
  const [shardBroker, wholeBroker] = await Promise.all([startBroker(t), startBroker(t)]);
  const common = ['--no-html', '--reporter', 'plain', '--run-id', 'test-run'];
  const shardRuns = await Promise.all(
    [0, 1, 2, 3].map((k) =>
      mqscen(
        [
          'run',
          ...FILES,
          '-t',
          shardBroker,
          '--shards',
          '4',
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
    '-t',
    wholeBroker,
    '--junit',
    join(dir, 'whole.xml'),
    '--json',
    join(dir, 'whole.json'),
    '--no-html',
    '--reporter',
    'plain',
  ]);
  assert.equal(whole.code, 1, whole.stderr);
  // The must-fail scenario is on one shard: that shard fails, the three others pass.
  assert.deepEqual(
    shardRuns.map((r) => r.code).sort(),
    [0, 0, 0, 1],
    shardRuns.map((r) => r.stderr).join('\n'),
  );
  assert.match(
    shardRuns[0]?.stderr ?? '',
    /shard 1\/4 \(JOB_COMPLETION_INDEX=0 with --shards 4\): 1 of 4 scenarios/,
  );
  assert.deepEqual(readdirSync(join(dir, 'shards')).sort(), [
    'shard-0.json',
    'shard-1.json',
    'shard-2.json',
    'shard-3.json',
  ]);

  // Each shard file carries its scenarios' latency histograms in the HDR standard encoding.
  let histograms = 0;
  for (let k = 0; k < 4; k++) {
    const doc = JSON.parse(readFileSync(join(dir, 'shards', `shard-${k}.json`), 'utf8')) as ShardFile;
    for (const h of doc.histograms) {
      histograms++;
      const r = doc.scenarios.find((x) => x.file === h.file);
      assert.equal(encodedHistogramCount(h.latencyUs), r?.latency?.count);
    }
  }
  assert.ok(histograms >= 3, `${histograms} histograms`);

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
  // Verdict, every assertion and the per-scenario counts equal the unsharded run's.
  assert.deepEqual(verdictOf(m).sort(byFile), verdictOf(w).sort(byFile));
  assert.equal(m.failed, 1);
  const lost = m.scenarios.find((s) => s.file.includes('must-fail'));
  assert.equal(lost?.status, 'failed');
  assert.match(lost?.assertions.find((a) => a.kind === 'no-loss')?.actual ?? '', /3 lost/);
  const junit = readFileSync(join(dir, 'merged.xml'), 'utf8');
  assert.equal(junit.match(/<testsuite /g)?.length, 4);
  assert.match(junit, /qos0 to an offline subscriber is lost/);
  assert.match(readFileSync(join(dir, 'merged.html'), 'utf8'), /<html/);

  // A shard that never wrote its file: no verdict, and its index is named.
  const partial = await mqscen([
    'merge',
    join(dir, 'shards', 'shard-[013].json'),
    '--no-junit',
    '--no-json',
    '--no-html',
  ]);
  assert.equal(partial.code, 2, partial.stderr);
  assert.match(partial.stderr, /incomplete set of shards: shard 3\/4 \(index 2\) of run test-run is missing/);

  // Shards of another selection never merge with these.
  const other = await mqscen([
    'run',
    FILES[0] as string,
    '-t',
    shardBroker,
    '--shard',
    '1/4',
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
    join(dir, 'shards', 'shard-[123].json'),
    '--no-junit',
    '--no-json',
    '--no-html',
  ]);
  assert.equal(mixed.code, 2);
  assert.match(mixed.stderr, /different scenario selections/);
});

test('a shard killed mid-run fails the merged run, naming its index', async (t) => {
  const dir = tempDir(t);
  const scenario = (name: string, wait: string) =>
    `name: ${name}\nclients:\n  c: { clientId: shard-kill-${name} }\nsteps:\n  - connect: all\n  - wait: ${wait}\n  - disconnect: all\nexpect: []\n`;
  writeFileSync(join(dir, 'a.yaml'), scenario('quick', '10ms'));
  writeFileSync(join(dir, 'b.yaml'), scenario('slow', '60s'));
  const files = [join(dir, 'a.yaml'), join(dir, 'b.yaml')];
  const args = (k: number) => [
    'run',
    ...files,
    '--shards',
    '2',
    '--run-id',
    'killed-run',
    '--shard-file',
    join(dir, `shard-${k}.json`),
    '--no-junit',
    '--no-json',
    '--no-html',
    '--reporter',
    'plain',
  ];
  const slow = spawn(process.execPath, [bin, ...args(1)], {
    env: { ...process.env, CI: 'true', JOB_COMPLETION_INDEX: '1', DEBUG: 'mqscen:engine:suite' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  t.after(() => slow.kill('SIGKILL'));
  let err = '';
  await new Promise<void>((res, rej) => {
    const timer = setTimeout(
      () => rej(new Error(`the slow shard never started its scenario:\n${err}`)),
      30_000,
    );
    slow.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (/running .*b\.yaml/.test(err)) {
        clearTimeout(timer);
        res();
      }
    });
  });
  const closed = new Promise((res) => slow.on('close', res));
  slow.kill('SIGKILL');
  await closed;
  const quick = await mqscen(args(0), { env: { JOB_COMPLETION_INDEX: '0' } });
  assert.equal(quick.code, 0, quick.stderr);
  const merged = await mqscen(['merge', join(dir, 'shard-*.json'), '--no-junit', '--no-json', '--no-html']);
  assert.equal(merged.code, 2);
  assert.match(
    merged.stderr,
    /shard 2\/2 \(index 1\) of run killed-run is missing; no verdict without every shard/,
  );
});

test('--shards without an index, and --shard-by clients on per-shard brokers (embedded, Mosquitto) or without a run id, are refused before anything runs', async () => {
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
    '--run-id',
    'r-embedded',
    '--no-junit',
    '--no-json',
    '--no-html',
  ]);
  assert.equal(clients.code, 2);
  assert.match(clients.stderr, /--shard-by clients needs one broker that every shard reaches/);
  // Client shards derive every message identity from the run id: one from the selection alone
  // would be the same for the next run of it.
  const noRunId = await mqscen([
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
  assert.equal(noRunId.code, 2);
  assert.match(noRunId.stderr, /client shards need a run id unique to this run/);
  // A TLS target cannot be the default coordinator: said before anything runs.
  const tls = await mqscen([
    'run',
    FILES[0] as string,
    '--shard',
    '1/2',
    '--shard-by',
    'clients',
    '--run-id',
    'r-tls',
    '-t',
    'mqtts://127.0.0.1:1',
    '--no-junit',
    '--no-json',
    '--no-html',
  ]);
  assert.equal(tls.code, 2);
  assert.match(tls.stderr, /needs TLS, which the step barriers of client shards do not carry/);
  // A Mosquitto the runner starts is one per shard as well.
  const mosquitto = await mqscen([
    'run',
    FILES[0] as string,
    '--shard',
    '1/2',
    '--shard-by',
    'clients',
    '--run-id',
    'r-mosquitto',
    '-t',
    'mosquitto',
    '--no-junit',
    '--no-json',
    '--no-html',
  ]);
  assert.equal(mosquitto.code, 2);
  assert.match(mosquitto.stderr, /each shard would start its own Mosquitto/);
});
