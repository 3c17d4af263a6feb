/**
 * `${name}` and `${env:NAME}` substitution in every string value of a document (keys are left
 * alone). `$${` writes a literal `${`. Variables come from the file's `vars`, overridden by
 * `--var`; a variable may use other variables and the environment. Variables whose value came
 * from the environment are "secret": they are substituted but not kept in the result's `vars`,
 * so reports never print them.
 */
import { dedupeProblems, type Problem } from './problem.js';
import { closest } from './suggest.js';
import { isObject } from './value.js';
import type { DocPath } from './yaml.js';

export interface InterpolationOptions {
  /** Values from `--var name=value`; they win over the file's `vars`. */
  vars?: Readonly<Record<string, string>>;
  env: Readonly<Record<string, string | undefined>>;
}

export interface InterpolationResult {
  /** The document with every string substituted (a new value; the input is not changed). */
  value: unknown;
  /** Variables after substitution, secrets left out. */
  vars: Record<string, string>;
  problems: Problem[];
}

const REF_RE = /\$\$\{|\$\{([^}]*)\}|\$\{/g;
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * `${env:NAME}` only (the targets file, read when a target starts): the text with every reference
 * replaced, or the first variable that is unset (or empty: an empty secret is a mistake, not a value).
 */
export function substituteEnv(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
): { ok: true; text: string } | { ok: false; missing: string } {
  let missing: string | undefined;
  const out = text.replace(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g, (match, name: string) => {
    const value = env[name];
    if (value === undefined || value === '') {
      missing ??= name;
      return match;
    }
    return value;
  });
  return missing === undefined ? { ok: true, text: out } : { ok: false, missing };
}

export function interpolateDocument(raw: unknown, options: InterpolationOptions): InterpolationResult {
  const problems: Problem[] = [];
  const root = isObject(raw) ? raw : {};
  const fileVars = isObject(root.vars) ? root.vars : {};
  const definitions = new Map<string, { text: string; path: DocPath; literal: boolean }>();
  for (const [name, value] of Object.entries(fileVars)) {
    definitions.set(name, { text: String(value), path: ['vars', name], literal: false });
  }
  // --var values are taken literally: the shell already did its substitution.
  for (const [name, value] of Object.entries(options.vars ?? {})) {
    definitions.set(name, { text: value, path: ['vars', name], literal: true });
  }

  const resolved = new Map<string, { text: string; secret: boolean }>();
  const resolving = new Set<string>();
  const resolveVar = (name: string, usedAt: DocPath): { text: string; secret: boolean } | undefined => {
    const done = resolved.get(name);
    if (done !== undefined) return done;
    const def = definitions.get(name);
    if (def === undefined) {
      const guess = closest(name, definitions.keys());
      const declared = [...definitions.keys()];
      problems.push({
        path: usedAt,
        message: `unknown variable "\${${name}}"; ${
          guess !== undefined
            ? `did you mean "\${${guess}}"?`
            : declared.length > 0
              ? `declared: ${declared.join(', ')}`
              : 'declare it under `vars:` or pass --var'
        } (write $\${ for a literal \${)`,
      });
      return undefined;
    }
    if (def.literal) {
      const out = { text: def.text, secret: false };
      resolved.set(name, out);
      return out;
    }
    if (resolving.has(name)) {
      problems.push({
        path: def.path,
        message: `variable "${name}" refers to itself (through ${[...resolving].join(' → ')})`,
      });
      return undefined;
    }
    resolving.add(name);
    const out = substitute(def.text, def.path);
    resolving.delete(name);
    if (out === undefined) return undefined;
    resolved.set(name, out);
    return out;
  };

  const substitute = (text: string, path: DocPath): { text: string; secret: boolean } | undefined => {
    if (!text.includes('${')) return { text, secret: false };
    let secret = false;
    let failed = false;
    const out = text.replace(REF_RE, (match, inner: string | undefined) => {
      if (match === '$${') return '${';
      if (inner === undefined) {
        problems.push({
          path,
          message: `unterminated "\${": close it with "}" (write $\${ for a literal \${)`,
        });
        failed = true;
        return match;
      }
      const ref = inner.trim();
      if (ref.startsWith('env:')) {
        const envName = ref.slice(4).trim();
        if (!ENV_NAME_RE.test(envName)) {
          problems.push({
            path,
            message: `"\${${inner}}" is not an environment variable reference; write \${env:NAME}`,
          });
          failed = true;
          return match;
        }
        const value = options.env[envName];
        if (value === undefined) {
          problems.push({
            path,
            message: `environment variable ${envName} is not set; set it (export ${envName}=...) or put ${envName}=... in a .env file`,
          });
          failed = true;
          return match;
        }
        secret = true;
        return value;
      }
      if (!NAME_RE.test(ref)) {
        problems.push({
          path,
          message: `"\${${inner}}" is not a variable reference; names use letters, digits, "_", "." and "-" (write $\${ for a literal \${)`,
        });
        failed = true;
        return match;
      }
      const value = resolveVar(ref, path);
      if (value === undefined) {
        failed = true;
        return match;
      }
      secret ||= value.secret;
      return value.text;
    });
    return failed ? undefined : { text: out, secret };
  };

  const walk = (node: unknown, path: DocPath): unknown => {
    if (typeof node === 'string') return substitute(node, path)?.text ?? node;
    if (Array.isArray(node)) return node.map((item, i) => walk(item, [...path, i]));
    if (isObject(node)) {
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(node)) out[key] = walk(value, [...path, key]);
      return out;
    }
    return node;
  };

  const value: Record<string, unknown> = {};
  for (const [key, node] of Object.entries(root)) {
    if (key === 'vars') continue;
    value[key] = walk(node, [key]);
  }
  const vars: Record<string, string> = {};
  for (const name of definitions.keys()) {
    const r = resolveVar(name, definitions.get(name)?.path ?? ['vars', name]);
    if (r !== undefined && !r.secret) vars[name] = r.text;
  }
  if (isObject(raw) && 'vars' in raw) value.vars = vars;
  return { value: isObject(raw) ? value : raw, vars, problems: dedupeProblems(problems) };
}
