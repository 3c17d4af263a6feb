/**
 * One network connection (TCP, TLS or WebSocket stream): parses packets with mqtt-packet, hands
 * them to the handler table, writes packets back, enforces keep alive and the maximum packet size,
 * and closes itself on malformed input without affecting anyone else.
 */
import type { Duplex } from 'node:stream';
import createDebug from 'debug';
import mqttPacket, { type Packet } from 'mqtt-packet';
import type { ClientIdentity } from './authorizer.js';
import type { BrokerCore } from './broker-core.js';
import { encodeAck } from './encode.js';
import { hardenParser, undefinedProperty, WireError } from './packet-rules.js';
import type { BrokerMessage, Session } from './session-store.js';

const debug = createDebug('mqscen:broker');

export interface ConnectionInfo {
  listener: ClientIdentity['listener'];
  remoteAddress?: string;
  certificateCN?: string;
  principal?: string;
}

/** A will as given at CONNECT, published on an unclean end [MQTT-3.1.2-8]. */
export interface PendingWill {
  message: BrokerMessage;
  /** Will Delay Interval, seconds [MQTT-3.1.3-9]. */
  delay: number;
  /** Message Expiry Interval, seconds; counted from the moment the will is published (L-6). */
  expirySeconds?: number;
}

let nextConnectionId = 1;

/** Packets processed even while the intake is held: they free windows and never add work for others. */
const HELD_NEVER = new Set<Packet['cmd']>(['puback', 'pubrec', 'pubrel', 'pubcomp', 'pingreq']);
/** Bytes of held packets after which the socket is no longer read (TCP then slows the client). */
const HELD_BYTES_MAX = 256 * 1024;

export class Connection {
  readonly id = nextConnectionId++;
  readonly stream: Duplex;
  readonly info: ConnectionInfo;
  private readonly broker: BrokerCore;
  private readonly parser = mqttPacket.parser();
  /** 3, 4 (3.1.1) or 5, known after CONNECT. */
  protocolVersion: 3 | 4 | 5 = 4;
  state: 'new' | 'connecting' | 'connected' | 'closed' = 'new';
  clientId = '';
  username: string | undefined;
  password: Buffer | undefined;
  session: Session | null = null;
  /** Effective keep alive, seconds; 0 = none. */
  keepAlive = 0;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  /** Client's Receive Maximum capped by settings.maxInflightOut [MQTT-3.3.4-9]. */
  outWindow = 65_535;
  /** Client's Maximum Packet Size [MQTT-3.1.2-24]. */
  clientMaxPacketSize = 268_435_460;
  /** Client's Topic Alias Maximum: how many aliases the broker may use towards it [MQTT-3.3.2-11]; 0 = none. */
  clientTopicAliasMaximum = 0;
  /** Outbound aliases by topic; they live as long as the connection [MQTT-3.3.2-7]. */
  private outAliases: Map<string, number> | undefined;

  /**
   * The alias to send `topic` with: `known` when the client already has it (send an empty topic),
   * undefined when the client's maximum is used up (send the topic alone).
   */
  outboundAlias(topic: string): { alias: number; known: boolean } | undefined {
    this.outAliases ??= new Map();
    const known = this.outAliases.get(topic);
    if (known !== undefined) return { alias: known, known: true };
    if (this.outAliases.size >= this.clientTopicAliasMaximum) return undefined;
    const alias = this.outAliases.size + 1;
    // Taken only once the packet is written (commitAlias): a PUBLISH dropped as too large teaches nothing.
    this.pendingAlias = [topic, alias];
    return { alias, known: false };
  }

  private pendingAlias: [string, number] | undefined;

  /** The PUBLISH that introduced an alias was written: the client now knows it. */
  commitAlias(): void {
    if (this.pendingAlias === undefined) return;
    this.outAliases?.set(this.pendingAlias[0], this.pendingAlias[1]);
    this.pendingAlias = undefined;
  }

  /** The PUBLISH that would have introduced an alias was not written. */
  dropAlias(): void {
    this.pendingAlias = undefined;
  }

  /** Inbound topic aliases [MQTT-3.3.2-10]; they live as long as the connection [MQTT-3.3.2-7]. */
  topicAliases: Map<number, string> | undefined;
  will: PendingWill | undefined;
  /** Session-side bookkeeping for this connection is done (close, takeover). */
  detached = false;
  /** Why the connection ended, for events/logs. */
  endReason = 'connection lost';
  /**
   * Who ended it: the client (DISCONNECT), the server (with `endCode`, e.g. 0x8E taken over,
   * 0x8D keep alive timeout, 0x81/0x82 protocol errors, 0x8B shutdown) or the network (socket lost).
   * Lifecycle events map this to their disconnect reasons (L-2).
   */
  endedBy: 'client' | 'server' | 'network' = 'network';
  /** Reason code of a server-initiated end. */
  endCode: number | undefined;
  /** PUBLISH packets (inbound + outbound) in the current second, for settings.publishRatePerConnection (QUO-5). */
  private publishWindow = { second: 0, count: 0 };

  // ---- backpressure (backpressure.ts hold / release)
  /** Sessions over their high-water mark that hold this connection's intake. */
  blockers = 0;
  /** Publishers this (subscriber) connection holds back until it drains below its low-water mark. */
  waiters: Set<Connection> | undefined;
  /** Timer that marks this subscriber slow once it held publishers back for settings.slowSubscriberTimeout. */
  slowTimer: NodeJS.Timeout | undefined;
  /** Marked slow: holds nobody back; what it cannot take is dropped for it alone (`slow-consumer`). */
  slow = false;
  /** Packets read while the intake is held (acks and PINGREQ are never held), in order. */
  private held: Packet[] = [];
  private heldHead = 0;
  private heldBytes = 0;
  private streamPaused = false;

  constructor(broker: BrokerCore, stream: Duplex, info: ConnectionInfo) {
    this.broker = broker;
    this.stream = stream;
    this.info = info;
    hardenParser(this.parser);
    this.parser.on('packet', (packet: Packet) => this.onPacket(packet));
    this.parser.on('error', (error: Error) => this.onParseError(error));
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('error', (error: Error) => {
      debug('connection %d (%s) stream error: %s', this.id, this.clientId, error.message);
      this.destroy();
    });
    stream.on('close', () => this.onClose());
    stream.on('end', () => this.destroy());
    stream.on('drain', () => this.broker.drained(this));
    const connectTimeout = broker.settings.connectTimeout;
    if (connectTimeout > 0) {
      // No CONNECT (or only part of one) within the bound: an unauthenticated socket holds nothing for long.
      this.connectTimer = setTimeout(() => {
        if (this.state === 'connected' || this.closed) return;
        debug('connection %d: no CONNECT within %d s', this.id, connectTimeout);
        this.endReason = 'connect timeout';
        this.endedBy = 'server';
        this.destroy();
      }, connectTimeout * 1000);
      this.connectTimer.unref();
    }
  }

  private connectTimer: NodeJS.Timeout | undefined;

  private cachedIdentity: ClientIdentity | undefined;

  /** Who this client is, for the authorizer; fixed once connected (asked on every delivery). */
  get identity(): ClientIdentity {
    if (this.cachedIdentity) return this.cachedIdentity;
    const identity: ClientIdentity = {
      clientId: this.clientId,
      protocolVersion: this.protocolVersion,
      listener: this.info.listener,
    };
    if (this.username !== undefined) identity.username = this.username;
    if (this.password !== undefined) identity.password = this.password;
    if (this.info.certificateCN !== undefined) identity.certificateCN = this.info.certificateCN;
    if (this.info.certificateCN !== undefined && this.info.certificateCN === this.clientId) {
      identity.thingName = this.info.certificateCN;
    }
    if (this.info.principal !== undefined) identity.principal = this.info.principal;
    if (this.info.remoteAddress !== undefined) identity.remoteAddress = this.info.remoteAddress;
    if (this.state === 'connected') this.cachedIdentity = Object.freeze(identity);
    return identity;
  }

  /** Counts one PUBLISH against a per-second limit (QUO-5: inbound and outbound together); false when over it. */
  takePublishToken(limit: number): boolean {
    const second = Math.floor(Date.now() / 1000);
    if (this.publishWindow.second !== second) this.publishWindow = { second, count: 0 };
    if (this.publishWindow.count >= limit) return false;
    this.publishWindow.count++;
    return true;
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    try {
      this.parser.parse(chunk);
    } catch (error) {
      this.onParseError(error as Error);
      return;
    }
    if (this.closed) return;
    // A packet still arriving whose announced length is already over the limit [MQTT-3.2.2-15].
    const pending = (this.parser as unknown as { packet: { cmd?: string | null; length?: number } }).packet;
    const length = pending.length ?? -1;
    if (this.state === 'new') {
      const settings = this.broker.settings;
      if (pending.cmd && pending.cmd !== 'connect') {
        // [MQTT-3.1.0-1] the first packet must be CONNECT: closed before its body is buffered.
        this.endReason = `${pending.cmd} before CONNECT`;
        this.destroy();
        return;
      }
      if (length > Math.min(settings.maxConnectPacketSize, settings.maxPacketSize)) {
        // An unconnected socket may not make the broker buffer a huge CONNECT (e.g. a 256 MB claim).
        debug('connection %d: CONNECT of %d bytes refused before it arrives', this.id, length);
        this.endReason = 'CONNECT too large';
        this.destroy();
        return;
      }
    }
    if (length > this.broker.settings.maxPacketSize) {
      this.protocolViolation(0x95, 'packet too large');
    }
  }

  private onPacket(packet: Packet): void {
    if (this.closed) return;
    if ((packet.length ?? 0) > this.broker.settings.maxPacketSize) {
      this.protocolViolation(0x95, 'packet too large');
      return;
    }
    if (this.protocolVersion === 5 || (packet.cmd === 'connect' && packet.protocolVersion === 5)) {
      const property = undefinedProperty(packet);
      if (property !== undefined) {
        // MQTT 5 section 2.2.2.2: a property not defined for the packet type is a Malformed Packet.
        this.onParseError(new WireError(`property ${property} is not allowed in ${packet.cmd}`, 0x81));
        return;
      }
    }
    this.keepAliveTimer?.refresh();
    if (this.blockers > 0 || this.heldHead < this.held.length) {
      if (!HELD_NEVER.has(packet.cmd)) {
        this.hold(packet);
        return;
      }
    }
    this.dispatch(packet);
  }

  /** A packet read while the intake is held waits in order; beyond a bound the socket stops being read. */
  private hold(packet: Packet): void {
    this.held.push(packet);
    this.heldBytes += packet.length ?? 0;
    if (!this.streamPaused && this.heldBytes > HELD_BYTES_MAX) {
      this.streamPaused = true;
      this.stream.pause();
    }
  }

  /** The sessions that held this connection back drained: process what waited, then read again. */
  resumeIntake(): void {
    while (this.blockers === 0 && this.heldHead < this.held.length && !this.closed) {
      const packet = this.held[this.heldHead] as Packet;
      this.held[this.heldHead++] = undefined as unknown as Packet;
      this.heldBytes -= packet.length ?? 0;
      this.dispatch(packet);
    }
    if (this.heldHead >= this.held.length) {
      this.held = [];
      this.heldHead = 0;
      this.heldBytes = 0;
    }
    if (this.blockers === 0 && this.streamPaused && !this.closed) {
      this.streamPaused = false;
      this.stream.resume();
    }
  }

  /** True while this connection's intake is held back (keep alive does not run out meanwhile). */
  get intakeHeld(): boolean {
    return this.blockers > 0 || this.heldHead < this.held.length;
  }

  private dispatch(packet: Packet): void {
    try {
      this.broker.dispatch(this, packet);
    } catch (error) {
      // A handler bug must cost one connection, never the broker.
      debug('connection %d (%s): handler error %s', this.id, this.clientId, (error as Error).stack);
      this.broker.emit('client-error', this, error as Error);
      this.protocolViolation(0x83, 'implementation specific error');
    }
  }

  private onParseError(error: Error): void {
    if (this.closed) return;
    debug('connection %d (%s): malformed packet: %s', this.id, this.clientId, error.message);
    this.broker.emit('client-error', this, error);
    if (this.state === 'new' && /protocol version/i.test(error.message)) {
      // [MQTT-3.1.2-2] unsupported protocol level: CONNACK return code 1 (3.1.1 format), then close.
      this.writePacket({ cmd: 'connack', returnCode: 1, sessionPresent: false }, 4);
      this.destroy();
      return;
    }
    if (error instanceof WireError && error.reasonCode !== 0x81) {
      this.protocolViolation(error.reasonCode, error.message);
      return;
    }
    // [MQTT-4.13.1-1] malformed packet: DISCONNECT 0x81 (MQTT 5), then close.
    this.protocolViolation(0x81, `malformed packet: ${error.message}`);
  }

  /** Serialises and writes one packet; false when it could not be generated or written. */
  writePacket(packet: Packet, protocolVersion: number = this.protocolVersion): boolean {
    if (this.closed || this.stream.destroyed) return false;
    if (
      (packet.cmd === 'puback' ||
        packet.cmd === 'pubrec' ||
        packet.cmd === 'pubrel' ||
        packet.cmd === 'pubcomp') &&
      packet.properties === undefined &&
      packet.messageId !== undefined
    ) {
      // The acks of the message path: encoded directly (encode.ts); a v3.1.1 ack carries no reason code.
      return this.writeBuffer(
        encodeAck(packet.cmd, packet.messageId, protocolVersion === 5 ? (packet.reasonCode ?? 0) : 0),
      );
    }
    let buffer: Buffer;
    try {
      buffer = mqttPacket.generate(packet, { protocolVersion });
    } catch (error) {
      debug('connection %d: cannot generate %s: %s', this.id, packet.cmd, (error as Error).message);
      return false;
    }
    return this.writeBuffer(buffer);
  }

  writeBuffer(buffer: Buffer): boolean {
    if (this.closed || this.stream.destroyed) return false;
    // Packets written in one tick leave in one TCP segment: fewer syscalls here, fewer reads at the client.
    if (!this.corked) {
      this.corked = true;
      this.stream.cork();
      process.nextTick(this.uncork);
    }
    this.stream.write(buffer);
    return true;
  }

  private corked = false;
  private readonly uncork = (): void => {
    this.corked = false;
    this.stream.uncork();
  };

  /** Arms the keep-alive timer: 1.5 x keep alive without a packet closes the connection [MQTT-3.1.2-22]. */
  startKeepAlive(seconds: number): void {
    clearTimeout(this.connectTimer);
    this.keepAlive = seconds;
    clearTimeout(this.keepAliveTimer);
    if (seconds <= 0) return;
    this.keepAliveTimer = setTimeout(() => {
      if (this.intakeHeld) {
        // The broker stopped reading this client (backpressure): its silence is the broker's doing.
        this.keepAliveTimer?.refresh();
        return;
      }
      debug('connection %d (%s): keep alive timeout', this.id, this.clientId);
      this.endReason = 'keep alive timeout';
      this.disconnect(0x8d, 'keep alive timeout');
    }, seconds * 1500);
    this.keepAliveTimer.unref();
  }

  /**
   * Server-initiated close. MQTT 5 gets a DISCONNECT with `reasonCode` first [MQTT-4.13.2-1]; MQTT 3.1.1
   * has no server DISCONNECT, so the socket is just closed.
   */
  disconnect(reasonCode: number, reasonString?: string): void {
    if (this.closed) return;
    if (this.protocolVersion === 5 && this.state === 'connected') {
      const packet: Packet = { cmd: 'disconnect', reasonCode };
      if (reasonString && this.broker.settings.disconnectReasonString) packet.properties = { reasonString };
      this.writePacket(packet);
    }
    if (this.endReason === 'connection lost')
      this.endReason = reasonString ?? `disconnect 0x${reasonCode.toString(16)}`;
    this.closeBy('server', reasonCode);
  }

  /** Server-initiated close without a DISCONNECT packet; `reasonCode` is only kept as why it ended. */
  closeBy(who: 'server', reasonCode: number): void {
    if (this.closed) return;
    this.endedBy = who;
    this.endCode = reasonCode;
    this.end();
  }

  /** A protocol violation by the client: log it, disconnect with `reasonCode`. */
  protocolViolation(reasonCode: number, reason: string): void {
    debug('connection %d (%s): %s -> 0x%s', this.id, this.clientId, reason, reasonCode.toString(16));
    this.disconnect(reasonCode, reason);
  }

  /** Flushes what was written, then closes; destroys if the peer does not close within a bound. */
  end(): void {
    if (this.closed) return;
    try {
      this.markClosed();
    } finally {
      // Whatever the session cleanup did, the socket goes: never a connection left half open.
      this.stream.end();
      setTimeout(() => this.stream.destroy(), 1000).unref();
    }
  }

  destroy(): void {
    try {
      this.markClosed();
    } finally {
      this.stream.destroy();
    }
  }

  private markClosed(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.keepAliveTimer);
    clearTimeout(this.connectTimer);
    this.parser.removeAllListeners('packet');
    this.held = [];
    this.heldHead = 0;
    // Session bookkeeping at once, so a will or a takeover does not wait for the socket.
    try {
      this.broker.detach(this);
    } catch (error) {
      debug('connection %d (%s): session cleanup failed: %s', this.id, this.clientId, (error as Error).stack);
      this.broker.emit('client-error', this, error as Error);
    }
  }

  private onClose(): void {
    this.markClosed();
    this.broker.forget(this);
  }
}
