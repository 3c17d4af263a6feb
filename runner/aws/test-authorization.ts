/**
 * The local policy checks, asked of AWS IoT itself: TestAuthorization (at most 10 checks per call,
 * one client id per call, Connect/Publish/Subscribe/Receive only) evaluates the policies attached
 * to `principal` plus `policyNamesToAdd`, and every answer that differs from the local evaluator
 * is a disagreement worth knowing (a rule of docs/aws-iot-semantics.md that AWS applies otherwise,
 * or a policy in the account that is not the file).
 */
import {
  type AuthResult,
  IoTClient,
  TestAuthorizationCommand,
  type TestAuthorizationCommandInput,
} from '@aws-sdk/client-iot';
import createDebug from 'debug';
import { EnvironmentError } from '../errors.js';

const debug = createDebug('mqscen:aws:test-authorization');

/** TestAuthorization takes at most this many authInfos per call. */
export const MAX_AUTH_INFOS = 10;

const ACTION_TYPES: Readonly<Record<string, 'CONNECT' | 'PUBLISH' | 'SUBSCRIBE' | 'RECEIVE'>> = {
  'iot:Connect': 'CONNECT',
  'iot:Publish': 'PUBLISH',
  'iot:Subscribe': 'SUBSCRIBE',
  'iot:Receive': 'RECEIVE',
};

export interface AwsCheck {
  clientId: string;
  action: string;
  /** Full ARN, with the account's region and id. */
  resource: string;
}

export interface AwsAnswer<C extends AwsCheck = AwsCheck> {
  check: C;
  /** undefined when TestAuthorization cannot check the action (iot:RetainPublish). */
  allowed?: boolean;
  /** AWS's authDecision: ALLOWED, EXPLICIT_DENY, IMPLICIT_DENY. */
  decision?: string;
  missingContextValues?: string[];
}

export interface TestAuthorizationOptions {
  /** Certificate (or thing group / Cognito id) ARN whose attached policies are evaluated. */
  principal?: string;
  /** Policies in the account to evaluate as if attached (the policy under test). */
  policyNames?: string[];
  region?: string;
  profile?: string;
  /** For tests: an already built client (mocked with aws-sdk-client-mock). */
  client?: IoTClient;
}

/** True when TestAuthorization can answer for this action. */
export function awsCanCheck(action: string): boolean {
  return ACTION_TYPES[action] !== undefined;
}

/** Sends the checks to TestAuthorization, batched per client id and 10 per call; answers in input order. */
export async function testAuthorizationOnAws<C extends AwsCheck>(
  checks: readonly C[],
  options: TestAuthorizationOptions,
): Promise<AwsAnswer<C>[]> {
  const client =
    options.client ??
    new IoTClient({
      ...(options.region !== undefined ? { region: options.region } : {}),
      ...(options.profile !== undefined ? { profile: options.profile } : {}),
    });
  const answers: AwsAnswer<C>[] = checks.map((check) => ({ check }));
  const byClient = new Map<string, number[]>();
  checks.forEach((c, i) => {
    if (!awsCanCheck(c.action)) return;
    const list = byClient.get(c.clientId) ?? [];
    list.push(i);
    byClient.set(c.clientId, list);
  });
  for (const [clientId, indexes] of byClient) {
    for (let start = 0; start < indexes.length; start += MAX_AUTH_INFOS) {
      const batch = indexes.slice(start, start + MAX_AUTH_INFOS);
      const input: TestAuthorizationCommandInput = {
        clientId,
        authInfos: batch.map((i) => {
          const c = checks[i] as C;
          return { actionType: ACTION_TYPES[c.action], resources: [c.resource] };
        }),
      };
      if (options.principal !== undefined) input.principal = options.principal;
      if (options.policyNames !== undefined && options.policyNames.length > 0)
        input.policyNamesToAdd = options.policyNames;
      debug('TestAuthorization %s: %d checks', clientId, batch.length);
      let results: AuthResult[];
      try {
        results = (await client.send(new TestAuthorizationCommand(input))).authResults ?? [];
      } catch (cause) {
        const e = cause as { name?: string; message?: string };
        throw new EnvironmentError(
          `AWS IoT TestAuthorization failed: ${e.name ?? 'Error'}: ${e.message ?? String(cause)}`,
          {
            cause,
            hint: 'check the AWS credentials and region (AWS_REGION, --region, --profile), the iot:TestAuthorization permission, and that --policy-name names a policy in the account',
          },
        );
      }
      batch.forEach((checkIndex, k) => {
        // Results come in the order of authInfos; match on the resource too in case they do not.
        const c = checks[checkIndex] as C;
        const r =
          results.find(
            (x) =>
              x.authInfo?.resources?.[0] === c.resource && x.authInfo?.actionType === ACTION_TYPES[c.action],
          ) ?? results[k];
        const answer = answers[checkIndex] as AwsAnswer<C>;
        if (r?.authDecision !== undefined) {
          answer.decision = r.authDecision;
          answer.allowed = r.authDecision === 'ALLOWED';
        }
        if (r?.missingContextValues !== undefined && r.missingContextValues.length > 0)
          answer.missingContextValues = r.missingContextValues;
      });
    }
  }
  return answers;
}
