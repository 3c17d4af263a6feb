#!/usr/bin/env node
// Generates docs/scenario-reference.md from the titles and descriptions of
// schemas/scenario.schema.json (the single source of truth). `npm run gen:docs` writes it;
// `--check` exits 1 when the committed file is stale (also asserted by runner/scenario/generated.test.ts).
import { mkdir, readFile, writeFile } from 'node:fs/promises';

const root = new URL('../', import.meta.url);
const schemaUrl = new URL('schemas/scenario.schema.json', root);
const outUrl = new URL('docs/scenario-reference.md', root);

export async function renderScenarioReference() {
  const schema = JSON.parse(await readFile(schemaUrl, 'utf8'));
  const defs = schema.definitions;
  const out = [];
  const line = (text = '') => out.push(text);
  const anchor = (title) => title.toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-');
  const cell = (text) => String(text ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const typeOf = (s) => {
    if (s === undefined) return '';
    if (s.$ref) {
      const key = s.$ref.split('/').pop();
      const sections = { client: 'clients', step: 'steps', assertion: 'assertions-expect' };
      return `[${defs[key].title}](#${sections[key] ?? anchor(defs[key].title)})`;
    }
    if (s.enum) {
      return [...new Set(s.enum.map((v) => String(v)))].map((v) => `\`${v}\``).join(', ');
    }
    const types = [].concat(s.type ?? 'any');
    return types
      .map((t) => {
        if (t === 'array') return `list of ${s.items ? typeOf(s.items) || 'values' : 'values'}`;
        if (t === 'object' && s.properties) return 'mapping (below)';
        if (t === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object') {
          return `map of name → ${typeOf(s.additionalProperties)}`;
        }
        return t === 'null' ? 'empty' : t;
      })
      .join(' or ');
  };
  const table = (schema, heading, depth) => {
    const props = schema.properties ?? {};
    const required = new Set(schema.required ?? []);
    line('| property | type | description |');
    line('|---|---|---|');
    for (const [name, p] of Object.entries(props)) {
      const desc = `${p.title ? `**${p.title}.** ` : ''}${p.description ?? ''}`;
      line(`| \`${name}\`${required.has(name) ? ' (required)' : ''} | ${cell(typeOf(p))} | ${cell(desc)} |`);
    }
    line();
    for (const [name, p] of Object.entries(props)) {
      if (p.properties && Object.keys(p.properties).length > 0) {
        line(`${'#'.repeat(Math.min(depth + 1, 6))} ${heading}.${name}`);
        line();
        if (p.description) line(p.description);
        line();
        table(p, `${heading}.${name}`, depth + 1);
      }
    }
  };

  line('# Scenario file reference');
  line();
  line('<!-- Generated from schemas/scenario.schema.json by scripts/gen-scenario-docs.mjs (npm run gen:docs). Do not edit. -->');
  line();
  line(schema.description);
  line();
  line('## Top level');
  line();
  table(schema, 'top', 2);
  for (const [pattern, p] of Object.entries(schema.patternProperties ?? {})) {
    line(`Keys matching \`${pattern}\`: **${p.title}.** ${p.description}`);
    line();
  }
  line('## Clients');
  line();
  line(`\`clients.<name>\`: ${defs.client.description}`);
  line();
  table(defs.client, 'clients.<name>', 2);
  line('## Steps');
  line();
  line(defs.step.description);
  line();
  const stepProps = defs.step.properties;
  const stepCommon = ['id', 'name'];
  line('Every step item may also carry:');
  line();
  table({ properties: Object.fromEntries(stepCommon.map((k) => [k, stepProps[k]])) }, 'step', 3);
  for (const [name, p] of Object.entries(stepProps)) {
    if (stepCommon.includes(name)) continue;
    line(`### ${name}`);
    line();
    line(`**${p.title}.** ${p.description}`);
    line();
    line(`Value: ${typeOf(p)}.`);
    line();
    if (p.properties) table(p, name, 3);
  }
  line('## Assertions (`expect`)');
  line();
  line(defs.assertion.description);
  line();
  const aProps = defs.assertion.properties;
  const aCommon = ['name', 'on'];
  line('Every assertion item may also carry:');
  line();
  table({ properties: Object.fromEntries(aCommon.map((k) => [k, aProps[k]])) }, 'assertion', 3);
  for (const [name, p] of Object.entries(aProps)) {
    if (aCommon.includes(name)) continue;
    line(`### ${name}`);
    line();
    line(`**${p.title}.** ${p.description}`);
    line();
    if (p.properties) table(p, name, 3);
  }
  line('## Value types');
  line();
  for (const key of ['duration', 'clientRefs', 'countComparison', 'payload', 'subscription', 'reasonCode']) {
    const d = defs[key];
    line(`### ${d.title}`);
    line();
    line(d.description);
    line();
    if (d.examples) line(`Examples: ${d.examples.map((e) => `\`${e}\``).join(', ')}.`);
    if (d.examples) line();
    if (d.properties) table(d, key, 3);
  }
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const md = await renderScenarioReference();
  if (process.argv.includes('--check')) {
    const current = await readFile(outUrl, 'utf8').catch(() => '');
    if (current !== md) {
      process.stderr.write('docs/scenario-reference.md is stale: run `npm run gen:docs`\n');
      process.exit(1);
    }
  } else {
    await mkdir(new URL('docs/', root), { recursive: true });
    await writeFile(outUrl, md);
    process.stdout.write('wrote docs/scenario-reference.md\n');
  }
}
