/**
 * What the schema cannot say, checked by the resolvers and the cross-step checks (sequence.ts),
 * each problem at its exact position, and a file with several problems reporting all of them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatIssue } from '../errors.js';
import { loadScenarioText } from './index.js';

const CLIENTS = `name: rules
clients:
  subscriber:
    count: 3
    session: { clean: false, expiry: 1h }
    subscriptions:
      - { filter: "$share/workers/jobs/#", qos: 1 }
  publisher: {}
`;

function issuesOf(text: string, env: Record<string, string> = {}): string[] {
  const result = loadScenarioText('r.yaml', text, { env });
  assert.equal(result.ok, false, 'the scenario must be refused');
  return result.ok ? [] : result.issues.map(formatIssue);
}

function warningsOf(text: string): string[] {
  const result = loadScenarioText('r.yaml', text, { env: {} });
  assert.equal(result.ok, true, result.ok ? '' : result.issues.map(formatIssue).join('\n'));
  return result.ok ? result.warnings.map(formatIssue) : [];
}

test('several rule problems in one file are all reported, sorted by line', () => {
  const text = `${CLIENTS}steps:
  - connect: all
  - publish: { from: publisher, topic: jobs/a, count: 5, qos: 1 }
  - disconnect: { clients: "subscribr[2]", how: graceful }
  - disconnect: { clients: "subscriber[4]" }
  - reconnect: subscriber[1]
  - publish: { from: publisher, topic: "jobs/+", qos: 1 }
expect:
  - received: { client: "subscriber[2]", after: reconnec, count: ">= 1" }
  - shared-group: { group: worker }
`;
  assert.deepEqual(issuesOf(text), [
    'r.yaml:12:28  steps[2].disconnect.clients  unknown client "subscribr[2]"; declared: subscriber[1..3], publisher (did you mean "subscriber[2]"?)',
    'r.yaml:13:28  steps[3].disconnect.clients  "subscriber[4]" is out of range: subscriber has instances subscriber[1..3]',
    'r.yaml:14:16  steps[4].reconnect  subscriber[1] (connected at step 1) still connected; disconnect before reconnecting',
    'r.yaml:15:40  steps[5].publish.topic  topic name "jobs/+" contains a wildcard (+ or #); wildcards belong in subscription filters, not in publish topics [MQTT-3.3.2-2]',
    'r.yaml:17:49  expect[0].received.after  unknown step "reconnec"; refer to a step `id` or a kind used once (connect, publish, disconnect, reconnect); did you mean "reconnect"?',
    'r.yaml:18:28  expect[1].shared-group.group  unknown group "worker": no client subscribes to $share/worker/...; did you mean "workers"?',
  ]);
});

test('a step may only use clients that are connected at that point', () => {
  const text = `${CLIENTS}steps:
  - connect: subscriber
  - publish: { from: publisher, topic: jobs/a }
  - disconnect: "subscriber[1..2]"
  - subscribe: { clients: subscriber, filter: a/b }
  - reconnect: publisher
`;
  assert.deepEqual(issuesOf(text), [
    'r.yaml:11:22  steps[1].publish.from  publisher (never connected) is not connected at this point, so it cannot publish; add a connect (or reconnect) step before this one',
    'r.yaml:13:27  steps[3].subscribe.clients  subscriber[1] (disconnected at step 3), subscriber[2] (disconnected at step 3) are not connected at this point, so they cannot subscribe; add a connect (or reconnect) step before this one',
    'r.yaml:14:16  steps[4].reconnect  publisher never connected before; use connect for a first connection',
  ]);
});

test('parallel children are checked against the state before the block', () => {
  const text = `${CLIENTS}steps:
  - parallel:
      - connect: publisher
      - publish: { from: publisher, topic: t }
  - connect: subscriber
`;
  assert.deepEqual(issuesOf(text), [
    'r.yaml:12:26  steps[0].parallel[1].publish.from  publisher (never connected) is not connected at this point, so it cannot publish; add a connect (or reconnect) step before this one',
  ]);
});

test('duplicate step ids and ambiguous step kinds are refused', () => {
  const text = `${CLIENTS}steps:
  - connect: all
  - id: leave
    disconnect: "subscriber[1]"
  - id: leave
    reconnect: "subscriber[1]"
  - disconnect: "subscriber[1]"
expect:
  - received: { client: "subscriber[1]", after: disconnect, count: 0 }
`;
  assert.deepEqual(issuesOf(text), [
    'r.yaml:13:9  steps[2].id  duplicate step id "leave" (also step 2); ids must be unique',
    'r.yaml:17:49  expect[0].received.after  "disconnect" is ambiguous: 2 disconnect steps (step 2, step 4); give the one you mean an `id:` and refer to that',
  ]);
});

test('topic filters and shared-subscription syntax (SS-2, [MQTT-4.7.1-2], [MQTT-4.7.1-3])', () => {
  const text = `name: filters
clients:
  a:
    subscriptions:
      - "a/#/b"
      - "$share//jobs"
      - "$share/g+1/jobs"
      - "$share/g"
      - "sport+/x"
      - { filter: "$share/g/x", noLocal: true }
steps:
  - connect: a
`;
  assert.deepEqual(issuesOf(text), [
    'r.yaml:5:9  clients.a.subscriptions[0]  "#" must be the last level of a filter and stand alone in it (in "a/#/b"), e.g. "a/b/#" [MQTT-4.7.1-2]',
    'r.yaml:6:9  clients.a.subscriptions[1]  shared filter "$share//jobs" has an empty group name; write $share/{group}/{filter}, e.g. $share/workers/jobs/# (SS-2, [MQTT-4.8.2-1])',
    'r.yaml:7:9  clients.a.subscriptions[2]  the group name "g+1" of "$share/g+1/jobs" must not contain + or # (SS-2, [MQTT-4.8.2-2])',
    'r.yaml:8:9  clients.a.subscriptions[3]  shared filter "$share/g" has no topic filter after the group name; write $share/{group}/{filter}, e.g. $share/workers/jobs/# (SS-2)',
    'r.yaml:9:9  clients.a.subscriptions[4]  "+" must stand alone in its level (in "sport+/x"), e.g. "a/+/c" [MQTT-4.7.1-3]',
    'r.yaml:10:9  clients.a.subscriptions[5]  noLocal cannot be set on a shared subscription ("$share/g/x"): it is a protocol error [MQTT-3.8.3-4]',
  ]);
});

test('publishing to a $share/... topic is refused (SS-13)', () => {
  const [issue] = issuesOf(`${CLIENTS}steps:
  - connect: all
  - publish: { from: publisher, topic: "$share/workers/jobs/a" }
`);
  assert.match(
    issue ?? '',
    /^r\.yaml:11:40 {2}steps\[1\]\.publish\.topic {2}"\$share\/workers\/jobs\/a" is a shared-subscription filter, not a topic name/,
  );
});

test('MQTT 5 features on a 3.1.1 client are refused; QoS 2 on 3.1.1 is fine', () => {
  const text = `name: old
clients:
  legacy:
    protocol: 3.1.1
    session: { clean: false, expiry: 1h }
    will: { topic: w, delay: 5s }
steps:
  - connect: legacy
  - publish: { from: legacy, topic: t, qos: 2, properties: { contentType: text/plain } }
  - subscribe: { clients: legacy, filter: t, qos: 2, noLocal: true }
  - disconnect: { clients: legacy, reasonCode: 4 }
`;
  assert.deepEqual(issuesOf(text), [
    'r.yaml:5:38  clients.legacy.session.expiry  session expiry is MQTT 5 only; on 3.1.1 a persistent session (clean: false) lasts until the broker drops it: remove expiry or set protocol: 5',
    'r.yaml:6:30  clients.legacy.will.delay  will delay is MQTT 5 only; remove it or set protocol: 5',
    'r.yaml:9:60  steps[1].publish.properties  publish properties are MQTT 5 only (legacy use protocol 3.1.1); remove them or set protocol: 5',
    'r.yaml:10:16  steps[2].subscribe  noLocal is MQTT 5 only (legacy use 3.1.1); remove or set protocol: 5',
    'r.yaml:11:48  steps[3].disconnect.reasonCode  DISCONNECT reason codes are MQTT 5 only (legacy use 3.1.1)',
  ]);
});

test('client id templates: unknown placeholders and collisions [MQTT-3.1.4-3]', () => {
  assert.deepEqual(
    issuesOf(`name: ids
clients:
  s: { count: 2, clientId: sensor }
  t: { clientId: "t-{id}" }
steps:
  - connect: all
`),
    [
      'r.yaml:3:28  clients.s.clientId  client id "sensor" is used by both s[1] and s[2]; a broker disconnects the older one when the other connects [MQTT-3.1.4-3]: add {n} to the template',
      'r.yaml:4:18  clients.t.clientId  unknown placeholder "{id}" in clientId; use {n}, {n:02} (zero-padded), {name} or {run}',
    ],
  );
});

test('unknown ${var} and a missing ${env:NAME} name the variable and how to fix it', () => {
  const text = `name: vars
vars:
  topic: jobs/\${env:MQSCEN_TEST_UNSET}
clients:
  a: {}
steps:
  - connect: a
  - publish: { from: a, topic: "\${topc}" }
`;
  assert.deepEqual(issuesOf(text), [
    'r.yaml:3:10  vars.topic  environment variable MQSCEN_TEST_UNSET is not set; set it (export MQSCEN_TEST_UNSET=...) or put MQSCEN_TEST_UNSET=... in a .env file',
    'r.yaml:8:32  steps[1].publish.topic  unknown variable "${topc}"; did you mean "${topic}"? (write $${ for a literal ${)',
  ]);
});

test('a duration written through a variable is checked once substituted', () => {
  const text = `name: vars
vars: { pause: "five" }
clients:
  a: {}
steps:
  - connect: a
  - wait: "\${pause}"
`;
  assert.deepEqual(issuesOf(text), [
    'r.yaml:7:11  steps[1].wait  must be a duration such as "250ms", "5s", "1m30s" or "1h" (got "five")',
  ]);
});

test('assertion references: client/clients, will owner, session-present step kind, reason names, latency units', () => {
  const text = `${CLIENTS}  sensor:
    will: { topic: sensors/status }
steps:
  - connect: all
  - id: bye
    disconnect: { clients: sensor, how: abrupt }
expect:
  - session-present: { expected: true, step: bye }
  - will: { of: subscriber, receivers: publisher }
  - will: { of: publisher, receivers: subscriber }
  - reason-code: { packet: connack, code: not-authorised }
  - latency: { p95: "< 250" }
  - retained: { client: publisher, clients: subscriber, topic: t }
`;
  assert.deepEqual(issuesOf(text), [
    'r.yaml:16:22  expect[0].session-present  needs `client` (or `clients`): whose connection or messages to check',
    'r.yaml:16:46  expect[0].session-present.step  step 2 is a disconnect step; session-present checks the CONNACK of a connect or reconnect step',
    'r.yaml:17:17  expect[1].will.of  "subscriber" names 3 clients; name one instance, e.g. subscriber[1]',
    'r.yaml:18:17  expect[2].will.of  publisher declares no will; add `will: { topic: ... }` to clients.publisher',
    'r.yaml:19:43  expect[3].reason-code.code  unknown reason code "not-authorised"; did you mean "not-authorized"?',
    'r.yaml:20:21  expect[4].latency.p95  "< 250" has no unit; write "< 250ms"',
    'r.yaml:21:15  expect[5].retained  give either `client` or `clients`, not both',
  ]);
});

test('warnings do not refuse the file: a client never connected, clean: false without expiry', () => {
  assert.deepEqual(
    warningsOf(`name: warn
clients:
  a: { session: { clean: false } }
  idle: {}
steps:
  - connect: a
`),
    [
      'r.yaml:3:26  clients.a.session.clean  warning:  clean: false without session.expiry: with MQTT 5 the session still ends at disconnect (Session Expiry Interval 0) [MQTT-3.1.2-23]; add expiry, e.g. 1h',
      'r.yaml:4:9  clients.idle  warning:  idle is declared but never connected',
    ],
  );
});
