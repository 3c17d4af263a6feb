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
import type { ConnectResult, QoS } from '../transports/transport.js';
import { createBitset, hasBit, testAndSet } from './bitset.js';
import { createIdentityParser, type ParsedIdentity } from './identity.js';
import type { AudienceEntry } from './session-model.js';

/** A run of sequence numbers [first, end) of one publisher, published with one audience. */
export interface Segment {
  /** Index in the publisher's segment list. */
  index: number;
  publisher: number;
  /** The publish step that sent it. */
  stepRef: number;
  topic: string;
  qos: QoS;
  retain: boolean;
  first: number;
  end: number;
  audience: AudienceEntry[];
  /** Session model version the audience was computed at. */
  version: number;
  /** Messages the broker took responsibility for: QoS 0 sent, QoS 1/2 acked with a code < 0x80. */
  owed: number;
  /** ms (epoch) of the first publish. */
  startedAt: number;
  /** MQTT 5 Message Expiry Interval of these messages, ms; undefined = never expire. */
  expiryMs?: number;
}

/** Ack codes beyond MQTT reason codes. */
export const ACK_NONE = -1;
/** The publish could not be sent or the connection closed before an ack. */
export const ACK_FAILED = -2;
/** No ack within the bound (e.g. QoS 2 ignored by AWS IoT, rule Q-2). */
export const ACK_TIMEOUT = -3;

export class PublisherLog {
  readonly client: number;
  readonly capacity: number;
  /** Next sequence number. */
  next = 0;
  readonly sendTime: Float64Array;
  readonly ackTime: Float64Array;
  /** PUBACK/PUBREC reason code; ACK_NONE until known; 0 for a sent QoS 0 message. */
  readonly ackCode: Int16Array;
  readonly segments: Segment[] = [];

  constructor(client: number, capacity: number) {
    this.client = client;
    this.capacity = capacity;
    this.sendTime = new Float64Array(capacity);
    this.ackTime = new Float64Array(capacity).fill(Number.NaN);
    this.ackCode = new Int16Array(capacity).fill(ACK_NONE);
  }

  /** The segment holding `seq` (binary search; segments are in sequence order). */
  segmentOf(seq: number): Segment | undefined {
    const segs = this.segments;
    let lo = 0;
    let hi = segs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const s = segs[mid] as Segment;
      if (seq < s.first) hi = mid - 1;
      else if (seq >= s.end) lo = mid + 1;
      else return s;
    }
    return undefined;
  }
}

export interface OrderViolation {
  topic: string;
  seq: number;
  after: number;
}

/** What one receiver got from one publisher. */
export class ReceiptLog {
  readonly bits: Uint32Array;
  /** Sequence numbers received more than once (allocated on the first duplicate). */
  dupBits: Uint32Array | undefined;
  received = 0;
  duplicates = 0;
  orderViolations = 0;
  readonly orderSamples: OrderViolation[] = [];
  readonly lastSeqByTopic = new Map<string, number>();
  readonly latencyUs: hdr.Histogram;
  /** Deliveries (duplicates included) per `segment * 65536 + phase`. */
  readonly buckets = new Map<number, number>();

  constructor(capacity: number) {
    this.bits = createBitset(capacity);
    // 2 significant digits (values within 1%) keep a histogram near 10 KB: a fan-out of many
    // receivers × publishers stays small.
    this.latencyUs = hdr.build({ lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 2 });
  }
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
  publisher?: number;
  seq?: number;
  /** The user payload after the identity header (first 4 KiB). */
  payload: Uint8Array;
  phase: number;
}

export interface StepMark {
  startPhase: number;
  endPhase: number;
  startAt: number;
  endAt: number;
}

const MAX_SAMPLES = 100;
const MAX_RETAINED = 10_000;

export class RunRecord {
  readonly runId: string;
  readonly clients: readonly ResolvedClient[];
  readonly publishers: Array<PublisherLog | undefined>;
  /** receiver * clients.length + publisher → log (created at the first receipt). */
  readonly receipts: Array<ReceiptLog | undefined>;
  readonly connects: ConnectRecord[] = [];
  readonly disconnects: DisconnectRecord[] = [];
  readonly subscriptions: SubscribeRecord[] = [];
  readonly wills: WillReceipt[] = [];
  readonly retained: RetainedReceipt[] = [];
  /** Per receiver: messages from other runs, and messages without an mqscen header. */
  readonly stale: number[];
  readonly foreign: number[];
  /** Increments at every step start and end: receipts are counted per phase for windows. */
  phase = 0;
  readonly steps = new Map<number, StepMark>();
  /** Live totals. */
  published = 0;
  acked = 0;
  received = 0;
  duplicates = 0;
  readonly #parse: (payload: Uint8Array) => ParsedIdentity;

  constructor(runId: string, clients: readonly ResolvedClient[], capacities: ReadonlyMap<number, number>) {
    this.runId = runId;
    this.clients = clients;
    this.publishers = clients.map((_, i) => {
      const cap = capacities.get(i);
      return cap === undefined || cap === 0 ? undefined : new PublisherLog(i, cap);
    });
    this.receipts = new Array(clients.length * clients.length).fill(undefined);
    this.stale = clients.map(() => 0);
    this.foreign = clients.map(() => 0);
    this.#parse = createIdentityParser(runId);
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

  receiptLog(receiver: number, publisher: number): ReceiptLog | undefined {
    return this.receipts[receiver * this.clients.length + publisher];
  }

  /**
   * Records one received PUBLISH. Runs once per delivery, so it allocates nothing on the common
   * path beyond what the histogram and the bucket map need.
   */
  onMessage(
    receiver: number,
    topic: string,
    payload: Uint8Array,
    retain: boolean,
    receivedAt: number,
  ): 'message' | 'duplicate' | 'will' | 'stale' | 'foreign' {
    const id = this.#parse(payload);
    if (id.kind === 'foreign' || id.kind === 'stale') {
      if (id.kind === 'stale') this.stale[receiver] = (this.stale[receiver] ?? 0) + 1;
      else this.foreign[receiver] = (this.foreign[receiver] ?? 0) + 1;
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
      this.wills.push({
        receiver,
        of: id.publisher,
        connectNo: id.connectNo,
        topic,
        retain,
        phase: this.phase,
        at: receivedAt,
      });
      return 'will';
    }
    const pub = this.publishers[id.publisher];
    if (pub === undefined || id.seq >= pub.next) {
      this.foreign[receiver] = (this.foreign[receiver] ?? 0) + 1;
      return 'foreign';
    }
    const key = receiver * this.clients.length + id.publisher;
    let log = this.receipts[key];
    if (log === undefined) {
      log = new ReceiptLog(pub.capacity);
      this.receipts[key] = log;
    }
    const seq = id.seq;
    const seg = pub.segmentOf(seq);
    if (seg !== undefined) {
      const bucket = seg.index * 65536 + Math.min(this.phase, 65535);
      log.buckets.set(bucket, (log.buckets.get(bucket) ?? 0) + 1);
    }
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
    }
    const seen = testAndSet(log.bits, seq);
    if (seen) {
      // A retained copy sent for a new subscription [MQTT-3.3.1-6] is not a duplicate delivery.
      if (retain) return 'message';
      log.duplicates++;
      this.duplicates++;
      if (log.dupBits === undefined) log.dupBits = createBitset(pub.capacity);
      testAndSet(log.dupBits, seq);
      return 'duplicate';
    }
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
    if (sent > 0) log.latencyUs.recordValue(Math.max(1, Math.round((receivedAt - sent) * 1000)));
    return 'message';
  }

  #keepRetained(r: RetainedReceipt): void {
    if (this.retained.length < MAX_RETAINED) this.retained.push(r);
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
