/**
 * AWS IoT policy evaluation, pure (no AWS SDK): documents, wildcard ARNs, policy variables,
 * evaluation (POL-1..POL-9), and its enforcement by the embedded broker (POL-10).
 */
export {
  attachmentMatches,
  type PolicyAttachment,
  type PolicyAttachments,
  type PolicyMatch,
  policiesFor,
} from './attachments.js';
export {
  createPolicyAuthorizer,
  type PolicyAuthorizer,
  type PolicyAuthorizerOptions,
  type PolicyRefusal,
  type PolicyStats,
  policyContextOf,
} from './authorizer.js';
export {
  type ConditionClause,
  IOT_ACTIONS,
  type PolicyDocument,
  type PolicyStatement,
} from './document.js';
export {
  type DecidingStatement,
  describeStatement,
  evaluatePolicies,
  type PolicyDecision,
  type PolicyRequest,
} from './evaluate.js';
export {
  connectRequests,
  iotArn,
  type PolicyResourceOptions,
  publishRequests,
  type ResolvedPolicyResourceOptions,
  receiveRequests,
  resolvePolicyResourceOptions,
  type SharedReceiveResource,
  shortResource,
  subscribeRequest,
} from './resources.js';
export { KNOWN_VARIABLES, type PolicyContext, resolveVariable } from './variables.js';
