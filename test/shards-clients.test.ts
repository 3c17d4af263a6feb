/**
 * Client shards (`--shard-by clients`) end to end through the built CLI: one scenario's clients
 * split over 4 shard processes started as a Kubernetes Indexed Job starts them
 * (JOB_COMPLETION_INDEX=k with --shards 4) against one broker (a `mqscen broker` child, and a real
 * Mosquitto), their shard files merged by `mqscen merge`, and the merged verdict and per-client
 * counts compared with the unsharded run of the same scenario on a second broker; the must-fail
 * twin, where a real misbehaving link (the fault proxy in front of shard 3 only) drops one message
 * published on shard 1, is reported as that one loss after the merge; a shard killed mid-step fails
 * the others naming it, and the merge of what is left refuses; deliveries that come late to one
 * shard (a correct, slow broker) do not fail the run.
 *
 * Glossary: `FLEET` the scenario of the first two cases; `runShards` the 4 shard processes to
 * their end; `owners` which shard index runs each client (the partition every shard computes);
 * `verdictOf` what must be equal between the merged and the unsharded run.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { clientOwners, shardClientRunId } from '../runner/engine/shard.js';
import type { ShardFile } from '../runner/engine/shard-file.js';
import { SHARD_QUIET_MS } from '../runner/engine/steps/settle.js';
import { startFaultProxy } from '../runner/faults/index.js';
import type { ResultsDocument } from '../runner/reporters/json.js';
import { loadScenarioText } from '../runner/scenario/index.js';
import { findMosquitto, startMosquittoTarget } from '../runner/targets/mosquitto.js';
import { type CliResult, mqscen, startBroker, startMqscen, tempDir } from './_cli.js';

const SHARDS = 4;

/**
 * Plain QoS 1 subscribers, a `$share` group whose members land on three shards, two publishers,
 * and a persistent-session subscriber that is offline during a burst and drains its queue when it
 * returns. The members join one at a time, so a round-robin broker (`--profile mosquitto`) deals
 * the group the same shares in the sharded and the unsharded run.
 */
const FLEET = `
name: a fleet split over client shards
timeout: 20s
vars:
  topic: fleet/telemetry
  group: workers
clients:
  sub:
    count: 3
    clientId: fleet-sub-{n}-{run}
    subscriptions: [{ filter: "\${topic}/#", qos: 1 }]
  worker:
    count: 3
    clientId: fleet-worker-{n}-{run}
  keeper:
    clientId: fleet-keeper-{run}
    session: { clean: false, expiry: 1h }
    subscriptions: [{ filter: "\${topic}/#", qos: 1 }]
  pubA:
    clientId: fleet-pub-a-{run}
  pubB:
    clientId: fleet-pub-b-{run}
steps:
  - connect: all
  - subscribe: { clients: "worker[1]", filter: "$share/\${group}/\${topic}/#", qos: 1 }
  - subscribe: { clients: "worker[2]", filter: "$share/\${group}/\${topic}/#", qos: 1 }
  - subscribe: { clients: "worker[3]", filter: "$share/\${group}/\${topic}/#", qos: 1 }
  - parallel:
      - publish: { from: pubA, topic: "\${topic}/a", count: 10, qos: 1 }
      - publish: { from: pubB, topic: "\${topic}/b", count: 10, qos: 1 }
  - settle: 5s
  - disconnect: { clients: keeper, how: graceful }
  - id: burst
    publish: { from: pubA, topic: "\${topic}/a", count: 5, qos: 1 }
  - id: back
    reconnect: keeper
  - settle: 5s
expect:
  - name: no-loss
    no-loss: {}
  - name: duplicates
    duplicates: { max: 0 }
  - name: subscribers
    received: { clients: sub, count: 25 }
  - name: keeper
    received: { client: keeper, count: 25 }
  - name: keeper-queue
    received: { client: keeper, step: burst, after: back, count: 5 }
  - name: workers
    shared-group: { group: "\${group}", each-message: once, every-member-receives: true }
  - name: session
    session-present: { client: keeper, step: back, expected: true }
  - name: ordered
    ordered: { per: publisher }
`;

/** Which shard index runs each client of `yaml` (as every shard computes it), by client name. */
function owners(yaml: string, runId: string): Map<string, { index: number; clientId: string; idx: number }> {
  const loaded = loadScenarioText('fleet.yaml', yaml, { runId: shardClientRunId(runId) });
  assert.ok(loaded.ok, JSON.stringify(loaded));
  const clients = loaded.scenario.clients;
  const owner = clientOwners(clients, SHARDS);
  return new Map(
    clients.map((c, i) => [c.name, { index: owner[i] as number, clientId: c.clientId, idx: i }]),
  );
}

const runArgs = ['--no-junit', '--no-html', '--reporter', 'plain'];

/** The 4 shard processes of one run, to their end; `target(k)` is shard index k's broker URL. */
function runShards(
  dir: string,
  runId: string,
  target: (k: number) => string,
  extra: (k: number) => string[] = () => [],
): Promise<CliResult[]> {
  return Promise.all(
    Array.from({ length: SHARDS }, (_, k) =>
      mqscen(
        [
          'run',
          'fleet.yaml',
          '-t',
          target(k),
          '--shards',
          String(SHARDS),
          '--shard-by',
          'clients',
          '--run-id',
          runId,
          '--shard-file',
          `shard-${k}.json`,
          '--no-json',
          ...runArgs,
          ...extra(k),
        ],
        { cwd: dir, env: { JOB_COMPLETION_INDEX: String(k) } },
      ),
    ),
  );
}

function merge(dir: string): Promise<CliResult> {
  return mqscen(['merge', 'shard-*.json', '--no-junit', '--json', 'merged.json', '--html', 'merged.html'], {
    cwd: dir,
  });
}

type Scenario = ResultsDocument['scenarios'][number];

/** The oracle's per-client counts in the JSON report (`oracle.receivers`). */
interface Receiver {
  name: string;
  received: number;
  duplicates: number;
  redelivered: number;
  outOfOrder: number;
}
const receiversOf = (s: Scenario) => (s.oracle?.['receivers'] ?? []) as Receiver[];

function readScenario(dir: string, file: string): Scenario {
  const doc = JSON.parse(readFileSync(join(dir, file), 'utf8')) as ResultsDocument;
  assert.equal(doc.scenarios.length, 1);
  return doc.scenarios[0] as Scenario;
}

/** What the merged run must share with the unsharded one: the verdict and every per-client count. */
const verdictOf = (s: Scenario) => ({
  status: s.status,
  assertions: s.assertions.map((a) => ({ label: a.label, status: a.status, actual: a.actual })),
  counters: {
    published: s.counters.published,
    acked: s.counters.acked,
    received: s.counters.received,
    duplicates: s.counters.duplicates,
  },
  receivers: receiversOf(s).map((r) => ({
    name: r.name,
    received: r.received,
    duplicates: r.duplicates,
    redelivered: r.redelivered,
    outOfOrder: r.outOfOrder,
  })),
});

const shardCodes = (runs: readonly CliResult[]) => runs.map((r) => r.code);
const shardErrors = (runs: readonly CliResult[]) =>
  runs.map((r, k) => `--- shard index ${k}\n${r.stdout}${r.stderr}`).join('\n');

/** A real Mosquitto on a free port, stopped at the end of the test; its URL. */
async function startRealMosquitto(t: TestContext): Promise<string> {
  const mosquitto = await startMosquittoTarget({ websockets: false });
  t.after(() => mosquitto.close());
  return mosquitto.urls.mqtt;
}

const mosquittoMissing = (() => {
  try {
    findMosquitto();
    return false;
  } catch {
    return 'mosquitto is not installed (apt-get install -y mosquitto)';
  }
})();

for (const [brokerName, startOne, skip] of [
  [
    'mqscen broker --profile mosquitto',
    (t: TestContext) => startBroker(t, ['--profile', 'mosquitto']),
    false,
  ],
  ['a real Mosquitto', startRealMosquitto, mosquittoMissing],
] as const) {
  test(
    `a scenario split over 4 client shard processes merges into the unsharded verdict and per-client counts (${brokerName})`,
    { skip },
    (t) => splitMatchesWhole(t, () => startOne(t)),
  );
}

async function splitMatchesWhole(t: TestContext, start: () => Promise<string>): Promise<void> {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'fleet.yaml'), FLEET);
  const [shardBroker, wholeBroker] = await Promise.all([start(), start()]);
  const [shards, whole] = await Promise.all([
    runShards(dir, 'fleet-run', () => shardBroker),
    mqscen(['run', 'fleet.yaml', '-t', wholeBroker, '--json', 'whole.json', ...runArgs], { cwd: dir }),
  ]);
  assert.equal(whole.code, 0, whole.stdout + whole.stderr);
  assert.deepEqual(shardCodes(shards), [0, 0, 0, 0], shardErrors(shards));
  // A shard judges nothing: its part of the record is not the run's.
  assert.match(shards[2]?.stdout ?? '', /■ no-loss — not evaluated here: shard 3\/4 ran part of the clients/);

  // The partition every shard computed: each shard file says which clients it ran.
  const own = owners(FLEET, 'fleet-run');
  const owned = Array.from({ length: SHARDS }, (_, k) => {
    const file = JSON.parse(readFileSync(join(dir, `shard-${k}.json`), 'utf8')) as ShardFile;
    return file.journals?.[0]?.owned;
  });
  assert.deepEqual(
    owned,
    Array.from({ length: SHARDS }, (_, k) =>
      [...own.values()].filter((c) => c.index === k).map((c) => c.idx),
    ),
  );
  const at = (name: string) => own.get(name)?.index;
  // Publishers and subscribers on different shards, the group's members spread over three.
  assert.notEqual(at('pubA'), at('keeper'));
  assert.notEqual(at('pubB'), at('sub[3]'));
  assert.equal(new Set([at('worker[1]'), at('worker[2]'), at('worker[3]')]).size, 3);

  const merged = await merge(dir);
  assert.equal(merged.code, 0, merged.stdout + merged.stderr);
  const m = readScenario(dir, 'merged.json');
  const w = readScenario(dir, 'whole.json');
  assert.deepEqual(verdictOf(m), verdictOf(w));
  // And that verdict is the one this scenario must have on a correct broker.
  assert.deepEqual(
    m.assertions.map((a) => [a.label, a.status, a.actual]),
    [
      ['no-loss', 'passed', '125 of 125 owed deliveries arrived'],
      ['duplicates', 'passed', 'no duplicates'],
      ['subscribers', 'passed', 'all within: 75 messages in all (sub[1] 25, sub[2] 25, sub[3] 25)'],
      ['keeper', 'passed', '25 messages'],
      ['keeper-queue', 'passed', '5 messages'],
      ['workers', 'passed', '25 messages distributed: worker[1] 9, worker[2] 8, worker[3] 8'],
      ['session', 'passed', 'keeper sessionPresent=true'],
      ['ordered', 'passed', 'in order (125 messages checked)'],
    ],
  );
  assert.ok((m.latency?.crossShard?.pairs ?? 0) > 0, JSON.stringify(m.latency));
  // The HTML report says which latencies compare two shards' clocks.
  assert.match(
    readFileSync(join(dir, 'merged.html'), 'utf8'),
    new RegExp(`${m.latency?.crossShard?.pairs} of these deliveries crossed shards`),
  );
}

test('must-fail twin: a message from shard 1 dropped on its way to a subscriber on shard 3 is lost after the merge', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'fleet.yaml'), FLEET);
  const broker = await startBroker(t, ['--profile', 'mosquitto']);
  const own = owners(FLEET, 'lossy-run');
  const pubB = own.get('pubB');
  const sub3 = own.get('sub[3]');
  // The premise of the twin: publisher on shard 1 (index 0), subscriber on shard 3 (index 2).
  assert.equal(pubB?.index, 0);
  assert.equal(sub3?.index, 2);

  // A real misbehaving link in front of shard 3 only: pubB#3 never reaches sub[3] (the proxy
  // acknowledges it to the broker in sub[3]'s name, so the broker believes it delivered).
  const proxy = await startFaultProxy({ seed: 1 });
  t.after(() => proxy.close());
  const { port } = new URL(broker);
  const link = await proxy.addClient('shard-3', {
    upstream: { host: '127.0.0.1', port: Number(port) },
    packets: true,
  });
  proxy.addRule({
    kind: 'drop',
    client: sub3.clientId,
    stream: 'downstream',
    match: { publisher: pubB.idx, seq: 3 },
  });
  const shards = await runShards(dir, 'lossy-run', (k) =>
    k === 2 ? `mqtt://127.0.0.1:${link.port}` : broker,
  );
  assert.deepEqual(shardCodes(shards), [0, 0, 0, 0], shardErrors(shards));
  // The fault fired, once, on that message (the rule matches only sub[3]'s connection).
  const drops = proxy.events.flatMap((e) => (e.type === 'packet' && e.action === 'dropped' ? [e] : []));
  assert.deepEqual(
    drops.map((e) => [e.client, e.packet.topic, e.packet.identity]),
    [['shard-3', 'fleet/telemetry/b', `${pubB.idx}#3`]],
  );

  const merged = await merge(dir);
  assert.equal(merged.code, 1, merged.stdout + merged.stderr);
  const m = readScenario(dir, 'merged.json');
  assert.equal(m.status, 'failed');
  assert.deepEqual(
    m.assertions.map((a) => [a.label, a.status, a.actual]),
    [
      ['no-loss', 'failed', '1 lost: pubB#3 (expected by sub[3])'],
      ['duplicates', 'passed', 'no duplicates'],
      ['subscribers', 'failed', '1 of 3 outside: 74 messages in all (sub[1] 25, sub[2] 25, sub[3] 24)'],
      ['keeper', 'passed', '25 messages'],
      ['keeper-queue', 'passed', '5 messages'],
      ['workers', 'passed', '25 messages distributed: worker[1] 9, worker[2] 8, worker[3] 8'],
      ['session', 'passed', 'keeper sessionPresent=true'],
      ['ordered', 'passed', 'in order (124 messages checked)'],
    ],
  );
  assert.deepEqual(
    receiversOf(m)
      .filter((r) => r.name.startsWith('sub'))
      .map((r) => [r.name, r.received]),
    [
      ['sub[1]', 25],
      ['sub[2]', 25],
      ['sub[3]', 24],
    ],
  );
});

test('a shard killed mid-step fails the other shards naming it, and the merge of the rest refuses', async (t) => {
  const dir = tempDir(t);
  // The publisher is on shard 4 (index 3), the subscribers on the three others; the burst lasts
  // about 8 s, so shard 3 (index 2) is killed while every shard is in it.
  const KILL = `
name: a shard dies mid-burst
timeout: 20s
clients:
  sub:
    count: 3
    clientId: kill-sub-{n}-{run}
    subscriptions: [{ filter: kill/t, qos: 1 }]
  pub:
    clientId: kill-pub-{run}
steps:
  - connect: all
  - id: slow
    publish: { from: pub, topic: kill/t, count: 80, qos: 1, rate: 10/s }
  - settle: 5s
expect:
  - no-loss: {}
`;
  writeFileSync(join(dir, 'fleet.yaml'), KILL);
  assert.equal(owners(KILL, 'kill-run').get('sub[3]')?.index, 2);
  const broker = await startBroker(t);
  const shards = Array.from({ length: SHARDS }, (_, k) =>
    startMqscen(
      [
        'run',
        'fleet.yaml',
        '-t',
        broker,
        '--shards',
        String(SHARDS),
        '--shard-by',
        'clients',
        '--run-id',
        'kill-run',
        '--shard-file',
        `shard-${k}.json`,
        '--no-json',
        ...runArgs,
      ],
      t,
      { cwd: dir, env: { JOB_COMPLETION_INDEX: String(k) } },
    ),
  );
  const victim = shards[2] as (typeof shards)[number];
  // Step [1] ended on every shard (its barrier passed): they are all in the burst now.
  await victim.waitFor(/\[1\] connect all/, 'shard index 2 never finished the connect step', 20_000);
  victim.child.kill('SIGKILL');
  assert.equal(await victim.exit('the killed shard did not exit', 5_000), null);

  const survivors = [0, 1, 3].map((k) => shards[k] as (typeof shards)[number]);
  // Bounded by the scenario deadline (20 s) plus the teardown: never a hang.
  const codes = await Promise.all(survivors.map((s, i) => s.exit(`shard ${i} did not end`, 40_000)));
  // The broker published the killed shard's will on the coordinator: every other shard failed
  // at once, in the step it was in (the deadline would have named it only in a later barrier).
  for (const [i, s] of survivors.entries()) {
    assert.equal(codes[i], 3, s.output());
    assert.match(
      s.output(),
      /✖ \[2\] publish 80 × QoS1 pub → kill\/t .*failed {2}shard \d\/4: shard 3\/4 \(index 2\) failed \(its connection to the coordinator was lost \(killed, crashed or cut off\)\); the run fails/,
      s.output(),
    );
  }
  // The burst was cut short on the publisher's shard, not run on to its end.
  const publisher = JSON.parse(readFileSync(join(dir, 'shard-3.json'), 'utf8')) as ShardFile;
  const burst = publisher.scenarios[0]?.steps[1];
  assert.equal(burst?.status, 'failed');
  assert.ok((burst?.counters.published ?? 80) < 80, JSON.stringify(burst));
  const left = await mqscen(['merge', 'shard-*.json', '--no-junit', '--no-json', '--no-html'], { cwd: dir });
  assert.equal(left.code, 2, left.stdout + left.stderr);
  assert.match(
    left.stderr,
    /incomplete set of shards: shard 3\/4 \(index 2\) of run kill-run is missing; no verdict without every shard/,
  );
});

/**
 * One publisher and three subscribers, one per shard, and a watcher of every topic (`#`), which
 * also sees the shards' barrier and clock messages on the broker: they must not count.
 */
const LATE = `
name: deliveries that come late to one shard
timeout: 40s
clients:
  pub:
    clientId: late-pub-{run}
  sub:
    count: 3
    clientId: late-sub-{n}-{run}
    subscriptions: [{ filter: late/t, qos: 1 }]
  watch:
    clientId: late-watch-{run}
    subscriptions: [{ filter: "#", qos: 1 }]
steps:
  - connect: all
  - publish: { from: pub, topic: late/t, count: 10, qos: 1 }
  - settle: 15s
  - disconnect: all
expect:
  - name: no-loss
    no-loss: {}
  - name: subscribers
    received: { clients: sub, count: 10 }
  - name: watch
    received: { client: watch, count: 10 }
`;

test('a correct broker whose deliveries to one shard come late passes: that shard settles on what its clients are owed, not on silence; the coordinator traffic a # subscriber sees is not counted', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'fleet.yaml'), LATE);
  const broker = await startBroker(t, ['--profile', 'mosquitto']);
  const own = owners(LATE, 'late-run');
  assert.equal(own.get('pub')?.index, 0);
  assert.equal(own.get('sub[2]')?.index, 2);
  // The broker's first message to shard 3's client comes 5 s after the others: longer than the
  // silence a shard waits for after the deliveries it knows it is owed (SHARD_QUIET_MS). (A
  // reorder whose second message never comes holds the first for maxHoldMs, then lets it go.)
  const proxy = await startFaultProxy({ seed: 1 });
  t.after(() => proxy.close());
  const { port } = new URL(broker);
  const link = await proxy.addClient('shard-3', {
    upstream: { host: '127.0.0.1', port: Number(port) },
    packets: true,
  });
  const pub = own.get('pub')?.idx as number;
  proxy.addRule({
    kind: 'reorder',
    stream: 'downstream',
    first: { publisher: pub, seq: 1 },
    second: { publisher: pub, seq: 99 },
    maxHoldMs: SHARD_QUIET_MS + 3_000,
  });
  // The barriers and clocks go to the broker directly (`--coordinator`), as a user would point them
  // past a slow link.
  const shards = await runShards(
    dir,
    'late-run',
    (k) => (k === 2 ? `mqtt://127.0.0.1:${link.port}` : broker),
    () => ['--coordinator', broker],
  );
  assert.deepEqual(shardCodes(shards), [0, 0, 0, 0], shardErrors(shards));
  const merged = await merge(dir);
  assert.equal(merged.code, 0, merged.stdout + merged.stderr);
  const m = readScenario(dir, 'merged.json');
  assert.deepEqual(
    m.assertions.map((a) => [a.label, a.status, a.actual]),
    [
      ['no-loss', 'passed', '40 of 40 owed deliveries arrived'],
      ['subscribers', 'passed', 'all within: 30 messages in all (sub[1] 10, sub[2] 10, sub[3] 10)'],
      ['watch', 'passed', '10 messages'],
    ],
  );
  assert.match(shards[2]?.stdout ?? '', /settle[^\n]*settled 10\/10 owed to this shard's clients/);
});
