/**
 * The `message` and `lost` events of one session, as transport.ts promises them to every
 * transport: messages that arrive before the first `message` handler is attached (a resumed
 * session's queue follows the CONNACK at once, often in the same TCP read [MQTT-4.4.0-1]) are kept
 * and handed to that first handler, never dropped. Internal to runner/transports.
 */
import type { ConnectionLoss, ReceivedMessage, TransportSessionEvents } from './transport.js';

export class SessionEvents {
  readonly #messageHandlers: Array<TransportSessionEvents['message']> = [];
  readonly #lostHandlers: Array<TransportSessionEvents['lost']> = [];
  #early: ReceivedMessage[] | undefined = [];

  on<E extends keyof TransportSessionEvents>(event: E, handler: TransportSessionEvents[E]): void {
    if (event === 'message') {
      const onMessage = handler as TransportSessionEvents['message'];
      this.#messageHandlers.push(onMessage);
      const early = this.#early;
      this.#early = undefined;
      if (early) for (const msg of early) onMessage(msg);
    } else if (event === 'lost') this.#lostHandlers.push(handler as TransportSessionEvents['lost']);
  }

  /** Runs once per received message: no allocation beyond the caller's. */
  message(msg: ReceivedMessage): void {
    const handlers = this.#messageHandlers;
    if (handlers.length === 0 && this.#early) {
      this.#early.push(msg);
      return;
    }
    for (let i = 0; i < handlers.length; i++) handlers[i]?.(msg);
  }

  lost(loss: ConnectionLoss): void {
    for (const h of this.#lostHandlers) h(loss);
  }
}
