/**
 * The subscriber half of bench/broker-throughput.ts with `--driver split`: MQTT.js subscribers in
 * their own process, so publishing and receiving do not share one event loop. Talks to the parent
 * over IPC: `{ ready }` once subscribed, `{ received, at }` (at most every 2 ms) while messages
 * arrive, `{ cpuUs }` when told `stop`, then exits.
 *
 *   (spawned by broker-throughput.ts) node --import tsx bench/broker-subscribers.ts URL FILTER QOS COUNT PREFIX
 */
import mqtt from 'mqtt';

const [url, filter, qosText, countText, prefix] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
const qos = Number(qosText) as 0 | 1;
const send = (message: object): void => {
  process.send?.(message);
};

const clients = await Promise.all(
  Array.from(
    { length: Number(countText) },
    (_, i) =>
      new Promise<mqtt.MqttClient>((resolve, reject) => {
        const client = mqtt.connect(url, {
          clientId: `${prefix}-${i}`,
          protocolVersion: 4,
          clean: true,
          reconnectPeriod: 0,
          keepalive: 60,
          connectTimeout: 5000,
        });
        client.once('connect', () => {
          // No Nagle delay on the driver's sockets, as in broker-throughput.ts.
          (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
          resolve(client);
        });
        client.once('error', reject);
      }),
  ),
);
let received = 0;
let reported = 0;
let lastAt = 0;
for (const client of clients) {
  await client.subscribeAsync(filter, { qos });
  client.on('message', () => {
    received++;
    lastAt = performance.timeOrigin + performance.now();
  });
}
const cpuStart = process.cpuUsage();
const ticker = setInterval(() => {
  if (received !== reported) {
    reported = received;
    send({ received, at: lastAt });
  }
}, 2);
process.on('message', async (message: { stop?: boolean }) => {
  if (!message.stop) return;
  clearInterval(ticker);
  const cpu = process.cpuUsage(cpuStart);
  send({ received, at: lastAt, cpuUs: cpu.user + cpu.system });
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
  process.disconnect();
});
process.on('disconnect', () => {
  clearInterval(ticker);
  for (const client of clients) client.end(true);
});
send({ ready: true });
