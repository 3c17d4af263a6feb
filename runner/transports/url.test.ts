import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isBrokerScheme, looksLikeBrokerUrl, redactUrl } from './url.js';

test('redactUrl: passwords and credential query values never show; the rest stays', () => {
  assert.equal(redactUrl('mqtt://127.0.0.1:1883'), 'mqtt://127.0.0.1:1883');
  assert.equal(redactUrl('mqtts://alice:pw@host:8883'), 'mqtts://alice:***@host:8883');
  const signed = redactUrl(
    'wss://a.iot.eu-west-1.amazonaws.com/mqtt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260101&X-Amz-Date=20260101T000000Z&X-Amz-Signature=abc123&X-Amz-Security-Token=tok%2Bx',
  );
  assert.doesNotMatch(signed, /abc123|tok|AKID/);
  assert.match(signed, /X-Amz-Algorithm=AWS4-HMAC-SHA256&/);
  assert.match(signed, /X-Amz-Date=20260101T000000Z/);
  assert.match(
    redactUrl('wss://h/mqtt?token=t1&token=t2&x-amz-customauthorizer-signature=s'),
    /token=\*\*\*/,
  );
  assert.doesNotMatch(
    redactUrl('wss://h/mqtt?token=t1&token=t2&x-amz-customauthorizer-signature=s'),
    /t1|t2|=s\b/,
  );
  assert.equal(redactUrl('not a url://bob:pw@x'), 'not a url://***@x');
});

test('broker URL schemes: one list for transports, targets and the CLI', () => {
  for (const s of ['mqtt:', 'tcp:', 'mqtts:', 'ssl:', 'tls:', 'ws:', 'wss:']) assert.ok(isBrokerScheme(s), s);
  assert.ok(!isBrokerScheme('http:'));
  assert.ok(!isBrokerScheme('constructor'));
  assert.ok(looksLikeBrokerUrl('mqtts://host:8883'));
  assert.ok(!looksLikeBrokerUrl('local'));
  assert.ok(!looksLikeBrokerUrl('https://host'));
});
