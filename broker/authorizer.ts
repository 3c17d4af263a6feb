/**
 * The authorization hook: one decision per connect, publish, subscribe and delivery. The AWS IoT
 * policy emulation plugs in here (POL-2). Every method is optional; a missing one allows.
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

export interface Authorizer {
  /** Fires on CONNECT before the session is touched. Refusal: CONNACK 5 (3.1.1) / 0x87 (5). */
  connect?(client: ClientIdentity, request: ConnectRequest): AuthDecision;
  /** Fires on every PUBLISH. Refusal: PUBACK/PUBREC 0x87 (5); dropped silently (3.1.1). */
  publish?(client: ClientIdentity, topic: string, info: { qos: number; retain: boolean }): AuthDecision;
  /** Fires per filter of a SUBSCRIBE. Refusal: SUBACK 0x80 (3.1.1) / 0x87 (5). */
  subscribe?(client: ClientIdentity, filter: string, info: { qos: number; shareName?: string }): AuthDecision;
  /** Fires before each delivery; false skips this delivery silently (POL-10 Receive). */
  receive?(client: ClientIdentity, topic: string, info: { filter: string; shareName?: string }): boolean;
}

export function decisionAllows(decision: AuthDecision | undefined): boolean {
  if (decision === undefined) return true;
  return typeof decision === 'boolean' ? decision : decision.allow;
}
