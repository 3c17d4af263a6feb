import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findMosquitto, type MosquittoTarget, startMosquittoTarget } from '../targets/mosquitto.js';
import { mqttjsTransport } from './mqttjs.js';
import { type ContractEnvironment, describeTransportContract } from './transport.contract.js';

const mosquittoMissing = (() => {
  try {
    findMosquitto();
    return false;
  } catch {
    return 'mosquitto is not installed (apt-get install -y mosquitto)';
  }
})();

/** One open Mosquitto and one that refuses every client (allow_anonymous false). */
async function mosquittoEnvironment(scheme: 'mqtt' | 'ws'): Promise<ContractEnvironment> {
  const started: MosquittoTarget[] = [];
  const close = async () => {
    await Promise.all(started.map((s) => s.close()));
  };
  try {
    const open = await startMosquittoTarget({ websockets: scheme === 'ws' });
    started.push(open);
    const closed = await startMosquittoTarget({ websockets: scheme === 'ws', allowAnonymous: false });
    started.push(closed);
    const url = (m: MosquittoTarget): string => {
      const u = scheme === 'ws' ? m.urls.ws : m.urls.mqtt;
      if (u === undefined) throw new Error('this mosquitto has no websockets listener');
      return u;
    };
    return {
      transport: mqttjsTransport,
      target: { url: url(open) },
      refusing: { url: url(closed), expect: { '5': [0x87, 0x86], '3.1.1': [5, 4] } },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

describeTransportContract('mqttjs over mqtt://, Mosquitto', {
  skip: mosquittoMissing,
  // Mosquitto 2.0 closes a taken-over connection without DISCONNECT 0x8E.
  without: ['takeover-reason'],
  start: () => mosquittoEnvironment('mqtt'),
});

describeTransportContract('mqttjs over ws://, Mosquitto', {
  skip: mosquittoMissing,
  protocols: ['5'],
  without: ['takeover-reason'],
  start: () => mosquittoEnvironment('ws'),
});

test('a URL with an unknown scheme is a TransportError saying which schemes work', async () => {
  await assert.rejects(
    mqttjsTransport.connect({
      url: 'http://127.0.0.1:1883',
      clientId: 'x',
      protocol: '5',
      clean: true,
      keepalive: 10,
      connectTimeoutMs: 1000,
    }),
    /unsupported URL scheme "http:".*/,
  );
});

test('an unresolvable host is a TransportError that points at the host', async () => {
  await assert.rejects(
    mqttjsTransport.connect({
      url: 'mqtt://no-such-host.invalid:1883',
      clientId: 'x',
      protocol: '5',
      clean: true,
      keepalive: 10,
      connectTimeoutMs: 3000,
    }),
    (err: unknown) => {
      assert.equal((err as { code?: string }).code, 'E_TRANSPORT');
      assert.match((err as Error).message, /no-such-host\.invalid/);
      assert.match((err as { hint?: string }).hint ?? '', /host/);
      return true;
    },
  );
});

test('a password in the URL never appears in an error message', async () => {
  await assert.rejects(
    mqttjsTransport.connect({
      url: 'mqtt://user:hunter2@127.0.0.1:1',
      clientId: 'x',
      protocol: '5',
      clean: true,
      keepalive: 10,
      connectTimeoutMs: 2000,
    }),
    (err: unknown) => {
      assert.doesNotMatch(String((err as Error).message), /hunter2/);
      assert.match(String((err as Error).message), /user:\*\*\*@127\.0\.0\.1:1/);
      return true;
    },
  );
});
