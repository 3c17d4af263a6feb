/**
 * The published package as a user gets it: `npm pack` of this folder (built dist/ as `npm test`
 * leaves it), installed from the tarball into an empty folder outside the repository, then
 * `npx mqscen run` on a scenario there. Skips with the reason only when the registry cannot be
 * reached for the dependencies (the npm cache usually answers without it).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';

const root = resolve(import.meta.dirname, '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<Ran> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, {
      cwd,
      env: { ...process.env, CI: 'true', NO_COLOR: '1', npm_config_update_notifier: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`${cmd} ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      rej(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code, stdout, stderr });
    });
  });
}

const SCENARIO = `# yaml-language-server: $schema=./node_modules/mqscen/schemas/scenario.schema.json
name: packed install smoke test
clients:
  app:
    subscriptions:
      - { filter: "smoke/#", qos: 1 }
  device: {}
steps:
  - connect: all
  - publish: { from: device, topic: smoke/1, count: 3, qos: 1 }
  - settle: { timeout: 5s }
expect:
  - no-loss: {}
  - received: { clients: app, count: 3 }
`;

test('npm pack → install the tarball in an empty folder → npx mqscen run works; mqscen init starts a project', {
  timeout: 300_000,
}, async (t) => {
  if (!existsSync(join(root, 'dist', 'runner', 'cli', 'main.js'))) {
    assert.fail('dist/ is missing: run `npm run build` first (`npm test` does)');
  }
  const dir = mkdtempSync(join(tmpdir(), 'mqscen-pack-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));

  // 1. Pack (dist/ is already built; prepare would rebuild it under the feet of parallel tests).
  const packed = await run(
    npm,
    ['pack', '--ignore-scripts', '--json', '--pack-destination', dir],
    root,
    60_000,
  );
  assert.equal(packed.code, 0, packed.stderr);
  const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  assert.ok(info);
  const paths = info.files.map((f) => f.path);
  for (const needed of [
    'bin/mqscen.js',
    'dist/runner/cli/main.js',
    'schemas/scenario.schema.json',
    'schemas/targets.schema.json',
    'package.json',
    'README.md',
  ]) {
    assert.ok(paths.includes(needed), `the package lacks ${needed}`);
  }
  const unwanted = paths.filter(
    (p) => p.endsWith('.ts') || p.includes('.test.') || p.includes('_test-helpers') || p.startsWith('test/'),
  );
  assert.deepEqual(unwanted, [], 'sources and tests stay out of the package');

  // 2. Install into an empty folder, as a user's project would.
  const app = join(dir, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), '{ "name": "app", "private": true }\n');
  const installed = await run(
    npm,
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--omit=dev', join(dir, info.filename)],
    app,
    240_000,
  );
  if (
    installed.code !== 0 &&
    /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ENETUNREACH|ECONNRESET/.test(installed.stderr)
  ) {
    t.skip(`the npm registry is unreachable for the dependencies: ${installed.stderr.split('\n')[0]}`);
    return;
  }
  assert.equal(installed.code, 0, installed.stderr);
  const pkg = JSON.parse(readFileSync(join(app, 'node_modules', 'mqscen', 'package.json'), 'utf8')) as {
    bin: Record<string, string>;
  };
  assert.equal(pkg.bin['mqscen'], 'bin/mqscen.js');

  // 3. Run a scenario through npx from the user's folder (embedded broker: nothing else needed).
  writeFileSync(join(app, 'smoke.yaml'), SCENARIO);
  const ran = await run('npx', ['--no', 'mqscen', 'run', 'smoke.yaml', '--reporter', 'plain'], app, 60_000);
  assert.equal(ran.code, 0, `${ran.stdout}\n${ran.stderr}`);
  assert.match(ran.stdout, /1 passed, 0 failed/);
  assert.ok(existsSync(join(app, 'reports', 'junit.xml')), 'the JUnit report is written in the user folder');
  // The HTML report inlines uPlot from the installed dependency.
  assert.match(readFileSync(join(app, 'reports', 'report.html'), 'utf8'), /var uPlot=/);

  // 4. A new user's project: mqscen init, then npx mqscen run with no arguments inside it.
  const init = await run('npx', ['--no', 'mqscen', 'init', 'my-broker-tests'], app, 30_000);
  assert.equal(init.code, 0, init.stderr);
  assert.match(init.stdout, /created {2}my-broker-tests\/scenarios\/example\.yaml/);
  assert.match(init.stdout, /next: cd my-broker-tests && npm install && npx mqscen run/);
  const project = join(app, 'my-broker-tests');
  // What `npm install` in the project would give it: mqscen in its node_modules.
  symlinkSync(join(app, 'node_modules'), join(project, 'node_modules'), 'dir');
  // The $schema lines resolve inside the user's project, not only inside the mqscen repository.
  for (const [file, line] of [
    ['scenarios/example.yaml', '../node_modules/mqscen/schemas/scenario.schema.json'],
    ['mqscen.targets.yaml', './node_modules/mqscen/schemas/targets.schema.json'],
  ] as const) {
    assert.ok(
      readFileSync(join(project, file), 'utf8').startsWith(`# yaml-language-server: $schema=${line}\n`),
    );
    assert.ok(existsSync(join(project, dirname(file), line)), `${file}: ${line} exists`);
  }
  const started = await run('npx', ['--no', 'mqscen', 'run', '--reporter', 'plain'], project, 60_000);
  assert.equal(started.code, 0, `${started.stdout}\n${started.stderr}`);
  assert.match(started.stdout, /messages reach an online subscriber, in order/);
  assert.ok(existsSync(join(project, 'reports', 'report.html')));
  const checked = await run(
    'npx',
    ['--no', 'mqscen', 'validate', '--targets', 'mqscen.targets.yaml'],
    project,
    30_000,
  );
  assert.equal(checked.code, 0, checked.stderr);
  assert.match(
    readFileSync(join(project, '.github', 'workflows', 'mqscen.yml'), 'utf8'),
    /- run: npx mqscen run/,
  );
  // Running init again keeps what is there.
  const again = await run('npx', ['--no', 'mqscen', 'init'], project, 30_000);
  assert.match(again.stdout, /kept {5}scenarios\/example\.yaml \(exists; --force replaces it\)/);
});
