/**
 * Schema checks through the whole pipeline: strictness (unknown keys, closed enums), friendly
 * messages at exact positions, all problems of a file at once, and the schema's own hygiene
 * (every property titled and described, so editors can complete it).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatIssue } from '../errors.js';
import { ASSERTION_KINDS } from './assertions/index.js';
import { getScenarioSchema, loadScenarioText } from './index.js';
import { scenarioSchemaProblems } from './schema.js';
import { STEP_KINDS } from './step-tree.js';
import { RESOLVED_STEP_KINDS } from './steps/index.js';

function issuesOf(text: string): string[] {
  const result = loadScenarioText('s.yaml', text, { env: {} });
  assert.equal(result.ok, false, 'the scenario must be refused');
  return result.ok ? [] : result.issues.map(formatIssue);
}

test('a file with many schema problems reports every one, sorted by line, with fix hints', () => {
  const text = [
    'name: several problems', // 1
    'clients:', // 2
    '  subscriber:', // 3
    '    count: 3', // 4
    '    clientid: sub-{n}', // 5
    '    session: { clean: false, expiry: one hour }', // 6
    '    keepalive: 30', // 7
    '    protocol: 4', // 8
    '  all: {}', // 9
    'steps:', // 10
    '  - connect: all', // 11
    '  - pubish: { from: subscriber, topic: t }', // 12
    '  - publish: { from: subscriber, topic: t, qos: 3 }', // 13
    '    wait: 1s', // 14
    '  - disconnect: { clients: subscriber, how: abrupted }', // 15
    '  - settle: 5', // 16
    '  - {}', // 17
    'expect:', // 18
    '  - shared-group: { group: g, balance: 2 }', // 19
    '  - received: { count: "about 3" }', // 20
    '  - no-los: {}', // 21
    '',
  ].join('\n');
  assert.deepEqual(issuesOf(text), [
    's.yaml:5:5  clients.subscriber.clientid  unknown property "clientid"; did you mean "clientId"?',
    's.yaml:6:38  clients.subscriber.session.expiry  must be a duration such as "1h", or "never" (got "one hour")',
    's.yaml:7:16  clients.subscriber.keepalive  a bare number is ambiguous here; add a unit: write "30s" or "30ms"',
    's.yaml:8:15  clients.subscriber.protocol  must be "5", 5 or "3.1.1" (got 4)',
    's.yaml:9:3  clients.all  a client cannot be named "all": that word means every client in references; rename it',
    's.yaml:12:5  steps[1].pubish  unknown property "pubish"; did you mean "publish"?',
    's.yaml:13:5  steps[2]  holds "publish" and "wait"; each item takes exactly one of them (split it into separate list items)',
    's.yaml:13:49  steps[2].publish.qos  must be 0, 1 or 2 (got 3)',
    's.yaml:15:45  steps[3].disconnect.how  must be "graceful" or "abrupt" (got "abrupted"); did you mean "abrupt"?',
    's.yaml:16:13  steps[4].settle  a bare number is ambiguous here; add a unit: write "5s" or "5ms"',
    's.yaml:17:5  steps[5]  needs one of connect, subscribe, unsubscribe, publish, disconnect, reconnect, wait, settle, parallel, fault, heal, partition, sequence, repeat',
    's.yaml:19:40  expect[0].shared-group.balance  must be <= 1 (got 2)',
    's.yaml:20:24  expect[1].received.count  must be a number or a comparison such as ">= 3" (got "about 3")',
    's.yaml:21:5  expect[2].no-los  unknown property "no-los"; did you mean "no-loss"?',
  ]);
});

test('unknown keys are refused at every level (strict schema)', () => {
  const base = 'name: x\nclients:\n  a: {}\nsteps:\n  - connect: a\n';
  const cases: Array<[string, RegExp]> = [
    [
      `${base}extra: 1\n`,
      /^s\.yaml:6:1 {2}extra {2}unknown property "extra"; allowed here: name, description/,
    ],
    [
      `${base}  - publish: { from: a, topic: t, payload: { txt: hi } }\n`,
      /steps\[1\]\.publish\.payload\.txt {2}unknown property "txt"; did you mean "text"\?/,
    ],
    [
      `${base}  - wait: { duration: 1s, jitter: 1s }\n`,
      /steps\[1\]\.wait\.jitter {2}unknown property "jitter"; allowed here: duration$/,
    ],
    [
      `${base}expect:\n  - no-loss: { qos: 1, strict: true }\n`,
      /expect\[0\]\.no-loss\.strict {2}unknown property "strict"; allowed here: qos$/,
    ],
    [
      'name: x\nclients:\n  a: { will: { topic: t, retained: true } }\nsteps:\n  - connect: a\n',
      /clients\.a\.will\.retained {2}unknown property "retained"; did you mean "retain"\?/,
    ],
  ];
  for (const [text, expected] of cases) {
    const issues = issuesOf(text);
    assert.equal(issues.length, 1, issues.join('\n'));
    assert.match(issues[0] ?? '', expected);
  }
});

test('missing required properties name the property and what it is for', () => {
  assert.deepEqual(issuesOf('name: x\nclients:\n  a: {}\nsteps:\n  - publish: { from: a }\n'), [
    's.yaml:5:14  steps[0].publish  missing required property "topic": Topic name (no wildcards [MQTT-3.3.2-2])',
  ]);
  assert.deepEqual(issuesOf('clients:\n  a: {}\nsteps:\n  - connect: a\n'), [
    's.yaml:1:1  missing required property "name": Scenario name, shown in progress output and used as the JUnit test suite name',
  ]);
});

test('a misspelt required key gives one message, not "unknown" plus "missing"', () => {
  assert.deepEqual(issuesOf('name: x\nclients:\n  a: {}\nsteps:\n  - publish: { from: a, topc: t }\n'), [
    's.yaml:5:25  steps[0].publish.topc  unknown property "topc"; did you mean "topic"?',
  ]);
});

test('payload takes exactly one of text, json, size', () => {
  assert.deepEqual(
    issuesOf(
      'name: x\nclients:\n  a: {}\nsteps:\n  - publish: { from: a, topic: t, payload: { text: a, size: 3 } }\n',
    ),
    ['s.yaml:5:44  steps[0].publish.payload  takes exactly one of text, json, size'],
  );
});

type Schema = Record<string, unknown>;

/** Calls `fn` on every subschema, following only schema keywords (a property named `properties` is data). */
function walkSchema(schema: Schema, where: string, fn: (schema: Schema, where: string) => void): void {
  fn(schema, where);
  for (const group of ['properties', 'definitions'] as const) {
    for (const [name, sub] of Object.entries((schema[group] ?? {}) as Record<string, Schema>)) {
      walkSchema(sub, `${where}/${group}/${name}`, fn);
    }
  }
  for (const key of ['items', 'additionalProperties', 'propertyNames'] as const) {
    const sub = schema[key];
    if (sub !== null && typeof sub === 'object') walkSchema(sub as Schema, `${where}/${key}`, fn);
  }
  for (const key of ['oneOf', 'anyOf', 'allOf'] as const) {
    ((schema[key] ?? []) as Schema[]).forEach((sub, i) => {
      walkSchema(sub, `${where}/${key}/${i}`, fn);
    });
  }
}

test('every property in the schema has a title and a description', () => {
  const missing: string[] = [];
  let seen = 0;
  walkSchema(getScenarioSchema() as Schema, '#', (schema, where) => {
    for (const group of ['properties', 'definitions'] as const) {
      for (const [name, prop] of Object.entries((schema[group] ?? {}) as Record<string, Schema>)) {
        seen++;
        for (const key of ['title', 'description'] as const) {
          if (typeof prop[key] !== 'string' || (prop[key] as string).trim() === '') {
            missing.push(`${where}/${group}/${name}: no ${key}`);
          }
        }
      }
    }
  });
  assert.deepEqual(missing, []);
  // A walk that saw nothing could not fail: the schema has well over a hundred properties.
  assert.ok(seen > 100, `only ${seen} properties seen`);
});

test('the schema is strict: objects are closed and step/assertion/transport kinds are closed sets', () => {
  const open: string[] = [];
  walkSchema(getScenarioSchema() as Schema, '#', (schema, where) => {
    if (schema.properties !== undefined && schema.additionalProperties !== false) open.push(where);
  });
  assert.deepEqual(open, []);
  const validate = (value: unknown) => scenarioSchemaProblems(value).length === 0;
  assert.equal(
    validate({ name: 'x', clients: { a: { transport: 'carrier-pigeon' } }, steps: [{ connect: 'a' }] }),
    false,
  );
  assert.equal(validate({ name: 'x', clients: { a: {} }, steps: [{ teleport: 'a' }] }), false);
  assert.equal(
    validate({ name: 'x', clients: { a: {} }, steps: [{ connect: 'a' }], expect: [{ vibes: {} }] }),
    false,
  );
  assert.equal(validate({ name: 'x', clients: { a: {} }, steps: [{ connect: 'a' }] }), true);
});

test('the schema is read once and shared', () => {
  assert.equal(getScenarioSchema(), getScenarioSchema());
});

test('every step and assertion keyword of the schema has exactly one resolver', () => {
  const defs = (
    getScenarioSchema() as { definitions: Record<string, { properties: Record<string, unknown> }> }
  ).definitions;
  const keywords = (def: string, common: string[]) =>
    Object.keys(defs[def]?.properties ?? {})
      .filter((k) => !common.includes(k))
      .sort();
  assert.deepEqual(keywords('step', ['id', 'name', 'after']), [...RESOLVED_STEP_KINDS].sort());
  assert.deepEqual(keywords('step', ['id', 'name', 'after']), [...STEP_KINDS].sort());
  assert.deepEqual(keywords('assertion', ['name', 'on']), [...ASSERTION_KINDS].sort());
});
