/**
 * MQTT.js manual acknowledgements (`ack: never | delay`): the message is delivered to the handler
 * at once, while the broker sees the PUBACK late or never (its in-flight count for the client
 * says which), and later packets are not held up.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startBroker } from '../../broker/index.js';
import { mqttjsTransport } from './mqttjs.js';
import type { ConnectOptions, ReceivedMessage } from './transport.js';

async function setup(t: test.TestContext, acks: ConnectOptions['acks'], id: string) {
  const broker = await startBroker({ profile: 'mosquitto' });
  t.after(() => broker.close());
  const url = broker.urls.mqtt as string;
  const base = { url, protocol: '5' as const, clean: true, keepalive: 30, connectTimeoutMs: 5000 };
  const sub = await mqttjsTransport.connect({
    ...base,
    clientId: `${id}-sub`,
    ...(acks === undefined ? {} : { acks }),
  });
  t.after(() => sub.disconnect({ how: 'abrupt' }));
  const pub = await mqttjsTransport.connect({ ...base, clientId: `${id}-pub` });
  t.after(() => pub.disconnect({ how: 'abrupt' }));
  const got: ReceivedMessage[] = [];
  let wake: () => void = () => undefined;
  sub.on('message', (m) => {
    got.push(m);
    wake();
  });
  await sub.subscribe([{ filter: `acks/${id}`, qos: 1 }]);
  const received = (n: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${got.length} of ${n} messages`)), 3000);
      wake = () => {
        if (got.length >= n) {
          clearTimeout(timer);
          resolve();
        }
      };
      wake();
    });
  const inflight = () => broker.stats().clients[`${id}-sub`]?.inflight ?? -1;
  const publish = (text: string) =>
    pub.publish({ topic: `acks/${id}`, payload: new TextEncoder().encode(text), qos: 1, retain: false });
  return { received, inflight, publish };
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('ack: never: messages reach the handler, the broker keeps them all in flight', async (t) => {
  const s = await setup(t, 'never', 'never');
  for (const n of [1, 2, 3]) await s.publish(`m${n}`);
  await s.received(3);
  await settle(200);
  assert.equal(s.inflight(), 3);
});

test('ack: delay: the PUBACK comes that late', async (t) => {
  const s = await setup(t, { delayMs: 500 }, 'delay');
  await s.publish('m1');
  await s.received(1);
  await settle(100);
  assert.equal(s.inflight(), 1, 'not acknowledged yet');
  await settle(800);
  assert.equal(s.inflight(), 0, 'acknowledged after the delay');
});

test('ack: auto (default) acknowledges at once', async (t) => {
  const s = await setup(t, undefined, 'auto');
  await s.publish('m1');
  await s.received(1);
  await settle(200);
  assert.equal(s.inflight(), 0);
});
