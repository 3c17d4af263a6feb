import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../errors.js';
import { getTransport, transportNames } from './index.js';

test('the registry loads transports lazily by name and caches them', async () => {
  assert.ok(transportNames.includes('mqttjs'));
  const a = await getTransport('mqttjs');
  const b = await getTransport('mqttjs');
  assert.equal(a.name, 'mqttjs');
  assert.equal(a, b);
});

test('an unknown transport is a UsageError listing the known ones', async () => {
  await assert.rejects(getTransport('carrier-pigeon'), (err: unknown) => {
    assert.ok(err instanceof UsageError);
    assert.match(err.message, /unknown transport "carrier-pigeon"; known transports are "mqttjs"/);
    return true;
  });
  await assert.rejects(getTransport('toString'), UsageError);
});

test('importing the registry loads neither MQTT.js nor the AWS SDK', async () => {
  const { spawnSync } = await import('node:child_process');
  const script = [
    "import { createRequire } from 'node:module';",
    "await import('./runner/transports/index.ts');",
    "await import('./runner/targets/index.ts');",
    'const req = createRequire(import.meta.url);',
    'const loaded = Object.keys(req.cache).filter((k) => /node_modules\\/(mqtt|aws-iot-device-sdk-v2|aws-crt|@aws-sdk)\\//.test(k));',
    'console.log(JSON.stringify(loaded));',
  ].join('\n');
  const out = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(out.status, 0, out.stderr);
  assert.deepEqual(JSON.parse(out.stdout.trim().split('\n').at(-1) ?? 'null'), []);
});
