/**
 * The journal of one client shard (`--shard-by clients`): what its clients did and saw, in the
 * order it happened, so `mqscen merge` can replay every shard's journal into one session model and
 * one run record and judge them as a single run would (shard-replay.ts). A shard's own record is
 * only part of the run: the publisher of a message and its subscriber may live on different shards,
 * and the audience of a publish depends on sessions the publisher's shard never sees.
 *
 * Kept: every session model change (connect, CONNACK, disconnect, SUBSCRIBE, SUBACK, UNSUBSCRIBE
 * and the subscription slots, which number the Subscription Identifiers), every receipt (receiver,
 * topic, flags, Subscription Identifiers and the identity header, or the first 4 KiB of a retained
 * payload), the record's lists of connects, disconnects and SUBACKs, each owned publisher's send
 * and ack times per message, and the step marks. Times are this shard's clock; the merge adds the
 * clock offset measured through the coordinator.
 */
import { now } from '../clock.js';
import type { ResolvedClient } from '../scenario/types.js';
import type { PublishProperties, QoS } from '../transports/transport.js';
import type { Segment } from '../verdict/message-logs.js';
import {
  type ConnectRecord,
  type DisconnectRecord,
  RunRecord,
  type SubscribeRecord,
} from '../verdict/record.js';
import { SessionModel, type SessionModelOptions } from '../verdict/session-model.js';
import { type ClockOffset, COORDINATOR_PREFIX } from './shard-coordinator.js';
import { type SegmentSpec, segmentFor } from './steps/publish.js';

/** One model change: [time, operation, client, argument]. */
export type ModelOp =
  | [number, 'connectStarted', number]
  | [number, 'connected', number, ConnectedArg]
  | [number, 'connectFailed', number]
  | [number, 'disconnectStarted', number]
  | [number, 'disconnected', number, number | null]
  | [number, 'subscribeStarted', number, string[]]
  | [number, 'subscribed', number, Array<{ filter: string; code: number; noLocal: boolean }>]
  | [number, 'unsubscribeStarted', number, string[]]
  | [number, 'unsubscribed', number, string[]]
  | [number, 'slot', number, string];

type ConnectedArg = { clean: boolean; sessionPresent: boolean; persistent: boolean; sessionExpiryMs: number };

/**
 * One receipt: [time, receiver, topic index, payload (latin1: the identity header, plus the user
 * part of a retained message), qos, retain, dup, Subscription Identifiers, properties].
 */
export type ReceiptRow = [
  number,
  number,
  number,
  string,
  QoS,
  0 | 1,
  0 | 1,
  number[] | 0,
  PublishProperties | 0,
];

export interface PublisherJournal {
  client: number;
  /** Per sequence number, [0, next). NaN ack time: none came. */
  sendTime: number[];
  ackTime: Array<number | null>;
  ackCode: number[];
  /** The publish parameters per run of sequence numbers; the audience is the merge's to compute. */
  runs: Array<SegmentSpec & { first: number; end: number }>;
}

export interface ScenarioJournal {
  file: string;
  name: string;
  /** The identity run id every shard stamps on this scenario's messages. */
  recordRunId: string;
  clock: ClockOffset;
  /** The clients this shard owned (instance indexes). */
  owned: number[];
  /** When this shard's steps ended: its clients' state then is the `end` the assertions read. */
  stepsEndedAt: number;
  model: ModelOp[];
  topics: string[];
  receipts: ReceiptRow[];
  connects: ConnectRecord[];
  disconnects: DisconnectRecord[];
  subscriptions: SubscribeRecord[];
  publishers: PublisherJournal[];
  /** [step ref, start, end] as this shard ran them. */
  steps: Array<[number, number, number]>;
  /** The shard kept delivery properties (a `delivered` assertion). */
  deliveryProperties: boolean;
}

/** Topics numbered in the order first seen: a journal names each topic once. */
class TopicTable {
  readonly list: string[] = [];
  readonly #index = new Map<string, number>();

  index(topic: string): number {
    let i = this.#index.get(topic);
    if (i === undefined) {
      i = this.list.length;
      this.#index.set(topic, i);
      this.list.push(topic);
    }
    return i;
  }
}

/** Collects one scenario's journal on a client shard. */
export class ShardJournal {
  readonly model: ModelOp[] = [];
  readonly receipts: ReceiptRow[] = [];
  readonly #topics = new TopicTable();
  keepProperties = false;

  topicIndex(topic: string): number {
    return this.#topics.index(topic);
  }

  topics(): string[] {
    return this.#topics.list;
  }

  /** The journal of a finished scenario. */
  build(input: {
    file: string;
    name: string;
    recordRunId: string;
    clock: ClockOffset;
    owned: number[];
    record: RunRecord;
    stepsEndedAt: number;
  }): ScenarioJournal {
    const r = input.record;
    const publishers: PublisherJournal[] = [];
    const owned = new Set(input.owned);
    for (const log of r.publishers) {
      if (log === undefined || log.next === 0 || !owned.has(log.client)) continue;
      const n = log.next;
      publishers.push({
        client: log.client,
        sendTime: Array.from(log.sendTime.subarray(0, n)),
        ackTime: Array.from(log.ackTime.subarray(0, n), (t) => (Number.isNaN(t) ? null : t)),
        ackCode: Array.from(log.ackCode.subarray(0, n)),
        runs: log.segments.map((s) => ({
          stepRef: s.stepRef,
          topic: s.topic,
          qos: s.qos,
          retain: s.retain,
          first: s.first,
          end: s.end,
          ...(s.identity === undefined ? {} : { identity: s.identity }),
          ...(s.expiryMs === undefined ? {} : { expiryMs: s.expiryMs }),
        })),
      });
    }
    return {
      file: input.file,
      name: input.name,
      recordRunId: input.recordRunId,
      clock: input.clock,
      owned: input.owned,
      stepsEndedAt: input.stepsEndedAt,
      model: this.model,
      topics: this.topics(),
      receipts: this.receipts,
      connects: r.connects,
      disconnects: r.disconnects,
      subscriptions: r.subscriptions,
      publishers,
      steps: [...r.steps.entries()].map(([ref, m]) => [ref, m.startAt, m.endAt]),
      deliveryProperties: r.deliveryProperties !== undefined,
    };
  }
}

/** A session model that journals every change made to it (replays of one change journal nothing twice). */
export class JournalingSessionModel extends SessionModel {
  readonly #journal: ShardJournal;
  #depth = 0;

  constructor(clients: readonly ResolvedClient[], options: SessionModelOptions, journal: ShardJournal) {
    super(clients, options);
    this.#journal = journal;
  }

  #log<T>(op: ModelOp, apply: () => T): T {
    if (this.#depth === 0) this.#journal.model.push(op);
    this.#depth++;
    try {
      return apply();
    } finally {
      this.#depth--;
    }
  }

  override slotFor(idx: number, filter: string): number {
    const c = this.clients[idx];
    const before = c?.slots.length ?? 0;
    const slot = super.slotFor(idx, filter);
    if (this.#depth === 0 && (c?.slots.length ?? 0) > before)
      this.#journal.model.push([now(), 'slot', idx, filter]);
    return slot;
  }

  override connectStarted(idx: number, at?: number): void {
    this.#log([at ?? now(), 'connectStarted', idx], () => super.connectStarted(idx, at));
  }

  override connected(idx: number, at: number, opts: ConnectedArg): void {
    this.#log([at, 'connected', idx, { ...opts }], () => super.connected(idx, at, opts));
  }

  override connectFailed(idx: number, at: number): void {
    this.#log([at, 'connectFailed', idx], () => super.connectFailed(idx, at));
  }

  override disconnectStarted(idx: number): void {
    this.#log([now(), 'disconnectStarted', idx], () => super.disconnectStarted(idx));
  }

  override disconnected(idx: number, at: number, sessionExpiryMs?: number): void {
    this.#log([at, 'disconnected', idx, sessionExpiryMs ?? null], () =>
      super.disconnected(idx, at, sessionExpiryMs),
    );
  }

  override subscribeStarted(idx: number, filters: readonly string[]): void {
    this.#log([now(), 'subscribeStarted', idx, [...filters]], () => super.subscribeStarted(idx, filters));
  }

  override subscribed(
    idx: number,
    granted: ReadonlyArray<{ filter: string; code: number; noLocal: boolean }>,
  ): void {
    this.#log([now(), 'subscribed', idx, granted.map((g) => ({ ...g }))], () =>
      super.subscribed(idx, granted),
    );
  }

  override unsubscribeStarted(idx: number, filters: readonly string[]): void {
    this.#log([now(), 'unsubscribeStarted', idx, [...filters]], () => super.unsubscribeStarted(idx, filters));
  }

  override unsubscribed(idx: number, filters: readonly string[]): void {
    this.#log([now(), 'unsubscribed', idx, [...filters]], () => super.unsubscribed(idx, filters));
  }
}

/**
 * What a client shard tells the others at a step barrier: the runs of messages its publishers
 * sent since the last barrier, with how many the broker took ([publisher, step, topic index, qos,
 * retain, first, end, owed, started at, expiry ms or -1, identity none]). The others add them to
 * their own record, so their `settle` knows what their subscribers are owed.
 */
export interface PublishedRuns {
  topics: string[];
  runs: Array<[number, number, number, QoS, 0 | 1, number, number, number, number, number, 0 | 1]>;
}

type Receipt = Parameters<RunRecord['onMessage']>;

/**
 * A run record that journals every receipt. Messages of publishers on other shards are recorded
 * once those shards said at a step barrier what they published (importRuns); until then they are
 * held (counted as received for the live view).
 */
export class JournalingRunRecord extends RunRecord {
  readonly #journal: ShardJournal;
  readonly #owns: (client: number) => boolean;
  readonly #identify: (payload: Uint8Array) => ReturnType<RunRecord['identify']>;
  /** Owned publisher → sequence numbers below this were told to the other shards. */
  readonly #exported = new Map<number, number>();
  /** Publisher on another shard → its receipts not yet recordable. */
  readonly #held = new Map<number, Receipt[]>();

  constructor(
    args: ConstructorParameters<typeof RunRecord>,
    journal: ShardJournal,
    owns: (client: number) => boolean,
  ) {
    super(...args);
    this.#journal = journal;
    this.#owns = owns;
    this.#identify = (p) => this.identify(p);
  }

  override onMessage(...receipt: Receipt): ReturnType<RunRecord['onMessage']> {
    const [receiver, topic, payload, retain, receivedAt, qos, subscriptionIds, dup, properties] = receipt;
    // The shards' own barrier and clock messages (the coordinator may be the target broker, and a
    // scenario's `#` matches them): not the scenario's traffic; an unsharded run has none.
    if (topic.startsWith(`${COORDINATOR_PREFIX}/`)) return 'foreign';
    const id = this.#identify(payload);
    const header = id.kind === 'foreign' ? 0 : id.headerLength;
    // What the merge needs to identify it again: the header, and the user part when retained.
    const kept = retain
      ? payload.subarray(0, header + 4096)
      : payload.subarray(0, id.kind === 'foreign' ? Math.min(1, payload.length) : header);
    this.#journal.receipts.push([
      receivedAt,
      receiver,
      this.#journal.topicIndex(topic),
      Buffer.from(kept).toString('latin1'),
      qos ?? 1,
      retain ? 1 : 0,
      dup ? 1 : 0,
      subscriptionIds === undefined || subscriptionIds.length === 0 ? 0 : [...subscriptionIds],
      this.#journal.keepProperties && properties !== undefined ? properties : 0,
    ]);
    if (
      id.kind === 'message' &&
      !this.#owns(id.publisher) &&
      id.seq >= (this.publishers[id.publisher]?.next ?? 0)
    ) {
      const held = this.#held.get(id.publisher) ?? [];
      held.push(receipt);
      this.#held.set(id.publisher, held);
      this.received++;
      return 'message';
    }
    return super.onMessage(...receipt);
  }

  /** The runs this shard's publishers sent since the last call. */
  exportRuns(): PublishedRuns {
    const topics = new TopicTable();
    const out: PublishedRuns = { topics: topics.list, runs: [] };
    for (const log of this.publishers) {
      if (log === undefined || !this.#owns(log.client)) continue;
      const from = this.#exported.get(log.client) ?? 0;
      for (const seg of log.segments) {
        if (seg.first < from || seg.end === seg.first) continue;
        const t = topics.index(seg.topic);
        out.runs.push([
          log.client,
          seg.stepRef,
          t,
          seg.qos,
          seg.retain ? 1 : 0,
          seg.first,
          seg.end,
          seg.owed,
          seg.startedAt,
          seg.expiryMs ?? -1,
          seg.identity === 'none' ? 1 : 0,
        ]);
      }
      this.#exported.set(log.client, log.next);
    }
    return out;
  }

  /**
   * Another shard's runs: its messages join this record with the audience this shard's model
   * gives them (its own clients), then the receipts held for them are recorded.
   */
  importRuns(model: SessionModel, published: PublishedRuns): void {
    const touched = new Set<number>();
    for (const [
      publisher,
      stepRef,
      t,
      qos,
      retain,
      first,
      end,
      owed,
      startedAt,
      expiryMs,
      none,
    ] of published.runs) {
      const log = this.publishers[publisher];
      if (log === undefined || this.#owns(publisher) || end > log.capacity || first < log.next) continue;
      const spec: SegmentSpec = {
        stepRef,
        topic: published.topics[t] as string,
        qos,
        retain: retain === 1,
        ...(expiryMs >= 0 ? { expiryMs } : {}),
        ...(none === 1 ? { identity: 'none' as const } : {}),
      };
      let seg: Segment | undefined;
      for (let seq = first; seq < end; seq++) {
        seg = segmentFor(model, log, spec, seq, startedAt);
        seg.end = seq + 1;
        log.sendTime[seq] = startedAt;
      }
      log.next = end;
      if (seg !== undefined) seg.owed += owed;
      touched.add(publisher);
    }
    for (const publisher of touched) {
      const held = this.#held.get(publisher);
      if (held === undefined) continue;
      const next = this.publishers[publisher]?.next ?? 0;
      const still: Receipt[] = [];
      for (const r of held) {
        const id = this.#identify(r[2]);
        if (id.kind === 'message' && id.seq < next) {
          this.received--;
          super.onMessage(...r);
        } else still.push(r);
      }
      if (still.length > 0) this.#held.set(publisher, still);
      else this.#held.delete(publisher);
    }
  }
}
