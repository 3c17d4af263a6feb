/**
 * The AWS IoT Device SDK v2 transport with a custom authorizer against the embedded broker's
 * custom authorizer hook, offline: the shared contract suite over mqtts (ALPN mqtt) and wss, with
 * a signed token; a broker whose authorizer does not know the token refuses.
 */
import { createSign, generateKeyPairSync } from 'node:crypto';
import { createCustomAuthorizer } from '../../broker/auth/custom-authorizer.js';
import { type BrokerHandle, startBroker } from '../../broker/index.js';
import { refusingFor, testCertificates } from './_aws-test-broker.js';
import { awsIotSdkTransport } from './aws-iot-sdk/index.js';
import { type ContractEnvironment, describeTransportContract } from './transport.contract.js';

const signingKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const TOKEN = 'device-token-0001';
const SIGNATURE = createSign('RSA-SHA256').update(TOKEN).sign(signingKeys.privateKey, 'base64');

/** A broker whose `mqtt-auth` authorizer checks the token signature and knows `tokens`. */
async function startAuthorizingBroker(tokens: Record<string, string>): Promise<BrokerHandle> {
  const set = await testCertificates();
  return startBroker({
    profile: 'mosquitto',
    // AWS IoT ends a taken-over MQTT 5 connection with DISCONNECT 0x8E (the contract checks it).
    settings: { takeoverDisconnect: true },
    listeners: {
      mqtts: { cert: set.serverCert, key: set.serverKey },
      wss: { cert: set.serverCert, key: set.serverKey },
    },
    authorize: createCustomAuthorizer({
      authorizers: [
        {
          name: 'mqtt-auth',
          tokenKeyName: 'x-token',
          tokenSigningPublicKeys: [signingKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString()],
          tokens,
        },
      ],
    }),
  });
}

async function customAuthEnvironment(
  protocol: '5' | '3.1.1',
  kind: 'mqtts' | 'wss',
): Promise<ContractEnvironment> {
  const set = await testCertificates();
  const open = await startAuthorizingBroker({ [TOKEN]: 'ContractDevice' });
  const closed = await startAuthorizingBroker({});
  const extra = {
    customAuthorizer: {
      name: 'mqtt-auth',
      tokenKeyName: 'x-token',
      tokenValue: TOKEN,
      tokenSignature: SIGNATURE,
    },
  };
  const at = (b: BrokerHandle) => {
    const u = b.urls[kind];
    if (u === undefined) throw new Error(`no ${kind} listener`);
    return u;
  };
  return {
    transport: awsIotSdkTransport,
    target: { url: at(open), tls: { ca: set.caCert }, extra },
    ...refusingFor(protocol, { url: at(closed), tls: { ca: set.caCert }, extra }),
    close: async () => {
      await Promise.all([open.close(), closed.close()]);
    },
  };
}

describeTransportContract('aws-iot-sdk MQTT 5 with a custom authorizer over mqtts, embedded broker', {
  protocols: ['5'],
  without: ['qos2'],
  start: () => customAuthEnvironment('5', 'mqtts'),
});
describeTransportContract('aws-iot-sdk MQTT 3.1.1 with a custom authorizer over mqtts, embedded broker', {
  protocols: ['3.1.1'],
  start: () => customAuthEnvironment('3.1.1', 'mqtts'),
});
describeTransportContract('aws-iot-sdk MQTT 5 with a custom authorizer over wss, embedded broker', {
  protocols: ['5'],
  without: ['qos2'],
  start: () => customAuthEnvironment('5', 'wss'),
});
