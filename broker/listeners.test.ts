/**
 * Listeners (mqtts, mTLS, ws, wss with verifyUpgrade) and the authorization hook.
 */
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { IClientOptions } from 'mqtt';
import { WebSocket } from 'ws';
import { createForeignCa, ensureCertificates, issueClientCertificate } from '../runner/certs.js';
import { connect, connectForAck, inbox, startTestBroker, withTimeout } from './_test-helpers.js';
import type { ClientIdentity } from './index.js';

const certs = ensureCertificates(join(tmpdir(), 'mqscen-broker-test-certs'));

async function roundTrip(t: Parameters<typeof connect>[0], url: string, options: IClientOptions) {
  const sub = await connect(t, url, { clientId: 'rt-sub', ...options });
  await sub.subscribeAsync('rt', { qos: 1 });
  const pub = await connect(t, url, { clientId: 'rt-pub', ...options });
  await pub.publishAsync('rt', 'over the wire', { qos: 1 });
  assert.equal((await inbox(sub).next()).payload.toString(), 'over the wire');
}

for (const protocolVersion of [4, 5] as const) {
  test(`ws and wss round trips on /mqtt (v${protocolVersion})`, async (t) => {
    const set = await certs;
    const broker = await startTestBroker(t, {
      listeners: { ws: {}, wss: { cert: set.serverCert, key: set.serverKey } },
    });
    assert.match(broker.urls.ws as string, /^ws:\/\/127\.0\.0\.1:\d+\/mqtt$/);
    await roundTrip(t, broker.urls.ws as string, { protocolVersion });
    await roundTrip(t, broker.urls.wss as string, {
      protocolVersion,
      ca: set.caCert,
      rejectUnauthorized: true,
    });
  });
}

test('mqtts round trip with the local CA', async (t) => {
  const set = await certs;
  const broker = await startTestBroker(t, {
    listeners: { mqtts: { cert: set.serverCert, key: set.serverKey } },
  });
  assert.equal(broker.urls.mqtt, undefined);
  await roundTrip(t, broker.urls.mqtts as string, { ca: set.caCert, rejectUnauthorized: true });
});

test('mTLS: a device certificate from the CA connects (CN reaches the authorizer); none or a foreign one is refused', async (t) => {
  const set = await certs;
  const device = await issueClientCertificate(set, { commonName: 'thing-1', write: false });
  const foreign = await (await createForeignCa()).issueClientCertificate({ commonName: 'intruder' });
  const seen: ClientIdentity[] = [];
  const broker = await startTestBroker(t, {
    listeners: {
      mqtts: { cert: set.serverCert, key: set.serverKey, ca: set.caCert, requireClientCert: true },
    },
    authorize: {
      connect(client) {
        seen.push(client);
        return true;
      },
    },
  });
  const url = broker.urls.mqtts as string;
  const base = { ca: set.caCert, rejectUnauthorized: true };
  await connect(t, url, { clientId: 'thing-1', ...base, cert: device.cert, key: device.key });
  assert.equal(seen[0]?.certificateCN, 'thing-1');
  assert.equal(seen[0]?.listener, 'mqtts');
  const none = await connectForAck(t, url, { clientId: 'anon', ...base }, 2000);
  assert.ok(none.error, 'no client certificate must fail');
  const intruder = await connectForAck(
    t,
    url,
    { clientId: 'intruder', ...base, cert: foreign.cert, key: foreign.key },
    2000,
  );
  assert.ok(intruder.error, 'a certificate from another CA must fail');
  assert.equal(seen.length, 1);
});

test('wss verifyUpgrade: refusal answers the HTTP status; the principal reaches the authorizer', async (t) => {
  const set = await certs;
  const principals: Array<string | undefined> = [];
  const broker = await startTestBroker(t, {
    listeners: {
      wss: {
        cert: set.serverCert,
        key: set.serverKey,
        verifyUpgrade: (req) =>
          req.url?.includes('token=good')
            ? { ok: true, principal: 'role/tester' }
            : { ok: false, status: 403, message: 'signature does not match' },
      },
    },
    authorize: {
      connect(client) {
        principals.push(client.principal);
        return true;
      },
    },
  });
  const base = broker.urls.wss as string;
  const tls = { ca: set.caCert, rejectUnauthorized: true };
  await connect(t, `${base}?token=good`, { clientId: 'signed', ...tls });
  assert.deepEqual(principals, ['role/tester']);
  const refused = await connectForAck(t, `${base}?token=bad`, { clientId: 'unsigned', ...tls }, 2000);
  assert.ok(refused.error);
  // The HTTP status itself, seen by a plain WebSocket client.
  const status = await withTimeout(
    new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${base}?token=bad`, 'mqtt', { ca: set.caCert });
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.on('open', () => reject(new Error('upgrade accepted')));
      ws.on('error', () => undefined);
    }),
    2000,
    'upgrade response',
  );
  assert.equal(status, 403);
});

for (const protocolVersion of [4, 5] as const) {
  test(`authorizer refusals (v${protocolVersion}): connect, subscribe, publish, receive`, async (t) => {
    const broker = await startTestBroker(t, {
      authorize: {
        connect: (client) => client.clientId !== 'banned',
        subscribe: (_client, filter) => !filter.startsWith('secret/'),
        publish: (_client, topic) => topic !== 'forbidden',
        receive: (client, topic) => !(client.clientId === 'deaf' && topic === 'open/loud'),
      },
    });
    const url = broker.urls.mqtt as string;
    const banned = await connectForAck(t, url, { clientId: 'banned', protocolVersion });
    assert.ok(banned.error);
    // 3.1.1 return code 5, MQTT 5 reason 0x87 Not authorized.
    if (protocolVersion === 5) assert.equal(banned.connack?.['reasonCode'], 0x87);
    else assert.equal(banned.connack?.['returnCode'], 5);

    const client = await connect(t, url, { clientId: 'deaf', protocolVersion });
    const subacks: number[][] = [];
    client.on('packetreceive', (p) => {
      if (p.cmd === 'suback') subacks.push(p.granted as number[]);
    });
    await client.subscribeAsync({ 'open/#': { qos: 1 }, 'secret/x': { qos: 1 } }).catch(() => undefined);
    assert.deepEqual(subacks[0], [1, protocolVersion === 5 ? 0x87 : 0x80]);

    const pubacks: number[] = [];
    client.on('packetreceive', (p) => {
      if (p.cmd === 'puback') pubacks.push((p as { reasonCode?: number }).reasonCode ?? 0);
    });
    await client.publishAsync('forbidden', 'x', { qos: 1 }).catch(() => undefined);
    if (protocolVersion === 5) assert.equal(pubacks[0], 0x87);

    await client.publishAsync('open/loud', 'not for me', { qos: 1 });
    await client.publishAsync('open/quiet', 'for me', { qos: 1 });
    const msg = await inbox(client).next();
    assert.equal(msg.topic, 'open/quiet');
    assert.equal(broker.stats().clients['deaf']?.dropped['not-authorized'], 1);
  });
}
