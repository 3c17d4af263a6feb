/**
 * AWS IoT policy documents read from JSON text: a checked PolicyDocument (broker/policy), every
 * problem (bad JSON, wrong Version, unknown action, malformed ARN, unknown condition operator)
 * reported at file:line:column, like scenario errors, all at once.
 */
import { readFile } from 'node:fs/promises';
import {
  CONDITION_OPERATORS,
  type ConditionClause,
  IOT_ACTIONS,
  type PolicyDocument,
  type PolicyResource,
  type PolicyStatement,
  RESOURCE_TYPES,
} from '../../broker/policy/document.js';
import { type Pattern, parsePattern } from '../../broker/policy/wildcard.js';
import { type Issue, ScenarioError, UsageError } from '../errors.js';
import { type JsonNode, JsonSyntaxError, type Position, parseJsonWithPositions } from './json.js';
import { closest } from './suggest.js';

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

/** Reads a policy document's text; ScenarioError (exit 2) with every problem positioned. */
export function parsePolicyDocument(text: string, name: string): PolicyDocument {
  const issues: Issue[] = [];
  const problem = (pos: Position | undefined, path: string, message: string): void => {
    issues.push({ file: name, line: pos?.line, column: pos?.column, path, message, severity: 'error' });
  };
  let root: JsonNode;
  try {
    root = parseJsonWithPositions(text);
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    problem(error.pos, '', `not valid JSON: ${error.message}`);
    throw new ScenarioError(`policy ${name} is not valid JSON`, issues);
  }
  const statements: PolicyStatement[] = [];
  if (root.kind !== 'object') {
    problem(root.pos, '', 'a policy is a JSON object: { "Version": "2012-10-17", "Statement": [...] }');
  } else {
    const version = field(root, 'Version');
    if (version === undefined) {
      problem(
        root.pos,
        '',
        'missing "Version": "2012-10-17" (without it AWS does not substitute policy variables)',
      );
    } else if (version.value.kind !== 'string' || version.value.value !== '2012-10-17') {
      problem(version.value.pos, 'Version', 'must be "2012-10-17"');
    }
    for (const e of root.entries) {
      if (e.key !== 'Version' && e.key !== 'Statement' && e.key !== 'Id')
        problem(e.keyPos, e.key, `unknown key "${e.key}"; a policy has Version, Statement and optionally Id`);
    }
    const st = field(root, 'Statement');
    if (st === undefined) {
      problem(root.pos, '', 'missing "Statement": a policy without statements allows nothing');
    } else {
      const list = st.value.kind === 'array' ? st.value.items : [st.value];
      list.forEach((node, i) => {
        const path = st.value.kind === 'array' ? `Statement[${i}]` : 'Statement';
        const s = parseStatement(node, i + 1, path, problem);
        if (s !== undefined) statements.push(s);
      });
    }
  }
  if (issues.length > 0) {
    throw new ScenarioError(`policy ${name} has ${issues.length} problem(s)`, issues);
  }
  return { name, statements, size: text.replace(/\s/g, '').length };
}

// --- internal ---

type Problem = (pos: Position | undefined, path: string, message: string) => void;

function field(node: JsonNode & { kind: 'object' }, key: string) {
  return node.entries.find((e) => e.key === key);
}

const STATEMENT_KEYS = ['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition'];

function parseStatement(
  node: JsonNode,
  index: number,
  path: string,
  problem: Problem,
): PolicyStatement | undefined {
  if (node.kind !== 'object') {
    problem(node.pos, path, 'a statement is an object with Effect, Action and Resource');
    return undefined;
  }
  let ok = true;
  const bad: Problem = (pos, p, m) => {
    ok = false;
    problem(pos, p, m);
  };
  for (const e of node.entries) {
    if (!STATEMENT_KEYS.includes(e.key)) {
      const hint = closest(e.key, STATEMENT_KEYS);
      bad(
        e.keyPos,
        `${path}.${e.key}`,
        `unknown key "${e.key}"${hint ? `; did you mean "${hint}"?` : `; a statement has ${STATEMENT_KEYS.join(', ')}`}`,
      );
    }
  }
  const sidNode = field(node, 'Sid');
  const sid = sidNode?.value.kind === 'string' ? sidNode.value.value : undefined;
  const effectNode = field(node, 'Effect');
  let effect: 'Allow' | 'Deny' = 'Allow';
  if (effectNode === undefined) bad(node.pos, path, 'missing "Effect" ("Allow" or "Deny")');
  else if (effectNode.value.kind !== 'string' || !['Allow', 'Deny'].includes(effectNode.value.value))
    bad(effectNode.value.pos, `${path}.Effect`, 'must be "Allow" or "Deny"');
  else effect = effectNode.value.value as 'Allow' | 'Deny';

  // Action / NotAction
  const action = field(node, 'Action');
  const notAction = field(node, 'NotAction');
  const actions: Pattern[] = [];
  if ((action === undefined) === (notAction === undefined)) {
    bad(node.pos, path, 'a statement needs exactly one of "Action" or "NotAction"');
  }
  const actionEntry = action ?? notAction;
  if (actionEntry !== undefined) {
    for (const { value, pos, at } of stringList(actionEntry.value, `${path}.${actionEntry.key}`, bad)) {
      const message = checkAction(value);
      if (message !== undefined) bad(pos, at, message);
      else actions.push(parsePattern(value));
    }
  }

  // Resource / NotResource
  const resource = field(node, 'Resource');
  const notResource = field(node, 'NotResource');
  const resources: PolicyResource[] = [];
  if ((resource === undefined) === (notResource === undefined)) {
    bad(node.pos, path, 'a statement needs exactly one of "Resource" or "NotResource"');
  }
  const resourceEntry = resource ?? notResource;
  if (resourceEntry !== undefined) {
    for (const { value, pos, at } of stringList(resourceEntry.value, `${path}.${resourceEntry.key}`, bad)) {
      const message = checkArn(value);
      if (message !== undefined) bad(pos, at, message);
      else resources.push({ pattern: parsePattern(value), pos });
    }
  }

  // Condition
  const conditions: ConditionClause[] = [];
  const cond = field(node, 'Condition');
  if (cond !== undefined) {
    if (cond.value.kind !== 'object') {
      bad(cond.value.pos, `${path}.Condition`, 'must be an object { "<operator>": { "<key>": <value(s)> } }');
    } else {
      for (const op of cond.value.entries) {
        const at = `${path}.Condition.${op.key}`;
        const m = /^(?:(ForAllValues|ForAnyValue):)?([A-Za-z]+?)(IfExists)?$/.exec(op.key);
        const base = m?.[2];
        if (m === null || base === undefined || !CONDITION_OPERATORS.includes(base)) {
          const hint = closest(op.key.replace(/^For(All|Any)Values?:/, ''), CONDITION_OPERATORS);
          bad(
            op.keyPos,
            at,
            `unknown condition operator "${op.key}"${hint ? `; did you mean "${hint}"?` : `; supported: ${CONDITION_OPERATORS.join(', ')} (optionally ForAllValues:/ForAnyValue: and IfExists)`}`,
          );
          continue;
        }
        if (op.value.kind !== 'object') {
          bad(op.value.pos, at, 'must be an object { "<key>": <value or list> }');
          continue;
        }
        for (const k of op.value.entries) {
          const values = stringList(k.value, `${at}.${k.key}`, bad, true);
          const clause: ConditionClause = {
            operator: op.key,
            base,
            ifExists: m[3] !== undefined,
            key: k.key,
            values: values.map((v) => parsePattern(v.value)),
            pos: k.keyPos,
          };
          if (m[1] !== undefined) clause.set = m[1] as 'ForAllValues' | 'ForAnyValue';
          conditions.push(clause);
        }
      }
    }
  }
  if (!ok) return undefined;
  const statement: PolicyStatement = {
    index,
    effect,
    actions,
    notAction: notAction !== undefined,
    resources,
    notResource: notResource !== undefined,
    conditions,
    pos: node.pos,
  };
  if (sid !== undefined) statement.sid = sid;
  return statement;
}

/** A string or a non-empty list of strings (booleans too for condition values). */
function stringList(
  node: JsonNode,
  path: string,
  bad: Problem,
  allowScalars = false,
): Array<{ value: string; pos: Position; at: string }> {
  const items = node.kind === 'array' ? node.items : [node];
  if (node.kind === 'array' && items.length === 0) bad(node.pos, path, 'must not be an empty list');
  const out: Array<{ value: string; pos: Position; at: string }> = [];
  items.forEach((item, i) => {
    const at = node.kind === 'array' ? `${path}[${i}]` : path;
    if (item.kind === 'string') out.push({ value: item.value, pos: item.pos, at });
    else if (allowScalars && (item.kind === 'boolean' || item.kind === 'number'))
      out.push({ value: String(item.value), pos: item.pos, at });
    else bad(item.pos, at, 'must be a string or a list of strings');
  });
  return out;
}

/** undefined when the action is acceptable, else the message. */
function checkAction(value: string): string | undefined {
  if (value === '*') return undefined;
  const m = /^([a-zA-Z0-9-]+):(.+)$/.exec(value);
  if (m === null) return `action "${value}" must be "service:Name", e.g. "iot:Publish"`;
  if ((m[1] as string).toLowerCase() !== 'iot') return undefined; // greengrass:…, iotjobsdata:…: never MQTT
  const name = m[2] as string;
  if (/[*?]/.test(name)) {
    const pattern = new RegExp(
      `^iot:${name
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
      'i',
    );
    if (IOT_ACTIONS.some((a) => pattern.test(a))) return undefined;
    return `action "${value}" matches no AWS IoT action`;
  }
  if (IOT_ACTIONS.some((a) => a.toLowerCase() === value.toLowerCase())) return undefined;
  const hint = closest(value, IOT_ACTIONS);
  return `unknown action "${value}"${hint ? `; did you mean "${hint}"?` : `; MQTT actions are ${IOT_ACTIONS.slice(0, 5).join(', ')}`}`;
}

/** undefined when the resource is `*` or a well-formed AWS IoT ARN, else the message. */
function checkArn(value: string): string | undefined {
  if (value === '*') return undefined;
  const parts = value.split(':');
  if (
    parts.length < 6 ||
    parts[0] !== 'arn' ||
    !['aws', 'aws-cn', 'aws-us-gov', '*'].includes(parts[1] as string)
  ) {
    return `malformed ARN "${value}": write arn:aws:iot:<region>:<account>:<type>/<name>, e.g. arn:aws:iot:*:*:topic/sensors/temp`;
  }
  if (parts[2] !== 'iot' && parts[2] !== '*') {
    return `ARN "${value}" is for service "${parts[2]}"; AWS IoT policies name arn:aws:iot:… resources`;
  }
  const rest = parts.slice(5).join(':');
  const slash = rest.indexOf('/');
  const type = slash < 0 ? rest : rest.slice(0, slash);
  if (rest === '*' || /^[*?]/.test(type)) return undefined;
  if (slash < 0 || !RESOURCE_TYPES.includes(type)) {
    const hint = closest(type, RESOURCE_TYPES);
    return `malformed ARN "${value}": resource type "${type}" is not one of ${RESOURCE_TYPES.slice(0, 4).join(', ')}, ...${hint && hint !== type ? `; did you mean "${hint}/"?` : ''}`;
  }
  return undefined;
}
