import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ensureCertificates } from '../../runner/certs.js';
import { createPresignedUrl } from '../../runner/transports/sigv4-url.js';
import { type SigV4Verdict, type SigV4VerifierOptions, verifySigV4Request } from './sigv4.js';

const AKID = 'AKIDEXAMPLETEST01';
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const TEMP_AKID = 'ASIATEMPORARY0001';
const TEMP_SECRET = 'temp/secret+with=odd&chars';
const TOKEN = 'FwoGZXIvYXdzE+/token==with/slashes&amp;and spaces';

const verifier: SigV4VerifierOptions = {
  region: 'eu-west-1',
  credentials: {
    [AKID]: { secretAccessKey: SECRET, principal: 'test-user' },
    [TEMP_AKID]: { secretAccessKey: TEMP_SECRET, sessionToken: TOKEN },
  },
};

/** The upgrade request a WebSocket client sends for this URL (Host includes a non-default port). */
function asRequest(url: string) {
  const u = new URL(url);
  return { method: 'GET', url: `${u.pathname}${u.search}`, headers: { host: u.host } };
}

function denied(v: SigV4Verdict, pattern: RegExp): void {
  assert.equal(v.ok, false, 'expected a refusal');
  if (!v.ok) {
    assert.equal(v.status, 403);
    assert.match(v.message, pattern);
    assert.ok(!v.message.includes(SECRET) && !v.message.includes(TEMP_SECRET) && !v.message.includes(TOKEN));
  }
}

const sign = (over: Partial<Parameters<typeof createPresignedUrl>[0]> = {}) =>
  createPresignedUrl({
    url: 'wss://localhost:8443/mqtt',
    region: 'eu-west-1',
    credentials: { accessKeyId: AKID, secretAccessKey: SECRET },
    ...over,
  });

test('presigned URL has the A-4 shape', async () => {
  const url = new URL(
    await sign({
      credentials: { accessKeyId: TEMP_AKID, secretAccessKey: TEMP_SECRET, sessionToken: TOKEN },
    }),
  );
  assert.equal(url.protocol, 'wss:');
  assert.equal(url.pathname, '/mqtt');
  const p = url.searchParams;
  assert.equal(p.get('X-Amz-Algorithm'), 'AWS4-HMAC-SHA256');
  assert.match(
    p.get('X-Amz-Credential') ?? '',
    new RegExp(`^${TEMP_AKID}/\\d{8}/eu-west-1/iotdevicegateway/aws4_request$`),
  );
  assert.equal(p.get('X-Amz-SignedHeaders'), 'host');
  assert.match(p.get('X-Amz-Signature') ?? '', /^[0-9a-f]{64}$/);
  assert.equal(p.get('X-Amz-Security-Token'), TOKEN);
  // The token comes after the signature: appended after signing.
  const keys = [...p.keys()];
  assert.equal(keys.at(-1), 'X-Amz-Security-Token');
  assert.ok(keys.indexOf('X-Amz-Signature') < keys.indexOf('X-Amz-Security-Token'));
});

test('sign → verify round trip, permanent and temporary credentials', async () => {
  const ok = verifySigV4Request(asRequest(await sign()), verifier);
  assert.deepEqual(ok, { ok: true, principal: 'test-user', accessKeyId: AKID, region: 'eu-west-1' });
  const temp = verifySigV4Request(
    asRequest(
      await sign({
        credentials: { accessKeyId: TEMP_AKID, secretAccessKey: TEMP_SECRET, sessionToken: TOKEN },
      }),
    ),
    verifier,
  );
  assert.equal(temp.ok, true);
  // Credentials provider form, called at signing time.
  const viaProvider = await sign({
    credentials: async () => ({ accessKeyId: AKID, secretAccessKey: SECRET }),
  });
  assert.equal(verifySigV4Request(asRequest(viaProvider), verifier).ok, true);
});

test('a signature that included the session token is accepted only when allowed', async () => {
  const url = await sign({
    credentials: { accessKeyId: TEMP_AKID, secretAccessKey: TEMP_SECRET, sessionToken: TOKEN },
    signSessionToken: true,
  });
  assert.equal(verifySigV4Request(asRequest(url), verifier).ok, true);
  denied(
    verifySigV4Request(asRequest(url), { ...verifier, acceptSignedSessionToken: false }),
    /signature does not match/,
  );
});

test('each tampering is refused with its own message', async () => {
  const good = await sign();
  const tamper = (fn: (u: URL) => void) => {
    const u = new URL(good);
    fn(u);
    return asRequest(u.toString());
  };

  const sig = new URL(good).searchParams.get('X-Amz-Signature') ?? '';
  const flipped = `${sig.slice(0, -1)}${sig.endsWith('0') ? '1' : '0'}`;
  denied(
    verifySigV4Request(
      tamper((u) => u.searchParams.set('X-Amz-Signature', flipped)),
      verifier,
    ),
    /signature does not match/,
  );
  denied(
    verifySigV4Request(
      tamper((u) => u.searchParams.append('extra', '1')),
      verifier,
    ),
    /signature does not match/,
  );
  denied(
    verifySigV4Request({ ...asRequest(good), headers: { host: 'localhost:9999' } }, verifier),
    /signature does not match/,
  );
  denied(
    verifySigV4Request(
      tamper((u) => {
        u.pathname = '/other';
      }),
      verifier,
    ),
    /path "\/other"/,
  );
  denied(
    verifySigV4Request(
      tamper((u) => u.searchParams.delete('X-Amz-Date')),
      verifier,
    ),
    /not a SigV4 presigned URL/,
  );

  denied(
    verifySigV4Request(asRequest(await sign({ region: 'us-east-1' })), verifier),
    /wrong region "us-east-1"/,
  );
  denied(verifySigV4Request(asRequest(await sign({ service: 'iot' })), verifier), /wrong service "iot"/);
  denied(
    verifySigV4Request(
      asRequest(await sign({ credentials: { accessKeyId: 'AKIDUNKNOWN', secretAccessKey: SECRET } })),
      verifier,
    ),
    /unknown access key id "AKIDUNKNOWN"/,
  );
  denied(
    verifySigV4Request(
      asRequest(await sign({ credentials: { accessKeyId: AKID, secretAccessKey: 'wrong-secret' } })),
      verifier,
    ),
    /signature does not match/,
  );

  const old = new Date(Date.now() - 10 * 60_000);
  denied(
    verifySigV4Request(asRequest(await sign({ signingDate: old, expiresInSeconds: 60 })), verifier),
    /signature expired/,
  );
  // Within X-Amz-Expires but older than the skew bound: still valid (presigned URLs live that long).
  assert.equal(
    verifySigV4Request(asRequest(await sign({ signingDate: old, expiresInSeconds: 3600 })), verifier).ok,
    true,
  );
  denied(
    verifySigV4Request(asRequest(await sign({ signingDate: new Date(Date.now() + 60 * 60_000) })), verifier),
    /in the future/,
  );
  // Without X-Amz-Expires (the AWS CRT form), the skew bound limits the age.
  const noExpires = tamper((u) => u.searchParams.delete('X-Amz-Expires'));
  denied(
    verifySigV4Request(noExpires, { ...verifier, now: () => Date.now() + 16 * 60_000 }),
    /signature expired/,
  );

  // Temporary credentials: the token is required and must be the right one.
  const temp = await sign({
    credentials: { accessKeyId: TEMP_AKID, secretAccessKey: TEMP_SECRET, sessionToken: TOKEN },
  });
  const noToken = new URL(temp);
  noToken.searchParams.delete('X-Amz-Security-Token');
  denied(verifySigV4Request(asRequest(noToken.toString()), verifier), /needs X-Amz-Security-Token/);
  const otherToken = new URL(temp);
  otherToken.searchParams.set('X-Amz-Security-Token', 'forged');
  denied(verifySigV4Request(asRequest(otherToken.toString()), verifier), /does not belong/);
});

test('verifies the URL the AWS IoT Device SDK v2 (AWS CRT signer) produces', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mqscen-sigv4-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const certs = await ensureCertificates(dir);
  const seen: Array<{ url: string; host: string; verdict: SigV4Verdict }> = [];
  const server = https.createServer({ cert: certs.serverCert, key: certs.serverKey });
  server.on('upgrade', (req, socket) => {
    const verdict = verifySigV4Request(req, verifier);
    seen.push({ url: req.url ?? '', host: req.headers.host ?? '', verdict });
    socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server.address() as AddressInfo).port;

  const { auth, iot, mqtt5 } = await import('aws-iot-device-sdk-v2');
  const attempt = async (
    region: string,
    credentials: ReturnType<typeof auth.AwsCredentialsProvider.newStatic>,
  ) => {
    const builder = iot.AwsIotMqtt5ClientConfigBuilder.newWebsocketMqttBuilderWithSigv4Auth('localhost', {
      region,
      credentialsProvider: credentials,
    });
    builder.withPort(port);
    builder.withCertificateAuthority(certs.caCert);
    builder.withConnectProperties({ clientId: 'sdk-sigv4', keepAliveIntervalSeconds: 30 });
    const client = new mqtt5.Mqtt5Client(builder.build());
    const before = seen.length;
    const failed = new Promise<void>((resolve) => client.once('connectionFailure', () => resolve()));
    client.start();
    await Promise.race([failed, new Promise((r) => setTimeout(r, 10_000))]);
    client.stop();
    client.close();
    assert.ok(seen.length > before, 'the SDK reached the server');
    return seen[before] as (typeof seen)[number];
  };

  const permanent = await attempt('eu-west-1', auth.AwsCredentialsProvider.newStatic(AKID, SECRET));
  assert.match(permanent.url, /^\/mqtt\?/);
  assert.equal(permanent.verdict.ok, true, JSON.stringify(permanent));

  const temporary = await attempt(
    'eu-west-1',
    auth.AwsCredentialsProvider.newStatic(TEMP_AKID, TEMP_SECRET, TOKEN),
  );
  assert.equal(temporary.verdict.ok, true, JSON.stringify(temporary));

  const wrongRegion = await attempt('us-west-2', auth.AwsCredentialsProvider.newStatic(AKID, SECRET));
  denied(wrongRegion.verdict, /wrong region/);
});
