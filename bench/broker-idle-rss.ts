/**
 * Memory of the embedded broker holding many idle clients: the broker runs alone in its own
 * process (bench/broker-host.ts); this process opens `--clients` TCP connections (default 10,000),
 * each sending CONNECT (MQTT 3.1.1, clean session, keep alive 0) and one SUBSCRIBE to its own
 * filter `idle/{n}/+`, then waits for every SUBACK. Printed: the broker's RSS before and after
 * (after a full GC), and the cost per connection. Target: ≤ 200 MB with 10,000 clients.
 *
 * Clients are raw sockets with packets from mqtt-packet, not MQTT.js: 10,000 MQTT.js clients would
 * measure the driver's memory pressure, not the broker's. Both processes need one file descriptor
 * per connection: when `ulimit -n` is too low the script re-runs itself under `sh -c 'ulimit -n N'`
 * (possible up to the hard limit; otherwise raise it, e.g. in /etc/security/limits.conf).
 *
 * The broker measured is `mqscen broker` as users run it (node bin/mqscen.js, compiled dist/: run
 * npm run build first); `--via source` measures the TypeScript source through tsx instead (tsx and
 * esbuild add tens of MB of their own; the per-connection figure stays comparable).
 *
 *   npx tsx bench/broker-idle-rss.ts [--clients 10000] [--profile mosquitto|aws-iot] [--via cli|source]
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import mqttPacket from 'mqtt-packet';
import { startHost } from './broker-processes.js';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '10000' },
    profile: { type: 'string', default: 'mosquitto' },
    batch: { type: 'string', default: '250' },
    via: { type: 'string', default: 'cli' },
    snapshot: { type: 'boolean', default: false },
  },
});
const CLIENTS = Number(values.clients);
const BATCH = Number(values.batch);
const TIMEOUT_MS = 120_000;
const MB = 1024 * 1024;

/** Soft (or, with `hard`, hard) limit on open files of this process, as the shell sees it. */
function openFileLimit(hard = false): number {
  const out = spawnSync('sh', ['-c', `ulimit -${hard ? 'H' : 'S'}n`], { encoding: 'utf8' }).stdout.trim();
  return out === 'unlimited' ? Number.POSITIVE_INFINITY : Number(out);
}

const needed = CLIENTS + 200;
if (openFileLimit(true) < needed) {
  console.error(
    `the open-file hard limit (ulimit -Hn) is ${openFileLimit(true)}; this bench needs ${needed} ` +
      '(one descriptor per connection in the broker and in the driver): raise it as root, e.g. ' +
      '`ulimit -Hn 20000` in the shell that runs the bench, or use --clients with a smaller number',
  );
  process.exitCode = 2;
} else if (openFileLimit() < needed && process.env.MQSCEN_BENCH_ULIMIT === undefined) {
  // Raise the soft limit (up to the hard one) for this script and the broker it starts.
  const script = fileURLToPath(import.meta.url);
  const quoted = [process.execPath, ...process.execArgv, script, ...process.argv.slice(2)]
    .map((a) => `'${a.replaceAll("'", "'\\''")}'`)
    .join(' ');
  console.log(`raising the open-file limit to ${needed} (ulimit -n) and running again`);
  const child = spawn('sh', ['-c', `ulimit -S -n ${needed} && exec ${quoted}`], {
    stdio: 'inherit',
    env: { ...process.env, MQSCEN_BENCH_ULIMIT: '1' },
  });
  const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
  process.exitCode = code;
} else {
  await main();
}

async function main(): Promise<void> {
  if (openFileLimit() < needed) {
    throw new Error(
      `open-file limit ${openFileLimit()} is below the ${needed} this bench needs; raise the hard limit (ulimit -Hn)`,
    );
  }
  const profile = values.profile as 'mosquitto' | 'aws-iot';
  const broker = values.via === 'cli' ? await startCli(profile) : await startSource(profile);
  const sockets: Socket[] = [];
  try {
    const before = await broker.memory();
    const port = Number(new URL(broker.url).port);
    const started = performance.now();
    for (let first = 0; first < CLIENTS; first += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, CLIENTS - first) }, (_, i) => first + i);
      sockets.push(...(await Promise.all(batch.map((n) => idleClient(port, n, profile)))));
    }
    const connectSeconds = (performance.now() - started) / 1000;
    // Let the broker settle (timers, lazy GC) before reading its memory.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const after = await broker.memory();
    console.log(`embedded broker, profile ${profile}, ${broker.description}, Node ${process.version}`);
    console.log(`  clients connected and subscribed: ${sockets.length} in ${connectSeconds.toFixed(1)} s`);
    console.log(`  broker RSS before: ${(before / MB).toFixed(1)} MB`);
    console.log(
      `  broker RSS with ${CLIENTS} idle clients: ${(after / MB).toFixed(1)} MB` +
        (CLIENTS === 10_000 ? `  (target ≤ 200 MB: ${after <= 200 * MB ? 'ok' : 'ABOVE'})` : ''),
    );
    console.log(`  per connection: ${((after - before) / CLIENTS / 1024).toFixed(1)} KB`);
  } finally {
    for (const socket of sockets) socket.destroy();
    await broker.stop();
  }
}

interface MeasuredBroker {
  url: string;
  description: string;
  /** Resident set size, bytes. */
  memory(): Promise<number>;
  stop(): Promise<void>;
}

/** VmRSS of a process from /proc (Linux). */
function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kb) * 1024;
}

/** `mqscen broker` as users run it: the compiled CLI (npm run build), in its own process. */
async function startCli(profile: string): Promise<MeasuredBroker> {
  const bin = fileURLToPath(new URL('../bin/mqscen.js', import.meta.url));
  if (!existsSync(new URL('../dist/runner/cli/main.js', import.meta.url))) {
    throw new Error('the compiled CLI is missing: run npm run build (or use --via source)');
  }
  const child = spawn(process.execPath, [bin, 'broker', '--port', '0', '--profile', profile], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('mqscen broker printed no URL within 20 s')), 20_000);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const found = /mqtt:\/\/[\d.]+:\d+/.exec(output);
      if (found) {
        clearTimeout(timer);
        resolve(found[0]);
      }
    });
    child.once('exit', (code) => reject(new Error(`mqscen broker exited (${code}): ${output}`)));
  });
  const pid = child.pid as number;
  await new Promise((resolve) => setTimeout(resolve, 500));
  return {
    url,
    description: `node bin/mqscen.js broker (compiled dist/)`,
    memory: async () => rssOf(pid),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) {
          resolve();
          return;
        }
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGINT');
      }),
  };
}

/** The TypeScript source through bench/broker-host.ts (tsx adds its own memory to the figures). */
async function startSource(profile: string): Promise<MeasuredBroker> {
  const host = await startHost(`embedded:${profile}`, {}, false, ['--expose-gc']);
  return {
    url: host.url,
    description: 'TypeScript source through tsx (bench/broker-host.ts; tsx itself adds to the RSS)',
    async memory() {
      await host.request('gc');
      if (values.snapshot === true) console.log('heap snapshot:', (await host.request('snapshot')).path);
      return Number((await host.request('stats')).rss);
    },
    stop: () => host.stop(),
  };
}

/** One raw MQTT 3.1.1 client: CONNECT, CONNACK, SUBSCRIBE, SUBACK; resolves with the open socket. */
function idleClient(port: number, n: number, profile: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(port, '127.0.0.1');
    const parser = mqttPacket.parser();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`client ${n}: no SUBACK within ${TIMEOUT_MS} ms`));
    }, TIMEOUT_MS);
    parser.on('packet', (packet: mqttPacket.Packet) => {
      if (packet.cmd === 'connack') {
        if (packet.returnCode !== 0) reject(new Error(`client ${n}: CONNACK ${packet.returnCode}`));
        socket.write(
          mqttPacket.generate({
            cmd: 'subscribe',
            messageId: 1,
            subscriptions: [{ topic: `idle/${n}/+`, qos: 1 }],
          }),
        );
      } else if (packet.cmd === 'suback') {
        clearTimeout(timer);
        socket.removeAllListeners('data');
        resolve(socket);
      }
    });
    socket.on('data', (chunk) => parser.parse(chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once('connect', () => {
      socket.write(
        mqttPacket.generate({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clientId: `idle-${n}`,
          clean: true,
          // aws-iot clamps keep alive 0 to 1200 s (K-1); either way nothing expires during the bench.
          keepalive: profile === 'aws-iot' ? 1200 : 0,
        }),
      );
    });
  });
}
