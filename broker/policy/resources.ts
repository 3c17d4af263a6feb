/**
 * What the broker asks the policy, per packet (POL-2): the action and the resource ARN of every
 * CONNECT (and its Will), PUBLISH, SUBSCRIBE filter and delivery, with the `$share` forms of
 * POL-4/POL-5.
 */
import type { PolicyRequest } from './evaluate.js';

/**
 * Which resource a shared delivery's Receive is checked on (POL-5, OQ-1): the `$share` form
 * `topic/$share/<ShareName>/<topic name>` (the evidence), the plain `topic/<topic name>`, or either.
 */
export type SharedReceiveResource = 'share-form' | 'plain' | 'either';

export interface PolicyResourceOptions {
  /** Region in the ARNs. @default "us-east-1" */
  region?: string;
  /** Account id in the ARNs. @default "123456789012" */
  account?: string;
  /** @default "share-form" (POL-5) */
  sharedReceiveResource?: SharedReceiveResource;
}

export type ResolvedPolicyResourceOptions = Readonly<Required<PolicyResourceOptions>>;

const DEFAULTS: ResolvedPolicyResourceOptions = Object.freeze({
  region: 'us-east-1',
  account: '123456789012',
  sharedReceiveResource: 'share-form',
});

export function resolvePolicyResourceOptions(
  input: PolicyResourceOptions = {},
): ResolvedPolicyResourceOptions {
  return Object.freeze({ ...DEFAULTS, ...stripUndefined(input) });
}

/** `arn:aws:iot:<region>:<account>:<suffix>`. */
export function iotArn(suffix: string, options: ResolvedPolicyResourceOptions): string {
  return `arn:aws:iot:${options.region}:${options.account}:${suffix}`;
}

/** The part after the account (`topic/a/b`), for messages. */
export function shortResource(arn: string): string {
  const parts = arn.split(':');
  return parts.length >= 6 ? parts.slice(5).join(':') : arn;
}

/** CONNECT: Connect on `client/<id>`; a Will also needs Publish (+ RetainPublish) on its topic (POL-2). */
export function connectRequests(
  clientId: string,
  will: { topic: string; retain: boolean } | undefined,
  options: ResolvedPolicyResourceOptions,
): PolicyRequest[] {
  const out: PolicyRequest[] = [{ action: 'iot:Connect', resource: iotArn(`client/${clientId}`, options) }];
  if (will !== undefined) out.push(...publishRequests(will.topic, will.retain, options));
  return out;
}

/** PUBLISH: Publish on `topic/<name>`, and RetainPublish too when RETAIN=1 (POL-2). */
export function publishRequests(
  topic: string,
  retain: boolean,
  options: ResolvedPolicyResourceOptions,
): PolicyRequest[] {
  const resource = iotArn(`topic/${topic}`, options);
  const out: PolicyRequest[] = [{ action: 'iot:Publish', resource }];
  if (retain) out.push({ action: 'iot:RetainPublish', resource });
  return out;
}

/** SUBSCRIBE, per filter: Subscribe on `topicfilter/<filter as sent>`, `$share/…` included (POL-3, POL-4). */
export function subscribeRequest(filter: string, options: ResolvedPolicyResourceOptions): PolicyRequest {
  return { action: 'iot:Subscribe', resource: iotArn(`topicfilter/${filter}`, options) };
}

/**
 * A delivery: Receive on `topic/<topic name>`; for a shared subscription the resource(s) the
 * `sharedReceiveResource` setting names (POL-5). With `either`, any one allowed is enough.
 */
export function receiveRequests(
  topic: string,
  shareName: string | undefined,
  options: ResolvedPolicyResourceOptions,
): PolicyRequest[] {
  const plain = { action: 'iot:Receive', resource: iotArn(`topic/${topic}`, options) };
  if (shareName === undefined) return [plain];
  const share = { action: 'iot:Receive', resource: iotArn(`topic/$share/${shareName}/${topic}`, options) };
  switch (options.sharedReceiveResource) {
    case 'plain':
      return [plain];
    case 'either':
      return [share, plain];
    default:
      return [share];
  }
}

// --- internal ---

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
