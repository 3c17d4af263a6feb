/**
 * `rate` and `concurrency` of `connect:` and `reconnect:`: parsed into the step's pace, and a
 * rate that is not one is exit 2 at its line and column before anything connects.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatIssue } from '../../errors.js';
import { loadScenarioText } from '../index.js';

const doc = (connect: string, reconnect: string) =>
  `name: paced\nclients:\n  c: { count: 3, clientId: "c-{n}" }\nsteps:\n  - connect: ${connect}\n  - disconnect: all\n  - reconnect: ${reconnect}\n`;

test('connect and reconnect take rate and concurrency', () => {
  const r = loadScenarioText(
    'paced.yaml',
    doc('{ clients: all, rate: 500/s, concurrency: 50 }', '{ clients: "c[1..2]", rate: 10/100ms }'),
  );
  assert.ok(r.ok, JSON.stringify(!r.ok && r.issues));
  const [connect, , reconnect] = r.scenario.steps;
  assert.deepEqual(connect?.kind === 'connect' && connect.pace, { ratePerSecond: 500, concurrency: 50 });
  assert.deepEqual(reconnect?.kind === 'reconnect' && reconnect.pace, { ratePerSecond: 100 });
  const plain = loadScenarioText('plain.yaml', doc('all', 'all'));
  assert.ok(plain.ok);
  assert.equal(plain.scenario.steps[0]?.kind === 'connect' && plain.scenario.steps[0].pace, undefined);
});

test('a rate that is not one is exit 2 at file:line:col', () => {
  const r = loadScenarioText('bad.yaml', doc('{ clients: all, rate: fast }', 'all'));
  assert.ok(!r.ok);
  const shown = r.issues.map(formatIssue).join('\n');
  assert.match(shown, /^bad\.yaml:5:\d+ {2}steps\[0\]\.connect\.rate {2}must be a rate such as "500\/s"/m);
});
