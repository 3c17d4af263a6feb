/**
 * Byte faults (toxics) of the fault proxy: each does what it says, on the embedded broker, a real
 * Mosquitto, or (for exact byte counts) a TCP echo server. Time is only ever checked as a lower
 * bound (a delay cannot come early), never as a speed.
 *
 * Glossary: `echo(t)` a TCP echo upstream; `raw(port)` a plain socket that collects what it
 * reads; `mqttPing(port)` CONNECT then PINGREQ over a raw socket, resolving with when the
 * CONNACK and PINGRESP came.
 */
import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { type TestContext, test } from 'node:test';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { startBroker } from '../../broker/index.js';
import { findMosquitto, startMosquittoTarget } from '../targets/mosquitto.js';
import type { FaultEvent } from './fault.js';
import { startFaultProxy } from './fault-proxy.js';

const mosquittoSkip = (() => {
  try {
    findMosquitto();
    return false;
  } catch {
    return 'mosquitto is not installed';
  }
})();

async function embedded(t: TestContext): Promise<{ host: string; port: number }> {
  const b = await startBroker({ profile: 'mosquitto' });
  t.after(() => b.close());
  const u = new URL(b.urls.mqtt as string);
  return { host: u.hostname, port: Number(u.port) };
}

async function echo(t: TestContext): Promise<{ host: string; port: number }> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  const a = server.address();
  return { host: '127.0.0.1', port: typeof a === 'object' && a !== null ? a.port : 0 };
}

interface Raw {
  socket: Socket;
  chunks: Buffer[];
  bytes(): number;
  closed: Promise<{ error?: string }>;
}

function raw(t: TestContext, port: number): Raw {
  const socket = connect({ host: '127.0.0.1', port });
  const chunks: Buffer[] = [];
  let error: string | undefined;
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', (e: NodeJS.ErrnoException) => {
    error = e.code ?? e.message;
  });
  const closed = new Promise<{ error?: string }>((resolve) =>
    socket.on('close', () => resolve(error === undefined ? {} : { error })),
  );
  t.after(() => socket.destroy());
  return { socket, chunks, bytes: () => chunks.reduce((n, c) => n + c.length, 0), closed };
}

async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** CONNECT, then one PINGREQ; resolves with when CONNACK and PINGRESP arrived (ms after the CONNECT). */
function mqttPing(t: TestContext, port: number, id: string) {
  const r = raw(t, port);
  const parser = mqttPacket.parser({});
  const seen: Array<{ cmd: string; at: number }> = [];
  const start = performance.now();
  parser.on('packet', (p) => {
    seen.push({ cmd: p.cmd, at: performance.now() - start });
    if (p.cmd === 'connack') r.socket.write(mqttPacket.generate({ cmd: 'pingreq' }));
  });
  r.socket.on('data', (c: Buffer) => parser.parse(c));
  r.socket.write(
    mqttPacket.generate({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      keepalive: 30,
      clientId: `${id}-${process.pid}`,
    }),
  );
  return { raw: r, seen, at: (cmd: string) => seen.find((s) => s.cmd === cmd)?.at };
}

test('transparent: MQTT traffic passes unchanged (embedded broker)', async (t) => {
  const proxy = await startFaultProxy();
  t.after(() => proxy.close());
  const c = await proxy.addClient('a', { upstream: await embedded(t) });
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${c.port}`, {
    reconnectPeriod: 0,
    protocolVersion: 5,
  });
  t.after(() => client.end(true));
  const got: string[] = [];
  client.on('message', (_t, p) => got.push(p.toString()));
  await client.subscribeAsync('x/#', { qos: 1 });
  for (let i = 0; i < 50; i++) await client.publishAsync('x/y', `m${i}`, { qos: 1 });
  await until('50 messages', () => got.length === 50);
  assert.deepEqual(
    got,
    Array.from({ length: 50 }, (_, i) => `m${i}`),
  );
  assert.equal(proxy.client('a')?.connections, 1);
});

test('transparent: MQTT traffic passes unchanged (Mosquitto)', { skip: mosquittoSkip }, async (t) => {
  const m = await startMosquittoTarget({ websockets: false });
  t.after(() => m.close());
  const u = new URL(m.urls.mqtt);
  const proxy = await startFaultProxy();
  t.after(() => proxy.close());
  const c = await proxy.addClient('a', { upstream: { host: u.hostname, port: Number(u.port) } });
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${c.port}`, {
    reconnectPeriod: 0,
    protocolVersion: 4,
  });
  t.after(() => client.end(true));
  const got: string[] = [];
  client.on('message', (_t, p) => got.push(p.toString()));
  await client.subscribeAsync('x/#', { qos: 1 });
  await Promise.all(Array.from({ length: 50 }, (_, i) => client.publishAsync('x/y', `m${i}`, { qos: 1 })));
  await until('50 messages', () => got.length === 50);
  assert.equal(new Set(got).size, 50);
});

test('latency: downstream packets arrive at least latencyMs late, also on a later connection', async (t) => {
  const proxy = await startFaultProxy({ seed: 7 });
  t.after(() => proxy.close());
  const c = await proxy.addClient('a', { upstream: await embedded(t) });
  proxy.addFault({ kind: 'latency', latencyMs: 150, jitterMs: 20, stream: 'downstream', clients: ['a'] });
  for (const id of ['lat1', 'lat2']) {
    const p = mqttPing(t, c.port, id);
    await until('PINGRESP', () => p.at('pingresp') !== undefined);
    assert.ok((p.at('connack') as number) >= 125, `CONNACK after ${p.at('connack')} ms`);
    assert.ok((p.at('pingresp') as number) >= 250, `PINGRESP after ${p.at('pingresp')} ms`);
    p.raw.socket.destroy();
  }
});

test('bandwidth: 30 KB at 100 KB/s take at least ~0.3 s; bytes and order kept', async (t) => {
  const proxy = await startFaultProxy();
  t.after(() => proxy.close());
  const c = await proxy.addClient('e', { upstream: await echo(t) });
  proxy.addFault({ kind: 'bandwidth', rateKBps: 100, stream: 'downstream' });
  const r = raw(t, c.port);
  const data = Buffer.from(Array.from({ length: 30_000 }, (_, i) => i % 251));
  const start = performance.now();
  for (let i = 0; i < 30; i++) r.socket.write(data.subarray(i * 1000, (i + 1) * 1000));
  await until('30 KB back', () => r.bytes() === 30_000);
  assert.ok(performance.now() - start >= 280, `took ${performance.now() - start} ms`);
  assert.ok(Buffer.concat(r.chunks).equals(data));
});

test('slicer: one write arrives in many small pieces, bytes unchanged', async (t) => {
  const proxy = await startFaultProxy({ seed: 3 });
  t.after(() => proxy.close());
  const c = await proxy.addClient('e', { upstream: await echo(t) });
  proxy.addFault({ kind: 'slicer', averageSize: 10, sizeVariation: 5, delayUs: 2000, stream: 'downstream' });
  const r = raw(t, c.port);
  const data = Buffer.alloc(400, 'abcdefgh');
  r.socket.write(data);
  await until('400 bytes back', () => r.bytes() === 400);
  assert.ok(r.chunks.length >= 10, `${r.chunks.length} pieces`);
  assert.ok(Buffer.concat(r.chunks).equals(data));
});

test('limit-data: the connection closes after exactly N bytes', async (t) => {
  const proxy = await startFaultProxy();
  t.after(() => proxy.close());
  const c = await proxy.addClient('e', { upstream: await echo(t) });
  proxy.addFault({ kind: 'limit-data', bytes: 100, stream: 'downstream' });
  const r = raw(t, c.port);
  r.socket.write(Buffer.alloc(60, 1));
  r.socket.write(Buffer.alloc(60, 2));
  await r.closed;
  assert.equal(r.bytes(), 100);
  assert.ok(proxy.events.some((e) => e.type === 'connection' && e.action === 'limit'));
});

test('blackhole: nothing passes while it is on, the connection stays open, held bytes go on at heal', async (t) => {
  const proxy = await startFaultProxy();
  t.after(() => proxy.close());
  const c = await proxy.addClient('a', { upstream: await embedded(t) });
  const hole = proxy.addFault({ kind: 'blackhole', stream: 'downstream' });
  const p = mqttPing(t, c.port, 'bh');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(p.seen.length, 0, 'no CONNACK through the blackhole');
  assert.equal(p.raw.socket.destroyed, false);
  hole.heal();
  await until('PINGRESP after heal', () => p.at('pingresp') !== undefined);
});

test('reset: the client gets a TCP RST (ECONNRESET), now and on a later connection', async (t) => {
  const proxy = await startFaultProxy();
  t.after(() => proxy.close());
  const c = await proxy.addClient('e', { upstream: await echo(t) });
  const first = raw(t, c.port);
  await until('connection', () => proxy.client('e')?.connections === 1);
  proxy.addFault({ kind: 'reset', afterMs: 50 });
  assert.deepEqual(await first.closed, { error: 'ECONNRESET' });
  const second = raw(t, c.port);
  second.socket.write('hello');
  assert.deepEqual(await second.closed, { error: 'ECONNRESET' });
});

test('slow-close: the broker closing the connection reaches the client late', async (t) => {
  const proxy = await startFaultProxy();
  t.after(() => proxy.close());
  const c = await proxy.addClient('a', { upstream: await embedded(t) });
  proxy.addFault({ kind: 'slow-close', delayMs: 300, stream: 'downstream' });
  const p = mqttPing(t, c.port, 'sc');
  await until('CONNACK', () => p.at('connack') !== undefined);
  // A second CONNECT is a protocol violation: the broker closes the connection [MQTT-3.1.0-2].
  const start = performance.now();
  p.raw.socket.write(
    mqttPacket.generate({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      keepalive: 30,
      clientId: 'x',
    }),
  );
  let ended = 0;
  p.raw.socket.on('end', () => {
    ended = performance.now() - start;
  });
  await until('the close', () => ended > 0);
  assert.ok(ended >= 290, `FIN after ${ended} ms`);
});

test('down: new connections are refused and open ones closed; after heal they work again', async (t) => {
  const proxy = await startFaultProxy();
  t.after(() => proxy.close());
  const c = await proxy.addClient('e', { upstream: await echo(t) });
  const open = raw(t, c.port);
  await until('connection', () => proxy.client('e')?.connections === 1);
  const down = proxy.addFault({ kind: 'down' });
  await open.closed;
  const refused = raw(t, c.port);
  assert.deepEqual(await refused.closed, { error: 'ECONNRESET' });
  down.heal();
  const again = raw(t, c.port);
  again.socket.write('ping');
  await until('echo', () => again.bytes() === 4);
});

test('partition: the cut-off client gets nothing either way while the other carries on; heal restores it', async (t) => {
  const proxy = await startFaultProxy();
  t.after(() => proxy.close());
  const upstream = await embedded(t);
  const a = await proxy.addClient('a', { upstream });
  const b = await proxy.addClient('b', { upstream });
  const cut = proxy.partition(['a'], { durationMs: 400 });
  const pa = mqttPing(t, a.port, 'pa');
  const pb = mqttPing(t, b.port, 'pb');
  await until('b answered', () => pb.at('pingresp') !== undefined);
  assert.equal(pa.seen.length, 0);
  await cut.healed;
  await until('a answered after the partition', () => pa.at('pingresp') !== undefined);
  assert.ok((pa.at('connack') as number) >= 350);
});

test('toxicity 0 affects no connection; faults and heals are timestamped events', async (t) => {
  const proxy = await startFaultProxy();
  t.after(() => proxy.close());
  const events: FaultEvent[] = [];
  proxy.onEvent((e) => events.push(e));
  const c = await proxy.addClient('e', { upstream: await echo(t) });
  const f = proxy.addFault({ kind: 'blackhole', toxicity: 0, name: 'never' });
  const r = raw(t, c.port);
  r.socket.write('abc');
  await until('echo', () => r.bytes() === 3);
  f.heal();
  f.heal(); // idempotent
  const bands = events.filter((e) => e.type === 'applied' || e.type === 'healed');
  assert.deepEqual(
    bands.map((e) => [e.type, e.type !== 'connection' && e.name]),
    [
      ['applied', 'never'],
      ['healed', 'never'],
    ],
  );
  assert.ok((bands[1]?.at ?? 0) >= (bands[0]?.at ?? Number.POSITIVE_INFINITY));
  assert.ok(Math.abs((bands[0]?.at ?? 0) - Date.now()) < 60_000, 'epoch milliseconds');
});

test('close() ends every socket and refuses new work', async (t) => {
  const proxy = await startFaultProxy();
  const c = await proxy.addClient('e', { upstream: await echo(t) });
  const r = raw(t, c.port);
  await until('connection', () => proxy.client('e')?.connections === 1);
  proxy.addFault({ kind: 'latency', latencyMs: 10_000 });
  await proxy.close();
  await r.closed;
  assert.throws(() => proxy.addFault({ kind: 'down' }), /closed/);
  await assert.rejects(proxy.addClient('f', { upstream: { host: '127.0.0.1', port: 1 } }), /closed/);
});
