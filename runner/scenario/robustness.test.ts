/**
 * Whatever a file holds, the pipeline answers with issues, never an exception: schema problems
 * and rule problems of the same file come back together.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { formatIssue } from '../errors.js';
import { ASSERTION_KINDS } from './assertions/index.js';
import { loadScenarioText } from './index.js';
import { STEP_KINDS } from './step-tree.js';

test('a schema problem and a rule problem in one file are both reported', () => {
  const result = loadScenarioText(
    'q.yaml',
    'name: x\nclients:\n  s: { count: 3 }\n  p: {}\nsteps:\n  - connect: all\n  - disconnect: { clients: "subscribr[2]" }\n  - wait: 5\n',
    { env: {} },
  );
  assert.ok(!result.ok);
  assert.deepEqual(result.issues.map(formatIssue), [
    'q.yaml:7:28  steps[1].disconnect.clients  unknown client "subscribr[2]"; declared: s[1..3], p',
    'q.yaml:8:11  steps[2].wait  a bare number is ambiguous here; add a unit: write "5s" or "5ms"',
  ]);
});

test('rules skip what the schema refused instead of piling up follow-on errors', () => {
  const result = loadScenarioText(
    'q.yaml',
    'name: x\nclients:\n  s: { count: many }\nsteps:\n  - connect: { clientz: s }\n  - publish: { from: "s[2]", topic: t }\n',
    { env: {} },
  );
  assert.ok(!result.ok);
  assert.deepEqual(result.issues.map(formatIssue), [
    'q.yaml:3:15  clients.s.count  must be a whole number (got "many")',
    'q.yaml:5:16  steps[0].connect.clientz  unknown property "clientz"; did you mean "clients"?',
  ]);
});

test('arbitrary values anywhere give issues, never an exception', () => {
  const value = fc.oneof(
    fc.constant(null),
    fc.integer(),
    fc.string(),
    fc.boolean(),
    fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(null)), { maxLength: 3 }),
    fc.dictionary(
      fc.constantFrom('clients', 'filter', 'count', 'from', 'topic', 'how', 'x'),
      fc.oneof(fc.string(), fc.integer()),
    ),
  );
  const stepKey = fc.constantFrom(...STEP_KINDS, 'id');
  const assertionKey = fc.constantFrom(...ASSERTION_KINDS, 'on');
  const doc = fc.record(
    {
      name: fc.oneof(fc.string(), value),
      clients: fc.oneof(fc.dictionary(fc.constantFrom('a', 'b', 'all', 'x y'), value), value),
      steps: fc.oneof(fc.array(fc.dictionary(stepKey, value, { maxKeys: 2 }), { maxLength: 4 }), value),
      expect: fc.oneof(fc.array(fc.dictionary(assertionKey, value, { maxKeys: 2 }), { maxLength: 3 }), value),
      vars: value,
    },
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(doc, (d) => {
      const result = loadScenarioText('f.yaml', stringify(d), { env: {} });
      if (!result.ok) assert.ok(result.issues.length > 0);
    }),
    { numRuns: 400, seed: 42 },
  );
});
