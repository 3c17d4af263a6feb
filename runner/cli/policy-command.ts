/**
 * `mqscen policy check --policy FILE [--thing NAME] scenario.yaml…`: what AWS IoT will refuse,
 * before anything connects. Each scenario is walked statically (runner/policy/scenario-checks.ts):
 * every connect, Will, subscribe, publish, retained publish and expected delivery is evaluated
 * against the policy and listed with allow/deny and the deciding statement; the policy itself is
 * linted for the common mistakes. Exit 1 when a scenario needs something the policy refuses (or
 * expects a refusal the policy does not make), 2 for a bad scenario or policy.
 *
 * `--aws` sends the same checks to AWS IoT's TestAuthorization and prints every disagreement.
 */
import { relative } from 'node:path';
import type { PolicyDocument, SharedReceiveResource } from '../../broker/policy/index.js';
import { EXIT_CODES, type Issue, UsageError } from '../errors.js';
import type { CheckedRequest } from '../policy/scenario-checks.js';
import { loadScenario } from '../scenario/index.js';
import type { ResolvedScenario } from '../scenario/types.js';
import { expandFileArguments, parseVarFlags } from './files.js';
import { printIssues } from './validate-command.js';

export interface PolicyCheckOptions {
  /** Policy files (repeatable: all are attached, POL-1); default each scenario's `policy:`. */
  policy?: string[];
  thing?: string;
  sharedReceive?: SharedReceiveResource;
  region?: string;
  account?: string;
  var?: string[];
  /** Also ask AWS IoT's TestAuthorization. */
  aws?: boolean;
  /** Names of the policies in the account that hold the document (TestAuthorization policyNamesToAdd). */
  policyName?: string[];
  /** Certificate ARN whose attached policies AWS evaluates. */
  principal?: string;
  profile?: string;
}

export async function policyCheckCommand(
  patterns: string[],
  opts: PolicyCheckOptions,
  write: (text: string) => void = (t) => process.stdout.write(t),
): Promise<number> {
  if (patterns.length === 0) {
    throw new UsageError('no scenario to check', {
      hint: 'mqscen policy check --policy policy.json scenarios/queuing.yaml',
    });
  }
  const { resolvePolicyResourceOptions, describeStatement, shortResource } = await import(
    '../../broker/policy/index.js'
  );
  const { loadPolicyFile } = await import('../document/policy-document.js');
  const { lintPolicy } = await import('../policy/lint.js');
  const { evaluateChecks, scenarioChecks } = await import('../policy/scenario-checks.js');

  // --aws needs the real region and account in the ARNs; they come from the principal or flags.
  const principalArn = /^arn:[^:]+:iot:([^:]+):(\d{12}):/.exec(opts.principal ?? '');
  const region = opts.region ?? principalArn?.[1];
  const account = opts.account ?? principalArn?.[2];
  if (opts.aws && account === undefined) {
    throw new UsageError('--aws needs the account id for the resource ARNs', {
      hint: 'pass --account 123456789012, or --principal arn:aws:iot:<region>:<account>:cert/<id>',
    });
  }
  if (opts.aws && (opts.policyName?.length ?? 0) === 0 && opts.principal === undefined) {
    throw new UsageError('--aws needs the policy as AWS knows it', {
      hint: 'pass --policy-name NAME (a policy in the account holding the same document) and/or --principal CERT_ARN',
    });
  }
  const resources = resolvePolicyResourceOptions({
    ...(region === undefined ? {} : { region }),
    ...(account === undefined ? {} : { account }),
    ...(opts.sharedReceive === undefined ? {} : { sharedReceiveResource: opts.sharedReceive }),
  });

  const files = await expandFileArguments(patterns);
  const vars = parseVarFlags(opts.var ?? []);
  const scenarios: ResolvedScenario[] = [];
  let problems = 0;
  for (const file of files) {
    const loaded = await loadScenario(file, { vars, env: process.env });
    if (!loaded.ok) problems += printIssues(loaded.issues);
    else scenarios.push(loaded.scenario);
  }
  if (problems > 0) {
    process.stderr.write(
      `${problems} problem${problems === 1 ? '' : 's'} in the scenarios; nothing was checked\n`,
    );
    return EXIT_CODES.invalidInput;
  }

  const shown = (f: string): string => {
    const rel = relative(process.cwd(), f);
    return rel.startsWith('..') ? f : rel;
  };
  const cache = new Map<string, PolicyDocument>();
  const load = async (f: string): Promise<PolicyDocument> => {
    const known = cache.get(f);
    if (known !== undefined) return known;
    const doc = await loadPolicyFile(f, shown(f));
    cache.set(f, doc);
    // Lint once per document, before any check is listed.
    const warnings: Issue[] = lintPolicy(doc);
    if (warnings.length > 0) printIssues(warnings);
    return doc;
  };
  const given = opts.policy ?? [];

  let failing = 0;
  const allChecked: CheckedRequest[] = [];
  for (const scenario of scenarios) {
    const policyFiles =
      given.length > 0 ? given : scenario.policyFile === undefined ? [] : [scenario.policyFile];
    if (policyFiles.length === 0) {
      throw new UsageError(`scenario ${scenario.file} names no policy and --policy was not given`, {
        hint: 'pass --policy FILE, or add `policy: <file>` to the scenario',
      });
    }
    const policies = await Promise.all(policyFiles.map(load));
    const checked = evaluateChecks(
      scenarioChecks(scenario, { resources, ...(opts.thing === undefined ? {} : { thing: opts.thing }) }),
      policies,
    );
    allChecked.push(...checked);
    write(`${scenario.file}  "${scenario.name}"  policy ${policies.map((p) => p.name).join(' + ')}\n`);
    const rows = groupRows(checked);
    const width = Math.max(...rows.map((r) => r.action.length), 10);
    for (const r of rows) {
      const problem = r.allowed === r.expectRefused;
      if (problem) failing++;
      const mark = r.allowed ? 'allow' : 'DENY ';
      const note = r.expectRefused
        ? r.allowed
          ? '  (the scenario expects a refusal)'
          : '  (expected by the scenario)'
        : '';
      const by =
        r.decision.statement !== undefined ? describeStatement(r.decision.statement) : r.decision.reason;
      write(
        `  ${problem ? '✖' : '✔'} ${mark}  ${r.action.padEnd(width)}  ${shortResource(r.resource)}\n` +
          `      for ${r.clients.join(', ')}: ${r.why}; ${r.allowed ? by : r.decision.reason}${note}\n`,
      );
      if (!r.allowed && !r.expectRefused && r.action === 'iot:Connect') {
        const connectResources = policies.flatMap((p) =>
          p.statements
            .filter((s) => s.effect === 'Allow' && s.actions.some((a) => /connect|\*/i.test(a.text)))
            .flatMap((s) => s.resources.map((x) => shortResource(x.pattern.text))),
        );
        write(
          `      warning: the Connect resources (${connectResources.join(', ') || 'none'}) do not cover client id "${r.clientId}"\n`,
        );
      }
    }
  }
  const against = groupRows(allChecked).filter((r) => r.allowed === r.expectRefused);
  if (failing === 0) {
    write(`policy check passed: ${allChecked.length} checks, every one the scenarios need is allowed\n`);
  } else {
    write(
      `policy check failed: ${against.length} check${against.length === 1 ? ' goes' : 's go'} against the scenarios:\n`,
    );
    for (const r of against) {
      write(
        `  ${r.action} on ${shortResource(r.resource)} for ${r.clients.join(', ')}: ${r.allowed ? 'allowed, but the scenario expects a refusal' : `needed and refused (${r.decision.reason})`}\n`,
      );
    }
  }

  if (opts.aws) {
    const disagreements = await compareWithAws(allChecked, opts, write);
    if (disagreements > 0) failing += disagreements;
  }
  return failing === 0 ? EXIT_CODES.passed : EXIT_CODES.failed;
}

// --- internal ---

interface Row extends CheckedRequest {
  allowed: boolean;
}

/** One row per action, resource, outcome and reason: the three subscribers of one Receive together. */
function groupRows(checked: readonly CheckedRequest[]): Row[] {
  const rows = new Map<string, Row>();
  for (const c of checked) {
    const key = [c.action, c.resource, c.decision.allowed, c.expectRefused, c.decision.reason].join('\u0000');
    const row = rows.get(key);
    if (row === undefined) rows.set(key, { ...c, clients: [...c.clients], allowed: c.decision.allowed });
    else for (const n of c.clients) if (!row.clients.includes(n)) row.clients.push(n);
  }
  // Connect, Subscribe, Publish, RetainPublish, Receive: the order a session goes through them.
  const order = ['iot:Connect', 'iot:Subscribe', 'iot:Publish', 'iot:RetainPublish', 'iot:Receive'];
  return [...rows.values()].sort((a, b) => order.indexOf(a.action) - order.indexOf(b.action));
}

async function compareWithAws(
  checked: readonly CheckedRequest[],
  opts: PolicyCheckOptions,
  write: (text: string) => void,
): Promise<number> {
  const { awsCanCheck, testAuthorizationOnAws } = await import('../aws/test-authorization.js');
  const { shortResource } = await import('../../broker/policy/index.js');
  const answers = await testAuthorizationOnAws(checked, {
    ...(opts.principal === undefined ? {} : { principal: opts.principal }),
    ...(opts.policyName === undefined ? {} : { policyNames: opts.policyName }),
    ...(opts.region === undefined ? {} : { region: opts.region }),
    ...(opts.profile === undefined ? {} : { profile: opts.profile }),
  });
  let asked = 0;
  let disagreements = 0;
  for (const a of answers) {
    if (!awsCanCheck(a.check.action)) continue;
    asked++;
    if (a.allowed === undefined || a.allowed === a.check.decision.allowed) continue;
    disagreements++;
    const local = a.check.decision.allowed ? 'allows' : 'denies';
    write(
      `  ≠ ${a.check.action} ${shortResource(a.check.resource)} for client id "${a.check.clientId}": mqscen ${local} (${a.check.decision.reason}), AWS says ${a.decision}` +
        `${a.missingContextValues ? ` (missing context values: ${a.missingContextValues.join(', ')})` : ''}\n`,
    );
  }
  const skipped = answers.length - asked;
  write(
    `AWS TestAuthorization: ${asked} checks asked${skipped > 0 ? ` (${skipped} iot:RetainPublish not checkable there)` : ''}, ` +
      `${disagreements === 0 ? 'no disagreement with mqscen' : `${disagreements} disagreement(s) with mqscen`}\n`,
  );
  return disagreements;
}
