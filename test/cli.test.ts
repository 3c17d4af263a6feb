/**
 * End-to-end tests of the built CLI (bin/mqscen.js → dist/): exit codes and messages as a user
 * sees them. `npm test` builds dist/ before running tests.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'bin', 'mqscen.js');

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the CLI with a bounded time; CI=true so the console reporter prints plain lines. */
function mqscen(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}) {
  return new Promise<CliResult>((resolvePromise, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: options.cwd ?? root,
      env: { ...process.env, CI: 'true', NO_COLOR: '1', ...options.env },
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
      reject(
        new Error(
          `mqscen ${args.join(' ')} did not finish in ${options.timeoutMs ?? 60_000} ms\n${stdout}\n${stderr}`,
        ),
      );
    }, options.timeoutMs ?? 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'mqscen-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('--version prints the package version and exits 0', async () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const r = await mqscen(['--version']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout.trim(), pkg.version);
});

test('--help lists the commands and exits 0', async () => {
  const r = await mqscen(['--help']);
  assert.equal(r.code, 0);
  for (const cmd of ['run', 'validate', 'schema', 'broker', 'certs'])
    assert.match(r.stdout, new RegExp(`\\b${cmd}\\b`));
});

test('an unknown command or flag is a usage error: exit 2', async () => {
  const r1 = await mqscen(['frobnicate']);
  assert.equal(r1.code, 2);
  assert.match(r1.stderr, /unknown command/);
  const r2 = await mqscen(['run', 'scenarios/queuing.yaml', '--frobnicate']);
  assert.equal(r2.code, 2);
  assert.match(r2.stderr, /unknown option/);
});

test('schema prints the scenario JSON schema', async () => {
  const r = await mqscen(['schema']);
  assert.equal(r.code, 0);
  const schema = JSON.parse(r.stdout) as { properties?: Record<string, unknown> };
  assert.ok(schema.properties?.['clients'], 'the schema describes clients');
});

test('validate accepts every example scenario', async () => {
  const r = await mqscen(['validate', 'scenarios/*.yaml']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /queuing\.yaml/);
});

test('validate reports every problem with file:line:column and exits 2, no stack trace', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'bad.yaml');
  writeFileSync(
    file,
    [
      'name: bad',
      'clients:',
      '  subscriber:',
      '    count: 3',
      '    session: { clean: false, expiry: one hour }',
      '  publisher: {}',
      'steps:',
      '  - connect: all',
      '  - disconnect:',
      '      clients: subscribr[2]',
      'expect:',
      '  - no-loss: {}',
      '',
    ].join('\n'),
  );
  const r = await mqscen(['validate', file]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /bad\.yaml:5:\d+\s+clients\.subscriber\.session\.expiry/);
  assert.match(r.stderr, /bad\.yaml:10:\d+\s+steps\[1\]\.disconnect\.clients/);
  assert.match(r.stderr, /subscribr\[2\]/);
  assert.match(r.stderr, /2 problems in 1 file/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
});

test('validate: missing file, directory, empty file and binary junk are each exit 2 with a clear message', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'empty.yaml'), '');
  writeFileSync(join(dir, 'junk.yaml'), Buffer.from([0, 1, 2, 255, 254, 0, 10]));
  mkdirSync(join(dir, 'folder.yaml'));
  for (const name of ['missing.yaml', 'folder.yaml', 'empty.yaml', 'junk.yaml']) {
    const r = await mqscen(['validate', join(dir, name)]);
    assert.equal(r.code, 2, `${name}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(name.replace('.', '\\.')), name);
    assert.doesNotMatch(r.stderr, /\n\s+at /, `${name}: no stack trace`);
  }
});

test('run: an unreachable broker is exit 3 within a bounded time, and the JUnit file is still written', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'mqscen.targets.yaml'), 'nowhere:\n  kind: url\n  url: mqtt://127.0.0.1:9\n');
  const junit = join(dir, 'junit.xml');
  const r = await mqscen(
    ['run', join(root, 'scenarios/queuing.yaml'), '--target', 'nowhere', '--junit', junit],
    {
      cwd: dir,
    },
  );
  assert.equal(r.code, 3, r.stderr + r.stdout);
  assert.match(r.stderr + r.stdout, /127\.0\.0\.1:9/);
  assert.ok(r.ms < 30_000, `took ${r.ms} ms`);
  assert.ok(existsSync(junit), 'junit.xml written');
});

test('run: an unknown target name is exit 2 and lists the known names', async () => {
  const r = await mqscen(['run', 'scenarios/queuing.yaml', '--target', 'no-such-target']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no-such-target/);
  assert.match(r.stderr, /embedded/);
});

test('run: the queuing scenario passes on the embedded broker and writes JUnit and JSON', async (t) => {
  const dir = tempDir(t);
  const junit = join(dir, 'out', 'junit.xml');
  const json = join(dir, 'out', 'results.json');
  const r = await mqscen(['run', 'scenarios/queuing.yaml', '--junit', junit, '--json', json]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const xml = readFileSync(junit, 'utf8');
  assert.match(xml, /<testsuite[^>]*name="shared-subscription message queuing"/);
  assert.match(xml, /<testcase[^>]*name="no-loss"/);
  assert.doesNotMatch(xml, /<failure/);
  const results = JSON.parse(readFileSync(json, 'utf8')) as { scenarios: Array<{ status: string }> };
  assert.equal(results.scenarios[0]?.status, 'passed');
});

test('run: a scenario that must fail exits 1 and the JUnit failure names the lost messages', async (t) => {
  const dir = tempDir(t);
  const junit = join(dir, 'junit.xml');
  const r = await mqscen(['run', 'test/fixtures/must-fail-qos0-offline.yaml', '--junit', junit, '--no-json']);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const xml = readFileSync(junit, 'utf8');
  assert.match(xml, /<failure[^>]*message="[^"]*expected[^"]*got[^"]*"/);
  assert.match(xml, /publisher#4\.\.#6/);
});

test('run: Ctrl+C mid-run exits 130 promptly and still writes the JUnit file marked interrupted', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'long.yaml');
  writeFileSync(
    file,
    [
      'name: long wait',
      'clients:',
      '  a: { clientId: sigint-a }',
      'steps:',
      '  - connect: all',
      '  - wait: 60s',
      'expect: []',
      '',
    ].join('\n'),
  );
  const junit = join(dir, 'junit.xml');
  const started = Date.now();
  const child = spawn(process.execPath, [bin, 'run', file, '--junit', junit, '--no-json'], {
    cwd: root,
    env: { ...process.env, CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    out += d.toString();
  });
  // Wait until the run is in its wait step, then interrupt.
  await new Promise<void>((res, rej) => {
    const deadline = setTimeout(() => rej(new Error(`run never reached the wait step:\n${out}`)), 20_000);
    const poll = setInterval(() => {
      if (/wait/.test(out)) {
        clearInterval(poll);
        clearTimeout(deadline);
        res();
      }
    }, 50);
  });
  child.kill('SIGINT');
  const code = await new Promise<number | null>((res) => child.on('close', res));
  assert.equal(code, 130, out);
  assert.ok(Date.now() - started < 20_000, 'stopped promptly');
  const xml = readFileSync(junit, 'utf8');
  assert.match(xml, /interrupted/);
});
