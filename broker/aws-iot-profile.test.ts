/**
 * Profile aws-iot: the AWS IoT Core rules that differ from a spec broker (docs/aws-iot-semantics.md
 * section 11), each test named after the rule id it checks.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closed, connect, connectForAck, delay, inbox, startTestBroker } from './_test-helpers.js';

const profile = 'aws-iot' as const;

test('M5-3, Q-2: CONNACK Maximum QoS 1, no subscription identifiers; QoS 2 PUBLISH → DISCONNECT 0x9B (v5)', async (t) => {
  const broker = await startTestBroker(t, { profile });
  const { client, connack } = await connectForAck(t, broker.urls.mqtt as string, {
    clientId: 'q2',
    protocolVersion: 5,
  });
  const props = propsOf(connack);
  assert.equal(props['maximumQoS'], 1);
  assert.equal(props['subscriptionIdentifiersAvailable'], false);
  assert.equal(props['topicAliasMaximum'], 8);
  assert.equal(props['receiveMaximum'], 100);
  // A QoS 2 SUBSCRIBE is granted QoS 1 [MQTT-3.2.2-10].
  const granted = await client.subscribeAsync('x', { qos: 2 });
  assert.equal(granted[0]?.qos, 1);
  let reason: number | undefined;
  client.on('disconnect', (p) => {
    reason = p.reasonCode;
  });
  const done = closed(client);
  // Written by hand: MQTT.js will not send QoS 2 above the broker's Maximum QoS.
  client.stream.write(Buffer.from([0x34, 0x06, 0x00, 0x01, 0x78, 0x00, 0x01, 0x00]));
  await done;
  assert.equal(reason, 0x9b);
});

test('Q-2: MQTT 3.1.1 QoS 2 PUBLISH ignored without PUBACK, QoS 2 SUBSCRIBE unanswered', async (t) => {
  const broker = await startTestBroker(t, { profile });
  const url = broker.urls.mqtt as string;
  const watcher = await connect(t, url, { clientId: 'w' });
  await watcher.subscribeAsync('q2/t', { qos: 1 });
  const client = await connect(t, url, { clientId: 'v3q2' });
  const acks: string[] = [];
  client.on('packetreceive', (p) => acks.push(p.cmd));
  client.publish('q2/t', 'two', { qos: 2 });
  client.subscribe('other', { qos: 2 });
  await delay(300);
  assert.deepEqual(acks, []);
  assert.equal(client.connected, true);
  await inbox(watcher).quiet(50);
  assert.equal(broker.stats().clients['v3q2']?.dropped['qos-not-supported'], 1);
});

test('T-2 / DIFF-8: a/# does not match a', async (t) => {
  const broker = await startTestBroker(t, { profile });
  const client = await connect(t, broker.urls.mqtt as string, { clientId: 't2' });
  await client.subscribeAsync('a/#', { qos: 1 });
  await client.publishAsync('a', 'parent', { qos: 1 });
  await client.publishAsync('a/', 'empty child', { qos: 1 });
  await client.publishAsync('a/b', 'child', { qos: 1 });
  const got = await inbox(client).waitFor(2);
  assert.deepEqual(
    got.map((m) => m.topic),
    ['a/', 'a/b'],
  );
  await inbox(client).quiet(100);
});

test('R-3 / DIFF-11: retained messages only for an exact-match filter', async (t) => {
  const broker = await startTestBroker(t, { profile });
  const url = broker.urls.mqtt as string;
  const pub = await connect(t, url, { clientId: 'r-pub' });
  await pub.publishAsync('r/x', 'kept', { qos: 1, retain: true });
  const wild = await connect(t, url, { clientId: 'wild' });
  await wild.subscribeAsync('r/+', { qos: 1 });
  await inbox(wild).quiet(200);
  const exact = await connect(t, url, { clientId: 'exact' });
  await exact.subscribeAsync('r/x', { qos: 1 });
  const msg = await inbox(exact).next();
  assert.equal(msg.payload.toString(), 'kept');
  assert.equal(msg.retain, true);
});

for (const topic of ['$share/g/t', '$foo/bar']) {
  test(`SS-13, T-4: publishing to ${topic} disconnects the publisher`, async (t) => {
    const broker = await startTestBroker(t, { profile });
    const client = await connect(t, broker.urls.mqtt as string, { clientId: 'res', protocolVersion: 5 });
    let reason: number | undefined;
    client.on('disconnect', (p) => {
      reason = p.reasonCode;
    });
    const done = closed(client);
    client.publish(topic, 'x', { qos: 1 });
    await done;
    assert.equal(reason, 0x90);
  });
}

test('P-1: a payload over 128 KB disconnects the client; 128 KB passes', async (t) => {
  const broker = await startTestBroker(t, { profile });
  const client = await connect(t, broker.urls.mqtt as string, { clientId: 'big' });
  await client.publishAsync('p', Buffer.alloc(131_072), { qos: 1 });
  const done = closed(client);
  client.publish('p', Buffer.alloc(131_073), { qos: 1 });
  await done;
});

test('K-1, K-2: keep alive clamped to 30..1200 and echoed as Server Keep Alive', async (t) => {
  const broker = await startTestBroker(t, { profile });
  const url = broker.urls.mqtt as string;
  const low = await connectForAck(t, url, { clientId: 'k1', protocolVersion: 5, keepalive: 5 });
  assert.equal(propsOf(low.connack)['serverKeepAlive'], 30);
  const zero = await connectForAck(t, url, { clientId: 'k2', protocolVersion: 5, keepalive: 0 });
  assert.equal(propsOf(zero.connack)['serverKeepAlive'], 1200);
  const ok = await connectForAck(t, url, { clientId: 'k3', protocolVersion: 5, keepalive: 60 });
  assert.equal(propsOf(ok.connack)['serverKeepAlive'], undefined);
});

test('M5-2: a Subscription Identifier → DISCONNECT 0xA1', async (t) => {
  const broker = await startTestBroker(t, { profile });
  const client = await connect(t, broker.urls.mqtt as string, { clientId: 'sid', protocolVersion: 5 });
  let reason: number | undefined;
  client.on('disconnect', (p) => {
    reason = p.reasonCode;
  });
  const done = closed(client);
  // Written by hand: MQTT.js drops the identifier when the broker says it is unavailable.
  // SUBSCRIBE id 1, properties: 0x0B subscription identifier 5; filter "x" QoS 1.
  client.stream.write(Buffer.from([0x82, 0x09, 0x00, 0x01, 0x02, 0x0b, 0x05, 0x00, 0x01, 0x78, 0x01]));
  await done;
  assert.equal(reason, 0xa1);
});

test('C-2: empty client id gets $GEN/<uuid>; that id cannot be used to connect (0x85)', async (t) => {
  const broker = await startTestBroker(t, { profile });
  const url = broker.urls.mqtt as string;
  const { connack } = await connectForAck(t, url, { clientId: '', protocolVersion: 5 });
  const assigned = String(propsOf(connack)['assignedClientIdentifier']);
  assert.match(assigned, /^\$GEN\/[0-9a-f-]{36}$/);
  const again = await connectForAck(t, url, { clientId: assigned, protocolVersion: 5 });
  assert.ok(again.error);
  assert.equal(again.connack?.['reasonCode'], 0x85);
});

test('PS-5: an MQTT 3.1.1 session is not resumed by an MQTT 5 connection', async (t) => {
  const broker = await startTestBroker(t, { profile });
  const url = broker.urls.mqtt as string;
  const v3 = await connect(t, url, { clientId: 'ps5', clean: false });
  await v3.endAsync();
  const v5 = await connectForAck(t, url, {
    clientId: 'ps5',
    protocolVersion: 5,
    clean: false,
    properties: { sessionExpiryInterval: 60 },
  });
  assert.equal(v5.connack?.['sessionPresent'], false);
  const v3again = await connectForAck(t, url, { clientId: 'ps5-b', clean: false });
  await v3again.client.endAsync();
  const resumed = await connectForAck(t, url, { clientId: 'ps5-b', clean: false });
  assert.equal(resumed.connack?.['sessionPresent'], true);
});

test('PS-3: MQTT 5 session expiry above 7 days is capped and echoed in CONNACK', async (t) => {
  const broker = await startTestBroker(t, { profile });
  const { connack } = await connectForAck(t, broker.urls.mqtt as string, {
    clientId: 'ps3',
    protocolVersion: 5,
    clean: false,
    properties: { sessionExpiryInterval: 10_000_000 },
  });
  assert.equal(propsOf(connack)['sessionExpiryInterval'], 604_800);
});

test('SS-14 / M5-7: No Local is ignored on plain subscriptions', async (t) => {
  const broker = await startTestBroker(t, { profile });
  const client = await connect(t, broker.urls.mqtt as string, { clientId: 'nl', protocolVersion: 5 });
  await client.subscribeAsync('nl', { qos: 1, nl: true } as never);
  await client.publishAsync('nl', 'echo', { qos: 1 });
  assert.equal((await inbox(client).next()).payload.toString(), 'echo');
});

test('C-4 (realistic): a second CONNECT within a second for the same client id is refused', async (t) => {
  const broker = await startTestBroker(t, { profile, settings: { realistic: true } });
  const url = broker.urls.mqtt as string;
  const first = await connect(t, url, { clientId: 'fast', protocolVersion: 5 });
  await first.endAsync();
  const second = await connectForAck(t, url, { clientId: 'fast', protocolVersion: 5 });
  assert.equal(second.connack?.['reasonCode'], 0x97);
});

test('M5-9: Message Expiry Interval 0 is raised to 1 s', async (t) => {
  const broker = await startTestBroker(t, { profile });
  const client = await connect(t, broker.urls.mqtt as string, { clientId: 'mei', protocolVersion: 5 });
  await client.subscribeAsync('mei', { qos: 1 });
  await client.publishAsync('mei', 'x', { qos: 1, properties: { messageExpiryInterval: 0 } });
  const msg = await inbox(client).next();
  assert.equal(msg.properties?.messageExpiryInterval, 1);
});

function propsOf(connack: Record<string, unknown> | undefined): Record<string, unknown> {
  return (connack?.['properties'] ?? {}) as Record<string, unknown>;
}

test('PS-7 (realistic): stored messages are sent at 10/s after a resume', async (t) => {
  const broker = await startTestBroker(t, { profile, settings: { realistic: true } });
  const url = broker.urls.mqtt as string;
  const sub = await connect(t, url, { clientId: 'ps7', clean: false });
  await sub.subscribeAsync('ps7', { qos: 1 });
  await sub.endAsync();
  const pub = await connect(t, url, { clientId: 'ps7-pub' });
  for (let i = 0; i < 6; i++) await pub.publishAsync('ps7', `m${i}`, { qos: 1 });
  await delay(1000);
  const back = await connectForAck(t, url, { clientId: 'ps7', clean: false });
  const started = Date.now();
  const got = await inbox(back.client).waitFor(6, 3000);
  const elapsed = Date.now() - started;
  assert.deepEqual(
    got.map((m) => m.payload.toString()),
    ['m0', 'm1', 'm2', 'm3', 'm4', 'm5'],
  );
  assert.ok(elapsed >= 450, `6 stored messages at 10/s took ${elapsed} ms`);
});

test('POL-10, SS-2: an invalid filter gets SUBACK 0x8F on MQTT 5 and closes an MQTT 3.1.1 connection', async (t) => {
  const broker = await startTestBroker(t, { profile });
  const url = broker.urls.mqtt as string;
  const v5 = await connect(t, url, { clientId: 'f5', protocolVersion: 5 });
  await assert.rejects(v5.subscribeAsync('$share//a'), /Topic Filter invalid/);
  assert.equal(v5.connected, true);
  const v3 = await connect(t, url, { clientId: 'f3' });
  const done = closed(v3);
  v3.subscribe('$share//a', { qos: 0 });
  await done;
});
