/**
 * The fault vocabulary: what the fault proxy can do to the traffic of a proxied client, in
 * Toxiproxy's words where Toxiproxy has one (`latency`, `bandwidth`, `slicer`, `limit-data`,
 * `slow-close`, `reset`, `down`; `upstream` = client → broker, `downstream` = broker → client), plus
 * `blackhole` and `partition`, and packet faults on plaintext MQTT (drop, duplicate, reorder,
 * withhold an acknowledgement, forge sessionPresent, cut after the broker acknowledged).
 *
 * Plain data: a scenario step (`fault:` / `heal:`) can be turned into these specs one to one.
 */

import type { Stream, ToxicKind, ToxicSpec } from '../scenario/toxics.js';

export type { Stream, ToxicKind, ToxicSpec } from '../scenario/toxics.js';

/** Which clients and stream a fault applies to, and for how long. */
export interface FaultScope {
  /** Proxied client names; @default every client of the proxy (present and future). */
  clients?: readonly string[];
  /** @default 'both' (`down` ignores it) */
  stream?: Stream | 'both';
  /** Heals by itself after this long, ms; @default until healed */
  durationMs?: number;
  /** Probability that a connection is affected, decided once per connection (Toxiproxy). @default 1 */
  toxicity?: number;
  /** Shown in events; @default the kind */
  name?: string;
}

export type FaultSpec = ToxicSpec & FaultScope;

/** The identity header every mqscen payload starts with: `mqscen1 <run> <publisher> <seq> <sendMs>\n`. */
export interface MessageIdentity {
  run: string;
  /** Index of the publishing client in its scenario. */
  publisher: number;
  /** 1-based, as reports print it (`publisher#3`). */
  seq: number;
  sendMs: number;
}

/** A PUBLISH packet as packet rules see it. */
export interface PublishInfo {
  /** Proxied client name of the connection it travels on. */
  client: string;
  /** MQTT client id from that connection's CONNECT. */
  clientId: string | undefined;
  stream: Stream;
  topic: string;
  qos: 0 | 1 | 2;
  dup: boolean;
  retain: boolean;
  messageId: number | undefined;
  payload: Buffer;
  /** Parsed mqscen identity header, when the payload has one. */
  identity: MessageIdentity | undefined;
}

/** Which PUBLISH packets a rule acts on; every field given must hold. */
export interface PublishMatch {
  /** Exact topic. */
  topic?: string;
  /** The identity header's publisher index. */
  publisher?: number;
  /** The identity header's sequence number (1-based: `seq: 3` is `publisher#3`). */
  seq?: number;
  qos?: 0 | 1 | 2;
  /** Only the k-th PUBLISH (1-based) that satisfies the other fields, counted by the rule. */
  nth?: number;
  /** Any further condition. */
  where?: (p: PublishInfo) => boolean;
}

/** Packet faults: need a plaintext MQTT connection (the proxy parses both directions). */
export type PacketRuleSpec =
  /**
   * The PUBLISH never reaches the other side. With `answer` (default) the proxy acknowledges it
   * to the sender in the receiver's name (PUBACK, or PUBREC then PUBCOMP), so the sender believes
   * it was delivered: this is a broker losing an acknowledged message, not a network loss.
   */
  | { kind: 'drop'; stream: Stream; match: PublishMatch; times?: number; answer?: boolean }
  /**
   * The PUBLISH is forwarded twice; the copy has the DUP flag set when `dup` is true. The
   * receiver's second acknowledgement is swallowed so the sender sees one. With
   * `afterReconnect` (downstream only) the copy is sent right after the client's next CONNACK,
   * on its next connection, as a broker resending a message after a reconnect would.
   */
  | {
      kind: 'duplicate';
      stream: Stream;
      match: PublishMatch;
      dup: boolean;
      afterReconnect?: boolean;
      times?: number;
    }
  /**
   * `first` is held back until `second` has passed, then forwarded right after it (at most
   * `maxHoldMs`, default 5000, then released anyway).
   */
  | { kind: 'reorder'; stream: Stream; first: PublishMatch; second: PublishMatch; maxHoldMs?: number }
  /**
   * The acknowledgement (PUBACK/PUBREC) of the matching PUBLISH never reaches its sender, so
   * the sender still holds it in flight and must send it again, with DUP, on a resumed session
   * [MQTT-4.4.0-1]. `stream` is the PUBLISH's stream: `downstream` withholds a subscriber's PUBACK
   * from the broker. `cut: true` closes the connection once the ack was withheld.
   */
  | { kind: 'withhold-ack'; stream: Stream; match: PublishMatch; times?: number; cut?: boolean }
  /**
   * The k-th CONNACK of the client (`connack`, 1-based, default 2: the first reconnect) says
   * sessionPresent=0. With `discardSession` (default) the proxy first sets Clean Start on that
   * CONNECT, so the broker really drops the session and what it queued: a broker that discarded
   * a session early. Without it only the CONNACK is rewritten.
   */
  | { kind: 'forge-session-present'; connack?: number; discardSession?: boolean }
  /**
   * When the broker sends the matching PUBLISH to this client, the proxy holds it until the
   * broker has acknowledged that message to its publisher (seen on the publisher's proxied
   * connection; at most `ackWaitMs`, default 2000), then cuts this client's connection: the
   * message was in flight, undelivered, when the connection broke.
   */
  | { kind: 'cut-after-ack'; match: PublishMatch; ackWaitMs?: number };

export type PacketRuleKind = PacketRuleSpec['kind'];

export interface PacketRuleScope {
  /** A proxied client name or an MQTT client id; @default every client */
  client?: string;
  /** Shown in events; @default the kind */
  name?: string;
}

export type PacketRule = PacketRuleSpec & PacketRuleScope;

/**
 * What the proxy did, timestamped on the engine's clock (`performance.timeOrigin +
 * performance.now()`, ms), so a run record and reports can draw fault bands.
 */
export type FaultEvent =
  | {
      type: 'applied' | 'healed';
      at: number;
      /** Fault id (`f1`, ...) or packet rule id (`r1`, ...). */
      id: string;
      name: string;
      kind: ToxicKind | 'partition' | PacketRuleKind;
      /** Affected proxied clients; undefined = all. */
      clients: readonly string[] | undefined;
      stream: Stream | 'both' | undefined;
    }
  | {
      type: 'packet';
      at: number;
      id: string;
      name: string;
      kind: PacketRuleKind;
      client: string;
      /** What happened: `dropped`, `answered`, `duplicated`, `held`, `released`, `withheld`, `forged`, `clean-start`, `cut`. */
      action: string;
      packet: { cmd: string; messageId?: number; topic?: string; identity?: string };
    }
  | {
      type: 'connection';
      at: number;
      client: string;
      /** `opened`, `refused` (proxy down), `closed`, `reset`, `limit` (limit-data). */
      action: string;
      connection: number;
    };

/** A fault or rule that can be healed (removed); idempotent. */
export interface FaultHandle {
  readonly id: string;
  heal(): void;
  /** Resolves when it is healed (by `heal()`, its duration or the proxy closing). */
  readonly healed: Promise<void>;
}

/** A packet rule: `fired` counts its actions; `done` resolves when it has done all it will. */
export interface RuleHandle extends FaultHandle {
  readonly fired: number;
  readonly done: Promise<void>;
}
