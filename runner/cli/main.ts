/**
 * mqscen command line. The only module that calls process.exit: every command returns an exit
 * code (or throws an MqscenError, whose exitCode is used), and this file turns it into the exit.
 * Heavy modules (mqtt, the AWS SDK, the report writers, the broker) are imported inside the command that
 * needs them, so `mqscen validate` starts fast.
 */
import { Command, CommanderError, Option } from 'commander';
import { EXIT_CODES, UsageError } from '../errors.js';
import { version } from '../version.js';
import type { CompletionCommand } from './completion-command.js';
import { printError, setUsageCommand } from './output.js';

function collectVar(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `Examples:` block for a command's --help. */
function examples(list: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.min(60, Math.max(...list.map(([cmd]) => cmd.length)));
  return `\nExamples:\n${list.map(([cmd, what]) => `  ${cmd.padEnd(width)}  ${what}`).join('\n')}\n`;
}

const EXIT_CODE_HELP = `
Exit codes (the first that applies: 130, 4, 3, 1, 0):
  0    every scenario passed
  1    an assertion failed, or the broker answered but not as the scenario declares
  2    invalid input: usage, scenario or targets file (nothing connects then)
  3    environment: broker unreachable or gone, TLS, credentials, a report not written
  4    internal error in mqscen (printed with a stack; please report it)
  130  interrupted with Ctrl+C (reports are still written)
`;

const EXIT_CODE_HELP_VALIDATE = `
Exit codes:
  0  every file is valid (warnings, such as insecure target settings, are printed)
  2  a file has problems (each printed as file:line:column  path  message)
`;

/** The commands and options commander knows, for the completion scripts. */
function describeCommands(program: Command): CompletionCommand[] {
  const describe = (c: Command): CompletionCommand => ({
    name: c.name(),
    description: c.description(),
    options: c.options
      .filter((o) => o.long !== undefined)
      .map((o) => ({
        flag: o.long as string,
        description: o.description,
        takesValue: o.required || o.optional,
      })),
    subcommands: c.commands.map(describe),
  });
  return program.commands.filter((c) => c.name() !== 'help').map(describe);
}

function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('mqscen')
    .description('Declarative MQTT scenario runner: prove how a broker behaves, from a YAML file.')
    .version(version, '-v, --version', 'print the mqscen version')
    .helpOption('-h, --help', 'show help')
    .showHelpAfterError('(run `mqscen --help` for usage)')
    .exitOverride()
    .configureOutput({
      writeErr: (s) => process.stderr.write(s),
      writeOut: (s) => process.stdout.write(s),
      // Every mqscen message starts the same way, commander's own usage errors included.
      outputError: (s, write) => write(s.replace(/^error: /, 'mqscen: ')),
    });

  program
    .command('run')
    .description('run scenarios against a target (default: the embedded broker, AWS IoT behaviour)')
    .argument(
      '[files...]',
      'scenario files or globs (quote globs: "scenarios/*.yaml"; default scenarios/*.yaml)',
    )
    .option(
      '-t, --target <name>',
      'target: embedded, embedded:mosquitto, mosquitto, a name from the targets file, or a broker URL (mqtt://host:1883)',
    )
    .option(
      '--targets <file>',
      'targets file, used with --target NAME (default: mqscen.targets.yaml when present)',
    )
    .option('--junit <path>', 'JUnit XML report path', 'reports/junit.xml')
    .option('--no-junit', 'do not write a JUnit report')
    .option(
      '--junit-strict',
      'leave out the testcase file/line attributes (for consumers that validate against the Jenkins xUnit or Ant schema)',
    )
    .option(
      '--json <path>',
      'JSON results path; - writes them to stdout (console output then goes to stderr)',
      'reports/results.json',
    )
    .option('--no-json', 'do not write JSON results')
    .option(
      '--html <path>',
      'self-contained HTML report with charts (default: report.html beside the JUnit file)',
    )
    .option('--no-html', 'do not write the HTML report')
    .option('--var <key=value>', 'set a scenario variable (repeatable)', collectVar, [])
    .option('--timeout <duration>', 'overall deadline per scenario, e.g. 30s (overrides the file)')
    .option('--bail', 'stop after the first scenario that does not pass')
    .option('--grep <pattern>', 'only run scenarios whose name or file matches this regular expression')
    .option('--shard <i/n>', 'run shard i of n (1-based; also MQSCEN_SHARD=i/n) and write its shard file')
    .option('--shards <n>', 'shard count; the index comes from JOB_COMPLETION_INDEX (Kubernetes Indexed Job)')
    .option(
      '--shard-by <mode>',
      'files: whole scenario files per shard (default); clients: every shard runs every scenario for its part of the clients',
    )
    .option(
      '--shard-file <path>',
      'shard file to write (default: shard-<i>-of-<n>.json beside the JUnit file)',
    )
    .option(
      '--coordinator <url>',
      'broker for the step barriers of client shards (default: the target broker, under mqscen-shards/)',
    )
    .option(
      '--run-id <id>',
      'the id every shard of one run shares (default MQSCEN_RUN_ID, GITHUB_RUN_ID, or the suite hash)',
    )
    .addOption(
      new Option('--reporter <name>', 'console output').choices(['auto', 'live', 'plain']).default('auto'),
    )
    .addHelpText(
      'after',
      examples([
        ['mqscen run', 'every scenarios/*.yaml on the embedded broker (AWS IoT Core behaviour)'],
        [
          'mqscen run --shard 2/4 -t mqtt://broker:1883',
          'the second quarter of the files; then mqscen merge',
        ],
        ['mqscen run scenarios/queuing.yaml -t embedded:mosquitto', 'one file, Mosquitto semantics'],
        ['mqscen run "scenarios/*.yaml" -t my-broker', 'a broker defined in mqscen.targets.yaml'],
        ['mqscen run -t mqtt://localhost:1883 --grep queuing', 'any broker by URL, some scenarios'],
        ['mqscen run --json - | jq .scenarios[0].brokerStats', 'results on stdout for a script'],
      ]) + EXIT_CODE_HELP,
    )
    .action(async (files: string[], opts: Record<string, unknown>) => {
      const { runCommand } = await import('./run-command.js');
      setExit(await runCommand(files.length === 0 ? ['scenarios/*.yaml'] : files, opts));
    });

  program
    .command('validate')
    .description('check scenario files (schema and cross-references) without connecting anywhere')
    .argument('[files...]', 'scenario files or globs')
    .option('--var <key=value>', 'set a scenario variable (repeatable)', collectVar, [])
    .option('--targets <file>', 'also check a targets file (its ${env:NAME} secrets need not be set)')
    .addHelpText(
      'after',
      examples([
        ['mqscen validate "scenarios/*.yaml"', 'schema and cross-references, nothing connects'],
        ['mqscen validate --targets mqscen.targets.yaml', 'a targets file, without its secrets set'],
      ]) + EXIT_CODE_HELP_VALIDATE,
    )
    .action(async (files: string[], opts: { var: string[]; targets?: string }) => {
      const { validateCommand } = await import('./validate-command.js');
      setExit(await validateCommand(files, opts));
    });

  program
    .command('init')
    .description(
      'start a project: an example scenario, a targets file, a GitHub Actions workflow, package.json',
    )
    .argument('[dir]', 'folder to create or fill (default: the current folder)')
    .option('--force', 'replace files that exist')
    .addHelpText(
      'after',
      examples([
        ['mqscen init my-broker-tests', 'then: cd my-broker-tests && npm install && npx mqscen run'],
        ['mqscen init .', 'add the files to the current project (existing ones are kept)'],
      ]) + '\nExit codes:\n  0  done\n  2  usage\n  3  a file cannot be written\n',
    )
    .action(async (dir: string | undefined, opts: { force?: boolean }) => {
      const { initCommand } = await import('./init-command.js');
      setExit(await initCommand(dir, opts));
    });

  program
    .command('completion')
    .description('print a shell completion script (bash or zsh)')
    .argument('<shell>', 'bash or zsh')
    .addHelpText(
      'after',
      examples([
        ['mqscen completion bash > ~/.local/share/bash-completion/completions/mqscen', 'bash'],
        ['mqscen completion zsh > "${fpath[1]}/_mqscen"', 'zsh (then restart the shell)'],
        ['source <(mqscen completion bash)', 'this shell only'],
      ]) + '\nExit codes:\n  0  printed\n  2  unknown shell\n',
    )
    .action(async (shell: string) => {
      const { completionCommand } = await import('./completion-command.js');
      setExit(completionCommand(shell, describeCommands(program)));
    });

  program
    .command('compare')
    .description('run the same scenarios on several targets and show, side by side, where the brokers differ')
    .argument('<files...>', 'scenario files or globs (quote globs: "scenarios/*.yaml")')
    .requiredOption(
      '--targets <names>',
      'comma-separated targets, e.g. embedded:aws-iot,embedded:mosquitto,mosquitto',
    )
    .option(
      '--targets-file <file>',
      'targets file for names that are not built in (default: mqscen.targets.yaml when present)',
    )
    .option('--json <path>', 'the matrix and every run as JSON', 'reports/compare.json')
    .option('--no-json', 'do not write compare.json')
    .option(
      '--junit <path>',
      'JUnit XML, one testsuite per target (default: compare-junit.xml beside the JSON)',
    )
    .option('--no-junit', 'do not write the JUnit file')
    .option(
      '--html <path>',
      'HTML report with the matrix and every run (default: compare.html beside the JSON)',
    )
    .option('--no-html', 'do not write the HTML report')
    .option('--var <key=value>', 'set a scenario variable (repeatable)', collectVar, [])
    .addHelpText(
      'after',
      examples([
        [
          'mqscen compare "scenarios/*.yaml" --targets embedded:aws-iot,embedded:mosquitto,mosquitto',
          'where the AWS IoT and Mosquitto semantics differ',
        ],
        [
          'mqscen compare "scenarios/*.yaml" --targets staging,production',
          'two brokers of mqscen.targets.yaml',
        ],
      ]) + EXIT_CODE_HELP,
    )
    .action(async (files: string[], opts: Record<string, unknown>) => {
      const { compareCommand, compareDefaults } = await import('./compare-command.js');
      const json = opts['json'] as string | false;
      const defaults = compareDefaults(json);
      setExit(
        await compareCommand(files, {
          targets: opts['targets'] as string,
          ...(typeof opts['targetsFile'] === 'string' ? { targetsFile: opts['targetsFile'] } : {}),
          json,
          junit: opts['junit'] === false ? false : ((opts['junit'] as string | undefined) ?? defaults.junit),
          html: opts['html'] === false ? false : ((opts['html'] as string | undefined) ?? defaults.html),
          var: opts['var'] as string[],
        }),
      );
    });

  program
    .command('merge')
    .description('merge the shard files of one sharded run into its JUnit, JSON and HTML reports')
    .argument(
      '<shards...>',
      'shard files written by `mqscen run --shard i/n` (quote globs: "reports/shard-*.json")',
    )
    .option('--junit <path>', 'JUnit XML report path', 'reports/junit.xml')
    .option('--no-junit', 'do not write a JUnit report')
    .option('--junit-strict', 'leave out the testcase file/line attributes')
    .option('--json <path>', 'JSON results path', 'reports/results.json')
    .option('--no-json', 'do not write JSON results')
    .option('--html <path>', 'HTML report (default: report.html beside the JUnit file)')
    .option('--no-html', 'do not write the HTML report')
    .addHelpText(
      'after',
      examples([
        ['mqscen merge "shards/shard-*.json"', 'one verdict and reports/junit.xml for the whole run'],
      ]) +
        "\nExit codes: as mqscen run (0, 1, 3, 4, 130) over the merged run; 2 when the files are not one run's complete set of shards\n",
    )
    .action(async (files: string[], opts: Record<string, unknown>) => {
      const { mergeCommand } = await import('./merge-command.js');
      setExit(await mergeCommand(files, opts as never));
    });

  const k8s = program.command('k8s').description('Kubernetes manifests for sharded runs');
  k8s
    .command('job')
    .description(
      'print an Indexed Job of N shards, a headless Service, a results claim and a merge Job (kubectl apply -f -)',
    )
    .argument('[files...]', 'scenario files or globs inside the image (default scenarios/*.yaml)')
    .requiredOption('--shards <n>', 'number of shards (completions = parallelism = n)')
    .requiredOption('--image <image>', 'container image with mqscen and the scenarios (see the Dockerfile)')
    .option('--namespace <ns>', 'namespace of every object')
    .option('--name <name>', 'base name of the objects', 'mqscen')
    .option('-t, --target <target>', 'the broker under test, as for mqscen run')
    .option(
      '--shard-by <mode>',
      'files: whole scenario files per shard (default); clients: the clients of every scenario (needs -t, one broker every pod reaches)',
    )
    .option(
      '--coordinator <url>',
      'broker for the step barriers of client shards (default: the target broker, under mqscen-shards/)',
    )
    .option('--merge-timeout <seconds>', 'how long the merge Job waits for the shard files', '3600')
    .addHelpText(
      'after',
      examples([
        [
          'mqscen k8s job --shards 4 --image ghcr.io/me/mqscen:1 -t mqtt://broker:1883 | kubectl apply -f -',
          'four shards and their merge',
        ],
        [
          'mqscen k8s job --shards 8 --shard-by clients --image ghcr.io/me/mqscen:1 -t mqtt://broker:1883 fleet.yaml',
          'the clients of one scenario over eight pods',
        ],
      ]) + '\nExit codes:\n  0  printed\n  2  usage\n',
    )
    .action(async (files: string[], opts: Record<string, unknown>) => {
      const { k8sJobCommand } = await import('./k8s-command.js');
      setExit(k8sJobCommand(files, opts as never));
    });

  program
    .command('report')
    .description('render the HTML report of an earlier run from its results.json')
    .argument('<results>', 'results file written by `mqscen run` (default there: reports/results.json)')
    .option('--html <path>', 'HTML file to write (default: report.html beside the results file)')
    .addHelpText(
      'after',
      examples([
        ['mqscen report reports/results.json', 'writes reports/report.html'],
        ['mqscen report ci-results.json --html out/run-42.html', 'results downloaded from CI'],
      ]) +
        '\nExit codes:\n  0  written\n  2  not a results file, or unreadable\n  3  the HTML file cannot be written\n',
    )
    .action(async (file: string, opts: { html?: string }) => {
      const { reportCommand } = await import('./report-command.js');
      setExit(await reportCommand(file, opts));
    });

  program
    .command('schema')
    .description('print the JSON schema of scenario files (or of targets files)')
    .option('--targets', 'print the targets file schema instead')
    .action(async (opts: { targets?: boolean }) => {
      const { schemaCommand } = await import('./schema-command.js');
      setExit(await schemaCommand(opts));
    });

  program
    .command('broker')
    .description('run the embedded MQTT 3.1.1/5.0 broker on its own until Ctrl+C')
    .addOption(
      new Option('--profile <name>', 'behaviour profile')
        .choices(['aws-iot', 'mosquitto'])
        .default('aws-iot'),
    )
    .option(
      '--host <address>',
      'address to listen on; 0.0.0.0 for clients on other machines or containers',
      '127.0.0.1',
    )
    .option('--port <port>', 'MQTT (TCP) port; 0 = any free port', '1883')
    .option('--ws', 'also listen for MQTT over WebSocket (ws://…/mqtt), on --ws-port or 8080')
    .option('--ws-port <port>', 'also listen for MQTT over WebSocket (ws://…/mqtt) on this port')
    .option('--tls', 'also listen for MQTT over TLS, on --tls-port or 8883')
    .option(
      '--tls-port <port>',
      'also listen for MQTT over TLS on this port (certificates from `mqscen certs`)',
    )
    .option('--wss-port <port>', 'also listen for MQTT over secure WebSocket on this port')
    .option(
      '--mtls',
      'require client certificates signed by the local CA on the TLS listeners (implies --tls)',
    )
    .option('--certs <dir>', 'certificate folder', '.mqscen/certs')
    .option('--realistic', 'turn on AWS IoT rate limits and pacing (slower, closer to the real service)')
    .option(
      '--acl <file>',
      'allow or refuse connect/publish/subscribe/receive per client and topic (YAML or JSON rules)',
    )
    .option(
      '--policy <file>',
      'enforce an AWS IoT policy document (JSON) on every client, with the aws-iot profile (repeatable)',
      collectVar,
      [],
    )
    .option(
      '--config <file>',
      'broker configuration (YAML/JSON, schemas/broker.schema.json); flags win over it',
    )
    .option(
      '--max-keepalive <seconds>',
      'highest keep alive; larger ones are lowered and sent as Server Keep Alive',
    )
    .option('--receive-maximum <n>', 'inbound QoS 1/2 window sent in CONNACK (Receive Maximum)')
    .option('--max-queued <n>', 'messages queued per session beyond the in-flight window')
    .option('--max-packet-size <bytes>', 'largest packet accepted (CONNACK Maximum Packet Size)')
    .option('--connect-timeout <seconds>', 'close sockets that have not completed CONNECT within this time')
    .action(async (opts: Record<string, unknown>, command: Command) => {
      const { brokerCommand } = await import('./broker-command.js');
      setExit(
        await brokerCommand({ ...opts, profileFromFlag: command.getOptionValueSource('profile') === 'cli' }),
      );
    });

  program
    .command('certs')
    .description('create (or reuse) the local CA and server certificate; print their paths')
    .option('--dir <dir>', 'certificate folder', '.mqscen/certs')
    .option('--issue <name>', 'also issue a device (client) certificate with this common name')
    .action(async (opts: { dir: string; issue?: string }) => {
      const { certsCommand } = await import('./certs-command.js');
      setExit(await certsCommand(opts));
    });

  const policy = program.command('policy').description('AWS IoT policies: what a policy allows a scenario');
  policy
    .command('check')
    .description(
      'list every connect, subscribe, publish and delivery the scenarios need, allowed or denied by the policy (nothing connects)',
    )
    .argument('<files...>', 'scenario files or globs')
    .option(
      '--policy <file>',
      "AWS IoT policy document (JSON); repeatable; default: the scenario's policy:",
      collectVar,
      [],
    )
    .option('--thing <name>', 'thing attached to the principal (the certificate CN), for the thing variables')
    .addOption(
      new Option('--shared-receive <form>', "resource a shared delivery's iot:Receive is checked on (POL-5)")
        .choices(['share-form', 'plain', 'either'])
        .default('share-form'),
    )
    .option('--region <region>', 'region in the resource ARNs (default us-east-1; with --aws the real one)')
    .option(
      '--account <id>',
      'account id in the resource ARNs (default 123456789012; with --aws the real one)',
    )
    .option('--var <key=value>', 'set a scenario variable (repeatable)', collectVar, [])
    .option('--aws', "also ask AWS IoT's TestAuthorization and print every disagreement")
    .option(
      '--policy-name <name>',
      'with --aws: the policy in the account holding the document (repeatable)',
      collectVar,
      [],
    )
    .option('--principal <arn>', 'with --aws: certificate ARN whose attached policies AWS evaluates')
    .option('--profile <name>', 'with --aws: AWS shared-config profile for the credentials')
    .action(async (files: string[], opts: Record<string, unknown>) => {
      const { policyCheckCommand } = await import('./policy-command.js');
      setExit(await policyCheckCommand(files, opts));
    });

  const aws = program.command('aws').description('AWS IoT Core helpers');
  aws
    .command('provision')
    .description(
      'create a thing, an active certificate and key, an IoT policy (with the $share forms) and write a targets file and .env',
    )
    .option('--thing <name>', 'thing name (also the certificate file name)', 'mqscen-device')
    .option('--policy <name>', 'IoT policy name (default: <thing>-policy)')
    .option('--policy-file <file>', 'IoT policy document (JSON) to use instead of the default one')
    .option('--topic-prefix <prefix>', 'topic prefix the default policy allows', 'test/')
    .option('--region <region>', 'AWS region (default: the AWS SDK resolution, e.g. AWS_REGION)')
    .option('--profile <name>', 'AWS shared-config profile for the credentials')
    .option('--targets <file>', 'targets file to write', 'mqscen.targets.yaml')
    .option('--env <file>', 'env file to create or update with AWS_IOT_ENDPOINT and AWS_REGION', '.env')
    .option('--out <dir>', 'folder for the device certificate and key', '.mqscen/aws')
    .option('--dry-run', 'print the AWS calls instead of making them; write nothing')
    .option('--force', 'replace an existing targets file')
    .action(async (opts: Record<string, unknown>) => {
      const { awsProvisionCommand } = await import('../aws/provision-command.js');
      setExit(await awsProvisionCommand(opts));
    });

  // A usage mistake points to the help of the command it was made in, not to the top-level list.
  const pointHelp = (command: Command, path: string) => {
    for (const sub of command.commands) {
      const subPath = `${path} ${sub.name()}`;
      sub.showHelpAfterError(`(run \`${subPath} --help\` for usage)`);
      sub.hook('preAction', () => setUsageCommand(subPath));
      pointHelp(sub, subPath);
    }
  };
  pointHelp(program, 'mqscen');

  // Examples and exit codes for the commands whose help does not carry its own.
  const more: Record<string, string> = {
    mqscen:
      examples([
        ['mqscen init my-broker-tests', 'start a project'],
        ['mqscen run', 'run scenarios/*.yaml on the embedded broker'],
        ['mqscen compare "scenarios/*.yaml" --targets embedded:aws-iot,mosquitto', 'compare brokers'],
        ['mqscen <command> --help', 'what a command does, its flags, examples and exit codes'],
      ]) + EXIT_CODE_HELP,
    schema:
      examples([
        ['mqscen schema > scenario.schema.json', 'for an editor'],
        ['mqscen schema --targets', 'the targets file schema'],
      ]) + '\nExit codes:\n  0  printed\n  4  the schema is missing from the installation\n',
    broker:
      examples([
        ['mqscen broker', 'AWS IoT Core behaviour on mqtt://127.0.0.1:1883'],
        ['mqscen broker --profile mosquitto --ws --tls', 'Mosquitto semantics, plus WebSocket and TLS'],
      ]) +
      '\nExit codes:\n  0  stopped with Ctrl+C\n  2  usage\n  3  a port is in use or certificates cannot be read\n',
    certs:
      examples([
        ['mqscen certs', 'local CA and server certificate in .mqscen/certs'],
        ['mqscen certs --issue device-1', 'also a client certificate for mTLS'],
      ]) + '\nExit codes:\n  0  done\n  2  usage\n  3  the folder cannot be written\n',
  };
  const apply = (command: Command, path: string) => {
    const text = more[path];
    if (text !== undefined) command.addHelpText('after', text);
    for (const sub of command.commands) apply(sub, path === 'mqscen' ? sub.name() : `${path} ${sub.name()}`);
  };
  apply(program, 'mqscen');
  for (const path of ['policy check', 'aws provision']) {
    const [a, b] = path.split(' ');
    program.commands
      .find((c) => c.name() === a)
      ?.commands.find((c) => c.name() === b)
      ?.addHelpText(
        'after',
        path === 'policy check'
          ? examples([['mqscen policy check --policy policy.json "scenarios/*.yaml"', 'nothing connects']]) +
              '\nExit codes:\n  0  the policy allows every action\n  1  some action is denied\n  2  usage or invalid files\n'
          : examples([
              ['mqscen aws provision --dry-run', 'print the AWS calls, change nothing'],
              [
                'mqscen aws provision --thing my-device --region eu-west-1',
                'create and write the targets file',
              ],
            ]) + '\nExit codes:\n  0  done\n  2  usage\n  3  AWS credentials or API errors\n',
      );
  }

  return program;
}

async function main(argv: string[]): Promise<number> {
  let exitCode: number = EXIT_CODES.passed;
  const program = buildProgram((code) => {
    exitCode = code;
  });
  try {
    if (argv.length <= 2) {
      program.outputHelp();
      return EXIT_CODES.invalidInput;
    }
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with code 0; a usage mistake was already printed by commander.
      if (error.exitCode === 0) return EXIT_CODES.passed;
      return EXIT_CODES.invalidInput;
    }
    return printError(error);
  }
}

// A reader that goes away (`mqscen run … | head`) must not crash the run with an EPIPE stack:
// console output stops, the run still ends normally and writes its reports.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
  });
}

// mqscen supports Node 20 (package.json engines); the AWS SDK's notice about its own future
// Node requirement is not something a mqscen user can act on, so it is kept off the console.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// .env is read when present (secrets for targets, ${env:NAME} in scenarios); the environment wins.
try {
  const dotenv = await import('dotenv');
  dotenv.config({ quiet: true });
} catch (error) {
  printError(new UsageError('could not read .env in the current folder', { cause: error }));
}

const code = await main(process.argv).catch((error: unknown) => printError(error));
// Exit explicitly: a socket or timer some library left open must never keep a finished run alive.
// (stdout/stderr writes to pipes and files are synchronous on Linux, so nothing is cut off.)
process.exit(code);
