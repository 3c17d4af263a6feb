/**
 * The core of the language that decides verdicts: wait bounds (`timeouts`), payloads without the
 * identity header (`identity: none`, the empty payload of a retained delete), latency bounds that
 * need an operator, and bounds no broker could meet or fail. Each refusal names file:line:col.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatIssue } from '../errors.js';
import { formatMessageHeader } from '../verdict/identity.js';
import { loadScenarioText } from './index.js';
import { IDENTITY_HEADER_MAX_BYTES } from './payload.js';
import type { ResolvedScenario } from './types.js';

const HEAD = `name: core
clients:
  a: {}
  b: { subscriptions: [t/#] }
steps:
  - connect: all
`;

function load(text: string): ResolvedScenario {
  const r = loadScenarioText('c.yaml', text, { env: {} });
  assert.equal(r.ok, true, r.ok ? '' : r.issues.map(formatIssue).join('\n'));
  return (r as { scenario: ResolvedScenario }).scenario;
}

function issuesOf(text: string): string[] {
  const r = loadScenarioText('c.yaml', text, { env: {} });
  assert.equal(r.ok, false, 'the scenario must be refused');
  return r.ok ? [] : r.issues.map(formatIssue);
}

test('timeouts: defaults of 10s each, set per scenario with any duration', () => {
  assert.deepEqual(load(HEAD).timeouts, { connectMs: 10_000, subscribeMs: 10_000, ackMs: 10_000 });
  const s = load(
    `${HEAD.replace('clients:', 'timeouts: { connect: 1m30s, subscribe: 2s500ms, ack: 250ms }\nclients:')}`,
  );
  assert.deepEqual(s.timeouts, { connectMs: 90_000, subscribeMs: 2_500, ackMs: 250 });
});

test('timeouts: not a duration, zero, or an unknown wait are refused where written', () => {
  const text = `name: core
timeouts: { connect: 10, subscribe: 0s, puback: 1s }
clients: { a: {} }
steps:
  - connect: a
`;
  assert.deepEqual(issuesOf(text), [
    'c.yaml:2:22  timeouts.connect  a bare number is ambiguous here; add a unit: write "10s" or "10ms"',
    'c.yaml:2:37  timeouts.subscribe  the subscribe timeout of 0 ends every wait before it starts; give a duration such as "10s"',
    'c.yaml:2:41  timeouts.puback  unknown property "puback"; allowed here: connect, subscribe, ack',
  ]);
});

test('compound durations are accepted wherever a duration is', () => {
  const s = load(`name: core
timeout: 1h30m
clients:
  a: { keepalive: 1m30s, session: { clean: false, expiry: 1d12h } }
steps:
  - connect: a
  - wait: 1s500ms
  - settle: { timeout: 1m, quiet: 30s }
  - disconnect: { clients: a, sessionExpiry: 2h30m }
`);
  assert.equal(s.timeoutMs, 5_400_000);
  assert.equal(s.clients[0]?.keepalive, 90);
  assert.equal(s.clients[0]?.sessionExpiry, 129_600);
  const [, wait, settle, disconnect] = s.steps;
  assert.equal(wait?.kind === 'wait' && wait.durationMs, 1500);
  assert.equal(settle?.kind === 'settle' && settle.timeoutMs, 60_000);
  assert.equal(disconnect?.kind === 'disconnect' && disconnect.sessionExpiry, 9000);
});

test('a compound duration with units out of order or repeated is refused', () => {
  assert.deepEqual(issuesOf(`${HEAD}  - wait: 30s1m\n`), [
    'c.yaml:7:11  steps[1].wait  "30s1m": write the parts of a duration once each, largest unit first, e.g. "1m30s" (got "1m" after a smaller or equal unit)',
  ]);
});

test('identity: header by default; none when written, and for an empty payload', () => {
  const s = load(`name: core
clients:
  a: { will: { topic: "gone/{name}", payload: "", retain: true } }
  b: { will: { topic: "gone/{name}", payload: offline } }
steps:
  - connect: all
  - publish: { from: a, topic: t/1 }
  - publish: { from: a, topic: t/2, payload: "" , retain: true }
  - publish: { from: a, topic: t/3, payload: { size: 10 }, identity: none }
  - publish: { from: a, topic: t/4, payload: { text: "" } }
  - publish: { from: a, topic: t/5, payload: { json: [1] }, identity: header }
`);
  const identities = s.steps.flatMap((st) => (st.kind === 'publish' ? [st.identity] : []));
  assert.deepEqual(identities, ['header', 'none', 'none', 'none', 'header']);
  assert.deepEqual(
    s.clients.map((c) => c.will?.identity),
    ['none', 'header'],
  );
});

test('a size smaller than the identity header is refused at file:line:col, with both fixes', () => {
  const text = `${HEAD}  - publish: { from: a, topic: t/1, payload: { size: 10 } }
  - publish: { from: a, topic: t/2, payload: { size: 10 }, identity: none }
  - publish: { from: a, topic: t/3, payload: { size: ${IDENTITY_HEADER_MAX_BYTES} } }
`;
  assert.deepEqual(issuesOf(text), [
    `c.yaml:7:54  steps[1].publish.payload.size  size 10 bytes is smaller than mqscen's identity header (up to ${IDENTITY_HEADER_MAX_BYTES} bytes, counted in the size); use size >= ${IDENTITY_HEADER_MAX_BYTES}, or identity: none to send exactly 10 bytes without the header`,
  ]);
});

test('a will with a size smaller than the header is refused too', () => {
  const text = `name: core
clients:
  a: { will: { topic: gone, payload: { size: 3 } } }
steps:
  - connect: a
`;
  assert.match(
    issuesOf(text)[0] ?? '',
    /^c\.yaml:3:46 {2}clients\.a\.will\.payload\.size {2}size 3 bytes is smaller/,
  );
});

test('an empty payload with identity: header is refused (it cannot carry the header)', () => {
  assert.deepEqual(
    issuesOf(`${HEAD}  - publish: { from: a, topic: t, payload: "", identity: header, retain: true }\n`),
    [
      'c.yaml:7:58  steps[1].publish.identity  an empty payload carries nothing, not even the identity header (it is what deletes a retained message [MQTT-3.3.1-6]); remove `identity: header`, or give a payload',
    ],
  );
});

test('the identity header bound matches the longest header the engine writes', () => {
  const longest = formatMessageHeader('zzzzzzzz', 9999, 999_999_998, 9_999_999_999_999);
  assert.equal(Buffer.byteLength(longest, 'latin1'), IDENTITY_HEADER_MAX_BYTES);
});

test('latency bounds need <, <=, > or >=: a bare value and ==/!= are refused with the fix', () => {
  const text = `${HEAD}expect:
  - latency: { p95: 250ms }
  - latency: { p50: "== 10ms", p99: "!= 1s" }
  - latency: { max: "< 0ms" }
  - latency: { p99: "< -5ms" }
`;
  assert.deepEqual(issuesOf(text), [
    'c.yaml:8:21  expect[0].latency.p95  "250ms" has no comparison operator; write "<= 250ms" for an upper bound (or "< 250ms", ">= 250ms" for a lower bound)',
    'c.yaml:9:21  expect[1].latency.p50  "== 10ms": a latency is never exactly a value, so == cannot be meant; write "<= 10ms" for an upper bound or ">= 10ms" for a lower bound',
    'c.yaml:9:37  expect[1].latency.p99  "!= 1s": a latency is never exactly a value, so != cannot be meant; write "<= 1s" for an upper bound or ">= 1s" for a lower bound',
    'c.yaml:10:21  expect[2].latency.max  "< 0ms" can never hold: no latency is below 0 ms; write an upper bound such as "<= 250ms"',
    'c.yaml:11:21  expect[3].latency.p99  "< -5ms": a time is never negative; write a bound such as "<= 250ms"',
  ]);
});

test('latency bounds with an operator resolve, compound durations included', () => {
  const s = load(`${HEAD}expect:
  - latency: { p50: "< 100ms", p95: "<= 1s500ms", p99: ">= 1ms", max: "> 0ms" }
`);
  const a = s.expect[0];
  assert.ok(a?.kind === 'latency');
  assert.deepEqual(
    a.percentiles.map((p) => [p.p, p.bound.op, p.bound.value]),
    [
      [50, '<', 100],
      [95, '<=', 1500],
      [99, '>=', 1],
      [100, '>', 0],
    ],
  );
});

test('count bounds no count can meet are refused: negative, below 0, not whole', () => {
  const text = `${HEAD}expect:
  - received: { client: b, count: ">= -1" }
  - received: { client: b, count: "< 0" }
  - received: { client: b, count: "== 1.5" }
  - received: { client: b, count: ">= 0" }
`;
  assert.deepEqual(issuesOf(text), [
    'c.yaml:8:35  expect[0].received.count  ">= -1": a count is never negative, so this bound says nothing; write ">= 0" to accept any count, or a bound of 0 or more',
    'c.yaml:9:35  expect[1].received.count  "< 0" can never hold: no count is below 0; write "== 0" for none',
    'c.yaml:10:35  expect[2].received.count  "== 1.5": a count is a whole number of messages (got 1.5)',
  ]);
});

test('a settle quiet longer than its timeout is refused', () => {
  const text = `${HEAD}  - settle: { timeout: 2s, quiet: 5s }
  - settle: { quiet: 11s }
  - settle: { timeout: 5s, quiet: 5s }
`;
  assert.deepEqual(issuesOf(text), [
    'c.yaml:7:35  steps[1].settle.quiet  quiet 5s is longer than the settle timeout 2s; the quiet time listens for late duplicates after everything arrived and is at most the timeout: shorten quiet or raise timeout',
    'c.yaml:8:22  steps[2].settle.quiet  quiet 11s is longer than the settle timeout 10s (the default); the quiet time listens for late duplicates after everything arrived and is at most the timeout: shorten quiet or raise timeout',
  ]);
});
