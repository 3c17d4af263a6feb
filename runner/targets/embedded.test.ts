import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mqttjsTransport } from '../transports/mqttjs.js';
import { resolveTarget } from './index.js';

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
