/**
 * The delivery oracle: for every published message, who had to receive it (computed from the
 * session model at publish time, stored per segment), and what happened. Pure functions over the
 * run record; the assertions read their verdicts from here.
 *
 * A message an audience entry did not receive is classified, per entry:
 * - `lost`: MQTT guarantees the delivery and nothing can still be holding the message;
 * - `undetermined`: its fate legitimately depends on the broker (a shared-group message that may
 *   sit in an offline member's session, a client that was mid-connect, a session still offline at
 *   the end);
 * - `missed`: MQTT owes nothing (QoS 0 while offline, no session) — only `no-loss` at QoS 0
 *   counts these, because that is exactly what it asks about.
 */
import { countBits, countUnion, createBitset, hasBit, type SeqRange } from './bitset.js';
import { ACK_NONE, type PublisherLog, type Segment } from './message-logs.js';
import type { RunRecord } from './record.js';
import type {
  AudienceCandidate,
  AudienceEntry,
  ClientSnapshot,
  SessionEnd,
  SessionModel,
} from './session-model.js';

export type MissClass = 'lost' | 'undetermined' | 'missed';

export type { SeqRange } from './bitset.js';

export interface EntryOutcome {
  segment: Segment;
  entry: AudienceEntry;
  /** Messages the broker took (QoS 0 sent, QoS 1/2 acked < 0x80). */
  owed: number;
  /** Messages received by the entry (a group: by any member), owed or not. */
  delivered: number;
  /** Not owed and not received (unacknowledged, failed or refused publishes). */
  notOwed: number;
  /** Owed messages not received, all of one class. */
  missing?: { cls: MissClass; reason: string; count: number; ranges: SeqRange[] };
  /** Group entries: messages delivered inside the group more than once with no explanation. */
  multi?: { count: number; ranges: SeqRange[] };
  /** Group entries: second deliveries after the first recipient's connection broke (allowed, §4.8.2). */
  redelivered?: { count: number; ranges: SeqRange[] };
  /** Group entries: first receipts per member client. */
  perMember?: Map<number, number>;
  /** Owed messages whose expiry ran out before a recipient came back, when others are missing too. */
  expired?: { count: number; ranges: SeqRange[]; reason: string };
}

/**
 * When the earliest candidate that was away at publish time got its CONNACK back; undefined when
 * some candidate was online (it could take the message at once).
 */
function firstReturn(record: RunRecord, entry: AudienceEntry, after: number): number | undefined {
  let first = Number.POSITIVE_INFINITY;
  for (const c of entry.candidates) {
    if (c.state === 'online') return undefined;
    for (const r of record.connects) {
      if (r.client === c.client && r.connack !== undefined && r.at > after) {
        first = Math.min(first, r.at);
        break;
      }
    }
  }
  return Number.isFinite(first) ? first : undefined;
}

export interface OracleReport {
  outcomes: EntryOutcome[];
  /** Messages published without the identity header: not judged per message (Segment.identity). */
  untracked: number;
  /** Client names by index, for messages. */
  names: readonly string[];
}

/** Was message `seq` taken by the broker? QoS 0: sent; QoS 1/2: acked with a success code. */
export function isOwed(pub: PublisherLog, seq: number): boolean {
  const code = pub.ackCode[seq] as number;
  return code >= 0 && code < 0x80;
}

const STATE_TEXT: Record<AudienceCandidate['state'], string> = {
  online: 'online',
  transition: 'connecting, disconnecting or (un)subscribing',
  'offline-session': 'offline with its session',
  'offline-none': 'offline without a session',
};

/** Clock uncertainty between the runner and the broker when comparing an offline time with an expiry. */
function expiryMarginMs(expiryMs: number): number {
  return 1000 + 0.05 * expiryMs;
}

/**
 * A message held for a session that was offline, when the broker later said the session was gone:
 * the CONNACK is the ground truth, the runner's clock only judges whether that was before the
 * declared expiry ran out [MQTT-3.1.2-23] (PS-3).
 */
function sessionEndClass(name: string, end: SessionEnd | undefined): { cls: MissClass; reason: string } {
  if (end === undefined || end.reason === 'clean-disconnect')
    return { cls: 'missed', reason: `${name}'s session ended before it returned` };
  if (end.reason === 'clean-start') {
    return {
      cls: 'missed',
      reason: `${name} came back with Clean Start, which discards the session [MQTT-3.1.2-4]`,
    };
  }
  const offline = end.offlineMs ?? 0;
  const expiry = end.expiryMs ?? 0;
  const s = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : 'never');
  // A session that never expires (3.1.1 cleanSession=0, or the MQTT 5 maximum) is always early.
  if (!Number.isFinite(expiry) || offline < expiry - expiryMarginMs(expiry)) {
    return {
      cls: 'lost',
      reason: `session discarded before its expiry: ${name} came back after ${s(offline)} (Session Expiry ${s(expiry)}) to sessionPresent=0 [MQTT-3.1.2-23]`,
    };
  }
  if (offline > expiry + expiryMarginMs(expiry)) {
    return {
      cls: 'missed',
      reason: `${name}'s session expired: offline ${s(offline)}, Session Expiry ${s(expiry)} (sessionPresent=0, PS-3)`,
    };
  }
  return {
    cls: 'undetermined',
    reason: `${name} came back to sessionPresent=0 after ${s(offline)}, too close to its Session Expiry of ${s(expiry)} to tell`,
  };
}

/**
 * A `settle` step the candidate's connection (the one a message was published to) stayed online
 * through, after the message was sent: the scenario waited for its delivery.
 */
export type SettledThrough = (c: AudienceCandidate) => { ref: number } | undefined;

/** Class of an owed message one candidate did not receive, and why. */
export function classifyCandidate(
  c: AudienceCandidate,
  end: readonly ClientSnapshot[],
  names: readonly string[],
  settledThrough?: SettledThrough,
): { cls: MissClass; reason: string } {
  const name = names[c.client] ?? `#${c.client}`;
  const e = end[c.client] ?? { online: false, epoch: -1, connectNo: -1 };
  if (c.state === 'transition') {
    return { cls: 'undetermined', reason: `published while ${name} was ${STATE_TEXT.transition}` };
  }
  if (c.state === 'offline-none') {
    return {
      cls: 'missed',
      reason: `published while ${name} was offline without a session: nothing is kept for it [MQTT-3.1.2-6]`,
    };
  }
  if (c.qos === 0) {
    if (c.state === 'offline-session') {
      return {
        cls: 'missed',
        reason: `QoS 0, published while ${name} was offline: QoS 0 need not be stored for an offline session [MQTT-3.1.2-5] (PS-6)`,
      };
    }
    if (e.online && e.connectNo === c.connectNo)
      return { cls: 'lost', reason: `${name} was online throughout` };
    return { cls: 'missed', reason: `QoS 0, in flight when ${name}'s connection ended` };
  }
  if (e.epoch !== c.epoch) {
    if (c.state === 'online') {
      // A session that ended later may have ended with the message still on its way, unless the
      // scenario waited for it (a settle) while that connection was online: then it was lost.
      const settle = settledThrough?.(c);
      if (settle !== undefined)
        return { cls: 'lost', reason: `${name} was online through settle [${settle.ref}]` };
      return { cls: 'undetermined', reason: `in flight when ${name}'s session ended` };
    }
    return sessionEndClass(name, e.sessionEnds?.[c.epoch]);
  }
  if (!e.online) {
    const settle = c.state === 'online' ? settledThrough?.(c) : undefined;
    if (settle !== undefined)
      return { cls: 'lost', reason: `${name} was online through settle [${settle.ref}]` };
    return {
      cls: 'undetermined',
      reason: `${name} was offline at the end; the message may wait in its session`,
    };
  }
  return {
    cls: 'lost',
    reason:
      c.state === 'online'
        ? `${name} was online`
        : `${name} was offline with its session and came back with it [MQTT-3.1.2-5]`,
  };
}

/** Class of an owed message an audience entry did not receive. */
export function classifyEntry(
  entry: AudienceEntry,
  end: readonly ClientSnapshot[],
  names: readonly string[],
  options: EvaluateOptions = {},
  settledThrough?: SettledThrough,
): { cls: MissClass; reason: string } {
  if (entry.kind === 'client') {
    const c = entry.candidates[0];
    if (c === undefined) return { cls: 'missed', reason: 'no candidate' };
    return classifyCandidate(c, end, names, settledThrough);
  }
  let classes = entry.candidates.map((c) => classifyCandidate(c, end, names, settledThrough));
  // With one group queue served online-first (MQ-3, MQ-5), a member still offline at the end
  // holds nothing as long as another member came back, or any session joined and stayed online
  // (a new member drains the queue too, MQ-6): the queue owed it to that one.
  const queueHolder = options.groupQueue ? onlineMemberAtEnd(entry, end, names) : undefined;
  if (options.groupQueue && (classes.some((k) => k.cls === 'lost') || queueHolder !== undefined)) {
    classes = classes.filter((k, i) => {
      const c = entry.candidates[i];
      const e = c === undefined ? undefined : end[c.client];
      return !(k.cls === 'undetermined' && c?.state !== 'transition' && e !== undefined && !e.online);
    });
  }
  const und = classes.find((k) => k.cls === 'undetermined');
  if (und !== undefined) {
    return { cls: 'undetermined', reason: `a member may hold it (${und.reason}) [MQTT-4.8.2-5]` };
  }
  const online = entry.candidates.filter((c) => c.state === 'online').map((c) => names[c.client]);
  const queued =
    entry.qos > 0 && entry.candidates.some((c) => c.state === 'online' || c.state === 'offline-session');
  if (queueHolder !== undefined && queued && !classes.some((k) => k.cls === 'lost')) {
    return {
      cls: 'lost',
      reason: `the group queue is drained by any online member (MQ-6); ${queueHolder} was a member online at the end`,
    };
  }
  if (classes.some((k) => k.cls === 'lost')) {
    return {
      cls: 'lost',
      reason:
        online.length > 0
          ? `online members: ${online.join(', ')}`
          : `published while all members were offline; they came back with their sessions`,
    };
  }
  return {
    cls: 'missed',
    reason:
      online.length === 0 ? 'published while no member could take it (SS-9)' : (classes[0]?.reason ?? ''),
  };
}

/** A session that is a member of the entry's group and online at the end, by name. */
function onlineMemberAtEnd(
  entry: AudienceEntry,
  end: readonly ClientSnapshot[],
  names: readonly string[],
): string | undefined {
  for (let i = 0; i < end.length; i++) {
    const e = end[i];
    if (e?.online && e.groups?.includes(entry.key)) return names[i] ?? `#${i}`;
  }
  return undefined;
}

class RangeCollector {
  readonly ranges: Array<[number, number]> = [];
  count = 0;
  add(seq: number): void {
    this.count++;
    const last = this.ranges[this.ranges.length - 1];
    if (last !== undefined && last[1] === seq) last[1] = seq + 1;
    else this.ranges.push([seq, seq + 1]);
  }
}

export interface EvaluateOptions {
  /** Shared groups keep one queue served online-first (AWS IoT); see SessionModelOptions. */
  groupQueue?: boolean;
  /**
   * The run was cut short (interrupted, deadline): judge only messages whose fate is settled.
   * What is missing is `undetermined` (it may still have been on its way), never `lost`;
   * deliveries, duplicates and order are judged as usual.
   */
  settledOnly?: boolean;
  /**
   * When each `settle` step ran ([start, end] on the run's clock): a message that was not
   * delivered although its subscriber's connection stayed online through a settle after it was
   * sent is lost, even if that session ended later (e.g. a final `disconnect`).
   */
  settles?: ReadonlyArray<{ ref: number; startAt: number; endAt: number }>;
}

/**
 * For one segment: the settle that the candidate's connection stayed online through after the
 * segment's last message was sent (its connection ended, if at all, after the settle ended).
 */
function settledThroughFor(
  record: RunRecord,
  pub: PublisherLog,
  seg: Segment,
  settles: EvaluateOptions['settles'],
): SettledThrough | undefined {
  if (settles === undefined || settles.length === 0 || seg.end <= seg.first) return undefined;
  const lastSent = pub.sendTime[seg.end - 1] as number;
  return (c) => {
    let endedAt = Number.POSITIVE_INFINITY;
    for (const d of record.disconnects) {
      if (d.client === c.client && d.at > lastSent && d.at < endedAt) endedAt = d.at;
    }
    const s = settles.find((w) => w.startAt >= lastSent && w.endAt > 0 && w.endAt <= endedAt);
    return s === undefined ? undefined : { ref: s.ref };
  };
}

/** Evaluates every segment of every publisher against what was received. */
export function evaluateDeliveries(
  record: RunRecord,
  end: readonly ClientSnapshot[],
  options: EvaluateOptions = {},
): OracleReport {
  const names = record.clients.map((c) => c.name);
  const outcomes: EntryOutcome[] = [];
  let untracked = 0;
  for (const pub of record.publishers) {
    if (pub === undefined) continue;
    for (const seg of pub.segments) {
      if (seg.identity === 'none') {
        untracked += seg.end - seg.first;
        continue;
      }
      for (const entry of seg.audience) {
        outcomes.push(evaluateEntry(record, pub, seg, entry, end, names, options));
      }
    }
  }
  return { outcomes, names, untracked };
}

/**
 * The copies that satisfy a client entry: those attributed to a non-shared subscription of the
 * client, or not attributable at all. A copy the client got as a group member is the group's.
 */
function directBits(record: RunRecord, client: number, publisher: number): Uint32Array | undefined {
  const log = record.receiptLog(client, publisher);
  if (log === undefined) return undefined;
  const source = record.subscriptions$;
  if (source === undefined) return log.loose ?? log.bits;
  const parts: Uint32Array[] = [];
  if (log.loose !== undefined) parts.push(log.loose);
  log.channels.forEach((bits, slot) => {
    if (bits !== undefined && source.slotInfo(client, slot)?.groupKey === undefined) parts.push(bits);
  });
  if (parts.length === 1) return parts[0];
  const out = createBitset(log.bits.length * 32);
  for (const p of parts) for (let w = 0; w < out.length; w++) out[w] = (out[w] as number) | (p[w] as number);
  return out;
}

/** The bitsets whose union is what satisfies a client entry (see directBits), without copying. */
function directSets(record: RunRecord, client: number, publisher: number): Uint32Array[] {
  const log = record.receiptLog(client, publisher);
  if (log === undefined) return [];
  const source = record.subscriptions$;
  if (source === undefined) return [log.loose ?? log.bits];
  const parts: Uint32Array[] = [];
  if (log.loose !== undefined) parts.push(log.loose);
  log.channels.forEach((bits, slot) => {
    if (bits !== undefined && source.slotInfo(client, slot)?.groupKey === undefined) parts.push(bits);
  });
  return parts;
}

function evaluateEntry(
  record: RunRecord,
  pub: PublisherLog,
  seg: Segment,
  entry: AudienceEntry,
  end: readonly ClientSnapshot[],
  names: readonly string[],
  options: EvaluateOptions,
): EntryOutcome {
  const klass: { cls: MissClass; reason: string } = options.settledOnly
    ? { cls: 'undetermined', reason: 'the run was cut short before its fate was settled' }
    : classifyEntry(entry, end, names, options, settledThroughFor(record, pub, seg, options.settles));
  const missing = new RangeCollector();
  const expired = new RangeCollector();
  const multi = new RangeCollector();
  const redelivered = new RangeCollector();
  // A message with a Message Expiry Interval that ran out before any recipient that was away came
  // back must not be delivered [MQTT-3.3.2-5] (PS-8, MQ-8): not owed.
  const returnAt =
    seg.expiryMs === undefined || klass.cls !== 'lost'
      ? undefined
      : firstReturn(record, entry, seg.startedAt);
  const perMember = new Map<number, number>();
  const attributed = record.subscriptions$ !== undefined;
  // What counts as delivered: a client entry by its own subscriptions; a group by any session
  // that was a member when the broker delivered (MQ-6, MQTT 5 §4.8.2), not only those at publish.
  const sets: Uint32Array[] = [];
  const group = entry.kind === 'group' ? record.groupLog(entry.key, pub.client) : undefined;
  const looseLogs = entry.candidates.map((c) => record.receiptLog(c.client, pub.client));
  if (entry.kind === 'client') {
    const c = entry.candidates[0];
    const bits = c === undefined ? undefined : directBits(record, c.client, pub.client);
    if (bits !== undefined) sets.push(bits);
  } else {
    if (group !== undefined) sets.push(group.bits);
    for (const log of looseLogs) {
      const bits = attributed ? log?.loose : log?.bits;
      if (bits !== undefined) sets.push(bits);
    }
  }
  let owed = 0;
  let delivered = 0;
  let notOwed = 0;
  for (let seq = seg.first; seq < seg.end; seq++) {
    let got = false;
    for (let i = 0; i < sets.length; i++) if (hasBit(sets[i] as Uint32Array, seq)) got = true;
    const o = isOwed(pub, seq);
    if (o) owed++;
    if (got) {
      delivered++;
      if (entry.kind === 'group') {
        if (group?.multiBits !== undefined && hasBit(group.multiBits, seq)) multi.add(seq);
        else if (group?.redeliveredBits !== undefined && hasBit(group.redeliveredBits, seq))
          redelivered.add(seq);
        else if (!attributed) {
          // Without attribution: more than one member, or one member more than once.
          let holders = 0;
          let dup = false;
          for (const log of looseLogs) {
            if (log === undefined || !hasBit(log.bits, seq)) continue;
            holders++;
            if (log.dupBits !== undefined && hasBit(log.dupBits, seq)) dup = true;
          }
          if (holders > 1 || dup) multi.add(seq);
        }
      }
    } else if (o) {
      if (returnAt !== undefined && returnAt - (pub.sendTime[seq] as number) > (seg.expiryMs ?? 0))
        expired.add(seq);
      else missing.add(seq);
    } else if ((pub.ackCode[seq] as number) !== ACK_NONE || seq < pub.next) notOwed++;
  }
  if (entry.kind === 'group') {
    const members = attributed ? (record.subscriptions$?.groupMembers(entry.key) ?? []) : [];
    for (const c of entry.candidates) perMember.set(c.client, perMember.get(c.client) ?? 0);
    for (const m of members) {
      const bits = record.receiptLog(m.client, pub.client)?.channels[m.slot];
      const n = bits === undefined ? 0 : countBits(bits, seg.first, seg.end);
      if (n > 0 || perMember.has(m.client)) perMember.set(m.client, (perMember.get(m.client) ?? 0) + n);
    }
    entry.candidates.forEach((c, i) => {
      const log = looseLogs[i];
      const bits = attributed ? log?.loose : log?.bits;
      if (bits !== undefined)
        perMember.set(c.client, (perMember.get(c.client) ?? 0) + countBits(bits, seg.first, seg.end));
    });
  }
  const out: EntryOutcome = { segment: seg, entry, owed, delivered, notOwed };
  if (missing.count > 0) out.missing = { ...klass, count: missing.count, ranges: missing.ranges };
  if (expired.count > 0) {
    // Reported as the entry's missing class when nothing else is missing.
    const reason = `expired (Message Expiry ${Math.round((seg.expiryMs ?? 0) / 1000)} s) before a recipient came back [MQTT-3.3.2-5]`;
    if (out.missing === undefined)
      out.missing = { cls: 'missed', reason, count: expired.count, ranges: expired.ranges };
    else out.expired = { count: expired.count, ranges: expired.ranges, reason };
  }
  if (entry.kind === 'group') {
    out.multi = { count: multi.count, ranges: multi.ranges };
    if (redelivered.count > 0) out.redelivered = { count: redelivered.count, ranges: redelivered.ranges };
    out.perMember = perMember;
  }
  return out;
}

/**
 * For `settle`: owed deliveries that can happen now (the recipient is online with the session the
 * message was published to) and how many of them arrived. Cheap: bit counts per segment.
 */
export interface Deliverable {
  /** Owed deliveries whose recipient can take them now. */
  expected: number;
  /** How many of those arrived. */
  arrived: number;
  /**
   * Shared-group deliveries of which some may wait in an offline member's session (a broker
   * dealing to offline members, like Mosquitto): owed and arrived so far. Settle waits for these
   * only until they stop arriving.
   */
  partialOwed: number;
  partialArrived: number;
}

export function deliverableNow(
  record: RunRecord,
  model: SessionModel,
  /** `groups: false`: leave `$share` group deliveries out (a client shard sees only its members). */
  options: { groups?: boolean } = {},
): Deliverable {
  let expected = 0;
  let arrived = 0;
  let partialOwed = 0;
  let partialArrived = 0;
  const clients = model.clients;
  for (const pub of record.publishers) {
    if (pub === undefined) continue;
    for (const seg of pub.segments) {
      if (seg.owed === 0 || seg.identity === 'none') continue;
      for (const entry of seg.audience) {
        if (options.groups === false && entry.kind === 'group') continue;
        if (seg.expiryMs !== undefined) {
          // Expired before anyone who could take it came back: never deliverable [MQTT-3.3.2-5].
          const back = firstReturn(record, entry, seg.startedAt);
          const away = entry.candidates.every((c) => c.state !== 'online');
          if (away && (back ?? Number.POSITIVE_INFINITY) - seg.startedAt > seg.expiryMs) continue;
        }
        let ok = entry.candidates.length > 0;
        const sets: Uint32Array[] = [];
        if (entry.kind === 'group' && !model.groupQueue) {
          const groupBits = record.groupLog(entry.key, pub.client)?.bits;
          if (groupBits !== undefined) sets.push(groupBits);
        }
        if (model.groupQueue && entry.kind === 'group') {
          // One queue per group, drained to any online member (MQ-5, MQ-6); QoS 0 is never
          // queued (SS-9), so it is owed only if a member was online when it was published.
          let anyOnline = false;
          let onlineAtPublish = false;
          let groupExisted = false;
          const groupBits = record.groupLog(entry.key, pub.client)?.bits;
          if (groupBits !== undefined) sets.push(groupBits);
          // A member that joined after the publish drains the queue too (MQ-6).
          for (const m of record.subscriptions$?.groupMembers(entry.key) ?? []) {
            const now = clients[m.client];
            if (now?.status === 'online' && now.subs.has(now.slots[m.slot]?.filter ?? '')) anyOnline = true;
          }
          for (const c of entry.candidates) {
            const log = record.receiptLog(c.client, pub.client);
            const bits = record.subscriptions$ === undefined ? log?.bits : log?.loose;
            if (bits !== undefined) sets.push(bits);
            if (clients[c.client]?.status === 'online') anyOnline = true;
            if (c.state === 'online') onlineAtPublish = true;
            // Members without a session were gone: a group of those queues nothing (MQ-1).
            if (c.state === 'online' || c.state === 'offline-session') groupExisted = true;
          }
          if (!anyOnline || !groupExisted || (entry.qos === 0 && !onlineAtPublish)) continue;
          expected += seg.owed;
          arrived += Math.min(countUnion(sets, seg.first, seg.end), seg.owed);
          continue;
        }
        let someReady = false;
        let onlyHeldOffline = true;
        for (const c of entry.candidates) {
          const now = clients[c.client];
          // A client entry counts its own subscriptions' copies only; a group entry (without a
          // group queue) its members' group copies.
          if (entry.kind === 'client') sets.push(...directSets(record, c.client, pub.client));
          else {
            const log = record.receiptLog(c.client, pub.client);
            const bits = record.subscriptions$ === undefined ? log?.bits : log?.loose;
            if (bits !== undefined) sets.push(bits);
          }
          if (now === undefined || c.state === 'transition' || c.state === 'offline-none') {
            ok = false;
            onlyHeldOffline = false;
            continue;
          }
          // QoS 0 is only owed on the very connection it was published to.
          const sameSession =
            now.status === 'online' && now.epoch === c.epoch && (c.qos > 0 || now.connectNo === c.connectNo);
          if (sameSession && (c.qos > 0 || c.state === 'online')) {
            someReady = true;
            continue;
          }
          ok = false;
          // Still offline with the session the message may have been dealt to.
          if (!(now.status === 'offline' && now.epoch === c.epoch && c.qos > 0)) onlyHeldOffline = false;
        }
        if (!ok && !(entry.kind === 'group' && someReady && onlyHeldOffline)) continue;
        const got =
          sets.length === 1
            ? countBits(sets[0] as Uint32Array, seg.first, seg.end)
            : countUnion(sets, seg.first, seg.end);
        if (ok) {
          expected += seg.owed;
          arrived += Math.min(got, seg.owed);
        } else {
          partialOwed += seg.owed;
          partialArrived += Math.min(got, seg.owed);
        }
      }
    }
  }
  return { expected, arrived, partialOwed, partialArrived };
}
