/**
 * Cross-check of the embedded broker's `mosquitto` profile against a real Mosquitto 2.x: every
 * scenario in scenarios/ runs (runScenario, in process) on both, and the per-client outcome must
 * match. Compared, from each result's oracle data:
 * - clients outside shared groups: exact received counts and will receipts;
 * - members of shared groups: the multiset of their received counts (which member gets which share
 *   of a round-robin depends on subscribe order, which the engine does not fix), plus the group total;
 * - the scenario status (both pass, or both fail the same assertions).
 * Scenarios run one after the other on each broker; the brokers run side by side. The embedded
 * aws-iot profile runs as well and must differ from Mosquitto on at least one scenario, so the
 * comparison is known to tell brokers apart.
 *
 * At load: bursts at full speed (1 → 1, 10 → 1, 1 → 10 shared; QoS 0 and 1), each broker with its
 * default limits: the embedded mosquitto profile never delivers fewer messages than Mosquitto, per
 * plain subscriber and per group. Overlapping subscriptions: the same per-client copies (MQTT 5 one
 * per matching subscription, MQTT 3.1.1 one).
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { type BurstResult, runBurst } from '../bench/broker-burst.js';
import { runScenario } from '../runner/engine/run-scenario.js';
import type { ScenarioResult } from '../runner/results.js';
import { loadScenario } from '../runner/scenario/index.js';
import type { ResolvedScenario } from '../runner/scenario/types.js';
import { startEmbeddedTarget } from '../runner/targets/embedded.js';
import { findMosquitto, startMosquittoTarget } from '../runner/targets/mosquitto.js';
import type { StartedTarget } from '../runner/targets/target.js';

const root = resolve(import.meta.dirname, '..');
const files = readdirSync(join(root, 'scenarios'))
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => join(root, 'scenarios', f));

function mosquittoMissing(): string | false {
  try {
    findMosquitto();
    return false;
  } catch (error) {
    return `Mosquitto is not installed, no cross-check: ${(error as Error).message}`;
  }
}

interface Receiver {
  name: string;
  received: number;
  wills: number;
}

interface Outcome {
  status: string;
  failedAssertions: string[];
  /** Clients outside shared groups: name → "received/wills". */
  plain: Record<string, string>;
  /** Shared-group members: sorted received counts, and the group total. */
  members: number[];
  membersTotal: number;
}

/** Names of clients that appear as shared-group members in the oracle's audience. */
function groupMembers(result: ScenarioResult): Set<string> {
  const members = new Set<string>();
  const audience = (result.oracle?.['audience'] ?? []) as Array<{ audience: string; states?: string[] }>;
  for (const entry of audience) {
    if (!entry.audience.startsWith('group ')) continue;
    for (const state of entry.states ?? []) members.add(state.slice(0, state.lastIndexOf(':')));
  }
  return members;
}

function outcomeOf(result: ScenarioResult): Outcome {
  const receivers = (result.oracle?.['receivers'] ?? []) as Receiver[];
  const members = groupMembers(result);
  const plain: Record<string, string> = {};
  const counts: number[] = [];
  for (const r of receivers) {
    if (members.has(r.name)) counts.push(r.received);
    else plain[r.name] = `${r.received} received, ${r.wills} wills`;
  }
  return {
    status: result.status,
    failedAssertions: result.assertions.filter((a) => a.status === 'failed').map((a) => a.label),
    plain,
    members: counts.sort((a, b) => a - b),
    membersTotal: counts.reduce((a, b) => a + b, 0),
  };
}

async function runAll(
  target: StartedTarget,
  scenarios: ResolvedScenario[],
): Promise<Map<string, ScenarioResult>> {
  const results = new Map<string, ScenarioResult>();
  for (const scenario of scenarios) {
    const result = await runScenario(scenario, {
      target,
      reporter: {},
      signal: AbortSignal.timeout(60_000),
    });
    results.set(scenario.file, result);
  }
  return results;
}

test('every scenario: same per-client outcome on the embedded broker (profile mosquitto) and a real Mosquitto', {
  skip: mosquittoMissing(),
  timeout: 120_000,
}, async (t) => {
  assert.ok(files.length >= 8, 'the example scenarios are there');
  const scenarios: ResolvedScenario[] = [];
  for (const file of files) {
    const loaded = await loadScenario(file);
    assert.ok(loaded.ok, `${file} loads`);
    scenarios.push(loaded.scenario);
  }
  const embedded = await startEmbeddedTarget({ name: 'embedded:mosquitto', profile: 'mosquitto' });
  t.after(() => embedded.close());
  const mosquitto = await startMosquittoTarget({ websockets: false });
  t.after(() => mosquitto.close());

  // The aws-iot profile runs too: it must differ from Mosquitto somewhere, or this comparison
  // could not tell brokers apart.
  const awsLike = await startEmbeddedTarget({ name: 'embedded', profile: 'aws-iot' });
  t.after(() => awsLike.close());

  const [ours, theirs, aws] = await Promise.all([
    runAll(embedded, scenarios),
    runAll(mosquitto, scenarios),
    runAll(awsLike, scenarios),
  ]);
  let comparedClients = 0;
  for (const scenario of scenarios) {
    const a = outcomeOf(ours.get(scenario.file) as ScenarioResult);
    const b = outcomeOf(theirs.get(scenario.file) as ScenarioResult);
    const where = `${scenario.file.slice(root.length + 1)}`;
    assert.ok(Object.keys(a.plain).length + a.members.length > 0, `${where}: the oracle lists its clients`);
    assert.deepEqual(a, b, `${where}: embedded (left) vs Mosquitto (right)`);
    comparedClients += Object.keys(a.plain).length + a.members.length;
    t.diagnostic(`${where}: ${JSON.stringify(a)}`);
  }
  t.diagnostic(`${scenarios.length} scenarios, ${comparedClients} clients compared`);
  const differing = scenarios
    .filter((s) => {
      const a = outcomeOf(aws.get(s.file) as ScenarioResult);
      const b = outcomeOf(theirs.get(s.file) as ScenarioResult);
      return (
        JSON.stringify({ ...a, status: '', failedAssertions: [] }) !==
        JSON.stringify({ ...b, status: '', failedAssertions: [] })
      );
    })
    .map((s) => s.file.slice(root.length + 1));
  t.diagnostic(`aws-iot profile differs from Mosquitto on: ${differing.join(', ')}`);
  assert.ok(differing.length > 0, 'the aws-iot profile shows a difference on at least one scenario');
});

test('bursts at full speed: the embedded mosquitto profile never delivers fewer than Mosquitto (same default limits)', {
  skip: mosquittoMissing(),
  timeout: 120_000,
}, async (t) => {
  const embedded = await startEmbeddedTarget({ name: 'embedded:mosquitto', profile: 'mosquitto' });
  t.after(() => embedded.close());
  const mosquitto = await startMosquittoTarget({ websockets: false });
  t.after(() => mosquitto.close());
  const shapes = [
    { name: '1 → 1', publishers: 1, subscribers: 1, shared: false },
    { name: '10 → 1', publishers: 10, subscribers: 1, shared: false },
    { name: '1 → 10 shared', publishers: 1, subscribers: 10, shared: true },
  ];
  let n = 0;
  for (const qos of [0, 1] as const) {
    for (const shape of shapes) {
      const options = { ...shape, qos, messages: 5000, unacked: 500, quietMs: 1500, timeoutMs: 30_000 };
      const [ours, theirs] = (await Promise.all([
        runBurst(embedded.url, { ...options, prefix: `x${n}` }),
        runBurst(mosquitto.urls.mqtt, { ...options, prefix: `x${n}` }),
      ])) as [BurstResult, BurstResult];
      n++;
      const what = `QoS ${qos} ${shape.name}: embedded ${ours.total}/${ours.owed}, Mosquitto ${theirs.total}/${theirs.owed}`;
      t.diagnostic(what);
      assert.ok(ours.total >= theirs.total, what);
      if (!shape.shared) {
        // Plain subscribers: per client (a group's split between members is the broker's choice).
        ours.received.forEach((count, i) => {
          assert.ok(count >= (theirs.received[i] as number), `${what}: subscriber ${i}`);
        });
      }
      // Where nothing may be lost (QoS 1 to subscribers that read), nothing is.
      if (qos === 1) assert.equal(ours.total, ours.owed, what);
    }
  }
});

test('overlapping subscriptions: the same copies per client as Mosquitto (MQTT 5 one per subscription, 3.1.1 one)', {
  skip: mosquittoMissing(),
  timeout: 60_000,
}, async (t) => {
  const embedded = await startEmbeddedTarget({ name: 'embedded:mosquitto', profile: 'mosquitto' });
  t.after(() => embedded.close());
  const mosquitto = await startMosquittoTarget({ websockets: false });
  t.after(() => mosquitto.close());
  const copies = async (url: string): Promise<Record<string, string[]>> => {
    const result: Record<string, string[]> = {};
    const clients: mqtt.MqttClient[] = [];
    try {
      for (const protocolVersion of [4, 5] as const) {
        const id = `overlap-v${protocolVersion}`;
        const client = await mqtt.connectAsync(url, { clientId: id, protocolVersion, reconnectPeriod: 0 });
        clients.push(client);
        const got: string[] = [];
        result[id] = got;
        client.on('message', (_topic, _payload, packet) => got.push(`q${packet.qos}`));
        await client.subscribeAsync('ov/#', { qos: 0 });
        await client.subscribeAsync('ov/+/c', { qos: 1 });
        await client.subscribeAsync('ov/b/c', { qos: 1 });
      }
      const pub = await mqtt.connectAsync(url, { clientId: 'overlap-pub', reconnectPeriod: 0 });
      clients.push(pub);
      for (let i = 0; i < 20; i++) await pub.publishAsync('ov/b/c', String(i), { qos: 1 });
      const owed = 20 + 60;
      const deadline = Date.now() + 5000;
      const total = (): number => Object.values(result).reduce((a, l) => a + l.length, 0);
      while (total() < owed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 200));
      for (const list of Object.values(result)) list.sort();
      return result;
    } finally {
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    }
  };
  const [ours, theirs] = await Promise.all([copies(embedded.url), copies(mosquitto.urls.mqtt)]);
  t.diagnostic(`embedded ${JSON.stringify(ours)}; Mosquitto ${JSON.stringify(theirs)}`);
  assert.deepEqual(ours, theirs);
  assert.equal(
    theirs['overlap-v5']?.length,
    60,
    'Mosquitto sends an MQTT 5 client one copy per subscription',
  );
});
