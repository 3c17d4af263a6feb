/**
 * Expands the file arguments of `run` and `validate`: plain paths are kept as given (the loader
 * reports a missing file or a directory with a fix hint), quoted globs are expanded here so
 * `mqscen run "scenarios/*.yaml"` works in every shell.
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { closest } from '../document/suggest.js';
import { UsageError } from '../errors.js';

export async function expandFileArguments(args: readonly string[], cwd = process.cwd()): Promise<string[]> {
  const files: string[] = [];
  for (const arg of args) {
    // A file whose name holds glob characters (`case[1].yaml`, `a(b).yaml`) is that file.
    if (!isDynamicPattern(arg) || (await stat(resolve(cwd, arg)).catch(() => undefined)) !== undefined) {
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

/**
 * Warns about `--var` names no given file refers to: a typo (`--var topc=…`) would otherwise
 * leave the file's own value in place without a word. Returns the warnings printed.
 */
export async function warnUnusedVars(
  vars: Readonly<Record<string, string>>,
  files: readonly string[],
): Promise<number> {
  const names = Object.keys(vars);
  if (names.length === 0) return 0;
  // Only regular files of scenario size: a pipe would block, and the loader reports the rest.
  const readSmallFile = async (file: string): Promise<string> => {
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile() || info.size > 1024 * 1024) return '';
    return readFile(file, 'utf8').catch(() => '');
  };
  const texts = await Promise.all(files.map(readSmallFile));
  let warned = 0;
  for (const name of names) {
    const ref = `\${${name}}`;
    if (texts.some((text) => text.includes(ref))) continue;
    const declared = [
      ...new Set(
        texts.flatMap((text) =>
          [...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_.-]*)\}/g)].map((m) => m[1] ?? ''),
        ),
      ),
    ];
    const guess = closest(name, declared);
    const help =
      guess !== undefined
        ? `; did you mean --var ${guess}=…?`
        : declared.length > 0
          ? ` (variables used: ${declared.join(', ')})`
          : '';
    process.stderr.write(
      `warning: --var ${name} is not used: no scenario file refers to \${${name}}${help}\n`,
    );
    warned++;
  }
  return warned;
}

/**
 * Creates a folder and its missing parents one level at a time: Node's recursive mkdir never
 * returns for a missing folder under /proc (it retries ENOENT forever), so a mistyped path would hang.
 */
export async function createFolder(dir: string, mode?: number): Promise<void> {
  const missing: string[] = [];
  for (let current = dir; ; ) {
    const info = await stat(current).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (info !== undefined) {
      if (!info.isDirectory()) {
        throw Object.assign(new Error(`${current} is a file, not a folder`), { code: 'ENOTDIR' });
      }
      break;
    }
    missing.push(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const folder of missing.reverse()) {
    await mkdir(folder, mode === undefined ? {} : { mode }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  }
}

/**
 * `--targets` naming a pipe or device would block the read forever; refuse it up front. A
 * missing file or a folder is left to the targets loader, which says so with its position rules.
 */
export async function refuseSpecialFile(file: string, flag: string): Promise<void> {
  const info = await stat(file).catch(() => undefined);
  if (info !== undefined && !info.isFile() && !info.isDirectory()) {
    throw new UsageError(`${flag} ${file} is not a regular file`, {
      hint: `${flag} takes a YAML file such as mqscen.targets.yaml`,
    });
  }
}
