/**
 * AWS IoT policies on the embedded target: the targets file's `policy:`/`policies:`, the
 * scenario's own `policy:` (usePolicy), refusals per POL-10, and the refusal log that names the
 * action, resource and reason.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ScenarioError } from '../errors.js';
import { mqttjsTransport } from '../transports/mqttjs.js';
import { resolveTarget } from './index.js';
import type { StartedTarget } from './target.js';

const original = fileURLToPath(
  new URL('../../scenarios/policies/original-suite-policy.json', import.meta.url),
);

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'mqscen-policy-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function startFrom(dir: string, yaml: string, t: { after: (fn: () => Promise<void>) => void }) {
  writeFileSync(join(dir, 'targets.yaml'), yaml);
  const def = await resolveTarget('local', { cwd: dir, targetsFile: 'targets.yaml', env: {} });
  const target = await def.start();
  t.after(() => target.close());
  return target;
}

const connect = (target: StartedTarget, clientId: string, protocol: '5' | '3.1.1' = '5') =>
  mqttjsTransport.connect({
    url: target.url,
    clientId,
    protocol,
    clean: true,
    keepalive: 10,
    connectTimeoutMs: 3000,
  });

test('targets file policy: a client id outside the Connect resource is refused (MQTT 5 CONNACK 0x87, POL-10) and the refusal names the statement search', async (t) => {
  const dir = tempDir(t);
  const target = await startFrom(dir, `local: { kind: embedded, policy: ${JSON.stringify(original)} }\n`, t);
  const since = Date.now();
  const ok = await connect(target, 'message-queuing-test-1');
  await ok.disconnect({ how: 'graceful' });
  await assert.rejects(connect(target, 'intruder'), /0x87|not authori[sz]ed/i);
  await assert.rejects(connect(target, 'intruder-311', '3.1.1'));
  const refusals = target.policyRefusals?.(since) ?? [];
  assert.deepEqual(
    refusals.map((r) => [r.client, r.action, r.resource]),
    [
      ['intruder', 'iot:Connect', 'client/intruder'],
      ['intruder-311', 'iot:Connect', 'client/intruder-311'],
    ],
  );
  assert.match(refusals[0]?.reason ?? '', /no statement of .*original-suite-policy\.json allows it/);
  assert.equal((target.stats?.()?.policy as { denied?: number } | undefined)?.denied, 2);
});

test('policies: [{ match, policy }] attach a policy to matching client ids only, on top of policy:', async (t) => {
  const dir = tempDir(t);
  writeFileSync(
    join(dir, 'extra.json'),
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: 'arn:aws:iot:*:*:client/*' }],
    }),
  );
  const target = await startFrom(
    dir,
    `local:\n  kind: embedded\n  policy: ${JSON.stringify(original)}\n  policies:\n    - { match: "ops-*", policy: extra.json }\n`,
    t,
  );
  const ops = await connect(target, 'ops-1');
  await ops.disconnect({ how: 'graceful' });
  await assert.rejects(connect(target, 'dev-1'), /0x87|not authori[sz]ed/i);
});

test("the scenario's policy applies while it runs unless the target attaches one; without any, everything is allowed", async (t) => {
  const target = await (await resolveTarget('embedded', { cwd: process.cwd(), env: {} })).start();
  t.after(() => target.close());
  (await connect(target, 'anyone')).disconnect({ how: 'graceful' });
  await target.usePolicy?.(original);
  await assert.rejects(connect(target, 'anyone'), /0x87|not authori[sz]ed/i);
  await target.usePolicy?.(undefined);
  await (await connect(target, 'anyone')).disconnect({ how: 'graceful' });
});

test('a broken policy file stops the target before it listens, with file:line:col', async (t) => {
  const dir = tempDir(t);
  writeFileSync(
    join(dir, 'bad.json'),
    '{\n  "Version": "2012-10-17",\n  "Statement": [{ "Effect": "Allow", "Action": "iot:Recieve", "Resource": "*" }]\n}\n',
  );
  writeFileSync(join(dir, 'targets.yaml'), 'local: { kind: embedded, policy: bad.json }\n');
  const def = await resolveTarget('local', { cwd: dir, targetsFile: 'targets.yaml', env: {} });
  await assert.rejects(def.start(), (error: unknown) => {
    assert.ok(error instanceof ScenarioError);
    const issue = error.issues[0];
    assert.match(issue?.message ?? '', /unknown action "iot:Recieve"; did you mean "iot:Receive"/);
    assert.deepEqual([issue?.line, issue?.column], [3, 48]);
    return true;
  });
});

test('policy: on the mosquitto profile is refused (policies are the aws-iot profile’s)', async (t) => {
  const dir = tempDir(t);
  writeFileSync(
    join(dir, 'targets.yaml'),
    `local: { kind: embedded, profile: mosquitto, policy: ${JSON.stringify(original)} }\n`,
  );
  const def = await resolveTarget('local', { cwd: dir, targetsFile: 'targets.yaml', env: {} });
  await assert.rejects(def.start(), /aws-iot profile only/);
});
