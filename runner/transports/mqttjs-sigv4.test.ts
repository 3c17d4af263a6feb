/**
 * MQTT.js over WebSocket with SigV4 against the embedded broker's verifying wss listener, offline:
 * the shared contract suite (MQTT 5 and 3.1.1), signing on every connect with credentials from
 * the AWS chain, and refusals that name the cause without showing the signed URL or a secret.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import createDebug from 'debug';
import type { BrokerHandle } from '../../broker/index.js';
import { expectRefused } from '../../test/expect-refused.js';
import {
  AKID,
  REGION,
  SECRET,
  startSecureBroker,
  TEMP_AKID,
  TOKEN,
  testCertificates,
  urlOf,
} from './_aws-test-broker.js';
import { mqttjsSigv4Transport } from './mqttjs-sigv4.js';
import { type ContractEnvironment, describeTransportContract } from './transport.contract.js';
import type { ConnectOptions } from './transport.js';

async function sigv4Environment(): Promise<ContractEnvironment> {
  const set = await testCertificates();
  const open = await startSecureBroker();
  const closed = await startSecureBroker(true);
  // Temporary credentials: the session token travels unsigned after the signature.
  const extra = {
    region: REGION,
    credentials: { accessKeyId: TEMP_AKID, secretAccessKey: SECRET, sessionToken: TOKEN },
  };
  const tls = { ca: set.caCert };
  return {
    transport: mqttjsSigv4Transport,
    target: { url: urlOf(open, 'wss'), tls, extra },
    refusing: { url: urlOf(closed, 'wss'), tls, extra, expect: { '5': [0x87], '3.1.1': [5] } },
    close: async () => {
      await Promise.all([open.close(), closed.close()]);
    },
  };
}

describeTransportContract('mqttjs-sigv4 over WebSocket SigV4, embedded broker', { start: sigv4Environment });

describe('mqttjs-sigv4: signing and refusals', () => {
  let broker: BrokerHandle | undefined;
  let ca = '';
  before(async () => {
    ca = (await testCertificates()).caCert;
    broker = await startSecureBroker();
  });
  after(async () => {
    await broker?.close();
  });

  const base = (
    extra: Record<string, unknown> | undefined,
    more: Partial<ConnectOptions> = {},
  ): ConnectOptions => ({
    url: urlOf(broker as BrokerHandle, 'wss'),
    clientId: `sigv4-${Math.random().toString(16).slice(2, 8)}`,
    protocol: '5',
    clean: true,
    keepalive: 30,
    connectTimeoutMs: 4000,
    tls: { ca },
    ...(extra !== undefined ? { extra } : {}),
    ...more,
  });

  const refused = async (options: ConnectOptions, message: RegExp, hint?: RegExp): Promise<void> => {
    await expectRefused(mqttjsSigv4Transport, options, {
      message,
      hint,
      secrets: [SECRET, TOKEN, 'X-Amz-Signature=', 'X-Amz-Security-Token='],
    });
  };

  test('wrong region, unknown key, wrong secret, missing token: HTTP 403 with the reason', async () => {
    await refused(
      base({ region: 'us-east-1', credentials: { accessKeyId: AKID, secretAccessKey: SECRET } }),
      /refused the SigV4-signed WebSocket upgrade \(HTTP 403: wrong region "us-east-1"/,
      /check region \(now "us-east-1"\)/,
    );
    await refused(
      base({ region: REGION, credentials: { accessKeyId: 'AKIDUNKNOWN', secretAccessKey: SECRET } }),
      /HTTP 403: unknown access key id "AKIDUNKNOWN"/,
    );
    await refused(
      base({ region: REGION, credentials: { accessKeyId: AKID, secretAccessKey: 'wrong' } }),
      /HTTP 403: signature does not match/,
    );
    await refused(
      base({ region: REGION, credentials: { accessKeyId: TEMP_AKID, secretAccessKey: SECRET } }),
      /needs X-Amz-Security-Token/,
    );
  });

  test('credentials come from the AWS chain (environment) and are read again on every connect', async (t) => {
    const saved = { ...process.env };
    t.after(() => {
      for (const k of [
        'AWS_ACCESS_KEY_ID',
        'AWS_SECRET_ACCESS_KEY',
        'AWS_SESSION_TOKEN',
        'AWS_REGION',
        'AWS_PROFILE',
      ]) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    });
    delete process.env.AWS_PROFILE;
    process.env.AWS_REGION = REGION;
    process.env.AWS_ACCESS_KEY_ID = TEMP_AKID;
    process.env.AWS_SECRET_ACCESS_KEY = SECRET;
    process.env.AWS_SESSION_TOKEN = TOKEN;
    const first = await mqttjsSigv4Transport.connect(base(undefined));
    assert.equal(first.connack.reasonCode, 0);
    await first.disconnect({ how: 'graceful' });
    // Rotated credentials: the next connect signs with them (a stale URL would be refused).
    process.env.AWS_ACCESS_KEY_ID = AKID;
    delete process.env.AWS_SESSION_TOKEN;
    const second = await mqttjsSigv4Transport.connect(base(undefined));
    assert.equal(second.connack.reasonCode, 0);
    await second.disconnect({ how: 'graceful' });
    // And a wrong secret in the environment is refused.
    process.env.AWS_SECRET_ACCESS_KEY = 'rotated-away';
    await refused(base(undefined), /signature does not match/);
  });

  test('no credentials anywhere: a TransportError naming the variables to set', async (t) => {
    const saved = { ...process.env };
    t.after(() => {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    });
    for (const k of [
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_SESSION_TOKEN',
      'AWS_PROFILE',
      'AWS_WEB_IDENTITY_TOKEN_FILE',
      'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
      'AWS_CONTAINER_CREDENTIALS_FULL_URI',
    ]) {
      delete process.env[k];
    }
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/mqscen/credentials';
    process.env.AWS_CONFIG_FILE = '/nonexistent/mqscen/config';
    await refused(
      base({ region: REGION }),
      /no AWS credentials found/,
      /AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/,
    );
  });

  test('a non-wss URL and a missing region are refused with the fix', async (t) => {
    await refused(base({ region: REGION }, { url: 'mqtts://127.0.0.1:8883' }), /needs a wss:\/\/ URL/);
    const saved = { r: process.env.AWS_REGION, d: process.env.AWS_DEFAULT_REGION };
    t.after(() => {
      if (saved.r !== undefined) process.env.AWS_REGION = saved.r;
      if (saved.d !== undefined) process.env.AWS_DEFAULT_REGION = saved.d;
    });
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    await refused(
      base({ credentials: { accessKeyId: AKID, secretAccessKey: SECRET } }),
      /no AWS region/,
      /AWS_REGION/,
    );
  });

  test('DEBUG output (mqscen and MQTT.js) never shows the signed query or the token', async (t) => {
    const previous = createDebug.disable();
    createDebug.enable('mqscen:*,mqttjs*');
    const written: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    t.after(() => {
      process.stderr.write = write;
      createDebug.disable();
      if (previous) createDebug.enable(previous);
    });
    const s = await mqttjsSigv4Transport.connect(
      base({
        region: REGION,
        credentials: { accessKeyId: TEMP_AKID, secretAccessKey: SECRET, sessionToken: TOKEN },
      }),
    );
    await s.disconnect({ how: 'graceful' });
    process.stderr.write = write;
    const out = written.join('');
    assert.match(out, /mqscen:transport:mqttjs /, 'the MQTT.js transport did log its connect');
    assert.match(out, /creating new Websocket for url: wss:/, 'MQTT.js did log its WebSocket URL');
    assert.ok(!out.includes(encodeURIComponent(TOKEN)) && !out.includes(TOKEN), 'no session token');
    assert.doesNotMatch(out, /X-Amz-Signature=[0-9a-f]/);
  });

  test('a lost connection reports the unsigned URL only', async () => {
    // A broker of its own: closing it drops the (MQTT 3.1.1) connection without DISCONNECT.
    const own = await startSecureBroker();
    const url = urlOf(own, 'wss');
    const s = await mqttjsSigv4Transport.connect(
      base(
        {
          region: REGION,
          credentials: { accessKeyId: TEMP_AKID, secretAccessKey: SECRET, sessionToken: TOKEN },
        },
        { url, protocol: '3.1.1' },
      ),
    );
    const lost = new Promise<string>((resolve) => s.on('lost', (l) => resolve(l.message)));
    await own.close();
    const message = await Promise.race([
      lost,
      new Promise<string>((_, reject) =>
        setTimeout(() => reject(new Error('no lost event within 5 s')), 5000),
      ),
    ]);
    assert.ok(message.includes(new URL(url).host), message);
    assert.ok(!message.includes('X-Amz-') && !message.includes(TOKEN), message);
  });
});
