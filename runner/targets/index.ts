/**
 * Target resolution: `--target NAME` (+ `--targets FILE`) → a TargetDefinition whose start()
 * brings the target up. Built-in names need no file; a targets file (mqscen.targets.yaml in the
 * working folder, or --targets) adds named definitions, checked against
 * schemas/targets.schema.json with every problem reported at file:line:column.
 *
 * Nothing here connects or starts anything, and nothing heavy is imported: each kind's module is
 * loaded by start() only.
 */
import { readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import createDebug from 'debug';
import { isMap, isPair, isScalar, LineCounter, parseDocument } from 'yaml';
import type { PolicyMatch } from '../../broker/policy/index.js';
import { EnvironmentError, type Issue, ScenarioError, UsageError } from '../errors.js';
import { type DocPath, formatPath, locate } from '../scenario/load.js';
import { looksLikeBrokerUrl } from '../transports/url.js';
import type { EmbeddedProfile } from './embedded.js';
import type { EmbeddedPolicyOptions } from './embedded-policy.js';
import { describeInsecurity } from './insecurity.js';
import type { StartedTarget, TargetDefinition } from './target.js';

const debug = createDebug('mqscen:target');

/** The file looked for in the working folder when --targets is not given. */
export const DEFAULT_TARGETS_FILE = 'mqscen.targets.yaml';

/** Names that work without a targets file. */
export const builtinTargetNames: readonly string[] = [
  'embedded',
  'embedded:aws-iot',
  'embedded:mosquitto',
  'mosquitto',
];

/** The target used when none is named. */
export const DEFAULT_TARGET = 'embedded';

/** Targets files above this size are refused (a targets file is a few dozen lines). */
const MAX_TARGETS_BYTES = 256 * 1024;

export interface ResolveTargetOptions {
  /** --targets FILE; default mqscen.targets.yaml in cwd when that file exists. */
  targetsFile?: string;
  cwd: string;
  /** Environment for `${env:NAME}` (process.env after .env was read). */
  env: NodeJS.ProcessEnv;
}

/**
 * Resolves a target name. UsageError (exit 2) for an unknown name, listing the known ones;
 * ScenarioError (exit 2) for a bad targets file, with every issue. Starting it is start()'s job.
 */
export async function resolveTarget(
  name: string | undefined,
  options: ResolveTargetOptions,
): Promise<TargetDefinition> {
  const wanted = name ?? DEFAULT_TARGET;
  const file = await loadTargetsFile(options);
  const fromFile = file?.targets.get(wanted);
  if (fromFile !== undefined && file !== undefined) {
    debug('target %s from %s (%s)', wanted, file.shownPath, fromFile.kind);
    return defineFromFile(wanted, fromFile, file, options.env);
  }
  const builtin = builtinDefinition(wanted);
  if (builtin !== undefined) return builtin;
  if (looksLikeBrokerUrl(wanted)) {
    // A bare URL works as a target name: the quickest way to point at any broker.
    return {
      name: wanted,
      kind: 'url',
      start: async () => (await import('./url.js')).startUrlTarget({ name: wanted, url: wanted }),
    };
  }
  const known = [...builtinTargetNames, ...(file?.targets.keys() ?? [])];
  const where =
    file === undefined
      ? `no targets file: looked for ${options.targetsFile ?? DEFAULT_TARGETS_FILE}`
      : `targets file ${file.shownPath}`;
  throw new UsageError(
    `unknown target "${wanted}"; known targets are ${known.map((n) => `"${n}"`).join(', ')} (${where})`,
    {
      hint: 'pick one of the known names with --target, define it in the targets file, or give a broker URL such as --target mqtt://localhost:1883',
    },
  );
}

// --- internal ---

interface FileTarget {
  kind: 'url' | 'embedded' | 'mosquitto' | 'aws-iot';
  /** The definition as written (strings still hold `${env:NAME}`). */
  raw: Record<string, unknown>;
  /** Where each target starts in the file, for messages. */
  path: DocPath;
}

interface TargetsFile {
  /** Path as shown to the user. */
  shownPath: string;
  /** Absolute path; relative file settings resolve against its folder. */
  absPath: string;
  targets: Map<string, FileTarget>;
  locate: (path: DocPath) => { line: number; column: number } | undefined;
}

function builtinDefinition(name: string): TargetDefinition | undefined {
  const embedded = (profile: EmbeddedProfile): TargetDefinition => ({
    name,
    kind: 'embedded',
    start: async () => (await import('./embedded.js')).startEmbeddedTarget({ name, profile }),
  });
  switch (name) {
    case 'embedded':
    case 'embedded:aws-iot':
      return embedded('aws-iot');
    case 'embedded:mosquitto':
      return embedded('mosquitto');
    case 'mosquitto':
      return {
        name,
        kind: 'mosquitto',
        start: async () => (await import('./mosquitto.js')).startMosquittoTarget({ name }),
      };
    default:
      return undefined;
  }
}

async function loadTargetsFile(options: ResolveTargetOptions): Promise<TargetsFile | undefined> {
  const explicit = options.targetsFile !== undefined;
  const shownPath = options.targetsFile ?? DEFAULT_TARGETS_FILE;
  const absPath = resolve(options.cwd, shownPath);
  const fail = (message: string, line?: number, column?: number): never => {
    throw new ScenarioError(`targets file ${shownPath} cannot be used`, [
      { file: shownPath, line, column, path: '', message, severity: 'error' },
    ]);
  };
  try {
    const st = await stat(absPath);
    if (st.isDirectory()) fail('is a directory; --targets takes a YAML file such as mqscen.targets.yaml');
    if (st.size > MAX_TARGETS_BYTES) fail(`is ${st.size} bytes; a targets file is limited to 256 KiB`);
  } catch (err) {
    if (err instanceof ScenarioError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (!explicit && (code === 'ENOENT' || code === 'ENOTDIR')) return undefined;
    if (code === 'ENOENT' || code === 'ENOTDIR') fail('file not found; check the --targets path');
    fail(`cannot be read (${(err as Error).message})`);
  }
  let text: string;
  try {
    text = await readFile(absPath, 'utf8');
  } catch (err) {
    return fail(`cannot be read (${(err as Error).message})`);
  }
  const file = parseTargetsText(shownPath, absPath, text);
  debug('targets file %s: %s', shownPath, [...file.targets.keys()].join(', '));
  return file;
}

/** Parses and validates a targets file's text. Exported for tests through `parseTargets`. */
function parseTargetsText(shownPath: string, absPath: string, text: string): TargetsFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, {
    lineCounter,
    uniqueKeys: true,
    prettyErrors: false,
  });
  const issue = (message: string, offset: number | undefined, path = ''): Issue => {
    const pos = offset === undefined ? undefined : lineCounter.linePos(offset);
    return { file: shownPath, line: pos?.line, column: pos?.col, path, message, severity: 'error' };
  };
  const yamlIssues = doc.errors.map((e) => {
    const firstLine = e.message.split('\n')[0] ?? e.message;
    return issue(
      e.code === 'DUPLICATE_KEY' ? 'duplicate key: each target name and setting may appear once' : firstLine,
      e.pos[0],
    );
  });
  if (yamlIssues.length > 0)
    throw new ScenarioError(`targets file ${shownPath} is not valid YAML`, yamlIssues);

  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  if (value === null || value === undefined) {
    throw new ScenarioError(`targets file ${shownPath} is empty`, [
      issue('is empty; define targets as `name: { kind: url, url: mqtt://host:1883 }`', undefined),
    ]);
  }
  const where = (path: DocPath, key = false) => locate({ doc, lineCounter }, path, { key });
  const validate = getTargetsValidator();
  if (!validate(value)) {
    const issues = toIssues(validate.errors ?? [], shownPath, where);
    throw new ScenarioError(`targets file ${shownPath} has ${issues.length} problem(s)`, issues);
  }
  const targets = new Map<string, FileTarget>();
  // Keep the file's order (the map's keys are listed in messages).
  const contents = doc.contents;
  const order = isMap(contents)
    ? contents.items.filter(isPair).map((p) => (isScalar(p.key) ? String(p.key.value) : ''))
    : Object.keys(value as object);
  for (const name of order) {
    const raw = (value as Record<string, Record<string, unknown>>)[name];
    if (raw === undefined) continue;
    targets.set(name, { kind: raw.kind as FileTarget['kind'], raw, path: [name] });
  }
  return { shownPath, absPath, targets, locate: (p) => where(p) };
}

/**
 * Parses a targets file's text and returns its target names (for `mqscen validate`-style checks
 * and tests); ScenarioError with positioned issues when it is invalid.
 */
export function parseTargets(file: string, text: string, cwd = process.cwd()): string[] {
  return [...parseTargetsText(file, resolve(cwd, file), text).targets.keys()];
}

/** An insecure setting found in a targets file, with where it is written. */
export interface InsecureSettingIssue {
  target: string;
  line?: number;
  column?: number;
  message: string;
}

/**
 * The insecure settings of every target in a targets file's text (verification off, a password
 * sent in clear), for `mqscen validate --targets`; ScenarioError when the file is invalid.
 */
export function findInsecureSettings(
  file: string,
  text: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
  cwd = process.cwd(),
): InsecureSettingIssue[] {
  const parsed = parseTargetsText(file, resolve(cwd, file), text);
  const found: InsecureSettingIssue[] = [];
  for (const [name, target] of parsed.targets) {
    const raw = target.raw;
    const url = typeof raw.url === 'string' ? raw.url : undefined;
    const messages = describeInsecurity(
      {
        ...(url === undefined ? {} : { url }),
        ...(typeof raw.rejectUnauthorized === 'boolean'
          ? { rejectUnauthorized: raw.rejectUnauthorized }
          : {}),
        hasPassword: raw.password !== undefined,
        tls: target.kind === 'aws-iot',
      },
      env,
    );
    for (const message of messages) {
      const key = /rejectUnauthorized/.test(message)
        ? 'rejectUnauthorized'
        : /password/.test(message)
          ? 'password'
          : undefined;
      const pos = parsed.locate(key === undefined ? [name] : [name, key]) ?? parsed.locate([name]);
      const issue: InsecureSettingIssue = { target: name, message };
      if (pos !== undefined) {
        issue.line = pos.line;
        issue.column = pos.column;
      }
      found.push(issue);
    }
  }
  return found;
}

function defineFromFile(
  name: string,
  target: FileTarget,
  file: TargetsFile,
  env: NodeJS.ProcessEnv,
): TargetDefinition {
  // `${env:NAME}` is read when the target starts: validating a file needs no secrets.
  const get = (key: string): string | undefined => {
    const raw = target.raw[key];
    if (raw === undefined) return undefined;
    return interpolate(String(raw), env, file, [name, key]);
  };
  const getFile = (key: string): string | undefined => {
    const v = get(key);
    return v === undefined ? undefined : isAbsolute(v) ? v : resolve(dirname(file.absPath), v);
  };
  const alpnOf = (): string[] | undefined => {
    const a = target.raw.alpn;
    if (a === undefined) return undefined;
    return (Array.isArray(a) ? a : [a]).map((s, i) => interpolate(String(s), env, file, [name, 'alpn', i]));
  };
  switch (target.kind) {
    case 'embedded':
      return {
        name,
        kind: 'embedded',
        start: async () =>
          (await import('./embedded.js')).startEmbeddedTarget({
            name,
            profile: (target.raw.profile as EmbeddedProfile | undefined) ?? 'aws-iot',
            policy: embeddedPolicyOf(target, (v, path) => {
              const p = interpolate(v, env, file, [name, ...path]);
              return isAbsolute(p) ? p : resolve(dirname(file.absPath), p);
            }),
          }),
      };
    case 'mosquitto':
      return {
        name,
        kind: 'mosquitto',
        start: async () => {
          const { startMosquittoTarget } = await import('./mosquitto.js');
          const opts: Parameters<typeof startMosquittoTarget>[0] = { name };
          const binary = getFile('binary');
          if (binary !== undefined) opts.binary = binary;
          if (typeof target.raw.websockets === 'boolean') opts.websockets = target.raw.websockets;
          if (typeof target.raw.maxQueuedMessages === 'number')
            opts.maxQueuedMessages = target.raw.maxQueuedMessages;
          return startMosquittoTarget(opts);
        },
      };
    case 'url':
      return {
        name,
        kind: 'url',
        start: async () => {
          const { startUrlTarget } = await import('./url.js');
          const url = get('url') as string;
          const opts: Parameters<typeof startUrlTarget>[0] = { name, url };
          assign(opts, 'ca', getFile('ca'));
          assign(opts, 'cert', getFile('cert'));
          assign(opts, 'key', getFile('key'));
          assign(opts, 'servername', get('servername'));
          assign(opts, 'alpn', alpnOf());
          assign(opts, 'username', get('username'));
          assign(opts, 'password', get('password'));
          assign(opts, 'behaviour', target.raw.behaviour as StartedTarget['behaviour'] | undefined);
          assign(opts, 'transport', target.raw.transport as string | undefined);
          if (typeof target.raw.rejectUnauthorized === 'boolean')
            opts.rejectUnauthorized = target.raw.rejectUnauthorized;
          return startUrlTarget(opts);
        },
      };
    case 'aws-iot':
      return {
        name,
        kind: 'aws-iot',
        start: async () => {
          const { startAwsIotTarget } = await import('./aws-iot.js');
          const raw = target.raw;
          const authorizer = raw.customAuthorizer as Record<string, unknown> | undefined;
          const opts: Parameters<typeof startAwsIotTarget>[0] = {
            name,
            auth: raw.auth as 'mtls' | 'sigv4' | 'custom-authorizer',
            env,
          };
          assign(opts, 'endpoint', get('endpoint'));
          assign(opts, 'region', get('region'));
          assign(opts, 'transport', raw.transport as 'aws-iot-sdk' | 'mqttjs-sigv4' | 'mqttjs' | undefined);
          assign(opts, 'port', raw.port as number | undefined);
          assign(opts, 'alpn', alpnOf());
          assign(opts, 'cert', getFile('cert'));
          assign(opts, 'key', getFile('key'));
          assign(opts, 'ca', getFile('ca'));
          assign(opts, 'servername', get('servername'));
          assign(opts, 'awsProfile', get('awsProfile'));
          assign(opts, 'behaviour', raw.behaviour as StartedTarget['behaviour'] | undefined);
          if (authorizer !== undefined) {
            const ca: Record<string, string> = {};
            for (const k of Object.keys(authorizer)) {
              ca[k] = interpolate(String(authorizer[k]), env, file, [name, 'customAuthorizer', k]);
            }
            opts.customAuthorizer = ca as { name: string };
          }
          return startAwsIotTarget(opts);
        },
      };
  }
}

/** `policy:`, `policies:` and `sharedReceiveResource:` of an embedded target; files resolve against the targets file. */
function embeddedPolicyOf(
  target: FileTarget,
  fileOf: (value: string, path: DocPath) => string,
): EmbeddedPolicyOptions {
  const out: EmbeddedPolicyOptions = {};
  const single = target.raw.policy;
  if (typeof single === 'string') out.default = [fileOf(single, ['policy'])];
  const list = target.raw.policies as Array<{ match: string | PolicyMatch; policy: string }> | undefined;
  if (list !== undefined) {
    out.attached = list.map((a, i) => {
      const match = typeof a.match === 'string' ? { clientId: a.match } : { ...a.match };
      return { match, file: fileOf(a.policy, ['policies', i, 'policy']) };
    });
  }
  const shared = target.raw.sharedReceiveResource as EmbeddedPolicyOptions['sharedReceiveResource'];
  if (shared !== undefined) out.sharedReceiveResource = shared;
  return out;
}

function assign<T extends object, K extends keyof T>(obj: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) obj[key] = value;
}

/** Replaces `${env:NAME}`; an unset variable is an EnvironmentError naming it and where it is used. */
function interpolate(value: string, env: NodeJS.ProcessEnv, file: TargetsFile, path: DocPath): string {
  return value.replace(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, varName: string) => {
    const v = env[varName];
    if (v === undefined || v === '') {
      const pos = file.locate(path);
      const at = pos === undefined ? file.shownPath : `${file.shownPath}:${pos.line}:${pos.column}`;
      throw new EnvironmentError(`${at}  ${formatPath(path)}: environment variable ${varName} is not set`, {
        hint: `export ${varName}=... or put ${varName}=... in a .env file in the working folder`,
      });
    }
    return v;
  });
}

let validator: ValidateFunction | undefined;

/** The targets JSON schema (schemas/targets.schema.json). */
export function getTargetsSchema(): object {
  for (const rel of ['../../schemas/targets.schema.json', '../../../schemas/targets.schema.json']) {
    try {
      return JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as object;
    } catch {
      // try the next location (source tree vs dist/)
    }
  }
  throw new Error('schemas/targets.schema.json is missing from the mqscen installation');
}

function getTargetsValidator(): ValidateFunction {
  if (validator !== undefined) return validator;
  validator = new Ajv({
    allErrors: true,
    allowUnionTypes: true,
    verbose: true,
    strict: true,
    strictRequired: false,
    code: { optimize: false },
  }).compile(getTargetsSchema());
  return validator;
}

/** ajv errors → one issue per problem, positioned, in the user's terms. */
function toIssues(
  errors: readonly ErrorObject[],
  file: string,
  where: (path: DocPath, key?: boolean) => { line: number; column: number } | undefined,
): Issue[] {
  const issues: Issue[] = [];
  const seen = new Set<string>();
  // A failing `kind` enum explains everything else about that target; skip its follow-ups.
  const badKind = new Set(
    errors.filter((e) => e.keyword === 'enum' && e.instancePath.endsWith('/kind')).map((e) => e.instancePath),
  );
  for (const e of errors) {
    // `if`/`then` wrappers and oneOf summaries only repeat the precise error below them.
    if (e.keyword === 'if' || e.keyword === 'oneOf') continue;
    const path: Array<string | number> = e.instancePath
      .split('/')
      .slice(1)
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
      .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    if (path.length >= 1 && badKind.has(`/${path[0]}/kind`) && !e.instancePath.endsWith('/kind')) continue;
    let key = false;
    let message: string;
    const params = e.params as Record<string, unknown>;
    const parent = e.parentSchema as { properties?: Record<string, unknown>; title?: string } | undefined;
    switch (e.keyword) {
      case 'additionalProperties': {
        const prop = String(params.additionalProperty);
        path.push(prop);
        key = true;
        const allowed = Object.keys(parent?.properties ?? {});
        message = `unknown setting "${prop}"${parent?.title ? ` for a ${parent.title.toLowerCase()}` : ''}; allowed: ${allowed.join(', ')}`;
        break;
      }
      case 'required': {
        const prop = String(params.missingProperty);
        message = `missing required setting "${prop}"`;
        break;
      }
      case 'enum':
        message = `is ${JSON.stringify(e.data)}; must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
        break;
      case 'const':
        continue;
      case 'pattern':
        if (String(params.pattern).includes('env:')) {
          message =
            // biome-ignore lint/suspicious/noTemplateCurlyInString: the user writes this placeholder literally
            'secrets are written only as `${env:NAME}` (set NAME in the environment or .env), never literally';
        } else if (path.at(-1) === 'url') {
          message = `is ${JSON.stringify(e.data)}; write a broker URL such as mqtt://host:1883, mqtts://host:8883, ws://host:8080/mqtt or wss://host/mqtt`;
        } else {
          message = `is ${JSON.stringify(e.data)}; ${e.message ?? 'has the wrong form'}`;
        }
        break;
      case 'propertyNames':
        continue;
      case 'type':
        message =
          path.length === 0
            ? 'must be a mapping of target names to definitions, e.g. `local: { kind: url, url: mqtt://localhost:1883 }`'
            : `must be ${params.type === 'object' ? 'a mapping' : `a ${String(params.type)}`}`;
        break;
      default:
        message = e.message ?? 'is invalid';
    }
    if (e.keyword === 'pattern' && e.propertyName !== undefined) {
      // propertyNames → pattern: the target name itself is bad.
      path.push(e.propertyName);
      key = true;
      message = `target name "${e.propertyName}" may use only letters, digits, "-", "_", "." and ":"`;
    }
    const id = `${formatPath(path)}|${message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const pos = where(path, key);
    issues.push({
      file,
      line: pos?.line,
      column: pos?.column,
      path: formatPath(path),
      message,
      severity: 'error',
    });
  }
  return issues;
}

/** Shown path of a file relative to cwd, for messages. */
export function displayPath(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel.startsWith('..') ? file : rel;
}
