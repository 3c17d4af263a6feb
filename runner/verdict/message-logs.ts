/**
 * The message logs of the run record, compact enough for a million-message run: per publisher,
 * typed arrays indexed by sequence number (send time, ack time, ack code) and its burst segments;
 * per (receiver, publisher) and per (`$share` group, publisher), bitsets of received sequence
 * numbers, repeat classes and a latency histogram (µs). `record.ts` owns and fills them.
 */
import * as hdr from 'hdr-histogram-js';
import type { QoS } from '../transports/transport.js';
import { createBitset, testAndSet } from './bitset.js';
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
  /**
   * `none`: published without the identity header (`identity: none`): receipts cannot be told
   * apart, so the oracle owes nothing per message; they are counted by topic (RunRecord.anonymous).
   */
  identity?: 'none';
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

/** Classes of a repeated copy (see docs/verdict-model.md). */
export type DuplicateClass = 'redelivery' | 'extra-copy' | 'unexplained';

/** What one receiver got from one publisher. */
export class ReceiptLog {
  /** Sequence numbers received at least once (any subscription). */
  readonly bits: Uint32Array;
  /** Per subscription slot of the receiver: the copies attributed to it. */
  readonly channels: Array<Uint32Array | undefined> = [];
  /** Copies no known subscription explains the attribution of (no session model attached). */
  loose: Uint32Array | undefined;
  /** Sequence numbers with an unexplained repeated copy (allocated on the first one). */
  dupBits: Uint32Array | undefined;
  /** Sequence numbers redelivered after the connection broke (QoS 1) [MQTT-4.3.2-2]. */
  redeliveredBits: Uint32Array | undefined;
  /** Sequence numbers with one more copy for another matching subscription [MQTT-3.3.4-2]. */
  extraBits: Uint32Array | undefined;
  received = 0;
  /** Repeated copies that count as duplicates: unexplained + redelivered. */
  duplicates = 0;
  unexplained = 0;
  redelivered = 0;
  extraCopies = 0;
  orderViolations = 0;
  readonly orderSamples: OrderViolation[] = [];
  readonly lastSeqByTopic = new Map<string, number>();
  /** Deliveries (duplicates included) per `segment * 65536 + phase`; read with RunRecord.deliveriesIn. */
  readonly buckets = new Map<number, number>();
  readonly #capacity: number;
  /** The one channel aliasing `bits` (-1: none yet; -2: several channels, none aliases). */
  #sole = -1;
  #latency: hdr.Histogram | undefined;
  /**
   * Latencies (µs) not yet in the histogram. Recording into an HDR histogram costs about half of
   * all the work per receipt, so receipts only append here and the histogram is filled when
   * first read (most scenarios never read it); memory stays linear in deliveries.
   */
  #pending = new Uint32Array(64);
  #pendingCount = 0;

  constructor(capacity: number) {
    this.#capacity = capacity;
    this.bits = createBitset(capacity);
  }

  /** Publish-to-receipt times of first deliveries, µs (2 significant digits: values within 1%). */
  get latencyUs(): hdr.Histogram {
    this.#latency ??= hdr.build({ lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 2 });
    const pending = this.#pending;
    for (let i = 0; i < this.#pendingCount; i++) this.#latency.recordValue(pending[i] as number);
    this.#pendingCount = 0;
    return this.#latency;
  }

  recordLatency(us: number): void {
    if (this.#pendingCount === this.#pending.length) {
      const grown = new Uint32Array(this.#pending.length * 2);
      grown.set(this.#pending);
      this.#pending = grown;
    }
    this.#pending[this.#pendingCount++] = Math.min(us, 0xffffffff);
  }

  /**
   * The copies attributed to subscription `slot`. While a receiver gets this publisher's messages
   * through one subscription only (the common case), that channel is `bits` itself: one bitset,
   * not two. The second channel gives the first one its own copy.
   */
  channel(slot: number): Uint32Array {
    const c = this.channels[slot];
    if (c !== undefined) return c;
    if (this.#sole === -1 && this.loose === undefined) {
      this.#sole = slot;
      this.channels[slot] = this.bits;
      return this.bits;
    }
    this.#unshare();
    const fresh = createBitset(this.#capacity);
    this.channels[slot] = fresh;
    return fresh;
  }

  looseBits(): Uint32Array {
    if (this.loose === undefined) {
      this.#unshare();
      this.loose = createBitset(this.#capacity);
    }
    return this.loose;
  }

  /** Until now every first copy came through the sole channel: it gets a copy of `bits`. */
  #unshare(): void {
    if (this.#sole >= 0) this.channels[this.#sole] = this.bits.slice();
    this.#sole = -2;
  }

  /** Marks `seq` as repeated in class `cls`. */
  markRepeat(cls: DuplicateClass, seq: number): void {
    if (cls === 'extra-copy') {
      this.extraCopies++;
      this.extraBits ??= createBitset(this.#capacity);
      testAndSet(this.extraBits, seq);
      return;
    }
    this.duplicates++;
    if (cls === 'redelivery') {
      this.redelivered++;
      this.redeliveredBits ??= createBitset(this.#capacity);
      testAndSet(this.redeliveredBits, seq);
    } else {
      this.unexplained++;
      this.dupBits ??= createBitset(this.#capacity);
      testAndSet(this.dupBits, seq);
    }
  }
}

/** What one `$share` group got from one publisher, over every session that was ever a member. */
export class GroupLog {
  /** Delivered to some member (MQ-6, MQTT 5 §4.8.2: any session of the group may take it). */
  readonly bits: Uint32Array;
  /** A second delivery inside the group nothing explains. */
  multiBits: Uint32Array | undefined;
  /** A second delivery after the first recipient's connection broke (MQTT 5 §4.8.2). */
  redeliveredBits: Uint32Array | undefined;
  multi = 0;
  redelivered = 0;
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
    this.bits = createBitset(capacity);
  }

  markRepeat(redelivery: boolean, seq: number): void {
    if (redelivery) {
      this.redelivered++;
      this.redeliveredBits ??= createBitset(this.#capacity);
      testAndSet(this.redeliveredBits, seq);
    } else {
      this.multi++;
      this.multiBits ??= createBitset(this.#capacity);
      testAndSet(this.multiBits, seq);
    }
  }
}
