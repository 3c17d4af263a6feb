/**
 * `mqscen aws provision` against a mocked IoT client (AWS is not reachable here): the calls made,
 * their order and inputs, the files written (key mode 0600, a valid targets file, .env merged),
 * `--dry-run`, existing resources kept, and refusals turned into errors with a fix.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  CreateThingCommand,
  DescribeEndpointCommand,
  IoTClient,
} from '@aws-sdk/client-iot';
import { mockClient } from 'aws-sdk-client-mock';
import { EnvironmentError, UsageError } from '../errors.js';
import { parseTargets } from '../targets/index.js';
import { defaultPolicy, provisionAws } from './provision.js';

const iot = mockClient(IoTClient);
const CERT_ARN = 'arn:aws:iot:eu-west-1:123456789012:cert/abc123';
const PRIVATE_KEY = '-----BEGIN RSA PRIVATE KEY-----\nsecret-key-material\n-----END RSA PRIVATE KEY-----\n';
let dir = '';

beforeEach(async () => {
  iot.reset();
  dir = await mkdtemp(join(tmpdir(), 'mqscen-provision-'));
  iot.on(DescribeEndpointCommand).resolves({ endpointAddress: 'abc123-ats.iot.eu-west-1.amazonaws.com' });
  iot
    .on(CreateThingCommand)
    .resolves({ thingName: 'dev-1', thingArn: 'arn:aws:iot:eu-west-1:123456789012:thing/dev-1' });
  iot.on(CreateKeysAndCertificateCommand).resolves({
    certificateArn: CERT_ARN,
    certificateId: 'abc123',
    certificatePem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    keyPair: { PrivateKey: PRIVATE_KEY, PublicKey: 'pub' },
  });
  iot.on(CreatePolicyCommand).resolves({ policyName: 'dev-1-policy' });
  iot.on(AttachPolicyCommand).resolves({});
  iot.on(AttachThingPrincipalCommand).resolves({});
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('provisions thing, certificate and policy, and writes certificate, key, targets file and .env', async () => {
  await writeFile(join(dir, '.env'), 'OTHER=kept\nAWS_REGION=old\n');
  const lines: string[] = [];
  const result = await provisionAws({
    thingName: 'dev-1',
    region: 'eu-west-1',
    cwd: dir,
    log: (l) => lines.push(l),
  });

  assert.deepEqual(
    iot.calls().map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name),
    [
      'DescribeEndpointCommand',
      'CreateThingCommand',
      'CreateKeysAndCertificateCommand',
      'CreatePolicyCommand',
      'AttachPolicyCommand',
      'AttachThingPrincipalCommand',
    ],
  );
  assert.deepEqual(iot.commandCalls(DescribeEndpointCommand)[0]?.args[0].input, {
    endpointType: 'iot:Data-ATS',
  });
  assert.deepEqual(iot.commandCalls(CreateKeysAndCertificateCommand)[0]?.args[0].input, {
    setAsActive: true,
  });
  assert.deepEqual(iot.commandCalls(AttachPolicyCommand)[0]?.args[0].input, {
    policyName: 'dev-1-policy',
    target: CERT_ARN,
  });
  assert.deepEqual(iot.commandCalls(AttachThingPrincipalCommand)[0]?.args[0].input, {
    thingName: 'dev-1',
    principal: CERT_ARN,
  });
  const policy = JSON.parse(String(iot.commandCalls(CreatePolicyCommand)[0]?.args[0].input.policyDocument));
  // The account comes from the certificate ARN; $share forms are allowed for Subscribe.
  const resourcesOf = (action: string): string[] =>
    policy.Statement.filter((st: { Action: string | string[] }) =>
      [st.Action].flat().includes(action),
    ).flatMap((st: { Resource: string | string[] }) => [st.Resource].flat());
  assert.deepEqual(resourcesOf('iot:Connect'), ['arn:aws:iot:eu-west-1:123456789012:client/*']);
  assert.deepEqual(resourcesOf('iot:RetainPublish'), ['arn:aws:iot:eu-west-1:123456789012:topic/test/*']);
  // POL-4 / POL-5: the $share forms for Subscribe and Receive.
  assert.ok(
    resourcesOf('iot:Subscribe').includes('arn:aws:iot:eu-west-1:123456789012:topicfilter/$share/*/test/*'),
  );
  assert.ok(resourcesOf('iot:Receive').includes('arn:aws:iot:eu-west-1:123456789012:topic/$share/*/test/*'));

  assert.equal(result.endpoint, 'abc123-ats.iot.eu-west-1.amazonaws.com');
  assert.equal(result.certificateId, 'abc123');
  assert.equal(await readFile(result.files.key, 'utf8'), PRIVATE_KEY);
  assert.equal((await stat(result.files.key)).mode & 0o777, 0o600);
  assert.match(await readFile(result.files.cert, 'utf8'), /BEGIN CERTIFICATE/);

  const targets = await readFile(result.files.targets, 'utf8');
  assert.deepEqual(parseTargets('mqscen.targets.yaml', targets, dir), ['aws-mtls', 'aws-wss']);
  assert.match(targets, /cert: \.mqscen\/aws\/dev-1\.cert\.pem/);
  assert.match(targets, /endpoint: \$\{env:AWS_IOT_ENDPOINT\}/);
  const env = await readFile(result.files.env, 'utf8');
  assert.equal(
    env,
    'OTHER=kept\nAWS_REGION=eu-west-1\nAWS_IOT_ENDPOINT=abc123-ats.iot.eu-west-1.amazonaws.com\n',
  );

  // The key never reaches the output.
  assert.ok(lines.length >= 6);
  assert.ok(lines.every((l) => !l.includes('secret-key-material')));
});

test('--dry-run makes no call and writes nothing, but lists every call', async () => {
  const lines: string[] = [];
  const result = await provisionAws({
    thingName: 'dev-1',
    region: 'eu-west-1',
    cwd: dir,
    dryRun: true,
    log: (l) => lines.push(l),
  });
  assert.equal(iot.calls().length, 0);
  assert.deepEqual(
    result.calls.map((c) => c.command),
    [
      'DescribeEndpoint',
      'CreateThing',
      'CreateKeysAndCertificate',
      'CreatePolicy',
      'AttachPolicy',
      'AttachThingPrincipal',
    ],
  );
  assert.deepEqual(result.calls[4]?.input, { policyName: 'dev-1-policy', target: '<certificateArn>' });
  assert.ok(lines.every((l) => l.startsWith('would ')));
  await assert.rejects(stat(result.files.targets));
  await assert.rejects(stat(result.files.key));
});

test('an existing thing or policy is kept; an access refusal is an EnvironmentError naming the call', async () => {
  const exists = Object.assign(new Error('exists'), { name: 'ResourceAlreadyExistsException' });
  iot.on(CreateThingCommand).rejects(exists);
  iot.on(CreatePolicyCommand).rejects(exists);
  const ok = await provisionAws({ thingName: 'dev-1', region: 'eu-west-1', cwd: dir });
  assert.equal(ok.certificateArn, CERT_ARN);
  assert.equal(iot.commandCalls(AttachPolicyCommand).length, 1);

  iot
    .on(CreateKeysAndCertificateCommand)
    .rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }));
  await assert.rejects(
    provisionAws({ thingName: 'dev-1', region: 'eu-west-1', cwd: dir, force: true }),
    (err: unknown) => {
      assert.ok(err instanceof EnvironmentError);
      assert.equal(err.exitCode, 3);
      assert.match(err.message, /CreateKeysAndCertificate failed: AccessDeniedException/);
      assert.match(err.hint ?? '', /iot:CreateKeysAndCertificate/);
      return true;
    },
  );
});

test('bad input: an existing targets file, a bad policy file, a bad thing name', async () => {
  await writeFile(join(dir, 'mqscen.targets.yaml'), 'mine: { kind: embedded }\n');
  await assert.rejects(provisionAws({ region: 'eu-west-1', cwd: dir }), (err: unknown) => {
    assert.ok(err instanceof UsageError);
    assert.match(err.hint ?? '', /--force/);
    return true;
  });
  assert.equal(iot.calls().length, 0, 'nothing created before the check');

  await writeFile(join(dir, 'policy.json'), '{"Version": "2012-10-17"}');
  await assert.rejects(
    provisionAws({ region: 'eu-west-1', cwd: dir, force: true, policyFile: 'policy.json' }),
    /not an IoT policy document/,
  );
  await assert.rejects(
    provisionAws({ region: 'eu-west-1', cwd: dir, policyFile: 'missing.json', force: true }),
    /cannot read the policy file/,
  );
  await assert.rejects(provisionAws({ thingName: 'bad name!', cwd: dir }), /invalid thing name/);
});

test('a policy file is used as given', async () => {
  const doc = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }] };
  await writeFile(join(dir, 'policy.json'), JSON.stringify(doc));
  await provisionAws({ region: 'eu-west-1', cwd: dir, policyFile: 'policy.json' });
  assert.deepEqual(
    JSON.parse(String(iot.commandCalls(CreatePolicyCommand)[0]?.args[0].input.policyDocument)),
    doc,
  );
  assert.match(defaultPolicy('us-east-1', '1', 'x/'), /arn:aws:iot:us-east-1:1:topic\/x\/\*/);
});

test('the command prints paths, never the key, and exits 0', async () => {
  const { awsProvisionCommand } = await import('./provision-command.js');
  let out = '';
  const code = await awsProvisionCommand(
    {
      thing: 'dev-2',
      region: 'eu-west-1',
      out: join(dir, 'c'),
      targets: join(dir, 't.yaml'),
      env: join(dir, 'e.env'),
    },
    (t) => {
      out += t;
    },
  );
  assert.equal(code, 0);
  assert.match(out, /device key: +.*dev-2\.private\.key/);
  assert.match(out, /--target aws-mtls/);
  assert.ok(!out.includes('secret-key-material'));
  let dry = '';
  await awsProvisionCommand({ region: 'eu-west-1', dryRun: true }, (t) => {
    dry += t;
  });
  assert.match(dry, /dry run: 6 calls listed/);
});
