/**
 * proxyTarget: clients are routed to their own proxy listener; TLS passes through byte for byte
 * with the broker's host name kept for SNI and the certificate check; packet faults are refused
 * where the bytes cannot be parsed.
 */
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createServer as createTlsServer, connect as tlsConnect } from 'node:tls';
import { ensureCertificates } from '../certs.js';
import type { StartedTarget } from '../targets/target.js';
import { client } from '../verdict/_fixtures.js';
import { startFaultProxy } from './fault-proxy.js';
import { proxyTarget } from './proxied-target.js';

function fakeTarget(url: string, ca?: string): StartedTarget {
  return {
    name: 'fake',
    kind: 'url',
    behaviour: 'generic',
    transport: 'mqttjs',
    url,
    connectionFor: () =>
      ca === undefined ? { url, transport: 'mqttjs' } : { url, transport: 'mqttjs', tls: { ca } },
    close: () => Promise.resolve(),
  };
}

test('TLS through the proxy: the client keeps the broker host name for SNI and the certificate check', async (t) => {
  const certs = await ensureCertificates(join(tmpdir(), 'mqscen-test-certs'));
  let sni: string | false | undefined;
  const open = new Set<{ destroy(): void }>();
  const server = createTlsServer({ cert: certs.serverCert, key: certs.serverKey }, (s) => {
    open.add(s);
    sni = (s as unknown as { servername?: string | false }).servername;
    s.on('data', (d) => s.write(d));
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(
    () =>
      new Promise<void>((r) => {
        for (const s of open) s.destroy();
        server.close(() => r());
      }),
  );
  const port = (server.address() as { port: number }).port;

  const proxy = await startFaultProxy();
  t.after(() => proxy.close());
  const sub = client('sub');
  const target = await proxyTarget(fakeTarget(`mqtts://localhost:${port}`, certs.caCert), proxy, [sub]);
  const conn = target.connectionFor(sub);
  const url = new URL(conn.url);
  assert.equal(url.hostname, '127.0.0.1');
  assert.equal(Number(url.port), proxy.client('sub')?.port);
  assert.equal(conn.tls?.servername, 'localhost');
  assert.equal(conn.tls?.ca, certs.caCert, 'the target TLS settings are kept');

  const socket = tlsConnect({
    host: url.hostname,
    port: Number(url.port),
    servername: conn.tls?.servername,
    ca: conn.tls?.ca,
  });
  t.after(() => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  assert.equal(socket.authorized, true);
  socket.write('hello over tls');
  const echoed = await new Promise<string>((resolve) => socket.once('data', (d) => resolve(d.toString())));
  assert.equal(echoed, 'hello over tls');
  assert.equal(sni, 'localhost');
});

test('only the chosen clients are proxied; packet faults need plaintext MQTT', async (t) => {
  const proxy = await startFaultProxy();
  t.after(() => proxy.close());
  const a = client('a');
  const b = client('b');
  const target = await proxyTarget(fakeTarget('mqtt://127.0.0.1:1883'), proxy, [a, b], {
    only: ['a'],
    packets: true,
  });
  assert.notEqual(target.connectionFor(a).url, 'mqtt://127.0.0.1:1883');
  assert.equal(target.connectionFor(b).url, 'mqtt://127.0.0.1:1883');
  assert.equal(proxy.client('a')?.packets, true);
  await assert.rejects(
    proxyTarget(fakeTarget('wss://example.com/mqtt'), proxy, [client('c')], { packets: true }),
    /packet faults need a plaintext mqtt:\/\/ connection; client "c" uses wss:/,
  );
});

test("the wrapped target keeps the target's own hooks; a cut by the proxy is a staged loss", async (t) => {
  const proxy = await startFaultProxy();
  t.after(() => proxy.close());
  const calls: string[] = [];
  const base: StartedTarget = {
    ...fakeTarget('mqtt://127.0.0.1:1883'),
    insecure: ['nothing verified'],
    stats: () => ({ queued: 1 }),
    usePolicy: async (file) => {
      calls.push(`policy ${file}`);
    },
    policyRefusals: () => [],
  };
  const a = client('a');
  const target = await proxyTarget(base, proxy, [a], { packets: true });
  assert.deepEqual(target.stats?.(), { queued: 1 });
  await target.usePolicy?.('p.json');
  assert.deepEqual(calls, ['policy p.json']);
  assert.deepEqual(target.policyRefusals?.(0), []);
  assert.deepEqual(target.insecure, ['nothing verified']);
  assert.equal(target.causedLoss?.('a'), false);
  proxy.addRule({ kind: 'cut-after-ack', client: 'a', match: {} });
  assert.equal(target.causedLoss?.('a'), false, 'a rule that has not acted yet cut nothing');
  proxy.partition(['a']);
  assert.equal(target.causedLoss?.('a'), true);
});
