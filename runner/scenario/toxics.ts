/**
 * The byte-level fault vocabulary, in Toxiproxy's words (`upstream` = client → broker,
 * `downstream` = broker → client): what a scenario's `fault:` step resolves to and what the fault
 * proxy (`runner/faults/`) applies. It lives here, beside the resolved scenario, so the scenario
 * pipeline does not import the proxy; `runner/faults/fault.ts` re-exports it.
 */

/** `upstream`: client → broker; `downstream`: broker → client (Toxiproxy's `stream`). */
export type Stream = 'upstream' | 'downstream';

/** Byte-level faults ("toxics"). They see bytes only, so they work on TLS, mTLS, WSS and SigV4 alike. */
export type ToxicSpec =
  /** Every chunk is held `latencyMs` ± `jitterMs` (uniform); byte order is kept. */
  | { kind: 'latency'; latencyMs: number; jitterMs?: number }
  /** At most `rateKBps` kilobytes (1000 bytes) per second pass. */
  | { kind: 'bandwidth'; rateKBps: number }
  /**
   * Nothing passes while the fault is on; the connection stays open (a half-open link: keep-alive
   * and will tests). Held bytes are delivered when it heals, as TCP would after retransmitting;
   * `drop: true` discards them instead (Toxiproxy's `timeout` with 0, which breaks MQTT framing).
   */
  | { kind: 'blackhole'; drop?: boolean }
  /** TCP RST (connection reset by peer) after `afterMs` (from the fault, or from a later connect). */
  | { kind: 'reset'; afterMs?: number }
  /** A close (FIN) reaches the other side `delayMs` late. */
  | { kind: 'slow-close'; delayMs: number }
  /** Writes are cut into pieces of `averageSize` ± `sizeVariation` bytes, `delayUs` apart. */
  | { kind: 'slicer'; averageSize: number; sizeVariation?: number; delayUs?: number }
  /** The connection is closed once `bytes` bytes passed in the stream (per connection). */
  | { kind: 'limit-data'; bytes: number }
  /**
   * The proxy is down: new connections are reset at once (connection refused), existing ones are
   * closed unless `keepExisting`.
   */
  | { kind: 'down'; keepExisting?: boolean };

export type ToxicKind = ToxicSpec['kind'];
