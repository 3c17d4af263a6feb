/**
 * Which policies a principal has (POL-1: all attached policies are combined): a default set for
 * every client, plus sets attached to a thing (the mTLS certificate's CN) or to client ids by
 * glob. Read from files with `loadPolicyFile`.
 */
import { readFile } from 'node:fs/promises';
import { UsageError } from '../../runner/errors.js';
import { type PolicyDocument, parsePolicyDocument } from './document.js';
import type { PolicyContext } from './variables.js';
import { matchPattern, parsePattern } from './wildcard.js';

/** Who an attachment is for: a client id glob and/or a thing name glob (`*`, `?`). */
export interface PolicyMatch {
  clientId?: string;
  thing?: string;
}

export interface PolicyAttachment {
  match: PolicyMatch;
  policies: PolicyDocument[];
}

export interface PolicyAttachments {
  /** Attached to every principal. */
  default: PolicyDocument[];
  /** Attached to the principals they match. */
  attached: PolicyAttachment[];
}

/** Every policy that applies to the principal: the default ones, then each matching attachment's. */
export function policiesFor(attachments: PolicyAttachments, context: PolicyContext): PolicyDocument[] {
  const out = [...attachments.default];
  for (const a of attachments.attached) {
    if (attachmentMatches(a.match, context)) out.push(...a.policies);
  }
  return out;
}

export function attachmentMatches(match: PolicyMatch, context: PolicyContext): boolean {
  if (match.clientId === undefined && match.thing === undefined) return false;
  if (match.clientId !== undefined && matchPattern(parsePattern(match.clientId), context.clientId) !== true)
    return false;
  if (match.thing !== undefined) {
    if (context.thing === undefined) return false;
    if (matchPattern(parsePattern(match.thing), context.thing.name) !== true) return false;
  }
  return true;
}

/** Reads one policy file; a missing file is a UsageError, a bad document a ScenarioError (exit 2). */
export async function loadPolicyFile(path: string, shownAs = path): Promise<PolicyDocument> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`policy file ${shownAs} cannot be read: ${(error as Error).message}`, {
      hint: 'give the path of an AWS IoT policy document (JSON)',
      cause: error,
    });
  }
  return parsePolicyDocument(text, shownAs);
}
