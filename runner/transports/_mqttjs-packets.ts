/**
 * Translations between transport.ts and MQTT.js's packet shapes (CONNACK properties, PUBLISH
 * properties, user properties), so mqttjs.ts holds only the session. Internal to
 * runner/transports; no MQTT.js type leaves it except through mqttjs.ts.
 */
import type { IClientPublishOptions, IConnackPacket, IPublishPacket } from 'mqtt';
import { toBuffer } from './_bytes.js';
import type { ConnectResult, PublishProperties } from './transport.js';

export type UserPropertiesObject = Record<string, string | string[]>;
export type UserPropertyPairs = ReadonlyArray<readonly [string, string]>;

export function toConnectResult(connack: IConnackPacket): ConnectResult {
  const result: ConnectResult = {
    sessionPresent: connack.sessionPresent === true,
    reasonCode: connack.reasonCode ?? connack.returnCode ?? 0,
  };
  const p = connack.properties;
  if (p !== undefined) {
    if (p.assignedClientIdentifier !== undefined) result.assignedClientId = p.assignedClientIdentifier;
    if (p.serverKeepAlive !== undefined) result.serverKeepAlive = p.serverKeepAlive;
    if (p.sessionExpiryInterval !== undefined) result.sessionExpiry = p.sessionExpiryInterval;
    if (p.receiveMaximum !== undefined) result.receiveMaximum = p.receiveMaximum;
    if (p.maximumQoS !== undefined) result.maximumQoS = p.maximumQoS;
    if (p.topicAliasMaximum !== undefined) result.topicAliasMaximum = p.topicAliasMaximum;
    if (p.maximumPacketSize !== undefined) result.maximumPacketSize = p.maximumPacketSize;
    if (p.subscriptionIdentifiersAvailable === false) result.subscriptionIdentifiersAvailable = false;
  }
  return result;
}

/** Contract pairs → MQTT.js's object form; a repeated key becomes an array [MQTT-3.3.2-18]. */
export function toUserPropertiesObject(pairs: UserPropertyPairs): UserPropertiesObject {
  const out: UserPropertiesObject = {};
  for (const [k, v] of pairs) {
    const prev = out[k];
    if (prev === undefined) out[k] = v;
    else if (Array.isArray(prev)) prev.push(v);
    else out[k] = [prev, v];
  }
  return out;
}

function fromUserPropertiesObject(obj: UserPropertiesObject): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    if (Array.isArray(v)) for (const one of v) out.push([k, one]);
    else if (v !== undefined) out.push([k, v]);
  }
  return out;
}

export function toPacketProperties(p: PublishProperties): NonNullable<IClientPublishOptions['properties']> {
  const out: NonNullable<IClientPublishOptions['properties']> = {};
  if (p.messageExpiryInterval !== undefined) out.messageExpiryInterval = p.messageExpiryInterval;
  if (p.userProperties !== undefined) out.userProperties = toUserPropertiesObject(p.userProperties);
  if (p.contentType !== undefined) out.contentType = p.contentType;
  if (p.responseTopic !== undefined) out.responseTopic = p.responseTopic;
  if (p.correlationData !== undefined) out.correlationData = toBuffer(p.correlationData);
  if (p.payloadFormatIndicator !== undefined) out.payloadFormatIndicator = p.payloadFormatIndicator;
  if (p.topicAlias !== undefined) out.topicAlias = p.topicAlias;
  return out;
}

export function fromPacketProperties(p: NonNullable<IPublishPacket['properties']>): PublishProperties {
  const out: PublishProperties = {};
  if (p.messageExpiryInterval !== undefined) out.messageExpiryInterval = p.messageExpiryInterval;
  if (p.userProperties !== undefined) out.userProperties = fromUserPropertiesObject(p.userProperties);
  if (p.contentType !== undefined) out.contentType = p.contentType;
  if (p.responseTopic !== undefined) out.responseTopic = p.responseTopic;
  if (p.correlationData !== undefined) out.correlationData = p.correlationData;
  if (p.payloadFormatIndicator !== undefined) out.payloadFormatIndicator = p.payloadFormatIndicator;
  if (p.topicAlias !== undefined) out.topicAlias = p.topicAlias;
  return out;
}
