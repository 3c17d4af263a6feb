import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  classifyConnectError,
  connackHint,
  isUnreachableMessage,
  noConnackMessage,
} from './connect-errors.js';

test('Node codes and AWS CRT error names map to the same problems', () => {
  assert.equal(classifyConnectError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9').kind, 'refused');
  assert.equal(classifyConnectError('', 'AWS_IO_SOCKET_CONNECTION_REFUSED').kind, 'refused');
  assert.equal(classifyConnectError('ENOTFOUND', 'getaddrinfo ENOTFOUND x.invalid').kind, 'unresolved');
  assert.equal(classifyConnectError('', 'AWS_IO_DNS_INVALID_NAME').kind, 'unresolved');
  assert.equal(classifyConnectError('', 'AWS_IO_SOCKET_NO_ROUTE_TO_HOST').kind, 'unreachable');
  assert.equal(classifyConnectError('', 'AWS_IO_TLS_ERROR_NEGOTIATION_FAILURE').kind, 'tls');
  const ca = classifyConnectError(
    'SELF_SIGNED_CERT_IN_CHAIN',
    'self-signed certificate in certificate chain',
  );
  assert.equal(ca.kind, 'tls');
  assert.match(ca.hint, /set ca: to the CA file/);
  // OpenSSL's own text is replaced by the code.
  const openssl = classifyConnectError('ERR_SSL_SOMETHING_NEW', '80:error:0A00045C:SSL routines::x');
  assert.equal(openssl.what, 'ERR_SSL_SOMETHING_NEW');
  assert.equal(
    classifyConnectError('', 'Invalid header flag bits, must be 0x0 for puback packet').kind,
    'not-mqtt',
  );
  assert.equal(classifyConnectError('', 'something else').kind, 'unknown');
});

test('isUnreachableMessage: the CLI adds where to look only when the broker was not reached', () => {
  assert.ok(
    isUnreachableMessage('cannot connect client "a" to mqtt://127.0.0.1:9: connect ECONNREFUSED 127.0.0.1:9'),
  );
  assert.ok(isUnreachableMessage(noConnackMessage('mqtt://h:1883', 1000, 'a')));
  assert.ok(isUnreachableMessage('cannot connect client "a" to mqtts://h:8883: AWS_IO_SOCKET_TIMEOUT'));
  assert.ok(!isUnreachableMessage('mqtt://h refused the connection of client "a": Not authorized (0x87)'));
  assert.ok(
    !isUnreachableMessage(
      'TLS connection of client "a" to mqtts://h failed: the broker certificate is not signed by a trusted CA',
    ),
  );
});

test('connackHint: by protocol, in AWS IoT terms when the auth is known', () => {
  assert.match(connackHint(0x86, '5'), /username and password/);
  assert.match(connackHint(4, '3.1.1'), /username and password/);
  assert.match(connackHint(0x87, '5', 'mtls'), /policy attached to the certificate/);
  assert.match(connackHint(5, '3.1.1', 'custom-authorizer'), /custom authorizer refused/);
  assert.match(connackHint(0x85, '5', 'sigv4'), /client id/);
  assert.match(connackHint(0x84, '5'), /protocol version/);
  assert.match(connackHint(0x9f, '5'), /broker log/);
});
