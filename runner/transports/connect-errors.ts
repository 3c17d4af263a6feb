/**
 * Why a connect failed, in the user's terms: the one table of TLS and network failures and the
 * CONNACK hints, shared by every transport and by the CLI. Node's error codes (MQTT.js) and the
 * AWS CRT's error names (aws-iot-sdk) map to the same problems, so the same mistake gets the same
 * message and hint whichever transport met it.
 */
import type { ProtocolVersion } from './transport.js';

/** What a failed connect was, as far as the error says. */
export type ConnectProblemKind =
  | 'tls'
  | 'refused'
  | 'unresolved'
  | 'unreachable'
  | 'timeout'
  | 'reset'
  | 'not-mqtt'
  | 'unknown';

export interface ConnectProblem {
  kind: ConnectProblemKind;
  /** What happened, in words (e.g. "the broker certificate is not signed by a trusted CA"). */
  what: string;
  hint: string;
}

interface ProblemRow extends ConnectProblem {
  /** Node error codes (exact). */
  codes: readonly string[];
  /** AWS CRT error names or message text. */
  pattern?: RegExp;
}

/** TLS failures users meet, in their words, with the setting to change. */
const TLS_PROBLEMS: readonly ProblemRow[] = [
  {
    kind: 'tls',
    codes: ['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE'],
    what: 'the broker requires a client certificate (mTLS)',
    hint: 'set cert: and key: (the device certificate and its key) for the target',
  },
  {
    kind: 'tls',
    codes: [
      'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
      'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
      'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN',
    ],
    what: 'the broker rejected the client certificate',
    hint: 'use a certificate issued by a CA the broker trusts (and registered/active on AWS IoT), with its own key',
  },
  {
    kind: 'tls',
    codes: ['ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED', 'ERR_SSL_TLSV1_ALERT_CERTIFICATE_EXPIRED'],
    what: 'the broker rejected the client certificate as expired',
    hint: 'issue a new device certificate and point cert:/key: at it',
  },
  {
    kind: 'tls',
    codes: [
      'DEPTH_ZERO_SELF_SIGNED_CERT',
      'SELF_SIGNED_CERT_IN_CHAIN',
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
      'UNABLE_TO_GET_ISSUER_CERT',
      'CERT_UNTRUSTED',
      'CERT_SIGNATURE_FAILURE',
    ],
    what: 'the broker certificate is not signed by a trusted CA',
    hint: 'set ca: to the CA file that signed the broker certificate',
  },
  {
    kind: 'tls',
    codes: ['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID'],
    what: 'the broker certificate is outside its validity period',
    hint: 'renew the broker certificate, or check the system clock',
  },
  {
    kind: 'tls',
    codes: ['ERR_TLS_CERT_ALTNAME_INVALID'],
    what: 'the broker certificate does not name this host',
    hint: 'connect with a host name the certificate names, or set servername: to it',
  },
  {
    kind: 'tls',
    codes: ['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'EPROTO'],
    what: 'the port does not speak TLS',
    hint: 'use mqtt:// or ws:// for a plain port, or the TLS port of the broker',
  },
  {
    kind: 'tls',
    codes: ['ERR_OSSL_X509_KEY_VALUES_MISMATCH'],
    what: 'the private key does not belong to the client certificate',
    hint: 'set key: to the key file that was created with cert:',
  },
  {
    kind: 'tls',
    codes: ['ERR_OSSL_PEM_NO_START_LINE', 'ERR_OSSL_UNSUPPORTED'],
    what: 'a certificate or key file is not usable PEM',
    hint: 'check the ca:, cert: and key: files are PEM (-----BEGIN ...)',
  },
];

/** Codes that name a failure of the broker's certificate (the client's check of the server). */
export const SERVER_CERT_CODES: ReadonlySet<string> = new Set(
  TLS_PROBLEMS.filter((p) => p.what.startsWith('the broker certificate')).flatMap((p) => p.codes),
);

const NETWORK_PROBLEMS: readonly ProblemRow[] = [
  {
    kind: 'refused',
    codes: ['ECONNREFUSED'],
    pattern: /CONNECTION_REFUSED/,
    what: 'connection refused',
    hint: 'is the broker running? nothing listens on that host and port; check --target (and the port)',
  },
  {
    kind: 'unresolved',
    codes: ['ENOTFOUND'],
    pattern: /AWS_IO_DNS|DNS_QUERY|INVALID_NAME|ADDRESS_NOT_AVAILABLE/,
    what: 'the host name does not resolve',
    hint: 'the host name does not resolve; check the host in --target (or the targets file)',
  },
  {
    kind: 'unresolved',
    codes: ['EAI_AGAIN'],
    what: 'the host name could not be resolved right now',
    hint: 'the host name could not be resolved right now (DNS); check the host in --target and the network',
  },
  {
    kind: 'timeout',
    codes: ['ETIMEDOUT'],
    pattern: /SOCKET_TIMEOUT/,
    what: 'the host did not answer',
    hint: 'the host did not answer; check --target, the port and firewalls',
  },
  {
    kind: 'reset',
    codes: ['ECONNRESET'],
    what: 'the broker reset the connection',
    hint: 'the broker reset the connection; check the URL scheme (mqtt vs mqtts vs ws) and the TLS settings',
  },
  {
    kind: 'unreachable',
    codes: ['EHOSTUNREACH'],
    pattern: /NO_ROUTE_TO_HOST/,
    what: 'the host is unreachable',
    hint: 'the host is unreachable; check --target and the network',
  },
  {
    kind: 'unreachable',
    codes: ['ENETUNREACH'],
    pattern: /NETWORK_DOWN/,
    what: 'the network is unreachable',
    hint: 'the network is unreachable; check --target and the network',
  },
];

/** The hint when nothing more specific is known about a TLS failure. */
const TLS_HINT =
  'TLS failed: check the CA file (ca:) matches the broker certificate, the server name (servername:), and the client certificate and key (cert:, key:) in the targets file';

/** Hint for a connect that got no CONNACK within its bound. */
export const NO_CONNACK_HINT =
  'is the broker running and reachable? check --target, firewalls, and the port/protocol (mqtt vs mqtts vs ws)';

/** The message every transport gives when no CONNACK came within the bound (the CLI recognizes it). */
export function noConnackMessage(shownUrl: string, timeoutMs: number, clientId: string): string {
  return `no CONNACK from ${shownUrl} within ${timeoutMs} ms (client "${clientId}")`;
}

/** True for a Node or OpenSSL error code that means TLS (handshake, certificates, key files). */
export function isTlsCode(code: string): boolean {
  return (
    code.startsWith('ERR_TLS') ||
    code.startsWith('ERR_SSL') ||
    code.startsWith('ERR_OSSL') ||
    code.includes('CERT') ||
    code === 'EPROTO' ||
    code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' ||
    code === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'
  );
}

/** CRT error names and texts that mean TLS (the SDK reports "TLS negotiation failed" and the like). */
const CRT_TLS = /TLS|SSL|CERT|X509|PEM/i;

/** mqtt-packet could not parse the first bytes: whatever answered is not an MQTT broker. */
const NOT_MQTT = /header flag bits|Invalid (?:packet|protocol)|Packet too short|Malformed/i;

/**
 * What a connect error means. `code` is Node's error code (empty when there is none); `message`
 * the error text (the CRT puts its error name there). Unknown failures come back as `unknown`
 * with a generic hint.
 */
export function classifyConnectError(code: string, message: string): ConnectProblem {
  const tls = TLS_PROBLEMS.find((p) => p.codes.includes(code));
  if (tls !== undefined) return pick(tls);
  if (isTlsCode(code)) {
    // OpenSSL's text ("803C...:error:0A00045C:SSL routines:...") helps nobody; the code says more.
    const what = /SSL routines|error:[0-9A-F]{8}/.test(message) ? code : message;
    return { kind: 'tls', what, hint: TLS_HINT };
  }
  const network =
    NETWORK_PROBLEMS.find((p) => p.codes.includes(code)) ??
    (code === '' ? NETWORK_PROBLEMS.find((p) => p.pattern?.test(message) === true) : undefined);
  if (network !== undefined) return pick(network);
  if (code === '' && CRT_TLS.test(message)) return { kind: 'tls', what: message, hint: TLS_HINT };
  if (code === '' && NOT_MQTT.test(message)) {
    return {
      kind: 'not-mqtt',
      what: message,
      hint: 'check the port and scheme of the target: mqtt:// (1883), mqtts:// (8883), ws:// or wss:// with the /mqtt path',
    };
  }
  return { kind: 'unknown', what: message, hint: 'is the broker running and reachable? check --target' };
}

/**
 * True when an error message says the broker could not be reached at all (refused, unresolved,
 * unreachable, timed out, or no CONNACK): the CLI then adds where to look.
 */
export function isUnreachableMessage(message: string): boolean {
  if (message.includes('no CONNACK')) return true;
  return NETWORK_PROBLEMS.some(
    (p) => p.kind !== 'reset' && (p.codes.some((c) => message.includes(c)) || p.pattern?.test(message)),
  );
}

/** Hint for a refused CONNACK [MQTT-3.2.2-6] (MQTT 5 reason code or 3.1.1 return code). */
export function connackHint(
  code: number,
  protocol: ProtocolVersion,
  auth?: 'mtls' | 'sigv4' | 'custom-authorizer',
): string {
  const v311 = protocol === '3.1.1';
  const badCredentials = v311 ? code === 4 : code === 0x86;
  const notAuthorized = v311 ? code === 5 : code === 0x87;
  if (auth !== undefined && (badCredentials || notAuthorized)) {
    return auth === 'custom-authorizer'
      ? 'the custom authorizer refused: check the authorizer name, token and signature'
      : 'not authorized: check the policy attached to the certificate or identity (iot:Connect on this client id)';
  }
  if (badCredentials) return 'check username and password for the target';
  if (notAuthorized)
    return 'the broker does not allow this client: check credentials, the client id, and the broker policy';
  if ((v311 && code === 2) || (!v311 && code === 0x85))
    return 'the broker rejected the client id; check clientId';
  if ((v311 && code === 1) || (!v311 && code === 0x84))
    return 'the broker does not speak this protocol version; set protocol: "3.1.1" or "5" for the client';
  return 'see the broker log for why it refused the connection';
}

/** The text of any thrown value: Error message, the CRT's `error_name`, or String(). */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err !== null) {
    const e = err as { error_name?: unknown; message?: unknown };
    if (typeof e.message === 'string') return e.message;
    if (typeof e.error_name === 'string') return e.error_name;
  }
  return String(err);
}

function pick(row: ProblemRow): ConnectProblem {
  return { kind: row.kind, what: row.what, hint: row.hint };
}
