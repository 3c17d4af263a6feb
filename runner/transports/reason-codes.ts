/**
 * The one table of MQTT reason codes: MQTT 5 reason codes (MQTT 5 section 2.4, table 2-6) and
 * MQTT 3.1.1 CONNACK return codes (MQTT 3.1.1 section 3.2.2.3). Every message, report and
 * assertion that shows a reason code takes its text from here, so they all read the same.
 *
 * Names are kebab-case forms of the spec's names ("not-authorized" ↔ 0x87) and are what a
 * scenario writes. A few MQTT 5 codes mean different things in different packets (0x00 is
 * "Success", "Normal disconnection" or "Granted QoS 0"), hence the optional packet argument.
 */
import type { ProtocolVersion } from './transport.js';

/** Packets that carry a reason code. */
export type ReasonPacket =
  | 'connack'
  | 'puback'
  | 'pubrec'
  | 'pubrel'
  | 'pubcomp'
  | 'suback'
  | 'unsuback'
  | 'disconnect'
  | 'auth';

interface ReasonEntry {
  code: number;
  name: string;
  text: string;
  /** Packets in which the code may appear [MQTT 5 table 2-6]. */
  packets: readonly ReasonPacket[];
}

const ALL_ACKS: readonly ReasonPacket[] = ['connack', 'puback', 'pubrec', 'suback', 'unsuback', 'disconnect'];

/** MQTT 5 reason codes, MQTT 5 section 2.4 table 2-6. Order matters: first match per packet wins. */
const MQTT5: readonly ReasonEntry[] = [
  {
    code: 0x00,
    name: 'success',
    text: 'Success',
    packets: ['connack', 'puback', 'pubrec', 'pubrel', 'pubcomp', 'unsuback', 'auth'],
  },
  { code: 0x00, name: 'normal-disconnection', text: 'Normal disconnection', packets: ['disconnect'] },
  { code: 0x00, name: 'granted-qos-0', text: 'Granted QoS 0', packets: ['suback'] },
  { code: 0x01, name: 'granted-qos-1', text: 'Granted QoS 1', packets: ['suback'] },
  { code: 0x02, name: 'granted-qos-2', text: 'Granted QoS 2', packets: ['suback'] },
  {
    code: 0x04,
    name: 'disconnect-with-will-message',
    text: 'Disconnect with Will Message',
    packets: ['disconnect'],
  },
  {
    code: 0x10,
    name: 'no-matching-subscribers',
    text: 'No matching subscribers',
    packets: ['puback', 'pubrec'],
  },
  { code: 0x11, name: 'no-subscription-existed', text: 'No subscription existed', packets: ['unsuback'] },
  { code: 0x18, name: 'continue-authentication', text: 'Continue authentication', packets: ['auth'] },
  { code: 0x19, name: 're-authenticate', text: 'Re-authenticate', packets: ['auth'] },
  { code: 0x80, name: 'unspecified-error', text: 'Unspecified error', packets: ALL_ACKS },
  { code: 0x81, name: 'malformed-packet', text: 'Malformed Packet', packets: ['connack', 'disconnect'] },
  { code: 0x82, name: 'protocol-error', text: 'Protocol Error', packets: ['connack', 'disconnect'] },
  {
    code: 0x83,
    name: 'implementation-specific-error',
    text: 'Implementation specific error',
    packets: ALL_ACKS,
  },
  {
    code: 0x84,
    name: 'unsupported-protocol-version',
    text: 'Unsupported Protocol Version',
    packets: ['connack'],
  },
  {
    code: 0x85,
    name: 'client-identifier-not-valid',
    text: 'Client Identifier not valid',
    packets: ['connack'],
  },
  { code: 0x86, name: 'bad-user-name-or-password', text: 'Bad User Name or Password', packets: ['connack'] },
  { code: 0x87, name: 'not-authorized', text: 'Not authorized', packets: ALL_ACKS },
  { code: 0x88, name: 'server-unavailable', text: 'Server unavailable', packets: ['connack'] },
  { code: 0x89, name: 'server-busy', text: 'Server busy', packets: ['connack', 'disconnect'] },
  { code: 0x8a, name: 'banned', text: 'Banned', packets: ['connack'] },
  { code: 0x8b, name: 'server-shutting-down', text: 'Server shutting down', packets: ['disconnect'] },
  {
    code: 0x8c,
    name: 'bad-authentication-method',
    text: 'Bad authentication method',
    packets: ['connack', 'disconnect'],
  },
  { code: 0x8d, name: 'keep-alive-timeout', text: 'Keep Alive timeout', packets: ['disconnect'] },
  { code: 0x8e, name: 'session-taken-over', text: 'Session taken over', packets: ['disconnect'] },
  {
    code: 0x8f,
    name: 'topic-filter-invalid',
    text: 'Topic Filter invalid',
    packets: ['suback', 'unsuback', 'disconnect'],
  },
  {
    code: 0x90,
    name: 'topic-name-invalid',
    text: 'Topic Name invalid',
    packets: ['connack', 'puback', 'pubrec', 'disconnect'],
  },
  {
    code: 0x91,
    name: 'packet-identifier-in-use',
    text: 'Packet Identifier in use',
    packets: ['puback', 'pubrec', 'suback', 'unsuback'],
  },
  {
    code: 0x92,
    name: 'packet-identifier-not-found',
    text: 'Packet Identifier not found',
    packets: ['pubrel', 'pubcomp'],
  },
  { code: 0x93, name: 'receive-maximum-exceeded', text: 'Receive Maximum exceeded', packets: ['disconnect'] },
  { code: 0x94, name: 'topic-alias-invalid', text: 'Topic Alias invalid', packets: ['disconnect'] },
  { code: 0x95, name: 'packet-too-large', text: 'Packet too large', packets: ['connack', 'disconnect'] },
  { code: 0x96, name: 'message-rate-too-high', text: 'Message rate too high', packets: ['disconnect'] },
  { code: 0x97, name: 'quota-exceeded', text: 'Quota exceeded', packets: ALL_ACKS },
  { code: 0x98, name: 'administrative-action', text: 'Administrative action', packets: ['disconnect'] },
  {
    code: 0x99,
    name: 'payload-format-invalid',
    text: 'Payload format invalid',
    packets: ['connack', 'puback', 'pubrec', 'disconnect'],
  },
  {
    code: 0x9a,
    name: 'retain-not-supported',
    text: 'Retain not supported',
    packets: ['connack', 'disconnect'],
  },
  { code: 0x9b, name: 'qos-not-supported', text: 'QoS not supported', packets: ['connack', 'disconnect'] },
  { code: 0x9c, name: 'use-another-server', text: 'Use another server', packets: ['connack', 'disconnect'] },
  { code: 0x9d, name: 'server-moved', text: 'Server moved', packets: ['connack', 'disconnect'] },
  {
    code: 0x9e,
    name: 'shared-subscriptions-not-supported',
    text: 'Shared Subscriptions not supported',
    packets: ['suback', 'disconnect'],
  },
  {
    code: 0x9f,
    name: 'connection-rate-exceeded',
    text: 'Connection rate exceeded',
    packets: ['connack', 'disconnect'],
  },
  { code: 0xa0, name: 'maximum-connect-time', text: 'Maximum connect time', packets: ['disconnect'] },
  {
    code: 0xa1,
    name: 'subscription-identifiers-not-supported',
    text: 'Subscription Identifiers not supported',
    packets: ['suback', 'disconnect'],
  },
  {
    code: 0xa2,
    name: 'wildcard-subscriptions-not-supported',
    text: 'Wildcard Subscriptions not supported',
    packets: ['suback', 'disconnect'],
  },
];

/**
 * MQTT 3.1.1 CONNACK return codes, section 3.2.2.3 table 3.1. Other 3.1.1 acks carry no reason
 * code, except SUBACK's 0x80 "Failure" [MQTT-3.9.3-2].
 */
const MQTT311_CONNACK: readonly ReasonEntry[] = [
  { code: 0, name: 'connection-accepted', text: 'Connection Accepted', packets: ['connack'] },
  {
    code: 1,
    name: 'unacceptable-protocol-version',
    text: 'Connection Refused, unacceptable protocol version',
    packets: ['connack'],
  },
  {
    code: 2,
    name: 'identifier-rejected',
    text: 'Connection Refused, identifier rejected',
    packets: ['connack'],
  },
  {
    code: 3,
    name: 'server-unavailable',
    text: 'Connection Refused, Server unavailable',
    packets: ['connack'],
  },
  {
    code: 4,
    name: 'bad-user-name-or-password',
    text: 'Connection Refused, bad user name or password',
    packets: ['connack'],
  },
  { code: 5, name: 'not-authorized', text: 'Connection Refused, not authorized', packets: ['connack'] },
];

const MQTT311_SUBACK_FAILURE: ReasonEntry = {
  code: 0x80,
  name: 'failure',
  text: 'Failure',
  packets: ['suback'],
};

const BY_NAME = new Map<string, number>();
for (const e of MQTT5) if (!BY_NAME.has(e.name)) BY_NAME.set(e.name, e.code);
BY_NAME.set('failure', 0x80);

/** Every name `reasonCode()` accepts (MQTT 5 names plus 3.1.1's "failure"), for schemas and messages. */
export const reasonCodeNames: readonly string[] = [...BY_NAME.keys()];

function lookup(
  code: number,
  packet: ReasonPacket | undefined,
  protocol: ProtocolVersion,
): ReasonEntry | undefined {
  if (protocol === '3.1.1') {
    if (packet === 'connack') return MQTT311_CONNACK.find((e) => e.code === code);
    if (packet === 'suback' && code === 0x80) return MQTT311_SUBACK_FAILURE;
    if (packet === 'suback' && code <= 2)
      return MQTT5.find((e) => e.code === code && e.packets.includes('suback'));
  }
  if (packet !== undefined) {
    const exact = MQTT5.find((e) => e.code === code && e.packets.includes(packet));
    if (exact !== undefined) return exact;
  }
  return MQTT5.find((e) => e.code === code);
}

/**
 * Text for a reason code, e.g. `reasonText(0x87)` → "Not authorized",
 * `reasonText(0, 'disconnect')` → "Normal disconnection",
 * `reasonText(5, 'connack', '3.1.1')` → "Connection Refused, not authorized".
 * Unknown codes give "Unknown reason code 0x.." rather than throwing (a broker may send anything).
 */
export function reasonText(code: number, packet?: ReasonPacket, protocol: ProtocolVersion = '5'): string {
  return lookup(code, packet, protocol)?.text ?? `Unknown reason code ${formatHex(code)}`;
}

/** Kebab-case name of a code, e.g. 0x87 → "not-authorized"; undefined when unknown. */
export function reasonName(
  code: number,
  packet?: ReasonPacket,
  protocol: ProtocolVersion = '5',
): string | undefined {
  return lookup(code, packet, protocol)?.name;
}

/**
 * Number for a name as a scenario writes it ("not-authorized" → 0x87; also accepts "0x87",
 * "135" and the spec's spelling "Not authorized"). Undefined when unknown.
 */
export function reasonCode(name: string): number | undefined {
  const trimmed = name.trim();
  if (/^0x[0-9a-f]{1,2}$/i.test(trimmed)) return Number.parseInt(trimmed.slice(2), 16);
  if (/^\d{1,3}$/.test(trimmed)) {
    const n = Number(trimmed);
    return n <= 0xff ? n : undefined;
  }
  return BY_NAME.get(trimmed.toLowerCase().replace(/[\s_]+/g, '-'));
}

/** "0x87 Not authorized": how every message and report shows a code. */
export function formatReason(code: number, packet?: ReasonPacket, protocol: ProtocolVersion = '5'): string {
  return `${formatHex(code)} ${reasonText(code, packet, protocol)}`;
}

/** True when the code reports a failure: >= 0x80 on MQTT 5 [MQTT 5 2.4]; a non-zero CONNACK code on 3.1.1. */
export function isFailure(code: number, packet?: ReasonPacket, protocol: ProtocolVersion = '5'): boolean {
  if (protocol === '3.1.1' && packet === 'connack') return code !== 0;
  return code >= 0x80;
}

/** "0x87": a reason code as every message shows it (two hex digits at least). */
export function formatHex(code: number): string {
  return `0x${code.toString(16).padStart(2, '0')}`;
}
