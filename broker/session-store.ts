/**
 * Sessions [MQTT-4.1.0-1]: what the broker keeps per client id across connections — subscriptions,
 * QoS 1/2 messages in flight and queued, inbound QoS 2 packet ids awaiting PUBREL — and the store
 * that owns them. Timers (expiry, delayed will) are armed by the broker core.
 */
import type { QoS } from 'mqtt-packet';
import type { Connection } from './connection.js';

/** User-visible MQTT 5 properties forwarded unaltered to subscribers [MQTT-3.3.2-17, MQTT-3.3.2-20]. */
export interface ForwardedProperties {
  payloadFormatIndicator?: boolean;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Buffer;
  userProperties?: Record<string, string | string[]>;
}

/** One application message inside the broker. */
export interface BrokerMessage {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  properties: ForwardedProperties;
  /** Absolute expiry (ms since epoch) from the Message Expiry Interval [MQTT-3.3.2-5]; undefined = never. */
  expiresAt?: number;
  /** Client id of the publisher, for No Local [MQTT-3.8.3-3]; undefined for will/broker messages. */
  origin?: string;
}

export interface Subscription {
  /** The filter as subscribed, `$share/...` included: the key within the session [MQTT-3.8.4-3]. */
  filter: string;
  /** The filter that is matched against topic names. */
  topicFilter: string;
  shareName?: string;
  qos: QoS;
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: 0 | 1 | 2;
  subscriptionId?: number;
}

/** A message on its way to one session. */
export interface Outgoing {
  message: BrokerMessage;
  qos: QoS;
  retain: boolean;
  subscriptionIds: number[];
  /** Subscription filter as sent that made this delivery (for the receive authorizer). */
  filter: string;
  /** Shared group key when it was routed through a group (MQ-12 needs to give it back). */
  group?: string;
  /** ShareName of that group (POL-5 receive check). */
  shareName?: string;
  packetId?: number;
  /** `publish` = sent, waiting for PUBACK/PUBREC; `pubrel` = PUBREL sent, waiting for PUBCOMP. */
  state: 'queued' | 'publish' | 'pubrel';
}

export class Session {
  readonly clientId: string;
  protocolVersion: 3 | 4 | 5;
  /** Session Expiry Interval, seconds; 0 = ends with the connection; 0xFFFFFFFF = never [MQTT-3.1.2-11]. */
  expiryInterval: number;
  /** Expiry asked for at CONNECT: 0 forbids a non-zero value on DISCONNECT [MQTT-3.14.2-2]. */
  connectExpiryInterval: number;
  readonly subscriptions = new Map<string, Subscription>();
  readonly inflight = new Map<number, Outgoing>();
  readonly queue: Outgoing[] = [];
  /** Inbound QoS 2 packet ids PUBREC'd but not yet released [MQTT-4.3.3-9]; created on the first one (idle sessions stay small). */
  inboundQos2: Set<number> | undefined;
  connection: Connection | null = null;
  expiryTimer: NodeJS.Timeout | undefined;
  willTimer: NodeJS.Timeout | undefined;
  /** Stored messages are being sent at settings.sessionResumeRate after a resume (PS-7). */
  resumeTimer: NodeJS.Timeout | undefined;
  /** Publishes the will waiting for its delay [MQTT-3.1.3-9]; called early when the session ends. */
  pendingWill: (() => void) | undefined;
  private lastPacketId = 0;

  constructor(clientId: string, protocolVersion: 3 | 4 | 5, expiryInterval: number) {
    this.clientId = clientId;
    this.protocolVersion = protocolVersion;
    this.expiryInterval = expiryInterval;
    this.connectExpiryInterval = expiryInterval;
  }

  get persistent(): boolean {
    return this.expiryInterval > 0;
  }

  /** Next free packet id, 1..65535 [MQTT-2.2.1-3]; undefined when all are in use. */
  nextPacketId(): number | undefined {
    for (let i = 0; i < 65_535; i++) {
      this.lastPacketId = (this.lastPacketId % 65_535) + 1;
      if (!this.inflight.has(this.lastPacketId)) return this.lastPacketId;
    }
    return undefined;
  }
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  get(clientId: string): Session | undefined {
    return this.sessions.get(clientId);
  }

  create(clientId: string, protocolVersion: 3 | 4 | 5, expiryInterval: number): Session {
    const session = new Session(clientId, protocolVersion, expiryInterval);
    this.sessions.set(clientId, session);
    return session;
  }

  delete(session: Session): void {
    if (this.sessions.get(session.clientId) === session) this.sessions.delete(session.clientId);
  }

  values(): IterableIterator<Session> {
    return this.sessions.values();
  }

  get size(): number {
    return this.sessions.size;
  }
}
