/**
 * JSON schemas of mqscen's documents (schemas/*.schema.json): one ajv validator per schema,
 * compiled once and lazily, and ajv's raw errors turned into one friendly Problem per mistake
 * (at the document path of the offending node, with a fix hint). The scenario pipeline and the
 * targets file both use it; `SchemaVocabulary` holds the few words that differ.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import createDebug from 'debug';
import type { Problem } from './problem.js';
import { closest, describeValue, quoteList } from './suggest.js';
import { isObject, valueAt } from './value.js';
import { type DocPath, formatPath } from './yaml.js';

const debug = createDebug('mqscen:document');

type JsonSchema = Record<string, unknown>;

/** What a document calls its parts, and the messages only it needs. */
export interface SchemaVocabulary {
  /** A key of a mapping: `property` (scenario), `setting` (targets file). */
  key: string;
  /** A key whose name the schema refuses (`propertyNames`). */
  propertyNameMessage?: (path: DocPath, name: string) => string;
  /** A string the `pattern` refuses; undefined for the generic message. */
  patternMessage?: (path: DocPath, data: unknown, pattern: string) => string | undefined;
  /** The whole document has the wrong type (e.g. a list instead of a mapping). */
  rootTypeMessage?: string;
  /**
   * A property whose `enum` decides the rest of its mapping (`kind` of a target): when its value
   * is refused, the errors about the rest of that mapping are left out, they only follow from it.
   */
  discriminator?: string;
}

export interface SchemaChecker {
  /** The parsed schema. */
  schema(): object;
  /** The problems of a document value, at document paths (empty when valid). */
  problems(value: unknown): Problem[];
}

/** A checker for schemas/<fileName>, found beside the source tree or the built dist/ tree. */
export function createSchemaChecker(fileName: string, vocabulary: SchemaVocabulary): SchemaChecker {
  let schema: JsonSchema | undefined;
  let validator: ValidateFunction | undefined;
  const load = (): JsonSchema => {
    schema ??= readPackageSchema(fileName);
    return schema;
  };
  return {
    schema: load,
    problems(value) {
      if (validator === undefined) {
        const started = performance.now();
        validator = createAjv().compile(load());
        debug('%s compiled in %d ms', fileName, Math.round(performance.now() - started));
      }
      if (validator(value)) return [];
      return explainErrors(value, validator.errors ?? [], vocabulary);
    },
  };
}

// --- internal ---

function readPackageSchema(fileName: string): JsonSchema {
  // schemas/ is at the package root: ../../ from runner/document, ../../../ from dist/runner/document.
  let lastError: unknown;
  for (const rel of [`../../schemas/${fileName}`, `../../../schemas/${fileName}`]) {
    try {
      return JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as JsonSchema;
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(`schemas/${fileName} is missing from the mqscen installation`, { cause: lastError });
}

function createAjv(): Ajv {
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
  return ajv;
}

function explainErrors(
  root: unknown,
  errors: readonly ErrorObject[],
  vocabulary: SchemaVocabulary,
): Problem[] {
  const byNode = new Map<string, ErrorObject[]>();
  const key = vocabulary.discriminator;
  const badDiscriminator = new Set(
    key === undefined
      ? []
      : errors
          .filter((e) => e.keyword === 'enum' && e.instancePath.endsWith(`/${key}`))
          .map((e) => e.instancePath.slice(0, -key.length - 1)),
  );
  for (const error of errors) {
    // `if`/`then` wrappers only repeat the precise error below them.
    if (error.keyword === 'if') continue;
    const owner = [...badDiscriminator].find(
      (p) => error.instancePath.startsWith(`${p}/`) || error.instancePath === p,
    );
    if (owner !== undefined && error.instancePath !== `${owner}/${key}`) continue;
    const list = byNode.get(error.instancePath) ?? [];
    list.push(error);
    byNode.set(error.instancePath, list);
  }
  const problems: Problem[] = [];
  const seen = new Set<string>();
  for (const [pointer, nodeErrors] of byNode) {
    const path = pointerToPath(pointer, root);
    for (const p of explainNode(path, valueAt(root, path), nodeErrors, vocabulary)) {
      const key = `${formatPath(p.path)}|${p.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      problems.push(p);
    }
  }
  return problems;
}

/** All errors ajv reported for one node → the few messages a user needs. */
function explainNode(
  path: DocPath,
  data: unknown,
  errors: ErrorObject[],
  vocabulary: SchemaVocabulary,
): Problem[] {
  const at = (message: string, extra: DocPath = [], atKey = false): Problem => ({
    path: [...path, ...extra],
    atKey,
    message,
  });
  // A wrong type makes every other keyword moot for this node.
  const typeError = errors.find((e) => e.keyword === 'type' && !e.schemaPath.includes('/oneOf/'));
  if (typeError !== undefined) {
    if (path.length === 0 && vocabulary.rootTypeMessage !== undefined)
      return [at(vocabulary.rootTypeMessage)];
    return [at(typeMessage(typeError, data))];
  }

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
    out.push(at(`unknown ${vocabulary.key} "${prop}"${hint ? `; ${hint}` : ''}`, [prop], true));
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
        out.push(at(`missing required ${vocabulary.key} "${missing}"${what}`));
        break;
      }
      case 'propertyNames':
        break;
      case 'pattern': {
        const propertyName = (e as { propertyName?: string }).propertyName;
        if (propertyName !== undefined) {
          const message =
            vocabulary.propertyNameMessage?.(path, propertyName) ??
            `name "${propertyName}" is not allowed here`;
          out.push(at(message, [propertyName], true));
          break;
        }
        const special = vocabulary.patternMessage?.(path, data, String(e.params.pattern));
        if (special !== undefined) {
          out.push(at(special));
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

function firstSentence(text: string): string {
  const end = text.search(/\.(\s|$)/);
  return end === -1 ? text : text.slice(0, end);
}
