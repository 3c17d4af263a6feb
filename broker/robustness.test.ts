/**
 * Robustness: mutated valid packets (fast-check, bounded) never bring the broker down; the
 * offending connection is closed and a well-behaved client keeps working [MQTT-4.13.1-1].
 */
import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { test } from 'node:test';
import fc from 'fast-check';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { startHost } from '../bench/broker-processes.js';
import { connect, delay, inbox, rawClient, startTestBroker } from './_test-helpers.js';

function encode(packets: Packet[], protocolVersion: 4 | 5): Buffer {
  return Buffer.concat(packets.map((p) => mqttPacket.generate(p, { protocolVersion })));
}

function validSession(protocolVersion: 4 | 5, clientId: string): Buffer {
  return encode(
    [
      { cmd: 'connect', clientId, protocolVersion, clean: true, keepalive: 30 },
      { cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'fuzz/#', qos: 1 }] },
      {
        cmd: 'publish',
        topic: 'fuzz/a',
        payload: Buffer.from('hello'),
        qos: 1,
        messageId: 2,
        retain: false,
        dup: false,
      },
      {
        cmd: 'publish',
        topic: 'fuzz/b',
        payload: Buffer.from('x'),
        qos: 2,
        messageId: 3,
        retain: true,
        dup: false,
      },
      { cmd: 'pubrel', messageId: 3 },
      { cmd: 'unsubscribe', messageId: 4, unsubscriptions: ['fuzz/#'] },
      { cmd: 'pingreq' },
    ],
    protocolVersion,
  );
}

/** Sends bytes on a fresh socket and waits until the broker closes it or a short bound passes. */
function sendRaw(port: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const socket = netConnect(port, '127.0.0.1', () => socket.write(bytes));
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    };
    const timer = setTimeout(done, 40);
    socket.on('data', () => undefined);
    socket.on('error', done);
    socket.on('close', done);
  });
}

test('mutated packets: broker survives and keeps serving other clients', async (t) => {
  const broker = await startTestBroker(t, { settings: { maxPacketSize: 64 * 1024 } });
  const url = broker.urls.mqtt as string;
  const port = Number(new URL(url).port);
  const probe = await connect(t, url, { clientId: 'probe', protocolVersion: 5 });
  await probe.subscribeAsync('probe', { qos: 1 });
  const errors: Error[] = [];
  broker.on('client-error', (_connection, error) => errors.push(error));

  let n = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(4 as const, 5 as const),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
      fc.option(fc.nat(), { nil: undefined }),
      async (version, flips, cut) => {
        const bytes = validSession(version, `fuzz-${n++}`);
        for (const [position, value] of flips) bytes[position % bytes.length] = value;
        const sent = cut === undefined ? bytes : bytes.subarray(0, (cut % bytes.length) + 1);
        await sendRaw(port, sent);
      },
    ),
    { numRuns: 100, seed: 42 },
  );
  await delay(100);
  const pub = await connect(t, url, { clientId: 'after', protocolVersion: 4 });
  await pub.publishAsync('probe', 'alive', { qos: 1 });
  assert.equal((await inbox(probe).next()).payload.toString(), 'alive');
  assert.ok(errors.length > 0, 'some mutations were malformed');
  assert.ok(broker.stats().totals.connections <= 3);
});

test('a subscriber that stops reading loses QoS 0 messages instead of growing the broker buffer', async (t) => {
  const broker = await startTestBroker(t, {
    settings: { slowConsumerBytes: 256 * 1024, slowSubscriberTimeout: 0.2 },
  });
  const url = broker.urls.mqtt as string;
  // A raw subscriber that never reads: the kernel buffers fill, then the broker's socket buffer.
  const slow = await rawClient(t, url);
  slow.pause();
  slow.write(
    encode(
      [
        { cmd: 'connect', clientId: 'slow', protocolVersion: 4, clean: true, keepalive: 0 },
        { cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'flood', qos: 0 }] },
      ],
      4,
    ),
  );
  await delay(100);
  const pub = await connect(t, url, { clientId: 'flooder', protocolVersion: 4 });
  const payload = Buffer.alloc(32 * 1024);
  for (let i = 0; i < 1000; i++) {
    await pub.publishAsync('flood', payload, { qos: 0 });
    if ((broker.stats().clients['slow']?.dropped['slow-consumer'] ?? 0) > 0) break;
  }
  await delay(50);
  const dropped = broker.stats().clients['slow']?.dropped['slow-consumer'] ?? 0;
  assert.ok(
    dropped > 0,
    `some QoS 0 messages were dropped for the slow consumer: ${JSON.stringify(broker.stats().clients)}`,
  );
  // The publisher and the broker are unaffected.
  const other = await connect(t, url, { clientId: 'other', protocolVersion: 4 });
  await other.subscribeAsync('ok', { qos: 1 });
  await pub.publishAsync('ok', 'fine', { qos: 1 });
  assert.equal((await inbox(other).next()).payload.toString(), 'fine');
});

test('malformed packets over many connections plus churn of unique client ids: memory returns once clients are gone', async (t) => {
  // The broker in its own process, so its RSS is its own (bench/broker-host.ts, with gc exposed).
  const host = await startHost('embedded:mosquitto', {}, false, [
    '--expose-gc',
    // A fixed young generation: its growth under load is not what this test measures.
    '--max-semi-space-size=2',
  ]);
  t.after(() => host.stop());
  const port = Number(new URL(host.url).port);
  const measure = async (): Promise<{
    rss: number;
    clients: number;
    sessions: number;
    connections: number;
  }> => {
    await host.request('gc');
    await host.request('gc');
    return (await host.request('stats')) as {
      rss: number;
      clients: number;
      sessions: number;
      connections: number;
    };
  };
  const random = fc.sample(fc.tuple(fc.nat(), fc.nat(255), fc.nat()), { numRuns: 4000, seed: 7 });
  let next = 0;
  /** `count` unique clean clients (CONNECT, SUBSCRIBE, PUBLISH, DISCONNECT); every 5th sends a mutated copy instead. */
  const churn = async (count: number): Promise<void> => {
    const end = next + count;
    await Promise.all(
      Array.from({ length: 25 }, async () => {
        while (next < end) {
          const i = next++;
          const bytes = Buffer.concat([validSession(4, `churn-${i}`), encode([{ cmd: 'disconnect' }], 4)]);
          if (i % 5 === 0) {
            const [position, value, cut] = random[i % random.length] as [number, number, number];
            bytes[position % bytes.length] = value;
            await sendRaw(port, bytes.subarray(0, (cut % bytes.length) + 1));
          } else {
            await sendRaw(port, bytes);
          }
        }
      }),
    );
  };
  // The warm-up has the volume of the measured churn: the allocator's high-water mark is reached
  // before `start`, so what remains after is what the clients left behind.
  await churn(5000);
  await delay(300);
  const start = await measure();
  const rounds = [];
  for (let round = 0; round < 2; round++) {
    await churn(3000);
    await delay(300);
    rounds.push(await measure());
  }
  // RSS is noisy on a loaded machine (allocator and GC timing): the better of two rounds counts.
  const after = rounds.reduce((a, b) => (b.rss < a.rss ? b : a));
  t.diagnostic(
    `RSS ${(start.rss / 1e6).toFixed(1)} MB -> ${rounds.map((r) => (r.rss / 1e6).toFixed(1)).join(', ')} MB; ${JSON.stringify(start)} ${JSON.stringify(after)}`,
  );
  assert.equal(after.sessions, 0);
  assert.equal(after.connections, 0);
  // Per-client counters of ended sessions are kept for a bounded number of client ids only.
  assert.ok(after.clients <= 1000, `client entries kept: ${after.clients}`);
  assert.ok(after.rss <= start.rss * 1.2, `RSS ${start.rss} -> ${after.rss}`);
});
