/**
 * The raw targets file YAML shape, generated from schemas/targets.schema.json by
 * scripts/gen-schema-types.mjs (npm run gen:types). Do not edit by hand.
 */

/**
 * One target; `kind` says which sort.
 */
export type Target = UrlTarget | EmbeddedTarget | MosquittoTarget | AwsIotTarget;

/**
 * Named targets for `mqscen run --target NAME`: where a run goes. The file is `mqscen.targets.yaml` in the current folder or `--targets FILE`. Add `# yaml-language-server: $schema=<path>/schemas/targets.schema.json` for editor completion.
 */
export interface RawTargets {
  [k: string]: Target | undefined;
}
/**
 * Any MQTT broker reachable at a URL.
 */
export interface UrlTarget {
  /**
   * Any broker at a URL.
   */
  kind: 'url';
  /**
   * Free text shown by `mqscen` in listings; ignored otherwise.
   */
  description?: string;
  /**
   * Broker URL: `mqtt://host:1883`, `mqtts://host:8883`, `ws://host:port/path`, `wss://host/path`. Do not put a password in it; use `password:`.
   */
  url: string;
  /**
   * PEM file of the CA that signed the broker certificate. A path relative to the targets file, or absolute; `${env:NAME}` allowed.
   */
  ca?: string;
  /**
   * PEM client certificate for mutual TLS (needs `key`). A path relative to the targets file, or absolute; `${env:NAME}` allowed.
   */
  cert?: string;
  /**
   * PEM private key of the client certificate. A path relative to the targets file, or absolute; `${env:NAME}` allowed.
   */
  key?: string;
  /**
   * SNI server name and the name the broker certificate must carry; defaults to the URL host.
   */
  servername?: string;
  /**
   * TLS ALPN protocol name(s) to offer, e.g. `x-amzn-mqtt-ca` for AWS IoT mTLS on port 443.
   */
  alpn?: string | [string, ...string[]];
  /**
   * Set false only for a broker with a self-signed certificate you cannot give as `ca`. Default true.
   */
  rejectUnauthorized?: boolean;
  /**
   * MQTT user name for clients that do not set their own; `${env:NAME}` allowed.
   */
  username?: string;
  /**
   * MQTT password for clients that do not set their own. Secrets are written only as `${env:NAME}` (read from the environment or .env), never literally.
   */
  password?: string;
  /**
   * Which broker semantics the target has; assertions limited with `on:` run only on a matching behaviour. `generic` = unknown broker: only invariants are checked.
   */
  behaviour?: 'aws-iot' | 'mosquitto' | 'generic';
  /**
   * Transport used by clients that do not set `transport:`. Default `mqttjs`.
   */
  transport?: 'mqttjs' | 'aws-iot-sdk' | 'mqttjs-sigv4';
}
/**
 * The in-process broker mqscen ships, started on free loopback ports for the run.
 */
export interface EmbeddedTarget {
  /**
   * The embedded broker.
   */
  kind: 'embedded';
  /**
   * Free text shown by `mqscen` in listings; ignored otherwise.
   */
  description?: string;
  /**
   * Broker semantics to emulate: `aws-iot` (AWS IoT Core rules) or `mosquitto`. Default `aws-iot`.
   */
  profile?: 'aws-iot' | 'mosquitto';
  /**
   * Where the embedded broker runs: `in-process` (in the runner), `child` (its own process: its sockets count against its own open-files limit, and it gets its own event loop), or `auto` (default): a child process when a scenario of the run has more than 2,000 clients.
   */
  process?: 'auto' | 'child' | 'in-process';
  /**
   * AWS IoT policy document (JSON) attached to every client; the broker (profile `aws-iot`) enforces it on every connect, publish, subscribe and delivery (POL-1..POL-10). A path relative to the targets file, or absolute. Without `policy:`/`policies:` the scenario's own `policy:` applies, else everything is allowed.
   */
  policy?: string;
  /**
   * Policies attached to some clients only, added to `policy:` (all attached policies are combined, POL-1).
   *
   * Items: One policy and who it is attached to.
   */
  policies?: {
    /**
     * A client id pattern (`*`, `?`), or `{ clientId: PATTERN }` / `{ thing: PATTERN }` (thing = the mTLS certificate's CN).
     */
    match:
      | string
      | {
          /**
           * Glob on the client id (`*` any run, `?` one character).
           */
          clientId?: string;
          /**
           * Glob on the thing name (the client certificate's subject CN).
           */
          thing?: string;
        };
    /**
     * AWS IoT policy document (JSON), relative to the targets file or absolute.
     */
    policy: string;
  }[];
  /**
   * Which resource `iot:Receive` is checked on for a shared-subscription delivery (POL-5, OQ-1): `share-form` = `topic/$share/<ShareName>/<topic>` (default), `plain` = `topic/<topic>`, `either`.
   */
  sharedReceiveResource?: 'share-form' | 'plain' | 'either';
  settings?: BrokerSettings;
}
/**
 * Overrides of single settings of the embedded broker (the same as `settings:` of `mqscen broker --config`, schemas/broker.schema.json); every other setting comes from the profile.
 */
export interface BrokerSettings {
  /**
   * Turn on the rate limits and pacing a real broker applies (MQ-7, PS-7, C-4, QUO-5).
   */
  realistic?: boolean;
  /**
   * Highest keep alive accepted, seconds; larger (and, when `keepAliveZeroToMax`, 0) are lowered and sent as Server Keep Alive [MQTT-3.2.2-21]. 0 = no limit.
   */
  maxKeepAlive?: number;
  /**
   * Lowest keep alive, seconds; smaller non-zero values are raised to it (K-1). 0 = no limit.
   */
  minKeepAlive?: number;
  /**
   * Treat keep alive 0 as `maxKeepAlive` (K-1) instead of "no keep alive" [MQTT-3.1.2-23].
   */
  keepAliveZeroToMax?: boolean;
  /**
   * Largest packet accepted, bytes; sent as CONNACK Maximum Packet Size; larger → DISCONNECT 0x95 [MQTT-3.2.2-15].
   */
  maxPacketSize?: number;
  /**
   * A socket that has not completed CONNECT within this many seconds is closed; 0 = never. Bounds what idle or dripping unauthenticated sockets may hold.
   */
  connectTimeout?: number;
  /**
   * Largest CONNECT packet, bytes (capped by maxPacketSize): a bigger remaining-length claim from an unconnected socket closes it at once.
   */
  maxConnectPacketSize?: number;
  /**
   * Most levels in a topic name or filter; more is an invalid topic or filter. The specification sets none; the bound keeps the matcher's work per message bounded (Mosquitto: 200).
   */
  maxTopicLevels?: number;
  /**
   * Largest PUBLISH payload, bytes (P-1); larger → disconnect. 0 = only maxPacketSize applies.
   */
  maxPayloadSize?: number;
  /**
   * Inbound QoS>0 window, sent as CONNACK Receive Maximum [MQTT-3.3.4-9]; exceeded → DISCONNECT 0x93.
   */
  receiveMaximum?: number;
  /**
   * Cap on the outbound QoS>0 window per client (the client's Receive Maximum may lower it) [MQTT-4.9.0-1].
   */
  maxInflightOut?: number;
  /**
   * Messages kept per session beyond the in-flight window (offline, or online with the window full); more are dropped (`queue-full`, or `slow-consumer` for an online subscriber marked slow). Online subscribers that read stay below it through backpressure.
   */
  maxQueuedMessages?: number;
  /**
   * Backpressure: a publisher's intake pauses while a session it feeds holds this many queued messages (capped at half of maxQueuedMessages) and resumes at half of it, as a real broker's single event loop ties intake to output.
   */
  backpressureHighWater?: number;
  /**
   * Backpressure on the socket: bytes waiting to be written to a subscriber that pause its publishers (resume at half).
   */
  backpressureHighWaterBytes?: number;
  /**
   * Longest time, seconds, one subscriber may hold publishers back before it is marked slow: its publishers resume and what it cannot take is dropped for it alone (`slow-consumer`) until it catches up.
   */
  slowSubscriberTimeout?: number;
  /**
   * Keep QoS 0 messages for offline persistent sessions (Mosquitto queue_qos0_messages).
   */
  queueQos0Offline?: boolean;
  /**
   * Highest inbound topic alias, sent as CONNACK Topic Alias Maximum; above it → DISCONNECT 0x94 [MQTT-3.3.2-9].
   */
  topicAliasMaximum?: number;
  /**
   * Use topic aliases on PUBLISH packets to MQTT 5 clients that allow them (CONNECT Topic Alias Maximum > 0) [MQTT-3.3.2-11]: the first message on a topic carries topic and alias, later ones only the alias, until the client's maximum is used up.
   */
  outboundTopicAliases?: boolean;
  /**
   * Cap on an MQTT 5 Session Expiry Interval, seconds; a capped value is echoed in CONNACK (PS-3).
   */
  maxSessionExpiry?: number;
  /**
   * Expiry of an MQTT 3.1.1 cleanSession=0 session, seconds; 0xFFFFFFFF = never (PS-3).
   */
  v3SessionExpiry?: number;
  /**
   * Highest QoS supported; 1 rejects QoS 2 (Q-2, M5-3).
   */
  maximumQos?: 1 | 2;
  /**
   * `a/#` also matches `a` [MQTT-4.7.1-2]; AWS IoT does not (T-2, DIFF-8).
   */
  parentMatchesMultiLevel?: boolean;
  /**
   * Retained messages go to wildcard filters at subscribe time; AWS IoT: exact match only.
   */
  retainedForWildcards?: boolean;
  /**
   * A message matching several subscriptions of one client: `single` = one copy with the highest QoS and every subscription identifier [MQTT-3.3.4-2, MQTT-3.3.4-3]; `per-subscription` = MQTT 5 clients get one copy per matching subscription, each with that subscription's QoS and identifier (allowed by MQTT 5 section 3.3.4, what Mosquitto 2 does; MQTT 3.1.1 clients still get one).
   */
  overlapDelivery?: 'single' | 'per-subscription';
  /**
   * Server DISCONNECT packets carry a Reason String (Mosquitto 2 sends none).
   */
  disconnectReasonString?: boolean;
  /**
   * An MQTT 5 connection whose client id another connection takes over gets DISCONNECT 0x8E (Session taken over) before it is closed [MQTT-3.1.4-3]; false: it is closed without one (Mosquitto 2.0.11).
   */
  takeoverDisconnect?: boolean;
  /**
   * Honour MQTT 5 No Local [MQTT-3.8.3-3]; AWS IoT ignores it (SS-14, M5-7).
   */
  honourNoLocal?: boolean;
  /**
   * No Local on a shared subscription is a protocol error [MQTT-3.8.3-4].
   */
  rejectSharedNoLocal?: boolean;
  /**
   * Subscription identifiers supported; otherwise using one → DISCONNECT 0xA1 (M5-2).
   */
  subscriptionIdentifiersAvailable?: boolean;
  /**
   * A session can be resumed by a connection of another protocol version (PS-5: AWS says no).
   */
  crossVersionResume?: boolean;
  /**
   * Shared group member choice: `round-robin` over all members, offline persistent ones included (Mosquitto), or `random-online` (SS-5, MQ-3).
   */
  sharedDistribution?: 'round-robin' | 'random-online';
  /**
   * Group-level FIFO queue for QoS 1 when no member is online and one member is persistent (MQ-1, MQ-4, MQ-5).
   */
  sharedGroupQueue?: boolean;
  /**
   * Largest group queue; new messages beyond it are dropped (tail drop, MQ-9).
   */
  sharedGroupQueueMax?: number;
  /**
   * Retention of a group-queued message without Message Expiry, seconds (MQ-8).
   */
  sharedGroupQueueExpiry?: number;
  /**
   * Unacked shared messages of a member that goes away: back to the group (MQ-12 default) or kept in its session.
   */
  sharedInflightOnLeave?: 'return-to-group' | 'keep-in-session';
  /**
   * Group queue drain rate per online member per second when `realistic` (MQ-7).
   */
  sharedDequeueRate?: number;
  /**
   * Seed for the member choice of `random-online`, so runs can be replayed (section 11.17).
   */
  randomSeed?: number;
  /**
   * `$` namespace: `spec` accepts any topic; `mosquitto` refuses client publishes to `$SYS...` and `$share/...` (PUBACK 0x87 on MQTT 5, dropped on 3.1.1, as Mosquitto 2 does); `aws` disconnects publishers to `$share/...` or `$` topics outside `$aws/` (SS-13, T-4).
   */
  reservedTopics?: 'spec' | 'mosquitto' | 'aws';
  /**
   * Clamp MQTT 5 Message Expiry Interval to 1..604800 s (M5-9).
   */
  clampMessageExpiry?: boolean;
  /**
   * Longest client id, bytes (C-1, QUO-16); 0 = unlimited.
   */
  maxClientIdLength?: number;
  /**
   * Prefix of assigned client ids for an empty id (C-2: `$GEN/`).
   */
  assignedClientIdPrefix?: string;
  /**
   * MQTT 3.1.1 QoS 2 behaviour when maximumQos is 1: PUBLISH ignored, SUBSCRIBE unanswered, Will QoS 2 closes.
   */
  v3Qos2Silent?: boolean;
  /**
   * CONNECTs per second per client id when `realistic` (C-4); 0 = unlimited.
   */
  connectRatePerClientId?: number;
  /**
   * PUBLISHes per second per connection when `realistic` (QUO-5); excess dropped. 0 = unlimited.
   */
  publishRatePerConnection?: number;
  /**
   * Stored-message redelivery pace after a resume, per second, when `realistic` (PS-7); 0 = unpaced.
   */
  sessionResumeRate?: number;
  /**
   * A SUBSCRIBE with a malformed filter (wildcard misuse, empty, bad `$share`): `disconnect` treats it as a Malformed Packet (DISCONNECT 0x81, as Mosquitto 2 does); `suback` answers MQTT 5 with SUBACK 0x8F and closes MQTT 3.1.1 connections (AWS IoT, POL-10).
   */
  invalidFilter?: 'disconnect' | 'suback';
  /**
   * DISCONNECT reason for a PUBLISH topic name with wildcards [MQTT-3.3.2-2]: 0x82 (Mosquitto 2) or 0x90 (AWS IoT, M5-6).
   */
  invalidTopicReasonCode?: number;
  /**
   * MQTT 5 PUBACK/PUBREC 0x10 No matching subscribers when nobody matched (Mosquitto does; AWS Q-7 lists no 0x10).
   */
  noMatchingSubscribersReason?: boolean;
  /**
   * Bytes waiting in a client's socket above which QoS 0 messages to it are dropped (slow consumer).
   */
  slowConsumerBytes?: number;
  /**
   * Filters per SUBSCRIBE (QUO-13); 0 = unlimited. Above → v5 SUBACK 0x97, v3 disconnect.
   */
  maxFiltersPerSubscribe?: number;
  /**
   * Subscriptions per connection (QUO-4); 0 = unlimited. Above → SUBACK 0x97 / 0x80.
   */
  maxSubscriptionsPerClient?: number;
  /**
   * Longest topic name or filter, bytes, not counting a `$aws/rules/{rule}/` or `$share/{name}/` prefix (T-3, QUO-17, SS-3); 0 = only the MQTT limit. Above → MQTT 5 PUBACK 0x90 / SUBACK 0x8F, MQTT 3.1.1 disconnect.
   */
  maxTopicBytes?: number;
  /**
   * Most `/` in a topic name or filter, prefixes as for maxTopicBytes (T-3, QUO-17, SS-3); 0 = unlimited.
   */
  maxTopicSlashes?: number;
  /**
   * Longest ShareName of `$share/{ShareName}/{filter}`, UTF-8 characters (SS-2); 0 = unlimited. Longer = invalid filter.
   */
  maxShareNameLength?: number;
  /**
   * Members one shared group may have (SS-11, QUO-23); 0 = unlimited. Above → SUBACK 0x97 (MQTT 5) / 0x80 (3.1.1).
   */
  maxSharedSubscribersPerGroup?: number;
  /**
   * Publish AWS IoT lifecycle events (LC-1..LC-8) on `$aws/events/presence/{connected|disconnected}/{clientId}` and `$aws/events/subscriptions/{subscribed|unsubscribed}/{clientId}`.
   */
  lifecycleEvents?: boolean;
  /**
   * A client id without a connection this long starts again at lifecycle versionNumber 1 (LC-5), seconds.
   */
  lifecycleVersionResetSeconds?: number;
}
/**
 * A real Mosquitto started for the run with a generated config on free loopback ports (`apt-get install -y mosquitto`).
 */
export interface MosquittoTarget {
  /**
   * A Mosquitto started by mqscen.
   */
  kind: 'mosquitto';
  /**
   * Free text shown by `mqscen` in listings; ignored otherwise.
   */
  description?: string;
  /**
   * Path of the mosquitto executable. Default `/usr/sbin/mosquitto`, else `mosquitto` on PATH. A path relative to the targets file, or absolute; `${env:NAME}` allowed.
   */
  binary?: string;
  /**
   * Also open a WebSocket listener. Default true.
   */
  websockets?: boolean;
  /**
   * Mosquitto's `max_queued_messages` per client (0 = no limit). Default: Mosquitto's own (1000), which drops QoS 1/2 messages for a subscriber that falls behind.
   */
  maxQueuedMessages?: number;
}
/**
 * An AWS IoT Core endpoint (or anything speaking its dialect), reached over mTLS, WebSocket with SigV4, or a custom authorizer.
 */
export interface AwsIotTarget {
  /**
   * AWS IoT Core.
   */
  kind: 'aws-iot';
  /**
   * Free text shown by `mqscen` in listings; ignored otherwise.
   */
  description?: string;
  /**
   * Device data endpoint host, e.g. `abc123-ats.iot.eu-west-1.amazonaws.com`, or `${env:AWS_IOT_ENDPOINT}`. When omitted, `AWS_IOT_ENDPOINT` is used, else it is looked up with DescribeEndpoint (iot:Data-ATS).
   */
  endpoint?: string;
  /**
   * AWS region, e.g. `eu-west-1`. Needed for SigV4; default from the endpoint host or `AWS_REGION`.
   */
  region?: string;
  /**
   * `mtls`: device certificate and key; `sigv4`: WebSocket signed with IAM credentials from the standard AWS chain; `custom-authorizer`: an IoT custom authorizer.
   */
  auth: 'mtls' | 'sigv4' | 'custom-authorizer';
  /**
   * Default `aws-iot-sdk` (AWS IoT Device SDK v2); `mqttjs-sigv4` is MQTT.js over WSS with a presigned URL (auth sigv4); `mqttjs` works for mtls.
   */
  transport?: 'aws-iot-sdk' | 'mqttjs-sigv4' | 'mqttjs';
  /**
   * TCP port: 8883 (mTLS), 443 (mTLS with ALPN, WebSocket, custom authorizer). Default by auth.
   */
  port?: number;
  /**
   * TLS ALPN protocol name(s) to offer, e.g. `x-amzn-mqtt-ca` for AWS IoT mTLS on port 443.
   */
  alpn?: string | [string, ...string[]];
  /**
   * PEM device certificate (auth mtls). A path relative to the targets file, or absolute; `${env:NAME}` allowed.
   */
  cert?: string;
  /**
   * PEM private key of the device certificate (auth mtls). A path relative to the targets file, or absolute; `${env:NAME}` allowed.
   */
  key?: string;
  /**
   * PEM CA for the endpoint, e.g. AmazonRootCA1.pem (optional: the system store is used otherwise). A path relative to the targets file, or absolute; `${env:NAME}` allowed.
   */
  ca?: string;
  /**
   * SNI server name; defaults to the endpoint host.
   */
  servername?: string;
  /**
   * Named profile from ~/.aws for SigV4 credentials (default: the standard credential chain).
   */
  awsProfile?: string;
  /**
   * IoT custom authorizer settings (auth custom-authorizer).
   */
  customAuthorizer?: {
    /**
     * Name of the custom authorizer, sent as `x-amz-customauthorizer-name`.
     */
    name: string;
    /**
     * Name of the token parameter the authorizer reads.
     */
    tokenKeyName?: string;
    /**
     * Token value passed to the authorizer. Secrets are written only as `${env:NAME}` (read from the environment or .env), never literally.
     */
    tokenValue?: string;
    /**
     * Base64 signature of the token (when token signing is enabled). Secrets are written only as `${env:NAME}` (read from the environment or .env), never literally.
     */
    tokenSignature?: string;
    /**
     * Extra user name part passed to the authorizer.
     */
    username?: string;
    /**
     * Password passed to the authorizer. Secrets are written only as `${env:NAME}` (read from the environment or .env), never literally.
     */
    password?: string;
  };
  /**
   * Which broker semantics the target has; assertions limited with `on:` run only on a matching behaviour. `generic` = unknown broker: only invariants are checked. Default `aws-iot`.
   */
  behaviour?: 'aws-iot' | 'mosquitto' | 'generic';
}
