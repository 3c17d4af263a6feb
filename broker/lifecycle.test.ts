/**
 * Lifecycle events of the aws-iot profile (LC-1..LC-8), subscribe-only event topics (T-4).
 */
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { WebSocket } from 'ws';
import { ensureCertificates, issueClientCertificate } from '../runner/certs.js';
import {
  closed,
  connect,
  connectForAck,
  delay,
  dropConnection,
  inbox,
  rawClient,
  startTestBroker,
  withTimeout,
} from './_test-helpers.js';

const profile = 'aws-iot' as const;

type Event = Record<string, unknown> & { topic: string };

/** A watcher on every lifecycle topic; `event(topic)` waits for the next one on that topic. */
async function watch(t: Parameters<typeof connect>[0], url: string) {
  const watcher = await connect(t, url, { clientId: 'watcher', protocolVersion: 5 });
  await watcher.subscribeAsync('$aws/events/#', { qos: 1 });
  const box = inbox(watcher);
  const events = (): Event[] =>
    box.messages.map((m) => ({
      topic: m.topic,
      ...(JSON.parse((m.payload as Buffer).toString()) as Record<string, unknown>),
    }));
  let consumed = 0;
  return {
    events,
    /** The next event (in arrival order) on `topic`, within a bound. */
    async event(topic: string, timeoutMs = 2000): Promise<Event> {
      const found = (): Event | undefined => {
        const all = events();
        for (let i = consumed; i < all.length; i++) {
          if (all[i]?.topic === topic) {
            consumed = i + 1;
            return all[i];
          }
        }
        return undefined;
      };
      return withTimeout(
        (async () => {
          for (;;) {
            const hit = found();
            if (hit) return hit;
            await delay(10);
          }
        })(),
        timeoutMs,
        `lifecycle event on ${topic}`,
      );
    },
  };
}

test('LC-1, LC-2, LC-3, LC-5, LC-7, SS-17: connected, subscribed, unsubscribed, disconnected with their fields', async (t) => {
  const broker = await startTestBroker(t, { profile });
  const url = broker.urls.mqtt as string;
  const w = await watch(t, url);

  const device = await connect(t, url, { clientId: 'dev-1', protocolVersion: 5, username: 'alice' });
  const connected = await w.event('$aws/events/presence/connected/dev-1');
  assert.equal(connected['eventType'], 'connected');
  assert.equal(connected['clientId'], 'dev-1');
  assert.equal(connected['versionNumber'], 1);
  assert.equal(connected['principalIdentifier'], 'alice');
  assert.equal(connected['ipAddress'], '127.0.0.1');
  assert.match(String(connected['sessionIdentifier']), /^[0-9a-f-]{36}$/);
  assert.ok(Math.abs(Number(connected['timestamp']) - Date.now()) < 5000);

  await device.subscribeAsync({ 'a/b': { qos: 1 }, '$share/g/c/#': { qos: 0 } });
  const subscribed = await w.event('$aws/events/subscriptions/subscribed/dev-1');
  assert.equal(subscribed['eventType'], 'subscribed');
  // SS-17: the shared filter appears in full.
  assert.deepEqual(subscribed['topics'], ['a/b', '$share/g/c/#']);
  assert.equal(subscribed['sessionIdentifier'], connected['sessionIdentifier']);

  await device.unsubscribeAsync('a/b');
  const unsubscribed = await w.event('$aws/events/subscriptions/unsubscribed/dev-1');
  assert.deepEqual(unsubscribed['topics'], ['a/b']);

  await device.endAsync();
  const disconnected = await w.event('$aws/events/presence/disconnected/dev-1');
  assert.equal(disconnected['eventType'], 'disconnected');
  assert.equal(disconnected['clientInitiatedDisconnect'], true);
  assert.equal(disconnected['disconnectReason'], 'CLIENT_INITIATED_DISCONNECT');
  // LC-5: the disconnect carries the version of its connect; LC-3: no ipAddress.
  assert.equal(disconnected['versionNumber'], 1);
  assert.equal(disconnected['ipAddress'], undefined);
  assert.equal(disconnected['sessionIdentifier'], connected['sessionIdentifier']);

  await connect(t, url, { clientId: 'dev-1', protocolVersion: 5 });
  const again = await w.event('$aws/events/presence/connected/dev-1');
  assert.equal(again['versionNumber'], 2);
  // A new clean session is a new session identifier.
  assert.notEqual(again['sessionIdentifier'], connected['sessionIdentifier']);
});

test('LC-4: CONNECTION_LOST, DUPLICATE_CLIENTID (old connection) and CLIENT_ERROR', async (t) => {
  const broker = await startTestBroker(t, { profile });
  const url = broker.urls.mqtt as string;
  const w = await watch(t, url);

  const lost = await connect(t, url, { clientId: 'lost' });
  await w.event('$aws/events/presence/connected/lost');
  dropConnection(lost);
  const lostEvent = await w.event('$aws/events/presence/disconnected/lost');
  assert.equal(lostEvent['disconnectReason'], 'CONNECTION_LOST');
  assert.equal(lostEvent['clientInitiatedDisconnect'], false);

  await connect(t, url, { clientId: 'twin', protocolVersion: 5 });
  await w.event('$aws/events/presence/connected/twin');
  await connect(t, url, { clientId: 'twin', protocolVersion: 5 });
  const duplicate = await w.event('$aws/events/presence/disconnected/twin');
  assert.equal(duplicate['disconnectReason'], 'DUPLICATE_CLIENTID');
  assert.equal(duplicate['versionNumber'], 1);
  const second = await w.event('$aws/events/presence/connected/twin');
  assert.equal(second['versionNumber'], 2);

  const rude = await connect(t, url, { clientId: 'rude', protocolVersion: 5 });
  await w.event('$aws/events/presence/connected/rude');
  const done = closed(rude);
  // QoS 2 PUBLISH written by hand (Q-2: DISCONNECT 0x9B), a client error.
  rude.stream.write(Buffer.from([0x34, 0x06, 0x00, 0x01, 0x78, 0x00, 0x01, 0x00]));
  await done;
  const error = await w.event('$aws/events/presence/disconnected/rude');
  assert.equal(error['disconnectReason'], 'CLIENT_ERROR');
  assert.equal(error['clientInitiatedDisconnect'], false);
});

test('LC-8: resuming a persistent session emits connected but no subscribed event', async (t) => {
  const broker = await startTestBroker(t, { profile });
  const url = broker.urls.mqtt as string;
  const w = await watch(t, url);
  const first = await connect(t, url, { clientId: 'keeper', clean: false });
  await first.subscribeAsync('k/t', { qos: 1 });
  await w.event('$aws/events/subscriptions/subscribed/keeper');
  await first.endAsync();
  await w.event('$aws/events/presence/disconnected/keeper');
  const { connack } = await connectForAck(t, url, { clientId: 'keeper', clean: false });
  assert.equal(connack?.['sessionPresent'], true);
  const resumed = await w.event('$aws/events/presence/connected/keeper');
  assert.equal(resumed['versionNumber'], 2);
  await delay(200);
  const subscribedEvents = w
    .events()
    .filter((e) => e.topic === '$aws/events/subscriptions/subscribed/keeper');
  assert.equal(subscribedEvents.length, 1, 'only the SUBSCRIBE of the first connection');
});

test('LC-6: a connect refused by the authorizer emits connect_failed', async (t) => {
  const broker = await startTestBroker(t, {
    profile,
    authorize: { connect: (client) => client.clientId !== 'intruder' },
  });
  const url = broker.urls.mqtt as string;
  const w = await watch(t, url);
  const { connack } = await connectForAck(t, url, { clientId: 'intruder', protocolVersion: 5 });
  assert.equal(connack?.['reasonCode'], 0x87);
  const failed = await w.event('$aws/events/presence/connect_failed/intruder');
  assert.equal(failed['eventType'], 'connect_failed');
  assert.equal(failed['connectFailureReason'], 'AUTHORIZATION_FAILED');
  // Never connected, so never disconnected.
  await delay(200);
  assert.equal(
    w.events().some((e) => e.topic === '$aws/events/presence/disconnected/intruder'),
    false,
  );
});

test('LC-1, T-4: event topics are subscribe-only; ids with + or # produce no events', async (t) => {
  const broker = await startTestBroker(t, { profile });
  const url = broker.urls.mqtt as string;
  const w = await watch(t, url);
  const forger = await connect(t, url, { clientId: 'forger', protocolVersion: 5 });
  await w.event('$aws/events/presence/connected/forger');
  let reason: number | undefined;
  forger.on('disconnect', (p) => {
    reason = p.reasonCode;
  });
  const done = closed(forger);
  forger.publish('$aws/events/presence/connected/someone', '{"eventType":"connected"}', { qos: 1 });
  await done;
  assert.equal(reason, 0x90);
  await w.event('$aws/events/presence/disconnected/forger');
  assert.equal(
    w.events().some((e) => e.topic === '$aws/events/presence/connected/someone'),
    false,
    'the forged event was not delivered',
  );

  const odd: MqttClient = await connect(t, url, { clientId: 'odd+id' });
  await odd.subscribeAsync('x', { qos: 0 });
  await odd.endAsync();
  await delay(200);
  assert.equal(
    w.events().some((e) => String(e['clientId']).includes('+')),
    false,
  );
});

test('LC-1: the mosquitto profile publishes no lifecycle events', async (t) => {
  const broker = await startTestBroker(t, { profile: 'mosquitto' });
  const url = broker.urls.mqtt as string;
  const w = await watch(t, url);
  const device = await connect(t, url, { clientId: 'plain' });
  await device.subscribeAsync('p', { qos: 0 });
  await device.endAsync();
  await delay(200);
  assert.deepEqual(w.events(), []);
});

test('LC-4: MQTT_KEEP_ALIVE_TIMEOUT after 1.5 x keep alive of silence, AUTH_ERROR on a refused publish that disconnects', async (t) => {
  // minKeepAlive lowered so the timeout takes 1.5 s instead of K-1's 45 s.
  const broker = await startTestBroker(t, {
    profile,
    settings: { minKeepAlive: 0 },
    authorize: {
      publish: (_client, topic) =>
        topic.startsWith('forbidden/') ? { allow: false, disconnect: true } : true,
    },
  });
  const url = broker.urls.mqtt as string;
  const w = await watch(t, url);

  const silent = await rawClient(t, url);
  // CONNECT, MQTT 3.1.1, client id "sleepy", keep alive 1 s; then nothing, not even PINGREQ.
  silent.write(
    Buffer.from([
      0x10,
      0x12,
      0x00,
      0x04,
      0x4d,
      0x51,
      0x54,
      0x54,
      0x04,
      0x02,
      0x00,
      0x01,
      0x00,
      0x06,
      ...Buffer.from('sleepy'),
    ]),
  );
  await w.event('$aws/events/presence/connected/sleepy');
  const timeout = await w.event('$aws/events/presence/disconnected/sleepy', 4000);
  assert.equal(timeout['disconnectReason'], 'MQTT_KEEP_ALIVE_TIMEOUT');
  assert.equal(timeout['clientInitiatedDisconnect'], false);

  const bad = await connect(t, url, { clientId: 'bad' });
  await w.event('$aws/events/presence/connected/bad');
  const done = closed(bad);
  bad.publish('forbidden/x', 'x', { qos: 1 });
  await done;
  const refused = await w.event('$aws/events/presence/disconnected/bad');
  assert.equal(refused['disconnectReason'], 'AUTH_ERROR');
});

test('LC-5: versionNumber starts again at 1 once the client id was unseen for the reset period', async (t) => {
  const broker = await startTestBroker(t, { profile, settings: { lifecycleVersionResetSeconds: 0.3 } });
  const url = broker.urls.mqtt as string;
  const w = await watch(t, url);
  const first = await connect(t, url, { clientId: 'returning' });
  assert.equal((await w.event('$aws/events/presence/connected/returning'))['versionNumber'], 1);
  await first.endAsync();
  await w.event('$aws/events/presence/disconnected/returning');
  // Back within the period: the number goes on.
  const second = await connect(t, url, { clientId: 'returning' });
  assert.equal((await w.event('$aws/events/presence/connected/returning'))['versionNumber'], 2);
  await second.endAsync();
  await w.event('$aws/events/presence/disconnected/returning');
  await delay(400);
  await connect(t, url, { clientId: 'returning' });
  assert.equal((await w.event('$aws/events/presence/connected/returning'))['versionNumber'], 1);
});

/** A raw WebSocket MQTT client: binary CONNECT, resolves once the CONNACK came back. */
async function wsConnect(url: string, clientId: string): Promise<WebSocket> {
  const ws = new WebSocket(url, 'mqtt');
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      ws.once('open', () => {
        ws.send(
          mqttPacket.generate({ cmd: 'connect', clientId, protocolVersion: 4, clean: true, keepalive: 60 }),
        );
      });
      ws.once('message', () => resolve());
      ws.once('error', reject);
    }),
    3000,
    'CONNACK over WebSocket',
  );
  return ws;
}

test('LC-4: a WebSocket Close from the client is CLIENT_INITIATED_DISCONNECT, not CONNECTION_LOST', async (t) => {
  const broker = await startTestBroker(t, { profile, listeners: { mqtt: {}, ws: {} } });
  const watcher = await watch(t, broker.urls.mqtt as string);
  const ws = await wsConnect(broker.urls.ws as string, 'ws-client');
  t.after(() => ws.terminate());
  await watcher.event('$aws/events/presence/connected/ws-client');
  ws.close(1000, 'bye');
  const event = await watcher.event('$aws/events/presence/disconnected/ws-client');
  assert.equal(event['disconnectReason'], 'CLIENT_INITIATED_DISCONNECT');
  assert.equal(event['clientInitiatedDisconnect'], true);
});

test('a WebSocket text frame closes the connection [MQTT-6.0.0-1]', async (t) => {
  const broker = await startTestBroker(t, { profile, listeners: { mqtt: {}, ws: {} } });
  const ws = await wsConnect(broker.urls.ws as string, 'texter');
  t.after(() => ws.terminate());
  const closedWith = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  ws.send('not mqtt');
  assert.equal(await withTimeout(closedWith, 3000, 'close'), 1003);
});

test('LC-2, LC-7: thingName when the client id is the thing name of its mTLS certificate', async (t) => {
  const set = await ensureCertificates(join(tmpdir(), 'mqscen-broker-test-certs'));
  const device = await issueClientCertificate(set, { commonName: 'thing-7', write: false });
  const broker = await startTestBroker(t, {
    profile,
    listeners: {
      mqtt: {},
      mqtts: { cert: set.serverCert, key: set.serverKey, ca: set.caCert, requireClientCert: true },
    },
  });
  const watcher = await watch(t, broker.urls.mqtt as string);
  const tls = { ca: set.caCert, rejectUnauthorized: true, cert: device.cert, key: device.key };
  const thing = await connect(t, broker.urls.mqtts as string, { clientId: 'thing-7', ...tls });
  const connected = await watcher.event('$aws/events/presence/connected/thing-7');
  assert.equal(connected['thingName'], 'thing-7');
  await thing.subscribeAsync('t/7', { qos: 1 });
  assert.equal((await watcher.event('$aws/events/subscriptions/subscribed/thing-7'))['thingName'], 'thing-7');
  // Another client id on the same certificate is not the thing.
  await connect(t, broker.urls.mqtts as string, { clientId: 'other-7', ...tls });
  assert.equal((await watcher.event('$aws/events/presence/connected/other-7'))['thingName'], undefined);
});
