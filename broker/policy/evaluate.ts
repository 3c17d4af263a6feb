/**
 * Policy evaluation (POL-1): implicit deny; any matching Allow grants; any matching Deny overrides
 * every Allow. All policies attached to the principal are combined. A statement matches when one of
 * its actions, one of its resources (after variable substitution, POL-7) and all its conditions
 * (POL-9) do. Pure: no AWS SDK, no I/O.
 */
import type { ConditionClause, PolicyDocument, PolicyStatement } from './document.js';
import { type PolicyContext, resolveVariable } from './variables.js';
import { matchPattern, type Pattern, type VariableLookup } from './wildcard.js';

/** One authorization question: may this principal do `action` on `resource` (a full ARN)? */
export interface PolicyRequest {
  action: string;
  resource: string;
}

/** The statement that decided, for messages ("denied by statement 2 (Sid) of policy.json, line 4"). */
export interface DecidingStatement {
  policy: string;
  index: number;
  sid?: string;
  effect: 'Allow' | 'Deny';
  line: number;
}

export interface PolicyDecision {
  allowed: boolean;
  action: string;
  resource: string;
  /** Undefined when nothing matched (implicit deny, POL-1). */
  statement?: DecidingStatement;
  /** One line in the user's terms: "no statement allows it" / "denied by statement 2 of p.json". */
  reason: string;
}

/** Decides one request against every policy attached to the principal (POL-1). */
export function evaluatePolicies(
  policies: readonly PolicyDocument[],
  request: PolicyRequest,
  context: PolicyContext,
): PolicyDecision {
  const lookup: VariableLookup = (name) => resolveVariable(name, context);
  let allow: DecidingStatement | undefined;
  for (const policy of policies) {
    for (const statement of policy.statements) {
      if (!statementMatches(statement, request, context, lookup)) continue;
      const decided = deciding(policy, statement);
      if (statement.effect === 'Deny') {
        // POL-1: an explicit Deny overrides every Allow, whichever policy holds it.
        return {
          ...request,
          allowed: false,
          statement: decided,
          reason: `denied by ${describeStatement(decided)}`,
        };
      }
      allow ??= decided;
    }
  }
  if (allow !== undefined) {
    return { ...request, allowed: true, statement: allow, reason: `allowed by ${describeStatement(allow)}` };
  }
  const names = policies.map((p) => p.name).join(', ');
  return {
    ...request,
    allowed: false,
    reason:
      policies.length === 0
        ? 'no policy is attached (implicit deny)'
        : `no statement of ${names} allows it (implicit deny)`,
  };
}

/** "statement 2 ("Sid") of policy.json (line 4)". */
export function describeStatement(s: DecidingStatement): string {
  return `statement ${s.index}${s.sid ? ` ("${s.sid}")` : ''} of ${s.policy} (line ${s.line})`;
}

// --- internal ---

function deciding(policy: PolicyDocument, statement: PolicyStatement): DecidingStatement {
  const d: DecidingStatement = {
    policy: policy.name,
    index: statement.index,
    effect: statement.effect,
    line: statement.pos.line,
  };
  if (statement.sid !== undefined) d.sid = statement.sid;
  return d;
}

function statementMatches(
  statement: PolicyStatement,
  request: PolicyRequest,
  context: PolicyContext,
  lookup: VariableLookup,
): boolean {
  // Action names are case-insensitive (IAM); no variables in actions.
  const actionHit = statement.actions.some(
    (a) => matchPattern(a, request.action, undefined, { ignoreCase: true }) === true,
  );
  if (actionHit === statement.notAction) return false;
  // POL-7 [I]: a resource whose variable cannot be resolved does not match (never a wildcard);
  // under NotResource it cannot be shown not to match either, so the statement does not apply.
  const results = statement.resources.map((r) => matchPattern(r.pattern, request.resource, lookup));
  if (statement.notResource) {
    if (results.includes('unresolved') || results.includes(true)) return false;
  } else if (!results.includes(true)) {
    return false;
  }
  return statement.conditions.every((c) => conditionHolds(c, context, lookup));
}

/** Values of a condition key in the request context (POL-9: iot:ConnectAttributes is a set). */
function contextValues(key: string, context: PolicyContext): string[] {
  if (key === 'iot:ConnectAttributes') return [...(context.connectAttributes ?? [])];
  const v = resolveVariable(key, context);
  return v === undefined ? [] : [v];
}

/** IAM condition semantics for the operators CONDITION_OPERATORS lists. */
function conditionHolds(clause: ConditionClause, context: PolicyContext, lookup: VariableLookup): boolean {
  const actual = contextValues(clause.key, context);
  if (clause.base === 'Null') {
    const wantAbsent = clause.values.some((v) => literal(v, lookup)?.toLowerCase() === 'true');
    return wantAbsent === (actual.length === 0);
  }
  const negated = /Not/.test(clause.base);
  const one = (value: string): boolean => {
    const hit = clause.values.some((p) => valueMatches(clause.base, p, value, lookup));
    return negated ? !hit : hit;
  };
  if (clause.set === 'ForAllValues') return actual.every(one);
  if (clause.set === 'ForAnyValue') return actual.some(one);
  if (actual.length === 0) return clause.ifExists || negated;
  return actual.some(one);
}

function valueMatches(base: string, pattern: Pattern, value: string, lookup: VariableLookup): boolean {
  switch (base) {
    case 'StringLike':
    case 'StringNotLike':
      return matchPattern(pattern, value, lookup) === true;
    case 'StringEqualsIgnoreCase':
    case 'StringNotEqualsIgnoreCase':
      return literal(pattern, lookup)?.toLowerCase() === value.toLowerCase();
    case 'Bool':
      return literal(pattern, lookup)?.toLowerCase() === value.toLowerCase();
    default:
      return literal(pattern, lookup) === value;
  }
}

/** A condition value for the exact operators: `*` and `?` are plain characters there. */
function literal(pattern: Pattern, lookup: VariableLookup): string | undefined {
  let out = '';
  for (const t of pattern.tokens) {
    if (t.t === 'lit') out += t.s;
    else if (t.t === 'star') out += '*';
    else if (t.t === 'one') out += '?';
    else {
      const v = lookup(t.name);
      if (v === undefined) return undefined;
      out += v;
    }
  }
  return out;
}
