/**
 * The authorization seam: one decision per connect, publish, subscribe and delivery. An ACL
 * (acl.ts) or an AWS IoT policy evaluator (POL-1..POL-10) plugs in here as one `Authorizer`; the
 * broker asks it on every path, and nowhere else decides who may do what:
 *
 * - `connect`: every CONNECT, before the session is touched (will topic included, POL-2).
 * - `publish`: every inbound PUBLISH, after topic alias resolution (POL-2).
 * - `subscribe`: every filter of a SUBSCRIBE. For `$share/{ShareName}/{TopicFilter}` the filter as
 *   sent is passed (POL-4: the resource is the full shared filter) together with the parsed
 *   `shareName` and `topicFilter`, so a rule on the filter inside the share cannot be bypassed by
 *   wrapping it in `$share/...`.
 * - `receive`: at the moment a message is first written to a client (POL-2 "every delivery"): live
 *   deliveries, messages queued for an offline session leaving on resume, retained messages on
 *   subscribe, and messages a shared group deals to a member. `shareName` is set for a shared
 *   delivery (POL-5 evaluates `topic/$share/{ShareName}/{topic}`).
 *
 * Every method is optional; a missing one allows. Methods must not throw (an exception costs the
 * client its connection, as any handler error does).
 */

/** Who is asking: everything the broker knows about the connection. */
export interface ClientIdentity {
  clientId: string;
  username?: string;
  password?: Buffer;
  protocolVersion: 3 | 4 | 5;
  /** Listener the client came through. */
  listener: 'mqtt' | 'mqtts' | 'ws' | 'wss';
  /** Subject CN of the verified TLS client certificate (the thing name under mTLS). */
  certificateCN?: string;
  /**
   * The thing this connection is for (POL-7 `${iot:Connection.Thing.ThingName}`, LC-2 `thingName`):
   * the certificate CN under mTLS when the client id equals it (AWS IoT's "exclusive thing" case).
   */
  thingName?: string;
  /** What `verifyUpgrade` returned for a WebSocket client. */
  principal?: string;
  remoteAddress?: string;
}

/**
 * `true` allows, `false` refuses with the default code. An object can pick the MQTT 5 reason code
 * and, with `disconnect: true`, close the connection instead of answering (POL-10 MQTT 3.1.1).
 */
export type AuthDecision = boolean | { allow: boolean; reasonCode?: number; disconnect?: boolean };

export interface ConnectRequest {
  clean: boolean;
  sessionExpiryInterval: number;
  will?: { topic: string; qos: number; retain: boolean };
}

export interface PublishRequest {
  qos: number;
  /** RETAIN flag (iot:RetainPublish, POL-2). */
  retain: boolean;
}

export interface SubscribeRequest {
  qos: number;
  /** The filter matched against topic names: inside `$share/{ShareName}/` for a shared filter, else the filter as sent. */
  topicFilter: string;
  /** ShareName of a `$share/{ShareName}/{TopicFilter}` filter [MQTT-4.8.2-1]. */
  shareName?: string;
}

export interface DeliveryRequest {
  /** The subscription filter as sent (`$share/...` included) that made this delivery. */
  filter: string;
  /** ShareName when the delivery comes through a shared group (POL-5). */
  shareName?: string;
  qos: number;
  retain: boolean;
}

export interface Authorizer {
  /** Fires on CONNECT before the session is touched. Refusal: CONNACK 5 (3.1.1) / 0x87 (5). */
  connect?(client: ClientIdentity, request: ConnectRequest): AuthDecision;
  /** Fires on every PUBLISH. Refusal: PUBACK/PUBREC 0x87 (5); dropped silently (3.1.1). */
  publish?(client: ClientIdentity, topic: string, info: PublishRequest): AuthDecision;
  /** Fires per filter (as sent) of a SUBSCRIBE. Refusal: SUBACK 0x80 (3.1.1) / 0x87 (5). */
  subscribe?(client: ClientIdentity, filter: string, info: SubscribeRequest): AuthDecision;
  /** Fires before each first transmission of a message to a client; false skips it (POL-10 Receive), counted `not-authorized`. */
  receive?(client: ClientIdentity, topic: string, info: DeliveryRequest): boolean;
}

export function decisionAllows(decision: AuthDecision | undefined): boolean {
  if (decision === undefined) return true;
  return typeof decision === 'boolean' ? decision : decision.allow;
}

/** MQTT 5 reason code of a refusal (0x87 Not authorized unless the decision names one). */
export function refusalCode(decision: AuthDecision | undefined): number {
  return typeof decision === 'object' ? (decision.reasonCode ?? 0x87) : 0x87;
}

/** True when the refusal asks to close the connection instead of answering. */
export function refusalDisconnects(decision: AuthDecision | undefined): boolean {
  return typeof decision === 'object' && decision.disconnect === true;
}
