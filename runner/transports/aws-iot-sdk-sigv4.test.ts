/**
 * The AWS IoT Device SDK v2 transport over WebSocket with SigV4 against the embedded
 * broker's verifying wss listener, offline: the shared contract suite, MQTT 5 and 3.1.1.
 */
import {
  AKID,
  REGION,
  refusingFor,
  SECRET,
  startSecureBroker,
  testCertificates,
  urlOf,
} from './_aws-test-broker.js';
import { awsIotSdkTransport } from './aws-iot-sdk/index.js';
import { type ContractEnvironment, describeTransportContract } from './transport.contract.js';

async function sigv4Environment(protocol: '5' | '3.1.1'): Promise<ContractEnvironment> {
  const set = await testCertificates();
  const open = await startSecureBroker();
  const closed = await startSecureBroker(true);
  const extra = { region: REGION, credentials: { accessKeyId: AKID, secretAccessKey: SECRET } };
  const tls = { ca: set.caCert };
  return {
    transport: awsIotSdkTransport,
    target: { url: urlOf(open, 'wss'), tls, extra },
    ...refusingFor(protocol, { url: urlOf(closed, 'wss'), tls, extra }),
    close: async () => {
      await Promise.all([open.close(), closed.close()]);
    },
  };
}

describeTransportContract('aws-iot-sdk MQTT 5 over WebSocket SigV4, embedded broker', {
  protocols: ['5'],
  without: ['qos2'],
  start: () => sigv4Environment('5'),
});
describeTransportContract('aws-iot-sdk MQTT 3.1.1 over WebSocket SigV4, embedded broker', {
  protocols: ['3.1.1'],
  start: () => sigv4Environment('3.1.1'),
});
