import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { mqttjsTransport } from '../transports/mqttjs.js';
import { parseTargets, resolveTarget } from './index.js';

for (const [name, behaviour] of [
  ['embedded', 'aws-iot'],
  ['embedded:mosquitto', 'mosquitto'],
] as const) {
  test(`--target ${name} starts the embedded broker with behaviour ${behaviour} and stops it`, async (t) => {
    const target = await (await resolveTarget(name, { cwd: process.cwd(), env: {} })).start();
    t.after(() => target.close());
    assert.equal(target.kind, 'embedded');
    assert.equal(target.behaviour, behaviour);
    assert.equal(target.transport, 'mqttjs');
    const conn = target.connectionFor({ name: 'c', username: 'u' } as never);
    assert.equal(conn.url, target.url);
    assert.equal(conn.username, 'u');
    const session = await mqttjsTransport.connect({
      ...conn,
      clientId: `embedded-target-${behaviour}`,
      protocol: '5',
      clean: true,
      keepalive: 10,
      connectTimeoutMs: 3000,
    });
    assert.equal(session.connack.reasonCode, 0);
    await session.disconnect({ how: 'graceful' });
    assert.equal(typeof target.stats?.(), 'object');
    await target.close();
    await target.close();
    await assert.rejects(
      mqttjsTransport.connect({
        ...conn,
        clientId: 'after-close',
        protocol: '5',
        clean: true,
        keepalive: 10,
        connectTimeoutMs: 2000,
      }),
      /ECONNREFUSED/,
    );
  });
}

test('an embedded target takes broker settings from the targets file (the same as mqscen broker --config)', async (t) => {
  const cwd = mkdtempSync(join(tmpdir(), 'mqscen-embedded-settings-'));
  t.after(() => rmSync(cwd, { recursive: true, force: true }));
  writeFileSync(
    join(cwd, 'mqscen.targets.yaml'),
    'tight:\n  kind: embedded\n  profile: mosquitto\n  settings:\n    receiveMaximum: 7\n    maxKeepAlive: 5\n',
  );
  const target = await (await resolveTarget('tight', { cwd, env: {} })).start();
  t.after(() => target.close());
  const client = await mqtt.connectAsync(target.url, {
    protocolVersion: 5,
    keepalive: 60,
    reconnectPeriod: 0,
  });
  t.after(() => client.end(true));
  // The CONNACK already arrived; MQTT.js keeps it.
  const connack = (client as unknown as { connackPacket?: { properties?: Record<string, unknown> } })
    .connackPacket?.properties;
  assert.equal(connack?.['receiveMaximum'], 7);
  assert.equal(connack?.['serverKeepAlive'], 5);
  // A misspelt setting is refused with its position, like any targets-file mistake.
  assert.throws(
    () => parseTargets('t.yaml', 'x:\n  kind: embedded\n  settings:\n    maxQueued: 5\n'),
    (err: unknown) => {
      const issues =
        (err as { issues?: Array<{ line?: number; column?: number; message: string }> }).issues ?? [];
      assert.ok(
        issues.some((i) => i.line === 4 && i.column === 5 && /maxQueued/.test(i.message)),
        JSON.stringify(issues),
      );
      return true;
    },
  );
});
