/**
 * Backpressure instead of drops: a burst slows its publishers while the subscribers it feeds are
 * over their high-water mark; a subscriber that stops reading holds them back only for
 * slowSubscriberTimeout, then loses messages alone (`slow-consumer`); the aws-iot group queue deals
 * messages to returning members as fast as they take them (MQ-6), never past their own limits.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqttPacket from 'mqtt-packet';
import { runBurst } from '../bench/broker-burst.js';
import { connect, delay, dropConnection, inbox, rawClient, startTestBroker } from './_test-helpers.js';
import type { ProfileName } from './profiles/settings.js';

const PROFILES: ProfileName[] = ['mosquitto', 'aws-iot'];

for (const profile of PROFILES) {
  test(`${profile}: 10 publishers at full speed into one QoS 1 subscriber lose nothing (queue limit 100)`, async (t) => {
    // A small session queue makes any intake without backpressure overflow at once.
    const broker = await startTestBroker(t, { profile, settings: { maxQueuedMessages: 100 } });
    const result = await runBurst(broker.urls.mqtt as string, {
      publishers: 10,
      subscribers: 1,
      qos: 1,
      messages: 4000,
      unacked: 100,
      prefix: 'burst',
      quietMs: 3000,
    });
    const stats = broker.stats().totals;
    assert.equal(
      result.total,
      4000,
      `delivered ${result.total} of 4000; drops ${JSON.stringify(stats.dropped)}`,
    );
    assert.deepEqual(stats.dropped, {});
  });
}

test('a subscriber that stops reading holds publishers back only for slowSubscriberTimeout, then loses messages alone', async (t) => {
  const broker = await startTestBroker(t, {
    settings: { maxQueuedMessages: 200, slowSubscriberTimeout: 0.3 },
  });
  const url = broker.urls.mqtt as string;
  // A raw QoS 1 subscriber that never reads and never acknowledges.
  const stuck = await rawClient(t, url);
  stuck.pause();
  stuck.write(
    Buffer.concat([
      mqttPacket.generate({
        cmd: 'connect',
        clientId: 'stuck',
        protocolVersion: 4,
        clean: true,
        keepalive: 0,
      }),
      mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'feed', qos: 1 }] }),
    ]),
  );
  const reader = await connect(t, url, { clientId: 'reader', protocolVersion: 4 });
  await reader.subscribeAsync('feed', { qos: 1 });
  await delay(50);
  const pub = await connect(t, url, { clientId: 'pub', protocolVersion: 4 });
  for (let i = 0; i < 1000; i++) pub.publish('feed', String(i), { qos: 1 });
  // Everyone else still gets everything, within a bound well above the slow-subscriber timeout.
  await inbox(reader).waitFor(1000, 10_000);
  const stuckStats = broker.stats().clients['stuck'];
  assert.ok(
    (stuckStats?.dropped['slow-consumer'] ?? 0) > 0,
    `the stuck subscriber's excess is dropped as slow-consumer: ${JSON.stringify(stuckStats)}`,
  );
  assert.equal(stuckStats?.dropped['queue-full'], undefined);
  assert.equal(broker.stats().clients['reader']?.dropped['slow-consumer'], undefined);
});

test('aws-iot: a returning group takes a 1,000-message group queue at its own pace, without overflowing its members (MQ-6)', async (t) => {
  const broker = await startTestBroker(t, {
    profile: 'aws-iot',
    settings: { maxQueuedMessages: 20, maxInflightOut: 10 },
  });
  const url = broker.urls.mqtt as string;
  const options = (clientId: string) => ({
    clientId,
    protocolVersion: 5 as const,
    clean: false,
    properties: { sessionExpiryInterval: 300 },
  });
  for (const id of ['m1', 'm2', 'm3']) {
    const member = await connect(t, url, options(id));
    await member.subscribeAsync('$share/g/jobs', { qos: 1 });
    dropConnection(member);
  }
  await delay(50);
  const pub = await connect(t, url, { clientId: 'pub', protocolVersion: 5 });
  for (let i = 0; i < 1000; i++) pub.publish('jobs', String(i), { qos: 1 });
  await pub.publishAsync('jobs', 'last', { qos: 1 });
  assert.equal(broker.stats().groups['g/jobs']?.queueLength, 1001);
  const members = await Promise.all(['m1', 'm2', 'm3'].map((id) => connect(t, url, options(id))));
  const deadline = Date.now() + 10_000;
  const total = (): number => members.reduce((n, m) => n + inbox(m).messages.length, 0);
  while (total() < 1001 && Date.now() < deadline) await delay(20);
  const stats = broker.stats();
  assert.equal(total(), 1001, `delivered ${total()}; ${JSON.stringify(stats.clients)}`);
  assert.deepEqual(stats.totals.dropped, {});
  assert.deepEqual(stats.groups['g/jobs']?.dropped, {});
});
