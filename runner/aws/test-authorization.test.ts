/**
 * `policy check --aws` against a mocked IoT client (aws-sdk-client-mock): TestAuthorization calls
 * batched per client id and at most 10 checks, RetainPublish left out, and every disagreement
 * between AWS and the local evaluator printed and counted.
 */
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { IoTClient, TestAuthorizationCommand, type TestAuthorizationCommandInput } from '@aws-sdk/client-iot';
import { mockClient } from 'aws-sdk-client-mock';
import { EnvironmentError, UsageError } from '../errors.js';
import { MAX_AUTH_INFOS, testAuthorizationOnAws } from './test-authorization.js';

const iot = mockClient(IoTClient);
const ARN = 'arn:aws:iot:eu-west-1:123456789012';
const CERT = `${ARN}:cert/abc`;
const queuing = fileURLToPath(new URL('../../scenarios/queuing.yaml', import.meta.url));

/** Answers every authInfo with `decide(actionType, resource)`. */
function answer(decide: (action: string, resource: string) => string) {
  iot.on(TestAuthorizationCommand).callsFake((input: TestAuthorizationCommandInput) => ({
    authResults: (input.authInfos ?? []).map((info) => ({
      authInfo: info,
      authDecision: decide(info.actionType ?? '', info.resources?.[0] ?? ''),
    })),
  }));
}

beforeEach(() => iot.reset());

test('TestAuthorization: one client id per call, at most 10 checks per call, RetainPublish not sent', async () => {
  answer(() => 'ALLOWED');
  const checks = [
    ...Array.from({ length: 12 }, (_, i) => ({
      clientId: 'a',
      action: 'iot:Publish',
      resource: `${ARN}:topic/t/${i}`,
    })),
    { clientId: 'b', action: 'iot:Connect', resource: `${ARN}:client/b` },
    { clientId: 'b', action: 'iot:RetainPublish', resource: `${ARN}:topic/r` },
  ];
  const answers = await testAuthorizationOnAws(checks, {
    principal: CERT,
    policyNames: ['p1'],
    region: 'eu-west-1',
  });
  const calls = iot.commandCalls(TestAuthorizationCommand).map((c) => c.args[0].input);
  assert.deepEqual(
    calls.map((c) => [c.clientId, c.authInfos?.length, c.principal, c.policyNamesToAdd]),
    [
      ['a', MAX_AUTH_INFOS, CERT, ['p1']],
      ['a', 2, CERT, ['p1']],
      ['b', 1, CERT, ['p1']],
    ],
  );
  assert.deepEqual(calls[2]?.authInfos, [{ actionType: 'CONNECT', resources: [`${ARN}:client/b`] }]);
  assert.equal(answers.length, checks.length);
  assert.equal(answers.at(-1)?.allowed, undefined, 'RetainPublish is not checkable there');
  assert.ok(answers.slice(0, 13).every((a) => a.allowed === true));
});

test('TestAuthorization failure is an environment error with a hint', async () => {
  iot.on(TestAuthorizationCommand).rejects(
    Object.assign(new Error('not authorized to perform iot:TestAuthorization'), {
      name: 'AccessDeniedException',
    }),
  );
  await assert.rejects(
    testAuthorizationOnAws([{ clientId: 'a', action: 'iot:Connect', resource: `${ARN}:client/a` }], {
      policyNames: ['p'],
      region: 'eu-west-1',
    }),
    (e: unknown) =>
      e instanceof EnvironmentError &&
      /AccessDeniedException/.test(e.message) &&
      /iot:TestAuthorization permission/.test(e.hint ?? ''),
  );
});

test('policy check --aws: AWS agreeing is exit 0; AWS refusing the shared Receive the evaluator allows is a printed disagreement, exit 1', async () => {
  const { policyCheckCommand } = await import('../cli/policy-command.js');
  const opts = { aws: true, principal: CERT, policyName: ['mqscen-device-policy'], region: 'eu-west-1' };
  answer(() => 'ALLOWED');
  let out = '';
  assert.equal(
    await policyCheckCommand([queuing], opts, (t) => {
      out += t;
    }),
    0,
    out,
  );
  assert.match(out, /AWS TestAuthorization: 11 checks asked, no disagreement with mqscen/);
  // The ARNs sent carry the principal's region and account.
  const sent = iot.commandCalls(TestAuthorizationCommand).flatMap((c) => c.args[0].input.authInfos ?? []);
  assert.ok(
    sent.some((i) => i.resources?.[0] === `${ARN}:topic/$share/message-queuing-group/test/shared/messages`),
  );

  iot.reset();
  answer((action, resource) =>
    action === 'RECEIVE' && resource.includes('$share') ? 'IMPLICIT_DENY' : 'ALLOWED',
  );
  out = '';
  assert.equal(
    await policyCheckCommand([queuing], opts, (t) => {
      out += t;
    }),
    1,
    out,
  );
  assert.match(
    out,
    /≠ iot:Receive topic\/\$share\/message-queuing-group\/test\/shared\/messages for client id "message-queuing-test-subscriber-01": mqscen allows \(allowed by statement 4 .*\), AWS says IMPLICIT_DENY/,
  );
  assert.match(out, /3 disagreement\(s\) with mqscen/);
});

test('policy check --aws needs the account and the policy as AWS knows it', async () => {
  const { policyCheckCommand } = await import('../cli/policy-command.js');
  await assert.rejects(
    policyCheckCommand([queuing], { aws: true, policyName: ['p'] }, () => {}),
    (e: unknown) => e instanceof UsageError && /account id/.test(e.message),
  );
  await assert.rejects(
    policyCheckCommand([queuing], { aws: true, account: '123456789012' }, () => {}),
    (e: unknown) => e instanceof UsageError && /policy as AWS knows it/.test(e.message),
  );
});
