/**
 * The run record: every fact the oracle and the assertions need, kept compact enough for a
 * million-message run (no object per message or per receipt):
 * - per publisher, typed arrays indexed by sequence number (send time, ack time, ack code) and
 *   the audience per burst segment (a run of sequence numbers published with the same audience);
 * - per (receiver, publisher), a bitset of received sequence numbers, duplicate and order
 *   counters, a latency histogram (µs) and receipt counts per (segment, phase) for windows;
 * - small lists for the rare things: connects, disconnects, SUBACK/UNSUBACK codes, wills,
 *   retained deliveries, samples of duplicates and order violations.
 */
import * as hdr from 'hdr-histogram-js';
import type { ResolvedClient } from '../scenario/types.js';
import type { ConnectResult, PublishProperties, QoS } from '../transports/transport.js';
import { hasBit, rangesOf, type SeqRange, testAndSet } from './bitset.js';
import { DeliveryProperties } from './delivery-properties.js';
import { createIdentityParser, type ParsedIdentity } from './identity.js';
import { type DuplicateClass, GroupLog, PublisherLog, ReceiptLog } from './message-logs.js';

/**
 * What the record needs to attribute a receipt to the subscription that caused it: the session
 * model implements it.
 */
export interface SubscriptionSource {
  /** Active slots of `client` matching `topic`, non-shared first. */
  matchingSlots(client: number, topic: string): readonly number[];
  slotInfo(client: number, slot: number): { filter: string; groupKey?: string } | undefined;
  groupMembers(key: string): ReadonlyArray<{ client: number; slot: number }>;
  /** Is the client's connection ending or gone right now (disconnecting, offline)? */
  connectionEnding?(client: number): boolean;
}

export interface ConnectRecord {
  client: number;
  stepRef: number;
  at: number;
  clean: boolean;
  /** Set when the CONNACK came. */
  connack?: ConnectResult;
  /** Refused or unreachable: the error code and message. */
  error?: { code: string; message: string; reasonCode?: number };
}

export interface DisconnectRecord {
  client: number;
  /** 0 when not caused by a step (lost connection, teardown). */
  stepRef: number;
  at: number;
  how: 'graceful' | 'abrupt' | 'lost' | 'teardown';
  /** DISCONNECT reason code: sent by us (graceful) or by the broker (lost). */
  reasonCode?: number;
  message?: string;
}

export interface SubscribeRecord {
  client: number;
  stepRef: number;
  at: number;
  kind: 'subscribe' | 'unsubscribe';
  filters: string[];
  /** One per filter; empty when no SUBACK/UNSUBACK came (error set). */
  codes: number[];
  error?: string;
}

export interface WillReceipt {
  receiver: number;
  of: number;
  connectNo: number;
  topic: string;
  retain: boolean;
  phase: number;
  at: number;
}

export interface RetainedReceipt {
  receiver: number;
  topic: string;
  /** This run's message (false: another run's or a foreign publisher's). */
  ours: boolean;
  /** A will of this run published with RETAIN=1. */
  will?: boolean;
  publisher?: number;
  seq?: number;
  /** The user payload after the identity header (first 4 KiB). */
  payload: Uint8Array;
  phase: number;
}

/** Receipts without an mqscen identity on one topic, with one retain flag, at one receiver. */
export interface AnonymousReceipts {
  receiver: number;
  topic: string;
  retain: boolean;
  count: number;
  /** Of which with an empty payload (a retained delete [MQTT-3.3.1-10]). */
  empty: number;
  /** Receipts per record phase: windows between steps. */
  byPhase: Map<number, number>;
}

export interface StepMark {
  startPhase: number;
  endPhase: number;
  startAt: number;
  endAt: number;
}

const MAX_SAMPLES = 100;
/** Finest resolution of the delivery timeline the reports draw, ms of wall time. */
export const DELIVERY_BUCKET_MS = 10;
/** A declared client's delivery timeline holds at most this many buckets; past it they double in width. */
const DELIVERY_BUCKETS_MAX = 4096;
const MAX_RETAINED = 10_000;

export class RunRecord {
  readonly runId: string;
  readonly clients: readonly ResolvedClient[];
  readonly publishers: Array<PublisherLog | undefined>;
  /**
   * receipts[receiver][publisher rank] → log, created at the first receipt: sized by the pairs
   * that really exchange messages, never clients × clients.
   */
  readonly #receipts: Array<Array<ReceiptLog | undefined> | undefined>;
  /** Client index → rank among the clients that publish (-1: publishes nothing). */
  readonly #pubRank: Int32Array;
  readonly #pubCount: number;
  /** Group key → per publisher rank. */
  readonly #groups = new Map<string, Array<GroupLog | undefined>>();
  /** Attribution of receipts to subscriptions; without it every copy is `loose`. */
  subscriptions$: SubscriptionSource | undefined;
  readonly connects: ConnectRecord[] = [];
  readonly disconnects: DisconnectRecord[] = [];
  readonly subscriptions: SubscribeRecord[] = [];
  readonly wills: WillReceipt[] = [];
  readonly retained: RetainedReceipt[] = [];
  /** Per receiver: messages from other runs, and messages without an mqscen header. */
  readonly stale: Uint32Array;
  readonly foreign: Uint32Array;
  /**
   * Messages without an mqscen identity (another publisher, an empty retained delete, a scenario
   * publish with `identity: none`), tracked by receiver, topic and retain flag.
   */
  readonly anonymous = new Map<string, AnonymousReceipts>();
  /** Increments at every step start and end: receipts are counted per phase for windows. */
  phase = 0;
  readonly steps = new Map<number, StepMark>();
  /**
   * Deliveries (duplicates and wills included) per declared client (`declaredNames`) per
   * `deliveryBucketMs` of wall time: the reports' delivery rate. Per declared name, not per
   * instance, so 10,000 subscribers cost one sparse map, and bounded: a long run doubles the
   * bucket width rather than grow past DELIVERY_BUCKETS_MAX.
   */
  deliveryBucketMs = DELIVERY_BUCKET_MS;
  readonly declaredNames: string[];
  readonly declaredOf: Int32Array;
  readonly deliveryBuckets: Array<Map<number, number>>;
  /** Live totals. */
  published = 0;
  acked = 0;
  received = 0;
  duplicates = 0;
  readonly #parse: (payload: Uint8Array) => ParsedIdentity;

  constructor(
    runId: string,
    clients: readonly ResolvedClient[],
    capacities: ReadonlyMap<number, number>,
    subscriptions?: SubscriptionSource,
  ) {
    this.runId = runId;
    this.clients = clients;
    this.#pubRank = new Int32Array(clients.length).fill(-1);
    let rank = 0;
    this.publishers = clients.map((_, i) => {
      const cap = capacities.get(i);
      if (cap === undefined || cap === 0) return undefined;
      this.#pubRank[i] = rank++;
      return new PublisherLog(i, cap);
    });
    this.#pubCount = rank;
    this.#receipts = new Array(clients.length);
    this.stale = new Uint32Array(clients.length);
    this.foreign = new Uint32Array(clients.length);
    this.subscriptions$ = subscriptions;
    this.declaredNames = [...new Set(clients.map((c) => c.declaredAs))];
    const declaredIndex = new Map(this.declaredNames.map((n, i) => [n, i]));
    this.declaredOf = Int32Array.from(clients, (c) => declaredIndex.get(c.declaredAs) ?? 0);
    this.deliveryBuckets = this.declaredNames.map(() => new Map<number, number>());
    this.#parse = createIdentityParser(runId);
  }

  /**
   * QoS, RETAIN, DUP, expiry and User Properties of every copy of our messages: kept only after
   * `keepDeliveryProperties` (a scenario with a `delivered` assertion).
   */
  deliveryProperties: DeliveryProperties | undefined;

  keepDeliveryProperties(): void {
    this.deliveryProperties ??= new DeliveryProperties(this.clients.length);
  }

  /** What a payload's identity header says (this run's message, a will, another run's, none). */
  identify(payload: Uint8Array): ParsedIdentity {
    return this.#parse(payload);
  }

  /** Where receipts are attributed from (the session model). */
  attributeWith(source: SubscriptionSource): void {
    this.subscriptions$ = source;
  }

  stepStarted(ref: number, at: number): void {
    this.phase++;
    this.steps.set(ref, {
      startPhase: this.phase,
      endPhase: Number.POSITIVE_INFINITY,
      startAt: at,
      endAt: 0,
    });
  }

  stepEnded(ref: number, at: number): void {
    this.phase++;
    const m = this.steps.get(ref);
    if (m !== undefined) {
      m.endPhase = this.phase;
      m.endAt = at;
    }
  }

  /**
   * Every receipt log's latency (µs) added into one histogram, lent to `use` and freed right after
   * (a histogram is not garbage collected: never keep it).
   */
  withMergedLatency<T>(use: (all: hdr.Histogram) => T): T {
    const all = hdr.build({ lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 2 });
    try {
      const publishers = this.publishers.flatMap((p) => (p === undefined ? [] : [p.client]));
      for (let r = 0; r < this.clients.length; r++) {
        for (const p of publishers) {
          const log = this.receiptLog(r, p);
          if (log !== undefined && log.latencyUs.totalCount > 0) all.add(log.latencyUs);
        }
      }
      return use(all);
    } finally {
      all.destroy();
    }
  }

  receiptLog(receiver: number, publisher: number): ReceiptLog | undefined {
    const rank = this.#pubRank[publisher];
    if (rank === undefined || rank < 0) return undefined;
    return this.#receipts[receiver]?.[rank];
  }

  #log(receiver: number, publisher: number, capacity: number): ReceiptLog {
    const rank = this.#pubRank[publisher] as number;
    let row = this.#receipts[receiver];
    if (row === undefined) {
      row = new Array(this.#pubCount);
      this.#receipts[receiver] = row;
    }
    let log = row[rank];
    if (log === undefined) {
      log = new ReceiptLog(capacity);
      row[rank] = log;
    }
    return log;
  }

  /** The group's log for one publisher; undefined when no member received anything from it. */
  groupLog(key: string, publisher: number): GroupLog | undefined {
    const rank = this.#pubRank[publisher];
    if (rank === undefined || rank < 0) return undefined;
    return this.#groups.get(key)?.[rank];
  }

  #groupLog(key: string, publisher: number, capacity: number): GroupLog {
    const rank = this.#pubRank[publisher] as number;
    let row = this.#groups.get(key);
    if (row === undefined) {
      row = new Array(this.#pubCount);
      this.#groups.set(key, row);
    }
    let log = row[rank];
    if (log === undefined) {
      log = new GroupLog(capacity);
      row[rank] = log;
    }
    return log;
  }

  /**
   * Records one received PUBLISH. Runs once per delivery, so it allocates nothing on the common
   * path beyond what the histogram and the bucket map need.
   *
   * Attribution: a copy carrying Subscription Identifiers is credited to exactly those
   * subscriptions [MQTT-3.3.4-3], [MQTT-3.3.4-4], [MQTT-3.3.4-5]; otherwise to the first matching
   * subscription of the receiver (non-shared first) that has no copy of it yet. A copy no
   * subscription explains is a duplicate: a redelivery when it is QoS 1 and the receiver's
   * connection broke after the message was published [MQTT-4.3.2-2], else unexplained.
   */
  onMessage(
    receiver: number,
    topic: string,
    payload: Uint8Array,
    retain: boolean,
    receivedAt: number,
    qos: QoS = 1,
    subscriptionIds?: readonly number[],
    dup = false,
    properties?: PublishProperties,
  ): 'message' | 'duplicate' | 'extra-copy' | 'will' | 'stale' | 'foreign' {
    const id = this.#parse(payload);
    if (id.kind === 'foreign' || id.kind === 'stale') {
      if (id.kind === 'stale') this.stale[receiver] = (this.stale[receiver] ?? 0) + 1;
      else {
        this.foreign[receiver] = (this.foreign[receiver] ?? 0) + 1;
        this.#keepAnonymous(receiver, topic, retain, payload.length);
      }
      if (retain)
        this.#keepRetained({
          receiver,
          topic,
          ours: false,
          payload: userPart(payload, id),
          phase: this.phase,
        });
      return id.kind;
    }
    if (id.kind === 'will') {
      this.#countDelivery(receiver, receivedAt);
      this.wills.push({
        receiver,
        of: id.publisher,
        connectNo: id.connectNo,
        topic,
        retain,
        phase: this.phase,
        at: receivedAt,
      });
      // A retained will is a retained message like any other [MQTT-3.1.2-17]: `retained` sees it.
      if (retain)
        this.#keepRetained({
          receiver,
          topic,
          ours: true,
          will: true,
          publisher: id.publisher,
          payload: userPart(payload, id),
          phase: this.phase,
        });
      return 'will';
    }
    const pub = this.publishers[id.publisher];
    if (pub === undefined || id.seq >= pub.next) {
      this.foreign[receiver] = (this.foreign[receiver] ?? 0) + 1;
      return 'foreign';
    }
    const log = this.#log(receiver, id.publisher, pub.capacity);
    const seq = id.seq;
    this.deliveryProperties?.add(receiver, id.publisher, seq, qos, retain, dup, properties);
    const seg = pub.segmentOf(seq);
    if (seg !== undefined) {
      const bucket = seg.index * 65536 + Math.min(this.phase, 65535);
      log.buckets.set(bucket, (log.buckets.get(bucket) ?? 0) + 1);
    }
    this.#countDelivery(receiver, receivedAt);
    const seen = hasBit(log.bits, seq);
    if (retain) {
      this.#keepRetained({
        receiver,
        topic,
        ours: true,
        publisher: id.publisher,
        seq,
        payload: userPart(payload, id),
        phase: this.phase,
      });
      // A retained copy sent for a new subscription [MQTT-3.3.1-6] is not a duplicate delivery.
      if (seen) return 'message';
    }
    const fresh = this.#attribute(log, receiver, pub, seq, topic, qos, subscriptionIds);
    if (!fresh) {
      const cls: DuplicateClass =
        qos === 1 && this.connectionEndedAfter(receiver, pub.sendTime[seq] as number)
          ? 'redelivery'
          : 'unexplained';
      log.markRepeat(cls, seq);
      this.duplicates++;
      return 'duplicate';
    }
    if (seen) {
      log.markRepeat('extra-copy', seq);
      return 'extra-copy';
    }
    testAndSet(log.bits, seq);
    log.received++;
    this.received++;
    // Order per publisher per topic [MQTT-4.6.0-6]: a first receipt below the highest seen so far.
    const last = log.lastSeqByTopic.get(topic);
    if (last !== undefined && seq < last) {
      log.orderViolations++;
      if (log.orderSamples.length < MAX_SAMPLES) log.orderSamples.push({ topic, seq, after: last });
    } else {
      log.lastSeqByTopic.set(topic, seq);
    }
    const sent = pub.sendTime[seq] as number;
    if (sent > 0) log.recordLatency(Math.max(1, Math.round((receivedAt - sent) * 1000)));
    return 'message';
  }

  /** Credits the copy to its subscription(s); false when every one of them already had it. */
  #attribute(
    log: ReceiptLog,
    receiver: number,
    pub: PublisherLog,
    seq: number,
    topic: string,
    qos: QoS,
    subscriptionIds: readonly number[] | undefined,
  ): boolean {
    const source = this.subscriptions$;
    if (source === undefined) return !testAndSet(log.looseBits(), seq);
    let fresh = false;
    if (subscriptionIds !== undefined && subscriptionIds.length > 0) {
      for (let i = 0; i < subscriptionIds.length; i++) {
        const slot = (subscriptionIds[i] as number) - 1;
        const info = source.slotInfo(receiver, slot);
        if (info === undefined) continue;
        if (testAndSet(log.channel(slot), seq)) continue;
        fresh = true;
        if (info.groupKey !== undefined) this.#groupReceipt(info.groupKey, receiver, pub, seq, qos);
      }
      if (fresh) return true;
      // Identifiers we never gave: fall back to the filters.
      if (!subscriptionIds.some((n) => source.slotInfo(receiver, n - 1) !== undefined))
        return this.#attribute(log, receiver, pub, seq, topic, qos, undefined);
      return false;
    }
    const slots = source.matchingSlots(receiver, topic);
    if (slots.length === 0) return !testAndSet(log.looseBits(), seq);
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i] as number;
      if (testAndSet(log.channel(slot), seq)) continue;
      const key = source.slotInfo(receiver, slot)?.groupKey;
      if (key !== undefined) this.#groupReceipt(key, receiver, pub, seq, qos);
      return true;
    }
    return false;
  }

  /**
   * A delivery to a member of group `key`. A second delivery inside the group is allowed only
   * for QoS 1, after the connection of a member that had it broke (it may not have acknowledged:
   * the broker may then give it to another member, MQTT 5 §4.8.2; a QoS 2 delivery must be
   * completed with the first one); anything else is a duplicate in the group.
   */
  #groupReceipt(key: string, receiver: number, pub: PublisherLog, seq: number, qos: QoS): void {
    const g = this.#groupLog(key, pub.client, pub.capacity);
    if (!testAndSet(g.bits, seq)) return;
    const sent = pub.sendTime[seq] as number;
    let redelivery = false;
    for (const m of qos === 1 ? (this.subscriptions$?.groupMembers(key) ?? []) : []) {
      if (m.client === receiver) continue;
      const bits = this.receiptLog(m.client, pub.client)?.channels[m.slot];
      if (bits !== undefined && hasBit(bits, seq) && this.connectionEndedAfter(m.client, sent)) {
        redelivery = true;
        break;
      }
    }
    g.markRepeat(redelivery, seq);
    this.duplicates++;
  }

  /**
   * Did a connection of `client` end (or start ending) after `t`? Then a QoS 1 message it got may
   * not have been acknowledged to the broker: a resend after the reconnect is allowed
   * [MQTT-4.4.0-1], and inside a `$share` group the broker may give it to another member as soon
   * as it loses the connection to the first (MQTT 5 §4.8.2).
   */
  connectionEndedAfter(client: number, t: number): boolean {
    if (this.subscriptions$?.connectionEnding?.(client) === true) return true;
    for (let i = this.disconnects.length - 1; i >= 0; i--) {
      const d = this.disconnects[i] as DisconnectRecord;
      if (d.client === client && d.at > t) return true;
    }
    return false;
  }

  #keepAnonymous(receiver: number, topic: string, retain: boolean, bytes: number): void {
    const key = `${receiver} ${retain ? 1 : 0} ${topic}`;
    let a = this.anonymous.get(key);
    if (a === undefined) {
      if (this.anonymous.size >= MAX_RETAINED) return;
      a = { receiver, topic, retain, count: 0, empty: 0, byPhase: new Map() };
      this.anonymous.set(key, a);
    }
    a.count++;
    if (bytes === 0) a.empty++;
    a.byPhase.set(this.phase, (a.byPhase.get(this.phase) ?? 0) + 1);
  }

  #countDelivery(receiver: number, receivedAt: number): void {
    const buckets = this.deliveryBuckets[this.declaredOf[receiver] as number];
    if (buckets === undefined) return;
    const at = Math.floor(receivedAt / this.deliveryBucketMs);
    buckets.set(at, (buckets.get(at) ?? 0) + 1);
    if (buckets.size > DELIVERY_BUCKETS_MAX) this.#coarsenDeliveries();
  }

  /** Doubles the delivery bucket width of every declared client (they share one resolution). */
  #coarsenDeliveries(): void {
    this.deliveryBucketMs *= 2;
    for (const [i, map] of this.deliveryBuckets.entries()) {
      const merged = new Map<number, number>();
      for (const [slot, n] of map) {
        const k = Math.floor(slot / 2);
        merged.set(k, (merged.get(k) ?? 0) + n);
      }
      this.deliveryBuckets[i] = merged;
    }
  }

  #keepRetained(r: RetainedReceipt): void {
    if (this.retained.length < MAX_RETAINED) this.retained.push(r);
  }

  /**
   * Deliveries (duplicates included) of `publisher`'s messages to `receiver` while the record
   * phase was in [from, to), only on topics `topicOk` accepts when given.
   */
  deliveriesIn(
    receiver: number,
    publisher: number,
    from: number,
    to: number,
    topicOk?: (topic: string) => boolean,
    /** Only messages of this publish step. */
    stepRef?: number,
  ): number {
    const log = this.receiptLog(receiver, publisher);
    const pub = this.publishers[publisher];
    if (log === undefined || pub === undefined) return 0;
    let n = 0;
    for (const [key, count] of log.buckets) {
      const phase = key % 65536;
      if (phase < from || phase >= to) continue;
      if (topicOk !== undefined || stepRef !== undefined) {
        const seg = pub.segments[Math.floor(key / 65536)];
        if (seg === undefined) continue;
        if (topicOk !== undefined && !topicOk(seg.topic)) continue;
        if (stepRef !== undefined && seg.stepRef !== stepRef) continue;
      }
      n += count;
    }
    return n;
  }

  /** Sequence ranges of `publisher`'s messages that `receiver` got again, in class `cls`. */
  repeatRanges(receiver: number, publisher: number, cls: DuplicateClass): SeqRange[] {
    const log = this.receiptLog(receiver, publisher);
    if (log === undefined) return [];
    const bits =
      cls === 'redelivery' ? log.redeliveredBits : cls === 'extra-copy' ? log.extraBits : log.dupBits;
    return bits === undefined ? [] : rangesOf(bits);
  }

  /** Repeated copies of `publisher`'s messages at `receiver` in class `cls`. */
  repeatCount(receiver: number, publisher: number, cls: DuplicateClass): number {
    const log = this.receiptLog(receiver, publisher);
    if (log === undefined) return 0;
    return cls === 'redelivery' ? log.redelivered : cls === 'extra-copy' ? log.extraCopies : log.unexplained;
  }

  /** The set bits of a bitset of this record as ranges. */
  rangesOf(bits: Uint32Array): SeqRange[] {
    return rangesOf(bits);
  }

  /** Every group key that received something. */
  groupKeys(): string[] {
    return [...this.#groups.keys()];
  }

  /** Was message `seq` of `publisher` received by `receiver`? */
  hasReceived(receiver: number, publisher: number, seq: number): boolean {
    const log = this.receiptLog(receiver, publisher);
    return log !== undefined && hasBit(log.bits, seq);
  }
}

function userPart(payload: Uint8Array, id: ParsedIdentity): Uint8Array {
  const start = id.kind === 'foreign' ? 0 : id.headerLength;
  return payload.slice(start, Math.min(payload.length, start + 4096));
}
