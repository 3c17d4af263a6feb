import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { type AckCmd, encodeAck, encodePublish } from './encode.js';

function parseOne(buffer: Buffer, protocolVersion: 4 | 5): Packet {
  const parser = mqttPacket.parser({ protocolVersion });
  const packets: Packet[] = [];
  let failure: Error | undefined;
  parser.on('packet', (p: Packet) => packets.push(p));
  parser.on('error', (e: Error) => {
    failure = e;
  });
  parser.parse(buffer);
  assert.equal(failure, undefined);
  assert.equal(packets.length, 1, 'exactly one packet, no bytes left over');
  return packets[0] as Packet;
}

test('encodePublish parses back to the same PUBLISH (3.1.1 and 5, every QoS, flags, sizes)', () => {
  fc.assert(
    fc.property(
      fc
        .string({ minLength: 1, maxLength: 80, unit: 'grapheme' })
        .filter((t) => !/[+#]/.test(t) && !t.includes('\u0000')),
      fc.uint8Array({ maxLength: 300 }),
      fc.constantFrom(0, 1, 2),
      fc.boolean(),
      fc.boolean(),
      fc.integer({ min: 1, max: 65_535 }),
      fc.constantFrom(4, 5),
      (topic, bytes, qos, retain, dupAsked, packetId, version) => {
        const payload = Buffer.from(bytes);
        // [MQTT-3.3.1-2] DUP only with QoS > 0.
        const dup = qos > 0 && dupAsked;
        const buffer = encodePublish(topic, payload, qos as 0 | 1 | 2, retain, dup, packetId, version === 5);
        assert.ok(buffer);
        const packet = parseOne(buffer, version as 4 | 5) as mqttPacket.IPublishPacket;
        assert.equal(packet.cmd, 'publish');
        assert.equal(packet.topic, topic);
        assert.deepEqual(Buffer.from(packet.payload as Buffer), payload);
        assert.equal(packet.qos, qos);
        assert.equal(packet.retain, retain);
        assert.equal(packet.dup, dup);
        if (qos > 0) assert.equal(packet.messageId, packetId);
        // Same bytes as mqtt-packet's own encoder.
        const reference = mqttPacket.generate(
          { cmd: 'publish', topic, payload, qos: qos as 0 | 1 | 2, retain, dup, messageId: packetId },
          { protocolVersion: version },
        );
        assert.deepEqual(buffer, reference);
      },
    ),
    { numRuns: 300 },
  );
});

test('encodePublish handles a payload that needs a 3-byte remaining length', () => {
  const payload = Buffer.alloc(20_000, 7);
  const buffer = encodePublish('a/b', payload, 1, false, false, 9, false) as Buffer;
  const packet = parseOne(buffer, 4) as mqttPacket.IPublishPacket;
  assert.equal((packet.payload as Buffer).length, 20_000);
  assert.equal(packet.messageId, 9);
});

test('encodeAck: PUBACK/PUBREC/PUBREL/PUBCOMP with and without a reason code', () => {
  for (const cmd of ['puback', 'pubrec', 'pubrel', 'pubcomp'] as AckCmd[]) {
    for (const version of [4, 5] as const) {
      const plain = parseOne(encodeAck(cmd, 4242), version) as mqttPacket.IPubackPacket;
      assert.equal(plain.cmd, cmd);
      assert.equal(plain.messageId, 4242);
      if (version === 5) {
        // MQTT 5 section 3.4.2.1: the 2-byte form means reason 0x00 Success.
        assert.equal(plain.reasonCode ?? 0, 0);
        // 0x87 Not authorized (PUBACK, PUBREC), 0x92 Packet Identifier not found (PUBREL, PUBCOMP).
        const code = cmd === 'puback' || cmd === 'pubrec' ? 0x87 : 0x92;
        const refused = parseOne(encodeAck(cmd, 7, code), 5) as mqttPacket.IPubackPacket;
        assert.equal(refused.messageId, 7);
        assert.equal(refused.reasonCode, code);
      }
    }
  }
});
