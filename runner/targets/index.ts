/**
 * Target resolution: `--target NAME` (+ `--targets FILE`) → a TargetDefinition whose start()
 * brings the target up. Built-in names need no file; a targets file (mqscen.targets.yaml in the
 * working folder, or --targets) adds named definitions, checked against
 * schemas/targets.schema.json with every problem reported at file:line:column.
 *
 * Nothing here connects or starts anything, and nothing heavy is imported: each kind's module is
 * loaded by start() only.
 */
import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import createDebug from 'debug';
import { isMap, isPair, isScalar } from 'yaml';
import type { PolicyMatch } from '../../broker/policy/index.js';
import { substituteEnv } from '../document/interpolate.js';
import { sortIssues, toIssue } from '../document/problem.js';
import { createSchemaChecker } from '../document/schema.js';
import {
  type DocPath,
  type DocumentKind,
  formatPath,
  type LoadResult,
  loadDocument,
  locate,
  parseDocumentText,
} from '../document/yaml.js';
import { EnvironmentError, ScenarioError, UsageError } from '../errors.js';
import { looksLikeBrokerUrl } from '../transports/url.js';
import type { EmbeddedProfile } from './embedded.js';
import type { EmbeddedPolicyOptions } from './embedded-policy.js';
import { describeInsecurity } from './insecurity.js';
import type { EmbeddedTarget, RawTargets, Target } from './schema-types.js';
import type { TargetDefinition } from './target.js';

const debug = createDebug('mqscen:target');

/** The file looked for in the working folder when --targets is not given. */
const DEFAULT_TARGETS_FILE = 'mqscen.targets.yaml';

/** Names that work without a targets file. */
const builtinTargetNames: readonly string[] = [
  'embedded',
  'embedded:aws-iot',
  'embedded:mosquitto',
  'mosquitto',
];

/** The target used when none is named. */
const DEFAULT_TARGET = 'embedded';

/** Targets files above 256 KiB are refused (a targets file is a few dozen lines). */
const TARGETS_FILE: DocumentKind = {
  noun: 'targets file',
  maxBytes: 256 * 1024,
  emptyHint: 'define targets as `name: { kind: url, url: mqtt://host:1883 }`',
  directoryHint: '--targets takes a YAML file such as mqscen.targets.yaml',
  maxAliasCount: 100,
};

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
    debug('target %s from %s (%s)', wanted, file.shownPath, fromFile.raw.kind);
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
  /** The definition as written (strings still hold `${env:NAME}`). */
  raw: Target;
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
    start: async (needs) =>
      (await import('./embedded.js')).startEmbeddedTarget({ name, profile, clients: needs?.clients ?? 0 }),
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
  const shownPath = options.targetsFile ?? DEFAULT_TARGETS_FILE;
  const absPath = resolve(options.cwd, shownPath);
  if (options.targetsFile === undefined) {
    // The default file is optional; an explicit --targets that is missing is a mistake.
    const present = await stat(absPath).then(
      () => true,
      (err: NodeJS.ErrnoException) => err.code !== 'ENOENT' && err.code !== 'ENOTDIR',
    );
    if (!present) return undefined;
  }
  const file = fromLoadResult(shownPath, absPath, await loadDocument(absPath, TARGETS_FILE));
  debug('targets file %s: %s', shownPath, [...file.targets.keys()].join(', '));
  return file;
}

/** Parses and validates a targets file's text. Exported for tests through `parseTargets`. */
function parseTargetsText(shownPath: string, absPath: string, text: string): TargetsFile {
  return fromLoadResult(shownPath, absPath, parseDocumentText(absPath, text, TARGETS_FILE));
}

function fromLoadResult(shownPath: string, absPath: string, result: LoadResult): TargetsFile {
  if (!result.ok) {
    const issues = result.issues.map((i) => ({ ...i, file: shownPath }));
    const what = { unreadable: 'cannot be used', syntax: 'is not valid YAML', empty: 'is empty' }[
      result.reason
    ];
    throw new ScenarioError(`targets file ${shownPath} ${what}`, issues);
  }
  const loaded = { ...result.loaded, file: shownPath };
  const problems = targetsChecker.problems(loaded.value);
  if (problems.length > 0) {
    const issues = sortIssues(problems.map((p) => toIssue(loaded, p)));
    throw new ScenarioError(`targets file ${shownPath} has ${issues.length} problem(s)`, issues);
  }
  const value = loaded.value as RawTargets;
  const targets = new Map<string, FileTarget>();
  // Keep the file's order (the map's keys are listed in messages).
  const contents = loaded.doc.contents;
  const order = isMap(contents)
    ? contents.items.filter(isPair).map((p) => (isScalar(p.key) ? String(p.key.value) : ''))
    : Object.keys(value);
  for (const name of order) {
    const raw = value[name];
    if (raw === undefined) continue;
    targets.set(name, { raw, path: [name] });
  }
  return { shownPath, absPath, targets, locate: (path) => locate(loaded, path) };
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
    const url = raw.kind === 'url' ? raw.url : undefined;
    const rejectUnauthorized = raw.kind === 'url' ? raw.rejectUnauthorized : undefined;
    const messages = describeInsecurity(
      {
        ...(url === undefined ? {} : { url }),
        ...(rejectUnauthorized === undefined ? {} : { rejectUnauthorized }),
        hasPassword: raw.kind === 'url' && raw.password !== undefined,
        tls: raw.kind === 'aws-iot',
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
  const text = (value: string | undefined, key: string): string | undefined =>
    value === undefined ? undefined : interpolate(value, env, file, [name, key]);
  const path = (value: string | undefined, key: string): string | undefined => {
    const v = text(value, key);
    return v === undefined ? undefined : isAbsolute(v) ? v : resolve(dirname(file.absPath), v);
  };
  const alpnOf = (a: string | readonly string[] | undefined): string[] | undefined => {
    if (a === undefined) return undefined;
    return (typeof a === 'string' ? [a] : a).map((s, i) => interpolate(s, env, file, [name, 'alpn', i]));
  };
  const raw = target.raw;
  switch (raw.kind) {
    case 'embedded':
      return {
        name,
        kind: 'embedded',
        start: async (needs) =>
          (await import('./embedded.js')).startEmbeddedTarget({
            name,
            profile: raw.profile ?? 'aws-iot',
            clients: needs?.clients ?? 0,
            ...(raw.process === undefined ? {} : { process: raw.process }),
            // The same settings as `mqscen broker --config` (schemas/broker.schema.json).
            ...(raw.settings === undefined ? {} : { settings: raw.settings }),
            policy: embeddedPolicyOf(raw, (v, at) => {
              const p = interpolate(v, env, file, [name, ...at]);
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
          assign(opts, 'binary', path(raw.binary, 'binary'));
          assign(opts, 'websockets', raw.websockets);
          assign(opts, 'maxQueuedMessages', raw.maxQueuedMessages);
          return startMosquittoTarget(opts);
        },
      };
    case 'url':
      return {
        name,
        kind: 'url',
        start: async () => {
          const { startUrlTarget } = await import('./url.js');
          const opts: Parameters<typeof startUrlTarget>[0] = { name, url: text(raw.url, 'url') as string };
          assign(opts, 'ca', path(raw.ca, 'ca'));
          assign(opts, 'cert', path(raw.cert, 'cert'));
          assign(opts, 'key', path(raw.key, 'key'));
          assign(opts, 'servername', text(raw.servername, 'servername'));
          assign(opts, 'alpn', alpnOf(raw.alpn));
          assign(opts, 'username', text(raw.username, 'username'));
          assign(opts, 'password', text(raw.password, 'password'));
          assign(opts, 'behaviour', raw.behaviour);
          assign(opts, 'transport', raw.transport);
          assign(opts, 'rejectUnauthorized', raw.rejectUnauthorized);
          return startUrlTarget(opts);
        },
      };
    case 'aws-iot':
      return {
        name,
        kind: 'aws-iot',
        start: async () => {
          const { startAwsIotTarget } = await import('./aws-iot.js');
          const opts: Parameters<typeof startAwsIotTarget>[0] = { name, auth: raw.auth, env };
          assign(opts, 'endpoint', text(raw.endpoint, 'endpoint'));
          assign(opts, 'region', text(raw.region, 'region'));
          assign(opts, 'transport', raw.transport);
          assign(opts, 'port', raw.port);
          assign(opts, 'alpn', alpnOf(raw.alpn));
          assign(opts, 'cert', path(raw.cert, 'cert'));
          assign(opts, 'key', path(raw.key, 'key'));
          assign(opts, 'ca', path(raw.ca, 'ca'));
          assign(opts, 'servername', text(raw.servername, 'servername'));
          assign(opts, 'awsProfile', text(raw.awsProfile, 'awsProfile'));
          assign(opts, 'behaviour', raw.behaviour);
          const authorizer = raw.customAuthorizer;
          if (authorizer !== undefined) {
            const ca: Record<string, string> = {};
            for (const [k, v] of Object.entries(authorizer)) {
              if (v !== undefined) ca[k] = interpolate(String(v), env, file, [name, 'customAuthorizer', k]);
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
  raw: EmbeddedTarget,
  fileOf: (value: string, path: DocPath) => string,
): EmbeddedPolicyOptions {
  const out: EmbeddedPolicyOptions = {};
  if (raw.policy !== undefined) out.default = [fileOf(raw.policy, ['policy'])];
  if (raw.policies !== undefined) {
    out.attached = raw.policies.map((a, i) => {
      const match: PolicyMatch = typeof a.match === 'string' ? { clientId: a.match } : { ...a.match };
      return { match, file: fileOf(a.policy, ['policies', i, 'policy']) };
    });
  }
  if (raw.sharedReceiveResource !== undefined) out.sharedReceiveResource = raw.sharedReceiveResource;
  return out;
}

function assign<T extends object, K extends keyof T>(obj: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) obj[key] = value;
}

/** Replaces `${env:NAME}`; an unset variable is an EnvironmentError naming it and where it is used. */
function interpolate(value: string, env: NodeJS.ProcessEnv, file: TargetsFile, path: DocPath): string {
  const r = substituteEnv(value, env);
  if (r.ok) return r.text;
  const pos = file.locate(path);
  const at = pos === undefined ? file.shownPath : `${file.shownPath}:${pos.line}:${pos.column}`;
  throw new EnvironmentError(`${at}  ${formatPath(path)}: environment variable ${r.missing} is not set`, {
    hint: `export ${r.missing}=... or put ${r.missing}=... in a .env file in the working folder`,
  });
}

const targetsChecker = createSchemaChecker('targets.schema.json', {
  key: 'setting',
  discriminator: 'kind',
  rootTypeMessage:
    'must be a mapping of target names to definitions, e.g. `local: { kind: url, url: mqtt://localhost:1883 }`',
  propertyNameMessage: (_path, name) =>
    `target name "${name}" may use only letters, digits, "-", "_", "." and ":"`,
  patternMessage: (path, data, pattern) => {
    if (pattern.includes('env:')) {
      return 'secrets are written only as `${env:NAME}` (set NAME in the environment or .env), never literally';
    }
    if (path.at(-1) === 'url') {
      return `is ${JSON.stringify(data)}; write a broker URL such as mqtt://host:1883, mqtts://host:8883, ws://host:8080/mqtt or wss://host/mqtt`;
    }
    return undefined;
  },
});
