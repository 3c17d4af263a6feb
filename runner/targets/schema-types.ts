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
