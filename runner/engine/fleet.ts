/**
 * Connecting many clients at once (`connect` and `reconnect`): attempts are started at the step's
 * `rate` and at most `concurrency` clients are between CONNECT and their last SUBACK at a time, so
 * 10,000 handshakes never arrive as one burst that starves the broker (or the runner's own event
 * loop) past the connect timeout. Every listed client is attempted even after one fails, so the
 * error says what happened to the fleet ("2,113 of 10,000 clients got no CONNACK within 10 s; the
 * first: ..."), not only to the first client. An interrupt, the deadline or a failure elsewhere
 * (a connection lost) stops the attempts not yet started.
 *
 * Live counters (connected / refused / pending) are kept for the reporters, and the notes of a
 * large fleet are summed up ("10,000 connected, sessionPresent=false for all") with the exceptions
 * listed up to a cap.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { MqscenError, StepError, TransportError } from '../errors.js';
import type { ConnectCounters } from '../results.js';
import type { ConnectPace } from '../scenario/types.js';
import type { EngineClient, EngineContext } from './context.js';
import type { StepOutcome } from './steps/step.js';

/** Clients between CONNECT and their last SUBACK at once unless the step says `concurrency`. */
export const DEFAULT_CONNECT_CONCURRENCY = 100;

/** Up to this many clients, notes stay one per client; above it they are summed up. */
const LISTED_CLIENTS = 10;

/** Exceptions (a sessionPresent that differs, a refusal) listed by name in a summed-up note. */
const LISTED_EXCEPTIONS = 10;

/** What one client's connect returned: its notes, and whether the broker resumed a session. */
export interface ClientConnectResult {
  notes: string[];
  /** CONNACK Session Present, when the client connected. */
  sessionPresent?: boolean;
  /** Connected and subscribed (false: refused as declared, already connected, abandoned). */
  connected: boolean;
}

/**
 * Connects `clients` with `connectOne`, paced. Resolves with the step outcome when every client
 * connected (or was refused as the scenario declares); throws one error for the whole fleet
 * otherwise.
 */
export async function connectFleet(
  ctx: EngineContext,
  clients: readonly number[],
  pace: ConnectPace | undefined,
  connectOne: (client: EngineClient) => Promise<ClientConnectResult>,
): Promise<StepOutcome> {
  const total = clients.length;
  const concurrency = Math.max(1, pace?.concurrency ?? DEFAULT_CONNECT_CONCURRENCY);
  const intervalMs = pace?.ratePerSecond === undefined ? 0 : (1000 * ctx.shards) / pace.ratePerSecond;
  const counters: ConnectCounters = { total, connected: 0, refused: 0, pending: total };
  ctx.connectCounters = counters;
  const results: Array<ClientConnectResult | undefined> = new Array(total);
  const failures: Array<{ at: number; error: Error }> = [];
  const startedAt = ctx.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total && !ctx.signal.aborted) {
      const at = next++;
      if (intervalMs > 0) {
        // Attempt `at` starts no earlier than at/rate after the first: a steady ramp.
        const due = startedAt + at * intervalMs - ctx.now();
        if (due > 1) await ctx.sleep(due);
        if (ctx.signal.aborted) break;
      }
      const c = ctx.clients[clients[at] as number] as EngineClient;
      try {
        const r = await connectOne(c);
        results[at] = r;
        if (r.connected) counters.connected++;
      } catch (error) {
        failures.push({ at, error: error instanceof Error ? error : new Error(String(error)) });
        counters.refused++;
        if (total === 1) ctx.fail(failures[0]?.error as Error);
      } finally {
        counters.pending--;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  } finally {
    ctx.connectCounters = undefined;
  }
  if (failures.length > 0) throw fleetError(ctx, clients, failures, counters);
  return { notes: summarize(ctx, clients, results) };
}

/** Runs `fn` for every item, at most `limit` at a time (clean-up connects of a whole fleet). */
export async function forEachBounded<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

// --- internal ---

function summarize(
  ctx: EngineContext,
  clients: readonly number[],
  results: ReadonlyArray<ClientConnectResult | undefined>,
): string[] {
  if (clients.length <= LISTED_CLIENTS) return results.flatMap((r) => r?.notes ?? []);
  const byPresent = { true: [] as string[], false: [] as string[] };
  const other: string[] = [];
  let connected = 0;
  for (let i = 0; i < results.length; i++) {
    const r = results[i];
    if (r === undefined) continue;
    const name = ctx.clients[clients[i] as number]?.def.name ?? '?';
    if (r.connected) connected++;
    if (r.sessionPresent !== undefined) byPresent[String(r.sessionPresent) as 'true' | 'false'].push(name);
    // Whatever a client said beyond its sessionPresent (a refusal declared, a SUBACK code).
    for (const n of r.notes) if (!n.endsWith(`sessionPresent=${r.sessionPresent}`)) other.push(n);
  }
  const fmt = (n: number) => n.toLocaleString('en-US');
  const minority = byPresent.true.length <= byPresent.false.length ? 'true' : 'false';
  const majority = minority === 'true' ? 'false' : 'true';
  const few = byPresent[minority];
  let line = `${fmt(connected)} connected, sessionPresent=${majority} for `;
  if (few.length === 0) line += 'all';
  else
    line += `${fmt(byPresent[majority].length)}, sessionPresent=${minority} for ${fmt(few.length)}: ${listed(few)}`;
  const notes = [line];
  if (other.length > 0) {
    notes.push(...other.slice(0, LISTED_EXCEPTIONS));
    if (other.length > LISTED_EXCEPTIONS) notes.push(`… ${fmt(other.length - LISTED_EXCEPTIONS)} more notes`);
  }
  return notes;
}

function listed(names: readonly string[]): string {
  const shown = names.slice(0, LISTED_EXCEPTIONS).join(', ');
  return names.length > LISTED_EXCEPTIONS
    ? `${shown} and ${(names.length - LISTED_EXCEPTIONS).toLocaleString('en-US')} more`
    : shown;
}

/** One error for the fleet: counts per kind of failure, then the first failure's own message. */
function fleetError(
  ctx: EngineContext,
  clients: readonly number[],
  failures: Array<{ at: number; error: Error }>,
  counters: ConnectCounters,
): Error {
  failures.sort((a, b) => a.at - b.at);
  const first = failures[0]?.error as Error;
  if (clients.length === 1) return first;
  // A failure elsewhere (a connection lost) that stopped the step is the one to report.
  if (ctx.failure !== undefined && !failures.some((f) => f.error === ctx.failure)) return ctx.failure;
  const fmt = (n: number) => n.toLocaleString('en-US');
  const kinds = new Map<string, number>();
  for (const f of failures) {
    const what = describeFailure(f.error);
    kinds.set(what, (kinds.get(what) ?? 0) + 1);
  }
  const counted = [...kinds]
    .sort((a, b) => b[1] - a[1])
    .map(([what, n]) => `${fmt(n)} of ${fmt(clients.length)} clients ${what}`);
  const notStarted = clients.length - counters.connected - failures.length - countAnswered(counters);
  const tail = [
    `${fmt(counters.connected)} connected`,
    ...(notStarted > 0 ? [`${fmt(notStarted)} not attempted (the scenario stopped)`] : []),
  ];
  const message = `${counted.join('; ')} (${tail.join(', ')}); the first: ${first.message}${fdLimitNote(ctx, failures)}`;
  if (first instanceof StepError) return new StepError(first.kind, message, { cause: first });
  if (first instanceof TransportError) {
    const options: ConstructorParameters<typeof TransportError>[1] = {
      transport: first.transport,
      cause: first,
    };
    if (first.reasonCode !== undefined) options.reasonCode = first.reasonCode;
    if (first.reasonText !== undefined) options.reasonText = first.reasonText;
    if (first.hint !== undefined) options.hint = first.hint;
    return new TransportError(message, options);
  }
  if (first instanceof MqscenError) return first;
  return new TransportError(message, { transport: 'unknown', cause: first });
}

/** Clients whose connect returned without connecting (refused as declared, already connected). */
function countAnswered(counters: ConnectCounters): number {
  return counters.total - counters.pending - counters.connected - counters.refused;
}

/**
 * Said when the runner's process is at its open-files limit (or a socket could not be opened,
 * EMFILE): every connection costs one file here and, with the embedded broker in process, one
 * more for its end, so the limit caps the fleet long before memory does.
 */
function fdLimitNote(ctx: EngineContext, failures: ReadonlyArray<{ error: Error }>): string {
  const limit = OPEN_FILES_LIMIT;
  const open = openFiles();
  const emfile = failures.some((f) => /EMFILE|too many open files/i.test(f.error.message));
  if (!emfile && (limit === undefined || open === undefined || open < limit * 0.95)) return '';
  const fmt = (n: number) => n.toLocaleString('en-US');
  const at =
    limit === undefined
      ? ''
      : ` (${open === undefined ? '' : `${fmt(open)} open, `}limit ${fmt(limit)}: ulimit -n)`;
  // The embedded broker in this process holds the other end of every connection.
  const brokerHere = ctx.target.kind === 'embedded' && !('pid' in ctx.target);
  return brokerHere
    ? `; the runner's process is at its open-files limit${at}: each client holds one socket and the ` +
        'embedded broker in this process one more; run the broker in its own process (process: child ' +
        'on the embedded target), raise ulimit -n if the hard limit allows, or split the fleet over runs'
    : `; the runner's process is at its open-files limit${at}: each client holds one socket, so one ` +
        'run holds fewer clients than the limit; raise ulimit -n if the hard limit allows, or split the ' +
        'fleet over runs';
}

/** Read once, at load: at the limit there is no file left to read it with. */
const OPEN_FILES_LIMIT = openFilesLimit();

/** The soft open-files limit of this process (Linux /proc), if it can be read. */
function openFilesLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m === null ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

function openFiles(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

function describeFailure(error: Error): string {
  const m = error.message;
  const code = error instanceof TransportError ? error.reasonCode : undefined;
  if (code !== undefined) return `were refused with CONNACK 0x${code.toString(16).padStart(2, '0')}`;
  if (/no CONNACK/i.test(m)) {
    const within = /within (\d+) ?ms/.exec(m);
    return within === null ? 'got no CONNACK' : `got no CONNACK within ${Number(within[1]) / 1000} s`;
  }
  if (/EMFILE|too many open files/i.test(m)) return 'could not open a socket (EMFILE: too many open files)';
  if (/ECONNREFUSED/.test(m)) return 'found no broker listening (ECONNREFUSED)';
  if (/ECONNRESET|closed|before CONNACK/i.test(m)) return 'had the connection closed before CONNACK';
  if (/SUBACK/.test(m)) return 'got no SUBACK';
  return 'failed to connect';
}
