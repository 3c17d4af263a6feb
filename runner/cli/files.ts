/**
 * Expands the file arguments of `run` and `validate`: plain paths are kept as given (the loader
 * reports a missing file or a directory with a fix hint), quoted globs are expanded here so
 * `mqscen run "scenarios/*.yaml"` works in every shell.
 */
import { resolve } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { UsageError } from '../errors.js';

export async function expandFileArguments(args: readonly string[], cwd = process.cwd()): Promise<string[]> {
  const files: string[] = [];
  for (const arg of args) {
    if (!isDynamicPattern(arg)) {
      files.push(arg);
      continue;
    }
    const matches = (await glob(arg, { cwd, onlyFiles: true, dot: false })).sort();
    if (matches.length === 0) {
      throw new UsageError(`no file matches "${arg}"`, {
        hint: 'check the pattern and the current folder; patterns are relative to where mqscen runs',
      });
    }
    files.push(...matches);
  }
  // The same file twice would run twice and collide on client ids; keep the first spelling.
  // Compared by absolute path, so `a.yaml ./a.yaml` and a glob overlapping a named file are one.
  const seen = new Set<string>();
  return files.filter((file) => {
    const key = resolve(cwd, file);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Parses repeated `--var key=value` flags. */
export function parseVarFlags(values: readonly string[]): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq <= 0) {
      throw new UsageError(`--var "${value}" must look like key=value`, {
        hint: 'example: --var topic=test/a',
      });
    }
    vars[value.slice(0, eq)] = value.slice(eq + 1);
  }
  return vars;
}
