/**
 * The engine's model of every client's connection and session state, updated at each step event
 * (connect sent / CONNACK, SUBSCRIBE / SUBACK, DISCONNECT, connection lost). The oracle computes a
 * message's expected audience from it at publish time. Every change bumps `version`, so a burst
 * starts a new audience segment only when something changed.
 */
import type { ResolvedClient } from '../scenario/types.js';
import type { QoS } from '../transports/transport.js';
import { matchTopic, parseSharedFilter } from './topic-filter.js';

export interface ModelSubscription {
  /** Filter as subscribed, possibly `$share/{group}/{filter}`. */
  filter: string;
  /** Granted QoS from the SUBACK. */
  qos: QoS;
  noLocal: boolean;
  share?: { group: string; filter: string };
  /** The client's subscription slot for this filter (see SubscriptionSlot). */
  slot: number;
}

/**
 * One filter a client subscribed to during the run. Slots are never reused: a receipt attributed
 * to a slot names the subscription that caused it; on MQTT 5 its Subscription Identifier is
 * `slot + 1` [MQTT-3.3.4-3].
 */
export interface SubscriptionSlot {
  filter: string;
  /** `{group}/{filter}` for a shared filter (SS-4). */
  groupKey?: string;
}

/** Why a client's session ended, per epoch: what the broker said, not what the runner's clock thought. */
export interface SessionEnd {
  reason: 'clean-start' | 'not-present' | 'clean-disconnect';
  /** not-present: how long the client had been offline when the CONNACK said sessionPresent=0, ms. */
  offlineMs?: number;
  /** not-present: the Session Expiry Interval the session had, ms (Infinity: 3.1.1 persistent). */
  expiryMs?: number;
}

export type ClientStatus = 'offline' | 'connecting' | 'online' | 'disconnecting';

export interface ClientModel {
  readonly idx: number;
  readonly name: string;
  status: ClientStatus;
  /** Number of CONNACKs received so far (0 before the first connect). */
  connectNo: number;
  /**
   * Increments each time the broker-side session is discarded (clean start, session not present
   * on resume, clean-session disconnect, expiry). A message owed to a session is owed only while
   * the session's epoch is unchanged.
   */
  epoch: number;
  /** Whether the current (or last) session outlives the connection. */
  persistent: boolean;
  /** Session Expiry Interval of the current session, ms (Infinity for 3.1.1 persistent). */
  sessionExpiryMs: number;
  offlineSince: number;
  /** Session subscriptions, by filter (a SUBSCRIBE to the same filter replaces it [MQTT-3.8.4-3]). */
  subs: Map<string, ModelSubscription>;
  /** Filters with a SUBSCRIBE or UNSUBSCRIBE in flight: deliveries on them are undetermined. */
  pendingFilters: Set<string>;
  /**
   * Subscriptions of a session that ended at disconnect. Not an audience in MQTT terms; kept so
   * `no-loss` at QoS 0 can name what a returning subscriber missed while it had no session.
   */
  ghostSubs: Map<string, ModelSubscription>;
  /** Every filter subscribed during the run, by slot. */
  slots: SubscriptionSlot[];
  slotByFilter: Map<string, number>;
  /** Matching active slots per topic (non-shared first); cleared when the subscriptions change. */
  matchCache: Map<string, readonly number[]>;
  /** How each ended session ended, indexed by its epoch. */
  sessionEnds: Array<SessionEnd | undefined>;
}

export type CandidateState = 'online' | 'transition' | 'offline-session' | 'offline-none';

/** One client that may receive a message (for a group entry, one member). */
export interface AudienceCandidate {
  client: number;
  state: CandidateState;
  epoch: number;
  connectNo: number;
  /** Effective QoS for this candidate: min(publish QoS, granted QoS) [MQTT-3.8.4-8]. */
  qos: QoS;
}

/** Who a message must reach: one subscriber, or exactly one member of a shared group. */
export interface AudienceEntry {
  kind: 'client' | 'group';
  /** Client instance name, or `{group}/{filter}` for a shared group (SS-4). */
  key: string;
  group?: string;
  filter: string;
  /** Highest effective QoS among the candidates. */
  qos: QoS;
  candidates: AudienceCandidate[];
}

export interface SessionModelOptions {
  /** `a/#` matches `a` (MQTT spec) unless the target is AWS IoT (rule T-2). */
  hashMatchesParent: boolean;
  /**
   * Shared groups keep one queue and serve online members first (AWS IoT, MQ-3, MQ-5, MQ-6): a
   * group message never waits in one offline member's session. Elsewhere (Mosquitto) a member's
   * own session may hold it. @default false
   */
  groupQueue?: boolean;
}

export class SessionModel {
  readonly clients: ClientModel[];
  version = 0;
  readonly groupQueue: boolean;
  readonly #hashMatchesParent: boolean;
  /** Every (client, slot) that ever subscribed to a shared group, by group key. */
  readonly #groupMembers = new Map<string, Array<{ client: number; slot: number }>>();

  constructor(clients: readonly ResolvedClient[], options: SessionModelOptions) {
    this.#hashMatchesParent = options.hashMatchesParent;
    this.groupQueue = options.groupQueue ?? false;
    this.clients = clients.map((c, idx) => ({
      idx,
      name: c.name,
      status: 'offline',
      connectNo: 0,
      epoch: 0,
      persistent: false,
      sessionExpiryMs: 0,
      offlineSince: 0,
      subs: new Map(),
      pendingFilters: new Set(),
      ghostSubs: new Map(),
      slots: [],
      slotByFilter: new Map(),
      matchCache: new Map(),
      sessionEnds: [],
    }));
  }

  /** The slot of `filter` for client `idx`, allocated at its first use. */
  slotFor(idx: number, filter: string): number {
    const c = this.#client(idx);
    let slot = c.slotByFilter.get(filter);
    if (slot === undefined) {
      slot = c.slots.length;
      const share = parseSharedFilter(filter);
      const info: SubscriptionSlot = { filter };
      if (share !== undefined) {
        info.groupKey = `${share.group}/${share.filter}`;
        let members = this.#groupMembers.get(info.groupKey);
        if (members === undefined) {
          members = [];
          this.#groupMembers.set(info.groupKey, members);
        }
        members.push({ client: idx, slot });
      }
      c.slots.push(info);
      c.slotByFilter.set(filter, slot);
    }
    return slot;
  }

  /** The Subscription Identifier the runner gives `filter` of client `idx` [MQTT-3.3.4-3]. */
  subscriptionIdFor(idx: number, filter: string): number {
    return this.slotFor(idx, filter) + 1;
  }

  slotInfo(idx: number, slot: number): SubscriptionSlot | undefined {
    return this.clients[idx]?.slots[slot];
  }

  /** Is the client's connection ending or gone (disconnecting, offline)? */
  connectionEnding(idx: number): boolean {
    const s = this.clients[idx]?.status;
    return s === 'disconnecting' || s === 'offline';
  }

  /** Every (client, slot) that subscribed to the shared group `key` during the run. */
  groupMembers(key: string): ReadonlyArray<{ client: number; slot: number }> {
    return this.#groupMembers.get(key) ?? [];
  }

  /**
   * The client's active subscriptions (granted, or in flight) matching `topic`, by slot,
   * non-shared first: how a receipt without Subscription Identifiers is attributed.
   */
  matchingSlots(idx: number, topic: string): readonly number[] {
    const c = this.clients[idx];
    if (c === undefined) return [];
    const cached = c.matchCache.get(topic);
    if (cached !== undefined) return cached;
    const plain: number[] = [];
    const shared: number[] = [];
    const consider = (filter: string, share: { filter: string } | undefined) => {
      if (!this.#matches(share?.filter ?? filter, topic)) return;
      const slot = this.slotFor(idx, filter);
      const list = share === undefined ? plain : shared;
      if (!list.includes(slot)) list.push(slot);
    };
    for (const sub of c.subs.values()) consider(sub.filter, sub.share);
    for (const f of c.pendingFilters) consider(f, parseSharedFilter(f));
    const out = [...plain.sort((a, b) => a - b), ...shared.sort((a, b) => a - b)];
    if (c.matchCache.size > 10_000) c.matchCache.clear();
    c.matchCache.set(topic, out);
    return out;
  }

  #client(idx: number): ClientModel {
    const c = this.clients[idx];
    if (c === undefined) throw new RangeError(`no client #${idx}`);
    return c;
  }

  /**
   * A CONNECT is about to be sent. The runner's clock never ends a session: the CONNACK says
   * whether it survived (see `connected`).
   */
  connectStarted(idx: number, _at?: number): void {
    const c = this.#client(idx);
    c.status = 'connecting';
    this.version++;
  }

  /**
   * CONNACK received. `clean`: Clean Start / cleanSession as sent; `persistent`: whether the new
   * session outlives the connection (3.1.1 cleanSession=0, MQTT 5 Session Expiry > 0).
   */
  connected(
    idx: number,
    at: number,
    opts: { clean: boolean; sessionPresent: boolean; persistent: boolean; sessionExpiryMs: number },
  ): void {
    const c = this.#client(idx);
    // Clean Start discards any session [MQTT-3.1.2-4]; resuming with no session on the broker
    // (sessionPresent=0 [MQTT-3.2.2-3]) means whatever we thought it held is gone too. The
    // CONNACK is the ground truth: sessionPresent=1 keeps everything the session was owed.
    if (opts.clean) this.#discardSession(c, { reason: 'clean-start' });
    else if (!opts.sessionPresent) {
      this.#discardSession(c, {
        reason: 'not-present',
        offlineMs: c.connectNo === 0 ? 0 : Math.max(0, at - c.offlineSince),
        expiryMs: c.sessionExpiryMs,
      });
    }
    c.ghostSubs.clear();
    c.status = 'online';
    c.connectNo++;
    c.persistent = opts.persistent;
    c.sessionExpiryMs = opts.sessionExpiryMs;
    this.version++;
  }

  /** The connect failed (refused or unreachable): the client stays offline. */
  connectFailed(idx: number, at: number): void {
    const c = this.#client(idx);
    c.status = 'offline';
    c.offlineSince = at;
    this.version++;
  }

  disconnectStarted(idx: number): void {
    this.#client(idx).status = 'disconnecting';
    this.version++;
  }

  /**
   * The connection is gone (asked for or lost). `sessionExpiryMs` overrides the session's expiry
   * when the DISCONNECT carried one (MQTT 5, PS-4).
   */
  disconnected(idx: number, at: number, sessionExpiryMs?: number): void {
    const c = this.#client(idx);
    if (c.status === 'offline') return;
    c.status = 'offline';
    c.offlineSince = at;
    if (sessionExpiryMs !== undefined) c.sessionExpiryMs = sessionExpiryMs;
    // A clean session lasts as long as the network connection [MQTT-3.1.2-6] (MQTT 5: Session
    // Expiry 0 ends it at disconnect [MQTT-3.1.2-23]).
    if (!c.persistent || c.sessionExpiryMs <= 0) {
      for (const [f, s] of c.subs) c.ghostSubs.set(f, s);
      this.#discardSession(c, { reason: 'clean-disconnect' });
    }
    c.pendingFilters.clear();
    this.version++;
  }

  subscribeStarted(idx: number, filters: readonly string[]): void {
    const c = this.#client(idx);
    for (const f of filters) {
      c.pendingFilters.add(f);
      this.slotFor(idx, f);
    }
    c.matchCache.clear();
    this.version++;
  }

  subscribed(idx: number, granted: ReadonlyArray<{ filter: string; code: number; noLocal: boolean }>): void {
    const c = this.#client(idx);
    for (const g of granted) {
      c.pendingFilters.delete(g.filter);
      // Reason codes >= 0x80 are failures [MQTT-3.9.3-2]: no subscription exists.
      if (g.code >= 0x80) continue;
      const sub: ModelSubscription = {
        filter: g.filter,
        qos: Math.min(g.code, 2) as QoS,
        noLocal: g.noLocal,
        slot: this.slotFor(idx, g.filter),
      };
      const share = parseSharedFilter(g.filter);
      if (share !== undefined) sub.share = share;
      c.subs.set(g.filter, sub);
    }
    c.matchCache.clear();
    this.version++;
  }

  unsubscribeStarted(idx: number, filters: readonly string[]): void {
    this.subscribeStarted(idx, filters);
  }

  unsubscribed(idx: number, filters: readonly string[]): void {
    const c = this.#client(idx);
    for (const f of filters) {
      c.pendingFilters.delete(f);
      c.subs.delete(f);
    }
    c.matchCache.clear();
    this.version++;
  }

  #discardSession(c: ClientModel, end: SessionEnd): void {
    // A first connect has no session to end.
    if (c.connectNo > 0 || c.subs.size > 0) c.sessionEnds[c.epoch] = end;
    c.subs.clear();
    c.pendingFilters.clear();
    c.matchCache.clear();
    c.epoch++;
  }

  /**
   * The audience of a message published now by client `publisher` on `topic` at `qos`: each
   * matching non-shared subscription (one entry per client, at the highest matching QoS
   * [MQTT-3.3.4-2]) and each matching shared group `{group}/{filter}` (SS-4, SS-6), whose members
   * are every session holding that subscription, online or offline.
   */
  audienceOf(publisher: number, topic: string, qos: QoS): AudienceEntry[] {
    const entries: AudienceEntry[] = [];
    const groups = new Map<string, AudienceEntry>();
    for (const c of this.clients) {
      let direct: AudienceCandidate | undefined;
      const online = c.status === 'online';
      const transition = c.status === 'connecting' || c.status === 'disconnecting';
      const subs = c.subs.size > 0 || c.status !== 'offline' ? c.subs : c.ghostSubs;
      const ghost = subs === c.ghostSubs;
      // Filters with a SUBSCRIBE in flight count as candidates in transition.
      const inFlight: ModelSubscription[] = [];
      if (!ghost) {
        for (const f of c.pendingFilters) {
          if (c.subs.has(f)) continue;
          const sub: ModelSubscription = { filter: f, qos: 2, noLocal: false, slot: this.slotFor(c.idx, f) };
          const share = parseSharedFilter(f);
          if (share !== undefined) sub.share = share;
          inFlight.push(sub);
        }
      }
      for (const sub of inFlight.length === 0 ? subs.values() : [...subs.values(), ...inFlight]) {
        const filter = sub.share?.filter ?? sub.filter;
        if (!this.#matches(filter, topic)) continue;
        // No Local: not sent back to its own publisher [MQTT-3.8.3-3].
        if (sub.noLocal && c.idx === publisher && sub.share === undefined) continue;
        const state: CandidateState =
          transition || c.pendingFilters.has(sub.filter)
            ? 'transition'
            : online
              ? 'online'
              : ghost
                ? 'offline-none'
                : 'offline-session';
        const cand: AudienceCandidate = {
          client: c.idx,
          state,
          epoch: c.epoch,
          connectNo: c.connectNo,
          qos: Math.min(qos, sub.qos) as QoS,
        };
        if (sub.share === undefined) {
          if (direct === undefined || cand.qos > direct.qos) direct = cand;
          continue;
        }
        const key = `${sub.share.group}/${sub.share.filter}`;
        let g = groups.get(key);
        if (g === undefined) {
          g = {
            kind: 'group',
            key,
            group: sub.share.group,
            filter: sub.share.filter,
            qos: 0,
            candidates: [],
          };
          groups.set(key, g);
          entries.push(g);
        }
        g.candidates.push(cand);
        if (cand.qos > g.qos) g.qos = cand.qos;
      }
      if (direct !== undefined) {
        entries.push({ kind: 'client', key: c.name, filter: topic, qos: direct.qos, candidates: [direct] });
      }
    }
    return entries;
  }

  #matches(filter: string, topic: string): boolean {
    if (!this.#hashMatchesParent && filter.endsWith('/#') && filter.slice(0, -2) === topic) return false;
    return matchTopic(filter, topic);
  }

  /** What the final evaluation needs of each client: taken when the steps end, before teardown. */
  snapshot(): ClientSnapshot[] {
    return this.clients.map((c) => {
      const groups: string[] = [];
      for (const sub of c.subs.values())
        if (sub.share !== undefined) groups.push(`${sub.share.group}/${sub.share.filter}`);
      return {
        online: c.status === 'online',
        epoch: c.epoch,
        connectNo: c.connectNo,
        groups,
        sessionEnds: [...c.sessionEnds],
      };
    });
  }
}

export interface ClientSnapshot {
  online: boolean;
  epoch: number;
  connectNo: number;
  /** Shared groups (`{group}/{filter}`) the client's session is a member of at the end. */
  groups?: readonly string[];
  /** How each earlier session ended, by epoch (what the broker's CONNACK said). */
  sessionEnds?: ReadonlyArray<SessionEnd | undefined>;
}
