/**
 * Files generated from the JSON schemas must match them: the raw YAML types
 * (runner/scenario/schema-types.ts and runner/targets/schema-types.ts, npm run gen:types) and the
 * reference (docs/scenario-reference.md, npm run gen:docs). Editing a schema without regenerating
 * fails here.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));

for (const [script, generated, command] of [
  [
    'scripts/gen-schema-types.mjs',
    'runner/scenario/schema-types.ts and runner/targets/schema-types.ts',
    'gen:types',
  ],
  ['scripts/gen-scenario-docs.mjs', 'docs/scenario-reference.md', 'gen:docs'],
] as const) {
  test(`${generated} is up to date with the schema`, () => {
    const r = spawnSync(process.execPath, [script, '--check'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, `${generated} is stale: run \`npm run ${command}\`\n${r.stderr}`);
  });
}
