#!/usr/bin/env node
// Thin launcher: the CLI is compiled TypeScript in dist/ (built by `npm install` through the `prepare` script).

// `mqscen run`: Ctrl+C is caught before anything else loads (the rest of the CLI takes a few hundred
// ms), so a press at any moment still ends with reports and exit 130. This is the first statement
// on purpose: the module it loads imports nothing itself.
if (process.argv[2] === 'run') {
  try {
    const { armInterruptHandler } = await import('../dist/runner/cli/interrupt.js');
    armInterruptHandler();
  } catch {
    // dist/ is missing: said below.
  }
}

const { existsSync } = await import('node:fs');
const { fileURLToPath } = await import('node:url');
const entry = new URL('../dist/runner/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write(
    'mqscen: the compiled CLI is missing (dist/). Run `npm install` (or `npm run build`) in the mqscen folder first.\n',
  );
  process.exit(4);
}
await import(entry.href);
