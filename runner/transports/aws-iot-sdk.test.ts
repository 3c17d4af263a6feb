/**
 * The AWS IoT Device SDK v2 transport over mTLS against the embedded broker, offline: the shared
 * contract suite with the SDK's MQTT 5 client and its MQTT 3.1.1 connection.
 */
import { issueClientCertificate } from '../certs.js';
import { refusingFor, startSecureBroker, testCertificates, urlOf } from './_aws-test-broker.js';
import { awsIotSdkTransport } from './aws-iot-sdk/index.js';
import { type ContractEnvironment, describeTransportContract } from './transport.contract.js';

async function mtlsEnvironment(protocol: '5' | '3.1.1'): Promise<ContractEnvironment> {
  const set = await testCertificates();
  const device = await issueClientCertificate(set, { commonName: 'contract-device', write: false });
  const open = await startSecureBroker();
  const closed = await startSecureBroker(true);
  const tls = { ca: set.caCert, cert: device.cert, key: device.key };
  return {
    transport: awsIotSdkTransport,
    target: { url: urlOf(open, 'mqtts'), tls },
    ...refusingFor(protocol, { url: urlOf(closed, 'mqtts'), tls }),
    close: async () => {
      await Promise.all([open.close(), closed.close()]);
    },
  };
}

// The MQTT 5 client has no QoS 2 (AWS IoT Core neither); the 3.1.1 connection has.
describeTransportContract('aws-iot-sdk MQTT 5 over mTLS, embedded broker', {
  protocols: ['5'],
  without: ['qos2'],
  start: () => mtlsEnvironment('5'),
});
describeTransportContract('aws-iot-sdk MQTT 3.1.1 over mTLS, embedded broker', {
  protocols: ['3.1.1'],
  start: () => mtlsEnvironment('3.1.1'),
});
