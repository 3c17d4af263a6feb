/**
 * `identity: none` sends the payload bytes exactly as written: a text, a size, and the empty
 * payload that deletes a retained message [MQTT-3.3.1-6] [MQTT-3.3.1-7], seen by a plain MQTT.js
 * client beside the scenario on the embedded broker (both profiles keep retained messages).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { startEmbeddedTarget } from '../../targets/embedded.js';
import { client, scenario } from '../../verdict/_fixtures.js';
import { runScenario } from '../run-scenario.js';

const quietReporter = {};

test('identity: none publishes the exact bytes; an empty retained payload deletes the retained message', async (t) => {
  const target = await startEmbeddedTarget({ profile: 'mosquitto' });
  t.after(() => target.close());
  const prefix = `exact-${process.pid}`;
  const observer = await mqtt.connectAsync(target.urls.mqtt, {
    clientId: `${prefix}-observer`,
    reconnectPeriod: 0,
  });
  t.after(() => observer.endAsync(true));
  const seen: Array<{ topic: string; payload: string; retain: boolean }> = [];
  observer.on('message', (topic, payload, packet) => {
    seen.push({ topic, payload: payload.toString('latin1'), retain: packet.retain });
  });
  await observer.subscribeAsync(`${prefix}/live/#`, { qos: 1 });

  const s = scenario({
    clients: [client('a', { clientId: `${prefix}-a` })],
    steps: [
      { kind: 'connect', clients: ['a'] },
      {
        kind: 'publish',
        from: ['a'],
        topic: `${prefix}/live/text`,
        count: 2,
        qos: 1,
        retain: false,
        payload: { kind: 'text', text: 'hello' },
        identity: 'none',
      },
      {
        kind: 'publish',
        from: ['a'],
        topic: `${prefix}/live/size`,
        count: 1,
        qos: 1,
        retain: false,
        payload: { kind: 'size', bytes: 10 },
        identity: 'none',
      },
      {
        kind: 'publish',
        from: ['a'],
        topic: `${prefix}/kept`,
        count: 1,
        qos: 1,
        retain: true,
        payload: { kind: 'text', text: 'old' },
      },
      {
        kind: 'publish',
        from: ['a'],
        topic: `${prefix}/kept`,
        count: 1,
        qos: 1,
        retain: true,
        payload: { kind: 'text', text: '' },
        identity: 'none',
      },
    ],
  });
  const result = await runScenario(s, {
    target,
    reporter: quietReporter,
    signal: new AbortController().signal,
  });
  assert.equal(result.status, 'passed', JSON.stringify(result.steps, null, 1));
  assert.deepEqual(
    seen.filter((m) => m.topic.endsWith('/text')).map((m) => m.payload),
    ['hello', 'hello'],
  );
  assert.deepEqual(
    seen.filter((m) => m.topic.endsWith('/size')).map((m) => m.payload),
    ['..........'],
  );

  // A new subscriber gets no retained message: the empty payload deleted it.
  const late = await mqtt.connectAsync(target.urls.mqtt, { clientId: `${prefix}-late`, reconnectPeriod: 0 });
  t.after(() => late.endAsync(true));
  const retained: string[] = [];
  late.on('message', (_topic, payload) => retained.push(payload.toString('latin1')));
  await late.subscribeAsync(`${prefix}/kept`, { qos: 1 });
  // Retained messages go out while the broker handles SUBSCRIBE, and one connection's packets are
  // handled in order [MQTT-4.6.0-6]: once a later PUBLISH is acknowledged, any would have arrived.
  await late.publishAsync(`${prefix}/kept-probe`, 'x', { qos: 1 });
  assert.deepEqual(retained, []);
});
