import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { test } from 'node:test';
import { EnvironmentError } from '../errors.js';
import { mqttjsTransport } from '../transports/mqttjs.js';
import { findMosquitto, startMosquittoTarget } from './mosquitto.js';

const installed = (() => {
  try {
    findMosquitto();
    return true;
  } catch {
    return false;
  }
})();
const skip = installed ? false : 'mosquitto is not installed (apt-get install -y mosquitto)';

function portOpen(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const s = netConnect({ host: hostname, port: Number(port) });
    s.setTimeout(1000);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
}

test('starts mosquitto on a free port, serves MQTT and WebSocket, and stops on close', {
  skip,
}, async (t) => {
  const target = await startMosquittoTarget();
  t.after(() => target.close());
  assert.equal(target.kind, 'mosquitto');
  assert.equal(target.behaviour, 'mosquitto');
  assert.equal(target.transport, 'mqttjs');
  assert.match(target.url, /^mqtt:\/\/127\.0\.0\.1:\d+$/);
  for (const url of [target.urls.mqtt, target.urls.ws]) {
    if (url === undefined) continue;
    const session = await mqttjsTransport.connect({
      url,
      clientId: `probe-${url.slice(0, 2)}`,
      protocol: '5',
      clean: true,
      keepalive: 10,
      connectTimeoutMs: 3000,
    });
    assert.equal(session.connack.reasonCode, 0);
    await session.disconnect({ how: 'graceful' });
  }
  await target.close();
  await target.close(); // idempotent
  assert.equal(await portOpen(target.url), false, 'the port is closed after close()');
  assert.throws(() => process.kill(target.pid, 0), 'the process is gone');
});

test('two targets at once get different ports', { skip }, async (t) => {
  const [a, b] = await Promise.all([startMosquittoTarget(), startMosquittoTarget({ websockets: false })]);
  t.after(() => Promise.all([a.close(), b.close()]));
  assert.notEqual(a.url, b.url);
  assert.equal(b.urls.ws, undefined);
});

test('a missing binary is an EnvironmentError (exit 3) naming the install command', async () => {
  await assert.rejects(startMosquittoTarget({ binary: '/nonexistent/bin/mosquitto' }), (err: unknown) => {
    assert.ok(err instanceof EnvironmentError);
    assert.equal(err.exitCode, 3);
    assert.match(err.message, /\/nonexistent\/bin\/mosquitto/);
    assert.match(err.hint ?? '', /apt-get install -y mosquitto/);
    return true;
  });
});

test('a config mosquitto refuses is an EnvironmentError with its output', { skip }, async () => {
  await assert.rejects(
    startMosquittoTarget({ extraConfig: ['no_such_option 1'], startTimeoutMs: 3000 }),
    (err: unknown) => {
      assert.ok(err instanceof EnvironmentError);
      assert.match(err.message, /no_such_option|Unknown configuration|exited/i);
      return true;
    },
  );
});
