/**
 * The proof matrix: the verdicts are checked against known truth. Real scenarios (YAML through
 * the scenario pipeline, run by the engine) go through the fault proxy to the embedded broker and
 * to a real Mosquitto; in each case the proxy makes the broker misbehave in one chosen way, and
 * the test asserts the exact verdict and the exact messages it names. Every scenario also runs
 * with no fault, and then every assertion must pass.
 *
 * Glossary: `Case` one fault and its expected verdict; `prove(kind, c, withFault)` runs the case's
 * scenario on one broker kind; `pubIdx` the publisher's index in the identity header.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { startBroker } from '../broker/index.js';
import { runScenario } from '../runner/engine/run-scenario.js';
import type { FaultProxy } from '../runner/faults/fault-proxy.js';
import { proxyTarget, startFaultProxy } from '../runner/faults/index.js';
import type { AssertionResult, ScenarioResult } from '../runner/results.js';
import { loadScenarioText } from '../runner/scenario/index.js';
import type { ResolvedScenario } from '../runner/scenario/types.js';
import { findMosquitto, startMosquittoTarget } from '../runner/targets/mosquitto.js';
import type { StartedTarget } from '../runner/targets/target.js';

const mosquittoSkip = (() => {
  try {
    findMosquitto();
    return false;
  } catch {
    return 'mosquitto is not installed';
  }
})();

type Kind = 'embedded' | 'mosquitto';

/** One broker per kind for the whole file: every case uses its own topic and client ids. */
const brokers = new Map<Kind, Promise<StartedTarget>>();
function broker(kind: Kind): Promise<StartedTarget> {
  let b = brokers.get(kind);
  if (b === undefined) {
    b =
      kind === 'mosquitto'
        ? startMosquittoTarget({ websockets: false })
        : startBroker({ profile: 'mosquitto' }).then((h) =>
            plainTarget(h.urls.mqtt as string, () => h.close()),
          );
    brokers.set(kind, b);
  }
  return b;
}
after(async () => {
  await Promise.all([...brokers.values()].map(async (b) => (await b).close()));
});

/** The embedded broker as a target the proxy wraps (the broker stays up across cases). */
function plainTarget(url: string, close: () => Promise<void>): StartedTarget {
  return {
    name: 'embedded',
    kind: 'embedded',
    behaviour: 'mosquitto',
    transport: 'mqttjs',
    url,
    connectionFor: () => ({ url, transport: 'mqttjs' }),
    close,
  };
}

interface Expectation {
  status: 'passed' | 'failed';
  /** Assertion label → its status and (when given) a pattern its `actual` must match. */
  assertions: Record<string, { status: AssertionResult['status']; actual?: RegExp; details?: RegExp }>;
}

interface Case {
  name: string;
  /** The scenario; `{topic}` and `{id}` are replaced per run. */
  yaml: string;
  /** Installs the fault; `idx(name)` is a client's index in the identity header. */
  fault(proxy: FaultProxy, idx: (name: string) => number): void;
  /** Byte faults applied when step `step` starts (so they hit that step, not the connects). */
  during?: { step: number; fault: (proxy: FaultProxy) => void };
  expect: Expectation;
  /** The verdict is right only once the oracle knows this; until then the case is a todo. */
  todo?: string;
}

/** A persistent MQTT 5 subscriber and a publisher; `steps` and `expect` vary per case. */
function scenarioYaml(steps: string, expect: string): string {
  return `
name: proof
timeout: 20s
clients:
  subscriber:
    clientId: proof-sub-{id}
    session: { clean: false, expiry: 1m }
    subscriptions: [{ filter: "{topic}", qos: 1 }]
  publisher:
    clientId: proof-pub-{id}
steps:
${steps}
expect:
${expect}
`;
}

const burst = `  - connect: all
  - publish: { from: publisher, topic: "{topic}", count: 5, qos: 1 }
  - settle: { timeout: 1s }`;

const threeChecks = `  - name: no-loss
    no-loss: {}
  - name: duplicates
    duplicates: { max: 0 }
  - name: ordered
    ordered: {}`;

const CASES: Case[] = [
  {
    name: 'drop #3 on its way to the subscriber (acknowledged to the broker): one loss, named',
    yaml: scenarioYaml(burst, threeChecks),
    fault: (proxy, idx) =>
      proxy.addRule({
        kind: 'drop',
        client: 'subscriber',
        stream: 'downstream',
        match: { publisher: idx('publisher'), seq: 3 },
      }),
    expect: {
      status: 'failed',
      assertions: {
        'no-loss': { status: 'failed', actual: /^1 lost: publisher#3 \(expected by subscriber\)$/ },
        duplicates: { status: 'passed', actual: /^no duplicates$/ },
        ordered: { status: 'passed', actual: /^in order \(4 messages checked\)$/ },
      },
    },
  },
  {
    name: 'drop #3, then the subscriber disconnects (its session kept): lost, not "may wait in its session", since it was online through the settle',
    yaml: scenarioYaml(`${burst}\n  - disconnect: all`, threeChecks),
    fault: (proxy, idx) =>
      proxy.addRule({
        kind: 'drop',
        client: 'subscriber',
        stream: 'downstream',
        match: { publisher: idx('publisher'), seq: 3 },
      }),
    expect: {
      status: 'failed',
      assertions: {
        'no-loss': { status: 'failed', actual: /^1 lost: publisher#3 \(expected by subscriber\)$/ },
        duplicates: { status: 'passed', actual: /^no duplicates$/ },
        ordered: { status: 'passed', actual: /^in order \(4 messages checked\)$/ },
      },
    },
  },
  {
    name: 'drop #3, then the subscriber ends its session (DISCONNECT with Session Expiry 0): lost, not "in flight when its session ended"',
    yaml: scenarioYaml(
      `${burst}\n  - disconnect: { clients: subscriber, how: graceful, sessionExpiry: 0s }`,
      threeChecks,
    ),
    fault: (proxy, idx) =>
      proxy.addRule({
        kind: 'drop',
        client: 'subscriber',
        stream: 'downstream',
        match: { publisher: idx('publisher'), seq: 3 },
      }),
    expect: {
      status: 'failed',
      assertions: {
        'no-loss': { status: 'failed', actual: /^1 lost: publisher#3 \(expected by subscriber\)$/ },
        duplicates: { status: 'passed', actual: /^no duplicates$/ },
        ordered: { status: 'passed', actual: /^in order \(4 messages checked\)$/ },
      },
    },
  },
  {
    name: 'drop #2 between publisher and broker, PUBACK forged: the broker "took" it and lost it',
    yaml: scenarioYaml(burst, threeChecks),
    fault: (proxy, idx) =>
      proxy.addRule({
        kind: 'drop',
        client: 'publisher',
        stream: 'upstream',
        match: { publisher: idx('publisher'), seq: 2 },
      }),
    expect: {
      status: 'failed',
      assertions: {
        'no-loss': { status: 'failed', actual: /^1 lost: publisher#2 \(expected by subscriber\)$/ },
        duplicates: { status: 'passed', actual: /^no duplicates$/ },
        ordered: { status: 'passed', actual: /^in order \(4 messages checked\)$/ },
      },
    },
  },
  {
    name: 'a copy of #4 with DUP=1 on a first delivery: delivered names it, the other properties hold',
    yaml: scenarioYaml(
      `  - connect: all
  - publish: { from: publisher, topic: "{topic}", count: 5, qos: 1, properties: { userProperties: { k: v }, messageExpiry: 60s } }
  - settle: { timeout: 1s }`,
      `  - name: flags
    delivered: { client: subscriber, from: publisher, qos: 1, retain: false, dup: false }
  - name: properties
    delivered: { client: subscriber, userProperties: { k: v }, messageExpiry: "<= 60s" }`,
    ),
    fault: (proxy, idx) =>
      proxy.addRule({
        kind: 'duplicate',
        client: 'subscriber',
        stream: 'downstream',
        match: { publisher: idx('publisher'), seq: 4 },
        dup: true,
      }),
    expect: {
      status: 'failed',
      assertions: {
        flags: {
          status: 'failed',
          actual: /^1 copy of 6 differ: subscriber got publisher#4 with dup true \(expected false\)$/,
        },
        properties: { status: 'passed', actual: /^all 6 copies were$/ },
      },
    },
  },
  {
    name: 'a second copy of #2 (no DUP, same connection): an unexplained duplicate, named',
    yaml: scenarioYaml(burst, threeChecks),
    fault: (proxy, idx) =>
      proxy.addRule({
        kind: 'duplicate',
        client: 'subscriber',
        stream: 'downstream',
        match: { publisher: idx('publisher'), seq: 2 },
        dup: false,
      }),
    expect: {
      status: 'failed',
      assertions: {
        'no-loss': { status: 'passed' },
        duplicates: {
          status: 'failed',
          actual: /^1 duplicate: subscriber got publisher#2 more than once \(1 copy, unexplained\)$/,
        },
        ordered: { status: 'passed' },
      },
    },
  },
  {
    name: '#2 again with DUP after a reconnect: an allowed redelivery (and counted when allow: [])',
    yaml: scenarioYaml(
      `  - connect: all
  - publish: { from: publisher, topic: "{topic}", count: 3, qos: 1 }
  - settle: { timeout: 1s }
  - wait: 100ms                                 # the subscriber's PUBACKs reach the broker
  - disconnect: { clients: subscriber, how: abrupt }
  - reconnect: subscriber
  - settle: { timeout: 1s }
  - wait: 200ms`,
      `  - name: no-loss
    no-loss: {}
  - name: duplicates
    duplicates: { max: 0 }
  - name: strict duplicates
    duplicates: { max: 0, allow: [] }`,
    ),
    fault: (proxy, idx) =>
      proxy.addRule({
        kind: 'duplicate',
        client: 'subscriber',
        stream: 'downstream',
        match: { publisher: idx('publisher'), seq: 2 },
        dup: true,
        afterReconnect: true,
      }),
    expect: {
      status: 'failed',
      assertions: {
        'no-loss': { status: 'passed' },
        duplicates: { status: 'passed', actual: /^no duplicates \(allowed: 1 redelivery\)$/ },
        'strict duplicates': {
          status: 'failed',
          actual:
            /^1 duplicate: subscriber got publisher#2 more than once \(1 copy, redelivered after its connection broke\)$/,
        },
      },
    },
  },
  {
    name: 'reorder #2 and #3: `ordered` names the pair',
    yaml: scenarioYaml(burst, threeChecks),
    fault: (proxy, idx) =>
      proxy.addRule({
        kind: 'reorder',
        client: 'subscriber',
        stream: 'downstream',
        first: { publisher: idx('publisher'), seq: 2 },
        second: { publisher: idx('publisher'), seq: 3 },
      }),
    expect: {
      status: 'failed',
      assertions: {
        'no-loss': { status: 'passed' },
        duplicates: { status: 'passed' },
        ordered: {
          status: 'failed',
          actual: /^1 message out of order: subscriber got publisher#2 after #3 on proof\/[\w-]+$/,
        },
      },
    },
  },
  {
    name: "the subscriber's PUBACK for #2 withheld: the broker redelivers it after the reconnect, allowed",
    yaml: scenarioYaml(
      `  - connect: all
  - publish: { from: publisher, topic: "{topic}", count: 3, qos: 1 }
  - settle: { timeout: 1s }
  - wait: 100ms                                 # the subscriber's PUBACKs reach the broker
  - disconnect: { clients: subscriber, how: abrupt }
  - reconnect: subscriber
  - settle: { timeout: 1s }
  - wait: 200ms`,
      `  - name: no-loss
    no-loss: {}
  - name: duplicates
    duplicates: { max: 0 }
  - name: strict duplicates
    duplicates: { max: 0, allow: [] }`,
    ),
    fault: (proxy, idx) =>
      proxy.addRule({
        kind: 'withhold-ack',
        client: 'subscriber',
        stream: 'downstream',
        match: { publisher: idx('publisher'), seq: 2 },
      }),
    expect: {
      status: 'failed',
      assertions: {
        'no-loss': { status: 'passed' },
        duplicates: { status: 'passed', actual: /^no duplicates \(allowed: 1 redelivery\)$/ },
        'strict duplicates': {
          status: 'failed',
          actual:
            /^1 duplicate: subscriber got publisher#2 more than once \(1 copy, redelivered after its connection broke\)$/,
        },
      },
    },
  },
  {
    name: 'sessionPresent=0 on the reconnect (the broker discarded the session early): the queued ones are lost',
    yaml: scenarioYaml(
      `  - connect: all
  - disconnect: subscriber
  - publish: { from: publisher, topic: "{topic}", count: 3, qos: 1 }
  - id: back
    reconnect: subscriber
  - settle: { timeout: 1s }`,
      `  - name: no-loss
    no-loss: {}
  - name: duplicates
    duplicates: { max: 0 }`,
    ),
    fault: (proxy) => proxy.addRule({ kind: 'forge-session-present', client: 'subscriber', connack: 2 }),
    expect: {
      status: 'failed',
      assertions: {
        'no-loss': {
          status: 'failed',
          actual: /^3 lost: publisher#1\.\.#3 \(expected by subscriber\)$/,
          details: /session discarded before its expiry/,
        },
        duplicates: { status: 'passed' },
      },
    },
  },
  {
    name: 'cut after the broker acked #3, before it reached the subscriber: delivered after the reconnect, no loss',
    yaml: scenarioYaml(
      `  - connect: all
  - publish: { from: publisher, topic: "{topic}", count: 5, qos: 1 }
  - wait: 300ms
  - disconnect: { clients: subscriber, how: abrupt }   # the proxy cut it already: "was not connected"
  - reconnect: subscriber
  - settle: { timeout: 2s }`,
      `  - name: no-loss
    no-loss: {}
  - name: duplicates
    duplicates: { max: 0 }`,
    ),
    fault: (proxy, idx) =>
      proxy.addRule({
        kind: 'cut-after-ack',
        client: 'subscriber',
        match: { publisher: idx('publisher'), seq: 3 },
      }),
    expect: {
      status: 'passed',
      assertions: {
        'no-loss': { status: 'passed', actual: /^5 of 5 owed deliveries arrived/ },
        duplicates: { status: 'passed', actual: /^no duplicates$/ },
      },
    },
  },
  {
    name: 'latency and a 300 ms partition of the subscriber during the burst: everything arrives, no false failure',
    yaml: scenarioYaml(
      `  - connect: all
  - publish: { from: publisher, topic: "{topic}", count: 20, qos: 1, rate: 50/s }
  - settle: { timeout: 3s }`,
      threeChecks,
    ),
    fault: () => undefined,
    during: {
      step: 2,
      fault: (proxy) => {
        proxy.addFault({
          kind: 'latency',
          latencyMs: 50,
          jitterMs: 20,
          clients: ['subscriber'],
          durationMs: 600,
        });
        proxy.partition(['subscriber'], { durationMs: 300 });
      },
    },
    expect: {
      status: 'passed',
      assertions: {
        'no-loss': { status: 'passed', actual: /^20 of 20 owed deliveries arrived$/ },
        duplicates: { status: 'passed', actual: /^no duplicates$/ },
        ordered: { status: 'passed', actual: /^in order \(20 messages checked\)$/ },
      },
    },
  },
];

let runNo = 0;

async function prove(
  kind: Kind,
  c: Case,
  withFault: boolean,
): Promise<{ result: ScenarioResult; proxy: FaultProxy }> {
  const n = ++runNo;
  const id = `${process.pid}-${n}`;
  const yaml = c.yaml.replaceAll('{topic}', `proof/${id}`).replaceAll('{id}', id);
  const loaded = loadScenarioText('proof.yaml', yaml, { runId: `p${id}` });
  if (!loaded.ok) throw new Error(loaded.issues.map((i) => `${i.line}: ${i.path} ${i.message}`).join('\n'));
  const scenario: ResolvedScenario = loaded.scenario;
  const proxy = await startFaultProxy({ seed: n });
  try {
    const target = await proxyTarget(await broker(kind), proxy, scenario.clients, { packets: true });
    const idx = (name: string) => scenario.clients.findIndex((cl) => cl.name === name);
    if (withFault) c.fault(proxy, idx);
    const result = await runScenario(scenario, {
      target,
      reporter: {
        onStepStart: (_info, step) => {
          if (withFault && c.during?.step === step.ref) c.during.fault(proxy);
        },
      },
      signal: new AbortController().signal,
      timings: { teardownMs: 1000 },
    });
    return { result, proxy };
  } finally {
    await proxy.close();
  }
}

function explain(r: ScenarioResult, proxy: FaultProxy): string {
  return JSON.stringify(
    {
      status: r.status,
      error: r.error,
      steps: r.steps.map((s) => `${s.ref} ${s.kind} ${s.status} ${s.notes.join(' | ')} ${s.error ?? ''}`),
      assertions: r.assertions.map((a) => `${a.label}: ${a.status} ${a.actual} ${a.details.join(' / ')}`),
      faults: proxy.events.filter((e) => e.type === 'packet'),
    },
    null,
    1,
  );
}

function check(r: ScenarioResult, proxy: FaultProxy, e: Expectation): void {
  const why = explain(r, proxy);
  assert.equal(r.status, e.status, why);
  for (const [label, want] of Object.entries(e.assertions)) {
    const a = r.assertions.find((x) => x.label === label);
    assert.ok(a !== undefined, `no assertion "${label}": ${why}`);
    assert.equal(a.status, want.status, `${label}: ${why}`);
    if (want.actual !== undefined) assert.match(a.actual, want.actual, `${label}: ${why}`);
    if (want.details !== undefined) assert.match(a.details.join('\n'), want.details, `${label}: ${why}`);
  }
}

for (const kind of ['embedded', 'mosquitto'] as const) {
  describe(`verdicts proven on ${kind}`, { skip: kind === 'mosquitto' ? mosquittoSkip : false }, () => {
    for (const c of CASES) {
      const options = c.todo === undefined ? {} : { todo: c.todo };
      test(c.name, options, async () => {
        const { result, proxy } = await prove(kind, c, true);
        // The fault really happened (a rule that never fired would prove nothing).
        assert.ok(
          proxy.events.some((e) => e.type === 'packet' || e.type === 'applied'),
          `the fault never fired: ${explain(result, proxy)}`,
        );
        check(result, proxy, c.expect);
      });
    }
    test('the same scenarios with no fault pass, every assertion', async () => {
      for (const c of CASES) {
        const { result, proxy } = await prove(kind, c, false);
        const why = `${c.name}: ${explain(result, proxy)}`;
        assert.equal(result.status, 'passed', why);
        for (const a of result.assertions) {
          // Without a fault nothing is duplicated, so even `allow: []` holds.
          assert.equal(a.status, 'passed', `${a.label}: ${why}`);
        }
      }
    });
  });
}
