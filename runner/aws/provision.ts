/**
 * `mqscen aws provision`: the manual AWS IoT Core setup of the original test suite, automated with
 * @aws-sdk/client-iot: look up the data endpoint, create the thing, create an active certificate
 * and key, create the IoT policy (from a policy file, or a default one covering the scenarios'
 * `test/` topics and their `$share` forms) and attach it to the certificate, attach the
 * certificate to the thing, then write the certificate files, a targets file and `.env`.
 *
 * `dryRun` makes no call and writes nothing: it returns (and reports) the calls it would make.
 * The private key is written with mode 0600 and never printed; the report shows file paths only.
 */

import { access, chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  CreateThingCommand,
  DescribeEndpointCommand,
  IoTClient,
} from '@aws-sdk/client-iot';
import createDebug from 'debug';
import { parsePolicyDocument } from '../document/policy-document.js';
import { EnvironmentError, formatIssue, UsageError } from '../errors.js';
import { lintPolicy } from '../policy/lint.js';

const debug = createDebug('mqscen:aws:provision');

export interface ProvisionOptions {
  /** Thing name, also the certificate file name and the default client id prefix. @default 'mqscen-device' */
  thingName?: string;
  /** IoT policy name. @default `${thingName}-policy` */
  policyName?: string;
  /** JSON policy document file; default: a policy for client ids `*` and topics under `topicPrefix`. */
  policyFile?: string;
  /** Topic prefix the default policy allows (with its `$share/<group>/` forms). @default 'test/' */
  topicPrefix?: string;
  /** Folder for the certificate and key. @default '.mqscen/aws' */
  outDir?: string;
  /** Targets file to write. @default 'mqscen.targets.yaml' */
  targetsFile?: string;
  /** Env file to create or update with AWS_IOT_ENDPOINT and AWS_REGION. @default '.env' */
  envFile?: string;
  /** Region; else the AWS SDK's own resolution (AWS_REGION, profile). */
  region?: string;
  /** Shared-config profile. */
  profile?: string;
  /** Print the calls instead of making them; write nothing. */
  dryRun?: boolean;
  /** Replace an existing targets file. @default false */
  force?: boolean;
  /** Working folder that relative paths resolve against. @default process.cwd() */
  cwd?: string;
  /** Receives one line per step (the CLI prints them). */
  log?: (line: string) => void;
}

/** One API call, as made or as it would be made (`--dry-run`). */
export interface ProvisionCall {
  command: string;
  input: Record<string, unknown>;
}

export interface ProvisionResult {
  dryRun: boolean;
  calls: ProvisionCall[];
  endpoint: string | undefined;
  region: string;
  thingName: string;
  policyName: string;
  certificateId: string | undefined;
  certificateArn: string | undefined;
  files: { cert: string; key: string; targets: string; env: string };
}

const THING_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;

/** Runs the provisioning; UsageError for bad options, EnvironmentError when AWS refuses. */
export async function provisionAws(options: ProvisionOptions = {}): Promise<ProvisionResult> {
  const cwd = options.cwd ?? process.cwd();
  const log = options.log ?? (() => {});
  const thingName = options.thingName ?? 'mqscen-device';
  if (!THING_NAME.test(thingName)) {
    throw new UsageError(`invalid thing name "${thingName}": 1..128 letters, digits, ':', '_' or '-'`, {
      hint: 'for example: mqscen aws provision --thing mqscen-device',
    });
  }
  const policyName = options.policyName ?? `${thingName}-policy`;
  const outDir = resolve(cwd, options.outDir ?? join('.mqscen', 'aws'));
  const files = {
    cert: join(outDir, `${thingName}.cert.pem`),
    key: join(outDir, `${thingName}.private.key`),
    targets: resolve(cwd, options.targetsFile ?? 'mqscen.targets.yaml'),
    env: resolve(cwd, options.envFile ?? '.env'),
  };
  const policyText =
    options.policyFile === undefined ? undefined : await readPolicyFile(resolve(cwd, options.policyFile));
  // A document AWS would reject (unknown action, malformed ARN) stops here, before any call, at file:line:col.
  if (policyText !== undefined) parsePolicyDocument(policyText, options.policyFile ?? 'policy');
  if (!options.dryRun && !options.force && (await exists(files.targets))) {
    throw new UsageError(`the targets file ${files.targets} already exists`, {
      hint: 'pass --force to replace it, or --targets <file> to write another one',
    });
  }

  const client = new IoTClient({
    ...(options.region !== undefined ? { region: options.region } : {}),
    ...(options.profile !== undefined ? { profile: options.profile } : {}),
  });
  let region: string;
  try {
    region = await client.config.region();
  } catch (cause) {
    throw new UsageError('no AWS region for provisioning', {
      cause,
      hint: 'pass --region <region> or set AWS_REGION',
    });
  }

  const calls: ProvisionCall[] = [];
  const result: ProvisionResult = {
    dryRun: options.dryRun === true,
    calls,
    endpoint: undefined,
    region,
    thingName,
    policyName,
    certificateId: undefined,
    certificateArn: undefined,
    files,
  };
  const record = (command: string, input: Record<string, unknown>) => {
    calls.push({ command, input });
    log(`${options.dryRun ? 'would call' : 'calling'} ${command} ${JSON.stringify(input)}`);
  };

  // 1. The account's data endpoint (ATS).
  const endpointInput = { endpointType: 'iot:Data-ATS' };
  record('DescribeEndpoint', endpointInput);
  if (!options.dryRun) {
    const out = await send(() => client.send(new DescribeEndpointCommand(endpointInput)), 'DescribeEndpoint');
    result.endpoint = out.endpointAddress;
  }

  // 2. The thing (kept when it already exists).
  record('CreateThing', { thingName });
  if (!options.dryRun) {
    await send(() => client.send(new CreateThingCommand({ thingName })), 'CreateThing', [
      'ResourceAlreadyExistsException',
    ]);
  }

  // 3. An active certificate and its key; the key exists only in this response.
  record('CreateKeysAndCertificate', { setAsActive: true });
  if (!options.dryRun) {
    const out = await send(
      () => client.send(new CreateKeysAndCertificateCommand({ setAsActive: true })),
      'CreateKeysAndCertificate',
    );
    if (!out.certificateArn || !out.certificatePem || !out.keyPair?.PrivateKey) {
      throw new EnvironmentError('CreateKeysAndCertificate returned no certificate or key', {
        hint: 'retry; if it persists, check the IoT service health in this region',
      });
    }
    result.certificateArn = out.certificateArn;
    result.certificateId = out.certificateId;
    await mkdir(outDir, { recursive: true, mode: 0o700 });
    await writeFile(files.key, out.keyPair.PrivateKey, { mode: 0o600 });
    await chmod(files.key, 0o600);
    await writeFile(files.cert, out.certificatePem, { mode: 0o644 });
    log(`wrote ${relative(cwd, files.cert)} and ${relative(cwd, files.key)} (mode 0600)`);
  }

  // 4. The policy, attached to the certificate.
  const account = accountOf(result.certificateArn) ?? '<account>';
  const policyDocument = policyText ?? defaultPolicy(region, account, options.topicPrefix ?? 'test/');
  // The lint of `mqscen policy check` on the policy about to be created (Receive missing, topic/ for
  // Subscribe, literal +/#, ...): warnings only, AWS would accept the document.
  for (const w of lintPolicy(parsePolicyDocument(policyDocument, options.policyFile ?? 'the default policy')))
    log(`warning: ${formatIssue(w)}`);
  record('CreatePolicy', { policyName, policyDocument: JSON.parse(policyDocument) });
  if (!options.dryRun) {
    await send(() => client.send(new CreatePolicyCommand({ policyName, policyDocument })), 'CreatePolicy', [
      'ResourceAlreadyExistsException',
    ]);
  }
  const certTarget = result.certificateArn ?? '<certificateArn>';
  record('AttachPolicy', { policyName, target: certTarget });
  record('AttachThingPrincipal', { thingName, principal: certTarget });
  if (!options.dryRun) {
    await send(
      () => client.send(new AttachPolicyCommand({ policyName, target: certTarget })),
      'AttachPolicy',
    );
    await send(
      () => client.send(new AttachThingPrincipalCommand({ thingName, principal: certTarget })),
      'AttachThingPrincipal',
    );
  }

  // 5. Targets file and .env.
  const targetsText = targetsYaml({ region, thingName, targetsDir: dirname(files.targets), files });
  if (options.dryRun) {
    log(
      `would write ${relative(cwd, files.targets) || files.targets} and update ${relative(cwd, files.env) || files.env}`,
    );
  } else {
    await writeFile(files.targets, targetsText);
    await updateEnvFile(files.env, { AWS_IOT_ENDPOINT: result.endpoint ?? '', AWS_REGION: region });
    log(`wrote ${relative(cwd, files.targets)} (targets aws-mtls, aws-wss) and ${relative(cwd, files.env)}`);
  }
  debug('provisioned %s in %s (dry run %s)', thingName, region, result.dryRun);
  return result;
}

/** The default policy: the original suite's policy, widened from one topic to a prefix. */
export function defaultPolicy(region: string, account: string, topicPrefix: string): string {
  const arn = (kind: string, name: string) => `arn:aws:iot:${region}:${account}:${kind}/${name}`;
  return JSON.stringify(
    {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'iot:Connect', Resource: arn('client', '*') },
        // POL-2: retained publishes (and retained wills) need iot:RetainPublish as well.
        {
          Effect: 'Allow',
          Action: ['iot:Publish', 'iot:RetainPublish'],
          Resource: arn('topic', `${topicPrefix}*`),
        },
        {
          Effect: 'Allow',
          Action: 'iot:Receive',
          // POL-5: a shared delivery is checked against topic/$share/<group>/<topic name>.
          Resource: [arn('topic', `${topicPrefix}*`), arn('topic', `$share/*/${topicPrefix}*`)],
        },
        {
          Effect: 'Allow',
          Action: 'iot:Subscribe',
          // POL-4: a shared subscription is checked on its full filter, $share/<group>/<filter>.
          Resource: [arn('topicfilter', `${topicPrefix}*`), arn('topicfilter', `$share/*/${topicPrefix}*`)],
        },
      ],
    },
    null,
    2,
  );
}

// --- internal ---

async function readPolicyFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new UsageError(`cannot read the policy file ${path}`, {
      cause,
      hint: 'check --policy-file <path>',
    });
  }
  try {
    const doc = JSON.parse(text) as { Statement?: unknown };
    if (!Array.isArray(doc.Statement)) throw new Error('no Statement array');
  } catch (cause) {
    throw new UsageError(
      `the policy file ${path} is not an IoT policy document (JSON with a Statement array)`,
      {
        cause,
        hint: 'see docs/aws-iot.md for an example policy',
      },
    );
  }
  return text;
}

async function send<T>(
  call: () => Promise<T>,
  command: string,
  tolerated: readonly string[] = [],
): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const name = (err as { name?: string }).name ?? '';
    if (tolerated.includes(name)) {
      debug('%s: %s (kept the existing resource)', command, name);
      return {} as T;
    }
    const message = err instanceof Error ? err.message : String(err);
    throw new EnvironmentError(`AWS IoT ${command} failed: ${name ? `${name}: ` : ''}${message}`, {
      cause: err,
      hint:
        name === 'AccessDeniedException' || name === 'UnauthorizedException'
          ? `the credentials in use may not call iot:${command}; use a role or user allowed to (e.g. with AWSIoTConfigAccess)`
          : 'check the AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID...) and the region',
    });
  }
}

function accountOf(arn: string | undefined): string | undefined {
  return arn?.split(':')[4] || undefined;
}

function targetsYaml(a: {
  region: string;
  thingName: string;
  targetsDir: string;
  files: { cert: string; key: string };
}): string {
  const rel = (p: string) => relative(a.targetsDir, p) || p;
  // The targets file's own interpolation syntax, not a template literal.
  const endpoint = `  endpoint: $${'{'}env:AWS_IOT_ENDPOINT}`;
  return [
    '# Written by `mqscen aws provision`. The endpoint comes from .env (AWS_IOT_ENDPOINT).',
    'aws-mtls:',
    '  kind: aws-iot',
    endpoint,
    `  region: ${a.region}`,
    '  auth: mtls',
    `  cert: ${rel(a.files.cert)}`,
    `  key: ${rel(a.files.key)}`,
    'aws-wss:',
    '  kind: aws-iot',
    endpoint,
    `  region: ${a.region}`,
    '  auth: sigv4',
    '',
  ].join('\n');
}

/** Sets KEY=value lines in an env file, keeping every other line. */
async function updateEnvFile(path: string, values: Record<string, string>): Promise<void> {
  let lines: string[] = [];
  try {
    lines = (await readFile(path, 'utf8')).split('\n');
    if (lines.at(-1) === '') lines.pop();
  } catch {
    // A new file.
  }
  for (const [key, value] of Object.entries(values)) {
    const line = `${key}=${value}`;
    const at = lines.findIndex((l) => l.startsWith(`${key}=`));
    if (at >= 0) lines[at] = line;
    else lines.push(line);
  }
  await writeFile(path, `${lines.join('\n')}\n`, { mode: 0o600 });
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
