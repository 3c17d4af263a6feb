import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DescribeEndpointCommand, IoTClient } from '@aws-sdk/client-iot';
import { mockClient } from 'aws-sdk-client-mock';
import { EnvironmentError } from '../errors.js';
import { customAuthorizerUsername, startAwsIotTarget } from './aws-iot.js';

test('without endpoint or AWS_IOT_ENDPOINT the ATS endpoint is looked up with DescribeEndpoint', async (t) => {
  const iot = mockClient(IoTClient);
  t.after(() => iot.restore());
  iot.on(DescribeEndpointCommand, { endpointType: 'iot:Data-ATS' }).resolves({
    endpointAddress: 'xyz-ats.iot.us-east-2.amazonaws.com',
  });
  const target = await startAwsIotTarget({
    name: 'aws',
    auth: 'sigv4',
    transport: 'mqttjs-sigv4',
    env: { AWS_REGION: 'us-east-2', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret' },
  });
  assert.equal(target.url, 'wss://xyz-ats.iot.us-east-2.amazonaws.com:443/mqtt');
  assert.equal(iot.commandCalls(DescribeEndpointCommand).length, 1);
  assert.deepEqual(target.connectionFor({ name: 'c' } as never).extra, {
    auth: 'sigv4',
    region: 'us-east-2',
  });
});

test('a failed lookup is an EnvironmentError saying how to set the endpoint', async (t) => {
  const iot = mockClient(IoTClient);
  t.after(() => iot.restore());
  iot.on(DescribeEndpointCommand).rejects(new Error('The security token included in the request is invalid'));
  await assert.rejects(
    startAwsIotTarget({ name: 'aws', auth: 'sigv4', env: { AWS_REGION: 'eu-west-1' } }),
    (err) => {
      assert.ok(err instanceof EnvironmentError);
      assert.match(err.message, /DescribeEndpoint failed: The security token/);
      assert.match(err.hint ?? '', /AWS_IOT_ENDPOINT/);
      return true;
    },
  );
  await assert.rejects(startAwsIotTarget({ name: 'aws', auth: 'sigv4', env: {} }), /no AWS IoT endpoint/);
});

test('custom authorizer: name, token and signature go in the user name; the url holds no secret', async () => {
  const target = await startAwsIotTarget({
    name: 'aws-ca',
    auth: 'custom-authorizer',
    transport: 'mqttjs',
    endpoint: 'abc-ats.iot.eu-west-1.amazonaws.com',
    customAuthorizer: {
      name: 'my-auth',
      tokenKeyName: 'tok',
      tokenValue: 't0ken',
      tokenSignature: 's1g',
      password: 'pw',
    },
    env: {},
  });
  assert.equal(target.url, 'mqtts://abc-ats.iot.eu-west-1.amazonaws.com:443');
  assert.doesNotMatch(target.url, /t0ken|s1g|pw/);
  const conn = target.connectionFor({ name: 'c' } as never);
  assert.equal(
    conn.username,
    '?x-amz-customauthorizer-name=my-auth&tok=t0ken&x-amz-customauthorizer-signature=s1g',
  );
  assert.equal(conn.password, 'pw');
  assert.deepEqual(conn.tls?.alpn, ['mqtt']);
  assert.equal(customAuthorizerUsername({ name: 'a' }, 'dev1'), 'dev1?x-amz-customauthorizer-name=a');
  // Over the SDK the settings travel in extra and the SDK builds the user name.
  const sdk = target.connectionFor({ name: 'c', transport: 'aws-iot-sdk', username: 'dev1' } as never);
  assert.equal(sdk.username, undefined);
  assert.deepEqual(sdk.extra, {
    auth: 'custom-authorizer',
    region: 'eu-west-1',
    customAuthorizer: {
      name: 'my-auth',
      tokenKeyName: 'tok',
      tokenValue: 't0ken',
      tokenSignature: 's1g',
      password: 'pw',
      username: 'dev1',
    },
  });
});

test('sigv4 needs a region and a signing transport', async () => {
  await assert.rejects(
    startAwsIotTarget({ name: 'aws', auth: 'sigv4', endpoint: 'localhost:8443', env: {} }),
    /no AWS region for SigV4/,
  );
  await assert.rejects(
    startAwsIotTarget({
      name: 'aws',
      auth: 'sigv4',
      transport: 'mqttjs',
      endpoint: 'h',
      region: 'x',
      env: {},
    }),
    /transport mqttjs cannot sign/,
  );
});
