/**
 * Engine memory: peak RSS of a 1,000,000-message scenario (1 publisher → 3 shared subscribers,
 * QoS 1, oracle and assertions included). Target ≤ 300 MB: the record keeps typed arrays and
 * bitsets, never an object per message.
 *
 *   npx tsx bench/engine-memory.ts [--messages 1000000] [--target mosquitto|embedded]
 */
import { parseArgs } from 'node:util';
import { runScenario } from '../runner/engine/run-scenario.js';
import { startEmbeddedTarget } from '../runner/targets/embedded.js';
import { findMosquitto, startMosquittoTarget } from '../runner/targets/mosquitto.js';
import { client, scenario } from '../runner/verdict/_fixtures.js';

const { values } = parseArgs({
  options: { messages: { type: 'string', default: '1000000' }, target: { type: 'string' } },
});
const N = Number(values.messages);

function hasMosquitto(): boolean {
  try {
    findMosquitto();
    return true;
  } catch {
    return false;
  }
}

const MB = 1024 * 1024;
let peakSampled = 0;
const sampler = setInterval(() => {
  peakSampled = Math.max(peakSampled, process.memoryUsage.rss());
}, 50);

const wanted = values.target ?? (hasMosquitto() ? 'mosquitto' : 'embedded');
const target =
  wanted === 'mosquitto'
    ? await startMosquittoTarget()
    : await startEmbeddedTarget({ profile: 'mosquitto', settings: { maxQueuedMessages: 1e9 } });
const before = process.memoryUsage.rss();
console.log(`broker: ${target.kind} ${target.url}; ${N} messages, QoS 1, 1 publisher → 3 shared subscribers`);
try {
  const subs = [1, 2, 3].map((i) =>
    client(`subscriber[${i}]`, { subscriptions: [{ filter: '$share/bench-memory/bench/memory', qos: 1 }] }),
  );
  const s = scenario({
    name: 'engine memory',
    clients: [...subs, client('publisher')],
    steps: [
      { kind: 'connect', clients: ['subscriber[1]', 'subscriber[2]', 'subscriber[3]', 'publisher'] },
      {
        kind: 'publish',
        from: ['publisher'],
        topic: 'bench/memory',
        count: N,
        qos: 1,
        retain: false,
        payload: { kind: 'size', bytes: 64 },
      },
      { kind: 'settle', timeoutMs: 300_000, quietMs: 0 },
    ],
    expect: [
      { kind: 'no-loss', minQos: 1 },
      { kind: 'duplicates', max: 0, allow: ['redelivery', 'extra-copy'] },
      { kind: 'shared-group', group: 'bench-memory', eachMessage: 'once', everyMemberReceives: true },
      { kind: 'latency', percentiles: [{ p: 99, bound: { op: '<', value: 60_000, text: '< 60s' } }] },
    ],
    timeoutMs: 900_000,
  });
  const t0 = performance.now();
  const r = await runScenario(s, { target, reporter: {}, signal: new AbortController().signal });
  const secs = (performance.now() - t0) / 1000;
  const peak = process.resourceUsage().maxRSS * 1024;
  console.log(
    `status ${r.status}: ${r.assertions.map((a) => `${a.kind} ${a.status} (${a.actual})`).join('; ')}`,
  );
  console.log(
    `received ${r.counters.received} in ${secs.toFixed(1)} s (${Math.round(r.counters.received / secs)} msg/s)`,
  );
  console.log(
    `RSS before run ${Math.round(before / MB)} MB; peak RSS ${Math.round(Math.max(peak, peakSampled) / MB)} MB (target ≤ 300 MB); heap used now ${Math.round(process.memoryUsage().heapUsed / MB)} MB`,
  );
} finally {
  clearInterval(sampler);
  await target.close();
}
