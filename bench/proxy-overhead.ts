/**
 * Cost of the fault proxy with no fault active: the engine-throughput scenario (1 publisher → 3
 * shared subscribers, QoS 1, 50,000 messages, runScenario with oracle and assertions) run
 * straight to the broker and with every client through a transparent fault proxy (in the same
 * process, as scenarios with faults will run it), rounds interleaved, best of each. Target:
 * throughput ratio ≥ 0.9 (≤ 10% cost). `--packets` measures the MQTT-parsing mode instead.
 *
 *   npx tsx bench/proxy-overhead.ts [--messages 50000] [--rounds 5] [--target mosquitto|embedded] [--packets]
 */
import { parseArgs } from 'node:util';
import { runScenario } from '../runner/engine/run-scenario.js';
import { proxyTarget, startFaultProxy } from '../runner/faults/index.js';
import { startEmbeddedTarget } from '../runner/targets/embedded.js';
import { findMosquitto, startMosquittoTarget } from '../runner/targets/mosquitto.js';
import type { StartedTarget } from '../runner/targets/target.js';
import { burstScenario } from './_burst-scenario.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '50000' },
    rounds: { type: 'string', default: '5' },
    target: { type: 'string' },
    packets: { type: 'boolean', default: false },
  },
});
const N = Number(values.messages);
const ROUNDS = Number(values.rounds);

function hasMosquitto(): boolean {
  try {
    findMosquitto();
    return true;
  } catch {
    return false;
  }
}

function benchScenario(round: number, label: string) {
  const topic = `bench/proxy/${label}/${round}`;
  const group = `bench-proxy-${label}-${round}`;
  return burstScenario({
    name: 'proxy overhead',
    topic,
    group,
    count: N,
    idPrefix: `proxy-${label}-${round}`,
    duplicates: false,
  });
}

/** Delivered msg/s from the start of the publish step to the end of the settle step. */
async function measure(
  base: StartedTarget,
  round: number,
  proxied: boolean,
): Promise<{ rate: number; cpuUs: number; verdict: string }> {
  const plain = benchScenario(round, proxied ? 'proxied' : 'direct');
  // Without --packets the proxy is the one the run owns, as for a scenario whose clients say
  // `proxy: true` (or that a fault step names): runScenario starts it and routes them through it.
  const owned = proxied && !values.packets;
  const s = owned ? { ...plain, proxied: plain.clients.map((c) => c.name) } : plain;
  const proxy = proxied && values.packets ? await startFaultProxy() : undefined;
  try {
    const target =
      proxy === undefined ? base : await proxyTarget(base, proxy, s.clients, { packets: values.packets });
    let t0 = 0;
    let t1 = 0;
    let cpu0 = process.cpuUsage();
    let cpu = 0;
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
          const d = process.cpuUsage(cpu0);
          cpu = d.user + d.system;
        },
      },
      signal: new AbortController().signal,
    });
    const verdict = `${r.status}; ${r.assertions.map((a) => `${a.kind} ${a.status}`).join(', ')}`;
    // CPU of this process (clients, engine and proxy all live here) per message: steadier than
    // wall-clock rates on a loaded machine.
    return { rate: r.counters.received / ((t1 - t0) / 1000), cpuUs: cpu / N, verdict };
  } finally {
    await proxy?.close();
  }
}

const wanted = values.target ?? (hasMosquitto() ? 'mosquitto' : 'embedded');
const target: StartedTarget =
  wanted === 'mosquitto'
    ? await startMosquittoTarget()
    : await startEmbeddedTarget({ profile: 'mosquitto', settings: { maxQueuedMessages: 1e9 } });
const mode = values.packets ? 'MQTT-parsing proxy (packets: true)' : 'transparent proxy';
console.log(
  `broker: ${target.kind}; ${N} messages, QoS 1, 1 publisher → 3 shared subscribers; ${mode}, no fault`,
);
try {
  await measure(target, 0, false);
  await measure(target, 0, true);
  let direct = 0;
  let proxied = 0;
  let directCpu = Number.POSITIVE_INFINITY;
  let proxiedCpu = Number.POSITIVE_INFINITY;
  for (let round = 1; round <= ROUNDS; round++) {
    const d = await measure(target, round, false);
    const p = await measure(target, round, true);
    direct = Math.max(direct, d.rate);
    proxied = Math.max(proxied, p.rate);
    directCpu = Math.min(directCpu, d.cpuUs);
    proxiedCpu = Math.min(proxiedCpu, p.cpuUs);
    console.log(
      `round ${round}: direct ${Math.round(d.rate)} msg/s, ${d.cpuUs.toFixed(1)} µs CPU/msg (${d.verdict}); ` +
        `through the proxy ${Math.round(p.rate)} msg/s, ${p.cpuUs.toFixed(1)} µs CPU/msg (${p.verdict})`,
    );
  }
  const ratio = proxied / direct;
  console.log(
    `best of ${ROUNDS}: direct ${Math.round(direct)} msg/s, ${directCpu.toFixed(1)} µs CPU/msg; ` +
      `through the proxy ${Math.round(proxied)} msg/s, ${proxiedCpu.toFixed(1)} µs CPU/msg`,
  );
  console.log(
    `  throughput ratio ${ratio.toFixed(2)} (cost ${Math.round((1 - ratio) * 100)}%, target ≤ 10%); ` +
      `CPU ratio ${(directCpu / proxiedCpu).toFixed(2)}`,
  );
} finally {
  await target.close();
}
