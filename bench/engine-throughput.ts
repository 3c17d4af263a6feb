/**
 * Engine throughput: 1 publisher → 3 shared subscribers, QoS 1, 50,000 messages, on one broker in
 * one run: mqscen's delivered-and-verified msg/s (runScenario, oracle and assertions included)
 * next to a bare MQTT.js script doing the same. Target: ratio ≥ 0.9.
 *
 *   npx tsx bench/engine-throughput.ts [--messages 50000] [--rounds 2] [--target mosquitto|embedded]
 */
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { client, scenario } from '../runner/engine/_fixtures.js';
import { runScenario } from '../runner/engine/run-scenario.js';
import { startEmbeddedTarget } from '../runner/targets/embedded.js';
import { findMosquitto, startMosquittoTarget } from '../runner/targets/mosquitto.js';
import type { StartedTarget } from '../runner/targets/target.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '50000' },
    rounds: { type: 'string', default: '2' },
    target: { type: 'string' },
    window: { type: 'string', default: '100' },
  },
});
const N = Number(values.messages);
const ROUNDS = Number(values.rounds);
const WINDOW = Number(values.window);

async function startTarget(): Promise<StartedTarget & { urls: { mqtt: string } }> {
  const wanted = values.target ?? (hasMosquitto() ? 'mosquitto' : 'embedded');
  return wanted === 'mosquitto' ? startMosquittoTarget() : startEmbeddedTarget({ profile: 'mosquitto' });
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
async function bare(url: string, round: number): Promise<number> {
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
  await all;
  const secs = (performance.now() - t0) / 1000;
  await Promise.all([...subs, pub].map((c) => c.endAsync()));
  return N / secs;
}

async function engine(
  target: StartedTarget,
  round: number,
  identityProperty: boolean,
): Promise<{ rate: number; verdict: string }> {
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
      { kind: 'duplicates', max: 0 },
      {
        kind: 'shared-group',
        group: `bench-mqscen-${round}`,
        eachMessage: 'once',
        everyMemberReceives: true,
      },
    ],
    timeoutMs: 300_000,
  });
  const r = await runScenario(s, {
    target,
    reporter: {},
    signal: new AbortController().signal,
    timings: { publishWindow: WINDOW },
    identityProperty,
  });
  const pub = r.steps[1];
  const settle = r.steps[2];
  const secs = ((pub?.durationMs ?? 0) + (settle?.durationMs ?? 0)) / 1000;
  const verdict = `${r.status}; ${r.assertions.map((a) => `${a.kind} ${a.status}`).join(', ')}; ${settle?.notes.join(' ')}`;
  return { rate: r.counters.received / secs, verdict };
}

const target = await startTarget();
console.log(
  `broker: ${target.kind} ${target.url}; ${N} messages, QoS 1, 1 publisher → 3 shared subscribers, window ${WINDOW}`,
);
try {
  // Rounds interleave the runs so that load from elsewhere on the machine hits them alike; the
  // best of each is compared.
  let bestBare = 0;
  let bestEngine = 0;
  let bestHeaderOnly = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    const b = await bare(target.urls.mqtt, round);
    const e = await engine(target, round, true);
    const h = await engine(target, round + 1000, false);
    bestBare = Math.max(bestBare, b);
    bestEngine = Math.max(bestEngine, e.rate);
    bestHeaderOnly = Math.max(bestHeaderOnly, h.rate);
    console.log(
      `round ${round}: bare MQTT.js ${Math.round(b)} msg/s; mqscen ${Math.round(e.rate)} msg/s (${e.verdict}); ` +
        `mqscen without the identity user property ${Math.round(h.rate)} msg/s`,
    );
  }
  console.log(
    `best: bare MQTT.js ${Math.round(bestBare)} msg/s; mqscen ${Math.round(bestEngine)} msg/s, ratio ${(bestEngine / bestBare).toFixed(2)}; ` +
      `without the identity user property ${Math.round(bestHeaderOnly)} msg/s, ratio ${(bestHeaderOnly / bestBare).toFixed(2)} (target ≥ 0.9)`,
  );
} finally {
  await target.close();
}
