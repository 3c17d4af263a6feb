/**
 * A fleet on one machine: 10,000 persistent-session subscribers in `$share` groups of 10 (group k
 * on its own topic fleet/k), a few plain subscribers, one publisher sending 100,000 QoS 1
 * messages in two halves; between them an abrupt disconnect of 10% of the fleet (member [1] of
 * every group), which reconnects (resuming its session) before the settle. The embedded broker
 * runs in its own process. Prints wall time per phase, msg/s, the runner's and the broker's peak
 * RSS, and the verdict.
 *
 *   npx tsx bench/scale.ts [--clients 10000] [--messages 100000] [--plain 10] [--connect-rate 0]
 *   npx tsx bench/scale.ts --clients 19000 --messages 0     # the largest fleet: connect only
 *   npx tsx bench/scale.ts --target mosquitto               # a real Mosquitto (its own fd limit)
 *   npx tsx bench/scale.ts --clients 2000 --messages 20000 --process in-process   # vs child
 *
 * Targets: a correct verdict, runner + broker peak RSS ≤ 1.5 GB, connect of 10,000 ≤ 20 s.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runScenario } from '../runner/engine/run-scenario.js';
import type { Reporter } from '../runner/reporters/reporter.js';
import type { StepResult } from '../runner/results.js';
import { loadScenarioText } from '../runner/scenario/index.js';
import { startEmbeddedTarget } from '../runner/targets/embedded.js';
import type { EmbeddedChildTarget } from '../runner/targets/embedded-child.js';
import { startMosquittoTarget } from '../runner/targets/mosquitto.js';
import type { StartedTarget } from '../runner/targets/target.js';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '10000' },
    messages: { type: 'string', default: '100000' },
    plain: { type: 'string', default: '10' },
    'connect-rate': { type: 'string', default: '0' },
    profile: { type: 'string', default: 'aws-iot' },
    target: { type: 'string', default: 'embedded' },
    process: { type: 'string', default: 'child' },
  },
});
const clients = Number(values.clients);
const messages = Number(values.messages);
const plain = Number(values.plain);
const connectRate = Number(values['connect-rate']);
const groups = Math.ceil(clients / 10);
const perTopicHalf = Math.floor(messages / groups / 2);

/** The scenario as YAML: one declaration per group (its own `$share` filter), steps per topic. */
function scenarioYaml(): string {
  const y: string[] = ['name: scale bench', 'timeout: 30m', 'clients:'];
  for (let g = 1; g <= groups; g++) {
    y.push(
      `  g${g}:`,
      `    count: ${Math.min(10, clients - (g - 1) * 10)}`,
      `    clientId: bench-g${g}-{n}-{run}`,
      '    protocol: 5',
      '    session: { clean: false, expiry: 1h }',
      `    subscriptions: [{ filter: "$share/g${g}/fleet/${g}", qos: 1 }]`,
    );
  }
  // Plain subscriber k reads group k's topic: it gets what the whole group gets.
  for (let k = 1; k <= plain; k++) {
    y.push(
      `  plain${k}:`,
      `    clientId: bench-plain-${k}-{run}`,
      '    protocol: 5',
      `    subscriptions: [{ filter: "fleet/${k}", qos: 1 }]`,
    );
  }
  y.push('  pub:', '    clientId: bench-pub-{run}', '    protocol: 5');
  const connect = connectRate > 0 ? `{ clients: all, rate: ${connectRate}/s }` : 'all';
  y.push('steps:', `  - id: connect`, `    connect: ${connect}`);
  const half = (tag: string) => {
    if (perTopicHalf === 0) return;
    for (let g = 1; g <= groups; g++)
      y.push(
        `  - name: "${tag} ${g}"`,
        `    publish: { from: pub, topic: fleet/${g}, count: ${perTopicHalf}, qos: 1 }`,
      );
  };
  half('first half');
  if (messages > 0) {
    const members = Array.from({ length: groups }, (_, i) => `"g${i + 1}[1]"`);
    y.push(`  - id: drop`, `    disconnect: { clients: [${members.join(', ')}], how: abrupt }`);
    half('second half');
    y.push(`  - id: back`, `    reconnect: [${members.join(', ')}]`);
    y.push('  - settle: { timeout: 5m }');
  }
  // Connect only (the largest fleet): the verdict is that every client connected.
  if (messages > 0)
    y.push(
      'expect:',
      '  - no-loss: {}',
      '  - session-present: { client: "g1[1]", step: back, expected: true }',
    );
  return `${y.join('\n')}\n`;
}

function vmHwmBytes(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? 0 : Number(m[1]) * 1024;
}

const mb = (b: number) => `${Math.round(b / 1024 / 1024)} MB`;
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

const yaml = scenarioYaml();
const loaded = loadScenarioText('bench-scale.yaml', yaml);
if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues.slice(0, 3)));
const scenario = loaded.scenario;
// The embedded broker in its own process, or a real Mosquitto (max_queued_messages lifted: the
// 10% offline hold their sessions' messages); either way the broker's RSS is its own process's.
const target: { pid: number } & StartedTarget =
  values.target === 'mosquitto'
    ? await startMosquittoTarget({ websockets: false, maxQueuedMessages: 0 })
    : ((await startEmbeddedTarget({
        profile: values.profile as 'aws-iot' | 'mosquitto',
        process: values.process as 'child' | 'in-process',
      })) as EmbeddedChildTarget);
// In process, the broker's memory is the runner's (its pid is ours).
const brokerPid = target.pid ?? process.pid;

// Broker RSS sampled while the run goes (VmHWM is the kernel's peak, read at the end too).
let brokerPeak = 0;
const sampler = setInterval(() => {
  try {
    brokerPeak = Math.max(brokerPeak, vmHwmBytes(brokerPid));
  } catch {}
}, 500);

const phases = new Map<string, number>();
const phaseOf = (r: StepResult): string => {
  if (r.kind === 'publish')
    return r.label.startsWith('first') ? 'publish, first half' : 'publish, second half (10% offline)';
  return r.kind;
};
const reporter: Reporter = {
  onStepEnd(_s, r) {
    phases.set(phaseOf(r), (phases.get(phaseOf(r)) ?? 0) + r.durationMs);
    if (r.status !== 'passed')
      console.log(`  step [${r.ref}] ${r.label}: ${r.status} ${r.error ?? r.notes.join('; ')}`);
  },
};

console.log(
  `scale bench: ${clients.toLocaleString('en-US')} persistent subscribers in ${groups.toLocaleString('en-US')} $share groups of 10, ${plain} plain subscribers, ${(perTopicHalf * groups * 2).toLocaleString('en-US')} QoS 1 messages; broker ${values.target === 'mosquitto' ? 'Mosquitto' : `embedded (profile ${values.profile})`} in process ${target.pid}`,
);
const started = performance.now();
const result = await runScenario(scenario, { target, reporter, signal: new AbortController().signal });
const wall = performance.now() - started;
clearInterval(sampler);
try {
  brokerPeak = Math.max(brokerPeak, vmHwmBytes(brokerPid));
} catch {}
const runnerPeak = process.resourceUsage().maxRSS * 1024;
await target.close();

for (const [phase, ms] of phases) console.log(`  ${phase.padEnd(38)} ${s(ms).padStart(8)}`);
const published = result.counters.published;
const received = result.counters.received;
const pubMs = [...phases].filter(([p]) => p.startsWith('publish')).reduce((a, [, ms]) => a + ms, 0);
const settleMs = phases.get('settle') ?? 0;
if (published > 0)
  console.log(
    `  ${published.toLocaleString('en-US')} published, ${received.toLocaleString('en-US')} received: ${Math.round(received / ((pubMs + settleMs) / 1000)).toLocaleString('en-US')} msg/s delivered over publish + settle`,
  );
console.log(
  `  total ${s(wall)}; runner peak RSS ${mb(runnerPeak)}, broker peak RSS ${mb(brokerPeak)}, sum ${mb(runnerPeak + brokerPeak)}`,
);
console.log(
  `  verdict: ${result.status}${result.error === undefined ? '' : ` (${result.error.message})`}; ${result.assertions.map((a) => `${a.label} ${a.status}`).join(', ')}`,
);
process.exitCode = result.status === 'passed' ? 0 : 1;
