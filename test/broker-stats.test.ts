/**
 * `broker-stats` end to end: the embedded broker really drops QoS 0 copies for an offline
 * session (PS-6), and its counters for this scenario say so; a wrong bound fails naming the
 * client and the count; on Mosquitto, which exposes no counters, it is not evaluated (never passed).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { findMosquitto } from '../runner/targets/mosquitto.js';
import { mqscen, tempDir } from './_cli.js';

const SCENARIO = `name: broker counters
clients:
  subscriber:
    clientId: broker-stats-sub
    session: { clean: false, expiry: 1h }
    subscriptions: [{ filter: test/broker-stats, qos: 0 }]
  publisher:
    clientId: broker-stats-pub
steps:
  - connect: all
  - publish: { from: publisher, topic: test/broker-stats, count: 2, qos: 0 }
  - settle: { timeout: 2s }
  - disconnect: subscriber
  # QoS 1 so the step ends once the broker took (and routed) each message.
  - publish: { from: publisher, topic: test/broker-stats, count: 3, qos: 1 }
expect:
  - name: right
    broker-stats: { client: subscriber, delivered: 2, dropped: { offline: 3 } }
  - name: totals
    broker-stats: { dropped: { total: ">= 3" }, queued: 0 }
  - name: wrong
    broker-stats: { client: subscriber, dropped: { offline: 0 } }
`;

const mosquittoSkip = (() => {
  try {
    findMosquitto();
    return false;
  } catch {
    return 'mosquitto is not installed';
  }
})();

test('broker-stats reads the embedded broker counters of the scenario; a wrong bound names the client (exit 1)', async (t) => {
  const file = join(tempDir(t), 'stats.yaml');
  writeFileSync(file, SCENARIO);
  const r = await mqscen(['run', file, '--no-json']);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /✔ right/);
  assert.match(r.stdout, /✔ totals/);
  assert.match(
    r.stdout,
    /✖ wrong[^\n]*got subscriber \(broker-stats-sub\): dropped\.offline 3 \(expected == 0\)/,
  );
});

test('broker-stats on a target without counters is not evaluated, with the reason', {
  skip: mosquittoSkip,
}, async (t) => {
  const file = join(tempDir(t), 'stats.yaml');
  writeFileSync(file, SCENARIO);
  const r = await mqscen(['run', file, '--no-json', '--target', 'mosquitto']);
  for (const name of ['right', 'totals', 'wrong'])
    assert.match(
      r.stdout,
      new RegExp(`■ ${name} — not evaluated: the mosquitto target keeps no broker counters`),
      r.stdout,
    );
  assert.doesNotMatch(r.stdout, /✔ (right|totals|wrong)/);
});
