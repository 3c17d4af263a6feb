/**
 * AWS IoT policy documents: the checked shape evaluation works on, and the action and condition
 * vocabularies. Reading one from JSON text, every problem positioned, is the runner's
 * (`runner/document/policy-document.ts`).
 */

import type { Pattern } from './wildcard.js';

/** Where a statement or resource was written in the document's text (1-based). */
export interface Position {
  line: number;
  column: number;
}

/** The actions AWS IoT accepts in a policy (the MQTT ones first). */
export const IOT_ACTIONS: readonly string[] = [
  'iot:Connect',
  'iot:Publish',
  'iot:RetainPublish',
  'iot:Subscribe',
  'iot:Receive',
  'iot:DeleteConnection',
  'iot:GetRetainedMessage',
  'iot:ListRetainedMessages',
  'iot:GetThingShadow',
  'iot:UpdateThingShadow',
  'iot:DeleteThingShadow',
  'iot:ListNamedShadowsForThing',
  'iot:DescribeJobExecution',
  'iot:GetPendingJobExecutions',
  'iot:StartNextPendingJobExecution',
  'iot:UpdateJobExecution',
  'iot:AssumeRoleWithCertificate',
];

/** Resource types of `arn:aws:iot:<region>:<account>:<type>/…`. */
export const RESOURCE_TYPES: readonly string[] = [
  'client',
  'topic',
  'topicfilter',
  'thing',
  'thinggroup',
  'thingtype',
  'cert',
  'rolealias',
  'job',
  'jobtemplate',
  'authorizer',
  'domainconfiguration',
];

/** Condition operators the evaluator implements (POL-9), before `ForAllValues:`/`ForAnyValue:` and `IfExists`. */
export const CONDITION_OPERATORS: readonly string[] = [
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
  'Bool',
  'Null',
];

export interface ConditionClause {
  /** As written, e.g. `ForAllValues:StringEquals`. */
  operator: string;
  /** Without set prefix and `IfExists`. */
  base: string;
  set?: 'ForAllValues' | 'ForAnyValue';
  ifExists: boolean;
  key: string;
  values: Pattern[];
  pos: Position;
}

export interface PolicyResource {
  pattern: Pattern;
  pos: Position;
}

export interface PolicyStatement {
  /** 1-based, in document order: "statement 2". */
  index: number;
  sid?: string;
  effect: 'Allow' | 'Deny';
  /** Action patterns (case-insensitive); `notAction` when written as NotAction. */
  actions: Pattern[];
  notAction: boolean;
  resources: PolicyResource[];
  notResource: boolean;
  conditions: ConditionClause[];
  pos: Position;
}

export interface PolicyDocument {
  /** Name used in messages: the file as the user gave it, or a label. */
  name: string;
  statements: PolicyStatement[];
  /** Characters without whitespace: what AWS IoT's 2048-character limit counts. */
  size: number;
}
