/** `ack:` on a client: auto, never or delay <duration>; refused where the transport cannot do it. */
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
