/**
 * One broker in its own process, for the broker benchmarks: the embedded broker (a profile) or
 * aedes (MQTT 3.1.1, net.createServer(aedes.handle)). Prints one JSON line `{"port":N,"pid":N}` on
 * stdout once it listens; each `stats` line on stdin is answered with `{"rss":bytes,...}`; it exits
 * when stdin closes or on SIGTERM/SIGINT, so a crashed driver never leaves it behind.
 *
 *   node --import tsx bench/broker-host.ts embedded:mosquitto|embedded:aws-iot|aedes [--settings JSON]
 */
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { writeHeapSnapshot } from 'node:v8';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { settings: { type: 'string', default: '{}' }, dist: { type: 'boolean', default: false } },
});
const kind = positionals[0] ?? 'embedded:mosquitto';

interface Running {
  port: number;
  close(): Promise<void>;
  /** Sizes the embedded broker keeps (client entries in its stats, sessions, connections). */
  sizes?(): Record<string, number>;
}

async function start(): Promise<Running> {
  if (kind === 'aedes') {
    const { Aedes } = await import('aedes');
    const aedes = await Aedes.createBroker();
    const server = createServer(aedes.handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    return {
      port: typeof address === 'object' && address ? address.port : 0,
      close: () =>
        new Promise<void>((resolve) => {
          server.close(() => aedes.close(() => resolve()));
        }),
    };
  }
  const profile = kind.slice('embedded:'.length) as 'mosquitto' | 'aws-iot';
  // --dist: the compiled broker (npm run build) instead of the TypeScript source through tsx.
  const module = (
    values.dist
      ? await import(new URL('../dist/broker/index.js', import.meta.url).href)
      : await import('../broker/index.js')
  ) as typeof import('../broker/index.js');
  const broker = await module.startBroker({ profile, settings: JSON.parse(values.settings as string) });
  const url = new URL(broker.urls.mqtt as string);
  return {
    port: Number(url.port),
    close: () => broker.close(),
    sizes: () => {
      const stats = broker.stats();
      return {
        clients: Object.keys(stats.clients).length,
        sessions: stats.totals.sessions,
        connections: stats.totals.connections,
      };
    },
  };
}

const running = await start();
let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  await Promise.race([running.close(), new Promise((resolve) => setTimeout(resolve, 3000).unref())]);
  process.stdin.destroy();
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() === 'stats') {
    const memory = process.memoryUsage();
    process.stdout.write(
      `${JSON.stringify({ rss: memory.rss, heapTotal: memory.heapTotal, heapUsed: memory.heapUsed, external: memory.external, ...running.sizes?.() })}\n`,
    );
  } else if (line.trim() === 'snapshot') {
    // A heap snapshot for memory work (Chrome DevTools → Memory → Load).
    process.stdout.write(
      `${JSON.stringify({ path: writeHeapSnapshot(join(tmpdir(), `broker-${process.pid}.heapsnapshot`)) })}\n`,
    );
  } else if (line.trim() === 'gc') {
    (globalThis as { gc?: () => void }).gc?.();
    process.stdout.write('{"gc":true}\n');
  }
});
lines.on('close', () => void stop());
process.stdout.write(`${JSON.stringify({ port: running.port, pid: process.pid })}\n`);
