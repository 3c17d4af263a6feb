/**
 * Step 2 of the scenario pipeline: the JSON schema (schemas/scenario.schema.json, the single
 * source of truth) checked by one ajv validator, compiled once and lazily, shared by
 * `validate`, `run` and the tests. ajv's raw errors are turned into one friendly Issue per
 * problem, with the YAML position of the offending node and a fix hint.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import createDebug from 'debug';
import type { Issue } from '../errors.js';
import { type DocPath, formatPath, type LoadedDocument } from './load.js';
import { type Problem, toIssue } from './problem.js';
import { closest, describeValue, quoteList } from './suggest.js';

const debug = createDebug('mqscen:scenario');

type JsonSchema = Record<string, unknown>;

let schemaCache: JsonSchema | undefined;
let validatorCache: ValidateFunction | undefined;

/** The scenario JSON schema (parsed schemas/scenario.schema.json). */
export function getScenarioSchema(): object {
  if (schemaCache === undefined) {
    // schemas/ is at the package root: ../../ from runner/scenario, ../../../ from dist/runner/scenario.
    const candidates = ['../../schemas/scenario.schema.json', '../../../schemas/scenario.schema.json'];
    let lastError: unknown;
    for (const rel of candidates) {
      try {
        schemaCache = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as JsonSchema;
        break;
      } catch (error) {
        lastError = error;
      }
    }
    if (schemaCache === undefined) {
      throw new Error('schemas/scenario.schema.json is missing from the mqscen installation', {
        cause: lastError,
      });
    }
  }
  return schemaCache;
}

/** The one compiled validator. */
export function getScenarioValidator(): ValidateFunction {
  if (validatorCache === undefined) {
    const started = performance.now();
    const ajv = new Ajv({
      allErrors: true,
      allowUnionTypes: true,
      // parentSchema in each error: titles, descriptions and allowed keys for the messages.
      verbose: true,
      strict: true,
      // `oneOf: [{ required: [connect] }, ...]` says "exactly one step keyword"; the keys are declared in `properties`.
      strictRequired: false,
      // Compile time matters more than validation speed here: `mqscen validate` must start fast.
      code: { optimize: false },
      inlineRefs: false,
    });
    // Editors (VS Code, yaml-language-server) show it instead of the raw pattern; so do we.
    ajv.addKeyword({ keyword: 'patternErrorMessage', schemaType: 'string' });
    const compiled = ajv.compile(getScenarioSchema());
    validatorCache = compiled;
    debug('schema compiled in %d ms', Math.round(performance.now() - started));
    return compiled;
  }
  return validatorCache;
}

/** Validates a parsed document against the schema; returns one Issue per problem (empty when valid). */
export function validateAgainstSchema(loaded: LoadedDocument): Issue[] {
  return schemaProblems(loaded.value).map((p) => toIssue(loaded, p));
}

/** The schema problems of a document value, at document paths (no file positions yet). */
export function schemaProblems(value: unknown): Problem[] {
  const validate = getScenarioValidator();
  if (validate(value)) return [];
  return explainErrors(value, validate.errors ?? []);
}

// --- internal ---

function explainErrors(root: unknown, errors: readonly ErrorObject[]): Problem[] {
  const byNode = new Map<string, ErrorObject[]>();
  for (const error of errors) {
    const list = byNode.get(error.instancePath) ?? [];
    list.push(error);
    byNode.set(error.instancePath, list);
  }
  const problems: Problem[] = [];
  const seen = new Set<string>();
  for (const [pointer, nodeErrors] of byNode) {
    const path = pointerToPath(pointer, root);
    for (const p of explainNode(path, valueAt(root, path), nodeErrors)) {
      const key = `${formatPath(p.path)}|${p.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      problems.push(p);
    }
  }
  return problems;
}

/** All errors ajv reported for one node → the few messages a user needs. */
function explainNode(path: DocPath, data: unknown, errors: ErrorObject[]): Problem[] {
  const at = (message: string, extra: DocPath = [], atKey = false): Problem => ({
    path: [...path, ...extra],
    atKey,
    message,
  });
  // A wrong type makes every other keyword moot for this node.
  const typeError = errors.find((e) => e.keyword === 'type' && !e.schemaPath.includes('/oneOf/'));
  if (typeError !== undefined) return [at(typeMessage(typeError, data))];

  const out: Problem[] = [];
  const unknownKeys = errors.filter((e) => e.keyword === 'additionalProperties');
  const suggested = new Set<string>();
  for (const e of unknownKeys) {
    const prop = String((e.params as { additionalProperty: string }).additionalProperty);
    const allowed = Object.keys(propertiesOf(parentSchema(e)));
    const guess = closest(prop, allowed);
    if (guess !== undefined) suggested.add(guess);
    const hint =
      guess !== undefined
        ? `did you mean "${guess}"?`
        : allowed.length > 0
          ? `allowed here: ${allowed.join(', ')}`
          : '';
    out.push(at(`unknown property "${prop}"${hint ? `; ${hint}` : ''}`, [prop], true));
  }

  for (const e of errors) {
    if (e === typeError || e.keyword === 'additionalProperties') continue;
    if (e.schemaPath.includes('/oneOf/') || e.schemaPath.includes('/anyOf/')) continue;
    switch (e.keyword) {
      case 'oneOf':
      case 'anyOf': {
        const keywords = exactlyOneKeywords(e);
        if (keywords === undefined) {
          out.push(at(`does not match any allowed form (${e.message ?? ''})`));
          break;
        }
        const present = keywords.filter((k) => isObject(data) && k in data);
        if (present.length === 0) {
          // A misspelt keyword was already reported with a suggestion.
          if (unknownKeys.length > 0) break;
          out.push(at(`needs one of ${keywords.join(', ')}`));
        } else {
          out.push(
            at(
              `holds ${quoteList(present, 'and')}; each item takes exactly one of them (split it into separate list items)`,
            ),
          );
        }
        break;
      }
      case 'required': {
        const missing = String((e.params as { missingProperty: string }).missingProperty);
        if (suggested.has(missing)) break;
        const prop = propertiesOf(parentSchema(e))[missing] as JsonSchema | undefined;
        const what = typeof prop?.description === 'string' ? `: ${firstSentence(prop.description)}` : '';
        out.push(at(`missing required property "${missing}"${what}`));
        break;
      }
      case 'propertyNames':
        break;
      case 'pattern': {
        const propertyName = (e as { propertyName?: string }).propertyName;
        if (propertyName !== undefined) {
          out.push(at(propertyNameMessage(path, propertyName), [propertyName], true));
          break;
        }
        const pem = parentSchema(e).patternErrorMessage;
        out.push(
          at(
            `${typeof pem === 'string' ? pem : `must match ${e.params.pattern}`} (got ${describeValue(data)})`,
          ),
        );
        break;
      }
      case 'enum': {
        const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
        const guess = typeof data === 'string' ? closest(data, allowed.map(String)) : undefined;
        out.push(
          at(
            `must be ${quoteList(allowed)} (got ${describeValue(data)})${guess !== undefined ? `; did you mean "${guess}"?` : ''}`,
          ),
        );
        break;
      }
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum': {
        const { comparison, limit } = e.params as { comparison: string; limit: number };
        out.push(at(`must be ${comparison} ${limit} (got ${describeValue(data)})`));
        break;
      }
      case 'minItems':
        out.push(at('must not be an empty list'));
        break;
      case 'maxItems':
      case 'minLength':
        out.push(at(e.keyword === 'minLength' ? 'must not be empty' : (e.message ?? 'has too many items')));
        break;
      case 'minProperties':
      case 'maxProperties': {
        const keys = Object.keys(propertiesOf(parentSchema(e)));
        out.push(
          at(
            e.keyword === 'maxProperties'
              ? `takes exactly one of ${keys.join(', ')}`
              : `must not be empty; give ${keys.length > 0 ? `one of ${keys.join(', ')}` : 'at least one entry'}`,
          ),
        );
        break;
      }
      default:
        out.push(at(e.message ?? `fails ${e.keyword}`));
    }
  }
  return out;
}

function typeMessage(error: ErrorObject, data: unknown): string {
  const schema = parentSchema(error);
  const pem = typeof schema.patternErrorMessage === 'string' ? schema.patternErrorMessage : undefined;
  if (pem?.includes('duration') && typeof data === 'number') {
    return `a bare number is ambiguous here; add a unit: write "${data}s" or "${data}ms"`;
  }
  if (pem !== undefined) return `${pem} (got ${describeValue(data)})`;
  const types = ([] as string[]).concat((error.params as { type: string | string[] }).type);
  const words: Record<string, string> = {
    string: 'a string',
    integer: 'a whole number',
    number: 'a number',
    boolean: 'true or false',
    object: 'a mapping (key: value)',
    array: 'a list',
    null: 'empty',
  };
  return `must be ${types.map((t) => words[t] ?? t).join(' or ')} (got ${describeValue(data)})`;
}

function propertyNameMessage(path: DocPath, name: string): string {
  const parent = path[path.length - 1];
  if (parent === 'clients') {
    return name === 'all'
      ? 'a client cannot be named "all": that word means every client in references; rename it'
      : `client name "${name}" is not allowed: start with a letter, then letters, digits, "_" or "-" (it is used in references like ${name.replace(/[^A-Za-z0-9_-]/g, '')}[2])`;
  }
  if (parent === 'vars') {
    return `variable name "${name}" is not allowed: start with a letter or "_", then letters, digits, "_", "." or "-"`;
  }
  return `name "${name}" is not allowed here`;
}

/** For `oneOf: [{required:[a]}, {required:[b]}]` (exactly one keyword), the keywords; else undefined. */
function exactlyOneKeywords(error: ErrorObject): string[] | undefined {
  const branches = error.schema;
  if (!Array.isArray(branches)) return undefined;
  const keys: string[] = [];
  for (const b of branches as JsonSchema[]) {
    const req = b.required;
    if (Object.keys(b).length !== 1 || !Array.isArray(req) || req.length !== 1) return undefined;
    keys.push(String(req[0]));
  }
  return keys;
}

function parentSchema(error: ErrorObject): JsonSchema {
  return isObject(error.parentSchema) ? (error.parentSchema as JsonSchema) : {};
}

function propertiesOf(schema: JsonSchema): Record<string, unknown> {
  return isObject(schema.properties) ? (schema.properties as Record<string, unknown>) : {};
}

function pointerToPath(pointer: string, root: unknown): DocPath {
  if (pointer === '') return [];
  const path: Array<string | number> = [];
  let node: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      path.push(Number(segment));
      node = node[Number(segment)];
    } else {
      path.push(segment);
      node = isObject(node) ? (node as Record<string, unknown>)[segment] : undefined;
    }
  }
  return path;
}

function valueAt(root: unknown, path: DocPath): unknown {
  let node = root;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function firstSentence(text: string): string {
  const end = text.search(/\.(\s|$)/);
  return end === -1 ? text : text.slice(0, end);
}
