/**
 * The fault proxy: an in-process TCP proxy with one listener per proxied client (127.0.0.1, a
 * free port), each forwarding to its upstream broker. Byte-transparent by default, so TLS, mTLS,
 * WSS and SigV4 pass unchanged (the client keeps the broker's host name for SNI); a listener
 * opened with `packets: true` also parses plaintext MQTT both ways so packet rules can act on
 * single packets. Faults are changed at run time, apply to connections made later (reconnects)
 * as well, and every change is an event with a timestamp.
 *
 * No global state: each proxy owns its listeners, connections, faults and timers, and `close()`
 * ends every socket.
 *
 * ```ts
 * const proxy = await startFaultProxy();
 * const sub = await proxy.addClient('subscriber', { upstream: { host: '127.0.0.1', port: 1883 } });
 * const f = proxy.addFault({ kind: 'latency', latencyMs: 200, clients: ['subscriber'], stream: 'downstream' });
 * // ... connect to mqtt://127.0.0.1:${sub.port} ...
 * f.heal();
 * await proxy.close();
 * ```
 */
import { createServer, type Socket, connect as tcpConnect } from 'node:net';
import createDebug from 'debug';
import { createRandom } from '../../broker/random.js';
import { BOTH, ClientEntry, Connection, Deferred, resetSocket } from './_connection.js';
import { now } from './_link.js';
import type { ActiveRule, PacketSummary } from './_packet-faults.js';
import type {
  FaultEvent,
  FaultHandle,
  FaultSpec,
  PacketRule,
  RuleHandle,
  Stream,
  ToxicSpec,
} from './fault.js';

const debug = createDebug('mqscen:faults');

export interface FaultProxyOptions {
  /** Seed of the draws (jitter, slicer sizes, toxicity), for repeatable runs. @default random */
  seed?: number;
  /** Upper bound for reaching the upstream broker, ms. @default 5000 */
  connectTimeoutMs?: number;
}

export interface ClientOptions {
  /** Where the client's traffic goes. */
  upstream: { host: string; port: number };
  /**
   * Parse plaintext MQTT both ways so packet rules can act on this client. Only for a
   * plaintext `mqtt://` connection (TLS and WebSocket bytes cannot be parsed). @default false
   */
  packets?: boolean;
}

/** One proxied client: connect to `host:port` instead of the broker. */
export interface ProxiedClient {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly upstream: { readonly host: string; readonly port: number };
  readonly packets: boolean;
  /** Connections open now. */
  readonly connections: number;
}

export interface FaultProxy {
  /** Opens the listener of one client. Names are unique. */
  addClient(name: string, options: ClientOptions): Promise<ProxiedClient>;
  client(name: string): ProxiedClient | undefined;
  readonly clients: readonly ProxiedClient[];
  /** Applies a byte-level fault now (and to later connections) until healed or its duration ends. */
  addFault(spec: FaultSpec): FaultHandle;
  /** Cuts these clients off (nothing passes either way, connections stay open) while the rest carry on. */
  partition(clients: readonly string[], options?: { durationMs?: number; name?: string }): FaultHandle;
  /** Adds a packet rule; the client(s) it names must be opened with `packets: true`. */
  addRule(rule: PacketRule): RuleHandle;
  /** Heals one fault or rule by id, or every one. */
  heal(id?: string): void;
  /** Closes every connection of a client now (both sockets; `reset` sends a TCP RST). */
  cut(client: string, how?: 'close' | 'reset'): void;
  /** Every event so far, oldest first. */
  readonly events: readonly FaultEvent[];
  /** Calls `listener` for every later event; returns the unsubscribe function. */
  onEvent(listener: (e: FaultEvent) => void): () => void;
  /** Heals everything, ends every socket and closes every listener. Idempotent. */
  close(): Promise<void>;
}

export async function startFaultProxy(options: FaultProxyOptions = {}): Promise<FaultProxy> {
  return new FaultProxyImpl(options);
}

// --- internal ---

interface ActiveFault {
  id: string;
  name: string;
  kind: ToxicSpec['kind'] | 'partition';
  toxic: ToxicSpec;
  clients: ReadonlySet<string> | undefined;
  streams: ReadonlySet<Stream>;
  toxicity: number;
  /** Toxicity draw per connection. */
  draws: WeakMap<Connection, boolean>;
  timer: NodeJS.Timeout | undefined;
  resolve: () => void;
  healed: Promise<void>;
}

interface RuleEntry extends ActiveRule {
  name: string;
  resolveDone: () => void;
  resolveHealed: () => void;
  done: Promise<void>;
  fired: number;
}

class FaultProxyImpl implements FaultProxy {
  readonly #clients = new Map<string, ClientEntry>();
  readonly #faults = new Map<string, ActiveFault>();
  readonly #rules = new Map<string, RuleEntry>();
  #activeRules: RuleEntry[] = [];
  readonly #events: FaultEvent[] = [];
  readonly #listeners = new Set<(e: FaultEvent) => void>();
  readonly #acked = new Set<string>();
  readonly #ackWaiters = new Map<string, Array<() => void>>();
  #change = new Deferred();
  #nextId = 0;
  #connections = 0;
  #rand: () => number;
  #closing: Promise<void> | undefined;
  readonly #connectTimeoutMs: number;
  faultCount = 0;

  constructor(options: FaultProxyOptions) {
    this.#rand = createRandom(options.seed ?? Math.floor(Math.random() * 2 ** 32));
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  }

  get clients(): readonly ProxiedClient[] {
    return [...this.#clients.values()];
  }

  get events(): readonly FaultEvent[] {
    return this.#events;
  }

  client(name: string): ProxiedClient | undefined {
    return this.#clients.get(name);
  }

  async addClient(name: string, options: ClientOptions): Promise<ProxiedClient> {
    if (this.#closing !== undefined) throw new Error('the fault proxy is closed');
    if (this.#clients.has(name)) throw new Error(`fault proxy: client "${name}" is already proxied`);
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: false });
    const entry = new ClientEntry(name, options.upstream, options.packets ?? false, server);
    this.#clients.set(name, entry);
    server.on('connection', (socket) => this.#accept(entry, socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    entry.port = typeof address === 'object' && address !== null ? address.port : 0;
    debug('client %s: 127.0.0.1:%d → %s:%d', name, entry.port, entry.upstream.host, entry.upstream.port);
    return entry;
  }

  addFault(spec: FaultSpec): FaultHandle {
    const { clients, stream, durationMs, toxicity, name, ...toxic } = spec;
    return this.#add(toxic as ToxicSpec, toxic.kind, { clients, stream, durationMs, toxicity, name });
  }

  partition(clients: readonly string[], options: { durationMs?: number; name?: string } = {}): FaultHandle {
    return this.#add({ kind: 'blackhole' }, 'partition', { ...options, clients, stream: 'both' });
  }

  addRule(rule: PacketRule): RuleHandle {
    this.#checkOpen();
    if (rule.client !== undefined) {
      const named = this.#clients.get(rule.client);
      if (named !== undefined && !named.packets)
        throw new Error(
          `fault proxy: client "${rule.client}" was not opened with packets: true; packet rules need a plaintext mqtt:// connection`,
        );
    } else if (![...this.#clients.values()].some((c) => c.packets)) {
      throw new Error('fault proxy: no client was opened with packets: true; packet rules would never act');
    }
    const id = `r${++this.#nextId}`;
    const healed = new Deferred();
    const done = new Deferred();
    const times = 'times' in rule ? rule.times : undefined;
    const entry: RuleEntry = {
      id,
      name: rule.name ?? rule.kind,
      spec: rule,
      seen: new Map(),
      left: times === undefined ? 1 : Number.isFinite(times) ? times : undefined,
      fired: 0,
      resolveDone: done.resolve,
      resolveHealed: healed.resolve,
      done: done.promise,
      spent: () => {
        done.resolve();
        this.#removeRule(id, false);
      },
    };
    const handle: RuleHandle = {
      id,
      heal: () => this.heal(id),
      healed: healed.promise,
      done: done.promise,
      get fired() {
        return entry.fired;
      },
    };
    this.#rules.set(id, entry);
    this.#activeRules = [...this.#rules.values()];
    this.emit({
      type: 'applied',
      at: now(),
      id,
      name: entry.name,
      kind: rule.kind,
      clients: rule.client === undefined ? undefined : [rule.client],
      stream: 'stream' in rule ? rule.stream : undefined,
    });
    return handle;
  }

  heal(id?: string): void {
    if (id === undefined) {
      for (const f of [...this.#faults.keys()]) this.#removeFault(f);
      for (const r of [...this.#rules.keys()]) this.#removeRule(r, true);
      return;
    }
    if (this.#faults.has(id)) this.#removeFault(id);
    else if (this.#rules.has(id)) this.#removeRule(id, true);
  }

  cut(client: string, how: 'close' | 'reset' = 'close'): void {
    const entry = this.#clients.get(client);
    if (entry === undefined) throw new Error(`fault proxy: no client "${client}"`);
    for (const c of [...entry.open]) c.close(how === 'reset' ? 'reset' : 'cut');
  }

  onEvent(listener: (e: FaultEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.heal();
      const servers = [...this.#clients.values()].map((c) => {
        for (const conn of [...c.open]) conn.close('closed');
        return new Promise<void>((resolve) => c.server.close(() => resolve()));
      });
      await Promise.all(servers);
      for (const waiters of this.#ackWaiters.values()) for (const w of waiters) w();
      this.#ackWaiters.clear();
      this.#change.resolve();
      debug('closed');
    })();
    return this.#closing;
  }

  // --- used by connections ---

  toxicsFor(conn: Connection, stream: Stream): ToxicSpec[] {
    if (this.faultCount === 0) return [];
    const out: ToxicSpec[] = [];
    for (const f of this.#faults.values()) {
      if (!this.#affects(f, conn) || !f.streams.has(stream)) continue;
      out.push(f.toxic);
    }
    return out;
  }

  activeRules(): readonly ActiveRule[] {
    return this.#activeRules;
  }

  nextChange(): Promise<void> {
    return this.#change.promise;
  }

  random(): number {
    return this.#rand();
  }

  emit(e: FaultEvent): void {
    this.#events.push(e);
    for (const l of this.#listeners) {
      try {
        l(e);
      } catch (error) {
        debug('event listener failed: %O', error);
      }
    }
  }

  markAcked(key: string): void {
    this.#acked.add(key);
    const waiters = this.#ackWaiters.get(key);
    if (waiters === undefined) return;
    this.#ackWaiters.delete(key);
    for (const w of waiters) w();
  }

  waitAcked(key: string, ms: number): Promise<boolean> {
    if (this.#acked.has(key)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      const list = this.#ackWaiters.get(key) ?? [];
      list.push(() => {
        clearTimeout(timer);
        resolve(this.#acked.has(key));
      });
      this.#ackWaiters.set(key, list);
    });
  }

  ruleFired(rule: RuleEntry, client: string, action: string, packet: PacketSummary): void {
    rule.fired++;
    debug('rule %s (%s) on %s: %s %o', rule.id, rule.name, client, action, packet);
    this.emit({
      type: 'packet',
      at: now(),
      id: rule.id,
      name: rule.name,
      kind: rule.spec.kind,
      client,
      action,
      packet,
    });
  }

  // --- internal ---

  #checkOpen(): void {
    if (this.#closing !== undefined) throw new Error('the fault proxy is closed');
  }

  #affects(f: ActiveFault, conn: Connection): boolean {
    if (f.clients !== undefined && !f.clients.has(conn.client.name)) return false;
    if (f.toxicity >= 1) return true;
    let hit = f.draws.get(conn);
    if (hit === undefined) {
      hit = this.#rand() < f.toxicity;
      f.draws.set(conn, hit);
    }
    return hit;
  }

  #add(
    toxic: ToxicSpec,
    kind: ActiveFault['kind'],
    scope: {
      clients?: readonly string[] | undefined;
      stream?: Stream | 'both' | undefined;
      durationMs?: number | undefined;
      toxicity?: number | undefined;
      name?: string | undefined;
    },
  ): FaultHandle {
    this.#checkOpen();
    for (const c of scope.clients ?? []) {
      if (!this.#clients.has(c)) throw new Error(`fault proxy: no client "${c}" (add it first)`);
    }
    const id = `f${++this.#nextId}`;
    const healed = new Deferred();
    const stream = scope.stream ?? 'both';
    const fault: ActiveFault = {
      id,
      name: scope.name ?? kind,
      kind,
      toxic,
      clients: scope.clients === undefined ? undefined : new Set(scope.clients),
      streams: stream === 'both' ? BOTH : new Set([stream]),
      toxicity: scope.toxicity ?? 1,
      draws: new WeakMap(),
      timer: undefined,
      resolve: healed.resolve,
      healed: healed.promise,
    };
    if (scope.durationMs !== undefined) {
      fault.timer = setTimeout(() => this.#removeFault(id), scope.durationMs);
    }
    this.#faults.set(id, fault);
    this.faultCount = this.#faults.size;
    this.emit({
      type: 'applied',
      at: now(),
      id,
      name: fault.name,
      kind,
      clients: scope.clients === undefined ? undefined : [...scope.clients],
      stream: toxic.kind === 'down' ? undefined : stream,
    });
    this.#signalChange();
    for (const conn of this.#openConnections()) {
      if (!this.#affects(fault, conn)) continue;
      this.#onExisting(fault, conn);
    }
    return { id, heal: () => this.heal(id), healed: healed.promise };
  }

  /** What a fault does to a connection that is already open when it starts (or when it opens). */
  #onExisting(f: ActiveFault, conn: Connection, fresh = false): void {
    const t = f.toxic;
    if (t.kind === 'reset') {
      const timer = setTimeout(() => conn.close('reset', f.streams), t.afterMs ?? 0);
      conn.resetTimers.push(timer);
    } else if (t.kind === 'down' && !fresh && t.keepExisting !== true) {
      conn.close('closed');
    }
  }

  #removeFault(id: string): void {
    const f = this.#faults.get(id);
    if (f === undefined) return;
    this.#faults.delete(id);
    this.faultCount = this.#faults.size;
    if (f.timer !== undefined) clearTimeout(f.timer);
    this.emit({
      type: 'healed',
      at: now(),
      id,
      name: f.name,
      kind: f.kind,
      clients: f.clients === undefined ? undefined : [...f.clients],
      stream: f.toxic.kind === 'down' ? undefined : f.streams.size === 2 ? 'both' : [...f.streams][0],
    });
    f.resolve();
    this.#signalChange();
  }

  #removeRule(id: string, byHeal: boolean): void {
    const r = this.#rules.get(id);
    if (r === undefined) return;
    this.#rules.delete(id);
    this.#activeRules = [...this.#rules.values()];
    for (const conn of this.#openConnections()) conn.packets?.ruleRemoved(r);
    this.emit({
      type: 'healed',
      at: now(),
      id,
      name: r.name,
      kind: r.spec.kind,
      clients: r.spec.client === undefined ? undefined : [r.spec.client],
      stream: 'stream' in r.spec ? r.spec.stream : undefined,
    });
    if (byHeal) r.resolveDone();
    r.resolveHealed();
  }

  #signalChange(): void {
    const old = this.#change;
    this.#change = new Deferred();
    old.resolve();
  }

  *#openConnections(): Iterable<Connection> {
    for (const c of this.#clients.values()) yield* [...c.open];
  }

  #accept(client: ClientEntry, socket: Socket): void {
    socket.setNoDelay(true);
    if (this.#closing !== undefined) {
      socket.destroy();
      return;
    }
    const down = [...this.#faults.values()].find(
      (f) => f.toxic.kind === 'down' && this.#affectsClient(f, client),
    );
    if (down !== undefined) {
      // Down: the connection is refused (RST), as a closed port would be.
      socket.on('error', () => undefined);
      resetSocket(socket);
      this.emit({ type: 'connection', at: now(), client: client.name, action: 'refused', connection: 0 });
      return;
    }
    const up = tcpConnect({ host: client.upstream.host, port: client.upstream.port, allowHalfOpen: true });
    up.setNoDelay(true);
    const timer = setTimeout(
      () => up.destroy(new Error('upstream connect timed out')),
      this.#connectTimeoutMs,
    );
    up.once('connect', () => clearTimeout(timer));
    up.once('close', () => clearTimeout(timer));
    const conn = new Connection(this, client, socket, up, ++this.#connections);
    client.open.add(conn);
    this.emit({ type: 'connection', at: now(), client: client.name, action: 'opened', connection: conn.no });
    for (const f of this.#faults.values()) if (this.#affects(f, conn)) this.#onExisting(f, conn, true);
  }

  #affectsClient(f: ActiveFault, client: ClientEntry): boolean {
    return f.clients === undefined || f.clients.has(client.name);
  }
}
