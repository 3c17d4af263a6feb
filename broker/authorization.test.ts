/**
 * The authorization seam on every path, both profiles: a subscribe rule governs the filter inside
 * `$share/{group}/`, and `receive` is judged at delivery time — live, queued for an offline session
 * and leaving on resume, and dealt to a shared group member (POL-2 "every delivery", POL-5).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IClientOptions } from 'mqtt';
import { connect, delay, inbox, startTestBroker } from './_test-helpers.js';
import { createAclAuthorizer } from './acl.js';
import type { DeliveryRequest } from './authorizer.js';
import type { ProfileName } from './profiles/settings.js';

const PROFILES: ProfileName[] = ['mosquitto', 'aws-iot'];

const persistent = (clientId: string): IClientOptions => ({
  clientId,
  protocolVersion: 5,
  clean: false,
  properties: { sessionExpiryInterval: 300 },
});

/** `deaf` may subscribe to anything but receives nothing under `secret/`; nobody subscribes to `secret/#`. */
function acl() {
  return createAclAuthorizer({
    rules: [
      { action: 'subscribe', topic: 'forbidden/#', allow: false },
      { action: 'receive', clientId: 'deaf', topic: 'secret/#', allow: false },
    ],
  });
}

async function stopReading(client: { endAsync(): Promise<void> }): Promise<void> {
  await client.endAsync();
  await delay(50);
}

for (const profile of PROFILES) {
  test(`${profile}: a subscribe deny on forbidden/# also refuses $share/g/forbidden/# (SUBACK 0x87)`, async (t) => {
    const seen: Array<{ filter: string; topicFilter: string; shareName?: string }> = [];
    const rules = acl();
    const broker = await startTestBroker(t, {
      profile,
      authorize: {
        ...rules,
        subscribe: (client, filter, info) => {
          seen.push({ filter, ...info });
          return rules.subscribe?.(client, filter, info) ?? true;
        },
      },
    });
    const client = await connect(t, broker.urls.mqtt as string, { clientId: 'c', protocolVersion: 5 });
    const granted: number[] = [];
    client.on('packetreceive', (p) => {
      if (p.cmd === 'suback') granted.push(...(p.granted as number[]));
    });
    await client
      .subscribeAsync({ '$share/g/forbidden/#': { qos: 1 }, '$share/g/open/#': { qos: 1 } })
      .catch(() => undefined);
    assert.deepEqual(granted, [0x87, 1]);
    // POL-4: the seam sees the filter as sent and the filter inside the share.
    assert.deepEqual(seen[0], {
      filter: '$share/g/forbidden/#',
      topicFilter: 'forbidden/#',
      qos: 1,
      shareName: 'g',
    });
  });

  test(`${profile}: receive deny applies to live deliveries and to retained messages on subscribe`, async (t) => {
    const broker = await startTestBroker(t, { profile, authorize: acl() });
    const url = broker.urls.mqtt as string;
    const pub = await connect(t, url, { clientId: 'pub', protocolVersion: 5 });
    await pub.publishAsync('secret/r', 'retained', { qos: 1, retain: true });
    const deaf = await connect(t, url, { clientId: 'deaf', protocolVersion: 5 });
    await deaf.subscribeAsync({ 'secret/r': { qos: 1 }, 'secret/live': { qos: 1 }, 'open/#': { qos: 1 } });
    await pub.publishAsync('secret/live', 'no', { qos: 1 });
    await pub.publishAsync('open/live', 'yes', { qos: 1 });
    const got = await inbox(deaf).next();
    assert.equal(got.topic, 'open/live');
    await inbox(deaf).quiet(100);
    assert.equal(broker.stats().clients['deaf']?.dropped['not-authorized'], 2);
  });

  test(`${profile}: receive deny applies to queued messages leaving on resume`, async (t) => {
    const broker = await startTestBroker(t, { profile, authorize: acl() });
    const url = broker.urls.mqtt as string;
    const first = await connect(t, url, persistent('deaf'));
    await first.subscribeAsync({ 'secret/#': { qos: 1 }, 'open/#': { qos: 1 } });
    await stopReading(first);
    const pub = await connect(t, url, { clientId: 'pub', protocolVersion: 5 });
    await pub.publishAsync('secret/q', 'no', { qos: 1 });
    await pub.publishAsync('open/q', 'yes', { qos: 1 });
    assert.equal(broker.stats().clients['deaf']?.queueLength, 2);
    const again = await connect(t, url, persistent('deaf'));
    const got = await inbox(again).next();
    assert.equal(got.topic, 'open/q');
    await inbox(again).quiet(100);
    assert.equal(broker.stats().clients['deaf']?.dropped['not-authorized'], 1);
  });

  test(`${profile}: receive deny applies to messages a shared group deals to a member`, async (t) => {
    const asked: DeliveryRequest[] = [];
    const rules = acl();
    const broker = await startTestBroker(t, {
      profile,
      authorize: {
        ...rules,
        receive: (client, topic, info) => {
          asked.push(info);
          return rules.receive?.(client, topic, info) ?? true;
        },
      },
    });
    const url = broker.urls.mqtt as string;
    // Both members persistent and offline: mosquitto keeps each member's share in its session
    // queue (round-robin), aws-iot keeps the messages in the group queue (MQ-1) and deals them on return (MQ-6).
    for (const id of ['deaf', 'ear']) {
      const member = await connect(t, url, persistent(id));
      await member.subscribeAsync('$share/g/secret/#', { qos: 1 });
      await stopReading(member);
    }
    const pub = await connect(t, url, { clientId: 'pub', protocolVersion: 5 });
    for (let i = 0; i < 4; i++) await pub.publishAsync(`secret/${i}`, String(i), { qos: 1 });
    const deaf = await connect(t, url, persistent('deaf'));
    await inbox(deaf).quiet(150);
    const ear = await connect(t, url, persistent('ear'));
    // aws-iot: the refused messages stay in the group queue and reach the other member (POL-10:
    // a refused delivery is skipped for that client only); mosquitto: the denied member's share is lost.
    const owed = profile === 'aws-iot' ? 4 : 2;
    await inbox(ear).waitFor(owed);
    await inbox(ear).quiet(100);
    assert.equal(inbox(deaf).messages.length, 0);
    assert.ok((broker.stats().clients['deaf']?.dropped['not-authorized'] ?? 0) >= 1);
    assert.ok(asked.some((info) => info.shareName === 'g' && info.filter === '$share/g/secret/#'));
  });
}
