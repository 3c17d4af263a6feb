#!/usr/bin/env node
// Thin launcher: the CLI is compiled TypeScript in dist/ (built by `npm install` through the `prepare` script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/runner/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write(
    'mqscen: the compiled CLI is missing (dist/). Run `npm install` (or `npm run build`) in the mqscen folder first.\n',
  );
  process.exit(4);
}
await import(entry.href);
