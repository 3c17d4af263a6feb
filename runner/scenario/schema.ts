/**
 * The scenario JSON schema (schemas/scenario.schema.json, the single source of truth), checked by
 * one validator shared by `validate`, `run` and the tests.
 */
import type { Problem } from '../document/problem.js';
import { createSchemaChecker } from '../document/schema.js';
import type { DocPath } from '../document/yaml.js';

const checker = createSchemaChecker('scenario.schema.json', {
  key: 'property',
  propertyNameMessage,
});

/** The scenario JSON schema (parsed schemas/scenario.schema.json). */
export function getScenarioSchema(): object {
  return checker.schema();
}

/** The schema problems of a scenario document value, at document paths. */
export function scenarioSchemaProblems(value: unknown): Problem[] {
  return checker.problems(value);
}

// --- internal ---

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
