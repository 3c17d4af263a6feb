/**
 * Test fixtures for the AWS IoT transports, offline (internal to the transport tests).
 * Glossary:
 * - `testCertificates()`: one local CA + server certificate per test process, in a temp folder.
 * - `startSecureBroker(refuse?)`: embedded broker with an mTLS `mqtts` listener and a SigV4 `wss`
 *   listener verifying against `credentialTable`; `refuse` refuses every CONNECT (0x87 / 5).
 * - `AKID`/`SECRET`: permanent test key; `TEMP_AKID` + `TOKEN`: temporary key with session token.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { createSigV4Verifier } from '../../broker/auth/sigv4.js';
import { type BrokerHandle, type BrokerOptions, startBroker } from '../../broker/index.js';
import { type CertificateSet, ensureCertificates } from '../certs.js';
import type { ContractEndpoint, ContractEnvironment } from './transport.contract.js';

export const REGION = 'eu-west-1';
export const AKID = 'AKIDMQSCENTEST0001';
export const TEMP_AKID = 'ASIAMQSCENTEMP0001';
export const SECRET = 'mqscen-test-secret/0123456789+abcdef';
export const TOKEN = 'mqscen-session-token/with+odd=chars';
export const credentialTable = {
  [AKID]: { secretAccessKey: SECRET },
  [TEMP_AKID]: { secretAccessKey: SECRET, sessionToken: TOKEN },
};

let certsDir: string | undefined;
let certs: Promise<CertificateSet> | undefined;
/** One certificate set per test process, in a temp folder removed at the end. */
export function testCertificates(): Promise<CertificateSet> {
  certs ??= (async () => {
    certsDir = await mkdtemp(join(tmpdir(), 'mqscen-aws-certs-'));
    return ensureCertificates(certsDir);
  })();
  return certs;
}
after(async () => {
  if (certsDir !== undefined) await rm(certsDir, { recursive: true, force: true });
});

export async function startSecureBroker(refuse = false): Promise<BrokerHandle> {
  const set = await testCertificates();
  const options: BrokerOptions = {
    profile: 'mosquitto',
    // AWS IoT ends a taken-over MQTT 5 connection with DISCONNECT 0x8E (the contract checks it).
    settings: { takeoverDisconnect: true },
    listeners: {
      mqtts: { cert: set.serverCert, key: set.serverKey, ca: set.caCert, requireClientCert: true },
      wss: {
        cert: set.serverCert,
        key: set.serverKey,
        verifyUpgrade: createSigV4Verifier({ region: REGION, credentials: credentialTable }),
      },
    },
  };
  if (refuse) options.authorize = { connect: () => false };
  return startBroker(options);
}

export function urlOf(broker: BrokerHandle, kind: 'mqtts' | 'wss'): string {
  const u = broker.urls[kind];
  if (u === undefined) throw new Error(`broker has no ${kind} listener`);
  return u;
}

/**
 * The SDK's MQTT 3.1.1 connection drops the CONNACK return code (it reports a protocol error), so
 * the contract's reason-code check runs on MQTT 5 only; 3.1.1 refusals have their own test.
 */
export function refusingFor(
  protocol: '5' | '3.1.1',
  endpoint: ContractEndpoint,
): Pick<ContractEnvironment, 'refusing'> {
  return protocol === '5' ? { refusing: { ...endpoint, expect: { '5': [0x87], '3.1.1': [5] } } } : {};
}
