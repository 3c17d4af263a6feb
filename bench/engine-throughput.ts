/**
 * Engine throughput: 1 publisher → 3 shared subscribers, QoS 1, 50,000 messages, on one broker in
 * one run: mqscen's delivered-and-verified msg/s (runScenario, oracle and assertions included)
 * next to a bare MQTT.js script doing the same. Target: ratio ≥ 0.9.
 *
 *   npx tsx bench/engine-throughput.ts [--messages 50000] [--rounds 3] [--window 100] [--target mosquitto|embedded]
 */
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { runScenario } from '../runner/engine/run-scenario.js';
import { startEmbeddedTarget } from '../runner/targets/embedded.js';
import { findMosquitto, startMosquittoTarget } from '../runner/targets/mosquitto.js';
import type { StartedTarget } from '../runner/targets/target.js';
import { client, scenario } from '../runner/verdict/_fixtures.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '50000' },
    rounds: { type: 'string', default: '3' },
    target: { type: 'string' },
    window: { type: 'string', default: '100' },
  },
});
const N = Number(values.messages);
const ROUNDS = Number(values.rounds);
const WINDOW = Number(values.window);

async function startTarget(): Promise<StartedTarget & { urls: { mqtt: string } }> {
  const wanted = values.target ?? (hasMosquitto() ? 'mosquitto' : 'embedded');
  return wanted === 'mosquitto'
    ? startMosquittoTarget()
    : startEmbeddedTarget({ profile: 'mosquitto', settings: { maxQueuedMessages: 1e9 } });
}

function hasMosquitto(): boolean {
  try {
    findMosquitto();
    return true;
  } catch {
    return false;
  }
}

/** The bare script: MQTT.js, same window of unacknowledged publishes, counts receipts. */
/** Delivered msg/s (wall clock) and this process's CPU time per message (user + system, µs). */
interface Measure {
  rate: number;
  cpuUs: number;
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return d.user + d.system;
}

async function bare(url: string, round: number): Promise<Measure> {
  const topic = `bench/bare/${round}`;
  const filter = `$share/bench-bare-${round}/${topic}`;
  const connect = (id: string) =>
    new Promise<mqtt.MqttClient>((resolve, reject) => {
      const c = mqtt.connect(url, { clientId: id, protocolVersion: 5, reconnectPeriod: 0 });
      c.once('connect', () => resolve(c));
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
  const body = Buffer.from('hello');
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let inflight = 0;
  let wake: (() => void) | undefined;
  for (let i = 0; i < N; i++) {
    while (inflight >= WINDOW) await new Promise<void>((r) => (wake = r));
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
  await Promise.all([...subs, pub].map((c) => c.endAsync()));
  return { rate: N / secs, cpuUs };
}

async function engine(
  target: StartedTarget,
  round: number,
  identityProperty: boolean,
): Promise<Measure & { verdict: string }> {
  const topic = `bench/mqscen/${round}`;
  const subs = [1, 2, 3].map((i) =>
    client(`subscriber[${i}]`, {
      clientId: `mqscen-sub-${round}-${i}`,
      subscriptions: [{ filter: `$share/bench-mqscen-${round}/${topic}`, qos: 1 }],
    }),
  );
  const s = scenario({
    name: 'engine throughput',
    clients: [...subs, client('publisher', { clientId: `mqscen-pub-${round}` })],
    steps: [
      { kind: 'connect', clients: ['subscriber[1]', 'subscriber[2]', 'subscriber[3]', 'publisher'] },
      {
        kind: 'publish',
        from: ['publisher'],
        topic,
        count: N,
        qos: 1,
        retain: false,
        payload: { kind: 'text', text: 'hello' },
      },
      { kind: 'settle', timeoutMs: 120_000, quietMs: 0 },
    ],
    expect: [
      { kind: 'no-loss', minQos: 1 },
      { kind: 'duplicates', max: 0, allow: ['redelivery', 'extra-copy'] },
      {
        kind: 'shared-group',
        group: `bench-mqscen-${round}`,
        eachMessage: 'once',
        everyMemberReceives: true,
      },
    ],
    timeoutMs: 300_000,
  });
  // Timed from the start of the publish step to the end of the settle step, through the hooks.
  let t0 = 0;
  let t1 = 0;
  let cpu0 = process.cpuUsage();
  let cpuUs = 0;
  const r = await runScenario(s, {
    target,
    reporter: {
      onStepStart: (_info, step) => {
        if (step.ref !== 2) return;
        t0 = performance.now();
        cpu0 = process.cpuUsage();
      },
      onStepEnd: (_info, step) => {
        if (step.ref !== 3) return;
        t1 = performance.now();
        cpuUs = cpuSince(cpu0);
      },
    },
    signal: new AbortController().signal,
    timings: { publishWindow: WINDOW },
    identityProperty,
  });
  const settle = r.steps[2];
  const verdict = `${r.status}; ${r.assertions.map((a) => `${a.kind} ${a.status}`).join(', ')}; ${settle?.notes.join(' ')}`;
  return { rate: r.counters.received / ((t1 - t0) / 1000), cpuUs: cpuUs / N, verdict };
}

const target = await startTarget();
console.log(
  `broker: ${target.kind} ${target.url}; ${N} messages, QoS 1, 1 publisher → 3 shared subscribers, window ${WINDOW}`,
);
try {
  // Rounds interleave the runs so that load from elsewhere on the machine hits them alike; the
  // best of each is compared. Wall-clock rates suffer from other load on the machine; the CPU
  // time per message of this process (both clients live here) is the steadier comparison.
  const fmt = (m: Measure) => `${Math.round(m.rate)} msg/s, ${m.cpuUs.toFixed(1)} µs CPU/msg`;
  const best = {
    bare: { rate: 0, cpuUs: Infinity },
    mqscen: { rate: 0, cpuUs: Infinity },
    withProperty: { rate: 0, cpuUs: Infinity },
  };
  const keep = (k: keyof typeof best, m: Measure) => {
    best[k] = { rate: Math.max(best[k].rate, m.rate), cpuUs: Math.min(best[k].cpuUs, m.cpuUs) };
  };
  // One uncounted warm-up of each, so the JIT has compiled both paths before anything is timed.
  await bare(target.urls.mqtt, 0);
  await engine(target, 0, false);
  await engine(target, 1000, true);
  for (let round = 1; round <= ROUNDS; round++) {
    const b = await bare(target.urls.mqtt, round);
    const e = await engine(target, round, false);
    const h = await engine(target, round + 1000, true);
    keep('bare', b);
    keep('mqscen', e);
    keep('withProperty', h);
    console.log(
      `round ${round}: bare MQTT.js ${fmt(b)}; mqscen ${fmt(e)} (${e.verdict}); mqscen with the optional identity user property ${fmt(h)}`,
    );
  }
  const ratio = (m: Measure) =>
    `throughput ratio ${(m.rate / best.bare.rate).toFixed(2)}, CPU ratio ${(best.bare.cpuUs / m.cpuUs).toFixed(2)}`;
  console.log(`best of ${ROUNDS}: bare MQTT.js ${fmt(best.bare)}`);
  console.log(
    `  mqscen (default: identity in the payload header):      ${fmt(best.mqscen)}; ${ratio(best.mqscen)} (target ≥ 0.9)`,
  );
  console.log(
    `  mqscen (identityProperty: true, + MQTT 5 user property): ${fmt(best.withProperty)}; ${ratio(best.withProperty)}`,
  );
} finally {
  await target.close();
}
