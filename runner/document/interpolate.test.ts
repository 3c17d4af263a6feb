// biome-ignore-all lint/suspicious/noTemplateCurlyInString: documents write ${env:NAME} literally
/**
 * `${env:NAME}` as the targets file reads it when a target starts: substituted, or the first
 * variable that is unset or empty named (an empty secret is a mistake, not a value).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { substituteEnv } from './interpolate.js';

test('substituteEnv replaces every reference and names the first one missing', () => {
  assert.deepEqual(substituteEnv('mqtts://${env:HOST}:${env:PORT}', { HOST: 'h', PORT: '8883' }), {
    ok: true,
    text: 'mqtts://h:8883',
  });
  assert.deepEqual(substituteEnv('no references', {}), { ok: true, text: 'no references' });
  assert.deepEqual(substituteEnv('${env:A}-${env:B}', { B: 'b' }), { ok: false, missing: 'A' });
  assert.deepEqual(substituteEnv('${env:EMPTY}', { EMPTY: '' }), { ok: false, missing: 'EMPTY' });
  // Not an environment reference: left as written (the schema decides whether it may be there).
  assert.deepEqual(substituteEnv('${name}', {}), { ok: true, text: '${name}' });
});
