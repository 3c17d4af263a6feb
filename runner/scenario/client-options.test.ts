/**
 * Client options of staged behaviours: `ack:` (auto, never or delay <duration>; refused where the
 * transport cannot do it) and `takeover:` (two declarations share a client id on purpose).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatIssue } from '../errors.js';
import { loadScenarioText } from './index.js';

const scenario = (ack: string, transport = '') =>
  `name: a\nclients:\n  s: { ack: "${ack}"${transport} }\nsteps:\n  - connect: all\n`;

test('ack: never and delay resolve; auto is the default', () => {
  for (const [ack, want] of [
    ['never', 'never'],
    ['delay 1m30s', { delayMs: 90_000 }],
    ['auto', undefined],
  ] as const) {
    const r = loadScenarioText('a.yaml', scenario(ack), { env: {} });
    assert.ok(r.ok, r.ok ? '' : r.issues.map(formatIssue).join('\n'));
    assert.deepEqual(r.scenario.clients[0]?.acks, want);
  }
});

test('ack: a bad value and a transport without manual acks are refused at file:line:col', () => {
  const bad = loadScenarioText('a.yaml', scenario('sometimes'), { env: {} });
  assert.equal(bad.ok, false);
  assert.match(
    bad.ok ? '' : bad.issues.map(formatIssue).join('\n'),
    /a\.yaml:3:13 {2}clients\.s\.ack {2}must be "auto", "never" or "delay <duration>"/,
  );
  const sdk = loadScenarioText('a.yaml', scenario('never', ', transport: aws-iot-sdk'), { env: {} });
  assert.equal(sdk.ok, false);
  assert.match(
    sdk.ok ? '' : sdk.issues.map(formatIssue).join('\n'),
    /a\.yaml:3:.*clients\.s\.ack {2}the aws-iot-sdk transport acknowledges every QoS 1 delivery itself/,
  );
});

test('takeover: a shared client id is allowed only on purpose, and only after its holder', () => {
  const text = (second: string) =>
    `name: t\nclients:\n  a: { clientId: dev }\n  b: { clientId: dev${second} }\nsteps:\n  - connect: a\n  - connect: b\n`;
  const ok = loadScenarioText('t.yaml', text(', takeover: true'), { env: {} });
  assert.ok(ok.ok, ok.ok ? '' : ok.issues.map(formatIssue).join('\n'));
  assert.equal(ok.scenario.clients[1]?.takesOver, 'a');
  const dup = loadScenarioText('t.yaml', text(''), { env: {} });
  assert.match(
    dup.ok ? '' : dup.issues.map(formatIssue).join('\n'),
    /t\.yaml:4:.*client id "dev" is used by both a and b/,
  );
  const none = loadScenarioText(
    't.yaml',
    'name: t\nclients:\n  a: { clientId: one }\n  b: { clientId: two, takeover: true }\nsteps:\n  - connect: all\n',
    { env: {} },
  );
  assert.match(
    none.ok ? '' : none.issues.map(formatIssue).join('\n'),
    /t\.yaml:4:.*clients\.b\.takeover {2}takeover: no client declared before b uses client id "two"/,
  );
});
