/**
 * The engine's and the verdict's own cost per message, without sockets: the same scenario as
 * bench/engine-throughput.ts (1 publisher → 3 shared subscribers, QoS 1, window 20) over an
 * in-memory transport, next to the bare loop over the same transport. The difference is what
 * runScenario adds per message (identity header, record, oracle, assertions); no broker and no
 * system calls blur it, so a CPU profile of this script shows the runner alone:
 *
 *   npx tsx bench/engine-overhead.ts [--messages 200000] [--rounds 5]
 *   node --cpu-prof --import tsx bench/engine-overhead.ts --sides mqscen
 */
import { parseArgs } from 'node:util';
import { now } from '../runner/clock.js';
import { runScenario } from '../runner/engine/run-scenario.js';
import type { StartedTarget } from '../runner/targets/target.js';
import type {
  ConnectOptions,
  PublishRequest,
  PublishResult,
  ReceivedMessage,
  SubscriptionRequest,
  Transport,
  TransportSession,
  TransportSessionEvents,
} from '../runner/transports/transport.js';
import { burstScenario } from './_burst-scenario.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '5' },
    window: { type: 'string', default: '20' },
    sides: { type: 'string', default: 'bare,mqscen' },
  },
});
const N = Number(values.messages);
const ROUNDS = Number(values.rounds);
const WINDOW = Number(values.window);
const SIDES = new Set((values.sides as string).split(',').map((x) => x.trim()));

// --- an in-memory broker: exact topics and $share groups, round robin, deliveries in a microtask ---

interface Member {
  session: MemorySession;
  qos: 0 | 1 | 2;
}

class MemoryBroker {
  /** topic → plain subscribers and share groups (members, next member). */
  readonly routes = new Map<
    string,
    { plain: Member[]; groups: Map<string, { members: Member[]; next: number }> }
  >();

  route(topic: string) {
    let r = this.routes.get(topic);
    if (r === undefined) {
      r = { plain: [], groups: new Map() };
      this.routes.set(topic, r);
    }
    return r;
  }

  subscribe(session: MemorySession, req: SubscriptionRequest): void {
    const m = /^\$share\/([^/]+)\/(.*)$/.exec(req.filter);
    if (m === null) {
      this.route(req.filter).plain.push({ session, qos: req.qos });
      return;
    }
    const groups = this.route(m[2] as string).groups;
    let g = groups.get(m[1] as string);
    if (g === undefined) {
      g = { members: [], next: 0 };
      groups.set(m[1] as string, g);
    }
    g.members.push({ session, qos: req.qos });
  }

  drop(session: MemorySession): void {
    for (const r of this.routes.values()) {
      r.plain = r.plain.filter((m) => m.session !== session);
      for (const g of r.groups.values()) g.members = g.members.filter((m) => m.session !== session);
    }
  }

  publish(req: PublishRequest): number {
    const r = this.routes.get(req.topic);
    if (r === undefined) return 0x10;
    let n = 0;
    for (const m of r.plain) {
      m.session.deliver(req, m.qos);
      n++;
    }
    for (const g of r.groups.values()) {
      if (g.members.length === 0) continue;
      const m = g.members[g.next++ % g.members.length] as Member;
      m.session.deliver(req, m.qos);
      n++;
    }
    return n === 0 ? 0x10 : 0;
  }
}

const OK: PublishResult = Object.freeze({ reasonCode: 0 });

class MemorySession implements TransportSession {
  readonly clientId: string;
  readonly connack = { sessionPresent: false, reasonCode: 0, receiveMaximum: 20 };
  readonly #broker: MemoryBroker;
  readonly #handlers: Array<TransportSessionEvents['message']> = [];

  constructor(broker: MemoryBroker, clientId: string) {
    this.#broker = broker;
    this.clientId = clientId;
  }

  on<E extends keyof TransportSessionEvents>(event: E, handler: TransportSessionEvents[E]): void {
    if (event === 'message') this.#handlers.push(handler as TransportSessionEvents['message']);
  }

  deliver(req: PublishRequest, qos: 0 | 1 | 2): void {
    const msg: ReceivedMessage = {
      topic: req.topic,
      payload: req.payload,
      qos: Math.min(qos, req.qos) as 0 | 1 | 2,
      retain: false,
      dup: false,
      receivedAt: now(),
    };
    for (const h of this.#handlers) h(msg);
  }

  async subscribe(requests: readonly SubscriptionRequest[]) {
    for (const r of requests) this.#broker.subscribe(this, r);
    return { reasonCodes: requests.map((r) => r.qos) };
  }

  async unsubscribe(filters: readonly string[]) {
    return filters.map(() => 0);
  }

  publish(request: PublishRequest): Promise<PublishResult> {
    // Like a broker: the PUBACK comes after the deliveries, in a later turn.
    return Promise.resolve().then(() => {
      const code = this.#broker.publish(request);
      return code === 0 ? OK : { reasonCode: code };
    });
  }

  async disconnect() {
    this.#broker.drop(this);
  }
}

function memoryTransport(broker: MemoryBroker): Transport {
  return {
    name: 'memory',
    connect: async (options: ConnectOptions) => new MemorySession(broker, options.clientId),
  };
}

const memoryTarget = (): StartedTarget => ({
  name: 'memory',
  kind: 'url',
  behaviour: 'mosquitto',
  transport: 'memory',
  url: 'memory://',
  connectionFor: () => ({ url: 'memory://', transport: 'memory' }),
  close: async () => {},
});

function cpuSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return d.user + d.system;
}

/** The bare loop over the memory transport: window of unacknowledged publishes, receipts counted once. */
async function bare(round: number): Promise<number> {
  const broker = new MemoryBroker();
  const t = memoryTransport(broker);
  const base = {
    protocol: '5' as const,
    clean: true,
    keepalive: 30,
    connectTimeoutMs: 1000,
    url: 'memory://',
  };
  const topic = `bench/bare/${round}`;
  const subs = await Promise.all([1, 2, 3].map((i) => t.connect({ ...base, clientId: `s${i}` })));
  let received = 0;
  let done: () => void = () => {};
  const all = new Promise<void>((r) => {
    done = r;
  });
  const seen = new Uint8Array(N);
  for (const s of subs) {
    await s.subscribe([{ filter: `$share/g/${topic}`, qos: 1 }]);
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
  const pub = await t.connect({ ...base, clientId: 'p' });
  const body = Buffer.from('hello');
  const cpu0 = process.cpuUsage();
  let inflight = 0;
  let wake: (() => void) | undefined;
  const release = () => {
    inflight--;
    const w = wake;
    wake = undefined;
    w?.();
  };
  for (let i = 0; i < N; i++) {
    while (inflight >= WINDOW) await new Promise<void>((r) => (wake = r));
    inflight++;
    void pub
      .publish({ topic, payload: Buffer.concat([Buffer.from(`${i}\n`), body]), qos: 1, retain: false })
      .then(release, release);
  }
  await all;
  return cpuSince(cpu0) / N;
}

async function mqscen(round: number): Promise<{ cpuUs: number; verdict: string }> {
  const broker = new MemoryBroker();
  const transport = memoryTransport(broker);
  const topic = `bench/mqscen/${round}`;
  const s = burstScenario({ name: 'engine overhead', topic, group: `g${round}`, count: N });
  let cpu0 = process.cpuUsage();
  let cpuUs = 0;
  const r = await runScenario(s, {
    target: memoryTarget(),
    getTransport: async () => transport,
    reporter: {
      onStepStart: (_info, step) => {
        if (step.ref === 2) cpu0 = process.cpuUsage();
      },
      onStepEnd: (_info, step) => {
        if (step.ref === 3) cpuUs = cpuSince(cpu0);
      },
    },
    signal: new AbortController().signal,
    timings: { publishWindow: WINDOW },
  });
  const verdict = `${r.status}; ${r.assertions.map((a) => `${a.kind} ${a.status}`).join(', ')}`;
  return { cpuUs: cpuUs / N, verdict };
}

let bestBare = Number.POSITIVE_INFINITY;
let bestMqscen = Number.POSITIVE_INFINITY;
if (SIDES.has('bare')) await bare(0);
if (SIDES.has('mqscen')) await mqscen(0);
for (let round = 1; round <= ROUNDS; round++) {
  const parts: string[] = [];
  if (SIDES.has('bare')) {
    const b = await bare(round);
    bestBare = Math.min(bestBare, b);
    parts.push(`bare loop ${b.toFixed(2)} µs CPU/msg`);
  }
  if (SIDES.has('mqscen')) {
    const m = await mqscen(round);
    bestMqscen = Math.min(bestMqscen, m.cpuUs);
    parts.push(`mqscen ${m.cpuUs.toFixed(2)} µs CPU/msg (${m.verdict})`);
  }
  console.log(`round ${round}: ${parts.join('; ')}`);
}
console.log(
  `best of ${ROUNDS}, ${N} messages, in-memory transport: bare loop ${bestBare.toFixed(2)} µs CPU/msg, mqscen ${bestMqscen.toFixed(2)} µs CPU/msg; the engine and verdict add ${(bestMqscen - bestBare).toFixed(2)} µs per message`,
);
