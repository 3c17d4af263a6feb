import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeInsecurity } from './insecurity.js';

test('rejectUnauthorized: false on a TLS URL is named', () => {
  const found = describeInsecurity({ url: 'mqtts://broker.example:8883', rejectUnauthorized: false }, {});
  assert.equal(found.length, 1);
  assert.match(found[0] ?? '', /rejectUnauthorized: false/);
  assert.match(found[0] ?? '', /any server can pose as this broker/);
});

test('NODE_TLS_REJECT_UNAUTHORIZED=0 is named for a TLS target only', () => {
  const env = { NODE_TLS_REJECT_UNAUTHORIZED: '0' };
  assert.match(
    describeInsecurity({ url: 'wss://b.example/mqtt' }, env)[0] ?? '',
    /NODE_TLS_REJECT_UNAUTHORIZED=0/,
  );
  assert.match(describeInsecurity({ url: 'x', tls: true }, env)[0] ?? '', /NODE_TLS_REJECT_UNAUTHORIZED=0/);
  assert.deepEqual(describeInsecurity({ url: 'mqtt://127.0.0.1:1883' }, env), []);
});

test('a password over plaintext to a remote host is named; loopback and TLS are not', () => {
  assert.match(
    describeInsecurity({ url: 'mqtt://broker.example:1883', hasPassword: true }, {})[0] ?? '',
    /password is sent unencrypted \(mqtt:\/\//,
  );
  assert.deepEqual(describeInsecurity({ url: 'mqtt://127.0.0.1:1883', hasPassword: true }, {}), []);
  assert.deepEqual(describeInsecurity({ url: 'ws://localhost:8080/mqtt', hasPassword: true }, {}), []);
  assert.deepEqual(describeInsecurity({ url: 'mqtts://broker.example', hasPassword: true }, {}), []);
});

test('verification on (default) and no secrets: nothing to say', () => {
  assert.deepEqual(describeInsecurity({ url: 'mqtts://broker.example', rejectUnauthorized: true }, {}), []);
  assert.deepEqual(describeInsecurity({ url: 'mqtt://broker.example' }, {}), []);
});
