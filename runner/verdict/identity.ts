/**
 * Message identity: every payload mqscen publishes starts with a compact ASCII header
 *
 *   `mqscen1 <runId> <publisherIdx> <seq> <sendTimeMs>\n`        (a published message)
 *   `mqscen1 <runId> <publisherIdx> w<connectNo> <connectTimeMs>\n` (a will message)
 *
 * followed by the user payload. A header in the payload works on MQTT 3.1.1 and 5 and on any
 * broker (AWS IoT keeps payloads untouched but drops nothing else we could rely on); on MQTT 5 the
 * same identity also travels as a User Property [MQTT-3.3.2-17], which brokers must forward
 * unchanged [MQTT-3.3.2-18]. Messages carrying another runId (retained or queued leftovers of an
 * earlier run on a real broker) are `stale`, never deliveries or duplicates.
 */

export const IDENTITY_PREFIX = 'mqscen1 ';
/** MQTT 5 User Property key carrying the identity (`<runId> <publisherIdx> <seq>`). */
export const IDENTITY_PROPERTY = 'mqscen-id';

const PREFIX_BYTES = Buffer.from(IDENTITY_PREFIX, 'latin1');
const SPACE = 0x20;
const NEWLINE = 0x0a;
const LOWER_W = 0x77;

/**
 * The header text of message `seq` (0-based) of publisher `publisherIdx`. The header carries
 * `seq + 1`, the number reports use (`publisher#14` is the 14th message of `publisher`).
 */
export function formatMessageHeader(
  runId: string,
  publisherIdx: number,
  seq: number,
  sendTimeMs: number,
): string {
  return `${IDENTITY_PREFIX}${runId} ${publisherIdx} ${seq + 1} ${Math.floor(sendTimeMs)}\n`;
}

/**
 * Writes the message headers of one publisher straight into payload buffers: the same bytes as
 * formatMessageHeader, without building a string per message (this runs once per publish).
 */
export interface HeaderWriter {
  /** Byte length of the header of message `seq` sent at `sendTimeMs`. */
  length(seq: number, sendTimeMs: number): number;
  /** Writes that header at the start of `buf` (at least length() bytes); returns its length. */
  write(buf: Uint8Array, seq: number, sendTimeMs: number): number;
}

export function createHeaderWriter(runId: string, publisherIdx: number): HeaderWriter {
  const prefix = Buffer.from(`${IDENTITY_PREFIX}${runId} ${publisherIdx} `, 'latin1');
  return {
    length: (seq, sendTimeMs) => prefix.length + uintLength(seq + 1) + timeLength(sendTimeMs) + 2,
    write(buf, seq, sendTimeMs) {
      buf.set(prefix, 0);
      let i = writeUint(buf, prefix.length, seq + 1);
      buf[i++] = SPACE;
      i = writeTime(buf, i, sendTimeMs);
      buf[i++] = NEWLINE;
      return i;
    },
  };
}

// Digits by small-integer arithmetic: a wall-clock time in ms (13 digits) is written as its
// millions and a zero-padded remainder, so every division stays within 31 bits.

function uintLength(n: number): number {
  let d = 1;
  for (let v = n; v >= 10; v = (v / 10) | 0) d++;
  return d;
}

function writeUint(buf: Uint8Array, at: number, n: number): number {
  const end = at + uintLength(n);
  let v = n;
  let i = end;
  do {
    buf[--i] = 48 + (v % 10);
    v = (v / 10) | 0;
  } while (v > 0);
  return end;
}

function timeLength(t: number): number {
  const ms = Math.floor(t);
  const millions = Math.floor(ms / 1e6);
  return millions === 0 ? uintLength(ms) : uintLength(millions) + 6;
}

function writeTime(buf: Uint8Array, at: number, t: number): number {
  const ms = Math.floor(t);
  const millions = Math.floor(ms / 1e6);
  if (millions === 0) return writeUint(buf, at, ms);
  const end = writeUint(buf, at, millions) + 6;
  let v = ms - millions * 1e6;
  for (let i = end - 1; i >= end - 6; i--) {
    buf[i] = 48 + (v % 10);
    v = (v / 10) | 0;
  }
  return end;
}

/** The header text of the will registered by connect number `connectNo` of client `publisherIdx`. */
export function formatWillHeader(
  runId: string,
  publisherIdx: number,
  connectNo: number,
  connectTimeMs: number,
): string {
  return `${IDENTITY_PREFIX}${runId} ${publisherIdx} w${connectNo} ${Math.floor(connectTimeMs)}\n`;
}

export type ParsedIdentity =
  /** `seq` is 0-based (the header carries seq + 1). */
  | { kind: 'message'; publisher: number; seq: number; headerLength: number }
  | { kind: 'will'; publisher: number; connectNo: number; headerLength: number }
  /** A valid header from another run. */
  | { kind: 'stale'; headerLength: number }
  /** No mqscen header: some other publisher's message. */
  | { kind: 'foreign' };

/**
 * Parses the identity header of a received payload without allocating strings (this runs once
 * per received message, so it compares bytes).
 */
export function createIdentityParser(runId: string): (payload: Uint8Array) => ParsedIdentity {
  const run = Buffer.from(runId, 'latin1');
  const foreign: ParsedIdentity = { kind: 'foreign' };
  return (p) => {
    const n = p.length;
    if (n < PREFIX_BYTES.length + run.length + 6) return foreign;
    for (let i = 0; i < PREFIX_BYTES.length; i++) if (p[i] !== PREFIX_BYTES[i]) return foreign;
    let i = PREFIX_BYTES.length;
    let sameRun = true;
    let j = 0;
    for (; i < n && p[i] !== SPACE; i++, j++) if (j >= run.length || p[i] !== run[j]) sameRun = false;
    if (j !== run.length) sameRun = false;
    i++; // space
    let publisher = 0;
    let digits = 0;
    for (; i < n && p[i] !== SPACE; i++, digits++) {
      const d = (p[i] as number) - 48;
      if (d < 0 || d > 9) return foreign;
      publisher = publisher * 10 + d;
    }
    if (digits === 0) return foreign;
    i++;
    let will = false;
    if (p[i] === LOWER_W) {
      will = true;
      i++;
    }
    let seq = 0;
    digits = 0;
    for (; i < n && p[i] !== SPACE; i++, digits++) {
      const d = (p[i] as number) - 48;
      if (d < 0 || d > 9) return foreign;
      seq = seq * 10 + d;
    }
    if (digits === 0) return foreign;
    // The send time is informational (the record keeps the exact one); skip to the newline.
    for (; i < n && p[i] !== NEWLINE; i++);
    if (i >= n) return foreign;
    const headerLength = i + 1;
    if (!sameRun) return { kind: 'stale', headerLength };
    return will
      ? { kind: 'will', publisher, connectNo: seq, headerLength }
      : seq === 0
        ? foreign
        : { kind: 'message', publisher, seq: seq - 1, headerLength };
  };
}
