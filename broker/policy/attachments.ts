/**
 * Which policies a principal has (POL-1: all attached policies are combined): a default set for
 * every client, plus sets attached to a thing (the mTLS certificate's CN) or to client ids by
 * glob. The runner reads them from files (`runner/document/policy-document.ts`).
 */
import type { PolicyDocument } from './document.js';
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
