/**
 * The policy evaluator, table-driven: every case cites the rule it checks (POL-1..POL-10 of
 * docs/aws-iot-semantics.md) and says which way the decision must go. Both directions are in the
 * table for each rule, so a matcher that allows everything (or nothing) fails it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parsePolicyDocument } from '../../runner/document/policy-document.js';
import { ScenarioError } from '../../runner/errors.js';
import type { ClientIdentity } from '../authorizer.js';
import { createPolicyAuthorizer } from './authorizer.js';
import { evaluatePolicies } from './evaluate.js';
import {
  connectRequests,
  publishRequests,
  receiveRequests,
  resolvePolicyResourceOptions,
  type SharedReceiveResource,
  subscribeRequest,
} from './resources.js';
import type { PolicyContext } from './variables.js';

const ARN = 'arn:aws:iot:us-east-1:123456789012';
const original = readFileSync(
  new URL('../../scenarios/policies/original-suite-policy.json', import.meta.url),
  'utf8',
);
const sdkSample = readFileSync(
  new URL('../../scenarios/policies/sdk-sample-policy.json', import.meta.url),
  'utf8',
);

type Stmt = {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
  Condition?: object;
};
const policy = (...statements: Stmt[]) =>
  parsePolicyDocument(JSON.stringify({ Version: '2012-10-17', Statement: statements }), 'p.json');
const allow = (Action: string | string[], Resource: string | string[], Condition?: object): Stmt =>
  Condition ? { Effect: 'Allow', Action, Resource, Condition } : { Effect: 'Allow', Action, Resource };
const deny = (Action: string | string[], Resource: string | string[]): Stmt => ({
  Effect: 'Deny',
  Action,
  Resource,
});

interface Case {
  rule: string;
  name: string;
  statements: Stmt[];
  action: string;
  /** Resource after `arn:aws:iot:us-east-1:123456789012:`. */
  resource: string;
  context?: Partial<PolicyContext>;
  allowed: boolean;
  /** Deciding statement (1-based), or undefined for "no Allow". */
  by?: number;
}

// biome-ignore format: one case per line reads as a table
const cases: Case[] = [
  // POL-1: implicit deny, any Allow grants, explicit Deny wins.
  { rule: 'POL-1', name: 'nothing matches: implicit deny', statements: [allow('iot:Publish', `${ARN}:topic/a`)], action: 'iot:Publish', resource: 'topic/b', allowed: false },
  { rule: 'POL-1', name: 'an Allow grants', statements: [allow('iot:Publish', `${ARN}:topic/a`)], action: 'iot:Publish', resource: 'topic/a', allowed: true, by: 1 },
  { rule: 'POL-1', name: 'Deny over Allow, Deny written last', statements: [allow('iot:*', '*'), deny('iot:Publish', `${ARN}:topic/secret`)], action: 'iot:Publish', resource: 'topic/secret', allowed: false, by: 2 },
  { rule: 'POL-1', name: 'Deny over Allow, Deny written first', statements: [deny('iot:Publish', `${ARN}:topic/secret`), allow('iot:Publish', `${ARN}:topic/secret`)], action: 'iot:Publish', resource: 'topic/secret', allowed: false, by: 1 },
  { rule: 'POL-1', name: 'a Deny elsewhere does not deny', statements: [allow('iot:*', '*'), deny('iot:Publish', `${ARN}:topic/secret`)], action: 'iot:Publish', resource: 'topic/open', allowed: true, by: 1 },
  { rule: 'POL-1', name: 'Action list: the other action is not granted', statements: [allow(['iot:Publish', 'iot:Receive'], `${ARN}:topic/a`)], action: 'iot:Subscribe', resource: 'topic/a', allowed: false },
  { rule: 'POL-1', name: 'Resource list: any entry grants', statements: [allow('iot:Publish', [`${ARN}:topic/a`, `${ARN}:topic/b`])], action: 'iot:Publish', resource: 'topic/b', allowed: true, by: 1 },
  { rule: 'POL-1', name: 'iot:* covers Receive', statements: [allow('iot:*', `${ARN}:topic/a`)], action: 'iot:Receive', resource: 'topic/a', allowed: true, by: 1 },
  { rule: 'POL-1', name: 'action names are case-insensitive', statements: [allow('iot:publish', `${ARN}:topic/a`)], action: 'iot:Publish', resource: 'topic/a', allowed: true, by: 1 },
  // POL-2: the action decides the resource type.
  { rule: 'POL-2', name: 'Subscribe is checked on topicfilter/, not topic/', statements: [allow('iot:Subscribe', `${ARN}:topic/a/b`)], action: 'iot:Subscribe', resource: 'topicfilter/a/b', allowed: false },
  { rule: 'POL-2', name: 'Subscribe on topicfilter/', statements: [allow('iot:Subscribe', `${ARN}:topicfilter/a/b`)], action: 'iot:Subscribe', resource: 'topicfilter/a/b', allowed: true, by: 1 },
  { rule: 'POL-2', name: 'Receive is checked on topic/, not topicfilter/', statements: [allow('iot:Receive', `${ARN}:topicfilter/a/b`)], action: 'iot:Receive', resource: 'topic/a/b', allowed: false },
  { rule: 'POL-2', name: 'Connect on client/<id>', statements: [allow('iot:Connect', `${ARN}:client/dev-1`)], action: 'iot:Connect', resource: 'client/dev-1', allowed: true, by: 1 },
  { rule: 'POL-2', name: 'Publish does not grant RetainPublish', statements: [allow('iot:Publish', `${ARN}:topic/a`)], action: 'iot:RetainPublish', resource: 'topic/a', allowed: false },
  // POL-3: the Subscribe resource is the literal filter; + and # are plain characters.
  { rule: 'POL-3', name: 'filter sensor/+/temp needs that literal resource', statements: [allow('iot:Subscribe', `${ARN}:topicfilter/sensor/+/temp`)], action: 'iot:Subscribe', resource: 'topicfilter/sensor/+/temp', allowed: true, by: 1 },
  { rule: 'POL-3', name: 'a literal + in a policy is not an MQTT wildcard', statements: [allow('iot:Subscribe', `${ARN}:topicfilter/sensor/+/temp`)], action: 'iot:Subscribe', resource: 'topicfilter/sensor/kitchen/temp', allowed: false },
  { rule: 'POL-3', name: 'a literal # in a policy is not an MQTT wildcard', statements: [allow('iot:Publish', `${ARN}:topic/sensor/#`)], action: 'iot:Publish', resource: 'topic/sensor/kitchen', allowed: false },
  // POL-4: shared Subscribe is checked on the full $share filter.
  { rule: 'POL-4', name: '$share filter granted in full', statements: [allow('iot:Subscribe', `${ARN}:topicfilter/$share/g/test/topic`)], action: 'iot:Subscribe', resource: 'topicfilter/$share/g/test/topic', allowed: true, by: 1 },
  { rule: 'POL-4', name: 'the plain filter does not grant the $share one', statements: [allow('iot:Subscribe', `${ARN}:topicfilter/test/topic`)], action: 'iot:Subscribe', resource: 'topicfilter/$share/g/test/topic', allowed: false },
  // POL-6: wildcards over the whole ARN.
  { rule: 'POL-6', name: '* spans /', statements: [allow('iot:Publish', `${ARN}:topic/a/*`)], action: 'iot:Publish', resource: 'topic/a/b/c/d', allowed: true, by: 1 },
  { rule: 'POL-6', name: '? is exactly one character', statements: [allow('iot:Connect', `${ARN}:client/dev-?`)], action: 'iot:Connect', resource: 'client/dev-7', allowed: true, by: 1 },
  { rule: 'POL-6', name: '? is not two characters', statements: [allow('iot:Connect', `${ARN}:client/dev-?`)], action: 'iot:Connect', resource: 'client/dev-17', allowed: false },
  { rule: 'POL-6', name: 'region and account wildcards', statements: [allow('iot:Publish', 'arn:aws:iot:*:*:topic/a')], action: 'iot:Publish', resource: 'topic/a', allowed: true, by: 1 },
  { rule: 'POL-6', name: 'matching is case sensitive', statements: [allow('iot:Publish', `${ARN}:topic/Alarm`)], action: 'iot:Publish', resource: 'topic/alarm', allowed: false },
  { rule: 'POL-6', name: 'the match covers the whole ARN (no prefix match)', statements: [allow('iot:Publish', `${ARN}:topic/a`)], action: 'iot:Publish', resource: 'topic/a/b', allowed: false },
  { rule: 'POL-6', name: 'Resource "*" matches everything', statements: [allow('iot:Publish', '*')], action: 'iot:Publish', resource: 'topic/any/thing', allowed: true, by: 1 },
  { rule: 'POL-6', name: '${*} is a literal *', statements: [allow('iot:Publish', `${ARN}:topic/a/\${*}`)], action: 'iot:Publish', resource: 'topic/a/*', allowed: true, by: 1 },
  { rule: 'POL-6', name: '${*} does not act as a wildcard', statements: [allow('iot:Publish', `${ARN}:topic/a/\${*}`)], action: 'iot:Publish', resource: 'topic/a/b', allowed: false },
  { rule: 'POL-6', name: '${?} is a literal ?', statements: [allow('iot:Publish', `${ARN}:topic/q\${?}`)], action: 'iot:Publish', resource: 'topic/qx', allowed: false },
  { rule: 'POL-6', name: '${$} is a literal $', statements: [allow('iot:Subscribe', `${ARN}:topicfilter/\${$}share/*`)], action: 'iot:Subscribe', resource: 'topicfilter/$share/g/t', allowed: true, by: 1 },
  // POL-7: policy variables; an unresolvable one makes its statement not match.
  { rule: 'POL-7', name: '${iot:ClientId} substituted', statements: [allow('iot:Publish', `${ARN}:topic/d/\${iot:ClientId}/t`)], action: 'iot:Publish', resource: 'topic/d/dev-1/t', context: { clientId: 'dev-1' }, allowed: true, by: 1 },
  { rule: 'POL-7', name: '${iot:ClientId} is the client id, not anyone', statements: [allow('iot:Publish', `${ARN}:topic/d/\${iot:ClientId}/t`)], action: 'iot:Publish', resource: 'topic/d/dev-2/t', context: { clientId: 'dev-1' }, allowed: false },
  { rule: 'POL-7', name: 'ThingName when the client id is the thing name', statements: [allow('iot:Connect', `${ARN}:client/\${iot:Connection.Thing.ThingName}`)], action: 'iot:Connect', resource: 'client/pump-3', context: { clientId: 'pump-3', thing: { name: 'pump-3' } }, allowed: true, by: 1 },
  { rule: 'POL-7', name: 'ThingName unresolved when the client id differs: no match, never a wildcard', statements: [allow('iot:Connect', `${ARN}:client/\${iot:Connection.Thing.ThingName}`)], action: 'iot:Connect', resource: 'client/other', context: { clientId: 'other', thing: { name: 'pump-3' } }, allowed: false },
  { rule: 'POL-7', name: 'an unresolvable variable in a Deny does not deny', statements: [allow('iot:*', '*'), deny('iot:Publish', `${ARN}:topic/\${iot:Connection.Thing.ThingName}`)], action: 'iot:Publish', resource: 'topic/x', context: { clientId: 'x' }, allowed: true, by: 1 },
  { rule: 'POL-7', name: 'IsAttached true for an attached thing', statements: [allow('iot:Connect', '*', { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } })], action: 'iot:Connect', resource: 'client/pump-3', context: { clientId: 'pump-3', thing: { name: 'pump-3' } }, allowed: true, by: 1 },
  { rule: 'POL-7', name: 'IsAttached false without a thing', statements: [allow('iot:Connect', '*', { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } })], action: 'iot:Connect', resource: 'client/pump-3', context: { clientId: 'pump-3' }, allowed: false },
  { rule: 'POL-7', name: 'certificate CommonName', statements: [allow('iot:Publish', `${ARN}:topic/\${iot:Certificate.Subject.CommonName}/*`)], action: 'iot:Publish', resource: 'topic/pump-3/t', context: { clientId: 'c', certificate: { subject: { CN: 'pump-3' } } }, allowed: true, by: 1 },
  { rule: 'POL-7', name: 'certificate variable without a certificate does not match', statements: [allow('iot:Publish', `${ARN}:topic/\${iot:Certificate.Subject.CommonName}/*`)], action: 'iot:Publish', resource: 'topic//t', context: { clientId: 'c' }, allowed: false },
  { rule: 'POL-7', name: 'thing attribute', statements: [allow('iot:Publish', `${ARN}:topic/site/\${iot:Connection.Thing.Attributes[site]}/*`)], action: 'iot:Publish', resource: 'topic/site/berlin/t', context: { clientId: 'p', thing: { name: 'p', attributes: { site: 'berlin' } } }, allowed: true, by: 1 },
  // POL-8: the substitution is literal: a client id `+` yields the filter my/+/topic.
  { rule: 'POL-8', name: 'client id "+" subscribes to my/+/topic (documented caveat)', statements: [allow('iot:Subscribe', `${ARN}:topicfilter/my/\${iot:ClientId}/topic`)], action: 'iot:Subscribe', resource: 'topicfilter/my/+/topic', context: { clientId: '+' }, allowed: true, by: 1 },
  { rule: 'POL-8', name: 'a client id "*" is a literal *, not a wildcard', statements: [allow('iot:Publish', `${ARN}:topic/my/\${iot:ClientId}`)], action: 'iot:Publish', resource: 'topic/my/anything', context: { clientId: '*' }, allowed: false },
  // POL-9: iot:ConnectAttributes.
  { rule: 'POL-9', name: 'ForAnyValue:StringEquals PersistentConnect, persistent connect', statements: [allow('iot:Connect', '*', { 'ForAnyValue:StringEquals': { 'iot:ConnectAttributes': ['PersistentConnect'] } })], action: 'iot:Connect', resource: 'client/a', context: { connectAttributes: ['PersistentConnect'] }, allowed: true, by: 1 },
  { rule: 'POL-9', name: 'ForAnyValue:StringEquals PersistentConnect, clean connect', statements: [allow('iot:Connect', '*', { 'ForAnyValue:StringEquals': { 'iot:ConnectAttributes': ['PersistentConnect'] } })], action: 'iot:Connect', resource: 'client/a', context: { connectAttributes: [] }, allowed: false },
  { rule: 'POL-9', name: 'ForAllValues:StringNotEquals LastWill, connect with a Will', statements: [allow('iot:Connect', '*', { 'ForAllValues:StringNotEquals': { 'iot:ConnectAttributes': ['LastWill'] } })], action: 'iot:Connect', resource: 'client/a', context: { connectAttributes: ['PersistentConnect', 'LastWill'] }, allowed: false },
  { rule: 'POL-9', name: 'ForAllValues:StringNotEquals LastWill, connect without a Will', statements: [allow('iot:Connect', '*', { 'ForAllValues:StringNotEquals': { 'iot:ConnectAttributes': ['LastWill'] } })], action: 'iot:Connect', resource: 'client/a', context: { connectAttributes: ['PersistentConnect'] }, allowed: true, by: 1 },
];

for (const c of cases) {
  test(`${c.rule}: ${c.name} → ${c.allowed ? 'allowed' : 'denied'}`, () => {
    const doc = policy(...c.statements);
    const ctx: PolicyContext = { clientId: 'client-1', ...c.context };
    const d = evaluatePolicies([doc], { action: c.action, resource: `${ARN}:${c.resource}` }, ctx);
    assert.equal(d.allowed, c.allowed, d.reason);
    assert.equal(d.statement?.index, c.by, d.reason);
  });
}

test('POL-1: policies attached to one principal are combined; a Deny in one overrides an Allow in another', () => {
  const a = policy(allow('iot:Publish', '*'));
  const b = parsePolicyDocument(
    JSON.stringify({ Version: '2012-10-17', Statement: [deny('iot:Publish', `${ARN}:topic/x`)] }),
    'b.json',
  );
  const req = { action: 'iot:Publish', resource: `${ARN}:topic/x` };
  assert.equal(evaluatePolicies([a], req, { clientId: 'c' }).allowed, true);
  const d = evaluatePolicies([a, b], req, { clientId: 'c' });
  assert.equal(d.allowed, false);
  assert.equal(d.statement?.policy, 'b.json');
  assert.match(d.reason, /denied by statement 1 of b\.json/);
  assert.match(evaluatePolicies([], req, { clientId: 'c' }).reason, /no policy is attached/);
});

test('POL-2: a CONNECT with a retained Will asks Connect, Publish and RetainPublish', () => {
  const o = resolvePolicyResourceOptions();
  assert.deepEqual(
    connectRequests('dev', { topic: 'w/t', retain: true }, o).map((r) => `${r.action} ${r.resource}`),
    [`iot:Connect ${ARN}:client/dev`, `iot:Publish ${ARN}:topic/w/t`, `iot:RetainPublish ${ARN}:topic/w/t`],
  );
  assert.deepEqual(
    publishRequests('a', false, o).map((r) => r.action),
    ['iot:Publish'],
  );
  assert.equal(subscribeRequest('$share/g/a/+', o).resource, `${ARN}:topicfilter/$share/g/a/+`);
});

for (const [setting, shareForm, plain] of [
  ['share-form', true, false],
  ['plain', false, true],
  ['either', true, true],
] as Array<[SharedReceiveResource, boolean, boolean]>) {
  test(`POL-5: sharedReceiveResource=${setting}: the $share form ${shareForm ? 'grants' : 'does not grant'}, the plain topic ${plain ? 'grants' : 'does not grant'} a shared delivery`, () => {
    const o = resolvePolicyResourceOptions({ sharedReceiveResource: setting });
    const ctx = { clientId: 'm' };
    const grants = (doc: ReturnType<typeof policy>) =>
      receiveRequests('test/shared/messages', 'message-queuing-group', o).some(
        (r) => evaluatePolicies([doc], r, ctx).allowed,
      );
    assert.equal(
      grants(policy(allow('iot:Receive', `${ARN}:topic/$share/message-queuing-group/test/shared/messages`))),
      shareForm,
    );
    assert.equal(grants(policy(allow('iot:Receive', `${ARN}:topic/test/shared/messages`))), plain);
    // A non-shared delivery is always checked on the plain topic.
    assert.deepEqual(
      receiveRequests('t', undefined, o).map((r) => r.resource),
      [`${ARN}:topic/t`],
    );
  });
}

test('POL-5: the original suite policy grants the shared delivery (share form) and nothing else', () => {
  const doc = parsePolicyDocument(original, 'original-suite-policy.json');
  const o = resolvePolicyResourceOptions();
  const ctx = { clientId: 'message-queuing-test-subscriber-01' };
  const ok = (r: { action: string; resource: string }) => evaluatePolicies([doc], r, ctx).allowed;
  assert.ok(ok(connectRequests(ctx.clientId, undefined, o)[0] as never));
  assert.ok(!ok(connectRequests('intruder', undefined, o)[0] as never));
  assert.ok(ok(subscribeRequest('$share/message-queuing-group/test/shared/messages', o)));
  assert.ok(!ok(subscribeRequest('test/shared/messages', o)));
  assert.ok(receiveRequests('test/shared/messages', 'message-queuing-group', o).every(ok));
  assert.ok(!receiveRequests('test/shared/messages', undefined, o).every(ok));
  // The SDK sample uses `region`/`account` placeholders: its ARNs match only those values.
  const sample = parsePolicyDocument(sdkSample, 'sdk-sample-policy.json');
  const so = resolvePolicyResourceOptions({ region: 'region', account: 'account' });
  assert.ok(
    evaluatePolicies([sample], subscribeRequest('$share/any/test/topic', so), { clientId: 'test-1' }).allowed,
  );
});

const who = (protocolVersion: 4 | 5, clientId = 'dev-1'): ClientIdentity => ({
  clientId,
  protocolVersion,
  listener: 'mqtt',
});

test('POL-10: refusals close the connection on MQTT 3.1.1 and answer 0x87 on MQTT 5; Receive skips; each refusal is logged with its reason', () => {
  const doc = policy(
    allow('iot:Connect', `${ARN}:client/dev-*`),
    allow('iot:Subscribe', `${ARN}:topicfilter/a`),
  );
  const auth = createPolicyAuthorizer({ attachments: { default: [doc], attached: [] } });
  const request = { clean: true, sessionExpiryInterval: 0 };
  assert.equal(auth.connect?.(who(5), request), true);
  assert.deepEqual(auth.connect?.(who(5, 'intruder'), request), {
    allow: false,
    reasonCode: 0x87,
    disconnect: false,
  });
  assert.deepEqual(auth.connect?.(who(4, 'intruder'), request), {
    allow: false,
    reasonCode: 0x87,
    disconnect: true,
  });
  assert.deepEqual(auth.publish?.(who(4), 'a', { qos: 1, retain: false }), {
    allow: false,
    reasonCode: 0x87,
    disconnect: true,
  });
  assert.deepEqual(auth.subscribe?.(who(5), 'b', { qos: 1, topicFilter: 'b' }), {
    allow: false,
    reasonCode: 0x87,
    disconnect: false,
  });
  assert.equal(auth.subscribe?.(who(5), 'a', { qos: 1, topicFilter: 'a' }), true);
  assert.equal(auth.receive?.(who(5), 'a', { filter: 'a', qos: 1, retain: false }), false);
  assert.equal(auth.receive?.(who(5), 'a', { filter: 'a', qos: 1, retain: false }), false);
  const receive = auth.refusals().find((r) => r.action === 'iot:Receive');
  assert.equal(receive?.count, 2);
  assert.equal(receive?.resource, `${ARN}:topic/a`);
  assert.match(receive?.reason ?? '', /no statement of p\.json allows it/);
  assert.equal(auth.stats().denied, 6);
  assert.equal(auth.stats().byStatement['p.json#1 Allow'], 1);
});

test('POL-9: the broker derives iot:ConnectAttributes from the CONNECT (persistent session, Will)', () => {
  const doc = policy(allow('iot:*', '*'), {
    Effect: 'Deny',
    Action: 'iot:Connect',
    Resource: '*',
    Condition: { 'ForAnyValue:StringEquals': { 'iot:ConnectAttributes': ['LastWill'] } },
  });
  const auth = createPolicyAuthorizer({ attachments: { default: [doc], attached: [] } });
  assert.equal(auth.connect?.(who(5), { clean: false, sessionExpiryInterval: 3600 }), true);
  assert.notEqual(
    auth.connect?.(who(5), {
      clean: true,
      sessionExpiryInterval: 0,
      will: { topic: 'w', qos: 0, retain: false },
    }),
    true,
  );
});

test('policies attached per thing (certificate CN) and per client id pattern add to the default one', () => {
  const base = policy(allow('iot:Connect', '*'));
  const pumps = policy(allow('iot:Publish', `${ARN}:topic/pumps/*`));
  const byThing = policy(allow('iot:Publish', `${ARN}:topic/things/\${iot:Connection.Thing.ThingName}`));
  const auth = createPolicyAuthorizer({
    attachments: {
      default: [base],
      attached: [
        { match: { clientId: 'pump-*' }, policies: [pumps] },
        { match: { thing: 'sensor-9' }, policies: [byThing] },
      ],
    },
  });
  const info = { qos: 1, retain: false };
  assert.equal(auth.publish?.(who(5, 'pump-1'), 'pumps/x', info), true);
  assert.notEqual(auth.publish?.(who(5, 'valve-1'), 'pumps/x', info), true);
  const sensor: ClientIdentity = { ...who(5, 'sensor-9'), certificateCN: 'sensor-9' };
  assert.equal(auth.publish?.(sensor, 'things/sensor-9', info), true);
  assert.notEqual(auth.publish?.(who(5, 'sensor-9'), 'things/sensor-9', info), true);
});

// Document errors: file:line:col, all of them at once.
// biome-ignore format: one case per line reads as a table
const errorCases: Array<{ name: string; text: string; line: number; column: number; message: RegExp }> = [
  { name: 'bad JSON (trailing comma)', text: '{\n  "Version": "2012-10-17",\n  "Statement": [],\n}', line: 3, column: 18, message: /trailing comma/ },
  { name: 'unknown action with a suggestion', text: '{"Version":"2012-10-17","Statement":[\n {"Effect":"Allow","Action":"iot:Recieve","Resource":"*"}]}', line: 2, column: 29, message: /unknown action "iot:Recieve"; did you mean "iot:Receive"/ },
  { name: 'malformed ARN', text: '{"Version":"2012-10-17","Statement":[\n {"Effect":"Allow","Action":"iot:Publish",\n  "Resource":"arn:aws:iot:topic/a"}]}', line: 3, column: 14, message: /malformed ARN/ },
  { name: 'unknown resource type', text: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Publish","Resource":"arn:aws:iot:*:*:topics/a"}]}', line: 1, column: 90, message: /resource type "topics".*did you mean "topic\/"/ },
  { name: 'wrong Version', text: '{"Version":"2008-10-17","Statement":[]}', line: 1, column: 12, message: /must be "2012-10-17"/ },
  { name: 'bad Effect', text: '{"Version":"2012-10-17","Statement":{"Effect":"allow","Action":"iot:*","Resource":"*"}}', line: 1, column: 47, message: /"Allow" or "Deny"/ },
  { name: 'unknown condition operator', text: '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iot:*","Resource":"*","Condition":{"StringEqual":{"a":"b"}}}}', line: 1, column: 100, message: /unknown condition operator "StringEqual"; did you mean "StringEquals"/ },
];

for (const c of errorCases) {
  test(`policy document error: ${c.name} is reported at file:line:col`, () => {
    assert.throws(
      () => parsePolicyDocument(c.text, 'bad.json'),
      (error: unknown) => {
        assert.ok(error instanceof ScenarioError);
        const issue = error.issues[0];
        assert.match(issue?.message ?? '', c.message);
        assert.equal(issue?.file, 'bad.json');
        assert.deepEqual([issue?.line, issue?.column], [c.line, c.column], issue?.message);
        return true;
      },
    );
  });
}
