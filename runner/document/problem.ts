/**
 * Problems found at a document path, before they are given a file position (toIssue), and the
 * order and de-duplication every document reader uses for them.
 */
import type { Issue } from '../errors.js';
import { uniqueBy } from './value.js';
import { type DocPath, formatPath, type LoadedDocument, locate } from './yaml.js';

export interface Problem {
  path: DocPath;
  message: string;
  /** Default 'error'. */
  severity?: 'error' | 'warning';
  /** Point at the property name rather than its value. */
  atKey?: boolean;
}

export function toIssue(
  loaded: Pick<LoadedDocument, 'file' | 'doc' | 'lineCounter'>,
  problem: Problem,
): Issue {
  const where = locate(loaded, problem.path, { key: problem.atKey === true });
  return {
    file: loaded.file,
    line: where?.line,
    column: where?.column,
    path: formatPath(problem.path),
    message: problem.message,
    severity: problem.severity ?? 'error',
  };
}

/** The same message at the same path once. */
export function dedupeProblems(problems: readonly Problem[]): Problem[] {
  return uniqueBy(problems, (p) => `${formatPath(p.path)}|${p.message}`);
}

/** Sorted by line then column; whole-file issues first. */
export function sortIssues(issues: Issue[]): Issue[] {
  return issues.sort(
    (a, b) =>
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0) ||
      a.message.localeCompare(b.message),
  );
}
