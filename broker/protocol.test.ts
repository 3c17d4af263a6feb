/**
 * MQTT 3.1.1 and 5.0 core behaviour of the embedded broker (profile mosquitto), with MQTT.js as client.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  closed,
  connect,
  connectForAck,
  delay,
  dropConnection,
  inbox,
  rawClient,
  readUntilClose,
  startTestBroker,
} from './_test-helpers.js';

for (const protocolVersion of [4, 5] as const) {
  const v = protocolVersion === 5 ? 'v5' : 'v3.1.1';

  test(`${v}: QoS 0/1/2 round trips with wildcards [MQTT-4.3], [MQTT-4.7]`, async (t) => {
    const broker = await startTestBroker(t);
    const url = broker.urls.mqtt as string;
    const sub = await connect(t, url, { clientId: 'sub', protocolVersion });
    const box = inbox(sub);
    const granted = await sub.subscribeAsync({ 'a/+/c': { qos: 2 }, 'x/#': { qos: 1 } });
    assert.deepEqual(
      granted.map((g) => g.qos),
      [2, 1],
    );
    const pub = await connect(t, url, { clientId: 'pub', protocolVersion });
    await pub.publishAsync('a/b/c', 'zero', { qos: 0 });
    await pub.publishAsync('a/b/c', 'one', { qos: 1 });
    await pub.publishAsync('a/b/c', 'two', { qos: 2 });
    await pub.publishAsync('x/y/z', 'capped', { qos: 2 });
    await pub.publishAsync('a/b/d', 'nomatch', { qos: 1 });
    const got = await box.waitFor(4);
    assert.deepEqual(
      got.map((p) => [p.payload.toString(), p.qos]),
      [
        ['zero', 0],
        ['one', 1],
        ['two', 2],
        // [MQTT-3.8.4-8] delivered at min(publish QoS, granted QoS).
        ['capped', 1],
      ],
    );
    await box.quiet(100);
    const stats = broker.stats();
    assert.equal(stats.clients['sub']?.delivered, 4);
  });

  test(`${v}: persistent session keeps subscriptions and queues QoS 1/2 while offline [MQTT-3.1.2-4]`, async (t) => {
    const broker = await startTestBroker(t);
    const url = broker.urls.mqtt as string;
    const persistent =
      protocolVersion === 5 ? { clean: false, properties: { sessionExpiryInterval: 60 } } : { clean: false };
    const sub = await connect(t, url, { clientId: 'p-sub', protocolVersion, ...persistent });
    await sub.subscribeAsync('q/#', { qos: 2 });
    await sub.endAsync();
    const pub = await connect(t, url, { clientId: 'p-pub', protocolVersion });
    await pub.publishAsync('q/1', 'a', { qos: 1 });
    await pub.publishAsync('q/2', 'b', { qos: 2 });
    await pub.publishAsync('q/3', 'lost', { qos: 0 });
    assert.equal(broker.stats().clients['p-sub']?.queued, 2);
    const back = await connectForAck(t, url, { clientId: 'p-sub', protocolVersion, ...persistent });
    assert.equal(back.connack?.['sessionPresent'], true);
    const box = inbox(back.client);
    const got = await box.waitFor(2);
    assert.deepEqual(
      got.map((p) => [p.topic, p.payload.toString(), p.qos]),
      [
        ['q/1', 'a', 1],
        ['q/2', 'b', 2],
      ],
    );
    await box.quiet(100);
    // A clean session afterwards starts empty.
    await back.client.endAsync();
    const clean = await connectForAck(t, url, { clientId: 'p-sub', protocolVersion, clean: true });
    assert.equal(clean.connack?.['sessionPresent'], false);
  });

  test(`${v}: retained set, replace, clear; RETAIN=1 on subscribe, 0 live [MQTT-3.3.1-5..9]`, async (t) => {
    const broker = await startTestBroker(t);
    const url = broker.urls.mqtt as string;
    const pub = await connect(t, url, { clientId: 'r-pub', protocolVersion });
    await pub.publishAsync('r/1', 'first', { qos: 1, retain: true });
    await pub.publishAsync('r/1', 'second', { qos: 1, retain: true });
    await pub.publishAsync('r/2', 'gone', { qos: 1, retain: true });
    await pub.publishAsync('r/2', '', { qos: 1, retain: true });
    const sub = await connect(t, url, { clientId: 'r-sub', protocolVersion });
    const box = inbox(sub);
    await sub.subscribeAsync('r/#', { qos: 1 });
    const first = await box.next();
    assert.equal(first.payload.toString(), 'second');
    assert.equal(first.retain, true);
    await box.quiet(100);
    await pub.publishAsync('r/1', 'live', { qos: 1, retain: true });
    const live = await box.next();
    assert.equal(live.payload.toString(), 'live');
    assert.equal(live.retain, false);
    assert.equal(broker.stats().totals.retained, 1);
  });

  test(`${v}: will on abrupt loss, not on DISCONNECT [MQTT-3.1.2-8], [MQTT-3.14.4-3]`, async (t) => {
    const broker = await startTestBroker(t);
    const url = broker.urls.mqtt as string;
    const watcher = await connect(t, url, { clientId: 'watcher', protocolVersion });
    const box = inbox(watcher);
    await watcher.subscribeAsync('will/#', { qos: 1 });
    const will = { topic: 'will/a', payload: Buffer.from('gone'), qos: 1 as const, retain: false };
    const polite = await connect(t, url, { clientId: 'polite', protocolVersion, will });
    await polite.endAsync();
    await box.quiet(200);
    const rude = await connect(t, url, { clientId: 'rude', protocolVersion, will });
    dropConnection(rude);
    const msg = await box.next();
    assert.equal(msg.topic, 'will/a');
    assert.equal(msg.payload.toString(), 'gone');
  });

  test(`${v}: keep alive 1 s: silent client dropped after 1.5 s, will sent [MQTT-3.1.2-22]`, async (t) => {
    const broker = await startTestBroker(t);
    const url = broker.urls.mqtt as string;
    const watcher = await connect(t, url, { clientId: 'ka-watch', protocolVersion });
    const box = inbox(watcher);
    await watcher.subscribeAsync('ka/will');
    const raw = await rawClient(t, url);
    // Hand-made CONNECT (3.1.1) with keep alive 1 s and a will; it then stays silent.
    const mqttPacket = (await import('mqtt-packet')).default;
    raw.write(
      mqttPacket.generate({
        cmd: 'connect',
        clientId: 'silent',
        keepalive: 1,
        protocolVersion: 4,
        clean: true,
        will: { topic: 'ka/will', payload: Buffer.from('timeout'), qos: 0, retain: false },
      }),
    );
    const started = Date.now();
    const { closed: wasClosed } = await readUntilClose(raw, 4000);
    const elapsed = Date.now() - started;
    assert.equal(wasClosed, true);
    assert.ok(elapsed >= 1300 && elapsed < 3500, `closed after ${elapsed} ms`);
    assert.equal((await box.next()).payload.toString(), 'timeout');
  });

  test(`${v}: client id takeover closes the old connection, MQTT 5 with DISCONNECT 0x8E [MQTT-3.1.4-3]`, async (t) => {
    const broker = await startTestBroker(t, { profile: 'aws-iot' });
    const url = broker.urls.mqtt as string;
    const first = await connect(t, url, { clientId: 'dup', protocolVersion });
    let disconnectReason: number | undefined;
    first.on('disconnect', (packet) => {
      disconnectReason = packet.reasonCode;
    });
    const firstClosed = closed(first);
    await connect(t, url, { clientId: 'dup', protocolVersion });
    await firstClosed;
    if (protocolVersion === 5) assert.equal(disconnectReason, 0x8e);
    assert.equal(broker.stats().totals.connections, 1);
  });

  test(`${v}: profile mosquitto closes a taken-over connection without DISCONNECT, as Mosquitto 2.0.11`, async (t) => {
    const broker = await startTestBroker(t, { profile: 'mosquitto' });
    const url = broker.urls.mqtt as string;
    const first = await connect(t, url, { clientId: 'dup', protocolVersion });
    let disconnects = 0;
    first.on('disconnect', () => {
      disconnects++;
    });
    const firstClosed = closed(first);
    await connect(t, url, { clientId: 'dup', protocolVersion });
    await firstClosed;
    assert.equal(disconnects, 0);
    assert.equal(broker.stats().totals.connections, 1);
  });

  test(`${v}: unsubscribe stops delivery; ping answered [MQTT-3.10.4-2], [MQTT-3.12.4-1]`, async (t) => {
    const broker = await startTestBroker(t);
    const url = broker.urls.mqtt as string;
    const client = await connect(t, url, { clientId: 'u', protocolVersion, keepalive: 1 });
    const box = inbox(client);
    await client.subscribeAsync('u/1', { qos: 1 });
    await client.publishAsync('u/1', 'before', { qos: 1 });
    await box.next();
    const ack = await client.unsubscribeAsync('u/1');
    if (protocolVersion === 5) {
      assert.deepEqual((ack as { reasonCodes?: number[] } | undefined)?.reasonCodes ?? [0], [0]);
    }
    await client.publishAsync('u/1', 'after', { qos: 1 });
    // keepalive 1 s: MQTT.js pings; staying connected for 2 s proves PINGRESP comes back.
    await delay(2000);
    assert.equal(client.connected, true);
    await box.quiet(50);
  });

  test(`${v}: malformed packet disconnects only that client [MQTT-4.13.1-1]`, async (t) => {
    const broker = await startTestBroker(t);
    const url = broker.urls.mqtt as string;
    const good = await connect(t, url, { clientId: 'good', protocolVersion });
    const box = inbox(good);
    await good.subscribeAsync('ok');
    const bad = await connect(t, url, { clientId: 'bad', protocolVersion });
    const badClosed = closed(bad);
    // SUBSCRIBE with reserved flags 0000 instead of 0010 [MQTT-3.8.1-1].
    bad.stream.write(Buffer.from([0x80, 0x06, 0x00, 0x01, 0x00, 0x01, 0x61, 0x00]));
    await badClosed;
    await good.publishAsync('ok', 'still here', { qos: 1 });
    assert.equal((await box.next()).payload.toString(), 'still here');
  });
}

test('v5: CONNACK properties, assigned client id, session expiry on DISCONNECT [MQTT-3.2.2]', async (t) => {
  const broker = await startTestBroker(t, { settings: { maxKeepAlive: 100 } });
  const url = broker.urls.mqtt as string;
  const { connack, client } = await connectForAck(t, url, {
    clientId: '',
    protocolVersion: 5,
    keepalive: 500,
    properties: { sessionExpiryInterval: 30 },
  });
  const props = connack?.['properties'] as Record<string, unknown>;
  assert.match(String(props['assignedClientIdentifier']), /^auto-/);
  assert.equal(props['serverKeepAlive'], 100);
  assert.equal(props['receiveMaximum'], 20);
  assert.equal(props['topicAliasMaximum'], 10);
  await client.endAsync();
  // Session expiry 0 at CONNECT cannot be raised on DISCONNECT [MQTT-3.14.2-2]: protocol error.
  const raw = await connect(t, url, { clientId: 'sei0', protocolVersion: 5 });
  const done = closed(raw);
  raw.stream.write(Buffer.from([0xe0, 0x07, 0x00, 0x05, 0x11, 0x00, 0x00, 0x00, 0x0a]));
  await done;
});

test('v5: will delay, DISCONNECT 0x04 sends the will, reconnect in time cancels it [MQTT-3.1.3-9]', async (t) => {
  const broker = await startTestBroker(t);
  const url = broker.urls.mqtt as string;
  const watcher = await connect(t, url, { clientId: 'w', protocolVersion: 5 });
  const box = inbox(watcher);
  await watcher.subscribeAsync('wd/#');
  const will = {
    topic: 'wd/x',
    payload: Buffer.from('delayed'),
    qos: 0 as const,
    retain: false,
    properties: { willDelayInterval: 1 },
  };
  const opts = { protocolVersion: 5 as const, clean: false, properties: { sessionExpiryInterval: 60 }, will };
  const a = await connect(t, url, { clientId: 'wd-a', ...opts });
  dropConnection(a);
  await box.quiet(500);
  assert.equal((await box.next(1500)).payload.toString(), 'delayed');
  const b = await connect(t, url, { clientId: 'wd-b', ...opts });
  dropConnection(b);
  await delay(200);
  await connect(t, url, { clientId: 'wd-b', ...opts });
  await box.quiet(1300);
  const c = await connect(t, url, {
    clientId: 'wd-c',
    protocolVersion: 5,
    will: { ...will, properties: {} },
  });
  c.stream.write(Buffer.from([0xe0, 0x01, 0x04]));
  assert.equal((await box.next()).topic, 'wd/x');
});

test('v5: message expiry rewritten on the way out, expired messages not delivered [MQTT-3.3.2-5, MQTT-3.3.2-6]', async (t) => {
  const broker = await startTestBroker(t);
  const url = broker.urls.mqtt as string;
  const persistent = { protocolVersion: 5 as const, clean: false, properties: { sessionExpiryInterval: 60 } };
  const sub = await connect(t, url, { clientId: 'mx', ...persistent });
  await sub.subscribeAsync('mx/#', { qos: 1 });
  await sub.endAsync();
  const pub = await connect(t, url, { clientId: 'mx-pub', protocolVersion: 5 });
  await pub.publishAsync('mx/short', 's', { qos: 1, properties: { messageExpiryInterval: 1 } });
  await pub.publishAsync('mx/long', 'l', { qos: 1, properties: { messageExpiryInterval: 100 } });
  await delay(1200);
  const back = await connect(t, url, { clientId: 'mx', ...persistent });
  const box = inbox(back);
  const msg = await box.next();
  assert.equal(msg.topic, 'mx/long');
  const left = msg.properties?.messageExpiryInterval ?? 0;
  assert.ok(left >= 98 && left <= 99, `remaining expiry ${left}`);
  await box.quiet(100);
  assert.equal(broker.stats().clients['mx']?.dropped.expired, 1);
});

test('v5: topic alias, user properties, no local, subscription ids, retain as published / handling', async (t) => {
  // The single-copy form of overlapping subscriptions (the mosquitto profile sends one per subscription).
  const broker = await startTestBroker(t, { settings: { overlapDelivery: 'single' } });
  const url = broker.urls.mqtt as string;
  const client = await connect(t, url, { clientId: 'feat', protocolVersion: 5 });
  const box = inbox(client);
  await client.subscribeAsync('f/self', { qos: 1, nl: true } as never);
  await client.subscribeAsync('f/ids', { qos: 1, properties: { subscriptionIdentifier: 7 } } as never);
  await client.subscribeAsync('f/+', {
    qos: 0,
    rap: true,
    properties: { subscriptionIdentifier: 9 },
  } as never);
  const pub = await connect(t, url, { clientId: 'feat-pub', protocolVersion: 5 });
  // [MQTT-3.8.3-3] No Local: own publish on f/self not returned (but f/+ has no No Local).
  await client.publishAsync('f/self', 'mine', { qos: 1 });
  const self = await box.next();
  assert.deepEqual(self.properties?.subscriptionIdentifier, 9);
  // Topic alias inbound [MQTT-3.3.2-10]: set with a topic, then reuse with an empty topic.
  await pub.publishAsync('f/ids', 'one', {
    qos: 1,
    properties: { topicAlias: 3, userProperties: { k: 'v' } },
  });
  await pub.publishAsync('', 'two', { qos: 1, retain: true, properties: { topicAlias: 3 } });
  const [one, two] = [await box.next(), await box.next()];
  assert.equal(one?.topic, 'f/ids');
  assert.deepEqual({ ...one?.properties?.userProperties }, { k: 'v' });
  // [MQTT-3.3.4-3] one copy carrying both subscription identifiers; QoS is the maximum.
  assert.deepEqual(
    [...([] as number[]).concat(one?.properties?.subscriptionIdentifier ?? [])].sort(),
    [7, 9],
  );
  assert.equal(one?.qos, 1);
  assert.equal(two?.topic, 'f/ids');
  // Retain As Published on f/+ keeps RETAIN=1 on a live delivery [MQTT-3.3.1-12].
  assert.equal(two?.retain, true);
  await box.quiet(100);
  // Retain Handling 2: no retained at subscribe [MQTT-3.3.1-11]; 1: only if new [MQTT-3.3.1-10].
  await client.subscribeAsync('f/ids', { qos: 1, rh: 2 } as never);
  await client.subscribeAsync('f/ids', { qos: 1, rh: 1 } as never);
  await box.quiet(150);
  await client.subscribeAsync('f/ids', { qos: 1, rh: 0 } as never);
  assert.equal((await box.next()).retain, true);
  // Alias above the maximum (10): DISCONNECT 0x94 [MQTT-3.3.2-9].
  let reason: number | undefined;
  pub.on('disconnect', (p) => {
    reason = p.reasonCode;
  });
  const pubClosed = closed(pub);
  // Written by hand: MQTT.js refuses to send an alias above the broker's maximum.
  pub.stream.write(Buffer.from([0x30, 0x0a, 0x00, 0x03, 0x66, 0x2f, 0x78, 0x03, 0x23, 0x00, 0x0b, 0x62]));
  await pubClosed;
  assert.equal(reason, 0x94);
});

test('v5: receive maximum flow control queues beyond the client window [MQTT-4.9.0-2]', async (t) => {
  const broker = await startTestBroker(t);
  const url = broker.urls.mqtt as string;
  const sub = await connect(t, url, {
    clientId: 'rm',
    protocolVersion: 5,
    properties: { receiveMaximum: 2 },
    manualConnect: false,
  });
  // Hold acknowledgements back: MQTT.js acks once the handler calls back.
  const held: Array<() => void> = [];
  sub.handleMessage = (_packet, callback) => {
    held.push(() => callback());
  };
  await sub.subscribeAsync('rm', { qos: 1 });
  const pub = await connect(t, url, { clientId: 'rm-pub', protocolVersion: 5 });
  for (let i = 0; i < 5; i++) await pub.publishAsync('rm', `m${i}`, { qos: 1 });
  await delay(100);
  const s = broker.stats().clients['rm'];
  assert.equal(s?.inflight, 2);
  assert.equal(s?.queueLength, 3);
  // Release acknowledgements one at a time; the window never exceeds 2.
  for (let round = 0; round < 40 && (broker.stats().clients['rm']?.delivered ?? 0) < 5; round++) {
    for (const release of held.splice(0)) release();
    await delay(25);
    assert.ok((broker.stats().clients['rm']?.inflight ?? 0) <= 2);
  }
  for (const release of held.splice(0)) release();
  await delay(50);
  const end = broker.stats().clients['rm'];
  assert.equal(end?.delivered, 5);
  assert.equal(end?.dequeued, 3);
});

test('v5: unacked QoS 1 resent with DUP on resume [MQTT-4.4.0-1]', async (t) => {
  const broker = await startTestBroker(t);
  const url = broker.urls.mqtt as string;
  const persistent = { protocolVersion: 5 as const, clean: false, properties: { sessionExpiryInterval: 60 } };
  const sub = await connect(t, url, { clientId: 'dup-sub', ...persistent });
  sub.handleMessage = () => {
    // never acknowledge
  };
  await sub.subscribeAsync('d', { qos: 1 });
  const pub = await connect(t, url, { clientId: 'dup-pub', protocolVersion: 5 });
  await pub.publishAsync('d', 'again', { qos: 1 });
  await delay(100);
  dropConnection(sub);
  await delay(100);
  const back = await connect(t, url, { clientId: 'dup-sub', ...persistent });
  const msg = await inbox(back).next();
  assert.equal(msg.payload.toString(), 'again');
  assert.equal(msg.dup, true);
});

test('v3.1.1: empty client id needs clean session (return code 2) [MQTT-3.1.3-8]', async (t) => {
  const broker = await startTestBroker(t);
  const url = broker.urls.mqtt as string;
  const raw = await rawClient(t, url);
  // CONNECT 3.1.1, CleanSession=0, keep alive 0, empty client id (MQTT.js and mqtt-packet refuse to build it).
  raw.write(
    Buffer.from([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00]),
  );
  const { data, closed: wasClosed } = await readUntilClose(raw, 2000);
  assert.deepEqual([...data], [0x20, 0x02, 0x00, 0x02]);
  assert.equal(wasClosed, true);
});

test('a packet before CONNECT closes the connection [MQTT-3.1.0-1]', async (t) => {
  const broker = await startTestBroker(t);
  const raw = await rawClient(t, broker.urls.mqtt as string);
  raw.write(Buffer.from([0xc0, 0x00]));
  const { closed: wasClosed, data } = await readUntilClose(raw, 2000);
  assert.equal(wasClosed, true);
  assert.equal(data.length, 0);
});

test('v5: packet above Maximum Packet Size: DISCONNECT 0x95 [MQTT-3.2.2-15]', async (t) => {
  const broker = await startTestBroker(t, { settings: { maxPacketSize: 1024 } });
  const client = await connect(t, broker.urls.mqtt as string, { clientId: 'big', protocolVersion: 5 });
  let reason: number | undefined;
  client.on('disconnect', (p) => {
    reason = p.reasonCode;
  });
  const done = closed(client);
  client.publish('big', Buffer.alloc(2000), { qos: 0 });
  await done;
  assert.equal(reason, 0x95);
});

test('v5: shared subscription with No Local is a protocol error [MQTT-3.8.3-4]', async (t) => {
  const broker = await startTestBroker(t);
  const client = await connect(t, broker.urls.mqtt as string, { clientId: 'snl', protocolVersion: 5 });
  let reason: number | undefined;
  client.on('disconnect', (p) => {
    reason = p.reasonCode;
  });
  const done = closed(client);
  client.subscribe('$share/g/t', { qos: 0, nl: true } as never);
  await done;
  assert.equal(reason, 0x82);
});

test('$ topics are not matched by wildcard filters [MQTT-4.7.2-1]', async (t) => {
  const broker = await startTestBroker(t);
  const url = broker.urls.mqtt as string;
  const client = await connect(t, url, { clientId: 'dollar', protocolVersion: 5 });
  const box = inbox(client);
  await client.subscribeAsync({ '#': { qos: 0 }, '$SYS/x': { qos: 0 } });
  broker.publish('$SYS/x', 'sys');
  const msg = await box.next();
  assert.equal(msg.topic, '$SYS/x');
  await box.quiet(100);
});

test('v5 mosquitto profile: PUBACK 0x10 when nobody matched; a client PUBLISH with a Subscription Identifier is a protocol error [MQTT-3.3.4-6]', async (t) => {
  const broker = await startTestBroker(t);
  const client = await connect(t, broker.urls.mqtt as string, { clientId: 'nms', protocolVersion: 5 });
  const acks: number[] = [];
  client.on('packetreceive', (p) => {
    if (p.cmd === 'puback') acks.push((p as { reasonCode?: number }).reasonCode ?? 0);
  });
  await client.publishAsync('nobody', 'x', { qos: 1 });
  await client.subscribeAsync('somebody', { qos: 1 });
  await client.publishAsync('somebody', 'x', { qos: 1 });
  assert.deepEqual(acks, [0x10, 0]);
  let reason: number | undefined;
  client.on('disconnect', (p) => {
    reason = p.reasonCode;
  });
  const done = closed(client);
  // PUBLISH QoS 0 "x" with property 0x0B (Subscription Identifier) = 1.
  client.stream.write(Buffer.from([0x30, 0x07, 0x00, 0x01, 0x78, 0x02, 0x0b, 0x01, 0x79]));
  await done;
  assert.equal(reason, 0x82);
});

test('v5: outbound messages above the client Maximum Packet Size are dropped [MQTT-3.1.2-25]', async (t) => {
  const broker = await startTestBroker(t);
  const url = broker.urls.mqtt as string;
  const client = await connect(t, url, {
    clientId: 'small',
    protocolVersion: 5,
    properties: { maximumPacketSize: 200 },
  });
  await client.subscribeAsync('mp', { qos: 1 });
  const pub = await connect(t, url, { clientId: 'mp-pub', protocolVersion: 5 });
  await pub.publishAsync('mp', Buffer.alloc(500), { qos: 1 });
  await pub.publishAsync('mp', 'fits', { qos: 1 });
  const msg = await inbox(client).next();
  assert.equal(msg.payload.toString(), 'fits');
  assert.equal(broker.stats().clients['small']?.dropped['too-large'], 1);
});

test('client-disconnected events say who ended the connection (client, network, server 0x8E)', async (t) => {
  const broker = await startTestBroker(t);
  const url = broker.urls.mqtt as string;
  const ends: string[] = [];
  broker.on('client-disconnected', (connection) => {
    ends.push(`${connection.clientId}:${connection.endedBy}:${connection.endCode ?? '-'}`);
  });
  const polite = await connect(t, url, { clientId: 'polite', protocolVersion: 5 });
  await polite.endAsync();
  const lost = await connect(t, url, { clientId: 'lost', protocolVersion: 5 });
  dropConnection(lost);
  await connect(t, url, { clientId: 'twice', protocolVersion: 5 });
  await connect(t, url, { clientId: 'twice', protocolVersion: 5 });
  await delay(200);
  assert.deepEqual(ends, ['polite:client:-', 'lost:network:-', `twice:server:${0x8e}`]);
});

test('v5: session ends after its expiry interval [MQTT-3.1.2-23]', async (t) => {
  const broker = await startTestBroker(t);
  const url = broker.urls.mqtt as string;
  const opts = { protocolVersion: 5 as const, clean: false, properties: { sessionExpiryInterval: 1 } };
  const first = await connect(t, url, { clientId: 'exp', ...opts });
  await first.subscribeAsync('e', { qos: 1 });
  await first.endAsync();
  const soon = await connectForAck(t, url, { clientId: 'exp', ...opts });
  assert.equal(soon.connack?.['sessionPresent'], true);
  await soon.client.endAsync();
  await delay(1300);
  const late = await connectForAck(t, url, { clientId: 'exp', ...opts });
  assert.equal(late.connack?.['sessionPresent'], false);
  assert.equal(broker.stats().totals.sessions, 1);
});

test('v5: a QoS 2 PUBLISH resent before PUBREL is delivered once; Receive Maximum exceeded → 0x93 [MQTT-4.3.3-9, MQTT-3.3.4-9]', async (t) => {
  const broker = await startTestBroker(t);
  const url = broker.urls.mqtt as string;
  const sub = await connect(t, url, { clientId: 'q2-sub', protocolVersion: 5 });
  await sub.subscribeAsync('q2', { qos: 2 });
  const pub = await connect(t, url, { clientId: 'q2-pub', protocolVersion: 5 });
  const mqttPacket = (await import('mqtt-packet')).default;
  const publish = (messageId: number, dup: boolean) =>
    mqttPacket.generate(
      {
        cmd: 'publish',
        topic: 'q2',
        payload: Buffer.from(`m${messageId}`),
        qos: 2,
        messageId,
        dup,
        retain: false,
      },
      { protocolVersion: 5 },
    );
  pub.stream.write(publish(1000, false));
  pub.stream.write(publish(1000, true));
  await inbox(sub).next();
  await inbox(sub).quiet(150);
  let reason: number | undefined;
  pub.on('disconnect', (p) => {
    reason = p.reasonCode;
  });
  const done = closed(pub);
  // Server Receive Maximum is 20 (mosquitto profile); id 1000 is still unreleased.
  for (let id = 2000; id < 2020; id++) pub.stream.write(publish(id, false));
  await done;
  assert.equal(reason, 0x93);
});

test('startBroker refuses unknown settings and unusable TLS material with clear errors', async () => {
  const { startBroker } = await import('./index.js');
  await assert.rejects(
    startBroker({ settings: { maxQueuedMesages: 5 } as never }),
    /unknown broker setting "maxQueuedMesages"/,
  );
  await assert.rejects(
    startBroker({ listeners: { mqtts: { cert: 'not a certificate', key: 'nor a key' } } }),
    (error: Error) =>
      error.name === 'BrokerListenError' && /cannot start the broker listeners/.test(error.message),
  );
});

for (const [what, bytes, code] of [
  // PUBLISH QoS 1 "x" with packet id 0 [MQTT-2.2.1-3].
  ['QoS 1 PUBLISH with packet id 0', [0x32, 0x06, 0x00, 0x01, 0x78, 0x00, 0x00, 0x00], 0x82],
  // PUBLISH QoS 0 with DUP [MQTT-3.3.1-2].
  ['QoS 0 PUBLISH with DUP', [0x38, 0x05, 0x00, 0x01, 0x78, 0x00, 0x79], 0x81],
  // CONNACK from a client.
  ['a CONNACK from the client', [0x20, 0x03, 0x00, 0x00, 0x00], 0x82],
] as const) {
  test(`v5: ${what} → DISCONNECT 0x${code.toString(16)}`, async (t) => {
    const broker = await startTestBroker(t);
    const client = await connect(t, broker.urls.mqtt as string, { clientId: 'bad', protocolVersion: 5 });
    let reason: number | undefined;
    client.on('disconnect', (p) => {
      reason = p.reasonCode;
    });
    const done = closed(client);
    client.stream.write(Buffer.from(bytes));
    await done;
    assert.equal(reason, code);
  });
}

test('v5: a session expiry beyond the 24.8-day timer limit does not end the session early', async (t) => {
  const broker = await startTestBroker(t);
  const url = broker.urls.mqtt as string;
  const opts = {
    protocolVersion: 5 as const,
    clean: false,
    properties: { sessionExpiryInterval: 0xfffffffe },
  };
  const first = await connect(t, url, { clientId: 'long', ...opts });
  await first.endAsync();
  await delay(100);
  const again = await connectForAck(t, url, { clientId: 'long', ...opts });
  assert.equal(again.connack?.['sessionPresent'], true);
});

test('resume: stored messages come first, a message published right after the CONNACK waits behind them [MQTT-4.6.0-6]', async (t) => {
  const broker = await startTestBroker(t);
  const url = broker.urls.mqtt as string;
  const persistent = { protocolVersion: 5 as const, clean: false, properties: { sessionExpiryInterval: 60 } };
  const sub = await connect(t, url, { clientId: 'order', ...persistent });
  await sub.subscribeAsync('o', { qos: 1 });
  await sub.endAsync();
  for (let i = 0; i < 3; i++) broker.publish('o', `stored${i}`, { qos: 1 });
  broker.on('client-connected', (connection) => {
    if (connection.clientId === 'order') broker.publish('o', 'live', { qos: 1 });
  });
  const back = await connect(t, url, { clientId: 'order', ...persistent });
  const got = await inbox(back).waitFor(4);
  assert.deepEqual(
    got.map((m) => m.payload.toString()),
    ['stored0', 'stored1', 'stored2', 'live'],
  );
});

test('mosquitto profile: client publishes to $SYS and $share/ are refused (PUBACK 0x87), other $ topics pass', async (t) => {
  const broker = await startTestBroker(t);
  const url = broker.urls.mqtt as string;
  const client = await connect(t, url, { clientId: 'dollar-pub', protocolVersion: 5 });
  const acks: number[] = [];
  client.on('packetreceive', (p) => {
    if (p.cmd === 'puback') acks.push((p as { reasonCode?: number }).reasonCode ?? 0);
  });
  await client.subscribeAsync('$foo/bar', { qos: 1 });
  await client.publishAsync('$SYS/x', 'x', { qos: 1 }).catch(() => undefined);
  await client.publishAsync('$share/g/t', 'x', { qos: 1 }).catch(() => undefined);
  await client.publishAsync('$foo/bar', 'x', { qos: 1 });
  assert.deepEqual(acks, [0x87, 0x87, 0]);
  assert.equal((await inbox(client).next()).topic, '$foo/bar');
});

for (const protocolVersion of [4, 5] as const) {
  test(`v${protocolVersion} mosquitto profile: a malformed filter closes the connection (DISCONNECT 0x81 on v5) [MQTT-4.8.2-1]`, async (t) => {
    const broker = await startTestBroker(t);
    const client = await connect(t, broker.urls.mqtt as string, { clientId: 'badfilter', protocolVersion });
    let reason: number | undefined;
    client.on('disconnect', (p) => {
      reason = p.reasonCode;
    });
    const done = closed(client);
    client.subscribe('$share//a', { qos: 0 });
    await done;
    if (protocolVersion === 5) assert.equal(reason, 0x81);
  });
}

test('mosquitto profile: overlapping subscriptions give an MQTT 5 client one copy per subscription, MQTT 3.1.1 one (MQTT 5 3.3.4)', async (t) => {
  const broker = await startTestBroker(t, { profile: 'mosquitto' });
  const url = broker.urls.mqtt as string;
  const v5 = await connect(t, url, { clientId: 'v5', protocolVersion: 5 });
  await v5.subscribeAsync('o/#', { qos: 0, properties: { subscriptionIdentifier: 1 } } as never);
  await v5.subscribeAsync('o/b', { qos: 1, properties: { subscriptionIdentifier: 2 } } as never);
  const v4 = await connect(t, url, { clientId: 'v4', protocolVersion: 4 });
  await v4.subscribeAsync('o/#', { qos: 0 });
  await v4.subscribeAsync('o/b', { qos: 1 });
  await v4.publishAsync('o/b', 'x', { qos: 1 });
  const copies = await inbox(v5).waitFor(2);
  assert.deepEqual(copies.map((m) => `q${m.qos} id${m.properties?.subscriptionIdentifier}`).sort(), [
    'q0 id1',
    'q1 id2',
  ]);
  assert.equal((await inbox(v4).next()).qos, 1);
  await inbox(v4).quiet(100);
  await inbox(v5).quiet(50);
});

test('outbound topic aliases: an MQTT 5 client that allows 2 gets topic + alias once, then the alias alone [MQTT-3.3.2-11]', async (t) => {
  const broker = await startTestBroker(t, { profile: 'aws-iot' });
  const url = broker.urls.mqtt as string;
  const sub = await connect(t, url, {
    clientId: 'aliased',
    protocolVersion: 5,
    properties: { topicAliasMaximum: 2 },
  });
  const raw: Array<{ topic: string; alias?: number }> = [];
  sub.on('packetreceive', (p) => {
    if (p.cmd === 'publish') raw.push({ topic: p.topic, alias: p.properties?.topicAlias });
  });
  await sub.subscribeAsync('al/#', { qos: 1 });
  const pub = await connect(t, url, { clientId: 'al-pub', protocolVersion: 5 });
  const topics: string[] = [];
  sub.on('message', (topic) => topics.push(topic));
  for (const topic of ['al/a', 'al/a', 'al/b', 'al/c', 'al/b'])
    await pub.publishAsync(topic, topic, { qos: 1 });
  await inbox(sub).waitFor(5);
  // MQTT.js resolves the aliases back to the topics.
  assert.deepEqual(topics, ['al/a', 'al/a', 'al/b', 'al/c', 'al/b']);
  assert.deepEqual(raw, [
    { topic: 'al/a', alias: 1 },
    { topic: '', alias: 1 },
    { topic: 'al/b', alias: 2 },
    // The client's maximum (2) is used up: a new topic goes without an alias.
    { topic: 'al/c', alias: undefined },
    { topic: '', alias: 2 },
  ]);
  // A client that allows none gets none (and the mosquitto profile never sends any).
  const plain = await connect(t, url, { clientId: 'plain', protocolVersion: 5 });
  const plainRaw: Array<number | undefined> = [];
  plain.on('packetreceive', (p) => {
    if (p.cmd === 'publish') plainRaw.push(p.properties?.topicAlias);
  });
  await plain.subscribeAsync('al/#', { qos: 1 });
  await pub.publishAsync('al/a', 'x', { qos: 1 });
  await inbox(plain).next();
  assert.deepEqual(plainRaw, [undefined]);
});
