/** `mqscen validate`: schema and cross-reference checks of every file, nothing connects. */
import { EXIT_CODES, formatIssue, type Issue } from '../errors.js';
import { loadScenario } from '../scenario/index.js';
import { expandFileArguments, parseVarFlags, warnUnusedVars } from './files.js';

export async function validateCommand(patterns: string[], opts: { var: string[] }): Promise<number> {
  const files = await expandFileArguments(patterns);
  const vars = parseVarFlags(opts.var);
  await warnUnusedVars(vars, files);
  let problems = 0;
  let badFiles = 0;
  for (const file of files) {
    const result = await loadScenario(file, { vars, env: process.env });
    if (!result.ok) {
      badFiles++;
      problems += printIssues(result.issues);
      continue;
    }
    printIssues(result.warnings);
    const s = result.scenario;
    process.stdout.write(
      `ok  ${file}  "${s.name}": ${s.clients.length} clients, ${s.steps.length} steps, ${s.expect.length} assertions\n`,
    );
  }
  if (badFiles > 0) {
    process.stderr.write(
      `${problems} problem${problems === 1 ? '' : 's'} in ${badFiles} file${badFiles === 1 ? '' : 's'}\n`,
    );
    return EXIT_CODES.invalidInput;
  }
  return EXIT_CODES.passed;
}

/** Prints issues sorted by file and line; returns how many were errors. */
export function printIssues(issues: readonly Issue[]): number {
  const sorted = [...issues].sort(
    (a, b) =>
      a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0),
  );
  for (const issue of sorted) process.stderr.write(`${formatIssue(issue)}\n`);
  return sorted.filter((i) => i.severity === 'error').length;
}
