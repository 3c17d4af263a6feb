/**
 * What `npm run build` compiles into dist/ (tsconfig.build.json): the shipped code only. Test
 * support (fixtures, contract suites, test brokers) stays out, yet `npm run typecheck`
 * (tsconfig.json) still checks it. The file lists come from the compiler itself, so a new test
 * support file pulled into the build by an import fails here, whatever its name.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const root = resolve(import.meta.dirname, '..');
// Through the project's node_modules (as npm scripts run it), so type packages resolve from here.
const tsc = join(root, 'node_modules/typescript/bin/tsc');

function compiledFiles(project: string): string[] {
  const run = spawnSync(process.execPath, [tsc, '-p', project, '--listFilesOnly'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(run.status, 0, `tsc -p ${project} --listFilesOnly failed:\n${run.stdout}\n${run.stderr}`);
  return run.stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.includes('node_modules'))
    .map((file) => relative(root, file));
}

/** Test support: imports the test runner or assertions, or is one of the known support files. */
function isTestSupport(file: string): boolean {
  if (/\.test\.ts$|\.contract\.ts$|(^|\/)_(fixtures|test-helpers|aws-test-broker)\.ts$/.test(file))
    return true;
  return /from 'node:(test|assert)(\/strict)?'/.test(readFileSync(resolve(root, file), 'utf8'));
}

test('the build (dist/) holds no test support; the typecheck still covers it', () => {
  const built = compiledFiles('tsconfig.build.json');
  assert.ok(built.includes('runner/cli/main.ts'), 'the build compiles the CLI');
  assert.deepEqual(
    built.filter(isTestSupport),
    [],
    'exclude test support from tsconfig.build.json (or move it under test/)',
  );
  const checked = compiledFiles('tsconfig.json');
  for (const file of [
    'runner/verdict/_fixtures.ts',
    'runner/transports/transport.contract.ts',
    'broker/_test-helpers.ts',
  ]) {
    assert.ok(checked.includes(file), `npm run typecheck covers ${file}`);
  }
});
