/**
 * The transport seam: how the engine talks to a broker, in mqscen's own words.
 * No type from `mqtt` or `aws-iot-device-sdk-v2` may appear in this file; each
 * implementation (mqttjs.ts, mqttjs-sigv4.ts, the aws-iot-sdk/ folder, ...) translates.
 *
 * Every implementation must pass the shared contract suite in transport.contract.ts.
 */

export type ProtocolVersion = '3.1.1' | '5';
export type QoS = 0 | 1 | 2;

/** MQTT 5 properties mqscen can set or observe. Names follow the MQTT 5 spec, camelCased. */
export interface PublishProperties {
  /** Message Expiry Interval in seconds [MQTT-3.3.2-5]. */
  messageExpiryInterval?: number;
  /** User Properties, in order; a key may repeat [MQTT-3.3.2-18]. */
  userProperties?: ReadonlyArray<readonly [string, string]>;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Uint8Array;
  payloadFormatIndicator?: boolean;
  /** Topic alias to send with this publish (MQTT 5 only). */
  topicAlias?: number;
}

export interface WillMessage {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  properties?: PublishProperties & {
    /** Will Delay Interval in seconds (MQTT 5) [MQTT-3.1.3-9]. */
    willDelayInterval?: number;
  };
}

/** TLS settings; file contents are already read (PEM text). */
export interface TlsSettings {
  ca?: string;
  cert?: string;
  key?: string;
  /** SNI server name; defaults to the URL host. */
  servername?: string;
  /** ALPN protocols offered, e.g. ["x-amzn-mqtt-ca"]. */
  alpn?: string[];
  /** Verify the server certificate (default true). */
  rejectUnauthorized?: boolean;
}

/** Everything needed to open one client connection. Resolved by the target, not by the transport. */
export interface ConnectOptions {
  /** Broker URL: mqtt://, mqtts://, ws://, wss:// (host, port, path). */
  url: string;
  clientId: string;
  protocol: ProtocolVersion;
  /** MQTT 3.1.1 cleanSession / MQTT 5 Clean Start. */
  clean: boolean;
  /** MQTT 5 Session Expiry Interval, seconds. Ignored on 3.1.1. */
  sessionExpiry?: number;
  /** Keep alive in seconds (0 disables). */
  keepalive: number;
  username?: string;
  password?: string;
  will?: WillMessage;
  tls?: TlsSettings;
  /** MQTT 5 CONNECT User Properties. */
  userProperties?: ReadonlyArray<readonly [string, string]>;
  /** MQTT 5 Receive Maximum the client announces. */
  receiveMaximum?: number;
  /**
   * How QoS 1/2 deliveries are acknowledged: at once (default), `never` (PUBACK/PUBREC withheld,
   * so the broker keeps them in flight and resends them on a resumed session [MQTT-4.4.0-1]), or
   * each `delayMs` late. A transport that cannot withhold acknowledgements refuses anything but
   * `auto` at connect.
   */
  acks?: 'auto' | 'never' | { delayMs: number };
  /** Upper bound for the connect handshake, ms. Every wait in mqscen is bounded. */
  connectTimeoutMs: number;
  /**
   * Extra settings only one transport understands (for example SigV4 region, custom authorizer
   * name). Transports ignore keys they do not know.
   */
  extra?: Readonly<Record<string, unknown>>;
}

export interface ConnectResult {
  sessionPresent: boolean;
  /** CONNACK reason code (MQTT 5) or return code (3.1.1); 0 on success. */
  reasonCode: number;
  /** MQTT 5 CONNACK properties the broker sent that mqscen reports. */
  assignedClientId?: string;
  serverKeepAlive?: number;
  sessionExpiry?: number;
  receiveMaximum?: number;
  maximumQoS?: number;
  topicAliasMaximum?: number;
  maximumPacketSize?: number;
  /**
   * MQTT 5 CONNACK Subscription Identifiers Available; `false` only when the broker said 0
   * [MQTT-3.2.2-21]. Absent means available (MQTT 5) or unknown.
   */
  subscriptionIdentifiersAvailable?: boolean;
}

export interface SubscriptionRequest {
  /** Topic filter, possibly `$share/{group}/{filter}`. */
  filter: string;
  qos: QoS;
  /** MQTT 5 subscription options. */
  noLocal?: boolean;
  retainAsPublished?: boolean;
  retainHandling?: 0 | 1 | 2;
  /**
   * MQTT 5 Subscription Identifier (1..268,435,455) for this subscription. A SUBSCRIBE packet
   * carries one identifier for all its filters, so requests with different identifiers go out as
   * separate SUBSCRIBE packets; the result keeps the request order.
   */
  subscriptionIdentifier?: number;
}

export interface SubscribeResult {
  /** One per requested filter, in order: granted QoS (0..2) or a failure reason code (>= 0x80). */
  reasonCodes: number[];
}

export interface PublishRequest {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  properties?: PublishProperties;
}

export interface PublishResult {
  /**
   * PUBACK/PUBREC reason code for QoS 1/2 (0 = success, 0x10 = no matching subscribers);
   * always 0 for QoS 0 (nothing comes back).
   */
  reasonCode: number;
}

export interface ReceivedMessage {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  /** DUP flag as received (informational; AWS IoT does not set it, rule Q-5). */
  dup: boolean;
  /**
   * MQTT 5 Subscription Identifiers the broker sent with this copy: one per matching
   * subscription that has one [MQTT-3.3.4-3], [MQTT-3.3.4-4], [MQTT-3.3.4-5].
   */
  subscriptionIdentifiers?: number[];
  properties?: PublishProperties;
  /** performance.timeOrigin + performance.now() at receipt, ms. */
  receivedAt: number;
}

export interface DisconnectOptions {
  /**
   * `graceful`: send DISCONNECT then close (no will) [MQTT-3.14.4-3].
   * `abrupt`: destroy the socket without DISCONNECT, so the broker publishes the will [MQTT-3.1.2-8].
   */
  how: 'graceful' | 'abrupt';
  /** MQTT 5 DISCONNECT reason code (graceful only), e.g. 0x04 "disconnect with will message". */
  reasonCode?: number;
  /** MQTT 5: new Session Expiry Interval sent with DISCONNECT. */
  sessionExpiry?: number;
}

/** Why a session ended without us asking. */
export interface ConnectionLoss {
  /** MQTT 5 DISCONNECT reason code from the broker, when it sent one. */
  reasonCode?: number;
  message: string;
}

/** Events a session reports. Handlers must not throw. */
export interface TransportSessionEvents {
  message: (msg: ReceivedMessage) => void;
  /** The connection ended without disconnect() being called (broker closed it, network loss). */
  lost: (loss: ConnectionLoss) => void;
}

/**
 * One live client connection. Created by Transport.connect; not reusable after disconnect.
 * No automatic reconnect: the engine reconnects explicitly so the record stays true.
 */
export interface TransportSession {
  readonly clientId: string;
  readonly connack: ConnectResult;
  subscribe(
    requests: readonly SubscriptionRequest[],
    properties?: { userProperties?: ReadonlyArray<readonly [string, string]> },
  ): Promise<SubscribeResult>;
  /** Resolves with one reason code per filter. */
  unsubscribe(filters: readonly string[]): Promise<number[]>;
  /** Resolves when the publish is complete for its QoS (sent / PUBACK / PUBCOMP). */
  publish(request: PublishRequest): Promise<PublishResult>;
  disconnect(options: DisconnectOptions): Promise<void>;
  /**
   * Attach a handler. Messages received before the first `message` handler is attached (a resumed
   * session's queue arrives right after CONNACK) are buffered and handed to that first handler.
   */
  on<E extends keyof TransportSessionEvents>(event: E, handler: TransportSessionEvents[E]): void;
}

/** A way of talking MQTT (MQTT.js, AWS IoT Device SDK v2, ...). */
export interface Transport {
  /** Registry name, e.g. `mqttjs`, `aws-iot-sdk`. */
  readonly name: string;
  /**
   * Opens a session. Rejects with TransportError (refused CONNACK: reasonCode set; network/TLS
   * failure: cause set) within options.connectTimeoutMs.
   */
  connect(options: ConnectOptions): Promise<TransportSession>;
}
