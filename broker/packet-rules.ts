/**
 * Wire rules mqtt-packet's parser does not check, applied before a packet reaches its handler:
 * - UTF-8 Encoded Strings must be well-formed [MQTT-1.5.4-1] and contain no U+0000 [MQTT-1.5.4-2]
 *   (mqtt-packet decodes invalid bytes to U+FFFD and accepts U+0000): a Malformed Packet;
 * - one-byte properties that only take 0 or 1 (Payload Format Indicator, Request Problem / Response
 *   Information, ...) with another value: a Protocol Error (MQTT 5 sections 3.3.2.3.2, 3.1.2.11.6);
 * - a property that is not defined for its packet type (e.g. Session Expiry Interval in SUBSCRIBE):
 *   a Malformed Packet (MQTT 5 section 2.2.2.2).
 */
import { isUtf8 } from 'node:buffer';
import type { Packet } from 'mqtt-packet';

/** An error of the byte stream with the MQTT 5 reason code the server disconnects with. */
export class WireError extends Error {
  readonly reasonCode: number;
  constructor(message: string, reasonCode: number) {
    super(message);
    this.name = 'WireError';
    this.reasonCode = reasonCode;
  }
}

/** The parts of mqtt-packet's Parser (parser.js) these checks hook into. */
interface ParserInternals {
  _list: { slice(start: number, end: number): Buffer; length: number };
  _pos: number;
  packet: { length: number };
  _parseNum(): number;
  _parseByte(): number;
  _parseString(): string | null;
  _parseByType(type: string): unknown;
  _emitError(error: Error): void;
}

/**
 * Installs the string and byte-property checks on one parser instance (mqtt-packet has no option
 * for them; its `_parseString` and `_parseByType` are replaced on the instance only).
 */
export function hardenParser(parser: unknown): void {
  const p = parser as ParserInternals;
  const parseByType = p._parseByType.bind(p);
  p._parseString = function parseString(this: ParserInternals): string | null {
    const length = this._parseNum();
    const end = length + this._pos;
    if (length === -1 || end > this._list.length || end > this.packet.length) return null;
    const bytes = this._list.slice(this._pos, end);
    this._pos = end;
    if (!isUtf8(bytes)) {
      this._emitError(new WireError('a string is not well-formed UTF-8 [MQTT-1.5.4-1]', 0x81));
      return null;
    }
    if (bytes.includes(0)) {
      this._emitError(new WireError('a string contains U+0000 [MQTT-1.5.4-2]', 0x81));
      return null;
    }
    return bytes.toString('utf8');
  };
  p._parseByType = function parseTyped(this: ParserInternals, type: string): unknown {
    if (type !== 'byte') return parseByType(type);
    const value = this._parseByte();
    if (value > 1) {
      this._emitError(new WireError(`a one-byte property has the value ${value}, not 0 or 1`, 0x82));
    }
    return value !== 0;
  };
}

/** Properties a client may send, per packet type (MQTT 5 sections 3.1.2.11, 3.3.2.3, 3.4.2.2, 3.8.2.1, ...). */
const ALLOWED: Partial<Record<Packet['cmd'], ReadonlySet<string>>> = {
  connect: new Set([
    'sessionExpiryInterval',
    'receiveMaximum',
    'maximumPacketSize',
    'topicAliasMaximum',
    'requestResponseInformation',
    'requestProblemInformation',
    'userProperties',
    'authenticationMethod',
    'authenticationData',
  ]),
  publish: new Set([
    'payloadFormatIndicator',
    'messageExpiryInterval',
    'topicAlias',
    'responseTopic',
    'correlationData',
    'userProperties',
    // Not allowed from a client either, but answered with its own rule [MQTT-3.3.4-6] (0x82).
    'subscriptionIdentifier',
    'contentType',
  ]),
  puback: new Set(['reasonString', 'userProperties']),
  pubrec: new Set(['reasonString', 'userProperties']),
  pubrel: new Set(['reasonString', 'userProperties']),
  pubcomp: new Set(['reasonString', 'userProperties']),
  subscribe: new Set(['subscriptionIdentifier', 'userProperties']),
  unsubscribe: new Set(['userProperties']),
  disconnect: new Set(['sessionExpiryInterval', 'reasonString', 'userProperties', 'serverReference']),
  auth: new Set(['authenticationMethod', 'authenticationData', 'reasonString', 'userProperties']),
};

const WILL_ALLOWED: ReadonlySet<string> = new Set([
  'willDelayInterval',
  'payloadFormatIndicator',
  'messageExpiryInterval',
  'contentType',
  'responseTopic',
  'correlationData',
  'userProperties',
]);

/** A property the packet type does not define (MQTT 5 section 2.2.2.2), or undefined. */
export function undefinedProperty(packet: Packet): string | undefined {
  const allowed = ALLOWED[packet.cmd];
  const properties = (packet as { properties?: Record<string, unknown> }).properties;
  if (allowed && properties) {
    for (const name of Object.keys(properties)) if (!allowed.has(name)) return name;
  }
  if (packet.cmd === 'connect' && packet.will?.properties) {
    for (const name of Object.keys(packet.will.properties))
      if (!WILL_ALLOWED.has(name)) return `will ${name}`;
  }
  return undefined;
}
