#!/usr/bin/env node
// Generates runner/scenario/schema-types.ts (the raw YAML shape) from schemas/scenario.schema.json,
// the single source of truth. `npm run gen:types` writes it; `--check` exits 1 when the committed
// file is stale (also asserted by runner/scenario/generated.test.ts).
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { compile } from 'json-schema-to-typescript';

const root = new URL('../', import.meta.url);
const schemaUrl = new URL('schemas/scenario.schema.json', root);
const outUrl = new URL('runner/scenario/schema-types.ts', root);

export async function renderSchemaTypes() {
  const schema = forTypes(JSON.parse(await readFile(schemaUrl, 'utf8')));
  const ts = await compile(schema, 'RawScenario', {
    bannerComment:
      '/**\n * The raw scenario YAML shape, generated from schemas/scenario.schema.json by\n * scripts/gen-schema-types.mjs (npm run gen:types). Do not edit by hand.\n */',
    additionalProperties: false,
    unreachableDefinitions: false,
    strictIndexSignatures: true,
    format: true,
    style: { singleQuote: true, printWidth: 110, semi: true, trailingComma: 'all' },
    cwd: new URL('schemas/', root).pathname,
  });
  return formatWithBiome(ts, 'runner/scenario/schema-types.ts');
}

/** The committed file is what `biome check --write` leaves, so lint and the staleness check agree. */
export function formatWithBiome(text, path) {
  const biome = new URL('node_modules/.bin/biome', root).pathname;
  const r = spawnSync(biome, ['format', `--stdin-file-path=${path}`], {
    input: text,
    cwd: root.pathname,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`biome format failed: ${r.stderr}`);
  return r.stdout;
}

/**
 * Titles are for editors; as type names they would give `Name`, `QoS1`, ... So property titles are
 * dropped (descriptions stay, as TSDoc), each definition is named after its key, and the
 * "exactly one keyword" `oneOf` of steps and assertions (validation only) is left out.
 */
function forTypes(schema) {
  const pascal = (key) => key.replace(/(^|[-_])(\w)/g, (_, __, c) => c.toUpperCase());
  const strip = (node, keepTitle) => {
    if (Array.isArray(node)) return node.map((n) => strip(n, false));
    if (node === null || typeof node !== 'object') return node;
    // A $ref with sibling annotations would become a numbered copy of the referenced type.
    if (node.$ref !== undefined) return { $ref: node.$ref };
    // `{}` (any value, e.g. payload.json) is `unknown`, not an index-signature object.
    if (Object.keys(node).every((k) => k === 'title' || k === 'description')) return { description: node.description, tsType: 'unknown' };
    const out = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === 'title' && !keepTitle) continue;
      if (key === 'patternErrorMessage') continue;
      if (key === 'oneOf' && value.every((b) => Object.keys(b).length === 1 && b.required)) continue;
      if (key === 'properties' || key === 'definitions') {
        out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, strip(v, false)]));
      } else {
        out[key] = strip(value, false);
      }
    }
    return out;
  };
  const out = strip(schema, true);
  out.title = 'RawScenario';
  for (const [key, def] of Object.entries(out.definitions)) def.title = pascal(key);
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const ts = await renderSchemaTypes();
  if (process.argv.includes('--check')) {
    const current = await readFile(outUrl, 'utf8').catch(() => '');
    if (current !== ts) {
      process.stderr.write('runner/scenario/schema-types.ts is stale: run `npm run gen:types`\n');
      process.exit(1);
    }
  } else {
    await writeFile(outUrl, ts);
    process.stdout.write('wrote runner/scenario/schema-types.ts\n');
  }
}
