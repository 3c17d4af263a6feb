import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { findMosquitto, type MosquittoTarget, startMosquittoTarget } from '../targets/mosquitto.js';
import { mqttjsTransport } from './mqttjs.js';
import { type ContractEnvironment, describeTransportContract } from './transport.contract.js';

const mosquittoMissing = (() => {
  try {
    findMosquitto();
    return false;
  } catch {
    return 'mosquitto is not installed (apt-get install -y mosquitto)';
  }
})();

/** One open Mosquitto and one that refuses every client (allow_anonymous false). */
async function mosquittoEnvironment(scheme: 'mqtt' | 'ws'): Promise<ContractEnvironment> {
  const started: MosquittoTarget[] = [];
  const close = async () => {
    await Promise.all(started.map((s) => s.close()));
  };
  try {
    const open = await startMosquittoTarget({ websockets: scheme === 'ws' });
    started.push(open);
    const closed = await startMosquittoTarget({ websockets: scheme === 'ws', allowAnonymous: false });
    started.push(closed);
    const url = (m: MosquittoTarget): string => {
      const u = scheme === 'ws' ? m.urls.ws : m.urls.mqtt;
      if (u === undefined) throw new Error('this mosquitto has no websockets listener');
      return u;
    };
    return {
      transport: mqttjsTransport,
      target: { url: url(open) },
      refusing: { url: url(closed), expect: { '5': [0x87, 0x86], '3.1.1': [5, 4] } },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

describeTransportContract('mqttjs over mqtt://, Mosquitto', {
  skip: mosquittoMissing,
  // Mosquitto 2.0 closes a taken-over connection without DISCONNECT 0x8E.
  without: ['takeover-reason'],
  start: () => mosquittoEnvironment('mqtt'),
});

describeTransportContract('mqttjs over ws://, Mosquitto', {
  skip: mosquittoMissing,
  protocols: ['5'],
  without: ['takeover-reason'],
  start: () => mosquittoEnvironment('ws'),
});

test('a URL with an unknown scheme is a TransportError saying which schemes work', async () => {
  await assert.rejects(
    mqttjsTransport.connect({
      url: 'http://127.0.0.1:1883',
      clientId: 'x',
      protocol: '5',
      clean: true,
      keepalive: 10,
      connectTimeoutMs: 1000,
    }),
    /unsupported URL scheme "http:".*/,
  );
});

test('an unresolvable host is a TransportError that points at the host', async () => {
  await assert.rejects(
    mqttjsTransport.connect({
      url: 'mqtt://no-such-host.invalid:1883',
      clientId: 'x',
      protocol: '5',
      clean: true,
      keepalive: 10,
      connectTimeoutMs: 3000,
    }),
    (err: unknown) => {
      assert.equal((err as { code?: string }).code, 'E_TRANSPORT');
      assert.match((err as Error).message, /no-such-host\.invalid/);
      assert.match((err as { hint?: string }).hint ?? '', /host/);
      return true;
    },
  );
});

test('a password in the URL never appears in an error message', async () => {
  await assert.rejects(
    mqttjsTransport.connect({
      url: 'mqtt://user:hunter2@127.0.0.1:1',
      clientId: 'x',
      protocol: '5',
      clean: true,
      keepalive: 10,
      connectTimeoutMs: 2000,
    }),
    (err: unknown) => {
      assert.doesNotMatch(String((err as Error).message), /hunter2/);
      assert.match(String((err as Error).message), /user:\*\*\*@127\.0\.0\.1:1/);
      return true;
    },
  );
});

/** The embedded broker with every listener, and an authorizer that refuses the user "refused". */
async function embeddedEnvironment(
  profile: 'aws-iot' | 'mosquitto',
  scheme: 'mqtt' | 'mqtts' | 'ws' | 'wss',
): Promise<ContractEnvironment> {
  const { startBroker } = await import('../../broker/index.js');
  const { ensureCertificates } = await import('../certs.js');
  const tlsScheme = scheme === 'mqtts' || scheme === 'wss';
  const certs = tlsScheme ? await ensureCertificates(join(tmpdir(), 'mqscen-test-certs')) : undefined;
  const serverTls = certs === undefined ? undefined : { cert: certs.serverCert, key: certs.serverKey };
  const broker = await startBroker({
    profile,
    listeners: {
      ...(scheme === 'mqtt' ? { mqtt: {} } : {}),
      ...(scheme === 'ws' ? { ws: {} } : {}),
      ...(scheme === 'mqtts' && serverTls ? { mqtts: serverTls } : {}),
      ...(scheme === 'wss' && serverTls ? { wss: serverTls } : {}),
    },
    authorize: { connect: (client) => client.username !== 'refused' },
  });
  const url = broker.urls[scheme];
  if (url === undefined) {
    await broker.close();
    throw new Error(`the broker opened no ${scheme} listener`);
  }
  const tls = certs === undefined ? undefined : { ca: certs.caCert };
  const target = tls === undefined ? { url } : { url, tls };
  return {
    transport: mqttjsTransport,
    target,
    refusing: { ...target, username: 'refused', expect: { '5': [0x87], '3.1.1': [5] } },
    close: () => broker.close(),
  };
}

for (const scheme of ['mqtt', 'mqtts', 'ws', 'wss'] as const) {
  describeTransportContract(`mqttjs over ${scheme}://, embedded broker (mosquitto profile)`, {
    // As Mosquitto 2.0: a taken-over connection is closed without DISCONNECT 0x8E.
    without: ['takeover-reason'],
    start: () => embeddedEnvironment('mosquitto', scheme),
  });
}

describeTransportContract('mqttjs over mqtt://, embedded broker (aws-iot profile)', {
  // AWS IoT refuses QoS 2 (rule Q-2).
  without: ['qos2'],
  start: () => embeddedEnvironment('aws-iot', 'mqtt'),
});

test('a server certificate from an unknown CA is a TransportError with a TLS hint', async (t) => {
  const { startBroker } = await import('../../broker/index.js');
  const { ensureCertificates } = await import('../certs.js');
  const certs = await ensureCertificates(join(tmpdir(), 'mqscen-test-certs'));
  const broker = await startBroker({
    listeners: { mqtts: { cert: certs.serverCert, key: certs.serverKey } },
  });
  t.after(() => broker.close());
  await assert.rejects(
    mqttjsTransport.connect({
      url: broker.urls.mqtts ?? '',
      clientId: 'tls-no-ca',
      protocol: '5',
      clean: true,
      keepalive: 10,
      connectTimeoutMs: 3000,
    }),
    (err: unknown) => {
      assert.equal((err as { code?: string }).code, 'E_TRANSPORT');
      assert.match((err as Error).message, /the broker certificate is not signed by a trusted CA/);
      assert.match((err as { hint?: string }).hint ?? '', /set ca: to the CA file/);
      return true;
    },
  );
});

test('closing the broker reports lost with its DISCONNECT reason code (MQTT 5)', async (t) => {
  const { startBroker } = await import('../../broker/index.js');
  const broker = await startBroker({});
  t.after(() => broker.close());
  const session = await mqttjsTransport.connect({
    url: broker.urls.mqtt ?? '',
    clientId: 'lost-on-close',
    protocol: '5',
    clean: true,
    keepalive: 10,
    connectTimeoutMs: 3000,
  });
  t.after(() => session.disconnect({ how: 'abrupt' }));
  const lost = new Promise<{ reasonCode?: number; message: string }>((resolve) =>
    session.on('lost', resolve),
  );
  await broker.close();
  const loss = await Promise.race([
    lost,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no lost event within 5 s')), 5000)),
  ]);
  assert.equal(loss.reasonCode, 0x8b, 'Server shutting down');
  assert.match(loss.message, /0x8b Server shutting down/);
});

test('mTLS: a client certificate from the CA connects (SNI localhost); none is refused with a TLS error', async (t) => {
  const { startBroker } = await import('../../broker/index.js');
  const { ensureCertificates, issueClientCertificate } = await import('../certs.js');
  const certs = await ensureCertificates(join(tmpdir(), 'mqscen-test-certs'));
  const device = await issueClientCertificate(certs, { commonName: 'contract-device', write: false });
  const broker = await startBroker({
    listeners: {
      mqtts: { cert: certs.serverCert, key: certs.serverKey, ca: certs.caCert, requireClientCert: true },
    },
  });
  t.after(() => broker.close());
  const base = {
    url: broker.urls.mqtts ?? '',
    protocol: '5' as const,
    clean: true,
    keepalive: 10,
    connectTimeoutMs: 3000,
  };
  const session = await mqttjsTransport.connect({
    ...base,
    clientId: 'mtls-ok',
    tls: { ca: certs.caCert, cert: device.cert, key: device.key, servername: 'localhost', alpn: ['mqtt'] },
  });
  t.after(() => session.disconnect({ how: 'abrupt' }));
  assert.equal(session.connack.reasonCode, 0);
  const started = Date.now();
  await assert.rejects(
    mqttjsTransport.connect({ ...base, clientId: 'mtls-none', tls: { ca: certs.caCert } }),
    (err: unknown) => {
      assert.equal((err as { code?: string }).code, 'E_TRANSPORT');
      assert.match((err as Error).message, /mqtts:\/\/127\.0\.0\.1:\d+/);
      assert.match((err as Error).message, /requires a client certificate/);
      assert.doesNotMatch((err as Error).message, /SSL routines/);
      return true;
    },
  );
  assert.ok(Date.now() - started < 3500, 'refused within the connect bound');
  await assert.rejects(
    mqttjsTransport.connect({
      ...base,
      clientId: 'mtls-mismatch',
      tls: { ca: certs.caCert, cert: device.cert, key: certs.serverKey },
    }),
    /the private key does not belong to the client certificate/,
  );
});

test('mqtts:// to a plain MQTT port says the port does not speak TLS', async (t) => {
  const { startBroker } = await import('../../broker/index.js');
  const broker = await startBroker({});
  t.after(() => broker.close());
  await assert.rejects(
    mqttjsTransport.connect({
      url: (broker.urls.mqtt ?? '').replace('mqtt://', 'mqtts://'),
      clientId: 'tls-to-plain',
      protocol: '5',
      clean: true,
      keepalive: 10,
      connectTimeoutMs: 3000,
    }),
    (err: unknown) => {
      assert.match(
        `${(err as Error).message} ${(err as { hint?: string }).hint}`,
        /does not speak TLS|mqtt vs mqtts/,
      );
      return true;
    },
  );
});

test('a listener that never sends CONNACK fails within connectTimeoutMs', async (t) => {
  const { createServer } = await import('node:net');
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((s) => sockets.add(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const started = Date.now();
  await assert.rejects(
    mqttjsTransport.connect({
      url: `mqtt://127.0.0.1:${port}`,
      clientId: 'silent',
      protocol: '5',
      clean: true,
      keepalive: 10,
      connectTimeoutMs: 700,
    }),
    /no CONNACK from mqtt:\/\/127\.0\.0\.1:\d+ within 700 ms/,
  );
  const took = Date.now() - started;
  assert.ok(took >= 650 && took < 2000, `took ${took} ms`);
});

test('PUBACK reason codes come back as results: 0x87 refused, 0x10 no subscribers, 0 delivered', async (t) => {
  const { startBroker } = await import('../../broker/index.js');
  const broker = await startBroker({
    authorize: { publish: (_c, topic) => !topic.startsWith('forbidden/') },
  });
  t.after(() => broker.close());
  const base = { url: broker.urls.mqtt ?? '', clean: true, keepalive: 10, connectTimeoutMs: 3000 };
  const pub = await mqttjsTransport.connect({ ...base, clientId: 'rc-pub', protocol: '5' });
  t.after(() => pub.disconnect({ how: 'abrupt' }));
  const sub = await mqttjsTransport.connect({ ...base, clientId: 'rc-sub', protocol: '5' });
  t.after(() => sub.disconnect({ how: 'abrupt' }));
  await sub.subscribe([{ filter: 'ok/#', qos: 2 }]);
  const msg = (topic: string, qos: 1 | 2) => ({ topic, payload: Buffer.from('x'), qos, retain: false });
  assert.deepEqual(await pub.publish(msg('forbidden/a', 1)), { reasonCode: 0x87 });
  assert.deepEqual(await pub.publish(msg('forbidden/a', 2)), { reasonCode: 0x87 });
  assert.deepEqual(await pub.publish(msg('ok/a', 1)), { reasonCode: 0 });
  assert.deepEqual(await pub.publish(msg('ok/a', 2)), { reasonCode: 0 });
  const nobody = await pub.publish(msg('nobody/listens', 1));
  // [MQTT-3.4.2.1] 0x10 is a success code the broker may use; 0 is also correct.
  assert.ok([0, 0x10].includes(nobody.reasonCode), `got ${nobody.reasonCode}`);
  // The session is still usable after a refused publish.
  assert.deepEqual(await pub.publish(msg('ok/b', 1)), { reasonCode: 0 });
});

test('a graceful disconnect with unacknowledged publishes is bounded and fails them', async (t) => {
  // A broker that accepts the connection and then never acknowledges anything.
  const { createServer } = await import('node:net');
  const mqttPacket = await import('mqtt-packet');
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    const parser = mqttPacket.parser({ protocolVersion: 5 });
    parser.on('packet', (packet) => {
      if (packet.cmd === 'connect') {
        socket.write(
          mqttPacket.generate(
            { cmd: 'connack', sessionPresent: false, reasonCode: 0, returnCode: 0 },
            { protocolVersion: 5 },
          ),
        );
      }
    });
    socket.on('data', (d) => parser.parse(d));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const session = await mqttjsTransport.connect({
    url: `mqtt://127.0.0.1:${port}`,
    clientId: 'never-acked',
    protocol: '5',
    clean: false,
    sessionExpiry: 60,
    keepalive: 0,
    connectTimeoutMs: 2000,
  });
  const pending = session.publish({ topic: 'a', payload: Buffer.from('x'), qos: 1, retain: false });
  const outcome = pending.then(
    () => 'resolved',
    (err: Error) => `rejected: ${err.message}`,
  );
  const started = Date.now();
  await session.disconnect({ how: 'graceful' });
  const took = Date.now() - started;
  assert.ok(took < 7000, `disconnect took ${took} ms`);
  const result = await Promise.race([
    outcome,
    new Promise((r) => setTimeout(() => r('still pending'), 2000)),
  ]);
  assert.match(String(result), /^rejected: .*connection/);
});

test('a server that answers in HTTP, not MQTT, is a TransportError saying so', async (t) => {
  const { createServer } = await import('node:http');
  const server = createServer((_req, res) => res.end('hello'));
  // Answer whatever arrives with an HTTP response, as a web server on the wrong port would.
  server.on('connection', (socket) => socket.write('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await assert.rejects(
    mqttjsTransport.connect({
      url: `mqtt://127.0.0.1:${port}`,
      clientId: 'http-peer',
      protocol: '5',
      clean: true,
      keepalive: 10,
      connectTimeoutMs: 3000,
    }),
    (err: Error & { hint?: string }) => {
      assert.match(err.message, /answered client "http-peer", but not in MQTT/);
      assert.match(err.hint ?? '', /port and scheme/);
      return true;
    },
  );
});

test('Subscription Identifiers: one SUBSCRIBE per identifier, copies name their subscriptions, the CONNACK flag is read [MQTT-3.3.4-3]', async (t) => {
  const { startBroker } = await import('../../broker/index.js');
  const brokers: Array<{ name: string; url: string; offered: boolean }> = [];
  for (const profile of ['mosquitto', 'aws-iot'] as const) {
    const broker = await startBroker({ profile });
    t.after(() => broker.close());
    brokers.push({
      name: `embedded:${profile}`,
      url: broker.urls.mqtt ?? '',
      offered: profile === 'mosquitto',
    });
  }
  if (!mosquittoMissing) {
    const target = await startMosquittoTarget({ websockets: false });
    t.after(() => target.close());
    brokers.push({ name: 'mosquitto', url: target.urls.mqtt, offered: true });
  }
  for (const b of brokers) {
    const base = { url: b.url, clean: true, keepalive: 10, connectTimeoutMs: 3000, protocol: '5' as const };
    const sub = await mqttjsTransport.connect({ ...base, clientId: `sid-sub-${process.pid}` });
    t.after(() => sub.disconnect({ how: 'abrupt' }));
    // The aws-iot profile says Subscription Identifiers Available = 0 (M5-2).
    assert.equal(sub.connack.subscriptionIdentifiersAvailable !== false, b.offered, b.name);
    if (!b.offered) continue;
    const granted = await sub.subscribe([
      { filter: 'sid/#', qos: 1, subscriptionIdentifier: 7 },
      { filter: 'sid/+', qos: 1, subscriptionIdentifier: 9 },
    ]);
    assert.deepEqual(granted.reasonCodes, [1, 1], b.name);
    const ids: number[] = [];
    const got = new Promise<void>((resolve) => {
      sub.on('message', (m) => {
        ids.push(...(m.subscriptionIdentifiers ?? []));
        if (ids.length >= 2) resolve();
      });
    });
    const pub = await mqttjsTransport.connect({ ...base, clientId: `sid-pub-${process.pid}` });
    t.after(() => pub.disconnect({ how: 'abrupt' }));
    await pub.publish({ topic: 'sid/a', payload: Buffer.from('x'), qos: 1, retain: false });
    await Promise.race([got, new Promise((r) => setTimeout(r, 3000))]);
    // One copy carrying both identifiers, or one copy per subscription [MQTT-3.3.4-4], [MQTT-3.3.4-5].
    assert.deepEqual(
      ids.sort((x, y) => x - y),
      [7, 9],
      b.name,
    );
    await sub.disconnect({ how: 'graceful' });
    await pub.disconnect({ how: 'graceful' });
  }
});
