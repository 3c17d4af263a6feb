/** Retained messages: one per topic, stored and cleared by PUBLISH, handed to new subscriptions. */
import type { ResolvedBrokerSettings } from './profiles/settings.js';
import type { BrokerMessage } from './session-store.js';
import { isExactFilter, topicMatches } from './topic.js';

export class RetainedStore {
  readonly #settings: ResolvedBrokerSettings;
  readonly #messages = new Map<string, BrokerMessage>();

  constructor(settings: ResolvedBrokerSettings) {
    this.#settings = settings;
  }

  /** Retained messages a new subscription gets [MQTT-3.3.1-9..11]; R-3 exact match on aws-iot. */
  matching(topicFilter: string): BrokerMessage[] {
    this.prune();
    const exact = isExactFilter(topicFilter);
    if (exact) {
      const message = this.#messages.get(topicFilter);
      return message ? [message] : [];
    }
    if (!this.#settings.retainedForWildcards) return [];
    const result: BrokerMessage[] = [];
    for (const [topic, message] of this.#messages) {
      if (topicMatches(topicFilter, topic, this.#settings.parentMatchesMultiLevel)) result.push(message);
    }
    return result;
  }

  /** Stores, replaces or clears a retained message [MQTT-3.3.1-5, MQTT-3.3.1-6, MQTT-3.3.1-7]. */
  store(message: BrokerMessage): void {
    if (message.payload.length === 0) this.#messages.delete(message.topic);
    else this.#messages.set(message.topic, { ...message, retain: true });
  }

  /** How many are kept (expired ones included until the next prune). */
  get size(): number {
    return this.#messages.size;
  }

  /** Drops retained messages whose Message Expiry passed (R-7) [MQTT-3.3.2-5]. */
  prune(): void {
    const now = Date.now();
    for (const [topic, message] of this.#messages) {
      if (message.expiresAt !== undefined && message.expiresAt <= now) this.#messages.delete(topic);
    }
  }
}
