/**
 * The raw scenario YAML shape, generated from schemas/scenario.schema.json by
 * scripts/gen-schema-types.mjs (npm run gen:types). Do not edit by hand.
 */

/**
 * A time with a unit: `250ms`, `5s`, `1.5s`, `2m`, `1h`, `1d`, or a sum of these written largest unit first: `1m30s`, `1h30m`, `2s500ms`. A bare number is refused (seconds or milliseconds?).
 */
export type Duration = string;
/**
 * A string (sent as text), or exactly one of `{ text }`, `{ json }`, `{ size }`. mqscen puts its identity header in front of every payload it publishes unless the step says `identity: none`. `payload: ""` is an empty payload on the wire (no identity header): publishing it retained deletes the retained message of the topic [MQTT-3.3.1-6] [MQTT-3.3.1-7].
 */
export type Payload =
  | string
  | {
      /**
       * UTF-8 text.
       */
      text?: string;
      /**
       * Any value, sent as JSON text.
       */
      json?: unknown;
      /**
       * Exactly this many bytes on the wire (padded with `.`); with the identity header it is counted in the size, so the size must be at least the header length (46 bytes).
       */
      size?: number;
    };
/**
 * A topic filter (string, QoS 0) or `{ filter, qos, noLocal, retainAsPublished, retainHandling }`. Shared: `$share/{group}/{filter}`.
 */
export type Subscription =
  | string
  | {
      /**
       * Topic filter; `+` and `#` wildcards allowed, `$share/{group}/{filter}` for a shared subscription (SS-2).
       */
      filter: string;
      /**
       * Maximum QoS granted for this subscription (default 0).
       */
      qos?: 0 | 1 | 2;
      /**
       * MQTT 5: do not deliver this client's own publications back to it [MQTT-3.8.3-3]. Not allowed on shared subscriptions [MQTT-3.8.3-4].
       */
      noLocal?: boolean;
      /**
       * MQTT 5: keep the RETAIN flag as published on forwarded messages [MQTT-3.3.1-12].
       */
      retainAsPublished?: boolean;
      /**
       * MQTT 5: 0 send retained messages at subscribe, 1 only if the subscription is new, 2 never [MQTT-3.3.1-9..11].
       */
      retainHandling?: 0 | 1 | 2;
    };
/**
 * `all`, a declared client name (every instance), an instance `name[2]`, a range `name[1..3]`, or a list of these. Inside `{ }` or `[ ]` quote the ones with brackets: `{ clients: "subscriber[2]" }` (YAML reads `[` there as the start of a list).
 *
 * @minItems 1
 */
export type ClientRefs = string | [string, ...string[]];
/**
 * An MQTT reason code as a number (`135`) or a name (`not-authorized`, `0x87`).
 */
export type ReasonCode = number | string;
/**
 * A whole number (meaning `==`) or a comparison such as `">= 3"`, `"< 10"`, `"== 0"`. A bound no count can meet (`"< 0"`, `">= -1"`) is refused.
 */
export type CountComparison = number | string;

/**
 * A declarative MQTT scenario: clients, the steps they perform, and what must hold afterwards. Add `# yaml-language-server: $schema=../schemas/scenario.schema.json` at the top of a file for editor completion.
 */
export interface RawScenario {
  /**
   * Scenario name, shown in progress output and used as the JUnit test suite name.
   */
  name: string;
  /**
   * What the scenario proves, in prose. Shown in reports.
   */
  description?: string;
  /**
   * AWS IoT policy document (JSON) the scenario is written for, relative to the scenario file. The embedded broker (profile `aws-iot`) enforces it while this scenario runs, unless the target attaches its own (`policy:` in the targets file); `mqscen policy check` checks the scenario against it. Other brokers ignore it.
   */
  policy?: string;
  /**
   * How a sharded run (`mqscen run --shard i/n`) splits this scenario when `--shard-by` is not given: `files` (default) runs it whole on one shard; `clients` runs it on every shard, each for its part of the clients, with step barriers between the shards, and `mqscen merge` judges it as one run. For fleets one machine cannot hold.
   */
  shard?: 'files' | 'clients';
  timeout?: Duration;
  /**
   * Bounds of the waits for the broker's answers, for every client of this scenario. Each wait also ends at the scenario deadline (`timeout`), whichever comes first.
   */
  timeouts?: {
    connect?: Duration;
    subscribe?: Duration;
    ack?: Duration;
  };
  /**
   * Values substituted for `${name}` in any string below. Values may use `${env:NAME}` to read the environment (such values are never written into reports). `--var name=value` overrides them.
   */
  vars?: {
    [k: string]: string | number | boolean | undefined;
  };
  /**
   * Client declarations by name. A name with `count: N` declares N instances `name[1]`..`name[N]`.
   */
  clients: {
    [k: string]: Client | undefined;
  };
  /**
   * What happens, in order. Each item holds exactly one step keyword, plus an optional `id` and `name`.
   *
   * @minItems 1
   */
  steps: [Step, ...Step[]];
  /**
   * Assertions checked after the steps, against what the runner recorded. Each item holds exactly one assertion keyword, plus optional `name` and `on`.
   */
  expect?: Assertion[];
  /**
   * Keys starting with `x-` are ignored: a place for YAML anchors to reuse (`x-base: &base { ... }`, then `<<: *base`).
   *
   * This interface was referenced by `RawScenario`'s JSON-Schema definition
   * via the `patternProperty` "^x-".
   */
  [k: string]: unknown | undefined;
}
/**
 * One client, or a group of identical clients with `count`.
 */
export interface Client {
  /**
   * Number of instances; they are named `name[1]`..`name[N]`. Without it there is one instance named `name`.
   */
  count?: number;
  /**
   * MQTT client identifier template: `{n}` instance number, `{n:02}` zero-padded, `{name}` declared name, `{run}` short random id of this run (avoids collisions between runs). Default `{name}-{n}` with count, else `{name}`.
   */
  clientId?: string;
  /**
   * MQTT protocol version: `5` (default) or `3.1.1`.
   */
  protocol?: '5' | 5 | '3.1.1';
  /**
   * Session handling on the first connect.
   */
  session?: {
    /**
     * Start a new session (MQTT 3.1.1 cleanSession, MQTT 5 Clean Start). Default true.
     */
    clean?: boolean;
    /**
     * MQTT 5 Session Expiry Interval: how long the broker keeps the session after disconnect, as a duration or `never` (default 0: ends with the connection) [MQTT-3.1.2-23].
     */
    expiry?: string;
  };
  keepalive?: Duration;
  /**
   * Will message the broker publishes when this client disconnects abruptly [MQTT-3.1.2-8]. Its topic and payload may use `{n}`, `{name}`, `{run}`.
   */
  will?: {
    /**
     * Will topic (no wildcards).
     */
    topic: string;
    payload?: Payload;
    /**
     * `header` (default): the payload starts with mqscen's identity header, so every receipt is attributed to its publish (and the `size` counts the header). `none`: the payload bytes are sent exactly as written, with no header and no identity property; such messages are not attributed to a publish. An empty payload (`payload: ""`) implies `none`.
     */
    identity?: 'header' | 'none';
    /**
     * Will QoS (default 0).
     */
    qos?: 0 | 1 | 2;
    /**
     * Publish the will as a retained message (default false).
     */
    retain?: boolean;
    delay?: Duration;
    expiry?: Duration;
  };
  /**
   * User name and password sent in CONNECT. Use `${env:NAME}` rather than writing secrets in the file.
   */
  credentials?: {
    /**
     * CONNECT user name.
     */
    username?: string;
    /**
     * CONNECT password; prefer `${env:NAME}`.
     */
    password?: string;
  };
  /**
   * Per-client transport override (default: the target's transport): `mqttjs` (MQTT.js: mqtt, mqtts, ws, wss), `aws-iot-sdk` (AWS IoT Device SDK v2), `mqttjs-sigv4` (MQTT.js over WSS with a SigV4-presigned URL).
   */
  transport?: 'mqttjs' | 'aws-iot-sdk' | 'mqttjs-sigv4';
  /**
   * Subscriptions made after connecting (see `resubscribe`).
   */
  subscriptions?: Subscription[];
  /**
   * `if-no-session` (default): subscribe after a connect only when the broker reports no session present; `always`: after every connect.
   */
  resubscribe?: 'if-no-session' | 'always';
  /**
   * This client uses the client id of a client declared before it, on purpose: when it connects, the broker must close the other's connection (MQTT 5: DISCONNECT 0x8E Session taken over) [MQTT-3.1.4-3] and this one continues its session.
   */
  takeover?: boolean;
  /**
   * How this client acknowledges QoS 1/2 deliveries: `auto` (default, at once), `never` (no PUBACK/PUBREC: the broker keeps them in flight and must send them again, with DUP, when the session resumes [MQTT-4.4.0-1]), or `delay 500ms` (each acknowledgement that late). MQTT.js transports only; the AWS IoT Device SDK acknowledges by itself.
   */
  ack?: string;
  /**
   * Connect through the run's fault proxy. Default: only the clients a `fault` or `partition` step names; `true` also for others (a proxy in the path, no fault); `false` never (a fault on this client is then refused).
   */
  proxy?: boolean;
}
/**
 * Exactly one of: connect, subscribe, unsubscribe, publish, disconnect, reconnect, wait, settle, parallel, fault, heal, partition, sequence, repeat.
 */
export interface Step {
  /**
   * Identifier used by assertions (`after`, `before`, `step`). Unique in the file.
   */
  id?: string;
  /**
   * Start this step only when a condition holds (most useful inside `parallel`): `{ step, published: N }`, `{ step, acked: N }` (messages of that publish step sent / acknowledged by the broker), `{ step, received: N, client }` (of its messages received by these clients, counted once each), or `{ step, delay: 200ms }` (this long after that step started).
   */
  after?: {
    /**
     * The `id` of the step the condition watches.
     */
    step: string;
    /**
     * Once this many messages of that publish step were sent.
     */
    published?: number;
    /**
     * Once the broker acknowledged this many messages of that publish step (QoS 0: sent).
     */
    acked?: number;
    /**
     * Once `client` received this many distinct messages of that publish step (summed over the instances).
     */
    received?: number;
    client?: ClientRefs;
    delay?: Duration;
  };
  /**
   * Label shown in progress output and reports instead of the generated one.
   */
  name?: string;
  /**
   * Connect clients with their declared session settings and make their subscriptions. `connect: all`, or `{ clients, rate, concurrency }`.
   *
   * @minItems 1
   */
  connect?:
    | string
    | [string, ...string[]]
    | {
        clients: ClientRefs;
        /**
         * Connection attempts started per second across the listed clients: `500/s`, `50/100ms`, or a number per second. Default: as fast as the concurrency bound allows.
         */
        rate?: number | string;
        /**
         * At most this many clients between CONNECT and their last SUBACK at once (default 100), so a large fleet does not arrive as one burst of handshakes.
         */
        concurrency?: number;
      };
  /**
   * Subscribe clients to one filter (`filter`) or several (`filters`).
   */
  subscribe?: {
    clients: ClientRefs;
    /**
     * One topic filter; `$share/{group}/{filter}` for a shared subscription.
     */
    filter?: string;
    /**
     * Several filters: strings (using `qos` below) or subscription objects.
     *
     * @minItems 1
     */
    filters?: [Subscription, ...Subscription[]];
    /**
     * QoS for `filter` and for string entries of `filters` (default 0).
     */
    qos?: 0 | 1 | 2;
    /**
     * MQTT 5: do not deliver this client's own publications back to it [MQTT-3.8.3-3]. Not allowed on shared subscriptions [MQTT-3.8.3-4].
     */
    noLocal?: boolean;
    /**
     * MQTT 5: keep the RETAIN flag as published on forwarded messages [MQTT-3.3.1-12].
     */
    retainAsPublished?: boolean;
    /**
     * MQTT 5: 0 send retained messages at subscribe, 1 only if the subscription is new, 2 never [MQTT-3.3.1-9..11].
     */
    retainHandling?: 0 | 1 | 2;
  };
  /**
   * Remove subscriptions of clients.
   */
  unsubscribe?: {
    clients: ClientRefs;
    /**
     * One topic filter, as subscribed.
     */
    filter?: string;
    /**
     * Several topic filters, as subscribed.
     *
     * @minItems 1
     */
    filters?: [string, ...string[]];
  };
  /**
   * A burst of messages from each `from` client.
   */
  publish?: {
    from: ClientRefs;
    /**
     * Topic name (no wildcards [MQTT-3.3.2-2]).
     */
    topic: string;
    /**
     * Messages per publisher (default 1).
     */
    count?: number;
    /**
     * Publish QoS (default 0).
     */
    qos?: 0 | 1 | 2;
    /**
     * Set the RETAIN flag (default false).
     */
    retain?: boolean;
    /**
     * Pace per publisher: `50/s`, `10/100ms`, or a number of messages per second. Default: as fast as flow control allows.
     */
    rate?: number | string;
    payload?: Payload;
    /**
     * `header` (default): the payload starts with mqscen's identity header, so every receipt is attributed to its publish (and the `size` counts the header). `none`: the payload bytes are sent exactly as written, with no header and no identity property; such messages are not attributed to a publish. An empty payload (`payload: ""`) implies `none`.
     */
    identity?: 'header' | 'none';
    /**
     * MQTT 5 PUBLISH properties.
     */
    properties?: {
      messageExpiry?: Duration;
      /**
       * A map `{ key: value }` or a list of `[key, value]` pairs (a key may repeat) [MQTT-3.3.2-18].
       */
      userProperties?:
        | {
            [k: string]: string | number | boolean | undefined;
          }
        | [string | number | boolean, string | number | boolean][];
      /**
       * Content Type, e.g. `application/json`.
       */
      contentType?: string;
      /**
       * Response Topic (no wildcards).
       */
      responseTopic?: string;
      /**
       * Correlation Data, sent as UTF-8 bytes.
       */
      correlationData?: string;
      /**
       * true: the payload is UTF-8 text.
       */
      payloadFormatIndicator?: boolean;
    };
  };
  /**
   * `disconnect: <clients>` or `{ clients, how, reasonCode, sessionExpiry }`.
   *
   * @minItems 1
   */
  disconnect?:
    | string
    | [string, ...string[]]
    | {
        clients: ClientRefs;
        /**
         * `graceful` (default): send DISCONNECT, no will [MQTT-3.14.4-3]; `abrupt`: cut the socket so the broker publishes the will [MQTT-3.1.2-8].
         */
        how?: 'graceful' | 'abrupt';
        reasonCode?: ReasonCode;
        /**
         * MQTT 5 Session Expiry Interval sent with DISCONNECT [MQTT-3.14.2-2]: a duration or `never`.
         */
        sessionExpiry?: string;
      };
  /**
   * Connect again clients that were disconnected, resuming their session: `reconnect: <clients>` or `{ clients, clean, rate, concurrency }`.
   *
   * @minItems 1
   */
  reconnect?:
    | string
    | [string, ...string[]]
    | {
        clients: ClientRefs;
        /**
         * Start a new session instead of resuming (default false).
         */
        clean?: boolean;
        /**
         * Connect with this MQTT version from now on (`5` or `3.1.1`), e.g. a device whose firmware changed; the session it resumes is the same one (AWS IoT PS-5).
         */
        protocol?: ('5' | 5 | '3.1.1') | ('5' | 5 | '3.1.1');
        /**
         * Connection attempts started per second across the listed clients: `500/s`, `50/100ms`, or a number per second. Default: as fast as the concurrency bound allows.
         */
        rate?: number | string;
        /**
         * At most this many clients between CONNECT and their last SUBACK at once (default 100), so a large fleet does not arrive as one burst of handshakes.
         */
        concurrency?: number;
      };
  /**
   * Sleep a fixed time: `wait: 2s` or `{ duration }`. Use only where absence must be shown; prefer `settle`.
   */
  wait?:
    | string
    | {
        duration: Duration;
      };
  /**
   * Wait until every expected delivery arrived, at most `timeout`: `settle: 5s` or `{ timeout, quiet }`.
   */
  settle?:
    | string
    | {
        timeout?: Duration;
        quiet?: Duration;
      }
    | null;
  /**
   * Steps run at the same time; the block ends when all of them ended.
   *
   * @minItems 1
   */
  parallel?: [Step, ...Step[]];
  /**
   * Steps run one after another: a sequence inside `parallel` runs beside the other branches.
   *
   * @minItems 1
   */
  sequence?: [Step, ...Step[]];
  /**
   * `{ times, steps }`: the steps run `times` times in a row; `{i}` (1-based iteration) is replaced in their ids, names, client references and every other text.
   */
  repeat?: {
    /**
     * How many iterations.
     */
    times: number;
    /**
     * The steps of one iteration.
     *
     * @minItems 1
     */
    steps: [Step, ...Step[]];
  };
  /**
   * A network fault on the connections of some clients, through the run's built-in proxy (Toxiproxy's vocabulary): applies to their open connections and to every reconnect while it lasts; lasts `for` or until a `heal` step. Byte-level, so TLS and WSS pass unchanged.
   */
  fault?: {
    clients: ClientRefs;
    /**
     * `latency` (every chunk `latency` ± `jitter` late), `bandwidth` (at most `rate` KB/s), `blackhole` (nothing passes, the connection stays open), `reset` (TCP RST after `after`), `slow-close` (a close reaches the other side `delay` late), `slicer` (writes cut into `size` ± `sizeVariation` byte pieces, `delay` apart), `limit-data` (the connection closes after `bytes` bytes), `down` (new connections refused, open ones closed unless `keepExisting`).
     */
    kind: 'latency' | 'bandwidth' | 'blackhole' | 'reset' | 'slow-close' | 'slicer' | 'limit-data' | 'down';
    /**
     * `upstream` (client → broker), `downstream` (broker → client) or `both` (default).
     */
    stream?: 'upstream' | 'downstream' | 'both';
    for?: Duration;
    latency?: Duration;
    jitter?: Duration;
    /**
     * `bandwidth`: kilobytes (1000 bytes) per second.
     */
    rate?: number;
    after?: Duration;
    delay?: Duration;
    /**
     * `slicer`: average piece size, bytes.
     */
    size?: number;
    /**
     * `slicer`: ± this many bytes.
     */
    sizeVariation?: number;
    /**
     * `limit-data`: the connection closes once this many bytes passed in the stream.
     */
    bytes?: number;
    /**
     * `blackhole`: discard what was held instead of delivering it at heal (breaks MQTT framing: the connection cannot go on).
     */
    drop?: boolean;
    /**
     * `down`: leave open connections alone, refuse only new ones.
     */
    keepExisting?: boolean;
  };
  /**
   * Ends faults and partitions: the `id` of a fault or partition step, a list of ids, or `all`.
   *
   * @minItems 1
   */
  heal?: string | [string, ...string[]];
  /**
   * Cuts these clients off the broker (nothing passes either way, their connections stay open) while the others carry on: `partition: <clients>` or `{ clients, for }`; until `for` ends or a `heal` step.
   *
   * @minItems 1
   */
  partition?:
    | string
    | [string, ...string[]]
    | {
        clients: ClientRefs;
        for?: Duration;
      };
}
/**
 * Exactly one of: no-loss, duplicates, ordered, shared-group, received, session-present, retained, will, reason-code, latency, authorized, denied, not-delivered.
 */
export interface Assertion {
  /**
   * Label used in reports (the JUnit test case name) instead of the generated one.
   */
  name?: string;
  /**
   * Evaluate only against targets with this behaviour (`aws-iot`, `mosquitto`, `generic`); skipped elsewhere.
   *
   * @minItems 1
   */
  on?: string | ['aws-iot' | 'mosquitto' | 'generic', ...('aws-iot' | 'mosquitto' | 'generic')[]];
  /**
   * Every message the broker acknowledged reached its whole expected audience (each matching subscription, one member per shared group).
   */
  'no-loss'?: {
    /**
     * Check messages of at least this effective QoS (default 1).
     */
    qos?: 0 | 1 | 2;
  } | null;
  /**
   * At most `max` duplicate deliveries of any message: copies no subscription explains (unexplained), repeated deliveries to one subscription or a second delivery inside a `$share` group. Each duplicate has a class: `redelivery` (a QoS 1 copy again after the recipient's connection broke [MQTT-4.3.2-2], [MQTT-4.4.0-1], MQTT 5 §4.8.2), `extra-copy` (one more copy for another matching subscription of the same client [MQTT-3.3.4-2]) or `unexplained`; the classes in `allow` do not count.
   */
  duplicates?: {
    /**
     * Allowed duplicates (default 0).
     */
    max?: number;
    /**
     * Duplicate classes that do not count against `max` (default `[redelivery, extra-copy]`, both allowed by MQTT; `[]` counts every repeated copy).
     */
    allow?: ('redelivery' | 'extra-copy')[];
    clients?: ClientRefs;
  } | null;
  /**
   * Each receiver got each publisher's messages on a topic in publish order [MQTT-4.6.0-5].
   */
  ordered?: {
    /**
     * Ordering unit (only `publisher`).
     */
    per?: 'publisher';
    clients?: ClientRefs;
  } | null;
  /**
   * Distribution inside a shared subscription group (SS-5).
   */
  'shared-group'?: {
    /**
     * Share name as in `$share/{group}/...`.
     */
    group: string;
    /**
     * Only the group of this topic filter (SS-4); default every filter of the group.
     */
    filter?: string;
    /**
     * `once` (default): every message reached exactly one member; `at-least-once`: one or more.
     */
    'each-message'?: 'once' | 'at-least-once';
    /**
     * Every member received at least one message (default false).
     */
    'every-member-receives'?: boolean;
    /**
     * Max deviation of any member's share from the mean: 0..1 or a percentage such as `"50%"`.
     */
    balance?: number | string;
  };
  /**
   * How many messages clients received, optionally in a window between steps.
   */
  received?: {
    client?: ClientRefs;
    clients?: ClientRefs;
    count: CountComparison;
    /**
     * Count only messages received after this step (its `id`, or its kind when only one step has it) ended.
     */
    after?: string;
    /**
     * Count only messages received before this step (id or kind) started.
     */
    before?: string;
    /**
     * Count only messages whose topic matches this filter.
     */
    topic?: string;
    from?: ClientRefs;
    /**
     * Count only messages published by this publish step (its `id`, or `publish` when there is one).
     */
    step?: string;
    /**
     * The count is for all the clients together (a `$share` group's members, a sum of clients), not for each (default false).
     */
    sum?: boolean;
  };
  /**
   * The CONNACK Session Present flag [MQTT-3.2.2-2].
   */
  'session-present'?: {
    client?: ClientRefs;
    clients?: ClientRefs;
    /**
     * Expected flag value.
     */
    expected: boolean;
    /**
     * The connect or reconnect step (id or kind) whose CONNACK is checked; default the last connect of each client.
     */
    step?: string;
  };
  /**
   * A retained message arrived (or not) when clients subscribed [MQTT-3.3.1-9].
   */
  retained?: {
    client?: ClientRefs;
    clients?: ClientRefs;
    /**
     * Topic of the retained message.
     */
    topic: string;
    /**
     * true (default): one arrived; false: none did.
     */
    present?: boolean;
    payload?: Payload;
  };
  /**
   * A client's will message was (or was not) delivered [MQTT-3.1.2-8].
   */
  will?: {
    /**
     * The client instance whose will is checked.
     */
    of: string;
    receivers: ClientRefs;
    /**
     * true (default): delivered to every receiver; false: to none.
     */
    received?: boolean;
  };
  /**
   * Reason codes the broker returned (MQTT 5; CONNACK return codes on 3.1.1).
   */
  'reason-code'?: {
    /**
     * Which acknowledgement.
     */
    packet: 'connack' | 'suback' | 'puback' | 'unsuback' | 'disconnect';
    client?: ClientRefs;
    clients?: ClientRefs;
    /**
     * Only packets of this step (id or kind).
     */
    step?: string;
    code?: ReasonCode;
    /**
     * Acceptable codes.
     *
     * @minItems 1
     */
    codes?: [ReasonCode, ...ReasonCode[]];
  };
  /**
   * The AWS IoT policy allowed the action for every named client: no refusal in the broker's policy log (the embedded aws-iot broker), and the broker's answer shows it (CONNACK 0, SUBACK granted, PUBACK success, a message received on the topic).
   */
  authorized?: {
    client?: ClientRefs;
    clients?: ClientRefs;
    /**
     * What the policy decides: `connect` (iot:Connect), `publish` (iot:Publish), `retain-publish` (iot:RetainPublish), `subscribe` (iot:Subscribe, per filter) or `receive` (iot:Receive, per delivery).
     */
    action: 'connect' | 'publish' | 'retain-publish' | 'subscribe' | 'receive';
    /**
     * For publish and receive: an MQTT filter over the topic names; for subscribe: the filter as sent (`$share/...` included). Omitted: any.
     */
    topic?: string;
  };
  /**
   * These messages never reached these clients: those of a publish `step`, `from` some publishers and/or on a `topic` filter (at least one of them). A failure names every message that did arrive.
   */
  'not-delivered'?: {
    client?: ClientRefs;
    clients?: ClientRefs;
    /**
     * The messages of this publish step (its `id`, or `publish` when there is one).
     */
    step?: string;
    from?: ClientRefs;
    /**
     * The messages published on topics matching this filter.
     */
    topic?: string;
  };
  /**
   * The AWS IoT policy refused the action for every named client (POL-10): a refusal in the broker's policy log (the embedded aws-iot broker), or, where the broker keeps none (AWS IoT Core), its answer: CONNACK 0x87 or the connection closed before CONNACK, SUBACK/PUBACK 0x87, nothing received on the topic. A connect refusal asserted here does not end the scenario.
   */
  denied?: {
    client?: ClientRefs;
    clients?: ClientRefs;
    /**
     * What the policy decides: `connect` (iot:Connect), `publish` (iot:Publish), `retain-publish` (iot:RetainPublish), `subscribe` (iot:Subscribe, per filter) or `receive` (iot:Receive, per delivery).
     */
    action: 'connect' | 'publish' | 'retain-publish' | 'subscribe' | 'receive';
    /**
     * For publish and receive: an MQTT filter over the topic names; for subscribe: the filter as sent (`$share/...` included). Omitted: any.
     */
    topic?: string;
  };
  /**
   * End-to-end latency percentiles from publish to receipt. Each bound needs a comparison operator: `"< 250ms"` or `"<= 1s"` for an upper bound, `">"`/`">="` for a lower one; a bare value (`p95: 250ms`) and `==`/`!=` are refused.
   */
  latency?: {
    /**
     * Median bound, e.g. `"< 100ms"`.
     */
    p50?: string;
    /**
     * 95th percentile bound, e.g. `"< 250ms"`.
     */
    p95?: string;
    /**
     * 99th percentile bound, e.g. `"<= 1s"`.
     */
    p99?: string;
    /**
     * Bound on the slowest delivery, e.g. `"< 2s"`.
     */
    max?: string;
    clients?: ClientRefs;
  };
  /**
   * The broker ended these clients' connections (a DISCONNECT it sent, a closed socket), each at least once: only losses during `step` when given, and only with an acceptable reason `code`/`codes` when given (a loss without a DISCONNECT has no code). Read from the run's connection losses; a failure names each client and the losses it had instead.
   */
  disconnected?: {
    client?: ClientRefs;
    clients?: ClientRefs;
    /**
     * Only losses during this top-level step (id or kind).
     */
    step?: string;
    code?: ReasonCode;
    /**
     * Acceptable DISCONNECT reason codes.
     *
     * @minItems 1
     */
    codes?: [ReasonCode, ...ReasonCode[]];
  };
  /**
   * Properties of every copy these clients received of the chosen messages (those of a publish `step`, `from` some publishers and/or on a `topic` filter; all of ours when none is given): QoS, RETAIN, DUP, User Properties, Message Expiry Interval left. A failure names the messages whose property differs and what it was.
   */
  delivered?: {
    client?: ClientRefs;
    clients?: ClientRefs;
    /**
     * The messages of this publish step (its `id`, or `publish` when there is one).
     */
    step?: string;
    from?: ClientRefs;
    /**
     * The messages published on topics matching this filter.
     */
    topic?: string;
    /**
     * The QoS every copy arrived with (the lower of publish and subscription QoS) [MQTT-3.8.4-8].
     */
    qos?: 0 | 1 | 2;
    /**
     * The RETAIN flag every copy arrived with [MQTT-3.3.1-9], [MQTT-3.3.1-12].
     */
    retain?: boolean;
    /**
     * The DUP flag every copy arrived with [MQTT-3.3.1-1].
     */
    dup?: boolean;
    /**
     * Pairs every copy carries (others may be there too) [MQTT-3.3.2-17]: `{ key: value }`.
     */
    userProperties?: {
      [k: string]: string | number | boolean | undefined;
    };
    /**
     * Bound on the Message Expiry Interval each copy carried (the time it had left when the broker sent it [MQTT-3.3.2-6]), e.g. `"<= 60s"`; a copy without one fails.
     */
    messageExpiry?: string;
  };
  /**
   * The embedded broker's own counters for this scenario, per client (by its client id), per `$share` group, or in total when neither is given: messages `delivered` (first transmissions), `queued`, `dequeued`, and `dropped` by reason. On a target without broker counters (Mosquitto, a URL, AWS IoT) the assertion is reported as not evaluated, with that reason.
   */
  'broker-stats'?: {
    client?: ClientRefs;
    clients?: ClientRefs;
    /**
     * A `$share` group: its share name (every filter of it, summed) or `{ShareName}/{TopicFilter}` (SS-4).
     */
    group?: string;
    delivered?: CountComparison;
    queued?: CountComparison;
    dequeued?: CountComparison;
    /**
     * Messages discarded, per reason (`queue-full`, `group-queue-full`, `expired`, `offline`, `too-large`, `not-authorized`, `session-ended`, `slow-consumer`, `rate-limited`, `qos-not-supported`), or `total` over all reasons.
     */
    dropped?: {
      [k: string]: CountComparison | undefined;
    };
  };
}
