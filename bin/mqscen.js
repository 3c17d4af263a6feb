#!/usr/bin/env node
// Thin launcher: the CLI is compiled TypeScript in dist/ (built by `npm install` through the `prepare` script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = new URL('../dist/runner/cli/', import.meta.url);
const entry = new URL('main.js', dist);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write(
    'mqscen: the compiled CLI is missing (dist/). Run `npm install` (or `npm run build`) in the mqscen folder first.\n',
  );
  process.exit(4);
}
// `mqscen run`: Ctrl+C is caught before the rest of the CLI loads (a few hundred ms), so a press at
// any moment still ends with reports and exit 130. The module imports nothing itself.
if (process.argv[2] === 'run') {
  const { armInterruptHandler } = await import(new URL('interrupt.js', dist).href);
  armInterruptHandler();
}
await import(entry.href);
