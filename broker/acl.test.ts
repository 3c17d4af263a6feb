/**
 * ACL rules (createAclAuthorizer, loadAclFile) and the broker applying them.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect, connectForAck, inbox, startTestBroker } from './_test-helpers.js';
import { createAclAuthorizer, loadAclFile } from './acl.js';
import type { ClientIdentity } from './authorizer.js';
import { BrokerConfigError } from './errors.js';

const who = (clientId: string, username?: string): ClientIdentity => ({
  clientId,
  protocolVersion: 5,
  listener: 'mqtt',
  ...(username !== undefined ? { username } : {}),
});

test('first matching rule decides; default applies otherwise; clientId placeholder substitution', () => {
  const acl = createAclAuthorizer({
    default: 'deny',
    rules: [
      { action: 'connect', clientId: 'sensor-*', allow: true },
      { action: ['publish', 'subscribe'], topic: 'sensors/${clientId}/#', allow: true },
      { action: 'subscribe', topic: 'secret/#', allow: false, reasonCode: 0x87, disconnect: true },
      { action: 'receive', username: 'ops', allow: true },
    ],
  });
  assert.equal(acl.connect?.(who('sensor-1'), { clean: true, sessionExpiryInterval: 0 }), true);
  assert.equal(acl.connect?.(who('other'), { clean: true, sessionExpiryInterval: 0 }), false);
  assert.equal(acl.publish?.(who('sensor-1'), 'sensors/sensor-1/t', { qos: 0, retain: false }), true);
  assert.equal(acl.publish?.(who('sensor-1'), 'sensors/sensor-2/t', { qos: 0, retain: false }), false);
  // A requested filter is covered when the rule filter matches it level by level.
  assert.equal(
    acl.subscribe?.(who('sensor-1'), 'sensors/sensor-1/+', { qos: 0, topicFilter: 'sensors/sensor-1/+' }),
    true,
  );
  assert.deepEqual(acl.subscribe?.(who('x'), 'secret/a', { qos: 0, topicFilter: 'secret/a' }), {
    allow: false,
    reasonCode: 0x87,
    disconnect: true,
  });
  assert.equal(acl.receive?.(who('x', 'ops'), 'any', { filter: 'any', qos: 0, retain: false }), true);
  assert.equal(acl.receive?.(who('x', 'dev'), 'any', { filter: 'any', qos: 0, retain: false }), false);
});

test('loadAclFile reads YAML and reports every problem with its rule index', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mqscen-acl-'));
  const good = join(dir, 'good.yaml');
  await writeFile(
    good,
    'default: allow\nrules:\n  - { action: subscribe, topic: "secret/#", allow: false }\n',
  );
  const doc = await loadAclFile(good);
  assert.equal(doc.rules.length, 1);
  const bad = join(dir, 'bad.yaml');
  await writeFile(bad, 'default: maybe\nrules:\n  - { action: eat, allow: yes }\n');
  await assert.rejects(loadAclFile(bad), (error: unknown) => {
    assert.ok(error instanceof BrokerConfigError);
    assert.match(error.message, /default must be/);
    assert.match(error.message, /rules\[0\]\.action "eat"/);
    assert.match(error.message, /rules\[0\]\.allow/);
    return true;
  });
  await assert.rejects(loadAclFile(join(dir, 'missing.yaml')), /cannot read the ACL file/);
  t.diagnostic(dir);
});

test('the broker applies ACL rules from a file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mqscen-acl-'));
  const file = join(dir, 'acl.yaml');
  await writeFile(
    file,
    [
      'rules:',
      '  - { action: connect, clientId: "blocked*", allow: false }',
      '  - { action: subscribe, topic: "secret/#", allow: false }',
      '  - { action: publish, topic: "ro/#", allow: false }',
    ].join('\n'),
  );
  const broker = await startTestBroker(t, { authorize: createAclAuthorizer(await loadAclFile(file)) });
  const url = broker.urls.mqtt as string;
  const blocked = await connectForAck(t, url, { clientId: 'blocked-1', protocolVersion: 5 });
  assert.equal(blocked.connack?.['reasonCode'], 0x87);
  const client = await connect(t, url, { clientId: 'fine', protocolVersion: 5 });
  await assert.rejects(client.subscribeAsync('secret/x', { qos: 1 }));
  await client.subscribeAsync('#', { qos: 1 });
  await client.publishAsync('ro/x', 'dropped', { qos: 1 }).catch(() => undefined);
  await client.publishAsync('rw/x', 'kept', { qos: 1 });
  assert.equal((await inbox(client).next()).topic, 'rw/x');
});
