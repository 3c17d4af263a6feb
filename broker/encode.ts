/**
 * Encoders for the packets on the message path (PUBLISH without properties, the four acks), written
 * by hand because mqtt-packet's `generate` builds an EventEmitter-based accumulator per packet,
 * which was the broker's largest per-message cost. Everything else still goes through mqtt-packet.
 * The output parses back to the same packet with mqtt-packet's parser (encode.test.ts).
 */

const ACK_TYPE = { puback: 0x40, pubrec: 0x50, pubrel: 0x62, pubcomp: 0x70 } as const;

export type AckCmd = keyof typeof ACK_TYPE;

/**
 * PUBACK / PUBREC / PUBREL / PUBCOMP. MQTT 5 with reason 0x00 and no properties uses the 2-byte
 * form (MQTT 5 sections 3.4.2.1, 3.5.2.1, 3.6.2.1, 3.7.2.1); PUBREL has flags 0010 [MQTT-3.6.1-1].
 */
export function encodeAck(cmd: AckCmd, packetId: number, reasonCode = 0): Buffer {
  if (reasonCode === 0) {
    const buffer = Buffer.allocUnsafe(4);
    buffer[0] = ACK_TYPE[cmd];
    buffer[1] = 2;
    buffer[2] = packetId >> 8;
    buffer[3] = packetId & 0xff;
    return buffer;
  }
  const buffer = Buffer.allocUnsafe(5);
  buffer[0] = ACK_TYPE[cmd];
  buffer[1] = 3;
  buffer[2] = packetId >> 8;
  buffer[3] = packetId & 0xff;
  buffer[4] = reasonCode;
  return buffer;
}

/** Bytes of a Variable Byte Integer [MQTT-1.5.5]. */
function varIntLength(value: number): number {
  if (value < 128) return 1;
  if (value < 16_384) return 2;
  if (value < 2_097_152) return 3;
  return 4;
}

function writeVarInt(buffer: Buffer, offset: number, value: number): number {
  let v = value;
  do {
    let byte = v % 128;
    v = Math.floor(v / 128);
    if (v > 0) byte |= 0x80;
    buffer[offset++] = byte;
  } while (v > 0);
  return offset;
}

/**
 * PUBLISH without properties. `v5` adds the empty Property Length; `packetId` is required for
 * QoS > 0 [MQTT-2.2.1-2]. Returns undefined when the packet would exceed the MQTT size limit.
 */
export function encodePublish(
  topic: string,
  payload: Buffer,
  qos: 0 | 1 | 2,
  retain: boolean,
  dup: boolean,
  packetId: number | undefined,
  v5: boolean,
): Buffer | undefined {
  const topicLength = Buffer.byteLength(topic);
  if (topicLength > 65_535) return undefined;
  const remaining = 2 + topicLength + (qos > 0 ? 2 : 0) + (v5 ? 1 : 0) + payload.length;
  if (remaining > 268_435_455) return undefined;
  const buffer = Buffer.allocUnsafe(1 + varIntLength(remaining) + remaining);
  buffer[0] = 0x30 | (dup ? 0x08 : 0) | (qos << 1) | (retain ? 0x01 : 0);
  let offset = writeVarInt(buffer, 1, remaining);
  buffer[offset++] = topicLength >> 8;
  buffer[offset++] = topicLength & 0xff;
  offset += buffer.write(topic, offset, topicLength, 'utf8');
  if (qos > 0) {
    const id = packetId ?? 0;
    buffer[offset++] = id >> 8;
    buffer[offset++] = id & 0xff;
  }
  if (v5) buffer[offset++] = 0;
  payload.copy(buffer, offset);
  return buffer;
}
