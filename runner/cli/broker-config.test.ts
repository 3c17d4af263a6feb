/**
 * schemas/broker.schema.json stays in step with BrokerSettings, the targets file offers the same
 * settings, and loadBrokerConfig reports mistakes with their positions.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { BASE_SETTINGS } from '../../broker/profiles/settings.js';
import { ScenarioError, UsageError } from '../errors.js';
import { loadBrokerConfig, settingsFromFlags } from './broker-config.js';

const root = resolve(import.meta.dirname, '../..');
const schema = (name: string) => JSON.parse(readFileSync(join(root, 'schemas', name), 'utf8'));

test('broker.schema.json lists every broker setting, and the targets file offers the same ones', () => {
  const settings = schema('broker.schema.json').definitions.settings;
  assert.deepEqual(Object.keys(settings.properties).sort(), Object.keys(BASE_SETTINGS).sort());
  for (const [name, property] of Object.entries(
    settings.properties as Record<string, { title?: string; description?: string }>,
  )) {
    assert.ok(property.title && property.description, `${name} has a title and a description`);
  }
  const targets = schema('targets.schema.json').definitions.brokerSettings;
  assert.deepEqual(targets.properties, settings.properties);
});

test('loadBrokerConfig: a valid file gives profile and settings; mistakes come with file:line:col', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mqscen-broker-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const good = join(dir, 'good.yaml');
  writeFileSync(good, 'profile: aws-iot\nsettings:\n  maxQueuedMessages: 50\n  overlapDelivery: single\n');
  assert.deepEqual(await loadBrokerConfig(good), {
    profile: 'aws-iot',
    settings: { maxQueuedMessages: 50, overlapDelivery: 'single' },
  });
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'profile: rabbitmq\nsettings:\n  sharedDistribution: random\n  maxQueuedMessages: -1\n');
  await assert.rejects(loadBrokerConfig(bad), (error: unknown) => {
    assert.ok(error instanceof ScenarioError);
    const lines = error.issues.map((i) => `${i.line}:${i.column} ${i.path}`);
    assert.deepEqual(
      lines.sort(),
      ['1:10 profile', '3:23 settings.sharedDistribution', '4:22 settings.maxQueuedMessages'].sort(),
    );
    return true;
  });
});

test('setting flags: numbers become settings, anything else is a UsageError naming the flag', () => {
  assert.deepEqual(settingsFromFlags({ maxKeepalive: '60', maxQueued: '0', connectTimeout: '0.5' }), {
    maxKeepAlive: 60,
    maxQueuedMessages: 0,
    connectTimeout: 0.5,
  });
  assert.throws(
    () => settingsFromFlags({ receiveMaximum: '0' }),
    (e: unknown) => e instanceof UsageError && /--receive-maximum "0"/.test(e.message),
  );
  assert.throws(() => settingsFromFlags({ maxPacketSize: '1.5' }), /--max-packet-size/);
});
