#!/usr/bin/env node
// Generates the raw YAML shapes from the JSON schemas, the single source of truth:
// runner/scenario/schema-types.ts from schemas/scenario.schema.json and
// runner/targets/schema-types.ts from schemas/targets.schema.json. `npm run gen:types` writes them;
// `--check` exits 1 when a committed file is stale (also asserted by test/generated.test.ts).
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { compile } from 'json-schema-to-typescript';

const root = new URL('../', import.meta.url);

/** Each schema, the type name of its root, the file written, and what the file is. */
export const GENERATED_TYPES = [
  { schema: 'schemas/scenario.schema.json', rootName: 'RawScenario', out: 'runner/scenario/schema-types.ts', what: 'scenario' },
  { schema: 'schemas/targets.schema.json', rootName: 'RawTargets', out: 'runner/targets/schema-types.ts', what: 'targets file' },
];

export async function renderSchemaTypes(spec = GENERATED_TYPES[0]) {
  const schema = forTypes(JSON.parse(await readFile(new URL(spec.schema, root), 'utf8')), spec.rootName);
  const ts = await compile(schema, spec.rootName, {
    bannerComment: `/**\n * The raw ${spec.what} YAML shape, generated from ${spec.schema} by\n * scripts/gen-schema-types.mjs (npm run gen:types). Do not edit by hand.\n */`,
    additionalProperties: false,
    unreachableDefinitions: false,
    strictIndexSignatures: true,
    format: true,
    style: { singleQuote: true, printWidth: 110, semi: true, trailingComma: 'all' },
    cwd: new URL('schemas/', root).pathname,
  });
  return formatWithBiome(ts, spec.out);
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
 * "exactly one keyword" `oneOf` of steps and assertions (validation only) is left out. A
 * definition that picks its shape with `allOf: [{ if, then: { $ref } }]` (a target by `kind`)
 * becomes the union of the `then` shapes; other `if`/`then` pairs only add requirements and are
 * left out.
 */
function forTypes(schema, rootName) {
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
      if (key === 'allOf' && value.every((b) => b.if && b.then?.$ref)) {
        return { description: node.description, oneOf: value.map((b) => strip(b.then, false)) };
      }
      // Conditional `required` (e.g. auth: mtls needs cert and key) is for validation only.
      if (key === 'allOf' && value.every((b) => b.if && b.then && !b.then.$ref)) continue;
      if (key === 'properties' || key === 'definitions') {
        out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, strip(v, false)]));
      } else {
        out[key] = strip(value, false);
      }
    }
    return out;
  };
  const out = strip(schema, true);
  out.title = rootName;
  for (const [key, def] of Object.entries(out.definitions)) def.title = pascal(key);
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let stale = false;
  for (const spec of GENERATED_TYPES) {
    const ts = await renderSchemaTypes(spec);
    const outUrl = new URL(spec.out, root);
    if (process.argv.includes('--check')) {
      const current = await readFile(outUrl, 'utf8').catch(() => '');
      if (current !== ts) {
        process.stderr.write(`${spec.out} is stale: run \`npm run gen:types\`\n`);
        stale = true;
      }
    } else {
      await writeFile(outUrl, ts);
      process.stdout.write(`wrote ${spec.out}\n`);
    }
  }
  if (stale) process.exit(1);
}
