/**
 * `after:` triggers, `sequence:` and `repeat:`: what they resolve to, and the triggers that could
 * never fire refused at their position (a later step of the same sequence, a count the burst
 * never reaches, a count on a step that publishes nothing, two conditions at once).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatIssue } from '../errors.js';
import { loadScenarioText } from './index.js';

const HEAD = `name: triggers
clients:
  sub:
    count: 3
    session: { clean: false, expiry: 1h }
    subscriptions: [{ filter: "$share/g/t", qos: 1 }]
  pub: {}
steps:
  - connect: all
`;

function issuesOf(text: string): string[] {
  const r = loadScenarioText('t.yaml', text, { env: {} });
  assert.equal(r.ok, false, 'the scenario must be refused');
  return r.ok ? [] : r.issues.filter((i) => i.severity !== 'warning').map(formatIssue);
}

test('a sequence inside parallel waits for a count of another branch; repeat expands {i}', () => {
  const r = loadScenarioText(
    't.yaml',
    `${HEAD}  - parallel:
      - id: burst
        publish: { from: pub, topic: t, count: 100, qos: 1 }
      - sequence:
          - after: { step: burst, acked: 50 }
            disconnect: { clients: "sub[2]", how: abrupt }
          - after: { step: burst, delay: 200ms }
            reconnect: "sub[2]"
  - repeat:
      times: 2
      steps:
        - id: cut-{i}
          name: "cut sub[{i}]"
          disconnect: "sub[{i}]"
        - reconnect: "sub[{i}]"
`,
    { env: {} },
  );
  assert.ok(r.ok, r.ok ? '' : r.issues.map(formatIssue).join('\n'));
  const par = r.scenario.steps[1];
  assert.equal(par?.kind, 'parallel');
  const seq = par?.kind === 'parallel' ? par.steps[1] : undefined;
  assert.equal(seq?.kind, 'sequence');
  const [cut, back] = seq?.kind === 'sequence' ? seq.steps : [];
  assert.deepEqual(cut?.after, { step: 3, stepName: 'burst', on: 'acked', count: 50 });
  assert.deepEqual(back?.after, { step: 3, stepName: 'burst', on: 'delay', delayMs: 200 });
  const rep = r.scenario.steps[2];
  assert.equal(rep?.kind, 'repeat');
  const inner = rep?.kind === 'repeat' ? rep.steps : [];
  assert.deepEqual(
    inner.map((s) => [
      s.kind,
      s.id,
      s.label,
      s.kind === 'disconnect' || s.kind === 'reconnect' ? s.clients : [],
    ]),
    [
      ['disconnect', 'cut-1', 'cut sub[1]', ['sub[1]']],
      ['reconnect', undefined, 'reconnect sub[1]', ['sub[1]']],
      ['disconnect', 'cut-2', 'cut sub[2]', ['sub[2]']],
      ['reconnect', undefined, 'reconnect sub[2]', ['sub[2]']],
    ],
  );
});

test('triggers that could never fire are refused at file:line:col', () => {
  const text = `${HEAD}  - id: burst
    publish: { from: pub, topic: t, count: 10, qos: 1 }
  - after: { step: later, published: 1 }
    wait: 1ms
  - after: { step: burst, published: 11 }
    wait: 1ms
  - after: { step: connect, acked: 1 }
    wait: 1ms
  - after: { step: burst, acked: 1, delay: 1s }
    wait: 1ms
  - after: { step: burst, received: 1 }
    wait: 1ms
  - id: later
    publish: { from: pub, topic: t }
`;
  const issues = issuesOf(text);
  const expected = [
    /^t\.yaml:12:20 {2}steps\[2\]\.after\.step {2}"later" \(step 8\) only starts after this step \(step 3\) ended/,
    /^t\.yaml:14:.*steps\[3\]\.after\.published {2}"burst" publishes 10 message\(s\) in all, so published: 11 is never reached/,
    /^t\.yaml:16:.*steps\[4\]\.after\.step {2}`acked` counts the messages of a publish step; "connect" is a connect step/,
    /^t\.yaml:18:.*steps\[5\]\.after {2}give one condition, not `acked` and `delay`/,
    /^t\.yaml:20:.*steps\[6\]\.after {2}`received` needs `client`/,
  ];
  for (const re of expected)
    assert.ok(
      issues.some((i) => re.test(i)),
      `${re}\n${issues.join('\n')}`,
    );
});

test('reconnect may change the protocol version', () => {
  const r = loadScenarioText(
    't.yaml',
    `${HEAD}  - disconnect: "sub[1]"\n  - reconnect: { clients: "sub[1]", protocol: "3.1.1" }\n`,
    { env: {} },
  );
  assert.ok(r.ok, r.ok ? '' : r.issues.map(formatIssue).join('\n'));
  const step = r.scenario.steps[2];
  assert.equal(step?.label, 'reconnect sub[1] as MQTT 3.1.1');
  assert.equal(step?.kind === 'reconnect' ? step.protocol : undefined, '3.1.1');
});
