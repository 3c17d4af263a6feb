/** Every example under scenarios/ passes load → validate → resolve without errors or warnings. */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatIssue } from '../errors.js';
import { loadScenario } from './index.js';

const dir = fileURLToPath(new URL('../../scenarios/', import.meta.url));
const files = readdirSync(dir)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();

test('scenarios/ holds example scenarios', {
  skip: files.length === 0 ? 'scenarios/ is empty' : false,
}, () => {
  assert.ok(files.length > 0);
});

for (const name of files) {
  test(`scenarios/${name} is a valid scenario`, async () => {
    const result = await loadScenario(join(dir, name), { env: {} });
    assert.ok(result.ok, result.ok ? '' : result.issues.map(formatIssue).join('\n'));
    assert.deepEqual(result.warnings.map(formatIssue), []);
    assert.ok(result.scenario.steps.length > 0);
  });
}
