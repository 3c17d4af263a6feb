#!/usr/bin/env node
// Runs every *.test.ts under runner/, broker/ and test/ with node's test runner and the tsx loader.
// (Node 20's `node --test` takes no globs, so the files are listed here.)
// Usage: node test/run-tests.mjs [substring ...]   — only files whose path contains a substring.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const roots = ['runner', 'broker', 'test'];
const filters = process.argv.slice(2);
const files = roots
  .flatMap((root) =>
    readdirSync(root, { recursive: true, withFileTypes: false }).map((f) => join(root, String(f))),
  )
  .filter((f) => f.endsWith('.test.ts'))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();

if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=120000', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
