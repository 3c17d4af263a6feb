/**
 * `identity: none` sends the payload bytes exactly as written: a text, a size, and the empty
 * payload that deletes a retained message [MQTT-3.3.1-6] [MQTT-3.3.1-7], seen by a plain MQTT.js
 * client beside the scenario on the embedded broker (both profiles keep retained messages).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqtt from 'mqtt';
import type { PayloadSpec } from '../../scenario/types.js';
import { startEmbeddedTarget } from '../../targets/embedded.js';
import { client, type StepInput, scenario } from '../../verdict/_fixtures.js';
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

  const publish = (
    topic: string,
    payload: PayloadSpec,
    over: { count?: number; retain?: boolean; identity?: 'header' | 'none' } = {},
  ): StepInput => ({
    kind: 'publish',
    from: ['a'],
    topic: `${prefix}/${topic}`,
    count: over.count ?? 1,
    qos: 1,
    retain: over.retain ?? false,
    payload,
    identity: over.identity ?? 'none',
  });
  const s = scenario({
    clients: [client('a', { clientId: `${prefix}-a` })],
    steps: [
      { kind: 'connect', clients: ['a'] },
      publish('live/text', { kind: 'text', text: 'hello' }, { count: 2 }),
      publish('live/size', { kind: 'size', bytes: 10 }),
      publish('kept', { kind: 'text', text: 'old' }, { retain: true, identity: 'header' }),
      publish('kept', { kind: 'text', text: '' }, { retain: true }),
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
