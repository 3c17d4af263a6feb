/**
 * Raw-packet tests for wire rules and resource bounds: each sends hand-made bytes and checks what
 * comes back (packets, reason codes) and that the socket is closed when it must be.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { test } from 'node:test';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { connect, delay, dropConnection, inbox, startTestBroker } from './_test-helpers.js';
import type { BrokerOptions } from './index.js';

interface Exchange {
  packets: Packet[];
  closed: boolean;
  /** ms from the first write until the close (or the wait bound). */
  ms: number;
}

function gen(packet: Packet, protocolVersion: 3 | 4 | 5): Buffer {
  return mqttPacket.generate(packet, { protocolVersion });
}

function connectBytes(protocolVersion: 3 | 4 | 5, clientId = 'raw', extra: object = {}): Buffer {
  return gen(
    {
      cmd: 'connect',
      clientId,
      protocolVersion,
      protocolId: protocolVersion === 3 ? 'MQIsdp' : 'MQTT',
      clean: true,
      keepalive: 0,
      ...extra,
    } as Packet,
    protocolVersion,
  );
}

/** Opens a socket, writes each chunk, and collects what the broker answers until it closes or `waitMs` passes. */
async function exchange(
  url: string,
  chunks: Buffer[],
  protocolVersion: 3 | 4 | 5,
  waitMs = 1500,
): Promise<Exchange> {
  const { port } = new URL(url);
  const socket: Socket = netConnect(Number(port), '127.0.0.1');
  await once(socket, 'connect');
  const parser = mqttPacket.parser({ protocolVersion });
  const packets: Packet[] = [];
  parser.on('packet', (p: Packet) => packets.push(p));
  socket.on('data', (data: Buffer) => parser.parse(data));
  socket.on('error', () => undefined);
  const start = Date.now();
  for (const chunk of chunks) socket.write(chunk);
  const closed = await Promise.race([
    new Promise<boolean>((resolve) => socket.once('close', () => resolve(true))),
    delay(waitMs).then(() => false),
  ]);
  const ms = Date.now() - start;
  socket.destroy();
  return { packets, closed, ms };
}

function disconnectCode(result: Exchange): number | undefined {
  const packet = result.packets.find((p) => p.cmd === 'disconnect') as { reasonCode?: number } | undefined;
  return packet?.reasonCode;
}

async function brokerUrl(
  t: Parameters<typeof startTestBroker>[0],
  options: BrokerOptions = {},
): Promise<string> {
  return (await startTestBroker(t, options)).urls.mqtt as string;
}

const levels = (n: number): string => Array.from({ length: n }, (_, i) => `l${i}`).join('/');

test('topic levels: 150 levels work, more than maxTopicLevels (200, Mosquitto) is a malformed filter; no zombie', async (t) => {
  const broker = await startTestBroker(t);
  const url = broker.urls.mqtt as string;
  const deep = await connect(t, url, { clientId: 'deep', protocolVersion: 5 });
  await deep.subscribeAsync(`${levels(149)}/#`, { qos: 1 });
  await deep.publishAsync(`${levels(150)}`, 'deep', { qos: 1 });
  assert.equal((await inbox(deep).next()).payload.toString(), 'deep');
  const tooDeep = await exchange(
    url,
    [
      connectBytes(5, 'too-deep'),
      gen({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: levels(201), qos: 0 }] }, 5),
    ],
    5,
  );
  assert.equal(tooDeep.closed, true);
  assert.equal(disconnectCode(tooDeep), 0x81);
  await delay(50);
  assert.equal(broker.stats().totals.sessions, 1, 'the refused client left no session behind');
});

test('an error inside a handler closes that connection cleanly and ends its session (no zombie)', async (t) => {
  const broker = await startTestBroker(t, {
    authorize: {
      subscribe: (_client, filter) => {
        if (filter === 'boom') throw new Error('authorizer bug');
        return true;
      },
    },
  });
  const url = broker.urls.mqtt as string;
  const result = await exchange(
    url,
    [
      connectBytes(5, 'victim'),
      gen({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'boom', qos: 0 }] }, 5),
    ],
    5,
  );
  assert.equal(result.closed, true);
  assert.equal(disconnectCode(result), 0x83);
  await delay(50);
  assert.equal(broker.stats().totals.sessions, 0);
  assert.equal(broker.stats().totals.connections, 0);
});

test('an error while a connection is cleaned up still closes its socket and ends its session (no zombie)', async (t) => {
  const broker = await startTestBroker(t);
  let thrown = 0;
  broker.on('client-disconnected', () => {
    thrown++;
    throw new Error('listener bug');
  });
  const url = broker.urls.mqtt as string;
  // A PUBLISH with a wildcard topic is a protocol violation: the server disconnects.
  const result = await exchange(
    url,
    [
      connectBytes(5, 'victim'),
      gen({ cmd: 'publish', topic: 'a/+', payload: Buffer.from('x'), qos: 0, retain: false, dup: false }, 5),
    ],
    5,
  );
  assert.equal(thrown, 1);
  assert.equal(result.closed, true);
  await delay(50);
  assert.equal(broker.stats().totals.sessions, 0);
  assert.equal(broker.stats().totals.connections, 0);
});

for (const protocolVersion of [4, 5] as const) {
  test(`v${protocolVersion}: SUBSCRIBE / UNSUBSCRIBE without filters is a Protocol Error [MQTT-3.8.3-2], [MQTT-3.10.3-2]`, async (t) => {
    const url = await brokerUrl(t);
    const props = protocolVersion === 5 ? [0] : [];
    for (const cmd of [0x82, 0xa2]) {
      const body = Buffer.from([0x00, 0x01, ...props]);
      const result = await exchange(
        url,
        [connectBytes(protocolVersion), Buffer.concat([Buffer.from([cmd, body.length]), body])],
        protocolVersion,
      );
      assert.equal(result.closed, true, `0x${cmd.toString(16)} closes the connection`);
      assert.ok(!result.packets.some((p) => p.cmd === 'suback' || p.cmd === 'unsuback'));
      if (protocolVersion === 5) assert.equal(disconnectCode(result), 0x82);
    }
  });
}

test('UNSUBSCRIBE with an empty or malformed filter: mosquitto closes (0x81), aws-iot answers UNSUBACK 0x8F (POL-10)', async (t) => {
  for (const [profile, expected] of [
    ['mosquitto', 'disconnect'],
    ['aws-iot', 'unsuback'],
  ] as const) {
    const url = await brokerUrl(t, { profile });
    for (const filter of ['', 'a/#/b']) {
      const result = await exchange(
        url,
        [
          connectBytes(5, `u-${profile}`),
          gen({ cmd: 'unsubscribe', messageId: 7, unsubscriptions: [filter] }, 5),
        ],
        5,
        expected === 'disconnect' ? 1500 : 300,
      );
      if (expected === 'disconnect') {
        assert.equal(result.closed, true, `${profile} "${filter}"`);
        assert.equal(disconnectCode(result), 0x81);
      } else {
        const unsuback = result.packets.find((p) => p.cmd === 'unsuback') as
          | { granted?: number[] }
          | undefined;
        assert.deepEqual(unsuback?.granted, [0x8f], `${profile} "${filter}"`);
      }
    }
  }
});

test('a Payload Format Indicator other than 0 or 1 is a Protocol Error and is not forwarded (MQTT 5 3.3.2.3.2)', async (t) => {
  const broker = await startTestBroker(t);
  const url = broker.urls.mqtt as string;
  const sub = await connect(t, url, { clientId: 'sub', protocolVersion: 5 });
  await sub.subscribeAsync('pfi', { qos: 0 });
  const publish = gen(
    {
      cmd: 'publish',
      topic: 'pfi',
      payload: Buffer.from('x'),
      qos: 0,
      retain: false,
      dup: false,
      properties: { payloadFormatIndicator: true },
    },
    5,
  );
  // The property is 0x01 (identifier) 0x01 (value): make the value 2.
  const at = publish.indexOf(Buffer.from([0x01, 0x01]));
  publish[at + 1] = 0x02;
  const result = await exchange(url, [connectBytes(5, 'pfi-pub'), publish], 5);
  assert.equal(result.closed, true);
  assert.equal(disconnectCode(result), 0x82);
  await inbox(sub).quiet(100);
});

test('U+0000 or invalid UTF-8 in a topic is a Malformed Packet (0x81) [MQTT-1.5.4-1], [MQTT-1.5.4-2]', async (t) => {
  const url = await brokerUrl(t);
  for (const bad of [Buffer.from([0x61, 0x00, 0x62]), Buffer.from([0x61, 0xc3, 0x28])]) {
    // PUBLISH QoS 0, v5: topic length + topic, property length 0, payload "x".
    const body = Buffer.concat([Buffer.from([0x00, bad.length]), bad, Buffer.from([0x00, 0x78])]);
    const result = await exchange(
      url,
      [connectBytes(5, 'utf8'), Buffer.concat([Buffer.from([0x30, body.length]), body])],
      5,
    );
    assert.equal(result.closed, true);
    assert.equal(disconnectCode(result), 0x81, bad.toString('hex'));
  }
});

test('a Session Expiry Interval inside SUBSCRIBE is a Malformed Packet (MQTT 5 2.2.2.2)', async (t) => {
  const url = await brokerUrl(t);
  // SUBSCRIBE id 1, properties: 0x11 Session Expiry Interval = 60, filter "a", options 0.
  const body = Buffer.from([0x00, 0x01, 0x05, 0x11, 0, 0, 0, 60, 0x00, 0x01, 0x61, 0x00]);
  const result = await exchange(
    url,
    [connectBytes(5, 'props'), Buffer.concat([Buffer.from([0x82, body.length]), body])],
    5,
  );
  assert.equal(result.closed, true);
  assert.ok(!result.packets.some((p) => p.cmd === 'suback'));
  assert.equal(disconnectCode(result), 0x81);
});

test('MQTT 3.1 (level 3): the CONNACK reserved byte stays 0 even when a session is resumed', async (t) => {
  const url = await brokerUrl(t);
  const first = await exchange(url, [connectBytes(3, 'old', { clean: false })], 3, 200);
  assert.equal(first.packets[0]?.cmd, 'connack');
  const second = await exchange(url, [connectBytes(3, 'old', { clean: false })], 3, 200);
  const connack = second.packets[0] as { cmd: string; sessionPresent?: boolean };
  assert.equal(connack.cmd, 'connack');
  assert.equal(connack.sessionPresent, false);
});

test('will delay: a reconnect with Clean Start=1 before the delay passed discards the will, as Mosquitto does [MQTT-3.1.3-9]', async (t) => {
  const broker = await startTestBroker(t);
  const url = broker.urls.mqtt as string;
  const watcher = await connect(t, url, { clientId: 'watcher', protocolVersion: 5 });
  await watcher.subscribeAsync('will/#', { qos: 1 });
  const options = {
    clientId: 'dying',
    protocolVersion: 5 as const,
    clean: false,
    properties: { sessionExpiryInterval: 60 },
    will: {
      topic: 'will/dying',
      payload: Buffer.from('bye'),
      qos: 1 as const,
      retain: false,
      properties: { willDelayInterval: 1 },
    },
  };
  const dying = await connect(t, url, options);
  dropConnection(dying);
  await delay(100);
  await connect(t, url, { clientId: 'dying', protocolVersion: 5, clean: true });
  await delay(1500);
  assert.deepEqual(
    inbox(watcher).messages.map((m) => m.topic),
    [],
  );
});

test('connect timeout: a socket that sends nothing, or drips a CONNECT, is closed after connectTimeout', async (t) => {
  const url = await brokerUrl(t, { settings: { connectTimeout: 0.3 } });
  const silent = await exchange(url, [], 4, 3000);
  assert.equal(silent.closed, true);
  assert.ok(silent.ms >= 250, `closed after ${silent.ms} ms`);
  const full = connectBytes(4, 'drip');
  // Half a CONNECT, and nothing more.
  const drip = await exchange(url, [full.subarray(0, Math.floor(full.length / 2))], 4, 3000);
  assert.equal(drip.closed, true);
  // A client that connects in time is not affected.
  const ok = await exchange(url, [full], 4, 600);
  assert.equal(ok.packets[0]?.cmd, 'connack');
  assert.equal(ok.closed, false);
});

test('an unconnected socket announcing a 256 MB packet is closed at once, before it is buffered', async (t) => {
  const url = await brokerUrl(t);
  // CONNECT with remaining length 268,435,455, then some bytes of it.
  const claim = Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x04]);
  const result = await exchange(url, [claim, Buffer.alloc(64 * 1024)], 4, 2000);
  assert.equal(result.closed, true);
  assert.ok(result.ms < 1000, `closed after ${result.ms} ms`);
  // The first packet must be CONNECT [MQTT-3.1.0-1]: a PUBLISH header closes at once too.
  const publish = await exchange(url, [Buffer.from([0x30, 0xff, 0xff, 0x7f])], 4, 2000);
  assert.equal(publish.closed, true);
});

test('Server Keep Alive: maxKeepAlive lowers the client keep alive, says so in CONNACK, and enforces it [MQTT-3.2.2-21]', async (t) => {
  const url = await brokerUrl(t, { settings: { maxKeepAlive: 1 } });
  const result = await exchange(url, [connectBytes(5, 'ka', { keepalive: 60 })], 5, 4000);
  const connack = result.packets[0] as { cmd: string; properties?: { serverKeepAlive?: number } };
  assert.equal(connack.properties?.serverKeepAlive, 1);
  // Nothing sent after CONNECT: closed after 1.5 x 1 s [MQTT-3.1.2-22].
  assert.equal(result.closed, true);
  assert.equal(disconnectCode(result), 0x8d);
});

test('server DISCONNECT: no Reason String on the mosquitto profile (as Mosquitto 2), one on aws-iot', async (t) => {
  for (const [profile, hasReason] of [
    ['mosquitto', false],
    ['aws-iot', true],
  ] as const) {
    const url = await brokerUrl(t, { profile });
    const result = await exchange(
      url,
      [
        connectBytes(5, `r-${profile}`, { keepalive: 60 }),
        gen(
          { cmd: 'publish', topic: 'a/+', payload: Buffer.from('x'), qos: 0, retain: false, dup: false },
          5,
        ),
      ],
      5,
    );
    const disconnect = result.packets.find((p) => p.cmd === 'disconnect') as
      | { properties?: { reasonString?: string } }
      | undefined;
    assert.ok(disconnect, profile);
    assert.equal(disconnect.properties?.reasonString !== undefined, hasReason, profile);
  }
});
