/**
 * Shared subscription groups `$share/{ShareName}/{TopicFilter}` [MQTT-4.8.2], SS-1..SS-16.
 * A group is identified by the pair ShareName + TopicFilter (SS-4) and gets one copy of each
 * matching message, handed to exactly one member (SS-5, SS-6).
 *
 * Two distributions (settings.sharedDistribution):
 * - `round-robin` (Mosquitto): every member in turn, offline persistent members included; an
 *   offline member's share waits in its own session queue.
 * - `random-online` (AWS IoT): a seeded random pick among online members only (MQ-3); with no member
 *   online, QoS 1 messages wait in a group-level FIFO queue when a member is persistent (MQ-1, MQ-4,
 *   MQ-5), drained when a member resumes or joins (MQ-6) as fast as members take them: a message is
 *   dealt only to a member with room in its outbound window, and the next one when it acknowledges
 *   (so a return never overflows the members' own queues); paced at 20/s per online member only
 *   when `realistic` (MQ-7); kept for the session expiry or the Message Expiry (MQ-8), tail-dropped
 *   at the configured maximum (MQ-9).
 */
import createDebug from 'debug';
import type { ResolvedBrokerSettings } from './profiles/settings.js';
import { createRandom } from './random.js';
import type { BrokerMessage, Session, Subscription } from './session-store.js';
import { type Counters, countDrop, type DropReason } from './stats.js';

const debug = createDebug('mqscen:broker:shared');

/** What a group needs from the broker core. */
export interface GroupHost {
  readonly settings: ResolvedBrokerSettings;
  session(clientId: string): Session | undefined;
  /** Hands a message to one member; false when the member refused it (receive not authorized). */
  deliver(session: Session, message: BrokerMessage, sub: Subscription, groupKey: string): boolean;
  /** The member is online and would send a message now (outbound window open, nothing queued). */
  hasRoom(session: Session): boolean;
  groupCounters(key: string): Counters;
}

interface QueuedGroupMessage {
  message: BrokerMessage;
  /** ms since epoch: Message Expiry when present, otherwise the retention period (MQ-8). */
  expiresAt: number;
}

export class SharedGroup {
  readonly key: string;
  readonly shareName: string;
  readonly topicFilter: string;
  /** Members by client id, with their subscription (its QoS caps the delivery QoS). Change through setMember/deleteMember. */
  readonly members = new Map<string, Subscription>();
  readonly queue: QueuedGroupMessage[] = [];
  private roundRobin = 0;
  drainTimer: NodeJS.Timeout | undefined;

  constructor(shareName: string, topicFilter: string) {
    this.shareName = shareName;
    this.topicFilter = topicFilter;
    this.key = `${shareName}/${topicFilter}`;
  }

  private list: Array<[string, Subscription]> | undefined;

  /** Members as an array, rebuilt only after a join or leave (round-robin reads it per message). */
  memberList(): Array<[string, Subscription]> {
    this.list ??= [...this.members];
    return this.list;
  }

  setMember(clientId: string, sub: Subscription): void {
    this.members.set(clientId, sub);
    this.list = undefined;
  }

  deleteMember(clientId: string): void {
    this.members.delete(clientId);
    this.list = undefined;
  }

  nextRoundRobin(count: number): number {
    const i = this.roundRobin % count;
    this.roundRobin = (i + 1) % count;
    return i;
  }
}

export class SharedGroups {
  private readonly groups = new Map<string, SharedGroup>();
  /** Groups whose queue holds messages (acknowledgements only look for work when there is some). */
  private readonly queued = new Set<SharedGroup>();
  private readonly host: GroupHost;
  private readonly random: () => number;

  constructor(host: GroupHost) {
    this.host = host;
    this.random = createRandom(host.settings.randomSeed);
  }

  get(key: string): SharedGroup | undefined {
    return this.groups.get(key);
  }

  values(): IterableIterator<SharedGroup> {
    return this.groups.values();
  }

  /** Adds or replaces a member; returns the group and whether the group is new. */
  join(shareName: string, topicFilter: string, clientId: string, sub: Subscription): SharedGroup {
    const key = `${shareName}/${topicFilter}`;
    let group = this.groups.get(key);
    if (!group) {
      group = new SharedGroup(shareName, topicFilter);
      this.groups.set(key, group);
    }
    group.setMember(clientId, sub);
    this.host.groupCounters(key);
    return group;
  }

  /** Removes a member (unsubscribe, session end, MQ-2); returns true when the group became empty and was removed. */
  leave(key: string, clientId: string): boolean {
    const group = this.groups.get(key);
    if (!group) return false;
    group.deleteMember(clientId);
    if (group.members.size > 0) {
      // MQ-13: the queue only lives while a persistent member remains.
      if (!this.hasPersistentMember(group)) this.discardQueue(group);
      return false;
    }
    this.discardQueue(group);
    this.groups.delete(key);
    return true;
  }

  /** Number of groups with queued messages. */
  get queuedGroups(): number {
    return this.queued.size;
  }

  /** A member got room in its window: drains the queues of its groups (MQ-6). */
  drainFor(session: Session): void {
    for (const sub of session.subscriptions.values()) {
      if (sub.shareName === undefined) continue;
      const group = this.groups.get(`${sub.shareName}/${sub.topicFilter}`);
      if (group && group.queue.length > 0) this.drain(group);
    }
  }

  private discardQueue(group: SharedGroup): void {
    if (group.queue.length > 0) {
      countDrop(this.host.groupCounters(group.key), 'session-ended', group.queue.length);
      group.queue.length = 0;
    }
    this.queued.delete(group);
    clearTimeout(group.drainTimer);
    group.drainTimer = undefined;
  }

  private hasPersistentMember(group: SharedGroup): boolean {
    for (const clientId of group.members.keys()) {
      if (this.host.session(clientId)?.persistent) return true;
    }
    return false;
  }

  private onlineMembers(group: SharedGroup, exclude?: string): Array<[Session, Subscription]> {
    const online: Array<[Session, Subscription]> = [];
    for (const [clientId, sub] of group.members) {
      if (clientId === exclude) continue;
      const session = this.host.session(clientId);
      if (session?.connection) online.push([session, sub]);
    }
    return online;
  }

  /** Delivers one copy of `message` to one member of `group` (SS-5), or queues/drops it. */
  dispatch(group: SharedGroup, message: BrokerMessage, exclude?: string): void {
    const counters = this.host.groupCounters(group.key);
    if (this.host.settings.sharedDistribution === 'round-robin') {
      const all = group.memberList();
      const members = exclude === undefined ? all : all.filter(([id]) => id !== exclude);
      for (let tries = 0; tries < members.length; tries++) {
        const [clientId, sub] = members[group.nextRoundRobin(members.length)] as [string, Subscription];
        const session = this.host.session(clientId);
        if (session && this.host.deliver(session, message, sub, group.key)) {
          counters.delivered++;
          return;
        }
      }
      countDrop(counters, 'offline');
      return;
    }
    const online = this.onlineMembers(group, exclude);
    const reason: DropReason = online.length > 0 ? 'rate-limited' : 'offline';
    while (online.length > 0) {
      // SS-5 / MQ-3: random among online members only; a seeded generator keeps runs replayable.
      const index = Math.floor(this.random() * online.length);
      const [session, sub] = online[index] as [Session, Subscription];
      if (this.host.deliver(session, message, sub, group.key)) {
        counters.delivered++;
        return;
      }
      online.splice(index, 1);
    }
    this.enqueue(group, message, reason);
  }

  /** MQ-1, MQ-4: QoS 1 waits in the group queue when no member can take it and a member is persistent. */
  private enqueue(group: SharedGroup, message: BrokerMessage, reason: DropReason): void {
    const counters = this.host.groupCounters(group.key);
    const settings = this.host.settings;
    let qosOne = false;
    for (const sub of group.members.values()) if (sub.qos > 0) qosOne = true;
    if (!settings.sharedGroupQueue || message.qos === 0 || !qosOne || !this.hasPersistentMember(group)) {
      // SS-9: QoS 0 (and groups made of clean sessions only, MQ-1) are never queued.
      countDrop(counters, reason);
      return;
    }
    this.pruneExpired(group);
    if (group.queue.length >= settings.sharedGroupQueueMax) {
      // MQ-9: tail drop; older messages stay.
      countDrop(counters, 'group-queue-full');
      return;
    }
    const retention = Date.now() + settings.sharedGroupQueueExpiry * 1000;
    // MQ-8: the Message Expiry Interval decides when present, whatever the retention setting.
    group.queue.push({ message, expiresAt: message.expiresAt ?? retention });
    this.queued.add(group);
    counters.queued++;
    debug('group %s queued %s (%d waiting)', group.key, message.topic, group.queue.length);
    // MQ-15: queued while members are online (over their rate): drained as they have room.
    if (settings.realistic && this.onlineMembers(group).length > 0) this.drain(group);
  }

  private pruneExpired(group: SharedGroup): void {
    const now = Date.now();
    const before = group.queue.length;
    for (let i = group.queue.length - 1; i >= 0; i--) {
      if ((group.queue[i] as QueuedGroupMessage).expiresAt <= now) group.queue.splice(i, 1);
    }
    if (before !== group.queue.length) {
      countDrop(this.host.groupCounters(group.key), 'expired', before - group.queue.length);
    }
    if (group.queue.length === 0) this.queued.delete(group);
  }

  /** MQ-6: a member resumed or joined; hand the group queue to online members, FIFO (MQ-11). */
  drain(group: SharedGroup): void {
    if (group.queue.length === 0 || group.drainTimer) return;
    const settings = this.host.settings;
    if (!settings.realistic || settings.sharedDequeueRate <= 0) {
      while (group.queue.length > 0 && this.drainOne(group)) {}
      return;
    }
    // MQ-7: up to sharedDequeueRate per second per online member; a member over its publish rate
    // (MQ-15) just delays the next attempt.
    const tick = (): void => {
      group.drainTimer = undefined;
      const online = this.onlineMembers(group).length;
      if (group.queue.length === 0 || online === 0) return;
      this.drainOne(group);
      if (group.queue.length === 0) return;
      group.drainTimer = setTimeout(tick, 1000 / (settings.sharedDequeueRate * online));
      group.drainTimer.unref();
    };
    tick();
  }

  /**
   * Sends the oldest queued message to a random online member with room in its window; false when
   * no member can take it now (the next acknowledgement drains again).
   */
  private drainOne(group: SharedGroup): boolean {
    this.pruneExpired(group);
    const head = group.queue[0];
    if (!head) return false;
    const online = this.onlineMembers(group).filter(([session]) => this.host.hasRoom(session));
    while (online.length > 0) {
      const index = Math.floor(this.random() * online.length);
      const [session, sub] = online[index] as [Session, Subscription];
      if (this.host.deliver(session, head.message, sub, group.key)) {
        group.queue.shift();
        if (group.queue.length === 0) this.queued.delete(group);
        const counters = this.host.groupCounters(group.key);
        counters.dequeued++;
        counters.delivered++;
        return true;
      }
      online.splice(index, 1);
    }
    return false;
  }

  /** Counts for stats(). */
  describe(group: SharedGroup): { members: number; onlineMembers: number; queueLength: number } {
    return {
      members: group.members.size,
      onlineMembers: this.onlineMembers(group).length,
      queueLength: group.queue.length,
    };
  }

  close(): void {
    for (const group of this.groups.values()) clearTimeout(group.drainTimer);
    this.queued.clear();
  }
}
