/**
 * One direction of one proxied connection: bytes from `src` to `dst`, through the toxics active
 * at the moment each chunk is taken. With no toxic the bytes are written straight through (the
 * cost of a transparent proxy is one extra copy per hop); with toxics a queue keeps byte order,
 * and reading from `src` pauses while the queue is long (TCP back-pressure, as a slow link would).
 */
import type { Socket } from 'node:net';
import type { Stream, ToxicSpec } from './fault.js';

/** What a link needs from its connection. */
export interface LinkEnv {
  /** Toxics that apply to this connection and stream now (toxicity already decided). */
  toxics(stream: Stream): readonly ToxicSpec[];
  /** True while any toxic is active anywhere on the proxy (a cheap fast-path test). */
  anyToxic(): boolean;
  /** Resolves at the next fault change or when the connection closes. */
  changed(): Promise<void>;
  /** limit-data ran out: close the whole connection. */
  limitReached(stream: Stream): void;
  readonly closed: boolean;
  random(): number;
}

/** Bytes queued before `src` is paused. */
const HIGH_WATER = 256 * 1024;

export class Link {
  readonly #env: LinkEnv;
  readonly #stream: Stream;
  readonly #src: Socket;
  readonly #dst: Socket;
  readonly #queue: Array<{ chunk: Buffer; at: number }> = [];
  #queuedBytes = 0;
  #pumping = false;
  #ended = false;
  #endSent = false;
  #lastRelease = 0;
  #bandwidthFreeAt = 0;
  /** Bytes passed, for limit-data. */
  #passed = 0;
  #pausedByQueue = false;
  #pausedByDst = false;

  constructor(env: LinkEnv, stream: Stream, src: Socket, dst: Socket) {
    this.#env = env;
    this.#stream = stream;
    this.#src = src;
    this.#dst = dst;
    dst.on('drain', () => {
      if (this.#pausedByDst) {
        this.#pausedByDst = false;
        this.#resumeSrc();
      }
    });
  }

  /** Bytes to forward (already through the packet rules, if any). */
  push(chunk: Buffer): void {
    if (this.#env.closed || chunk.length === 0) return;
    if (!this.#pumping && this.#queue.length === 0 && (!this.#env.anyToxic() || this.#noToxic())) {
      this.#write(chunk);
      return;
    }
    this.#queue.push({ chunk, at: now() });
    this.#queuedBytes += chunk.length;
    if (this.#queuedBytes > HIGH_WATER && !this.#pausedByQueue) {
      this.#pausedByQueue = true;
      this.#src.pause();
    }
    if (!this.#pumping) void this.#pump();
  }

  /** `src` sent FIN: pass it on once the queue is empty (late, under slow-close). */
  end(): void {
    this.#ended = true;
    if (!this.#pumping && this.#queue.length === 0) void this.#sendEnd();
  }

  // --- internal ---

  #noToxic(): boolean {
    return this.#env.toxics(this.#stream).length === 0;
  }

  #write(chunk: Buffer): boolean {
    if (this.#dst.destroyed) return true;
    this.#passed += chunk.length;
    const ok = this.#dst.write(chunk);
    if (!ok && !this.#pausedByDst) {
      this.#pausedByDst = true;
      this.#src.pause();
    }
    return ok;
  }

  #resumeSrc(): void {
    if (!this.#pausedByDst && !this.#pausedByQueue && !this.#src.destroyed) this.#src.resume();
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      while (this.#queue.length > 0 && !this.#env.closed) {
        const toxics = this.#env.toxics(this.#stream);
        const hole = toxics.find((t) => t.kind === 'blackhole');
        if (hole !== undefined) {
          if (hole.drop) {
            this.#queue.length = 0;
            this.#queuedBytes = 0;
            break;
          }
          await this.#env.changed();
          continue;
        }
        const item = this.#queue.shift() as { chunk: Buffer; at: number };
        this.#queuedBytes -= item.chunk.length;
        if (this.#pausedByQueue && this.#queuedBytes < HIGH_WATER / 2) {
          this.#pausedByQueue = false;
          this.#resumeSrc();
        }
        let release = item.at;
        for (const t of toxics) {
          if (t.kind === 'latency') {
            const jitter = t.jitterMs ?? 0;
            release = item.at + t.latencyMs + (jitter > 0 ? (this.#env.random() * 2 - 1) * jitter : 0);
          }
        }
        // Release times never go backwards: byte order is kept.
        release = Math.max(release, this.#lastRelease);
        for (const t of toxics) {
          if (t.kind === 'bandwidth' && t.rateKBps > 0) {
            // A chunk is out when its last byte would have been sent at that rate (bytes/ms).
            release = Math.max(release, this.#bandwidthFreeAt) + item.chunk.length / t.rateKBps;
            this.#bandwidthFreeAt = release;
          }
        }
        this.#lastRelease = release;
        await sleepUntil(release);
        if (this.#env.closed) break;
        let chunk = item.chunk;
        const limit = toxics.find((t) => t.kind === 'limit-data');
        let cut = false;
        if (limit !== undefined && this.#passed + chunk.length >= limit.bytes) {
          chunk = chunk.subarray(0, Math.max(0, limit.bytes - this.#passed));
          cut = true;
        }
        const slicer = toxics.find((t) => t.kind === 'slicer');
        if (slicer !== undefined && slicer.averageSize > 0) await this.#slice(chunk, slicer);
        else if (chunk.length > 0 && !this.#write(chunk)) await this.#drained();
        if (cut) {
          this.#env.limitReached(this.#stream);
          break;
        }
      }
    } finally {
      this.#pumping = false;
    }
    if (this.#ended && this.#queue.length === 0) await this.#sendEnd();
  }

  async #slice(chunk: Buffer, t: Extract<ToxicSpec, { kind: 'slicer' }>): Promise<void> {
    let at = 0;
    const variation = t.sizeVariation ?? 0;
    while (at < chunk.length && !this.#env.closed) {
      const size = Math.max(
        1,
        Math.round(t.averageSize + (variation > 0 ? (this.#env.random() * 2 - 1) * variation : 0)),
      );
      const piece = chunk.subarray(at, at + size);
      at += piece.length;
      if (!this.#write(piece)) await this.#drained();
      if (at < chunk.length && (t.delayUs ?? 0) > 0) await sleepUntil(now() + (t.delayUs ?? 0) / 1000);
    }
  }

  #drained(): Promise<void> {
    if (this.#dst.destroyed || !this.#dst.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.#dst.off('drain', done);
        this.#dst.off('close', done);
        resolve();
      };
      this.#dst.once('drain', done);
      this.#dst.once('close', done);
    });
  }

  async #sendEnd(): Promise<void> {
    if (this.#endSent) return;
    this.#endSent = true;
    const slow = this.#env.toxics(this.#stream).find((t) => t.kind === 'slow-close');
    if (slow !== undefined) await sleepUntil(now() + slow.delayMs);
    if (!this.#dst.destroyed) this.#dst.end();
  }
}

export function now(): number {
  return performance.timeOrigin + performance.now();
}

function sleepUntil(at: number): Promise<void> {
  const ms = at - now();
  if (ms <= 0.5) return Promise.resolve();
  return new Promise((resolve) => setTimeout(resolve, ms));
}
