/**
 * The properties of each copy a client received (QoS, RETAIN, DUP, Message Expiry Interval, User
 * Properties), kept only when the scenario asks for them (a `delivered` assertion): columns of
 * numbers per receiver, growing by doubling, and each distinct User Property list stored once.
 * Without such an assertion the record holds none of this and a receipt costs nothing more.
 */
import type { PublishProperties, QoS } from '../transports/transport.js';

export const NO_EXPIRY = -1;
export const NO_PROPERTIES = -1;

/** One received copy, as read back by the `delivered` assertion. */
export interface DeliveredCopy {
  publisher: number;
  seq: number;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  /** Message Expiry Interval as received, seconds; NO_EXPIRY when absent [MQTT-3.3.2-6]. */
  expiry: number;
  userProperties: ReadonlyArray<readonly [string, string]>;
}

class ReceiverColumns {
  length = 0;
  publisher = new Int32Array(16);
  seq = new Int32Array(16);
  /** qos | retain << 2 | dup << 3 */
  flags = new Uint8Array(16);
  expiry = new Float64Array(16);
  props = new Int32Array(16);

  push(publisher: number, seq: number, flags: number, expiry: number, props: number): void {
    if (this.length === this.seq.length) this.#grow();
    const i = this.length++;
    this.publisher[i] = publisher;
    this.seq[i] = seq;
    this.flags[i] = flags;
    this.expiry[i] = expiry;
    this.props[i] = props;
  }

  #grow(): void {
    const n = this.seq.length * 2;
    const grow = <T extends Int32Array | Uint8Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.publisher = grow(this.publisher, (k) => new Int32Array(k));
    this.seq = grow(this.seq, (k) => new Int32Array(k));
    this.flags = grow(this.flags, (k) => new Uint8Array(k));
    this.expiry = grow(this.expiry, (k) => new Float64Array(k));
    this.props = grow(this.props, (k) => new Int32Array(k));
  }
}

export class DeliveryProperties {
  readonly #rows: Array<ReceiverColumns | undefined>;
  readonly #propLists: Array<ReadonlyArray<readonly [string, string]>> = [];
  readonly #propIndex = new Map<string, number>();

  constructor(receivers: number) {
    this.#rows = new Array(receivers);
  }

  /** One copy of message `seq` of `publisher` received by `receiver`. */
  add(
    receiver: number,
    publisher: number,
    seq: number,
    qos: QoS,
    retain: boolean,
    dup: boolean,
    properties: PublishProperties | undefined,
  ): void {
    let row = this.#rows[receiver];
    if (row === undefined) {
      row = new ReceiverColumns();
      this.#rows[receiver] = row;
    }
    const up = properties?.userProperties;
    let props = NO_PROPERTIES;
    if (up !== undefined && up.length > 0) {
      const key = JSON.stringify(up);
      props = this.#propIndex.get(key) ?? this.#propLists.length;
      if (props === this.#propLists.length) {
        this.#propIndex.set(key, props);
        this.#propLists.push(up.map(([k, v]) => [k, v] as const));
      }
    }
    const flags = qos | (retain ? 4 : 0) | (dup ? 8 : 0);
    row.push(publisher, seq, flags, properties?.messageExpiryInterval ?? NO_EXPIRY, props);
  }

  /** Every copy `receiver` got, in arrival order. */
  *copiesOf(receiver: number): Generator<DeliveredCopy> {
    const row = this.#rows[receiver];
    if (row === undefined) return;
    for (let i = 0; i < row.length; i++) {
      const f = row.flags[i] as number;
      const p = row.props[i] as number;
      yield {
        publisher: row.publisher[i] as number,
        seq: row.seq[i] as number,
        qos: (f & 3) as QoS,
        retain: (f & 4) !== 0,
        dup: (f & 8) !== 0,
        expiry: row.expiry[i] as number,
        userProperties: p === NO_PROPERTIES ? [] : (this.#propLists[p] ?? []),
      };
    }
  }
}
