/**
 * Warnings for the policy mistakes that most often make a test "not work" on AWS IoT Core, found
 * in the document alone (the scenario-driven ones are `mqscen policy check`'s): Subscribe granted
 * without Receive, `topic/` written for Subscribe or `topicfilter/` for Receive (POL-2), MQTT
 * wildcards that are literal characters in policies (POL-3, POL-6), `iot:*` on `*`, Terraform's
 * `$${…}` escape left in the document, and variables AWS does not know (POL-7).
 */
import type { PolicyDocument, PolicyStatement } from '../../broker/policy/document.js';
import { isKnownVariable } from '../../broker/policy/variables.js';
import { matchPattern } from '../../broker/policy/wildcard.js';
import type { Issue } from '../errors.js';

/** Every warning for the document, positioned at the statement or resource it is about. */
export function lintPolicy(doc: PolicyDocument): Issue[] {
  const issues: Issue[] = [];
  const warn = (pos: { line: number; column: number }, path: string, message: string): void => {
    issues.push({ file: doc.name, line: pos.line, column: pos.column, path, message, severity: 'warning' });
  };
  const allows = doc.statements.filter((s) => s.effect === 'Allow');
  if (doc.size > MAX_POLICY_SIZE) {
    const first = doc.statements[0]?.pos ?? { line: 1, column: 1 };
    warn(
      first,
      '',
      `the document has ${doc.size} characters without whitespace; AWS IoT refuses policies over ${MAX_POLICY_SIZE} (split it into several policies)`,
    );
  }
  for (const s of doc.statements) {
    const at = `Statement[${s.index - 1}]`;
    const subscribe = grantsExplicitly(s, 'iot:Subscribe');
    const topicActions = ['iot:Receive', 'iot:Publish', 'iot:RetainPublish'].filter((a) =>
      grantsExplicitly(s, a),
    );
    const types = new Set(s.resources.map((r) => resourceType(r.pattern.text)));
    if (!s.notResource && subscribe && !types.has('topicfilter') && types.has('topic')) {
      warn(
        s.pos,
        at,
        'iot:Subscribe is checked on topicfilter/<filter>, never on topic/<name> (POL-2): this statement grants no Subscribe; write arn:aws:iot:…:topicfilter/…',
      );
    }
    if (!s.notResource && topicActions.length > 0 && !types.has('topic') && types.has('topicfilter')) {
      warn(
        s.pos,
        at,
        `${topicActions.join(', ')} ${topicActions.length > 1 ? 'are' : 'is'} checked on topic/<name>, never on topicfilter/<filter> (POL-2): write arn:aws:iot:…:topic/…`,
      );
    }
    for (const r of s.resources) {
      const text = r.pattern.text;
      const type = resourceType(text);
      const rest = type === undefined ? '' : text.slice(text.indexOf(`${type}/`) + type.length + 1);
      if (type !== undefined && /[+#]/.test(rest)) {
        warn(
          r.pos,
          at,
          type === 'topicfilter'
            ? `"+"/"#" in ${text} are literal characters (POL-3): it grants only a SUBSCRIBE to exactly that filter; use "*" to cover several filters`
            : `"+"/"#" in ${text} are literal characters in policies, not MQTT wildcards (POL-6): use "*" (any run, "/" included) or "?"`,
        );
      }
      if (/\$\$\{/.test(text)) {
        warn(
          r.pos,
          at,
          `"$\${…}" in ${text} is Terraform's escape: the document AWS receives must hold "\${…}" (render the policy, or write the escape only in the .tf source)`,
        );
      }
      const parts = text.split(':');
      if (parts.length >= 6) {
        // `<account>` / `${…}`: stand-ins filled in before the document reaches AWS (aws provision --dry-run).
        const [region, account] = [parts[3] as string, parts[4] as string];
        if (!/[*?]/.test(region) && !/^(\$\{|<)/.test(region) && !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) {
          warn(
            r.pos,
            at,
            `region "${region}" in ${text} is not an AWS region (a placeholder?): no request matches it; write the region or *`,
          );
        }
        if (!/[*?]/.test(account) && !/^(\$\{|<)/.test(account) && !/^\d{12}$/.test(account)) {
          warn(
            r.pos,
            at,
            `account "${account}" in ${text} is not a 12-digit account id (a placeholder?): no request matches it; write the account id or *`,
          );
        }
      }
      for (const v of r.pattern.variables) {
        if (!isKnownVariable(v) && !['*', '?', '$'].includes(v)) {
          warn(
            r.pos,
            at,
            `unknown policy variable "\${${v}}": it never resolves, so this resource never matches (POL-7)`,
          );
        }
      }
    }
    if (
      s.effect === 'Allow' &&
      !s.notAction &&
      !s.notResource &&
      s.actions.some((a) => a.text === 'iot:*' || a.text === '*') &&
      s.resources.some((r) => r.pattern.text === '*') &&
      s.conditions.length === 0
    ) {
      warn(
        s.pos,
        at,
        'iot:* on "*" allows every client everything: a scenario passing under it says nothing about the policy your devices will have',
      );
    }
  }
  // Subscribe without Receive: subscribers would get nothing (POL-2, awsdocs PR #10).
  for (const s of allows) {
    if (s.notResource || !grants(s, 'iot:Subscribe')) continue;
    for (const r of s.resources) {
      if (resourceType(r.pattern.text) !== 'topicfilter') continue;
      // The Receive resource a delivery through this filter is checked on (share form, POL-5).
      const probe = r.pattern.text
        .replace(':topicfilter/', ':topic/')
        .replace(/\*/g, 'x')
        .replace(/\?/g, 'x');
      const covered = allows.some(
        (a) =>
          grants(a, 'iot:Receive') &&
          !a.notResource &&
          a.resources.some((ar) => matchPattern(ar.pattern, probe, () => 'x') === true),
      );
      if (!covered) {
        warn(
          r.pos,
          `Statement[${s.index - 1}]`,
          `Subscribe is granted on ${shortOf(r.pattern.text)} but no statement grants iot:Receive on ${shortOf(probe.replace(/x/g, '*'))}: the subscription is accepted and receives nothing (POL-2)`,
        );
      }
    }
  }
  return issues;
}

// --- internal ---

/** AWS IoT policy documents are limited to 2048 characters, whitespace excluded. */
const MAX_POLICY_SIZE = 2048;

function resourceType(arn: string): string | undefined {
  const m = /^arn:[^:]*:[^:]*:[^:]*:[^:]*:([a-z]+)\//.exec(arn);
  return m?.[1];
}

function shortOf(arn: string): string {
  const parts = arn.split(':');
  return parts.length >= 6 ? parts.slice(5).join(':') : arn;
}

/** The statement's actions cover `action` (wildcards included). */
function grants(s: PolicyStatement, action: string): boolean {
  const hit = s.actions.some((a) => matchPattern(a, action, undefined, { ignoreCase: true }) === true);
  return hit !== s.notAction;
}

/** The statement names `action` itself (not through `iot:*`), so a resource-type mismatch is a mistake. */
function grantsExplicitly(s: PolicyStatement, action: string): boolean {
  return !s.notAction && s.actions.some((a) => a.text.toLowerCase() === action.toLowerCase());
}
