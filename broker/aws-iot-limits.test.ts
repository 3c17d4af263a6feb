/**
 * Topic and shared-subscription limits of the aws-iot profile: T-3 / QUO-17 (256 bytes, 7 slashes,
 * Basic Ingest prefix excluded), SS-3 ($share prefix excluded), SS-2 (ShareName / TopicFilter
 * lengths), SS-11 (members per group).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MqttClient } from 'mqtt';
import type { Packet } from 'mqtt-packet';
import { closed, connect, inbox, startTestBroker, withTimeout } from './_test-helpers.js';

const profile = 'aws-iot' as const;

/** Sends one SUBSCRIBE and resolves with the SUBACK reason codes. */
function subackCodes(client: MqttClient, filter: string, qos: 0 | 1 = 1): Promise<number[]> {
  return withTimeout(
    new Promise<number[]>((resolve) => {
      const onPacket = (packet: Packet): void => {
        if (packet.cmd !== 'suback') return;
        client.off('packetreceive', onPacket);
        resolve(packet.granted as number[]);
      };
      client.on('packetreceive', onPacket);
      client.subscribe(filter, { qos }, () => {});
    }),
    2000,
    `SUBACK for ${filter}`,
  );
}

/** Publishes QoS 1 and resolves with the PUBACK reason code. */
function pubackCode(client: MqttClient, topic: string): Promise<number> {
  return withTimeout(
    new Promise<number>((resolve) => {
      const onPacket = (packet: Packet): void => {
        if (packet.cmd !== 'puback') return;
        client.off('packetreceive', onPacket);
        resolve(packet.reasonCode ?? 0);
      };
      client.on('packetreceive', onPacket);
      client.publish(topic, 'x', { qos: 1 }, () => {});
    }),
    2000,
    `PUBACK for ${topic.slice(0, 40)}`,
  );
}

const levels = (n: number): string => Array.from({ length: n }, (_, i) => `l${i}`).join('/');

test('T-3, QUO-17: MQTT 5 PUBLISH over 256 bytes or 7 slashes gets PUBACK 0x90 and is not delivered', async (t) => {
  const broker = await startTestBroker(t, { profile });
  const url = broker.urls.mqtt as string;
  const sub = await connect(t, url, { clientId: 'sub', protocolVersion: 5 });
  await sub.subscribeAsync('#', { qos: 1 });
  const pub = await connect(t, url, { clientId: 'pub', protocolVersion: 5 });

  assert.equal(await pubackCode(pub, 'a'.repeat(256)), 0);
  assert.equal(await pubackCode(pub, 'a'.repeat(257)), 0x90);
  assert.equal(await pubackCode(pub, levels(8)), 0, '7 slashes are allowed');
  assert.equal(await pubackCode(pub, levels(9)), 0x90, '8 slashes are not');
  // The Basic Ingest prefix $aws/rules/{rule}/ is not counted (T-3).
  assert.equal(await pubackCode(pub, `$aws/rules/myrule/${levels(8)}`), 0);
  assert.equal(await pubackCode(pub, `$aws/rules/myrule/${levels(9)}`), 0x90);

  const received = await inbox(sub).waitFor(2);
  await inbox(sub).quiet(200);
  assert.deepEqual(
    received.map((m) => m.topic),
    ['a'.repeat(256), levels(8)],
  );
  assert.equal(pub.connected, true, 'MQTT 5 publisher stays connected');
});

test('T-3: MQTT 3.1.1 PUBLISH to a 257-byte topic closes the connection', async (t) => {
  const broker = await startTestBroker(t, { profile });
  const pub = await connect(t, broker.urls.mqtt as string, { clientId: 'pub3' });
  const done = closed(pub);
  pub.publish('b'.repeat(257), 'x', { qos: 1 });
  await done;
});

test('T-3, SS-3: filters over 7 slashes get SUBACK 0x8F (v5) or close (v3.1.1); the $share prefix is not counted', async (t) => {
  const broker = await startTestBroker(t, { profile });
  const url = broker.urls.mqtt as string;
  const v5 = await connect(t, url, { clientId: 'f5', protocolVersion: 5 });
  assert.deepEqual(await subackCodes(v5, levels(8)), [1]);
  assert.deepEqual(await subackCodes(v5, levels(9)), [0x8f]);
  assert.deepEqual(await subackCodes(v5, `${'f'.repeat(255)}/#`), [0x8f], '257 bytes');
  // SS-3: `$share/g/a/b/c/d/e/f/g/h` has 7 slashes after the prefix: valid.
  assert.deepEqual(await subackCodes(v5, '$share/g/a/b/c/d/e/f/g/h'), [1]);
  assert.deepEqual(await subackCodes(v5, '$share/g/a/b/c/d/e/f/g/h/i'), [0x8f]);
  assert.equal(v5.connected, true);

  const v3 = await connect(t, url, { clientId: 'f3' });
  const done = closed(v3);
  v3.subscribe(levels(9), { qos: 1 }, () => {});
  await done;
});

test('SS-2: ShareName over 128 characters or TopicFilter over 256 is an invalid filter (SUBACK 0x8F)', async (t) => {
  const broker = await startTestBroker(t, { profile });
  const client = await connect(t, broker.urls.mqtt as string, { clientId: 'sn', protocolVersion: 5 });
  assert.deepEqual(await subackCodes(client, `$share/${'g'.repeat(128)}/a`), [1]);
  assert.deepEqual(await subackCodes(client, `$share/${'g'.repeat(129)}/a`), [0x8f]);
  // Characters, not bytes: 128 two-byte characters are still allowed.
  assert.deepEqual(await subackCodes(client, `$share/${'é'.repeat(128)}/a`), [1]);
  assert.deepEqual(await subackCodes(client, `$share/g/${'t'.repeat(256)}`), [1]);
  assert.deepEqual(await subackCodes(client, `$share/g/${'t'.repeat(257)}`), [0x8f]);
  assert.deepEqual(await subackCodes(client, '$share//a'), [0x8f]);
});

test('SS-11: a full shared group refuses a new member (SUBACK 0x97 on MQTT 5, 0x80 on 3.1.1)', async (t) => {
  const broker = await startTestBroker(t, { profile, settings: { maxSharedSubscribersPerGroup: 2 } });
  const url = broker.urls.mqtt as string;
  const filter = '$share/full/q/t';
  const a = await connect(t, url, { clientId: 'm-a', protocolVersion: 5 });
  const b = await connect(t, url, { clientId: 'm-b' });
  assert.deepEqual(await subackCodes(a, filter), [1]);
  assert.deepEqual(await subackCodes(b, filter), [1]);
  const c5 = await connect(t, url, { clientId: 'm-c', protocolVersion: 5 });
  const c3 = await connect(t, url, { clientId: 'm-d' });
  assert.deepEqual(await subackCodes(c5, filter), [0x97]);
  assert.deepEqual(await subackCodes(c3, filter), [0x80]);
  // A member subscribing again is not a new member; another group is not affected.
  assert.deepEqual(await subackCodes(a, filter), [1]);
  assert.deepEqual(await subackCodes(c5, '$share/other/q/t'), [1]);
  assert.equal(broker.stats().groups['full/q/t']?.members, 2);
  // A place freed by an unsubscribe can be taken.
  await b.unsubscribeAsync(filter);
  assert.deepEqual(await subackCodes(c3, filter), [1]);
});

test('T-3, SS-11: the mosquitto profile has none of these limits', async (t) => {
  const broker = await startTestBroker(t, { profile: 'mosquitto' });
  const url = broker.urls.mqtt as string;
  const client = await connect(t, url, { clientId: 'free', protocolVersion: 5 });
  assert.deepEqual(await subackCodes(client, levels(20)), [1]);
  assert.deepEqual(await subackCodes(client, `$share/${'g'.repeat(300)}/a`), [1]);
  // 0x10 No matching subscribers (Mosquitto), not 0x90.
  assert.equal(await pubackCode(client, 'c'.repeat(1000)), 0x10);
});
