/**
 * Test fixtures for the broker tests. Glossary:
 * - `startTestBroker(t, options)`: an embedded broker on 127.0.0.1 port 0, closed by `t.after`.
 * - `connect(t, url, options)`: an MQTT.js client, connected (bounded wait), ended by `t.after`.
 * - `inbox(client)`: records every PUBLISH the client receives; `inbox.next(ms)` waits for the
 *   next unread one, `inbox.waitFor(n, ms)` until n were received, `inbox.quiet(ms)` asserts nothing came.
 * - `rawClient(t, port)`: a bare TCP socket to send hand-made bytes (malformed packets).
 */
import { once } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { IPublishPacket } from 'mqtt-packet';
import { type BrokerHandle, type BrokerOptions, startBroker } from './index.js';

export async function startTestBroker(t: TestContext, options: BrokerOptions = {}): Promise<BrokerHandle> {
  const broker = await startBroker(options);
  t.after(() => broker.close());
  return broker;
}

export async function connect(
  t: TestContext,
  url: string,
  options: IClientOptions = {},
  timeoutMs = 3000,
): Promise<MqttClient> {
  const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: timeoutMs, ...options });
  t.after(() => {
    client.end(true);
  });
  // Record from the start: stored messages can arrive in the same chunk as the CONNACK.
  inbox(client);
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
      client.once('close', () => reject(new Error('closed before CONNACK')));
    }),
    timeoutMs,
    `connect ${options.clientId ?? ''}`,
  );
  return client;
}

/** Connects and resolves with the CONNACK (success or refusal). */
export async function connectForAck(
  t: TestContext,
  url: string,
  options: IClientOptions = {},
  timeoutMs = 3000,
): Promise<{ client: MqttClient; connack: Record<string, unknown> | undefined; error?: Error }> {
  const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: timeoutMs, ...options });
  t.after(() => {
    client.end(true);
  });
  inbox(client);
  let connack: Record<string, unknown> | undefined;
  client.on('packetreceive', (packet) => {
    if (packet.cmd === 'connack') connack = packet as unknown as Record<string, unknown>;
  });
  try {
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        client.once('connect', () => resolve());
        client.once('error', reject);
        client.once('close', () => reject(new Error('closed')));
      }),
      timeoutMs,
      'connect',
    );
    return { client, connack };
  } catch (error) {
    return { client, connack, error: error as Error };
  }
}

export interface Inbox {
  readonly messages: IPublishPacket[];
  next(timeoutMs?: number): Promise<IPublishPacket>;
  waitFor(count: number, timeoutMs?: number): Promise<IPublishPacket[]>;
  quiet(ms: number): Promise<void>;
}

const inboxes = new WeakMap<MqttClient, Inbox>();

/** The client's inbox (created on first use; `connect` creates it before the CONNACK). */
export function inbox(client: MqttClient): Inbox {
  let box = inboxes.get(client);
  if (!box) {
    box = createInbox(client);
    inboxes.set(client, box);
  }
  return box;
}

function createInbox(client: MqttClient): Inbox {
  const messages: IPublishPacket[] = [];
  let read = 0;
  const waiters: Array<() => void> = [];
  client.on('message', (_topic, _payload, packet) => {
    messages.push(packet);
    for (const w of waiters.splice(0)) w();
  });
  const until = (predicate: () => boolean, timeoutMs: number, what: string): Promise<void> =>
    withTimeout(
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (predicate()) resolve();
          else waiters.push(check);
        };
        check();
      }),
      timeoutMs,
      what,
    );
  return {
    messages,
    async next(timeoutMs = 2000) {
      await until(() => messages.length > read, timeoutMs, `message #${read + 1}`);
      return messages[read++] as IPublishPacket;
    },
    async waitFor(count, timeoutMs = 3000) {
      await until(() => messages.length >= count, timeoutMs, `${count} messages (got ${messages.length})`);
      return messages.slice(0, count);
    },
    async quiet(ms) {
      const before = messages.length;
      await delay(ms);
      if (messages.length !== before) {
        throw new Error(`expected no message, got ${messages.length - before}: ${messages[before]?.topic}`);
      }
    },
  };
}

/** Resolves when the client's connection closes (bounded). */
export function closed(client: MqttClient, timeoutMs = 3000): Promise<void> {
  if (!client.connected && client.disconnected) return Promise.resolve();
  return withTimeout(
    new Promise<void>((resolve) => client.once('close', () => resolve())),
    timeoutMs,
    'client close',
  );
}

/** Drops the client's network connection without DISCONNECT (the broker sees a connection loss). */
export function dropConnection(client: MqttClient): void {
  client.stream.destroy();
  client.end(true);
}

export async function rawClient(t: TestContext, url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  const socket = netConnect(Number(port), hostname);
  t.after(() => {
    socket.destroy();
  });
  await withTimeout(
    once(socket, 'connect').then(() => undefined),
    2000,
    'tcp connect',
  );
  return socket;
}

/** Collects bytes a raw socket receives until it closes or `ms` passes. */
export async function readUntilClose(socket: Socket, ms: number): Promise<{ data: Buffer; closed: boolean }> {
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  const isClosed = await Promise.race([once(socket, 'close').then(() => true), delay(ms).then(() => false)]);
  return { data: Buffer.concat(chunks), closed: isClosed };
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
