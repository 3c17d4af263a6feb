/**
 * `mqscen init [dir]`: starts a project the way a new user needs it: a commented example
 * scenario, a targets file, a GitHub Actions workflow and a package.json that depends on mqscen.
 * The `$schema` lines point into node_modules/mqscen, so editors complete and check the files in
 * the user's own project (not only inside the mqscen repository). Existing files are kept.
 */
import { access, mkdir, writeFile } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { EXIT_CODES } from '../errors.js';
import { version } from '../version.js';

export interface InitCommandOptions {
  /** Replace files that exist. @default false */
  force?: boolean;
}

/** Relative path → contents of every file `init` writes. */
export function initFiles(projectName: string): Record<string, string> {
  return {
    'scenarios/example.yaml': EXAMPLE_SCENARIO,
    'mqscen.targets.yaml': TARGETS_FILE,
    '.github/workflows/mqscen.yml': WORKFLOW,
    'package.json': `${JSON.stringify(
      {
        name:
          projectName
            .toLowerCase()
            .replace(/[^a-z0-9._-]+/g, '-')
            .replace(/^[._-]+/, '') || 'broker-tests',
        private: true,
        scripts: { test: 'mqscen run' },
        devDependencies: { mqscen: `^${version}` },
      },
      null,
      2,
    )}\n`,
    '.gitignore': 'node_modules/\nreports/\n.env\n.mqscen/\n',
  };
}

export async function initCommand(dir: string | undefined, opts: InitCommandOptions = {}): Promise<number> {
  const root = resolve(dir ?? '.');
  const shown = (p: string) => relative(process.cwd(), join(root, p)) || p;
  const written: string[] = [];
  const kept: string[] = [];
  for (const [path, text] of Object.entries(initFiles(basename(root)))) {
    const file = join(root, path);
    const exists = await access(file).then(
      () => true,
      () => false,
    );
    if (exists && opts.force !== true) {
      kept.push(shown(path));
      continue;
    }
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(file, text, 'utf8');
    written.push(shown(path));
  }
  for (const f of written) process.stdout.write(`created  ${f}\n`);
  for (const f of kept) process.stdout.write(`kept     ${f} (exists; --force replaces it)\n`);
  const cd = dir === undefined || resolve(dir) === process.cwd() ? '' : `cd ${dir} && `;
  process.stdout.write(
    `\nnext: ${cd}npm install && npx mqscen run\n` +
      '  runs scenarios/*.yaml on the embedded broker and writes reports/junit.xml, results.json and report.html;\n' +
      '  --target NAME runs them on a broker of mqscen.targets.yaml\n',
  );
  return EXIT_CODES.passed;
}

// --- internal ---

const EXAMPLE_SCENARIO = `# yaml-language-server: $schema=../node_modules/mqscen/schemas/scenario.schema.json
# An mqscen scenario: clients, the steps they take, and what the broker must have done.
# Run it:   npx mqscen run                  (every scenarios/*.yaml, on the embedded broker)
#           npx mqscen run --target my-broker   (a broker from mqscen.targets.yaml)
# Reference: node_modules/mqscen/README.md, or \`npx mqscen schema\` for the full schema.
name: messages reach an online subscriber, in order
description: >
  A publisher sends 20 QoS 1 messages; a subscriber that is online gets every one of them, once,
  in the order they were sent [MQTT-4.3.2] [MQTT-4.6.0-6].

clients:
  # A client subscribes on every connect; \`count: 3\` would make subscriber[1..3].
  subscriber:
    subscriptions:
      - { filter: "example/readings/#", qos: 1 }
  publisher: {}

steps:
  - connect: all
  - publish: { from: publisher, topic: example/readings/1, count: 20, qos: 1 }
  # Wait until every message the broker acknowledged has arrived (or the timeout passes).
  - settle: { timeout: 5s }

expect:
  # Every acknowledged QoS >= 1 message reaches each subscriber that should get it.
  - no-loss: {}
  - duplicates: { max: 0 }
  - ordered: { per: publisher }
  - received: { clients: subscriber, count: 20 }
`;

const TARGETS_FILE = `# yaml-language-server: $schema=./node_modules/mqscen/schemas/targets.schema.json
# Where scenarios run. Built in without this file: embedded (AWS IoT Core behaviour),
# embedded:mosquitto, and mosquitto (a real Mosquitto the runner starts, if installed).
# Use one with:  npx mqscen run --target my-broker
# Secrets are never written here: \${env:NAME} reads them from the environment or .env.

my-broker:
  kind: url
  url: mqtt://localhost:1883
  behaviour: mosquitto        # which \`on:\` assertions apply: aws-iot, mosquitto or generic
  # username: tester
  # password: \${env:BROKER_PASSWORD}

# my-tls-broker:
#   kind: url
#   url: mqtts://broker.example.com:8883
#   ca: certs/ca.pem          # verify the server with this CA; never turn verification off in CI
`;

const WORKFLOW = `# Runs the scenarios on every push and pull request, and shows the results on the run's page.
name: broker tests
on: [push, pull_request]
jobs:
  mqscen:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with: { node-version: 20, cache: npm }
      - run: npm ci
      - run: npx mqscen run
      - uses: actions/upload-artifact@v4
        if: always()
        with: { name: mqscen-reports, path: reports/ }
      - uses: mikepenz/action-junit-report@v5
        if: always()
        with: { report_paths: reports/junit.xml }
`;
