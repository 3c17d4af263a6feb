/**
 * One connection through the fault proxy: the client's socket, the upstream socket and a link per
 * stream (`_link.ts`), packet rules on a `packets` listener (`_packet-faults.ts`); closes, resets
 * and limit events. What it needs of the proxy (the active faults and rules, events, the seeded
 * random source) is `ConnectionHost`, which `fault-proxy.ts` implements.
 */
import type { Server, Socket } from 'node:net';
import createDebug from 'debug';
import { Link, type LinkEnv, now } from './_link.js';
import { type ActiveRule, PacketFaults, type PacketHost, type PacketSummary } from './_packet-faults.js';
import type { FaultEvent, Stream, ToxicSpec } from './fault.js';

const debug = createDebug('mqscen:faults');

/** The proxy as its connections see it. */
export interface ConnectionHost {
  readonly faultCount: number;
  toxicsFor(conn: Connection, stream: Stream): ToxicSpec[];
  activeRules(): readonly ActiveRule[];
  nextChange(): Promise<void>;
  random(): number;
  emit(e: FaultEvent): void;
  markAcked(key: string): void;
  waitAcked(key: string, ms: number): Promise<boolean>;
  ruleFired(rule: ActiveRule, client: string, action: string, packet: PacketSummary): void;
}

export class Deferred {
  resolve!: () => void;
  readonly promise = new Promise<void>((r) => {
    this.resolve = r;
  });
}

/** One proxied client: its listener, open connections and packet counters (a `ProxiedClient`). */
export class ClientEntry {
  readonly name: string;
  readonly host = '127.0.0.1';
  port = 0;
  readonly upstream: { host: string; port: number };
  readonly packets: boolean;
  readonly server: Server;
  readonly open = new Set<Connection>();
  connects = 0;
  connacks = 0;
  /** `duplicate` copies to send after the next CONNACK. */
  readonly replays: Array<{
    bytes: Buffer;
    messageId: number | undefined;
    summary: PacketSummary;
    rule: ActiveRule;
  }> = [];
  constructor(name: string, upstream: { host: string; port: number }, packets: boolean, server: Server) {
    this.name = name;
    this.upstream = { ...upstream };
    this.packets = packets;
    this.server = server;
  }
  get connections(): number {
    return this.open.size;
  }
}

/** One accepted client connection and its upstream socket, with a link per stream. */
export class Connection implements LinkEnv {
  readonly no: number;
  readonly proxy: ConnectionHost;
  readonly client: ClientEntry;
  readonly down: Socket;
  readonly up: Socket;
  readonly links: Record<Stream, Link>;
  readonly packets: PacketFaults | undefined;
  readonly #closed = new Deferred();
  closed = false;
  readonly resetTimers: NodeJS.Timeout[] = [];

  constructor(proxy: ConnectionHost, client: ClientEntry, down: Socket, up: Socket, no: number) {
    this.no = no;
    this.proxy = proxy;
    this.client = client;
    this.down = down;
    this.up = up;
    this.links = {
      upstream: new Link(this, 'upstream', down, up),
      downstream: new Link(this, 'downstream', up, down),
    };
    if (client.packets) {
      const host: PacketHost = {
        client: client.name,
        rules: () => proxy.activeRules(),
        forward: (stream, bytes) => this.links[stream].push(bytes),
        cut: () => this.close('cut'),
        count: (what) => (what === 'connect' ? ++client.connects : ++client.connacks),
        markAcked: (key) => proxy.markAcked(key),
        waitAcked: (key, ms) => proxy.waitAcked(key, ms),
        replayAfterConnack: (bytes, messageId, summary, rule) =>
          client.replays.push({ bytes, messageId, summary, rule }),
        takeReplays: () => client.replays.splice(0),
        fired: (rule, action, packet) => proxy.ruleFired(rule, client.name, action, packet),
      };
      this.packets = new PacketFaults(host);
    }
    const packets = this.packets;
    down.on('data', (chunk: Buffer) =>
      packets ? packets.push('upstream', chunk) : this.links.upstream.push(chunk),
    );
    up.on('data', (chunk: Buffer) =>
      packets ? packets.push('downstream', chunk) : this.links.downstream.push(chunk),
    );
    down.on('end', () => this.links.upstream.end());
    up.on('end', () => this.links.downstream.end());
    const onError = (side: Socket) => (err: NodeJS.ErrnoException) => {
      debug(
        '%s #%d: %s socket error %s',
        client.name,
        this.no,
        side === up ? 'upstream' : 'client',
        err.code,
      );
      // A reset on one side is passed on as a reset to the other.
      this.close(err.code === 'ECONNRESET' ? 'reset' : 'closed');
    };
    down.on('error', onError(down));
    up.on('error', onError(up));
    down.on('close', () => this.#afterClose(up));
    up.on('close', () => this.#afterClose(down));
  }

  toxics(stream: Stream): readonly ToxicSpec[] {
    return this.proxy.toxicsFor(this, stream);
  }

  anyToxic(): boolean {
    return this.proxy.faultCount > 0;
  }

  changed(): Promise<void> {
    return Promise.race([this.proxy.nextChange(), this.#closed.promise]);
  }

  limitReached(stream: Stream): void {
    this.proxy.emit({
      type: 'connection',
      at: now(),
      client: this.client.name,
      action: 'limit',
      connection: this.no,
    });
    debug('%s #%d: limit-data reached on %s', this.client.name, this.no, stream);
    this.close('closed');
  }

  random(): number {
    return this.proxy.random();
  }

  /** Ends both sockets now; `reset` sends RSTs (for the side(s) named by `rst`). */
  close(how: 'closed' | 'reset' | 'cut', rst: ReadonlySet<Stream> = BOTH): void {
    if (this.closed) return;
    this.closed = true;
    this.#closed.resolve();
    for (const t of this.resetTimers) clearTimeout(t);
    this.packets?.dispose();
    this.client.open.delete(this);
    if (how === 'reset') {
      // Upstream stream = towards the broker: its socket gets the RST.
      if (rst.has('upstream')) resetSocket(this.up);
      else this.up.destroy();
      if (rst.has('downstream')) resetSocket(this.down);
      else this.down.destroy();
    } else {
      this.up.destroy();
      this.down.destroy();
    }
    this.proxy.emit({
      type: 'connection',
      at: now(),
      client: this.client.name,
      action: how,
      connection: this.no,
    });
  }

  #afterClose(other: Socket): void {
    // One side is fully closed: once what is queued for the other side is out, it goes too.
    if (this.closed) return;
    if (other.destroyed || other.writableEnded) {
      this.closed = true;
      this.#closed.resolve();
      this.packets?.dispose();
      this.client.open.delete(this);
      other.destroy();
      this.proxy.emit({
        type: 'connection',
        at: now(),
        client: this.client.name,
        action: 'closed',
        connection: this.no,
      });
    }
  }
}

export const BOTH: ReadonlySet<Stream> = new Set<Stream>(['upstream', 'downstream']);

export function resetSocket(s: Socket): void {
  if (s.destroyed) return;
  try {
    s.resetAndDestroy();
  } catch {
    s.destroy();
  }
}
