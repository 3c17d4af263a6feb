import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  formatReason,
  isFailure,
  reasonCode,
  reasonCodeNames,
  reasonName,
  reasonText,
} from './reason-codes.js';

test('names and numbers map both ways', () => {
  assert.equal(reasonCode('not-authorized'), 0x87);
  assert.equal(reasonCode('Not authorized'), 0x87);
  assert.equal(reasonCode('0x87'), 0x87);
  assert.equal(reasonCode('135'), 0x87);
  assert.equal(reasonCode('no-matching-subscribers'), 0x10);
  assert.equal(reasonCode('failure'), 0x80);
  assert.equal(reasonCode('no-such-thing'), undefined);
  assert.equal(reasonCode('999'), undefined);
  assert.equal(reasonName(0x87), 'not-authorized');
  for (const name of reasonCodeNames) {
    const code = reasonCode(name);
    assert.notEqual(code, undefined, name);
  }
});

test('0x00 means different things per packet', () => {
  assert.equal(reasonText(0, 'connack'), 'Success');
  assert.equal(reasonText(0, 'disconnect'), 'Normal disconnection');
  assert.equal(reasonText(0, 'suback'), 'Granted QoS 0');
  assert.equal(reasonText(0x10, 'puback'), 'No matching subscribers');
  assert.equal(reasonName(0x04, 'disconnect'), 'disconnect-with-will-message');
});

test('MQTT 3.1.1 CONNACK return codes differ from MQTT 5 codes', () => {
  assert.equal(reasonText(5, 'connack', '3.1.1'), 'Connection Refused, not authorized');
  assert.equal(reasonText(4, 'connack', '3.1.1'), 'Connection Refused, bad user name or password');
  assert.equal(reasonText(0x80, 'suback', '3.1.1'), 'Failure');
  assert.equal(isFailure(5, 'connack', '3.1.1'), true);
  assert.equal(isFailure(0x10, 'puback'), false);
  assert.equal(isFailure(0x87, 'puback'), true);
});

test('unknown codes are shown, not thrown', () => {
  assert.equal(reasonText(0x7f), 'Unknown reason code 0x7f');
  assert.equal(formatReason(0x87, 'connack'), '0x87 Not authorized');
});
