/**
 * Which sessions and shared groups want a topic. qlobber holds the distinct topic filters
 * (`+` one level, `#` any number of levels, `+` matching an empty level [MQTT-4.7.1-3]); the
 * per-filter maps hold plain subscriptions by client id and shared group keys.
 */
import qlobber from 'qlobber';
import type { Subscription } from './session-store.js';
import { levelCount } from './topic.js';

export interface FilterEntry {
  readonly topicFilter: string;
  /** Non-shared subscriptions on this filter, by client id. */
  readonly plain: Map<string, Subscription>;
  /** Shared groups on this filter (keys of SharedGroups). */
  readonly groups: Set<string>;
}

export class SubscriptionIndex {
  private readonly matcher: InstanceType<typeof qlobber.QlobberDedup<string>>;
  private readonly entries = new Map<string, FilterEntry>();
  private readonly parentMatchesMultiLevel: boolean;
  /**
   * Topic → matching entries, valid while the set of filters does not change (entries are mutated
   * in place, so new subscribers on a known filter need no invalidation). Publishers usually reuse a
   * few topics, and a qlobber walk per message was a visible cost.
   */
  private readonly matchCache = new Map<string, FilterEntry[]>();

  /** `maxLevels`: the most levels a topic or filter may have (validated before it gets here). */
  constructor(options: { parentMatchesMultiLevel: boolean; maxLevels: number }) {
    this.parentMatchesMultiLevel = options.parentMatchesMultiLevel;
    this.matcher = new qlobber.QlobberDedup<string>({
      separator: '/',
      wildcard_one: '+',
      wildcard_some: '#',
      match_empty_levels: true,
      // qlobber refuses (throws on) more words than this; its default of 100 is below the bound.
      max_words: Math.max(options.maxLevels, 1),
    });
  }

  private entry(topicFilter: string): FilterEntry {
    let entry = this.entries.get(topicFilter);
    if (!entry) {
      entry = { topicFilter, plain: new Map(), groups: new Set() };
      this.entries.set(topicFilter, entry);
      this.matcher.add(topicFilter, topicFilter);
      this.matchCache.clear();
    }
    return entry;
  }

  private prune(entry: FilterEntry): void {
    if (entry.plain.size === 0 && entry.groups.size === 0) {
      this.entries.delete(entry.topicFilter);
      this.matcher.remove(entry.topicFilter, entry.topicFilter);
      this.matchCache.clear();
    }
  }

  addPlain(clientId: string, sub: Subscription): void {
    this.entry(sub.topicFilter).plain.set(clientId, sub);
  }

  removePlain(clientId: string, topicFilter: string): void {
    const entry = this.entries.get(topicFilter);
    if (!entry) return;
    entry.plain.delete(clientId);
    this.prune(entry);
  }

  addGroup(topicFilter: string, groupKey: string): void {
    this.entry(topicFilter).groups.add(groupKey);
  }

  removeGroup(topicFilter: string, groupKey: string): void {
    const entry = this.entries.get(topicFilter);
    if (!entry) return;
    entry.groups.delete(groupKey);
    this.prune(entry);
  }

  /** Filter entries matching a topic name (the array is shared: callers must not change it). */
  match(topic: string): readonly FilterEntry[] {
    const cached = this.matchCache.get(topic);
    if (cached !== undefined) return cached;
    const result = this.lookup(topic);
    // Bounded: a publisher walking through endless distinct topics only costs a periodic reset.
    if (this.matchCache.size >= MATCH_CACHE_MAX) this.matchCache.clear();
    this.matchCache.set(topic, result);
    return result;
  }

  private lookup(topic: string): FilterEntry[] {
    const result: FilterEntry[] = [];
    const dollar = topic.startsWith('$');
    const topicLevels = this.parentMatchesMultiLevel ? 0 : levelCount(topic);
    for (const filter of this.matcher.match(topic)) {
      // [MQTT-4.7.2-1] a filter starting with a wildcard does not match a topic starting with `$`.
      if (dollar && (filter.startsWith('+') || filter.startsWith('#'))) continue;
      // T-2 / DIFF-8 (aws-iot): `a/#` does not match the parent level `a` itself.
      if (!this.parentMatchesMultiLevel && filter.endsWith('/#') && levelCount(filter) - 1 === topicLevels) {
        continue;
      }
      const entry = this.entries.get(filter);
      if (entry) result.push(entry);
    }
    return result;
  }

  get size(): number {
    return this.entries.size;
  }
}

// --- internal ---

const MATCH_CACHE_MAX = 10_000;
