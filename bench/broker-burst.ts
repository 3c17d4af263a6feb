/**
 * One burst against a broker, as a real device fleet sends it: publishers write as fast as their
 * socket and their own window of unacknowledged QoS 1 publishes allow (no pacing by what the
 * subscribers got), against the broker's own limits. Counts what each subscriber received.
 * Used by bench/broker-throughput.ts (`--burst`) and test/broker-crosscheck.test.ts.
 *
 *   const result = await runBurst(url, { publishers: 10, subscribers: 1, qos: 1, messages: 20_000, unacked: 100 });
 *   // result.received = [20000], result.seconds = 0.41
 */
import mqtt, { type MqttClient } from 'mqtt';

export interface BurstOptions {
  /** Publisher connections; messages are spread over them round-robin. */
  publishers: number;
  /** Subscriber connections. */
  subscribers: number;
  /** Subscribers form one `$share/{group}/` group instead of each subscribing on its own. */
  shared?: boolean;
  qos: 0 | 1;
  /** Messages in total (over all publishers). */
  messages: number;
  /** Most QoS 1 publishes awaiting PUBACK per publisher; for QoS 0, messages written per turn of the event loop. */
  unacked: number;
  /** MQTT protocol level of every client. @default 4 */
  protocolVersion?: 4 | 5;
  /** Payload bytes. @default 64 */
  payloadBytes?: number;
  /** A burst ends when everything arrived or nothing arrived for this long, ms. @default 2000 */
  quietMs?: number;
  /** Hard bound on one burst, ms. @default 60000 */
  timeoutMs?: number;
  /** Client id / topic prefix, unique per burst on a shared broker. */
  prefix: string;
}

export interface BurstResult {
  /** Messages each subscriber received, in subscriber order. */
  received: number[];
  /** Sum of `received`. */
  total: number;
  /** Messages the subscribers were owed: messages for a shared group, messages x subscribers otherwise. */
  owed: number;
  /** From the first publish to the last receipt. */
  seconds: number;
  /** total / seconds. */
  rate: number;
}

export async function runBurst(url: string, options: BurstOptions): Promise<BurstResult> {
  const protocolVersion = options.protocolVersion ?? 4;
  const payload = Buffer.alloc(options.payloadBytes ?? 64, 0x61);
  const topic = `${options.prefix}/t`;
  const filter = options.shared ? `$share/${options.prefix.replaceAll('/', '-')}/${topic}` : topic;
  const owed = options.shared ? options.messages : options.messages * options.subscribers;
  const clients: MqttClient[] = [];
  try {
    const subs = await Promise.all(
      Array.from({ length: options.subscribers }, (_, i) =>
        connectClient(url, `${options.prefix}-sub-${i}`, protocolVersion),
      ),
    );
    clients.push(...subs);
    for (const sub of subs) await sub.subscribeAsync(filter, { qos: options.qos });
    const pubs = await Promise.all(
      Array.from({ length: options.publishers }, (_, i) =>
        connectClient(url, `${options.prefix}-pub-${i}`, protocolVersion),
      ),
    );
    clients.push(...pubs);

    const received = subs.map(() => 0);
    let total = 0;
    let lastReceipt = 0;
    let done: () => void = () => {};
    const finished = new Promise<void>((resolve) => {
      done = resolve;
    });
    subs.forEach((sub, i) => {
      sub.on('message', () => {
        received[i] = (received[i] as number) + 1;
        total++;
        lastReceipt = performance.now();
        if (total >= owed) done();
      });
    });

    const start = performance.now();
    const perPublisher = pubs.map(
      (_, i) => Math.floor(options.messages / pubs.length) + (i < options.messages % pubs.length ? 1 : 0),
    );
    for (const [i, pub] of pubs.entries()) drive(pub, topic, payload, options, perPublisher[i] as number);

    const quietMs = options.quietMs ?? 2000;
    const timeoutMs = options.timeoutMs ?? 60_000;
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        const now = performance.now();
        if (now - Math.max(lastReceipt, start) > quietMs || now - start > timeoutMs) finish();
      }, 100);
      const finish = (): void => {
        clearInterval(check);
        resolve();
      };
      void finished.then(finish);
    });
    const seconds = ((lastReceipt || performance.now()) - start) / 1000;
    return { received, total, owed, seconds, rate: total / Math.max(seconds, 1e-6) };
  } finally {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
  }
}

// --- internal ---

/** Publishes `count` messages at full speed: QoS 1 keeps `unacked` in flight, QoS 0 writes `unacked` per turn. */
function drive(pub: MqttClient, topic: string, payload: Buffer, options: BurstOptions, count: number): void {
  let sent = 0;
  let outstanding = 0;
  if (options.qos === 1) {
    const next = (): void => {
      while (sent < count && outstanding < options.unacked) {
        sent++;
        outstanding++;
        pub.publish(topic, payload, { qos: 1 }, () => {
          outstanding--;
          next();
        });
      }
    };
    next();
    return;
  }
  const batch = (): void => {
    for (let i = 0; i < options.unacked && sent < count; i++, sent++) pub.publish(topic, payload, { qos: 0 });
    if (sent < count) setImmediate(batch);
  };
  batch();
}

function connectClient(url: string, clientId: string, protocolVersion: 4 | 5): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, {
      clientId,
      protocolVersion,
      clean: true,
      reconnectPeriod: 0,
      keepalive: 60,
      connectTimeout: 5000,
    });
    client.once('connect', () => {
      (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
      resolve(client);
    });
    client.once('error', (error) => {
      client.end(true);
      reject(error);
    });
  });
}
