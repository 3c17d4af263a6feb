/**
 * End to end, offline: scenarios/queuing.yaml (and its MQTT 3.1.1 twin) runs unchanged through an
 * `aws-iot` target over every AWS way in (SDK mTLS, SDK SigV4 WebSocket, MQTT.js SigV4
 * WebSocket, SDK custom authorizer), against the embedded broker with the aws-iot profile.
 * target (runner/targets/aws-iot.ts) → engine → AWS transport → broker listener with mTLS /
 * SigV4 verification / custom authorizer.
 *
 * Glossary: `broker` has an mTLS mqtts listener and a SigV4 wss listener; `authBroker` has an
 * mqtts listener whose connects go through a custom authorizer with a signed token.
 */
import assert from 'node:assert/strict';
import { createSign, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createCustomAuthorizer } from '../broker/auth/custom-authorizer.js';
import { createSigV4Verifier } from '../broker/auth/sigv4.js';
import { type BrokerHandle, startBroker } from '../broker/index.js';
import { type CertificateSet, ensureCertificates, issueClientCertificate } from '../runner/certs.js';
import { runScenario } from '../runner/engine/run-scenario.js';
import { loadScenario } from '../runner/scenario/index.js';
import { type AwsIotTargetOptions, startAwsIotTarget } from '../runner/targets/aws-iot.js';

const REGION = 'eu-west-1';
const AKID = 'AKIDMQSCENE2E00001';
const SECRET = 'e2e-secret/key+value';
const signing = generateKeyPairSync('rsa', { modulusLength: 2048 });
const TOKEN = 'e2e-device-token';

let dir = '';
let certs: CertificateSet;
let device: { cert: string; key: string };
let broker: BrokerHandle;
let authBroker: BrokerHandle;

/** SigV4 credentials reach the transports through the standard AWS chain (environment). */
const savedEnv = { ...process.env };

before(async () => {
  process.env.AWS_ACCESS_KEY_ID = AKID;
  process.env.AWS_SECRET_ACCESS_KEY = SECRET;
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  dir = await mkdtemp(join(tmpdir(), 'mqscen-aws-e2e-'));
  certs = await ensureCertificates(dir);
  const issued = await issueClientCertificate(certs, { commonName: 'mqscen-e2e-device' });
  if (issued.paths === undefined) throw new Error('device certificate not written');
  device = issued.paths;
  broker = await startBroker({
    profile: 'aws-iot',
    listeners: {
      mqtts: { cert: certs.serverCert, key: certs.serverKey, ca: certs.caCert, requireClientCert: true },
      wss: {
        cert: certs.serverCert,
        key: certs.serverKey,
        verifyUpgrade: createSigV4Verifier({
          region: REGION,
          credentials: { [AKID]: { secretAccessKey: SECRET } },
        }),
      },
    },
  });
  authBroker = await startBroker({
    profile: 'aws-iot',
    listeners: { mqtts: { cert: certs.serverCert, key: certs.serverKey } },
    authorize: createCustomAuthorizer({
      authorizers: [
        {
          name: 'e2e-authorizer',
          tokenKeyName: 'token',
          tokenSigningPublicKeys: [signing.publicKey.export({ type: 'spki', format: 'pem' }).toString()],
          tokens: { [TOKEN]: 'E2EDevice' },
        },
      ],
    }),
  });
});

after(async () => {
  for (const k of [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_EC2_METADATA_DISABLED',
    'AWS_SESSION_TOKEN',
    'AWS_PROFILE',
  ]) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
  await Promise.all([broker?.close(), authBroker?.close()]);
  await rm(dir, { recursive: true, force: true });
});

function portOf(b: BrokerHandle, kind: 'mqtts' | 'wss'): number {
  const u = b.urls[kind];
  if (u === undefined) throw new Error(`no ${kind} listener`);
  return Number(new URL(u).port);
}

const silent = {};

async function runFile(file: string, target: Omit<AwsIotTargetOptions, 'name' | 'env'>): Promise<void> {
  const loaded = await loadScenario(file);
  assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.issues));
  const started = await startAwsIotTarget({
    name: 'aws-e2e',
    ...target,
    env: {},
  });
  try {
    const result = await runScenario(loaded.scenario, {
      target: started,
      reporter: silent,
      signal: new AbortController().signal,
      timeoutMs: 60_000,
    });
    const failed = result.assertions.filter((a) => a.status === 'failed');
    assert.equal(
      result.status,
      'passed',
      `${JSON.stringify(result.error)} ${JSON.stringify(failed, null, 1).slice(0, 2000)}`,
    );
  } finally {
    await started.close();
  }
}

describe('queuing scenarios over the AWS transports, embedded broker (aws-iot profile)', () => {
  for (const file of ['scenarios/queuing.yaml', 'scenarios/queuing-mqtt311.yaml']) {
    test(`${file}: aws-iot-sdk over mTLS`, async () => {
      await runFile(file, {
        auth: 'mtls',
        endpoint: `localhost:${portOf(broker, 'mqtts')}`,
        cert: device.cert,
        key: device.key,
        ca: certs.paths.caCert,
      });
    });

    test(`${file}: aws-iot-sdk over WebSocket SigV4`, async () => {
      await runFile(file, {
        auth: 'sigv4',
        region: REGION,
        endpoint: `localhost:${portOf(broker, 'wss')}`,
        ca: certs.paths.caCert,
      });
    });

    test(`${file}: mqttjs-sigv4`, async () => {
      await runFile(file, {
        auth: 'sigv4',
        transport: 'mqttjs-sigv4',
        region: REGION,
        endpoint: `localhost:${portOf(broker, 'wss')}`,
        ca: certs.paths.caCert,
      });
    });

    test(`${file}: aws-iot-sdk with a custom authorizer`, async () => {
      await runFile(file, {
        auth: 'custom-authorizer',
        endpoint: `localhost:${portOf(authBroker, 'mqtts')}`,
        ca: certs.paths.caCert,
        customAuthorizer: {
          name: 'e2e-authorizer',
          tokenKeyName: 'token',
          tokenValue: TOKEN,
          tokenSignature: createSign('RSA-SHA256').update(TOKEN).sign(signing.privateKey, 'base64'),
        },
      });
    });
  }
});
