/**
 * Packet faults through the proxy with real MQTT.js clients, against the embedded broker and a
 * real Mosquitto: each rule does exactly what it says to exactly the packet it names.
 *
 * Glossary: `bench(t, broker)` starts a proxy with `pub` and `sub` listeners (packets: true) in
 * front of `broker`; `client(port, id, opts)` an MQTT.js client; `collect(c)` the payload
 * sequence numbers (`mqscen1` identity headers) a client receives, with their DUP flags.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { startBroker } from '../../broker/index.js';
import { findMosquitto, startMosquittoTarget } from '../targets/mosquitto.js';
import type { FaultProxy } from './fault-proxy.js';
import { startFaultProxy } from './fault-proxy.js';

const mosquittoSkip = (() => {
  try {
    findMosquitto();
    return false;
  } catch {
    return 'mosquitto is not installed';
  }
})();

type BrokerKind = 'embedded' | 'mosquitto';
const KINDS: Array<{ kind: BrokerKind; skip: string | false }> = [
  { kind: 'embedded', skip: false },
  { kind: 'mosquitto', skip: mosquittoSkip },
];

async function startUpstream(t: TestContext, kind: BrokerKind): Promise<{ host: string; port: number }> {
  if (kind === 'embedded') {
    const b = await startBroker({ profile: 'mosquitto' });
    t.after(() => b.close());
    return hostPort(b.urls.mqtt as string);
  }
  const m = await startMosquittoTarget({ websockets: false });
  t.after(() => m.close());
  return hostPort(m.urls.mqtt);
}

function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port) };
}

async function bench(
  t: TestContext,
  kind: BrokerKind,
): Promise<{ proxy: FaultProxy; pub: number; sub: number }> {
  const upstream = await startUpstream(t, kind);
  const proxy = await startFaultProxy({ seed: 1 });
  t.after(() => proxy.close());
  const pub = await proxy.addClient('pub', { upstream, packets: true });
  const sub = await proxy.addClient('sub', { upstream, packets: true });
  return { proxy, pub: pub.port, sub: sub.port };
}

let ids = 0;
async function client(
  t: TestContext,
  port: number,
  id: string,
  opts: IClientOptions = {},
): Promise<MqttClient> {
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    clientId: `${id}-${process.pid}-${++ids}`,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    protocolVersion: 5,
    ...opts,
  });
  t.after(() => c.end(true));
  return c;
}

const header = (seq: number) => `mqscen1 run1 0 ${seq} 0\nbody`;

function collect(c: MqttClient): Array<{ seq: number; dup: boolean }> {
  const got: Array<{ seq: number; dup: boolean }> = [];
  c.on('message', (_topic, payload, packet) => {
    const m = /^mqscen1 \S+ \d+ (\d+) /.exec(payload.toString('latin1'));
    if (m !== null) got.push({ seq: Number(m[1]), dup: packet.dup === true });
  });
  return got;
}

async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function publishAll(c: MqttClient, topic: string, n: number, qos: 0 | 1 = 1): Promise<void> {
  for (let i = 1; i <= n; i++) await c.publishAsync(topic, header(i), { qos });
}

for (const { kind, skip } of KINDS) {
  test(`${kind}: drop the 3rd PUBLISH to a subscriber; the broker's copy is acknowledged in its name`, {
    skip,
  }, async (t) => {
    const { proxy, pub, sub } = await bench(t, kind);
    const s = await client(t, sub, 'sub');
    await s.subscribeAsync('f/drop', { qos: 1 });
    const got = collect(s);
    const rule = proxy.addRule({ kind: 'drop', client: 'sub', stream: 'downstream', match: { nth: 3 } });
    const p = await client(t, pub, 'pub');
    await publishAll(p, 'f/drop', 5);
    await until('4 messages', () => got.length >= 4);
    await rule.done;
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(
      got.map((g) => g.seq),
      [1, 2, 4, 5],
    );
    assert.equal(rule.fired, 2, 'dropped and answered');
    const acts = proxy.events.filter((e) => e.type === 'packet').map((e) => e.type === 'packet' && e.action);
    assert.deepEqual(acts, ['dropped', 'answered']);
  });

  test(`${kind}: drop a publisher's PUBLISH by its identity; the publisher still gets its PUBACK`, {
    skip,
  }, async (t) => {
    const { proxy, pub, sub } = await bench(t, kind);
    const s = await client(t, sub, 'sub');
    await s.subscribeAsync('f/dropup', { qos: 1 });
    const got = collect(s);
    proxy.addRule({ kind: 'drop', client: 'pub', stream: 'upstream', match: { publisher: 0, seq: 2 } });
    const p = await client(t, pub, 'pub');
    await publishAll(p, 'f/dropup', 4); // every publishAsync resolved: each got a PUBACK
    await until('3 messages', () => got.length >= 3);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(
      got.map((g) => g.seq),
      [1, 3, 4],
    );
  });

  for (const dup of [false, true]) {
    test(`${kind}: duplicate one PUBLISH (DUP=${dup ? 1 : 0})`, { skip }, async (t) => {
      const { proxy, pub, sub } = await bench(t, kind);
      const s = await client(t, sub, 'sub');
      await s.subscribeAsync('f/dup', { qos: 1 });
      const got = collect(s);
      proxy.addRule({ kind: 'duplicate', client: 'sub', stream: 'downstream', match: { seq: 2 }, dup });
      const p = await client(t, pub, 'pub');
      await publishAll(p, 'f/dup', 3);
      await until('4 deliveries', () => got.length >= 4);
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(got, [
        { seq: 1, dup: false },
        { seq: 2, dup: false },
        { seq: 2, dup },
        { seq: 3, dup: false },
      ]);
    });
  }

  test(`${kind}: duplicate after a reconnect: the copy (DUP=1) follows the next CONNACK`, {
    skip,
  }, async (t) => {
    const { proxy, pub, sub } = await bench(t, kind);
    const id = `sub-r-${process.pid}-${++ids}`;
    const opts: IClientOptions = { clientId: id, clean: false, properties: { sessionExpiryInterval: 60 } };
    const s1 = await client(t, sub, 'sub', opts);
    await s1.subscribeAsync('f/replay', { qos: 1 });
    const got1 = collect(s1);
    const rule = proxy.addRule({
      kind: 'duplicate',
      client: 'sub',
      stream: 'downstream',
      match: { seq: 1 },
      dup: true,
      afterReconnect: true,
    });
    const p = await client(t, pub, 'pub');
    await publishAll(p, 'f/replay', 1);
    await until('the first copy', () => got1.length === 1);
    await new Promise((r) => setTimeout(r, 50)); // its PUBACK reaches the broker
    await s1.endAsync();
    const s2 = mqtt.connect(`mqtt://127.0.0.1:${sub}`, { ...opts, protocolVersion: 5, reconnectPeriod: 0 });
    t.after(() => s2.end(true));
    const got2 = collect(s2);
    await until('the copy', () => got2.length >= 1);
    assert.deepEqual(got2, [{ seq: 1, dup: true }]);
    assert.equal(rule.fired, 2, 'kept, then replayed');
  });

  test(`${kind}: reorder two PUBLISH packets`, { skip }, async (t) => {
    const { proxy, pub, sub } = await bench(t, kind);
    const s = await client(t, sub, 'sub');
    await s.subscribeAsync('f/order', { qos: 1 });
    const got = collect(s);
    const rule = proxy.addRule({
      kind: 'reorder',
      client: 'sub',
      stream: 'downstream',
      first: { seq: 2 },
      second: { seq: 3 },
    });
    const p = await client(t, pub, 'pub');
    // Not awaited one by one: the broker must be able to send #3 while #2 is held.
    await Promise.all([1, 2, 3, 4].map((i) => p.publishAsync('f/order', header(i), { qos: 1 })));
    await until('4 messages', () => got.length >= 4);
    await rule.done;
    assert.deepEqual(
      got.map((g) => g.seq),
      [1, 3, 2, 4],
    );
  });

  test(`${kind}: a withheld PUBACK makes the broker send the message again, with DUP, on the resumed session`, {
    skip,
  }, async (t) => {
    const { proxy, pub, sub } = await bench(t, kind);
    const id = `sub-w-${process.pid}-${++ids}`;
    const opts: IClientOptions = { clientId: id, clean: false, properties: { sessionExpiryInterval: 60 } };
    const s1 = await client(t, sub, 'sub', opts);
    await s1.subscribeAsync('f/ack', { qos: 1 });
    const got1 = collect(s1);
    const rule = proxy.addRule({
      kind: 'withhold-ack',
      client: 'sub',
      stream: 'downstream',
      match: { seq: 1 },
      cut: true,
    });
    const p = await client(t, pub, 'pub');
    await publishAll(p, 'f/ack', 1);
    await rule.done;
    await until('the cut', () => !s1.connected);
    assert.deepEqual(got1, [{ seq: 1, dup: false }]);
    // Listening before the CONNACK: the broker may send the message in the same segment.
    const s2 = mqtt.connect(`mqtt://127.0.0.1:${sub}`, { ...opts, protocolVersion: 5, reconnectPeriod: 0 });
    t.after(() => s2.end(true));
    const got2 = collect(s2);
    await until('the redelivery', () => got2.length >= 1);
    assert.deepEqual(got2, [{ seq: 1, dup: true }], '[MQTT-4.4.0-1]');
  });

  test(`${kind}: forged sessionPresent=0 on the reconnect; the broker really discarded the session`, {
    skip,
  }, async (t) => {
    const { proxy, pub, sub } = await bench(t, kind);
    const id = `sub-s-${process.pid}-${++ids}`;
    const opts: IClientOptions = { clientId: id, clean: false, properties: { sessionExpiryInterval: 60 } };
    const s1 = await client(t, sub, 'sub', opts);
    await s1.subscribeAsync('f/sp', { qos: 1 });
    await s1.endAsync();
    proxy.addRule({ kind: 'forge-session-present', client: 'sub' });
    const p = await client(t, pub, 'pub');
    await publishAll(p, 'f/sp', 3);
    const s2 = mqtt.connect(`mqtt://127.0.0.1:${sub}`, { ...opts, protocolVersion: 5, reconnectPeriod: 0 });
    t.after(() => s2.end(true));
    const got = collect(s2);
    const connack = await new Promise<{ sessionPresent: boolean }>((resolve, reject) => {
      s2.once('connect', resolve);
      s2.once('error', reject);
    });
    assert.equal(connack.sessionPresent, false);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(got, [], 'the queued messages went with the session');
    const acts = proxy.events.flatMap((e) => (e.type === 'packet' ? [e.action] : []));
    assert.deepEqual(acts, ['clean-start', 'sessionPresent=0']);
  });

  test(`${kind}: forge only the CONNACK (the broker kept the session and still delivers)`, {
    skip,
  }, async (t) => {
    const { proxy, pub, sub } = await bench(t, kind);
    const id = `sub-f-${process.pid}-${++ids}`;
    const opts: IClientOptions = { clientId: id, clean: false, properties: { sessionExpiryInterval: 60 } };
    const s1 = await client(t, sub, 'sub', opts);
    await s1.subscribeAsync('f/sp2', { qos: 1 });
    await s1.endAsync();
    proxy.addRule({ kind: 'forge-session-present', client: 'sub', discardSession: false });
    const p = await client(t, pub, 'pub');
    await publishAll(p, 'f/sp2', 2);
    const s2 = mqtt.connect(`mqtt://127.0.0.1:${sub}`, { ...opts, protocolVersion: 5, reconnectPeriod: 0 });
    t.after(() => s2.end(true));
    const got = collect(s2);
    const connack = await new Promise<{ sessionPresent: boolean }>((resolve, reject) => {
      s2.once('connect', resolve);
      s2.once('error', reject);
    });
    assert.equal(connack.sessionPresent, false, 'forged');
    await until('the queued messages', () => got.length >= 2);
  });

  test(`${kind}: cut a subscriber after the broker acknowledged the publish, before delivering it`, {
    skip,
  }, async (t) => {
    const { proxy, pub, sub } = await bench(t, kind);
    const id = `sub-c-${process.pid}-${++ids}`;
    const opts: IClientOptions = { clientId: id, clean: false, properties: { sessionExpiryInterval: 60 } };
    const s1 = await client(t, sub, 'sub', opts);
    await s1.subscribeAsync('f/cut', { qos: 1 });
    const got1 = collect(s1);
    const rule = proxy.addRule({ kind: 'cut-after-ack', client: 'sub', match: { seq: 2 } });
    const p = await client(t, pub, 'pub');
    await publishAll(p, 'f/cut', 2);
    await rule.done;
    await until('the cut', () => !s1.connected);
    assert.deepEqual(got1, [{ seq: 1, dup: false }]);
    const acts = proxy.events.flatMap((e) => (e.type === 'packet' ? [e.action] : []));
    assert.deepEqual(acts, ['held', 'cut (after the broker acknowledged)']);
    // Listening before the CONNACK: the broker may send the message in the same segment.
    const s2 = mqtt.connect(`mqtt://127.0.0.1:${sub}`, { ...opts, protocolVersion: 5, reconnectPeriod: 0 });
    t.after(() => s2.end(true));
    const got2 = collect(s2);
    await until('the delivery after the reconnect', () => got2.length >= 1);
    assert.equal(got2[0]?.seq, 2);
  });
}

test('MQTT 3.1.1 connections are parsed too (drop by nth)', async (t) => {
  const { proxy, pub, sub } = await bench(t, 'embedded');
  const s = await client(t, sub, 'sub', { protocolVersion: 4 });
  await s.subscribeAsync('f/v4', { qos: 1 });
  const got = collect(s);
  proxy.addRule({ kind: 'drop', client: 'sub', stream: 'downstream', match: { nth: 1 } });
  const p = await client(t, pub, 'pub', { protocolVersion: 4 });
  await publishAll(p, 'f/v4', 3);
  await until('2 messages', () => got.length >= 2);
  assert.deepEqual(
    got.map((g) => g.seq),
    [2, 3],
  );
});

test('a packet rule on a client without packet parsing is refused', async (t) => {
  const proxy = await startFaultProxy();
  t.after(() => proxy.close());
  await proxy.addClient('tls-client', { upstream: { host: '127.0.0.1', port: 1 } });
  assert.throws(
    () => proxy.addRule({ kind: 'drop', client: 'tls-client', stream: 'downstream', match: {} }),
    /not opened with packets: true/,
  );
});

test('frames are split by their fixed header across any chunking; a non-MQTT stream passes unparsed', async () => {
  const { FrameSplitter } = await import('./_packet-faults.js');
  const mqttPacket = (await import('mqtt-packet')).default;
  const packets = [
    mqttPacket.generate({ cmd: 'pingreq' }),
    mqttPacket.generate({
      cmd: 'publish',
      topic: 'a/b',
      payload: Buffer.alloc(300, 7),
      qos: 1,
      messageId: 9,
      dup: false,
      retain: false,
    }),
    mqttPacket.generate({ cmd: 'puback', messageId: 9 }),
  ];
  const all = Buffer.concat(packets);
  for (const size of [1, 2, 7, 128, all.length]) {
    const split = new FrameSplitter();
    const frames: Buffer[] = [];
    for (let i = 0; i < all.length; i += size) frames.push(...split.push(all.subarray(i, i + size)));
    assert.deepEqual(frames, packets, `chunks of ${size}`);
  }
  const split = new FrameSplitter();
  const junk = Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01, 0x41]);
  assert.deepEqual(split.push(junk), [junk]);
  assert.equal(split.broken, true);
  assert.deepEqual(split.push(Buffer.from('more')), [Buffer.from('more')]);
});
