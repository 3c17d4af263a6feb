/**
 * Broker throughput, from one run with one driver: the embedded broker (profiles mosquitto and
 * aws-iot) vs aedes vs a real Mosquitto, QoS 0 and QoS 1, in three shapes:
 *   1 → 1     one publisher, one subscriber
 *   10 → 1    ten publishers, one subscriber
 *   1 → 10sh  one publisher, a 10-member shared group `$share/bench/...` (aedes has none: n/a)
 *
 * Each broker runs in its own process (embedded and aedes through bench/broker-host.ts, Mosquitto
 * as /usr/sbin/mosquitto with a generated config); all stay up and the rounds of each case alternate
 * between them, so background load hits them alike. This process is the only driver (MQTT.js, MQTT 3.1.1 since aedes speaks nothing newer). The driver keeps at most
 * `--window` messages between publish and receipt, so no broker is pushed into dropping, and counts
 * *delivered* messages: msg/s = received / (last receipt − first publish). Queue limits are raised
 * on every broker (Mosquitto max_queued_messages, embedded maxQueuedMessages) so a subscriber that
 * lags does not lose QoS 1 messages, and the outbound QoS 1 window is the same on every broker that
 * has one (`--inflight`). Each case runs `--rounds` times; the best round is printed, with the
 * broker's CPU per message (from /proc) and the driver's: when the driver is near 100% busy, msg/s
 * measures the driver and the CPU column is the better comparison of brokers.
 *
 *   npx tsx bench/broker-throughput.ts [--messages 20000] [--rounds 5] [--window 2000] [--inflight 1000|default]
 *     [--driver single|split] [--dist] [--only embedded:mosquitto,aedes,...] [--qos 0|1] [--shape '1 → 1']
 *
 * `--driver split` moves the subscribers into a second driver process (bench/broker-subscribers.ts):
 * the single driver process is often the bottleneck at QoS 1, which hides broker differences.
 *
 * `--dist` runs the compiled broker (npm run build first); otherwise the TypeScript source is loaded
 * through tsx (same code, transpiled at load time).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { findMosquitto, startMosquittoTarget } from '../runner/targets/mosquitto.js';
import { cpuMs, type RunningBroker, startHost } from './broker-processes.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '5' },
    window: { type: 'string', default: '2000' },
    payload: { type: 'string', default: '64' },
    dist: { type: 'boolean', default: false },
    only: { type: 'string' },
    qos: { type: 'string' },
    shape: { type: 'string' },
    'cpu-prof': { type: 'string' },
    inflight: { type: 'string', default: '1000' },
    driver: { type: 'string', default: 'single' },
  },
});
const N = Number(values.messages);
const ROUNDS = Number(values.rounds);
const WINDOW = Number(values.window);
const PAYLOAD = Buffer.alloc(Number(values.payload), 0x61);
const CASE_TIMEOUT_MS = 60_000;
/** `--driver split`: subscribers in a second driver process (bench/broker-subscribers.ts). */
const SPLIT = values.driver === 'split';
const STALL_MS = 3000;
const QUEUE_LIMIT = 1_000_000;

type Shape = '1 → 1' | '10 → 1' | '1 → 10sh';
const SHAPES: Shape[] = ['1 → 1', '10 → 1', '1 → 10sh'];
const QOS = ([0, 1] as Array<0 | 1>).filter((q) => values.qos === undefined || String(q) === values.qos);

interface BrokerSpec {
  name: string;
  shared: boolean;
  start(): Promise<RunningBroker>;
}

// ---- brokers -------------------------------------------------------------------------------

/**
 * --inflight N: outbound QoS 1 window per client on the embedded broker (maxInflightOut) and
 * Mosquitto (max_inflight_messages). Both default to 20 (aws-iot profile: 100) and aedes has none,
 * so the bench sets one value for all (default 1000) and flow-control defaults do not decide the
 * comparison; `--inflight default` keeps each broker's own.
 */
const INFLIGHT = values.inflight === 'default' ? undefined : Number(values.inflight);
const inflight = INFLIGHT === undefined ? {} : { maxInflightOut: INFLIGHT };

function brokers(): BrokerSpec[] {
  const dist = values.dist === true;
  // --cpu-prof DIR: a V8 CPU profile of each embedded broker process, written when it stops.
  const profDir = values['cpu-prof'];
  const nodeArgs = profDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profDir];
  const list: BrokerSpec[] = [
    {
      name: 'embedded:mosquitto',
      shared: true,
      start: () =>
        startHost('embedded:mosquitto', { maxQueuedMessages: QUEUE_LIMIT, ...inflight }, dist, nodeArgs),
    },
    {
      name: 'embedded:aws-iot',
      shared: true,
      start: () =>
        startHost('embedded:aws-iot', { maxQueuedMessages: QUEUE_LIMIT, ...inflight }, dist, nodeArgs),
    },
    { name: 'aedes', shared: false, start: () => startHost('aedes') },
  ];
  let mosquitto = true;
  try {
    findMosquitto();
  } catch {
    mosquitto = false;
    console.log('mosquitto: not installed, column skipped');
  }
  if (mosquitto) {
    list.push({
      name: 'mosquitto',
      shared: true,
      async start() {
        // max_queued_messages raised: the stock 1000 drops QoS 1 for a subscriber that lags.
        const target = await startMosquittoTarget({
          websockets: false,
          maxQueuedMessages: QUEUE_LIMIT,
          extraConfig: INFLIGHT === undefined ? [] : [`max_inflight_messages ${INFLIGHT}`],
        });
        return { url: target.urls.mqtt, pid: target.pid, stop: () => target.close() };
      },
    });
  }
  const only = values.only?.split(',');
  return only ? list.filter((b) => only.includes(b.name)) : list;
}

// ---- driver --------------------------------------------------------------------------------

function connect(url: string, clientId: string): Promise<mqtt.MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, {
      clientId,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 0,
      keepalive: 60,
      connectTimeout: 5000,
    });
    client.once('connect', () => {
      // No Nagle delay on the driver's sockets (MQTT.js leaves it on): it throttled small
      // PUBLISHes in bursts and measured the TCP stack rather than the broker.
      (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
      resolve(client);
    });
    client.once('error', reject);
  });
}

interface CaseResult {
  delivered: number;
  rate: number;
  /** Broker CPU per delivered message, µs. */
  cpuUs: number | undefined;
  /** Driver (this process) CPU per delivered message, µs. */
  driverUs: number;
}

let caseNumber = 0;

/** The receiving side of a case: MQTT.js subscribers here, or in their own process (`--driver split`). */
interface Receivers {
  /** Called with the running total of messages received and when the last one came (performance.now()). */
  onProgress(listener: (received: number, at: number) => void): void;
  /** Ends the subscribers; returns the CPU they used since subscribing, µs (0 when in this process). */
  stop(): Promise<number>;
}

async function localReceivers(
  url: string,
  filter: string,
  qos: 0 | 1,
  count: number,
  prefix: string,
): Promise<Receivers> {
  const subs = await Promise.all(Array.from({ length: count }, (_, i) => connect(url, `${prefix}-${i}`)));
  for (const sub of subs) await sub.subscribeAsync(filter, { qos });
  let received = 0;
  return {
    onProgress(listener) {
      for (const sub of subs) {
        sub.on('message', () => {
          received++;
          listener(received, performance.now());
        });
      }
    },
    async stop() {
      await Promise.all(subs.map((c) => c.endAsync(true).catch(() => undefined)));
      return 0;
    },
  };
}

const subscriberScript = fileURLToPath(new URL('./broker-subscribers.ts', import.meta.url));

async function remoteReceivers(
  url: string,
  filter: string,
  qos: 0 | 1,
  count: number,
  prefix: string,
): Promise<Receivers> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', subscriberScript, url, filter, String(qos), String(count), prefix],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], cwd: fileURLToPath(new URL('..', import.meta.url)) },
  );
  type Report = { ready?: boolean; received?: number; at?: number; cpuUs?: number };
  let listener: ((received: number, at: number) => void) | undefined;
  let final: ((cpuUs: number) => void) | undefined;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('subscriber process not ready within 20 s')), 20_000);
    child.once('exit', (code) => reject(new Error(`subscriber process exited (${code})`)));
    child.on('message', (report: Report) => {
      if (report.ready) {
        clearTimeout(timer);
        resolve();
      }
      if (report.received !== undefined && report.at !== undefined) {
        // The child's clock as epoch ms; performance.timeOrigin maps it onto this process's clock.
        listener?.(report.received, report.at - performance.timeOrigin);
      }
      if (report.cpuUs !== undefined) final?.(report.cpuUs);
    });
  });
  return {
    onProgress(l) {
      listener = l;
    },
    stop: () =>
      new Promise<number>((resolve) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve(0);
        }, 5000);
        final = (cpuUs) => {
          clearTimeout(timer);
          resolve(cpuUs);
        };
        child.send({ stop: true });
      }),
  };
}

async function runCase(broker: RunningBroker, qos: 0 | 1, shape: Shape): Promise<CaseResult> {
  const id = ++caseNumber;
  const topic = `bench/${id}/t`;
  const publishers = shape === '10 → 1' ? 10 : 1;
  const subscribers = shape === '1 → 10sh' ? 10 : 1;
  const filter = subscribers > 1 ? `$share/bench${id}/${topic}` : topic;
  const pubs: mqtt.MqttClient[] = [];
  let receivers: Receivers | undefined;
  try {
    receivers = await (SPLIT ? remoteReceivers : localReceivers)(
      broker.url,
      filter,
      qos,
      subscribers,
      `bench-${id}-sub`,
    );
    pubs.push(
      ...(await Promise.all(
        Array.from({ length: publishers }, (_, i) => connect(broker.url, `bench-${id}-pub-${i}`)),
      )),
    );

    let sent = 0;
    let received = 0;
    let lastReceipt = 0;
    let finish: () => void = () => {};
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    let scheduled = false;
    const pump = (): void => {
      scheduled = false;
      while (sent < N && sent - received < WINDOW) {
        (pubs[sent % publishers] as mqtt.MqttClient).publish(topic, PAYLOAD, { qos });
        sent++;
      }
    };
    receivers.onProgress((total, at) => {
      received = total;
      lastReceipt = at;
      if (received >= N) finish();
      else if (!scheduled && sent < N && sent - received < WINDOW / 2) {
        // Refill in batches, once per tick: publishes of one tick leave together.
        scheduled = true;
        setImmediate(pump);
      }
    });

    const cpuBefore = cpuMs(broker.pid);
    const driverBefore = process.cpuUsage();
    const start = performance.now();
    pump();
    // Bounded: a case ends when all arrived, nothing arrived for STALL_MS, or after CASE_TIMEOUT_MS.
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearInterval(check);
        resolve();
      };
      const check = setInterval(() => {
        const now = performance.now();
        if (now - Math.max(lastReceipt, start) > STALL_MS || now - start > CASE_TIMEOUT_MS) done();
      }, 250);
      void finished.then(done);
    });
    finish();
    const cpuAfter = cpuMs(broker.pid);
    const driver = process.cpuUsage(driverBefore);
    const receiverCpu = await receivers.stop();
    receivers = undefined;
    const seconds = ((lastReceipt || performance.now()) - start) / 1000;
    return {
      delivered: received,
      rate: received / seconds,
      cpuUs:
        cpuBefore !== undefined && cpuAfter !== undefined && received > 0
          ? ((cpuAfter - cpuBefore) * 1000) / received
          : undefined,
      driverUs: (driver.user + driver.system + receiverCpu) / Math.max(received, 1),
    };
  } finally {
    await receivers?.stop();
    await Promise.all(pubs.map((c) => c.endAsync(true).catch(() => undefined)));
  }
}

// ---- report --------------------------------------------------------------------------------

function fmtRate(result: CaseResult | undefined): string {
  if (!result) return 'n/a';
  const rate = Math.round(result.rate).toLocaleString('en-US');
  return result.delivered < N ? `${rate} (${result.delivered}/${N})` : rate;
}

function fmtRatio(a: CaseResult | undefined, b: CaseResult | undefined, target: number): string {
  if (!a || !b) return 'n/a';
  const ratio = a.rate / b.rate;
  return `${ratio.toFixed(2)}x ${ratio >= target ? 'ok' : 'BELOW'}`;
}

/** Broker efficiency: other's CPU per message / embedded's, i.e. > 1 when the embedded broker needs less. */
function fmtCpuRatio(a: CaseResult | undefined, b: CaseResult | undefined): string {
  if (a?.cpuUs === undefined || b?.cpuUs === undefined || a.cpuUs === 0) return 'n/a';
  return `${(b.cpuUs / a.cpuUs).toFixed(2)}x`;
}

async function main(): Promise<void> {
  const specs = brokers();
  const source =
    values.dist === true
      ? 'compiled dist/ (bench/broker-host.ts imports dist/broker)'
      : 'TypeScript source through tsx (node --import tsx)';
  if (values.dist === true && !existsSync(new URL('../dist/broker/index.js', import.meta.url))) {
    throw new Error('--dist needs the compiled broker: run npm run build first');
  }
  console.log(
    `broker throughput: ${N} messages per case, ${PAYLOAD.length}-byte payload, MQTT 3.1.1, ` +
      `window ${WINDOW}, outbound QoS 1 window ${INFLIGHT ?? "each broker's default"}, best of ${ROUNDS}; driver: ${SPLIT ? 'two processes (publishers | subscribers)' : 'one process'}; embedded broker from ${source}; Node ${process.version}`,
  );
  const results = new Map<string, CaseResult>();
  // Every broker runs for the whole bench (idle ones cost nothing) and the rounds of one case
  // alternate between brokers, so a background load spike hits them all alike.
  const running: RunningBroker[] = [];
  try {
    for (const spec of specs) running.push(await spec.start());
    for (const qos of QOS) {
      for (const shape of SHAPES) {
        if (values.shape !== undefined && !shape.startsWith(values.shape)) continue;
        for (let round = 0; round < ROUNDS; round++) {
          for (const [i, spec] of specs.entries()) {
            if (shape === '1 → 10sh' && !spec.shared) continue;
            const result = await runCase(running[i] as RunningBroker, qos, shape);
            const key = `${spec.name}|${qos}|${shape}`;
            const best = results.get(key);
            if (!best || result.rate > best.rate) results.set(key, result);
          }
        }
        for (const spec of specs) {
          const best = results.get(`${spec.name}|${qos}|${shape}`);
          if (best) process.stderr.write(`  ${spec.name} QoS ${qos} ${shape}: ${fmtRate(best)} msg/s\n`);
        }
      }
    }
  } finally {
    await Promise.all(running.map((b) => b.stop()));
  }

  const names = specs.map((s) => s.name);
  const width = 22;
  const header = ['case'.padEnd(14), ...names.map((n) => n.padStart(width))].join(' ');
  console.log('\ndelivered msg/s (higher is better)');
  console.log(header);
  for (const qos of QOS) {
    for (const shape of SHAPES) {
      const row = names.map((n) => fmtRate(results.get(`${n}|${qos}|${shape}`)).padStart(width));
      console.log([`QoS ${qos} ${shape}`.padEnd(14), ...row].join(' '));
    }
  }
  console.log(
    '\nbroker CPU per delivered message, µs (lower is better); in parentheses: driver CPU per message, driver busy share of one core',
  );
  console.log(header);
  for (const qos of QOS) {
    for (const shape of SHAPES) {
      const row = names.map((n) => {
        const result = results.get(`${n}|${qos}|${shape}`);
        const cpu = result?.cpuUs;
        // Driver busy share: its CPU per message × msg/s; near 100% the driver, not the broker, sets msg/s.
        const busy = result ? Math.round((result.driverUs * result.rate) / 10_000) : 0;
        const text =
          cpu === undefined || !result
            ? 'n/a'
            : `${cpu.toFixed(1)} (drv ${result.driverUs.toFixed(1)}, ${busy}%)`;
        return text.padStart(width);
      });
      console.log([`QoS ${qos} ${shape}`.padEnd(14), ...row].join(' '));
    }
  }
  console.log(
    '\nratios of the embedded broker (profile mosquitto) to the others; targets on msg/s: ≥ 1.5x aedes, ≥ 0.8x mosquitto.' +
      '\nCPU/msg ratio = their broker CPU per message / embedded (> 1: the embedded broker needs less CPU per message).',
  );
  console.log(
    [
      'case'.padEnd(14),
      'msg/s vs aedes'.padStart(width),
      'msg/s vs mosquitto'.padStart(width),
      'CPU/msg vs aedes'.padStart(width),
      'CPU/msg vs mosquitto'.padStart(width),
    ].join(' '),
  );
  for (const qos of QOS) {
    for (const shape of SHAPES) {
      const embedded = results.get(`embedded:mosquitto|${qos}|${shape}`);
      const aedes = results.get(`aedes|${qos}|${shape}`);
      const mosquitto = results.get(`mosquitto|${qos}|${shape}`);
      console.log(
        [
          `QoS ${qos} ${shape}`.padEnd(14),
          fmtRatio(embedded, aedes, 1.5).padStart(width),
          fmtRatio(embedded, mosquitto, 0.8).padStart(width),
          fmtCpuRatio(embedded, aedes).padStart(width),
          fmtCpuRatio(embedded, mosquitto).padStart(width),
        ].join(' '),
      );
    }
  }
}

await main();
