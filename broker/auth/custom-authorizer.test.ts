import assert from 'node:assert/strict';
import { createSign, generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import type { ClientIdentity } from '../authorizer.js';
import { BrokerConfigError } from '../errors.js';
import {
  type CustomAuthorizerEvent,
  createCustomAuthorizer,
  parseAuthorizerUsername,
} from './custom-authorizer.js';

const signer = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicPem = signer.publicKey.export({ type: 'spki', format: 'pem' }).toString();

function sign(token: string, key = signer.privateKey): string {
  return createSign('RSA-SHA256').update(token).sign(key, 'base64');
}

function client(username: string | undefined, more: Partial<ClientIdentity> = {}): ClientIdentity {
  return {
    clientId: 'device-1',
    protocolVersion: 5,
    listener: 'mqtts',
    ...(username !== undefined ? { username } : {}),
    ...more,
  };
}

const request = { clean: true, sessionExpiryInterval: 0 };

test('username query: parameters decoded, unknown ones kept aside, "?" never part of the username', () => {
  const parsed = parseAuthorizerUsername(
    'alice?x-amz-customauthorizer-name=my%20auth&token=abc&x-amz-customauthorizer-signature=a%2Bb%3D&SDK=NodeJSv2&Version=1.0',
  );
  assert.equal(parsed.username, 'alice');
  assert.equal(parsed.params.get('x-amz-customauthorizer-name'), 'my auth');
  assert.equal(parsed.params.get('token'), 'abc');
  assert.equal(parsed.params.get('x-amz-customauthorizer-signature'), 'a+b=');
  assert.equal(parsed.params.get('SDK'), 'NodeJSv2');
  assert.equal(parseAuthorizerUsername('plain').username, 'plain');
  assert.equal(parseAuthorizerUsername('plain').params.size, 0);
});

test('token table: known token authenticates with its principal, others are refused', () => {
  const hook = createCustomAuthorizer({
    authorizers: [{ name: 'tbl', tokenKeyName: 'tok', tokens: { 'good-1': 'Principal1' } }],
  });
  assert.equal(hook.connect?.(client('?x-amz-customauthorizer-name=tbl&tok=good-1'), request), true);
  assert.equal(hook.principalOf('device-1'), 'Principal1');
  assert.equal(hook.connect?.(client('?x-amz-customauthorizer-name=tbl&tok=bad'), request), false);
  assert.equal(hook.connect?.(client('?x-amz-customauthorizer-name=other&tok=good-1'), request), false);
  assert.equal(hook.connect?.(client(undefined), request), false);
  // The SDK's metrics parameters do not disturb the decision.
  assert.equal(
    hook.connect?.(
      client('?SDK=NodeJSv2&Version=1.28.0&x-amz-customauthorizer-name=tbl&tok=good-1'),
      request,
    ),
    true,
  );
});

test('default authorizer applies when the username names none', () => {
  const hook = createCustomAuthorizer({
    authorizers: [{ name: 'dflt', tokenKeyName: 'tok', tokens: { t: 'P' } }],
    defaultAuthorizer: 'dflt',
  });
  assert.equal(hook.connect?.(client('?tok=t'), request), true);
  assert.equal(hook.connect?.(client('?tok=x'), request), false);
});

test('token signing: a valid signature passes, a bad or missing one is refused before the function runs', () => {
  const seen: CustomAuthorizerEvent[] = [];
  const hook = createCustomAuthorizer({
    authorizers: [
      {
        name: 'signed',
        tokenKeyName: 'token',
        tokenSigningPublicKeys: [publicPem],
        handler: (event) => {
          seen.push(event);
          return { isAuthenticated: event.token === 'allow-me', principalId: 'Signed1' };
        },
      },
    ],
  });
  const user = (token: string, sig: string) =>
    `bob?x-amz-customauthorizer-name=signed&token=${token}&x-amz-customauthorizer-signature=${encodeURIComponent(sig)}`;
  assert.equal(
    hook.connect?.(client(user('allow-me', sign('allow-me')), { password: Buffer.from('pw') }), request),
    true,
  );
  assert.equal(seen.length, 1);
  assert.equal(seen[0]?.signatureVerified, true);
  assert.equal(seen[0]?.protocolData.mqtt.username, 'bob');
  assert.equal(seen[0]?.protocolData.mqtt.password, Buffer.from('pw').toString('base64'));
  assert.deepEqual(seen[0]?.protocols, ['tls', 'mqtt']);

  // Signed by another key, signature of another token, no signature: the function is not called.
  assert.equal(hook.connect?.(client(user('allow-me', sign('allow-me', other.privateKey))), request), false);
  assert.equal(hook.connect?.(client(user('allow-me', sign('something-else'))), request), false);
  assert.equal(
    hook.connect?.(client('bob?x-amz-customauthorizer-name=signed&token=allow-me'), request),
    false,
  );
  assert.equal(seen.length, 1);
  // A valid signature on a token the function rejects.
  assert.equal(hook.connect?.(client(user('deny', sign('deny'))), request), false);
  assert.equal(seen.length, 2);
});

test('a bad principal id or a throwing function refuses; certificate and SigV4 clients pass', () => {
  const hook = createCustomAuthorizer({
    authorizers: [
      { name: 'bad', handler: () => ({ isAuthenticated: true, principalId: 'not valid!' }) },
      {
        name: 'boom',
        handler: () => {
          throw new Error('lambda crashed');
        },
      },
    ],
  });
  assert.equal(hook.connect?.(client('?x-amz-customauthorizer-name=bad'), request), false);
  assert.equal(hook.connect?.(client('?x-amz-customauthorizer-name=boom'), request), false);
  assert.equal(hook.connect?.(client(undefined, { certificateCN: 'thing-1' }), request), true);
  assert.equal(hook.connect?.(client(undefined, { listener: 'wss', principal: 'AKID' }), request), true);
});

test('definitions that cannot work are usage errors', () => {
  assert.throws(() => createCustomAuthorizer({ authorizers: [{ name: 'empty' }] }), BrokerConfigError);
  assert.throws(
    () =>
      createCustomAuthorizer({ authorizers: [{ name: 'k', tokens: {}, tokenSigningPublicKeys: ['nope'] }] }),
    /not a PEM public key/,
  );
  assert.throws(
    () => createCustomAuthorizer({ authorizers: [{ name: 'a', tokens: {} }], defaultAuthorizer: 'zzz' }),
    /"zzz" is not defined/,
  );
});
