/**
 * Step barriers and clock offsets between the shards of one run, over MQTT retained messages on a
 * coordinator broker (the target broker under a reserved topic prefix, or `--coordinator URL`).
 * No coordinator process: each shard is a plain MQTT client (k6's `SignalAndWait`, done with what
 * every broker offers).
 *
 * Topics, under `<prefix>/<run id>/`:
 * - `barrier/<name>/<index>`: shard `index` reached barrier `name`. Not retained: AWS IoT sends no
 *   retained message to a wildcard subscription. Instead, a shard that has reached a barrier says
 *   so again when it first hears of another shard there: a shard that arrives later (its
 *   subscription is older than its own arrival) hears from every shard that arrived before it.
 * - `failed/<index>` (retained): shard `index` failed; every barrier of the others rejects at once,
 *   naming it, instead of waiting for its deadline (a failed shard fails the run). It is also each
 *   shard's will (not retained): a shard killed, crashed or cut off from the coordinator, which
 *   cannot say so itself, is named by the broker as soon as it sees the connection go
 *   [MQTT-3.1.2-8]; a shard that closes normally sends DISCONNECT, so no will [MQTT-3.1.2-10].
 * - `clock/<index>/ping` and `clock/<index>/pong`: shard 0's clock is the run's; shard k measures
 *   its offset from shard 0 with NTP's exchange, keeping the sample of the shortest round trip.
 *
 * A barrier has a deadline; when it passes, the error names the shards that did not arrive. The
 * run id must be unique per run: a retained failure of an earlier run with the same id would fail
 * this one, so every shard clears what it wrote when it closes.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { now as clockNow } from '../clock.js';
import { EnvironmentError } from '../errors.js';
import { shardLabel } from './shard.js';

/** Reserved topic prefix on the target broker (scenarios never publish under it). */
export const COORDINATOR_PREFIX = 'mqscen-shards';

export interface CoordinatorOptions {
  url: string;
  runId: string;
  /** 0-based. */
  index: number;
  total: number;
  prefix?: string;
  /** The clock whose offset to shard 0 is measured (tests give one with an offset). @default the run clock (clock.ts) */
  now?: () => number;
  /** Bound for connecting to the coordinator, ms. @default 10000 */
  connectTimeoutMs?: number;
}

export interface ClockOffset {
  /** Add to this shard's timestamps to get shard 0's clock, ms. */
  offsetMs: number;
  /** Round trip of the kept sample, ms: the offset is known to ± half of it. */
  rttMs: number;
}

export class ShardBarrierError extends EnvironmentError {}

export interface ShardCoordinator {
  /** Resolves when every shard reached `name`; rejects after `deadlineMs` naming the missing ones. */
  /**
   * Resolves when every shard reached `name`, with what each shard brought (`payload`, by shard
   * index); rejects after `deadlineMs` naming the missing ones.
   */
  barrier(name: string, deadlineMs: number, payload?: unknown): Promise<Map<number, unknown>>;
  /** Tells every other shard this one failed (their barriers reject naming it). */
  fail(reason: string): Promise<void>;
  /**
   * Calls `listener` with `shard i/n (index k) failed (reason)` for every other shard that failed,
   * at once for those already known; returns the unsubscribe function.
   */
  onFailure(listener: (text: string) => void): () => void;
  /** Shard 0: 0. Others: measured through the coordinator. */
  measureClockOffset(samples?: number, timeoutMs?: number): Promise<ClockOffset>;
  /** Clears this shard's retained messages and disconnects. */
  close(): Promise<void>;
}

export async function startShardCoordinator(options: CoordinatorOptions): Promise<ShardCoordinator> {
  const now = options.now ?? clockNow;
  const base = `${options.prefix ?? COORDINATOR_PREFIX}/${options.runId}`;
  const label = shardLabel(options);
  let client: MqttClient;
  try {
    client = await mqtt.connectAsync(options.url, {
      clientId: `mqscen-shard-${options.runId}-${options.index}`.slice(0, 128),
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: options.connectTimeoutMs ?? 10_000,
      will: {
        topic: `${base}/failed/${options.index}`,
        payload: Buffer.from('its connection to the coordinator was lost (killed, crashed or cut off)'),
        qos: 1,
        retain: false,
      },
    });
  } catch (error) {
    throw new EnvironmentError(
      `${label} could not reach the coordinator ${options.url}: ${(error as Error).message}`,
      { cause: error, hint: 'give a broker every shard reaches with --coordinator URL' },
    );
  }
  const retainedWritten = new Set<string>();
  /** Barrier name → shard index → what it brought. */
  const arrivals = new Map<string, Map<number, unknown>>();
  const failures = new Map<number, string>();
  const waiters = new Set<() => void>();
  const failureListeners = new Set<(index: number) => void>();
  const pongs = new Map<number, (serverAt: number) => void>();
  const wake = (): void => {
    for (const w of [...waiters]) w();
  };

  /** Barriers this shard has reached, with what it brought: it answers each new arrival there. */
  const reached = new Map<string, unknown>();
  const arrive = (name: string) =>
    client.publishAsync(
      `${base}/barrier/${name}/${options.index}`,
      JSON.stringify({ at: now(), payload: reached.get(name) ?? null }),
      { qos: 1 },
    );
  client.on('message', (topic, payload) => {
    const rest = topic.slice(base.length + 1).split('/');
    if (rest[0] === 'barrier' && rest.length === 3 && payload.length > 0) {
      const name = rest[1] as string;
      const from = Number(rest[2]);
      const set = arrivals.get(name) ?? new Map<number, unknown>();
      const isNew = !set.has(from);
      let brought: unknown = null;
      try {
        brought = (JSON.parse(payload.toString()) as { payload?: unknown }).payload ?? null;
      } catch {
        brought = null;
      }
      set.set(from, brought);
      arrivals.set(name, set);
      if (isNew && from !== options.index && reached.has(name)) void arrive(name).catch(() => undefined);
      wake();
    } else if (rest[0] === 'failed' && rest.length === 2 && payload.length > 0) {
      const from = Number(rest[1]);
      const isNew = !failures.has(from);
      failures.set(from, payload.toString());
      wake();
      if (isNew && from !== options.index) for (const l of [...failureListeners]) l(from);
    } else if (rest[0] === 'clock' && rest[2] === 'ping' && options.index === 0) {
      // Shard 0 answers with its own clock: [ping id, shard 0 time].
      const [id] = JSON.parse(payload.toString()) as [number];
      void client.publishAsync(`${base}/clock/${rest[1]}/pong`, JSON.stringify([id, now()]), { qos: 0 });
    } else if (rest[0] === 'clock' && rest[2] === 'pong' && Number(rest[1]) === options.index) {
      const [id, at] = JSON.parse(payload.toString()) as [number, number];
      pongs.get(id)?.(at);
    }
  });
  const subs = [`${base}/barrier/+/+`, `${base}/failed/+`];
  subs.push(options.index === 0 ? `${base}/clock/+/ping` : `${base}/clock/${options.index}/pong`);
  await client.subscribeAsync(subs, { qos: 1 });

  const missingOf = (name: string): number[] => {
    const set = arrivals.get(name) ?? new Map<number, unknown>();
    const missing: number[] = [];
    for (let k = 0; k < options.total; k++) if (!set.has(k)) missing.push(k);
    return missing;
  };
  const named = (list: readonly number[]): string =>
    list.map((k) => `${shardLabel({ index: k, total: options.total })} (index ${k})`).join(', ');

  return {
    async barrier(name, deadlineMs, payload) {
      reached.set(name, payload ?? null);
      await arrive(name);
      return new Promise<Map<number, unknown>>((resolve, reject) => {
        const check = (): void => {
          const failed = [...failures.keys()].filter((k) => k !== options.index).sort((a, b) => a - b);
          if (failed.length > 0) {
            done();
            reject(
              new ShardBarrierError(
                `barrier "${name}": ${named(failed)} failed (${failed.map((k) => failures.get(k)).join('; ')}); the run fails`,
              ),
            );
          } else if (missingOf(name).length === 0) {
            done();
            resolve(new Map(arrivals.get(name)));
          }
        };
        const timer = setTimeout(() => {
          done();
          const missing = missingOf(name);
          reject(
            new ShardBarrierError(
              `barrier "${name}" timed out after ${deadlineMs} ms: ${named(missing)} did not arrive`,
              { hint: 'a shard that did not start, crashed or runs another selection fails the whole run' },
            ),
          );
        }, deadlineMs);
        const done = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },

    async fail(reason) {
      const topic = `${base}/failed/${options.index}`;
      retainedWritten.add(topic);
      await client.publishAsync(topic, reason.slice(0, 500) || 'failed', { qos: 1, retain: true });
    },

    onFailure(listener) {
      const tell = (k: number): void => listener(`${named([k])} failed (${failures.get(k)})`);
      failureListeners.add(tell);
      for (const k of [...failures.keys()].sort((a, b) => a - b)) if (k !== options.index) tell(k);
      return () => failureListeners.delete(tell);
    },

    async measureClockOffset(samples = 5, timeoutMs = 5_000) {
      if (options.index === 0) return { offsetMs: 0, rttMs: 0 };
      let best: ClockOffset | undefined;
      for (let id = 0; id < samples; id++) {
        const t0 = now();
        const serverAt = await new Promise<number>((resolve, reject) => {
          const timer = setTimeout(() => {
            pongs.delete(id);
            reject(
              new ShardBarrierError(
                `${label}: shard 1/${options.total} (index 0) did not answer a clock ping within ${timeoutMs} ms`,
              ),
            );
          }, timeoutMs);
          pongs.set(id, (at) => {
            clearTimeout(timer);
            pongs.delete(id);
            resolve(at);
          });
          void client.publishAsync(`${base}/clock/${options.index}/ping`, JSON.stringify([id]), { qos: 0 });
        });
        const t2 = now();
        const rtt = t2 - t0;
        // Shard 0's clock at the midpoint of the round trip, minus ours (NTP's symmetric estimate).
        const sample = { offsetMs: serverAt - (t0 + t2) / 2, rttMs: rtt };
        if (best === undefined || sample.rttMs < best.rttMs) best = sample;
      }
      return best as ClockOffset;
    },

    async close() {
      // Bounded: a coordinator that went away must not hold the shard's exit.
      let timer: NodeJS.Timeout | undefined;
      const clear = Promise.all(
        [...retainedWritten].map((topic) => client.publishAsync(topic, '', { qos: 1, retain: true })),
      ).catch(() => undefined);
      await Promise.race([clear, new Promise((r) => (timer = setTimeout(r, 2_000)))]);
      clearTimeout(timer);
      await client.endAsync(!client.connected).catch(() => undefined);
    },
  };
}
