/**
 * Runner overhead: 1 publisher → 3 shared subscribers, 50,000 messages, mqscen's
 * delivered-and-verified msg/s (runScenario: identity header, record, oracle and assertions
 * included) next to a bare MQTT.js script doing the same, and the CPU time per message of each.
 * Target: ratio ≥ 0.9 on every broker.
 *
 * Like for like: both sides speak MQTT 5 through MQTT.js, publish at QoS 1 with the same window of
 * unacknowledged publishes, subscribe at QoS 1 to the same kind of `$share` group, and talk to the
 * same broker in its own process (the embedded broker through bench/broker-host.ts, or a real
 * Mosquitto), so the CPU time of this process is the clients' alone on both sides. The broker's
 * CPU per message is printed too, to show both sides gave it the same work.
 *
 *   npx tsx bench/engine-throughput.ts [--targets embedded,mosquitto] [--rounds 5] [--messages 50000]
 *     [--window 100] [--sides bare,transport,mqscen] [--with-property]
 *
 * `transport` is the runner's MQTT.js transport alone in the bare script's loop, so the figures
 * say how much of the runner's cost is the transport seam and how much the engine and verdict.
 * `--sides mqscen` under `node --cpu-prof --import tsx bench/engine-throughput.ts` profiles the
 * runner alone.
 */
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { runScenario } from '../runner/engine/run-scenario.js';
import { findMosquitto, startMosquittoTarget } from '../runner/targets/mosquitto.js';
import type { StartedTarget } from '../runner/targets/target.js';
import { startUrlTarget } from '../runner/targets/url.js';
import { mqttjsTransport } from '../runner/transports/mqttjs.js';
import { burstScenario } from './_burst-scenario.js';
import { cpuMs, startHost } from './broker-processes.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '50000' },
    rounds: { type: 'string', default: '5' },
    targets: { type: 'string', default: 'embedded,mosquitto' },
    window: { type: 'string', default: '100' },
    sides: { type: 'string', default: 'bare,transport,mqscen' },
    'with-property': { type: 'boolean', default: false },
  },
});
const N = Number(values.messages);
const ROUNDS = Number(values.rounds);
const WINDOW = Number(values.window);
const SIDES = new Set((values.sides as string).split(',').map((x) => x.trim()));

/** A broker in its own process, as a URL target, with its pid for its CPU time. */
interface Broker {
  label: string;
  url: string;
  pid: number;
  target: StartedTarget;
  close(): Promise<void>;
}

async function startBrokerProcess(kind: string): Promise<Broker | undefined> {
  if (kind === 'mosquitto') {
    try {
      findMosquitto();
    } catch {
      console.log('mosquitto: not installed, skipped');
      return undefined;
    }
    const m = await startMosquittoTarget({ maxQueuedMessages: 0, websockets: false });
    return { label: 'Mosquitto', url: m.urls.mqtt, pid: m.pid, target: m, close: () => m.close() };
  }
  const host = await startHost('embedded:mosquitto', { maxQueuedMessages: 1e9 });
  const target = await startUrlTarget({ name: 'embedded', url: host.url, behaviour: 'mosquitto' });
  return {
    label: 'embedded broker (own process)',
    url: host.url,
    pid: host.pid,
    target,
    close: () => host.stop(),
  };
}

/** Delivered msg/s (wall clock), this process's CPU time per message (µs) and the broker's. */
interface Measure {
  rate: number;
  cpuUs: number;
  brokerUs: number;
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return d.user + d.system;
}

/** The broker's CPU time per message over a measured span, µs (from /proc, 10 ms ticks). */
function brokerMeter(pid: number): () => number {
  const start = cpuMs(pid) ?? Number.NaN;
  return () => (((cpuMs(pid) ?? Number.NaN) - start) * 1000) / N;
}

/** The bare script: MQTT.js, the same window of unacknowledged publishes, counts receipts once. */
async function bare(broker: Broker, round: number): Promise<Measure> {
  const url = broker.url;
  const topic = `bench/bare/${round}`;
  const filter = `$share/bench-bare-${round}/${topic}`;
  let receiveMaximum = Number.POSITIVE_INFINITY;
  const connect = (id: string) =>
    new Promise<mqtt.MqttClient>((resolve, reject) => {
      const c = mqtt.connect(url, { clientId: id, protocolVersion: 5, reconnectPeriod: 0 });
      c.once('connect', (connack) => {
        receiveMaximum = connack.properties?.receiveMaximum ?? receiveMaximum;
        resolve(c);
      });
      c.once('error', reject);
    });
  const subs = await Promise.all([1, 2, 3].map((i) => connect(`bare-sub-${round}-${i}`)));
  let received = 0;
  let done: () => void = () => {};
  const all = new Promise<void>((r) => {
    done = r;
  });
  const seen = new Uint8Array(N);
  for (const s of subs) {
    await s.subscribeAsync(filter, { qos: 1 });
    s.on('message', (_t, payload) => {
      const seq = Number(payload.toString('latin1', 0, payload.indexOf(10)));
      if (seen[seq] === 0) {
        seen[seq] = 1;
        received++;
      }
      if (received === N) done();
    });
  }
  const pub = await connect(`bare-pub-${round}`);
  // The same flow window as the runner: no more unacknowledged publishes than the broker's
  // Receive Maximum allows [MQTT-3.3.4-9] (Mosquitto and the embedded broker announce 20).
  const window = Math.min(WINDOW, receiveMaximum);
  const body = Buffer.from('hello');
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const brokerUs = brokerMeter(broker.pid);
  let inflight = 0;
  let wake: (() => void) | undefined;
  for (let i = 0; i < N; i++) {
    while (inflight >= window) await new Promise<void>((r) => (wake = r));
    inflight++;
    pub.publish(topic, Buffer.concat([Buffer.from(`${i}\n`), body]), { qos: 1 }, () => {
      inflight--;
      const w = wake;
      wake = undefined;
      w?.();
    });
  }
  // Bounded: a broker that drops messages must end the bench with a message, not hang it.
  const limit = setTimeout(() => {
    console.error(
      `bare MQTT.js: only ${received} of ${N} messages arrived within 120 s; the broker dropped some`,
    );
    process.exit(1);
  }, 120_000);
  await all;
  clearTimeout(limit);
  const secs = (performance.now() - t0) / 1000;
  const cpuUs = cpuSince(cpu0) / N;
  const brokerCpu = brokerUs();
  await Promise.all([...subs, pub].map((c) => c.endAsync()));
  return { rate: N / secs, cpuUs, brokerUs: brokerCpu };
}

/**
 * The runner's transport alone (runner/transports/mqttjs.ts, as the engine drives it) in the bare
 * script's loop: what the transport seam costs, apart from the engine and the verdict.
 */
async function transportOnly(broker: Broker, round: number): Promise<Measure> {
  const topic = `bench/transport/${round}`;
  const filter = `$share/bench-transport-${round}/${topic}`;
  const connect = (clientId: string) =>
    mqttjsTransport.connect({
      url: broker.url,
      clientId,
      protocol: '5',
      clean: true,
      keepalive: 30,
      connectTimeoutMs: 10_000,
    });
  const subs = await Promise.all([1, 2, 3].map((i) => connect(`transport-sub-${round}-${i}`)));
  let received = 0;
  let done: () => void = () => {};
  const all = new Promise<void>((r) => {
    done = r;
  });
  const seen = new Uint8Array(N);
  for (const s of subs) {
    await s.subscribe([{ filter, qos: 1 }]);
    s.on('message', (msg) => {
      const p = msg.payload as Buffer;
      const seq = Number(p.toString('latin1', 0, p.indexOf(10)));
      if (seen[seq] === 0) {
        seen[seq] = 1;
        received++;
      }
      if (received === N) done();
    });
  }
  const pub = await connect(`transport-pub-${round}`);
  const window = Math.min(WINDOW, pub.connack.receiveMaximum ?? Number.POSITIVE_INFINITY);
  const body = Buffer.from('hello');
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const brokerUs = brokerMeter(broker.pid);
  let inflight = 0;
  let wake: (() => void) | undefined;
  const release = () => {
    inflight--;
    const w = wake;
    wake = undefined;
    w?.();
  };
  for (let i = 0; i < N; i++) {
    while (inflight >= window) await new Promise<void>((r) => (wake = r));
    inflight++;
    const payload = Buffer.concat([Buffer.from(`${i}\n`), body]);
    void pub.publish({ topic, payload, qos: 1, retain: false }).then(release, release);
  }
  const limit = setTimeout(() => {
    console.error(`transport: only ${received} of ${N} messages arrived within 120 s`);
    process.exit(1);
  }, 120_000);
  await all;
  clearTimeout(limit);
  const secs = (performance.now() - t0) / 1000;
  const cpuUs = cpuSince(cpu0) / N;
  const brokerCpu = brokerUs();
  await Promise.all([...subs, pub].map((c) => c.disconnect({ how: 'graceful' })));
  return { rate: N / secs, cpuUs, brokerUs: brokerCpu };
}

async function engine(
  broker: Broker,
  round: number,
  identityProperty: boolean,
): Promise<Measure & { verdict: string }> {
  const topic = `bench/mqscen/${round}`;
  const s = burstScenario({
    name: 'engine throughput',
    topic,
    group: `bench-mqscen-${round}`,
    count: N,
    idPrefix: `mqscen-${round}`,
  });
  // Timed from the start of the publish step to the end of the settle step, through the hooks.
  let t0 = 0;
  let t1 = 0;
  let cpu0 = process.cpuUsage();
  let cpuUs = 0;
  let brokerUs: () => number = () => Number.NaN;
  let brokerCpu = Number.NaN;
  const r = await runScenario(s, {
    target: broker.target,
    reporter: {
      onStepStart: (_info, step) => {
        if (step.ref !== 2) return;
        t0 = performance.now();
        cpu0 = process.cpuUsage();
        brokerUs = brokerMeter(broker.pid);
      },
      onStepEnd: (_info, step) => {
        if (step.ref !== 3) return;
        t1 = performance.now();
        cpuUs = cpuSince(cpu0);
        brokerCpu = brokerUs();
      },
    },
    signal: new AbortController().signal,
    timings: { publishWindow: WINDOW },
    identityProperty,
  });
  const settle = r.steps[2];
  const verdict = `${r.status}; ${r.assertions.map((a) => `${a.kind} ${a.status}`).join(', ')}; ${settle?.notes.join(' ')}`;
  return { rate: r.counters.received / ((t1 - t0) / 1000), cpuUs: cpuUs / N, brokerUs: brokerCpu, verdict };
}

const fmt = (m: Measure) =>
  `${Math.round(m.rate)} msg/s, ${m.cpuUs.toFixed(1)} µs CPU/msg (broker ${m.brokerUs.toFixed(1)})`;
const none = (): Measure => ({ rate: 0, cpuUs: Infinity, brokerUs: Infinity });
const keep = (best: Measure, m: Measure): Measure => ({
  rate: Math.max(best.rate, m.rate),
  cpuUs: Math.min(best.cpuUs, m.cpuUs),
  brokerUs: Math.min(best.brokerUs, m.brokerUs),
});
const ratio = (m: Measure, base: Measure) =>
  `throughput ratio ${(m.rate / base.rate).toFixed(2)}, CPU ratio ${(base.cpuUs / m.cpuUs).toFixed(2)}`;

const summary: string[] = [];
for (const kind of (values.targets as string).split(',')) {
  const broker = await startBrokerProcess(kind.trim());
  if (broker === undefined) continue;
  console.log(
    `broker: ${broker.label} ${broker.url}; ${N} messages, MQTT 5, QoS 1 publishes and subscriptions, window min(${WINDOW}, the broker's Receive Maximum), 1 publisher → 3 shared subscribers`,
  );
  try {
    // Rounds interleave the sides so that load from elsewhere on the machine hits them alike; the
    // best of each is compared. Wall-clock rates suffer from other load on the machine; the CPU
    // time per message of this process (the clients alone: the broker has its own process) is
    // the steadier comparison.
    let b = none();
    let t = none();
    let e = none();
    let h = none();
    const doBare = SIDES.has('bare');
    const doTransport = SIDES.has('transport');
    const doMqscen = SIDES.has('mqscen');
    // One uncounted warm-up of each, so the JIT has compiled both paths before anything is timed.
    if (doBare) await bare(broker, 0);
    if (doTransport) await transportOnly(broker, 0);
    if (doMqscen) await engine(broker, 0, false);
    if (doMqscen && values['with-property']) await engine(broker, 1000, true);
    for (let round = 1; round <= ROUNDS; round++) {
      const parts: string[] = [];
      if (doBare) {
        const m = await bare(broker, round);
        b = keep(b, m);
        parts.push(`bare MQTT.js ${fmt(m)}`);
      }
      if (doTransport) {
        const m = await transportOnly(broker, round);
        t = keep(t, m);
        parts.push(`transport ${fmt(m)}`);
      }
      if (doMqscen) {
        const m = await engine(broker, round, false);
        e = keep(e, m);
        parts.push(`mqscen ${fmt(m)} (${m.verdict})`);
      }
      if (doMqscen && values['with-property']) {
        const m = await engine(broker, round + 1000, true);
        h = keep(h, m);
        parts.push(`mqscen + identity user property ${fmt(m)}`);
      }
      console.log(`  round ${round}: ${parts.join('; ')}`);
    }
    const lines = [`${broker.label}, best of ${ROUNDS}:`];
    if (doBare) lines.push(`  bare MQTT.js: ${fmt(b)}`);
    if (doTransport) lines.push(`  transport:    ${fmt(t)}${doBare ? `; ${ratio(t, b)}` : ''}`);
    if (doMqscen) lines.push(`  mqscen:       ${fmt(e)}${doBare ? `; ${ratio(e, b)} (target ≥ 0.9)` : ''}`);
    if (doMqscen && values['with-property'])
      lines.push(`  mqscen, identityProperty: true: ${fmt(h)}${doBare ? `; ${ratio(h, b)}` : ''}`);
    console.log(lines.join('\n'));
    summary.push(...lines);
  } finally {
    await broker.close();
  }
}
console.log(`\n${summary.join('\n')}`);
