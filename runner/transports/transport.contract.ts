/**
 * The transport contract suite: the behaviour every Transport must show against a live broker.
 * An implementation's test file calls `describeTransportContract` once per (broker, URL scheme)
 * it supports; the tests only use the words of transport.ts, so they run unchanged over MQTT.js,
 * the AWS IoT Device SDK or anything added later.
 *
 * Glossary of fixtures:
 * - `env.target`: where a well-behaved client connects (URL, TLS, extra).
 * - `env.refusing`: a connection the broker refuses at CONNACK (bad credentials / not authorized).
 * - `topic(t, ...)`: a topic unique to the running test, so tests never see each other's messages.
 * Every wait is bounded (WAIT_MS); every client is closed by `t.after` where it is created.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { after, before, describe, type TestContext, test } from 'node:test';
import { TransportError } from '../errors.js';
import type {
  ConnectOptions,
  ProtocolVersion,
  QoS,
  ReceivedMessage,
  TlsSettings,
  Transport,
  TransportSession,
} from './transport.js';

/** How to reach a broker for one client: the target part of ConnectOptions. */
export interface ContractEndpoint {
  url: string;
  tls?: TlsSettings;
  username?: string;
  password?: string;
  extra?: Readonly<Record<string, unknown>>;
}

export interface ContractEnvironment {
  transport: Transport;
  target: ContractEndpoint;
  /**
   * A connection the broker refuses at CONNACK, with the reason codes it may answer
   * (MQTT 5 code, MQTT 3.1.1 return code). Omit when the broker cannot be made to refuse.
   */
  refusing?: ContractEndpoint & { expect: { '5': readonly number[]; '3.1.1': readonly number[] } };
  close(): Promise<void>;
}

export interface TransportContractSetup {
  /** Starts (or reaches) the broker once for the suite. */
  start(): Promise<ContractEnvironment>;
  /** Protocol versions to run everything with. @default ['5', '3.1.1'] */
  protocols?: readonly ProtocolVersion[];
  /** Features the broker lacks (e.g. AWS IoT refuses QoS 2, rule Q-2). */
  without?: ReadonlyArray<'qos2' | 'shared-subscriptions' | 'retain' | 'will' | 'takeover-reason'>;
  /** Skip the whole suite with this visible reason (e.g. "mosquitto is not installed"). */
  skip?: string | false;
}

/** Upper bound for any single wait in the suite, ms. */
const WAIT_MS = 5000;
/** How long "nothing arrives" is watched for, ms. */
const QUIET_MS = 400;

/** Registers the contract tests for `name` (e.g. "mqttjs over ws, Mosquitto"). */
export function describeTransportContract(name: string, setup: TransportContractSetup): void {
  const protocols = setup.protocols ?? (['5', '3.1.1'] as const);
  const lacks = new Set(setup.without ?? []);
  describe(`transport contract: ${name}`, { skip: setup.skip ?? false }, () => {
    let env: ContractEnvironment | undefined;
    before(async () => {
      env = await setup.start();
    });
    after(async () => {
      await env?.close();
    });
    const getEnv = (): ContractEnvironment => {
      if (env === undefined) throw new Error('contract environment did not start');
      return env;
    };

    for (const protocol of protocols) {
      const v5 = protocol === '5';
      const open = (t: TestContext, clientId: string, more: Partial<ConnectOptions> = {}) =>
        openSession(t, getEnv(), { protocol, clientId, ...more });

      test(`MQTT ${protocol}: connect and disconnect; session present false, then true for a persistent session`, async (t) => {
        const id = clientId(t, 'persist');
        const persistent = { clean: false, ...(v5 ? { sessionExpiry: 300 } : {}) };
        // Start from no session at all [MQTT-3.1.2-6] / Clean Start [MQTT-3.1.2-4].
        const fresh = await open(t, id, { clean: true });
        assert.equal(fresh.connack.sessionPresent, false);
        assert.equal(fresh.connack.reasonCode, 0);
        await fresh.disconnect({ how: 'graceful' });

        const first = await open(t, id, persistent);
        assert.equal(first.connack.sessionPresent, false, 'no session existed before');
        assert.equal(first.clientId, id);
        await first.subscribe([{ filter: topic(t, 'persist'), qos: 1 }]);
        await first.disconnect({ how: 'graceful' });

        // [MQTT-3.2.2-2] / [MQTT-3.2.2-3]: the broker kept the session, and says so.
        const second = await open(t, id, persistent);
        assert.equal(second.connack.sessionPresent, true, 'the persistent session was resumed');
        await second.disconnect({ how: 'graceful', ...(v5 ? { sessionExpiry: 0 } : {}) });
        const cleanup = await open(t, id, { clean: true });
        await cleanup.disconnect({ how: 'graceful' });
      });

      for (const pubQos of [0, 1, 2] as const) {
        if (pubQos === 2 && lacks.has('qos2')) continue;
        test(`MQTT ${protocol}: QoS ${pubQos} round trip with payload bytes intact`, async (t) => {
          const subQos: QoS = lacks.has('qos2') ? 1 : 2;
          const tp = topic(t, `qos${pubQos}`);
          const sub = await open(t, clientId(t, 'sub'));
          const inbox = collect(sub);
          const { reasonCodes } = await sub.subscribe([{ filter: tp, qos: subQos }]);
          assert.deepEqual(reasonCodes, [subQos], 'granted the requested QoS');
          const pub = await open(t, clientId(t, 'pub'));
          const payload = new Uint8Array([0, 1, 2, 250, 255, 10, 13]);
          const before = performance.timeOrigin + performance.now();
          const result = await pub.publish({ topic: tp, payload, qos: pubQos, retain: false });
          assert.equal(result.reasonCode, 0);
          const [msg] = await inbox.waitFor(1);
          assert.ok(msg);
          assert.equal(msg.topic, tp);
          assert.deepEqual(new Uint8Array(msg.payload), payload);
          // Delivered at min(publish QoS, granted QoS) [MQTT-3.8.4-8].
          assert.equal(msg.qos, Math.min(pubQos, subQos));
          assert.equal(msg.retain, false);
          assert.ok(
            msg.receivedAt >= before && msg.receivedAt <= performance.timeOrigin + performance.now() + 1,
          );
        });
      }

      test(`MQTT ${protocol}: many QoS 1 publishes in flight at once all complete`, async (t) => {
        const tp = topic(t, 'burst');
        const sub = await open(t, clientId(t, 'sub'));
        const inbox = collect(sub);
        await sub.subscribe([{ filter: tp, qos: 1 }]);
        const pub = await open(t, clientId(t, 'pub'));
        const n = 500;
        const results = await Promise.all(
          Array.from({ length: n }, (_, i) =>
            pub.publish({ topic: tp, payload: Buffer.from(String(i)), qos: 1, retain: false }),
          ),
        );
        assert.ok(results.every((r) => r.reasonCode === 0));
        const got = await inbox.waitFor(n);
        const seen = new Set(got.map((m) => Buffer.from(m.payload).toString()));
        assert.equal(seen.size, n, 'every message arrived once');
      });

      if (!lacks.has('retain')) {
        test(`MQTT ${protocol}: a retained message reaches a later subscriber with the retain flag`, async (t) => {
          const tp = topic(t, 'retained');
          const pub = await open(t, clientId(t, 'pub'));
          await pub.publish({ topic: tp, payload: Buffer.from('kept'), qos: 1, retain: true });
          t.after(async () => {
            // Clear it: an empty retained payload removes the retained message [MQTT-3.3.1-10].
            await pub
              .publish({ topic: tp, payload: new Uint8Array(0), qos: 1, retain: true })
              .catch(() => {});
          });
          const sub = await open(t, clientId(t, 'sub'));
          const inbox = collect(sub);
          await sub.subscribe([{ filter: tp, qos: 1 }]);
          const [msg] = await inbox.waitFor(1);
          assert.equal(Buffer.from(msg?.payload ?? []).toString(), 'kept');
          // Sent because of a new subscription: retain flag set [MQTT-3.3.1-8].
          assert.equal(msg?.retain, true);
        });
      }

      test(`MQTT ${protocol}: wildcard subscriptions match by level (+ and #)`, async (t) => {
        const base = topic(t, 'wild');
        const sub = await open(t, clientId(t, 'sub'));
        const inbox = collect(sub);
        const { reasonCodes } = await sub.subscribe([
          { filter: `${base}/+/temp`, qos: 1 },
          { filter: `${base}/alarm/#`, qos: 1 },
        ]);
        assert.deepEqual(reasonCodes, [1, 1]);
        const pub = await open(t, clientId(t, 'pub'));
        const send = (suffix: string) =>
          pub.publish({ topic: `${base}/${suffix}`, payload: Buffer.from(suffix), qos: 1, retain: false });
        // (`alarm` alone is not sent: whether `alarm/#` matches it differs, [MQTT-4.7.1-2] vs AWS rule R-3.)
        for (const s of ['kitchen/temp', 'kitchen/humidity', 'alarm/door/front', 'a/b/temp']) await send(s);
        const got = await inbox.waitFor(2);
        await inbox.quiet();
        const topics = inbox.messages.map((m) => m.topic.slice(base.length + 1)).sort();
        assert.deepEqual(topics, ['alarm/door/front', 'kitchen/temp']);
        assert.equal(got.length, 2);
      });

      test(`MQTT ${protocol}: unsubscribe stops delivery`, async (t) => {
        const tp = topic(t, 'unsub');
        const sub = await open(t, clientId(t, 'sub'));
        const inbox = collect(sub);
        await sub.subscribe([{ filter: tp, qos: 1 }]);
        const codes = await sub.unsubscribe([tp]);
        assert.deepEqual(codes, [0]);
        const pub = await open(t, clientId(t, 'pub'));
        await pub.publish({ topic: tp, payload: Buffer.from('x'), qos: 1, retain: false });
        await inbox.quiet();
        assert.equal(inbox.messages.length, 0);
      });

      if (!lacks.has('shared-subscriptions')) {
        test(`MQTT ${protocol}: a shared subscription delivers each message to one member`, async (t) => {
          const tp = topic(t, 'shared');
          const group = `g${randomUUID().slice(0, 8)}`;
          const members = [await open(t, clientId(t, 'm1')), await open(t, clientId(t, 'm2'))];
          const inboxes = members.map(collect);
          for (const m of members) {
            const { reasonCodes } = await m.subscribe([{ filter: `$share/${group}/${tp}`, qos: 1 }]);
            assert.deepEqual(reasonCodes, [1]);
          }
          const pub = await open(t, clientId(t, 'pub'));
          const n = 20;
          for (let i = 0; i < n; i++) {
            await pub.publish({ topic: tp, payload: Buffer.from(String(i)), qos: 1, retain: false });
          }
          await waitUntil(
            () => inboxes.reduce((s, b) => s + b.messages.length, 0) >= n,
            'all shared messages',
          );
          await Promise.all(inboxes.map((b) => b.quiet()));
          const all = inboxes.flatMap((b) => b.messages.map((m) => Buffer.from(m.payload).toString()));
          assert.equal(all.length, n, 'each message once in the group');
          assert.equal(new Set(all).size, n);
          for (const m of inboxes[0]?.messages ?? [])
            assert.equal(m.topic, tp, 'delivered with the published topic');
        });
      }

      if (v5) {
        test('MQTT 5: user properties and other publish properties round trip in order', async (t) => {
          const tp = topic(t, 'props');
          const sub = await open(t, clientId(t, 'sub'));
          const inbox = collect(sub);
          await sub.subscribe([{ filter: tp, qos: 1 }]);
          const pub = await open(t, clientId(t, 'pub'));
          const userProperties = [
            ['origin', 'mqscen'],
            ['k', 'first'],
            ['k', 'second'],
          ] as const;
          await pub.publish({
            topic: tp,
            payload: Buffer.from('{}'),
            qos: 1,
            retain: false,
            properties: {
              userProperties,
              contentType: 'application/json',
              responseTopic: `${tp}/reply`,
              correlationData: new Uint8Array([1, 2, 3]),
              messageExpiryInterval: 60,
            },
          });
          const [msg] = await inbox.waitFor(1);
          const p = msg?.properties;
          // [MQTT-3.3.2-17] the broker forwards User Properties unaltered, order kept [MQTT-3.3.2-18].
          assert.deepEqual(
            p?.userProperties?.map(([k, v]) => [k, v]),
            userProperties.map(([k, v]) => [k, v]),
          );
          assert.equal(p?.contentType, 'application/json');
          assert.equal(p?.responseTopic, `${tp}/reply`);
          assert.deepEqual(new Uint8Array(p?.correlationData ?? []), new Uint8Array([1, 2, 3]));
          // Expiry is forwarded minus the time spent in the broker [MQTT-3.3.2-6].
          assert.ok((p?.messageExpiryInterval ?? 0) > 0 && (p?.messageExpiryInterval ?? 0) <= 60);
        });

        test('MQTT 5: a message carries the identifiers of the subscriptions it matched', async (t) => {
          const tp = topic(t, 'subid/a');
          const sub = await open(t, clientId(t, 'sub'));
          if (sub.connack.subscriptionIdentifiersAvailable === false) {
            t.skip('the broker announced Subscription Identifiers Available = 0 [MQTT-3.2.2-21]');
            return;
          }
          const inbox = collect(sub);
          const wildcard = `${tp.slice(0, tp.lastIndexOf('/'))}/+`;
          const { reasonCodes } = await sub.subscribe([
            { filter: tp, qos: 1, subscriptionIdentifier: 7 },
            { filter: wildcard, qos: 1, subscriptionIdentifier: 300_000 },
          ]);
          assert.deepEqual(reasonCodes, [1, 1], 'both filters granted, in request order');
          const pub = await open(t, clientId(t, 'pub'));
          await pub.publish({ topic: tp, payload: Buffer.from('x'), qos: 1, retain: false });
          // [MQTT-3.3.4-3]: one PUBLISH (or one per subscription), each identifier of a matching
          // subscription carried; together the receipts name both.
          const seen = new Set<number>();
          for (const m of await inbox.waitFor(1))
            for (const id of m.subscriptionIdentifiers ?? []) seen.add(id);
          if (seen.size < 2) {
            await inbox.waitFor(2).catch(() => []);
            for (const m of inbox.messages) for (const id of m.subscriptionIdentifiers ?? []) seen.add(id);
          }
          assert.deepEqual(
            [...seen].sort((x, y) => x - y),
            [7, 300_000],
          );
        });
      }

      if (!lacks.has('will')) {
        test(`MQTT ${protocol}: the will is published on an abrupt disconnect, not on a graceful one`, async (t) => {
          const willTopic = topic(t, 'will');
          const watcher = await open(t, clientId(t, 'watch'));
          const inbox = collect(watcher);
          await watcher.subscribe([{ filter: willTopic, qos: 1 }]);
          const will = {
            topic: willTopic,
            payload: Buffer.from('gone'),
            qos: 1 as const,
            retain: false,
            ...(v5 ? { properties: { userProperties: [['why', 'test']] as const } } : {}),
          };
          const polite = await open(t, clientId(t, 'polite'), { will });
          await polite.disconnect({ how: 'graceful' });
          await inbox.quiet();
          // A normal DISCONNECT discards the will [MQTT-3.1.2-10].
          assert.equal(inbox.messages.length, 0, 'no will after a graceful disconnect');

          const rude = await open(t, clientId(t, 'rude'), { will });
          await rude.disconnect({ how: 'abrupt' });
          // Connection closed without DISCONNECT: the will is published [MQTT-3.1.2-8].
          const [msg] = await inbox.waitFor(1);
          assert.equal(Buffer.from(msg?.payload ?? []).toString(), 'gone');
          if (v5) assert.deepEqual(msg?.properties?.userProperties, [['why', 'test']]);
        });
      }

      test(`MQTT ${protocol}: losing the connection to a client id takeover raises 'lost'`, async (t) => {
        const id = clientId(t, 'taken');
        const first = await open(t, id);
        const lost = new Promise<{ reasonCode?: number; message: string }>((resolve) =>
          first.on('lost', resolve),
        );
        await open(t, id);
        // [MQTT-3.1.4-3] the broker disconnects the existing client with the same id.
        const loss = await bounded(lost, 'the lost event');
        assert.ok(loss.message.length > 0);
        if (v5 && !lacks.has('takeover-reason')) assert.equal(loss.reasonCode, 0x8e, 'Session taken over');
        await assert.rejects(
          first.publish({ topic: topic(t, 'x'), payload: new Uint8Array(0), qos: 1, retain: false }),
          TransportError,
          'a lost session refuses work instead of hanging',
        );
      });

      test(`MQTT ${protocol}: a refused connect is a TransportError with the reason code`, async (t) => {
        const refusing = getEnv().refusing;
        if (refusing === undefined) {
          t.skip('this broker setup has no refusing endpoint');
          return;
        }
        const started = Date.now();
        await assert.rejects(
          getEnv().transport.connect({
            ...baseOptions(protocol, clientId(t, 'refused')),
            ...endpointOf(refusing),
          }),
          (err: unknown) => {
            assert.ok(err instanceof TransportError, `TransportError, got ${String(err)}`);
            assert.equal(err.exitCode, 3);
            assert.ok(
              refusing.expect[protocol].includes(err.reasonCode ?? -1),
              `reason code ${err.reasonCode} is one of ${refusing.expect[protocol].join(', ')}`,
            );
            assert.ok((err.reasonText ?? '').length > 0, 'reason text given');
            assert.match(err.message, new RegExp(escapeRegExp(err.reasonText ?? '')));
            return true;
          },
        );
        assert.ok(Date.now() - started < WAIT_MS);
      });
    }

    test('an unreachable port is a TransportError naming the URL, within the connect bound', async (t) => {
      const port = await closedPort();
      const url = new URL(getEnv().target.url);
      url.port = String(port);
      url.username = '';
      url.password = '';
      const started = Date.now();
      await assert.rejects(
        getEnv().transport.connect({
          ...baseOptions(protocols[0] ?? '5', clientId(t, 'nowhere')),
          ...endpointOf(getEnv().target),
          url: url.toString(),
          connectTimeoutMs: 2000,
        }),
        (err: unknown) => {
          assert.ok(err instanceof TransportError, `TransportError, got ${String(err)}`);
          assert.equal(err.exitCode, 3);
          assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
          assert.match(`${err.message} ${err.hint ?? ''}`, /--target|running|reachable/);
          return true;
        },
      );
      assert.ok(Date.now() - started < 3000, 'failed within the connect bound');
    });
  });
}

// --- internal ---

function baseOptions(protocol: ProtocolVersion, clientId: string): ConnectOptions {
  return { url: '', clientId, protocol, clean: true, keepalive: 30, connectTimeoutMs: WAIT_MS };
}

function endpointOf(
  e: ContractEndpoint,
): Pick<ConnectOptions, 'url' | 'tls' | 'username' | 'password' | 'extra'> {
  const out: Pick<ConnectOptions, 'url' | 'tls' | 'username' | 'password' | 'extra'> = { url: e.url };
  if (e.tls !== undefined) out.tls = e.tls;
  if (e.username !== undefined) out.username = e.username;
  if (e.password !== undefined) out.password = e.password;
  if (e.extra !== undefined) out.extra = e.extra;
  return out;
}

async function openSession(
  t: TestContext,
  env: ContractEnvironment,
  options: Partial<ConnectOptions> & { protocol: ProtocolVersion; clientId: string },
): Promise<TransportSession> {
  const session = await env.transport.connect({
    ...baseOptions(options.protocol, options.clientId),
    ...endpointOf(env.target),
    ...options,
  });
  t.after(() => session.disconnect({ how: 'abrupt' }));
  return session;
}

let counter = 0;
function clientId(t: TestContext, role: string): string {
  counter += 1;
  void t;
  return `mqscen-contract-${process.pid}-${counter}-${role}`;
}

function topic(t: TestContext, what: string): string {
  void t;
  return `mqscen-contract/${randomUUID().slice(0, 12)}/${what}`;
}

interface Inbox {
  messages: ReceivedMessage[];
  /** Resolves with the first `n` messages, or rejects after WAIT_MS. */
  waitFor(n: number): Promise<ReceivedMessage[]>;
  /** Waits QUIET_MS so that anything unexpected has time to arrive. */
  quiet(): Promise<void>;
}

function collect(session: TransportSession): Inbox {
  const messages: ReceivedMessage[] = [];
  session.on('message', (m) => messages.push(m));
  return {
    messages,
    async waitFor(n) {
      await waitUntil(() => messages.length >= n, `${n} message(s) (got ${messages.length})`);
      return messages.slice(0, n);
    },
    quiet: () => new Promise((r) => setTimeout(r, QUIET_MS)),
  };
}

async function waitUntil(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function bounded<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`)), WAIT_MS);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** A loopback port nothing listens on (it was free a moment ago). */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
