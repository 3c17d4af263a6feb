/**
 * `fault:`, `heal:` and `partition:` steps: what they resolve to (the proxy's vocabulary, the
 * clients routed through the proxy), and every bad fault step refused at its position (unknown
 * kind, a parameter of another kind, a fault on a client that does not use the proxy, a heal
 * without a fault).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatIssue } from '../errors.js';
import { loadScenarioText } from './index.js';

const HEAD = `name: faults
clients:
  sub:
    count: 2
    subscriptions: [{ filter: t, qos: 1 }]
  pub: {}
  direct: { proxy: false }
steps:
  - connect: all
`;

function issuesOf(text: string): string[] {
  const r = loadScenarioText('f.yaml', text, { env: {} });
  assert.equal(r.ok, false, 'the scenario must be refused');
  return r.ok ? [] : r.issues.filter((i) => i.severity !== 'warning').map(formatIssue);
}

test('fault, partition and heal resolve to the proxy vocabulary; named clients are proxied', () => {
  const r = loadScenarioText(
    'f.yaml',
    `${HEAD}  - id: lag
    fault: { clients: "sub[1]", kind: latency, latency: 200ms, jitter: 20ms, stream: downstream, for: 1m30s }
  - id: cut
    partition: { clients: "sub[2]", for: 2s }
  - fault: { clients: pub, kind: slicer, size: 10, delay: 2ms }
  - heal: [lag, cut]
  - heal: all
`,
    { env: {} },
  );
  assert.ok(r.ok, r.ok ? '' : r.issues.map(formatIssue).join('\n'));
  const [, lag, cut, slicer, heal, all] = r.scenario.steps;
  assert.deepEqual(
    {
      kind: lag?.kind,
      ...(lag?.kind === 'fault' ? { spec: lag.spec, stream: lag.stream, ms: lag.durationMs } : {}),
    },
    {
      kind: 'fault',
      spec: { kind: 'latency', latencyMs: 200, jitterMs: 20 },
      stream: 'downstream',
      ms: 90_000,
    },
  );
  assert.equal(lag?.label, 'fault latency 200ms ± 20ms on sub[1] (downstream) for 1m30s');
  assert.deepEqual(cut?.kind === 'partition' ? [cut.clients, cut.durationMs] : [], [['sub[2]'], 2000]);
  assert.deepEqual(slicer?.kind === 'fault' ? slicer.spec : {}, {
    kind: 'slicer',
    averageSize: 10,
    delayUs: 2000,
  });
  assert.deepEqual(heal?.kind === 'heal' ? heal.faults : [], [2, 3]);
  assert.deepEqual(all?.kind === 'heal' ? all.faults : [], 'all');
  assert.deepEqual(r.scenario.proxied, ['sub[1]', 'sub[2]', 'pub']);
});

test('a scenario without faults has no proxy unless a client asks for one', () => {
  const plain = loadScenarioText('f.yaml', `${HEAD}  - wait: 1ms\n`, { env: {} });
  assert.ok(plain.ok);
  assert.equal(plain.scenario.proxied, undefined);
  const asked = loadScenarioText(
    'f.yaml',
    `name: p\nclients:\n  a: { proxy: true }\n  b: {}\nsteps:\n  - connect: all\n`,
    { env: {} },
  );
  assert.ok(asked.ok);
  assert.deepEqual(asked.scenario.proxied, ['a']);
});

test('bad fault steps are refused at file:line:col', () => {
  const text = `${HEAD}  - fault: { clients: sub, kind: lag }
  - fault: { clients: sub, kind: latency, rate: 5 }
  - fault: { clients: sub, kind: bandwidth }
  - fault: { clients: direct, kind: blackhole }
  - partition: direct
  - heal: connect
  - heal: later
  - id: later
    fault: { clients: pub, kind: down, stream: upstream }
`;
  const issues = issuesOf(text);
  const expected = [
    /^f\.yaml:10:34 {2}steps\[1\]\.fault\.kind {2}must be "latency", "bandwidth", .*\(got "lag"\)/,
    /^f\.yaml:11:49 {2}steps\[2\]\.fault\.rate {2}`rate` is not a parameter of a latency fault \(it belongs to bandwidth\)/,
    /^f\.yaml:11:.*steps\[2\]\.fault {2}a latency fault needs `latency`/,
    /^f\.yaml:12:.*steps\[3\]\.fault {2}a bandwidth fault needs `rate`/,
    /^f\.yaml:13:23 {2}steps\[4\]\.fault\.clients {2}direct does not use the fault proxy \(`proxy: false`\)/,
    /^f\.yaml:14:16 {2}steps\[5\]\.partition {2}direct does not use the fault proxy/,
    /^f\.yaml:15:11 {2}steps\[6\]\.heal {2}heal without a fault: "connect" is a connect step/,
    /^f\.yaml:16:11 {2}steps\[7\]\.heal {2}heal without a fault: "later" \(step 9\) comes after this heal \(step 8\)/,
    /^f\.yaml:18:.*steps\[8\]\.fault\.stream {2}a down fault refuses whole connections/,
  ];
  for (const re of expected)
    assert.ok(
      issues.some((i) => re.test(i)),
      `${re}\n${issues.join('\n')}`,
    );
  assert.match(
    issuesOf(`${HEAD}  - heal: all\n`).join('\n'),
    /f\.yaml:10:11 {2}steps\[1\]\.heal {2}heal without a fault: no `fault` or `partition` step/,
  );
});
