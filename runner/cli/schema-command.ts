/** `mqscen schema`: prints the scenario (or targets) JSON schema, e.g. for editors. */
import { readFile } from 'node:fs/promises';
import { EXIT_CODES } from '../errors.js';

export async function schemaCommand(opts: { targets?: boolean }): Promise<number> {
  const name = opts.targets ? 'targets.schema.json' : 'scenario.schema.json';
  // schemas/ sits at the package root: ../../schemas from runner/cli, ../../../schemas from dist/runner/cli.
  for (const rel of [`../../schemas/${name}`, `../../../schemas/${name}`]) {
    try {
      process.stdout.write(await readFile(new URL(rel, import.meta.url), 'utf8'));
      return EXIT_CODES.passed;
    } catch {
      // try the next location
    }
  }
  throw new Error(`schemas/${name} is missing from the mqscen installation`);
}
