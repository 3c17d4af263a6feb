/**
 * `mqscen aws provision [--thing NAME] [--policy-file FILE] [--region R] [--profile P]
 * [--targets FILE] [--env FILE] [--out DIR] [--dry-run] [--force]`: prints each call and the files
 * written (paths only, never the key), and returns the exit code. Loads the AWS SDK lazily.
 */
import { EXIT_CODES } from '../errors.js';

export interface ProvisionCommandOptions {
  thing?: string;
  policy?: string;
  policyFile?: string;
  topicPrefix?: string;
  region?: string;
  profile?: string;
  targets?: string;
  env?: string;
  out?: string;
  dryRun?: boolean;
  force?: boolean;
}

export async function awsProvisionCommand(
  opts: ProvisionCommandOptions,
  write: (text: string) => void = (t) => process.stdout.write(t),
): Promise<number> {
  const { provisionAws } = await import('./provision.js');
  const result = await provisionAws({
    ...(opts.thing !== undefined ? { thingName: opts.thing } : {}),
    ...(opts.policy !== undefined ? { policyName: opts.policy } : {}),
    ...(opts.policyFile !== undefined ? { policyFile: opts.policyFile } : {}),
    ...(opts.topicPrefix !== undefined ? { topicPrefix: opts.topicPrefix } : {}),
    ...(opts.region !== undefined ? { region: opts.region } : {}),
    ...(opts.profile !== undefined ? { profile: opts.profile } : {}),
    ...(opts.targets !== undefined ? { targetsFile: opts.targets } : {}),
    ...(opts.env !== undefined ? { envFile: opts.env } : {}),
    ...(opts.out !== undefined ? { outDir: opts.out } : {}),
    dryRun: opts.dryRun === true,
    force: opts.force === true,
    log: (line) => write(`${line}\n`),
  });
  if (result.dryRun) {
    write(`dry run: ${result.calls.length} calls listed, nothing created or written\n`);
  } else {
    write(`endpoint:           ${result.endpoint ?? '(unknown)'}\n`);
    write(`thing:              ${result.thingName} (certificate ${result.certificateId ?? '?'})\n`);
    write(`device certificate: ${result.files.cert}\n`);
    write(`device key:         ${result.files.key}\n`);
    write(`targets file:       ${result.files.targets} (run with --target aws-mtls or --target aws-wss)\n`);
  }
  return EXIT_CODES.passed;
}
