/** `mqscen validate`: schema and cross-reference checks of every file, nothing connects. */
import { readFile } from 'node:fs/promises';
import { EXIT_CODES, formatIssue, type Issue, ScenarioError, UsageError } from '../errors.js';
import { loadScenario } from '../scenario/index.js';
import { expandFileArguments, parseVarFlags, refuseSpecialFile, warnUnusedVars } from './files.js';

export async function validateCommand(
  patterns: string[],
  opts: { var: string[]; targets?: string },
): Promise<number> {
  if (patterns.length === 0 && opts.targets === undefined) {
    throw new UsageError('nothing to validate', {
      hint: 'give scenario files or globs (mqscen validate "scenarios/*.yaml"), and/or --targets FILE',
    });
  }
  let targetsBad = false;
  if (opts.targets !== undefined) targetsBad = !(await validateTargetsFile(opts.targets));
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
  return targetsBad ? EXIT_CODES.invalidInput : EXIT_CODES.passed;
}

/**
 * Checks a targets file the way `run` reads it (schema, literal secrets, positions), without
 * starting anything and without needing its `${env:NAME}` secrets. Prints its problems or an ok line.
 */
async function validateTargetsFile(file: string): Promise<boolean> {
  const { findInsecureSettings, parseTargets, resolveTarget } = await import('../targets/index.js');
  await refuseSpecialFile(file, '--targets');
  try {
    // Resolving the always-present built-in name loads and checks the whole file.
    await resolveTarget('embedded', { targetsFile: file, cwd: process.cwd(), env: process.env });
    const text = await readFile(file, 'utf8');
    const names = parseTargets(file, text);
    // Not an error (a test broker with a self-signed certificate is a fair use), never silent.
    printIssues(
      findInsecureSettings(file, text).map((f) => ({
        file,
        ...(f.line === undefined ? {} : { line: f.line }),
        ...(f.column === undefined ? {} : { column: f.column }),
        path: f.target,
        message: f.message,
        severity: 'warning' as const,
      })),
    );
    process.stdout.write(`ok  ${file}  targets: ${names.length === 0 ? '(none)' : names.join(', ')}\n`);
    return true;
  } catch (error) {
    if (!(error instanceof ScenarioError)) throw error;
    printIssues(error.issues);
    process.stderr.write(`${error.message}\n`);
    return false;
  }
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
