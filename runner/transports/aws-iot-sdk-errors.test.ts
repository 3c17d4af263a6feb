/**
 * Bad input for the AWS IoT Device SDK v2 transport: each case is a TransportError (exit 3) within
 * the connect bound, naming the file or setting and how to fix it, with no secret in the message.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BrokerHandle } from '../../broker/index.js';
import { expectRefused } from '../../test/expect-refused.js';
import { type CertificateSet, createForeignCa, issueClientCertificate } from '../certs.js';
import {
  AKID,
  REGION,
  SECRET,
  startSecureBroker,
  TEMP_AKID,
  TOKEN,
  testCertificates,
  urlOf,
} from './_aws-test-broker.js';
import { awsIotSdkTransport } from './aws-iot-sdk/index.js';
import type { ConnectOptions } from './transport.js';

describe('aws-iot-sdk: bad input is a TransportError naming the setting, without secrets', () => {
  let broker: BrokerHandle | undefined;
  let set: CertificateSet;
  before(async () => {
    set = await testCertificates();
    broker = await startSecureBroker();
  });
  after(async () => {
    await broker?.close();
  });

  const base = (protocol: '5' | '3.1.1', more: Partial<ConnectOptions>): ConnectOptions => ({
    url: urlOf(broker as BrokerHandle, 'mqtts'),
    clientId: `bad-input-${Math.random().toString(16).slice(2, 8)}`,
    protocol,
    clean: true,
    keepalive: 30,
    connectTimeoutMs: 4000,
    ...more,
  });

  /** Asserts a TransportError (exit 3) whose message + hint match, within the connect bound. */
  const refused = (options: ConnectOptions, message: RegExp, hint?: RegExp) =>
    expectRefused(awsIotSdkTransport, options, {
      message,
      hint,
      secrets: [SECRET, TOKEN, options.tls?.key ?? '\u0000'],
    });

  for (const protocol of ['5', '3.1.1'] as const) {
    test(`MQTT ${protocol}: missing certificate or key, unparsable files, key of another certificate`, async () => {
      const device = await issueClientCertificate(set, { commonName: 'bad-1', write: false });
      const other = await issueClientCertificate(set, { commonName: 'bad-2', write: false });
      await refused(
        base(protocol, { tls: { ca: set.caCert, key: device.key } }),
        /needs a client certificate \(cert:\)/,
        /cert: and key:/,
      );
      await refused(
        base(protocol, { tls: { ca: set.caCert, cert: device.cert } }),
        /needs a private key \(key:\)/,
      );
      await refused(
        base(protocol, {
          tls: { ca: set.caCert, cert: 'garbage', key: device.key },
          extra: { certPath: 'certs/dev.pem.crt' },
        }),
        /certs\/dev\.pem\.crt is not a PEM certificate/,
      );
      await refused(
        base(protocol, {
          tls: { ca: set.caCert, cert: device.cert, key: 'garbage' },
          extra: { keyPath: 'certs/dev.key' },
        }),
        /certs\/dev\.key is not a PEM private key/,
      );
      await refused(
        base(protocol, {
          tls: { ca: set.caCert, cert: device.cert, key: other.key },
          extra: { certPath: 'dev.crt', keyPath: 'other.key' },
        }),
        /other\.key does not belong to dev\.crt/,
      );
      await refused(
        base(protocol, { tls: { ca: 'not a ca', cert: device.cert, key: device.key } }),
        /CA certificate \(ca:\) is not a PEM/,
      );
    });

    test(`MQTT ${protocol}: expired certificate, wrong CA, certificate of a foreign CA`, async () => {
      const expired = await issueClientCertificate(set, {
        commonName: 'expired',
        notBefore: new Date(Date.now() - 3 * 86400_000),
        notAfter: new Date(Date.now() - 86400_000),
        write: false,
      });
      await refused(
        base(protocol, {
          tls: { ca: set.caCert, cert: expired.cert, key: expired.key },
          extra: { certPath: 'expired.crt' },
        }),
        /expired\.crt expired on/,
        /issue a new device certificate/,
      );
      const foreign = await createForeignCa();
      const device = await issueClientCertificate(set, { commonName: 'good', write: false });
      // The broker certificate does not chain to this CA: the SDK's TLS check fails.
      await refused(
        base(protocol, {
          tls: { ca: foreign.caCert, cert: device.cert, key: device.key },
          extra: { caPath: 'other-ca.pem' },
        }),
        /certificate does not verify against other-ca\.pem/,
        /point ca: at the CA/,
      );
      // The broker refuses a device certificate it did not issue (mTLS, A-3).
      const intruder = await foreign.issueClientCertificate({ commonName: 'intruder' });
      await refused(
        base(protocol, {
          tls: { ca: set.caCert, cert: intruder.cert, key: intruder.key },
          extra: { certPath: 'intruder.crt' },
        }),
        /refused intruder\.crt during the TLS handshake/,
        /registered and ACTIVE/,
      );
    });

    test(`MQTT ${protocol}: SigV4 wrong region, unknown key, missing token, missing region are refused`, async () => {
      const wss = urlOf(broker as BrokerHandle, 'wss');
      const sig = (extra: Record<string, unknown>) =>
        base(protocol, { url: wss, tls: { ca: set.caCert }, extra });
      await refused(
        sig({ region: 'us-east-1', credentials: { accessKeyId: AKID, secretAccessKey: SECRET } }),
        /refused the SigV4-signed WebSocket upgrade \(HTTP 403: wrong region "us-east-1"/,
        /check region \(now "us-east-1"\)/,
      );
      await refused(
        sig({ region: REGION, credentials: { accessKeyId: 'AKIDUNKNOWN', secretAccessKey: SECRET } }),
        /HTTP 403: unknown access key id "AKIDUNKNOWN"/,
      );
      // Temporary key without its session token.
      await refused(
        sig({ region: REGION, credentials: { accessKeyId: TEMP_AKID, secretAccessKey: SECRET } }),
        /HTTP 403: access key id "ASIAMQSCENTEMP0001" is temporary and needs X-Amz-Security-Token/,
      );
      // A wrong secret: the signature does not match.
      await refused(
        sig({ region: REGION, credentials: { accessKeyId: AKID, secretAccessKey: 'not-the-secret' } }),
        /HTTP 403: signature does not match/,
      );
      const saved = { r: process.env.AWS_REGION, d: process.env.AWS_DEFAULT_REGION };
      delete process.env.AWS_REGION;
      delete process.env.AWS_DEFAULT_REGION;
      try {
        await refused(
          sig({ credentials: { accessKeyId: AKID, secretAccessKey: SECRET } }),
          /no AWS region/,
          /AWS_REGION/,
        );
      } finally {
        if (saved.r !== undefined) process.env.AWS_REGION = saved.r;
        if (saved.d !== undefined) process.env.AWS_DEFAULT_REGION = saved.d;
      }
      await refused(
        sig({ region: REGION, credentials: { accessKeyId: AKID } }),
        /invalid "credentials" setting/,
      );
    });
  }

  for (const protocol of ['5', '3.1.1'] as const) {
    test(`MQTT ${protocol}: an unknown host and a closed port name the endpoint and the fix`, async () => {
      const device = await issueClientCertificate(set, { commonName: 'nowhere', write: false });
      const tls = { ca: set.caCert, cert: device.cert, key: device.key };
      await refused(
        base(protocol, { url: 'mqtts://mqscen-no-such-host.invalid:8883', tls }),
        /host name "mqscen-no-such-host\.invalid" does not resolve/,
        /endpoint host/,
      );
      const closedPort = new URL(urlOf(broker as BrokerHandle, 'mqtts'));
      closedPort.port = '1';
      await refused(
        base(protocol, { url: closedPort.toString(), tls }),
        /connection refused/,
        /is the broker running/,
      );
    });
  }

  test('rejectUnauthorized false skips the endpoint certificate check (and only that)', async () => {
    const foreign = await createForeignCa();
    const device = await issueClientCertificate(set, { commonName: 'noverify', write: false });
    for (const protocol of ['5', '3.1.1'] as const) {
      const session = await awsIotSdkTransport.connect(
        base(protocol, {
          tls: { ca: foreign.caCert, cert: device.cert, key: device.key, rejectUnauthorized: false },
        }),
      );
      assert.equal(session.connack.reasonCode, 0);
      await session.disconnect({ how: 'graceful' });
    }
  });

  test('SigV4 with a session token: accepted, and the token never appears in errors', async () => {
    const options = base('5', {
      url: urlOf(broker as BrokerHandle, 'wss'),
      tls: { ca: set.caCert },
      extra: {
        region: REGION,
        credentials: { accessKeyId: TEMP_AKID, secretAccessKey: SECRET, sessionToken: TOKEN },
      },
    });
    const session = await awsIotSdkTransport.connect(options);
    assert.equal(session.connack.reasonCode, 0);
    await session.disconnect({ how: 'graceful' });
    // After disconnect every operation is a clear error.
    await assert.rejects(
      session.publish({ topic: 'a', payload: new Uint8Array(), qos: 0, retain: false }),
      /connection is closed/,
    );
  });

  test('MQTT 3.1.1: a refused connect is a TransportError that says so (the SDK drops the return code)', async (t) => {
    const closed = await startSecureBroker(true);
    t.after(() => closed.close());
    const device = await issueClientCertificate(set, { commonName: 'refused-311', write: false });
    await refused(
      base('3.1.1', {
        url: urlOf(closed, 'mqtts'),
        tls: { ca: set.caCert, cert: device.cert, key: device.key },
      }),
      /refused or dropped the connection/,
      /protocol: "5" shows the reason code/,
    );
  });

  test('a plaintext URL or a SigV4 setting on mqtts:// is refused with the fix', async () => {
    await refused(base('5', { url: 'mqtt://127.0.0.1:1883' }), /speaks only TLS/, /mqtts:\/\//);
    await refused(base('5', { extra: { auth: 'sigv4' } }), /SigV4 needs a wss:\/\/ URL/);
    await refused(base('5', { extra: { auth: 'password' } }), /invalid "auth" setting/);
  });

  test('MQTT 5 client refuses QoS 2 with a message that names the alternative', async () => {
    const device = await issueClientCertificate(set, { commonName: 'qos2', write: false });
    const session = await awsIotSdkTransport.connect(
      base('5', { tls: { ca: set.caCert, cert: device.cert, key: device.key } }),
    );
    try {
      await assert.rejects(
        session.publish({ topic: 'q/2', payload: new Uint8Array([1]), qos: 2, retain: false }),
        /no QoS 2/,
      );
    } finally {
      await session.disconnect({ how: 'graceful' });
    }
  });
});
