/**
 * End-to-end tests of the built CLI (bin/mqscen.js → dist/): exit codes and messages as a user
 * sees them. `npm test` builds dist/ before running tests.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { bin, mqscen, root, startMqscen, tempDir } from './_cli.js';

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
  assert.match(r2.stderr, /^mqscen: unknown option '--frobnicate'/);
  assert.match(r2.stderr, /run `mqscen run --help` for usage/, 'points to the help of the command used');
  const r3 = await mqscen(['aws', 'provision', '--frobnicate']);
  assert.equal(r3.code, 2);
  assert.match(r3.stderr, /run `mqscen aws provision --help` for usage/);
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
  assert.match(
    r.stderr,
    /mqscen: scenario "shared-subscription message queuing" could not run: .*127\.0\.0\.1:9/,
  );
  assert.match(
    r.stderr,
    /hint: check that the broker of target "nowhere" \(mqtt:\/\/127\.0\.0\.1:9\) is running/,
  );
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
  assert.match(xml, /<failure[^>]*message="got [^"]*publisher#4\.\.#6[^"]*"/);
  assert.match(xml, /expected: [^\n]+\ngot: [^\n]+publisher#4\.\.#6/);
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
  const run = startMqscen(['run', file, '--junit', junit, '--no-json'], t);
  // Wait until the run is in its wait step, then interrupt.
  await run.waitFor(/wait/, 'run never reached the wait step');
  run.child.kill('SIGINT');
  const code = await run.exit('the run did not stop after Ctrl+C');
  const out = run.output();
  assert.equal(code, 130, out);
  assert.ok(Date.now() - started < 20_000, 'stopped promptly');
  const xml = readFileSync(junit, 'utf8');
  assert.match(xml, /interrupted/);
});

test('run: bad flag values are exit 2 and name the flag, the value and the fix', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--timeout', 'abc'], /--timeout "abc" is not a duration[\s\S]*hint: write it with a unit, e\.g\. 30s/],
    [['--var', 'noequals'], /--var "noequals" must look like key=value[\s\S]*--var topic=test\/a/],
    [['--grep', '('], /--grep "\(" is not a valid regular expression/],
    [['--grep', 'no-scenario-has-this-name'], /matches none of the 1 scenario/],
    [['--reporter', 'nope'], /argument 'nope' is invalid\. Allowed choices are auto, live, plain/],
  ];
  for (const [flags, message] of cases) {
    const r = await mqscen(['run', 'scenarios/queuing.yaml', '--no-junit', '--no-json', ...flags]);
    assert.equal(r.code, 2, `${flags.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, flags.join(' '));
    assert.match(r.stderr, /run `mqscen run --help` for usage/, flags.join(' '));
    assert.doesNotMatch(r.stderr, /\n\s+at /, `${flags.join(' ')}: no stack trace`);
    assert.equal(r.stdout, '', `${flags.join(' ')}: nothing ran`);
  }
});

test('run: a report path that cannot be written is exit 3 before anything runs, with the flag to fix it', async () => {
  for (const [flag, path, label] of [
    ['--junit', '/proc/mqscen-x.xml', 'JUnit report'],
    // Node's recursive mkdir never returns for a missing folder under /proc: the check must not hang.
    ['--junit', '/proc/mqscen-missing/x.xml', 'JUnit report'],
    ['--json', '/dev/null/results.json', 'JSON results'],
  ] as const) {
    const other = flag === '--junit' ? '--no-json' : '--no-junit';
    const r = await mqscen(['run', 'scenarios/queuing.yaml', flag, path, other], { timeoutMs: 20_000 });
    assert.equal(r.code, 3, `${flag} ${path}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`cannot write the ${label} to ${path.replace(/\./g, '\\.')}`));
    assert.match(
      r.stderr,
      new RegExp(`hint: choose a writable path with ${flag} PATH, or leave the report out with --no-`),
    );
    assert.doesNotMatch(r.stdout, /connect/, 'nothing ran');
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('run: --junit and --json on the same file is exit 2', async (t) => {
  const file = join(tempDir(t), 'report.xml');
  const r = await mqscen(['run', 'scenarios/queuing.yaml', '--junit', file, '--json', file]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--junit and --json both write .*report\.xml; one report would overwrite the other/);
  assert.ok(!existsSync(file), 'nothing ran, nothing written');
});

test('run: --junit /dev/null (not a regular file) is exit 2, and the device is left alone', async () => {
  const r = await mqscen(['run', 'scenarios/queuing.yaml', '--junit', '/dev/null', '--no-json']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--junit \/dev\/null is not a regular file; the JUnit report is written to a file/);
  const { statSync } = await import('node:fs');
  assert.ok(statSync('/dev/null').isCharacterDevice(), '/dev/null is still the device');
});

test('run: a report path that is a symbolic link (/dev/stdout) is exit 2; the link is left alone', async (t) => {
  const dir = tempDir(t);
  const { lstatSync, symlinkSync } = await import('node:fs');
  // A link to a regular file, as /dev/stdout is when output goes to a file: a rename over the
  // path would replace the link itself.
  writeFileSync(join(dir, 'real.xml'), '');
  symlinkSync(join(dir, 'real.xml'), join(dir, 'link.xml'));
  const r = await mqscen(['run', 'scenarios/queuing.yaml', '--junit', join(dir, 'link.xml'), '--no-json']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /link\.xml is a symbolic link; the JUnit report would replace the link/);
  assert.ok(lstatSync(join(dir, 'link.xml')).isSymbolicLink(), 'the link is still a link');
});

test('run: --junit naming a folder is exit 2 and suggests a file in it', async (t) => {
  const dir = tempDir(t);
  const r = await mqscen(['run', 'scenarios/queuing.yaml', '--junit', dir, '--no-json']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--junit .* is a folder; the JUnit report needs a file path/);
  assert.match(r.stderr, /hint: for example --junit .*junit\.xml/);
});

test('run: --targets with several targets and no --target is exit 2 and lists the names in the file', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'ci.targets.yaml');
  writeFileSync(
    file,
    'staging:\n  kind: url\n  url: mqtt://127.0.0.1:9\nprod:\n  kind: url\n  url: mqtt://127.0.0.1:9\n',
  );
  const r = await mqscen(['run', 'scenarios/queuing.yaml', '--targets', file, '--no-junit', '--no-json']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--targets .*ci\.targets\.yaml was given without --target NAME/);
  assert.match(r.stderr, /add --target with one of the names in .*\("staging", "prod"\)/);
  assert.equal(r.stdout, '', 'nothing ran on the embedded broker instead');
});

test('run: --targets with one target and no --target runs on that target', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'one.targets.yaml');
  writeFileSync(file, 'staging:\n  kind: url\n  url: mqtt://127.0.0.1:9\n');
  const r = await mqscen(['run', 'scenarios/queuing.yaml', '--targets', file, '--no-junit', '--no-json']);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /127\.0\.0\.1:9/, "it tried the file's target, not the embedded broker");
});

test('run: invalid targets files are exit 2 with file:line:column; a missing secret is exit 3 naming the variable', async (t) => {
  const dir = tempDir(t);
  const cases: Array<[string, string, number, RegExp]> = [
    ['syntax.yaml', 'a:\n  kind: url\n  url: [mqtt://x\n', 2, /syntax\.yaml:\d+:\d+\s+.*\n.*not valid YAML/],
    [
      'unknown.yaml',
      'a:\n  kind: url\n  url: mqtt://127.0.0.1:9\n  colour: red\n',
      2,
      /unknown\.yaml:4:3\s+a\.colour\s+unknown setting "colour"/,
    ],
    [
      'literal.yaml',
      'a:\n  kind: url\n  url: mqtt://127.0.0.1:9\n  username: bob\n  password: hunter2\n',
      2,
      /literal\.yaml:5:\d+\s+a\.password\s+secrets are written only as `\$\{env:NAME\}`/,
    ],
    [
      'secret.yaml',
      'a:\n  kind: url\n  url: mqtt://127.0.0.1:9\n  username: bob\n  password: ${env:MQSCEN_TEST_NOT_SET}\n',
      3,
      /environment variable MQSCEN_TEST_NOT_SET is not set[\s\S]*hint: export MQSCEN_TEST_NOT_SET=/,
    ],
  ];
  for (const [name, text, code, message] of cases) {
    writeFileSync(join(dir, name), text);
    const r = await mqscen(
      [
        'run',
        join(root, 'scenarios/queuing.yaml'),
        '--targets',
        name,
        '--target',
        'a',
        '--no-junit',
        '--no-json',
      ],
      { cwd: dir },
    );
    assert.equal(r.code, code, `${name}: ${r.stderr}`);
    assert.match(r.stderr, message, name);
    assert.doesNotMatch(r.stderr + r.stdout, /hunter2/, `${name}: the secret is never printed`);
    assert.doesNotMatch(r.stderr, /\n\s+at /, `${name}: no stack trace`);
  }
});

test('run: a missing certificate file in a url target is exit 3 naming the file once, and the report is written', async (t) => {
  const dir = tempDir(t);
  writeFileSync(
    join(dir, 'mqscen.targets.yaml'),
    'tls:\n  kind: url\n  url: mqtts://127.0.0.1:9\n  ca: ./no-ca.pem\n',
  );
  const r = await mqscen(['run', join(root, 'scenarios/queuing.yaml'), '--target', 'tls', '--no-json'], {
    cwd: dir,
  });
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /ca file .*no-ca\.pem does not exist/);
  assert.match(r.stderr, /hint: fix the ca: path in the targets file/);
  assert.doesNotMatch(r.stderr, /ENOENT: ENOENT/, 'the error code is said once');
  assert.match(readFileSync(join(dir, 'reports', 'junit.xml'), 'utf8'), /no-ca\.pem/);
});

test('run: a reader that closes the pipe early (| head -1) does not crash the run', async (t) => {
  const dir = tempDir(t);
  const junit = join(dir, 'junit.xml');
  const child = spawn(process.execPath, [bin, 'run', 'scenarios/will.yaml', '--junit', junit, '--no-json'], {
    cwd: root,
    env: { ...process.env, CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdout.once('data', () => child.stdout.destroy());
  const code = await new Promise<number | null>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`no exit within 30 s\n${stderr}`)), 30_000);
    child.on('close', (c) => {
      clearTimeout(timer);
      res(c);
    });
  });
  assert.equal(code, 0, stderr);
  assert.doesNotMatch(stderr, /EPIPE|\n\s+at /);
  assert.match(readFileSync(junit, 'utf8'), /<testsuite[^>]*name="will message on abrupt disconnect"/);
});

test('run: Ctrl+C during the first of two scenarios reports the second as interrupted too', async (t) => {
  const dir = tempDir(t);
  const long = join(dir, 'long.yaml');
  writeFileSync(
    long,
    'name: long wait\nclients:\n  a: { clientId: sigint-two-a }\nsteps:\n  - connect: all\n  - wait: 60s\nexpect: []\n',
  );
  const junit = join(dir, 'junit.xml');
  const run = startMqscen(['run', long, 'scenarios/will.yaml', '--junit', junit, '--no-json'], t);
  await run.waitFor(/connect all/, 'the run never reached its wait step');
  run.child.kill('SIGINT');
  const code = await run.exit('the run did not stop after Ctrl+C');
  const out = run.output();
  assert.equal(code, 130, out);
  assert.match(out, /mqscen: interrupted; closing clients and writing reports/);
  const xml = readFileSync(junit, 'utf8');
  assert.match(xml, /<testsuite[^>]*name="long wait"/);
  assert.match(
    xml,
    /<testsuite[^>]*name="will message on abrupt disconnect"[\s\S]*interrupted by Ctrl\+C before it ran/,
  );
});

test('broker: a port in use is exit 3 with a hint; a bad port is exit 2', async (t) => {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  t.after(() => server.close());
  const port = (server.address() as { port: number }).port;
  const r = await mqscen(['broker', '--port', String(port)], { timeoutMs: 20_000 });
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, new RegExp(`cannot start the mqtt listener on 127\\.0\\.0\\.1:${port}`));
  assert.match(r.stderr, /hint: pick another port, or 0 for a free one/);
  assert.doesNotMatch(r.stderr, /cause: EADDRINUSE/, 'the cause the message already quotes is not repeated');
  const bad = await mqscen(['broker', '--port', '70000']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--port "70000" is not a port number[\s\S]*use 0\.\.65535/);
});

test('aws provision --dry-run lists the calls without the AWS SDK Node notice; no region is exit 2', async (t) => {
  const dir = tempDir(t);
  const env = { AWS_REGION: '', AWS_DEFAULT_REGION: '', AWS_PROFILE: '', AWS_CONFIG_FILE: join(dir, 'none') };
  const noRegion = await mqscen(['aws', 'provision', '--dry-run'], { cwd: dir, env, timeoutMs: 30_000 });
  assert.equal(noRegion.code, 2, noRegion.stderr);
  assert.match(noRegion.stderr, /no AWS region[\s\S]*hint: pass --region <region> or set AWS_REGION/);
  assert.doesNotMatch(noRegion.stderr, /NodeVersionSupportWarning/);
  const r = await mqscen(['aws', 'provision', '--dry-run', '--region', 'eu-west-1'], {
    cwd: dir,
    env,
    timeoutMs: 30_000,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /would call CreatePolicy .*\$share/);
  assert.match(r.stdout, /nothing created or written/);
  assert.doesNotMatch(r.stderr, /NodeVersionSupportWarning/);
  assert.ok(!existsSync(join(dir, 'mqscen.targets.yaml')), 'dry run writes no targets file');
});

test('run: a password inside a --target URL is refused (exit 2) and never echoed', async (t) => {
  const dir = tempDir(t);
  const r = await mqscen(
    ['run', join(root, 'scenarios/queuing.yaml'), '--target', 'mqtt://bob:s3cretpw@127.0.0.1:9'],
    {
      cwd: dir,
    },
  );
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--target mqtt:\/\/bob:\*\*\*@127\.0\.0\.1:9 carries a password in the URL/);
  assert.match(r.stderr, /hint: define the target in mqscen\.targets\.yaml with password: \$\{env:NAME\}/);
  assert.doesNotMatch(r.stderr + r.stdout, /s3cretpw/);
  assert.ok(!existsSync(join(dir, 'reports')), 'no report carries the URL');
});

test('run: a malformed --target URL is exit 2 before anything starts, with the URL forms', async (t) => {
  const dir = tempDir(t);
  for (const [url, message] of [
    ['mqtt://127.0.0.1:99999', /--target mqtt:\/\/127\.0\.0\.1:99999 is not a valid broker URL/],
    ['mqtt://', /--target mqtt:\/\/ names no host/],
    ['http://127.0.0.1:1883', /"http" is not a broker URL scheme/],
  ] as const) {
    const r = await mqscen(['run', join(root, 'scenarios/queuing.yaml'), '--target', url], { cwd: dir });
    assert.equal(r.code, 2, `${url}: ${r.stderr}`);
    assert.match(r.stderr, message, url);
    assert.match(r.stderr, /hint: write it as mqtt:\/\/host:1883, mqtts:\/\/host:8883/, url);
    assert.equal(r.stdout, '', `${url}: nothing started`);
  }
});

test('broker --host 0.0.0.0 serves clients until Ctrl+C, then exits 0', async (t) => {
  const broker = startMqscen(['broker', '--host', '0.0.0.0', '--port', '0'], t);
  const m = await broker.waitFor(/mqtt\s+mqtt:\/\/0\.0\.0\.0:(\d+)/, 'the broker never printed its URL');
  const port = Number(m[1]);
  const { connectAsync } = await import('mqtt');
  const client = await connectAsync(`mqtt://127.0.0.1:${port}`, { connectTimeout: 5000, reconnectPeriod: 0 });
  t.after(() => client.end(true));
  assert.ok(client.connected, 'a client reaches the broker through the 0.0.0.0 listener');
  await client.endAsync();
  broker.child.kill('SIGINT');
  const code = await broker.exit('the broker did not stop within 10 s', 10_000);
  const out = broker.output();
  assert.equal(code, 0, out);
  assert.match(out, /stopping/);
});

test('run: one file named twice (a.yaml, ./a.yaml, a glob) runs once', async () => {
  const r = await mqscen([
    'run',
    'scenarios/will.yaml',
    './scenarios/will.yaml',
    'scenarios/wil*.yaml',
    '--no-junit',
    '--no-json',
  ]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /1 passed, 0 failed \(1 scenario\)/);
});

test('validate/run: a --var no file refers to is a warning with the likely name; the file value stays', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'vars.yaml');
  writeFileSync(
    file,
    'name: vars ${who}\nvars:\n  who: default\n  topic: test/v\nclients:\n  a: { subscriptions: [ { filter: "${topic}", qos: 1 } ] }\nsteps:\n  - connect: all\nexpect: []\n',
  );
  const r = await mqscen(['validate', file, '--var', 'topc=x', '--var', 'who=cli']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /warning: --var topc is not used: no scenario file refers to \$\{topc\}; did you mean --var topic=…\?/,
  );
  assert.doesNotMatch(r.stderr, /--var who/, 'a used variable is not warned about');
  assert.match(r.stdout, /"vars cli"/);
});

test('certs: creates the CA and server certificate (folder 0700), reuses them, and a folder that cannot be created is exit 3, not a hang', async (t) => {
  const dir = join(tempDir(t), 'nested', 'certs');
  const first = await mqscen(['certs', '--dir', dir, '--issue', 'device-1']);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /CA certificate: +.*ca\.cert\.pem/);
  assert.match(first.stdout, /device certificate: .*\(CN=device-1\)/);
  const { statSync } = await import('node:fs');
  assert.equal(statSync(dir).mode & 0o777, 0o700, 'the folder that holds private keys is private');
  const ca = readFileSync(join(dir, 'ca.cert.pem'), 'utf8');
  const again = await mqscen(['certs', '--dir', dir]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(readFileSync(join(dir, 'ca.cert.pem'), 'utf8'), ca, 'the CA is reused');
  // Node's recursive mkdir loops forever under /proc; the command must answer within its bound.
  const bad = await mqscen(['certs', '--dir', '/proc/mqscen-no/certs'], { timeoutMs: 15_000 });
  assert.equal(bad.code, 3, bad.stderr);
  assert.match(
    bad.stderr,
    /cannot create the certificate folder \/proc\/mqscen-no\/certs[\s\S]*hint: choose a writable folder with --dir/,
  );
  const broker = await mqscen(
    ['broker', '--port', '0', '--tls-port', '0', '--certs', '/proc/mqscen-no/certs'],
    {
      timeoutMs: 15_000,
    },
  );
  assert.equal(broker.code, 3, broker.stderr);
  assert.match(broker.stderr, /hint: choose a writable folder with --certs/);
});

test('run --bail stops after the first scenario that does not pass, exits 1 and says how many did not run', async () => {
  const r = await mqscen([
    'run',
    'test/fixtures/must-fail-qos0-offline.yaml',
    'scenarios/will.yaml',
    'scenarios/qos2.yaml',
    '--bail',
    '--no-junit',
    '--no-json',
  ]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /0 passed, 1 failed \(1 scenario\)/);
  assert.doesNotMatch(r.stdout, /will message on abrupt disconnect/, 'the next scenario did not run');
  assert.match(
    r.stderr,
    /--bail: 2 scenarios not run after "qos0 to an offline subscriber is lost" did not pass/,
  );
});

test('run --timeout: a scenario cut short by the deadline exits 1 and says which deadline and how to raise it', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'slow.yaml');
  writeFileSync(
    file,
    'name: slow\nclients:\n  a: { clientId: timeout-a }\nsteps:\n  - connect: all\n  - wait: 30s\nexpect: []\n',
  );
  const r = await mqscen(['run', file, '--timeout', '1s', '--no-junit', '--no-json'], { timeoutMs: 20_000 });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.ok(r.ms < 15_000, `stopped at the deadline, took ${r.ms} ms`);
  assert.match(
    r.stderr,
    /scenario "slow" stopped early: scenario deadline of 1000 ms reached; raise timeout: in the scenario or --timeout/,
  );
});

test('validate --targets checks a targets file offline: ok lists the names (secrets unset), problems are exit 2', async (t) => {
  const dir = tempDir(t);
  writeFileSync(
    join(dir, 'good.yaml'),
    'staging:\n  kind: url\n  url: mqtts://broker.example:8883\n  username: ci\n  password: ${env:MQSCEN_TEST_UNSET_SECRET}\n',
  );
  writeFileSync(join(dir, 'bad.yaml'), 'staging:\n  kind: url\n  url: mqtt://127.0.0.1:9\n  colour: red\n');
  const ok = await mqscen(['validate', '--targets', 'good.yaml'], { cwd: dir });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /ok {2}good\.yaml {2}targets: staging/);
  const bad = await mqscen(['validate', join(root, 'scenarios/will.yaml'), '--targets', 'bad.yaml'], {
    cwd: dir,
  });
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /bad\.yaml:4:3\s+staging\.colour\s+unknown setting "colour"/);
  assert.match(bad.stdout, /ok {2}.*will\.yaml/, 'the scenario files are still checked');
  const none = await mqscen(['validate'], { cwd: dir });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /nothing to validate[\s\S]*--targets FILE[\s\S]*mqscen validate --help/);
});

test('validate: a file whose name holds glob characters is read as that file', async (t) => {
  const dir = tempDir(t);
  const text = 'name: odd name\nclients:\n  a: {}\nsteps:\n  - connect: all\n';
  writeFileSync(join(dir, 'case[1].yaml'), text);
  writeFileSync(join(dir, 'a(b).yaml'), text);
  const r = await mqscen(['validate', 'case[1].yaml', 'a(b).yaml'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /ok {2}case\[1\]\.yaml/);
  assert.match(r.stdout, /ok {2}a\(b\)\.yaml/);
});

test('run/validate --targets naming a pipe or device is exit 2 at once, not a blocked read', async () => {
  const r = await mqscen(['run', 'scenarios/will.yaml', '--targets', '/dev/zero', '--target', 'a'], {
    timeoutMs: 15_000,
  });
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /--targets \/dev\/zero is not a regular file[\s\S]*hint: --targets takes a YAML file/,
  );
  const v = await mqscen(['validate', '--targets', '/dev/zero'], { timeoutMs: 15_000 });
  assert.equal(v.code, 2, v.stderr);
  assert.match(v.stderr, /--targets \/dev\/zero is not a regular file/);
});

test('run a.yaml b.yaml with a problem in b (size below the identity header) is exit 2 before anything connects', async (t) => {
  const { createServer } = await import('node:net');
  const dir = tempDir(t);
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  t.after(() => server.close());
  const port = (server.address() as { port: number }).port;
  const a = join(dir, 'a.yaml');
  const b = join(dir, 'b.yaml');
  writeFileSync(
    a,
    'name: a\nclients:\n  p: { clientId: two-files-a }\nsteps:\n  - connect: all\nexpect: []\n',
  );
  writeFileSync(
    b,
    'name: b\nclients:\n  p: { clientId: two-files-b }\nsteps:\n  - connect: all\n' +
      '  - publish: { from: p, topic: t/b, count: 1, qos: 1, payload: { size: 4 } }\nexpect: []\n',
  );
  const junit = join(dir, 'junit.xml');
  const r = await mqscen([
    'run',
    a,
    b,
    '--target',
    `mqtt://127.0.0.1:${port}`,
    '--junit',
    junit,
    '--no-json',
  ]);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /b\.yaml.*identity header/);
  assert.match(r.stderr, /nothing was run/);
  assert.equal(connections, 0, 'nothing connected');
  assert.ok(!existsSync(junit), 'no report for a run that did not start');
});
